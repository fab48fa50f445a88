package commands

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/commands/schedule"
)

// MaxAlertCount is the bound of an alert's count (SPEC §8): a round walks
// the pages of a rule's query up to this many contacts and reports
// "5,000+" past it, so a threshold above it could never be reached.
const MaxAlertCount = 5000

// MinAlertRepeat is the shortest reminder interval: a reminder is a
// broadcast thread reply with a mention, and one every few seconds would
// make the channel unusable.
const MinAlertRepeat = time.Minute

// Defaults of the alert options (SPEC §8); keep's is 2 × ALERT_INTERVAL.
const (
	DefaultAlertRepeat = 4 * time.Hour
	DefaultAlertWait   = 30 * time.Second
)

// AlertKind is an alert's condition: a count against a threshold, or new
// contacts.
type AlertKind uint8

// The alert conditions.
const (
	AlertCount AlertKind = iota + 1 // count>=N, count>N
	AlertNew                        // new: contacts that start matching
)

// String returns "count" or "new".
func (k AlertKind) String() string {
	switch k {
	case AlertCount:
		return "count"
	case AlertNew:
		return "new"
	}
	return "unknown"
}

// AlertOp compares a count with the threshold.
type AlertOp uint8

// The comparisons of a count condition.
const (
	OpAtLeast AlertOp = iota + 1 // >=
	OpMore                       // >
)

// String returns ">=" or ">".
func (o AlertOp) String() string {
	if o == OpMore {
		return ">"
	}
	return ">="
}

// Holds reports whether count satisfies `count OP threshold`.
func (o AlertOp) Holds(count, threshold int) bool {
	if o == OpMore {
		return count > threshold
	}
	return count >= threshold
}

// MentionKind is what an alert's `notify` mentions.
type MentionKind uint8

// The kinds of mention.
const (
	MentionNone    MentionKind = iota
	MentionHere                // @here
	MentionChannel             // @channel
	MentionUser                // <@U…>
	MentionGroup               // <!subteam^S…>
)

// AlertMention is the `notify` of an alert: who its first post and its
// reminders mention. The zero value mentions nobody.
type AlertMention struct {
	Kind  MentionKind
	ID    string // the user or user group id (upper case); "" for @here and @channel
	Label string // the name or handle Slack sent with the id (no @), "" when none
}

// IsZero reports whether the mention mentions nobody.
func (m AlertMention) IsZero() bool { return m.Kind == MentionNone }

// Markup returns the mention as Slack markup that notifies when posted:
// `<!here>`, `<!channel>`, `<@U123>`, `<!subteam^S123>`; "" for none.
func (m AlertMention) Markup() string {
	switch m.Kind {
	case MentionHere:
		return "<!here>"
	case MentionChannel:
		return "<!channel>"
	case MentionUser:
		return "<@" + m.ID + ">"
	case MentionGroup:
		return "<!subteam^" + m.ID + ">"
	}
	return ""
}

// String returns the mention as the option's canonical value, which
// parseMention reads back: `@here`, `@channel`, `<@U123|ann>`,
// `<!subteam^S123|@support>`; "" for none.
func (m AlertMention) String() string {
	switch m.Kind {
	case MentionHere:
		return "@here"
	case MentionChannel:
		return "@channel"
	case MentionUser:
		if m.Label != "" {
			return "<@" + m.ID + "|" + m.Label + ">"
		}
		return "<@" + m.ID + ">"
	case MentionGroup:
		if m.Label != "" {
			return "<!subteam^" + m.ID + "|@" + m.Label + ">"
		}
		return "<!subteam^" + m.ID + ">"
	}
	return ""
}

// Describe names the mention in plain words that notify nobody: "@here",
// "@ann", "the user U123", "@support", "the user group S123". The label
// is the sender's text: escape it before putting it in mrkdwn.
func (m AlertMention) Describe() string {
	switch m.Kind {
	case MentionHere:
		return "@here"
	case MentionChannel:
		return "@channel"
	case MentionUser:
		if m.Label != "" {
			return "@" + m.Label
		}
		return "the user " + m.ID
	case MentionGroup:
		if m.Label != "" {
			return "@" + m.Label
		}
		return "the user group " + m.ID
	}
	return "nobody"
}

// AlertRule is a parsed alert rule (SPEC §8): a condition, its options
// with their defaults applied, and the query it watches. The engine
// (bot/rules) runs it; Canonical writes it back as text.
type AlertRule struct {
	Kind      AlertKind
	Op        AlertOp // for AlertCount
	Threshold int     // for AlertCount: the N of count>=N
	// For is how long the condition must hold before the alert fires
	// (AlertCount; 0 fires at the first round it holds).
	For time.Duration
	// Keep is how long the condition must be false before the alert
	// resolves (AlertCount), or before a contact that stopped matching may
	// be announced again (AlertNew). Default 2 × ALERT_INTERVAL.
	Keep time.Duration
	// Repeat is the reminder interval while firing and not acknowledged
	// (AlertCount); 0 is `repeat off`. Default 4h.
	Repeat time.Duration
	// Wait batches the contacts found within it into one message
	// (AlertNew). Default 30s.
	Wait   time.Duration
	Notify AlertMention
	// Hours are the active hours; the zero Hours means always.
	Hours schedule.Hours
	// Query is what the rule watches; Query.Canonical() is its text.
	Query *Query

	defaultKeep time.Duration // 2 × the interval it was parsed with
}

// Fires reports whether count satisfies a count rule's condition.
func (r AlertRule) Fires(count int) bool {
	return r.Kind == AlertCount && r.Op.Holds(count, r.Threshold)
}

// Condition returns the condition as written canonically: `count>=5`,
// `count>0`, `new`.
func (r AlertRule) Condition() string {
	if r.Kind == AlertNew {
		return "new"
	}
	return "count" + r.Op.String() + strconv.Itoa(r.Threshold)
}

// Canonical returns the rule as `/inbox alert add` arguments that
// ParseAlertRule reads back to an Equal rule (with the same zone and
// interval): the condition, the options that differ from their defaults
// in a fixed order (for, keep, repeat, notify, wait, hours), then the
// canonical query.
func (r AlertRule) Canonical() string {
	parts := []string{r.Condition()}
	if r.Kind == AlertCount && r.For > 0 {
		parts = append(parts, "for "+schedule.FormatDuration(r.For))
	}
	if r.Keep != r.defaultKeep {
		parts = append(parts, "keep "+schedule.FormatDuration(r.Keep))
	}
	if r.Kind == AlertCount && r.Repeat != DefaultAlertRepeat {
		if r.Repeat == 0 {
			parts = append(parts, "repeat off")
		} else {
			parts = append(parts, "repeat "+schedule.FormatDuration(r.Repeat))
		}
	}
	if !r.Notify.IsZero() {
		parts = append(parts, "notify "+r.Notify.String())
	}
	if r.Kind == AlertNew && r.Wait != DefaultAlertWait {
		parts = append(parts, "wait "+schedule.FormatDuration(r.Wait))
	}
	if !r.Hours.IsZero() {
		parts = append(parts, `hours "`+r.Hours.String()+`"`)
	}
	if r.Query != nil {
		parts = append(parts, protectQuery(r.Query.Canonical()))
	}
	return strings.Join(parts, " ")
}

// protectQuery quotes the first word of a canonical query when it is an
// option's name, so that the query `keep` is not read as the option keep.
// A canonical query's free text comes first and is quoted when it is more
// than one word, so only a single plain word needs this.
func protectQuery(canonical string) string {
	first, rest, _ := strings.Cut(canonical, " ")
	if lookupAlertOption(first) == nil {
		return canonical
	}
	if rest == "" {
		return `"` + first + `"`
	}
	return `"` + first + `" ` + rest
}

// Equal reports whether two rules mean the same.
func (r AlertRule) Equal(o AlertRule) bool {
	return r.Kind == o.Kind && r.Op == o.Op && r.Threshold == o.Threshold &&
		r.For == o.For && r.Keep == o.Keep && r.Repeat == o.Repeat && r.Wait == o.Wait &&
		r.Notify == o.Notify && r.Hours.String() == o.Hours.String() &&
		r.Hours.Location().String() == o.Hours.Location().String() && r.Query.Equal(o.Query)
}

// Describe puts the rule in words, e.g. "5 or more contacts (live chat
// active · unassigned), for 10m; reminds every 4h; notifies @here". It
// holds the user's text (the query's words, a mention's label): escape it
// before putting it in mrkdwn.
func (r AlertRule) Describe() string {
	words := "everyone"
	if r.Query != nil {
		words = r.Query.Words()
	}
	var parts []string
	if r.Kind == AlertNew {
		first := "each contact that starts matching (" + words + ")"
		if r.Wait > 0 {
			first += ", batched over " + schedule.FormatDuration(r.Wait)
		}
		parts = append(parts, first, "announced once until it has stopped matching for "+schedule.FormatDuration(r.Keep))
	} else {
		first := strconv.Itoa(r.Threshold) + " or more contacts (" + words + ")"
		if r.Op == OpMore {
			first = "more than " + strconv.Itoa(r.Threshold) + " contacts (" + words + ")"
		}
		if r.For > 0 {
			first += ", for " + schedule.FormatDuration(r.For)
		}
		parts = append(parts, first, "resolves after "+schedule.FormatDuration(r.Keep)+" below")
		if r.Repeat > 0 {
			parts = append(parts, "reminds every "+schedule.FormatDuration(r.Repeat))
		} else {
			parts = append(parts, "no reminders")
		}
	}
	if !r.Notify.IsZero() {
		parts = append(parts, "notifies "+r.Notify.Describe())
	}
	if !r.Hours.IsZero() {
		parts = append(parts, "active "+r.Hours.Describe())
	}
	return strings.Join(parts, "; ")
}

// alertOption is one row of the option table, which drives both parsers
// (the command's and RULES_FILE's) and the did-you-mean of a mistyped name.
type alertOption struct {
	name  string
	kinds []AlertKind // the conditions it applies to
	// example is a value, for messages: `for 10m`.
	example string
	// parse reads the value into the rule.
	parse func(o *alertOptions, value string) *QueryError
}

// alertOptionTable is the options of SPEC §8, in canonical order.
var alertOptionTable = []alertOption{
	{name: "for", kinds: []AlertKind{AlertCount}, example: "10m", parse: func(o *alertOptions, v string) *QueryError {
		d, err := o.duration("for", v)
		o.rule.For = d
		return err
	}},
	{name: "keep", kinds: []AlertKind{AlertCount, AlertNew}, example: "5m", parse: func(o *alertOptions, v string) *QueryError {
		d, err := o.duration("keep", v)
		o.rule.Keep = d
		return err
	}},
	{name: "repeat", kinds: []AlertKind{AlertCount}, example: "4h", parse: func(o *alertOptions, v string) *QueryError {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "off", "never", "none", "no", "0":
			o.rule.Repeat = 0
			return nil
		}
		d, err := o.duration("repeat", v)
		if err == nil && d < MinAlertRepeat {
			return &QueryError{Token: v, Message: "The reminder interval " + quoteToken("repeat "+v) + " is too short; the minimum is " + schedule.FormatDuration(MinAlertRepeat) + " (or `repeat off`)."}
		}
		o.rule.Repeat = d
		return err
	}},
	{name: "notify", kinds: []AlertKind{AlertCount, AlertNew}, example: "@here", parse: func(o *alertOptions, v string) *QueryError {
		m, err := parseAlertMention(v)
		o.rule.Notify = m
		return err
	}},
	{name: "wait", kinds: []AlertKind{AlertNew}, example: "1m", parse: func(o *alertOptions, v string) *QueryError {
		d, err := o.duration("wait", v)
		o.rule.Wait = d
		return err
	}},
	{name: "hours", kinds: []AlertKind{AlertCount, AlertNew}, example: `"Mon-Fri 08:00-18:00"`, parse: func(o *alertOptions, v string) *QueryError {
		h, err := schedule.ParseHours(v, o.loc)
		if err != nil {
			return &QueryError{Token: v, Message: err.Error()}
		}
		o.rule.Hours = h
		return nil
	}},
}

// alertOptionNames lists the option names, for suggestions.
var alertOptionNames = func() []string {
	names := make([]string, len(alertOptionTable))
	for i, o := range alertOptionTable {
		names[i] = o.name
	}
	return names
}()

// lookupAlertOption returns the option named word (any case), or nil.
func lookupAlertOption(word string) *alertOption {
	word = strings.ToLower(word)
	for i := range alertOptionTable {
		if alertOptionTable[i].name == word {
			return &alertOptionTable[i]
		}
	}
	return nil
}

// alertOptions is the one option parser both forms of a rule share: each
// option's value goes through set, then finish applies the defaults.
type alertOptions struct {
	rule *AlertRule
	loc  *time.Location
	seen map[string]bool
}

func newAlertOptions(rule *AlertRule, loc *time.Location, interval time.Duration) *alertOptions {
	if interval <= 0 {
		interval = time.Minute // ALERT_INTERVAL's default
	}
	rule.defaultKeep = 2 * interval
	rule.Keep = rule.defaultKeep
	rule.Repeat = DefaultAlertRepeat
	if rule.Kind == AlertNew {
		rule.Repeat = 0 // a new alert has no incident to remind of
		rule.Wait = DefaultAlertWait
	}
	return &alertOptions{rule: rule, loc: loc, seen: map[string]bool{}}
}

// set reads one option (its name as in the table) for the rule's kind.
func (o *alertOptions) set(opt *alertOption, value string) *QueryError {
	if !slices.Contains(opt.kinds, o.rule.Kind) {
		return &QueryError{Token: opt.name, Message: "The option " + quoteToken(opt.name) + " does not apply to " + conditionWords(o.rule.Kind) + "; " + kindOptions(o.rule.Kind) + "."}
	}
	if o.seen[opt.name] {
		return &QueryError{Token: opt.name, Message: "The option " + quoteToken(opt.name) + " is given twice."}
	}
	o.seen[opt.name] = true
	if strings.TrimSpace(value) == "" {
		return &QueryError{Token: opt.name, Message: "The option " + quoteToken(opt.name) + " needs a value, e.g. " + quoteToken(opt.name+" "+opt.example) + "."}
	}
	return opt.parse(o, value)
}

// conditionWords names a kind of alert for messages.
func conditionWords(k AlertKind) string {
	if k == AlertNew {
		return "a `new` alert"
	}
	return "a `count` alert"
}

// kindOptions lists the options of a kind, for messages.
func kindOptions(k AlertKind) string {
	var names []string
	for _, opt := range alertOptionTable {
		if slices.Contains(opt.kinds, k) {
			names = append(names, "`"+opt.name+"`")
		}
	}
	return "its options are " + joinOr(names, ", ", " and ")
}

// duration reads the duration of an option.
func (o *alertOptions) duration(name, value string) (time.Duration, *QueryError) {
	d, err := schedule.ParseDuration(value)
	if err == nil {
		return d, nil
	}
	reason := "it is not a duration"
	var se *schedule.Error
	if errors.As(err, &se) && se.Reason != "" {
		reason = se.Reason
	}
	return 0, &QueryError{
		Token:   value,
		Message: "I can't read " + quoteToken(name+" "+value) + ": " + reason + ". Durations look like: " + schedule.DurationForms + ".",
	}
}

// conditionPattern is a count condition once its tokens are joined.
var conditionPattern = regexp.MustCompile(`^count(>=|>)([0-9]{1,9})$`)

// parseCondition reads the condition from the first of tokens (their
// text, Slack's &gt; undone): `new`, `count>=5`, `count >= 5`, `count>5`,
// `count>= 5`. It returns how many tokens it used.
func parseCondition(tokens []string) (AlertRule, int, *QueryError) {
	if len(tokens) == 0 {
		return AlertRule{}, 0, &QueryError{Message: "Give the condition and the query, e.g. `count>=5 for 10m live unassigned` or `new online tag:vip`."}
	}
	first := normalizeCondition(tokens[0])
	if first == "new" {
		return AlertRule{Kind: AlertNew}, 1, nil
	}
	if !strings.HasPrefix(first, "count") {
		return AlertRule{}, 0, unknownCondition(tokens[0], first)
	}
	// count, >=, 5 may come as one, two or three tokens.
	text, used := first, 1
	for used < len(tokens) && used < 3 && !strings.ContainsAny(text[len("count"):], "0123456789") {
		next := normalizeCondition(tokens[used])
		if next == "" || !strings.ContainsAny(next[:1], "<>=!0123456789") {
			break
		}
		text += next
		used++
	}
	m := conditionPattern.FindStringSubmatch(text)
	if m == nil {
		return AlertRule{}, 0, badCount(text)
	}
	n, _ := strconv.Atoi(m[2])
	r := AlertRule{Kind: AlertCount, Op: OpAtLeast, Threshold: n}
	if m[1] == ">" {
		r.Op = OpMore
	}
	switch {
	case r.Op == OpAtLeast && n < 1:
		return AlertRule{}, 0, &QueryError{Token: text, Message: "The condition " + quoteToken(text) + " always holds; the count must be at least 1.", Suggestion: "count>=1"}
	case r.Op == OpAtLeast && n > MaxAlertCount, r.Op == OpMore && n >= MaxAlertCount:
		return AlertRule{}, 0, &QueryError{Token: text, Message: "The condition " + quoteToken(text) + " can never hold: counts stop at " + strconv.Itoa(MaxAlertCount) + "."}
	}
	return r, used, nil
}

// normalizeCondition lowers a condition token and undoes Slack's &gt; and
// &lt;, and the ≥ of phones.
func normalizeCondition(s string) string {
	s = strings.ToLower(unescapeSlack(s))
	return strings.ReplaceAll(s, "≥", ">=")
}

// unknownCondition is the error for a first word that is no condition,
// with a suggestion when it is a typo of one (`cuont>=5`, `nwe`).
func unknownCondition(raw, norm string) *QueryError {
	err := &QueryError{Token: raw, Message: "An alert starts with its condition, `count>=N` or `new`; " + quoteToken(raw) + " is neither."}
	word, rest := norm, ""
	if i := strings.IndexAny(norm, "<>=!0123456789 "); i >= 0 {
		word, rest = norm[:i], norm[i:]
	}
	switch {
	case rest != "" && closest(word, []string{"count"}) != "":
		err.Suggestion = "count" + rest
		if conditionPattern.FindString(err.Suggestion) == "" {
			err.Suggestion = "count>=5"
		}
	case rest == "" && closest(word, []string{"new"}) != "":
		err.Suggestion = "new"
	case rest == "" && closest(word, []string{"count"}) != "":
		err.Suggestion = "count>=5"
	}
	return err
}

// badCount is the error for a count condition that does not read.
func badCount(text string) *QueryError {
	err := &QueryError{Token: text, Message: "I can't read the condition " + quoteToken(text) + ": write `count>=N` or `count>N` (e.g. `count>=5`), or `new`."}
	digits := strings.TrimLeft(text[len("count"):], "<>=! ")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return err
	}
	switch op := strings.TrimSpace(text[len("count") : len(text)-len(digits)]); op {
	case "", "=", "==", "=>":
		err.Suggestion = "count>=" + digits
	case "<", "<=", "=<", "!=":
		err.Message = "The condition " + quoteToken(text) + " is not supported: an alert fires when the count is at least (`count>=N`) or more than (`count>N`) a number."
	}
	return err
}

// parseAlertMention reads a notify value: @here, @channel (also as
// Slack's <!here> and <!channel>), a user <@U…> or <@U…|name>, a user group
// <!subteam^S…> or <!subteam^S…|@handle>.
func parseAlertMention(value string) (AlertMention, *QueryError) {
	v := strings.TrimSpace(unescapeSlack(value))
	switch strings.ToLower(v) {
	case "@here", "<!here>", "<!here|@here>", "<!here|here>":
		return AlertMention{Kind: MentionHere}, nil
	case "@channel", "<!channel>", "<!channel|@channel>", "<!channel|channel>":
		return AlertMention{Kind: MentionChannel}, nil
	}
	if id, ok := parseMention(v); ok {
		_, label, _ := strings.Cut(v[2:len(v)-1], "|")
		label = strings.TrimPrefix(strings.TrimSpace(label), "@")
		if label != "" && !validMentionLabel(label, true) {
			label = ""
		}
		return AlertMention{Kind: MentionUser, ID: id, Label: label}, nil
	}
	if inner, ok := strings.CutPrefix(v, "<!subteam^"); ok && strings.HasSuffix(inner, ">") {
		id, label, _ := strings.Cut(inner[:len(inner)-1], "|")
		label = strings.TrimPrefix(label, "@")
		if isSlackID(strings.ToUpper(id)) && (label == "" || validMentionLabel(label, false)) {
			return AlertMention{Kind: MentionGroup, ID: strings.ToUpper(id), Label: label}, nil
		}
	}
	msg := "I can't notify " + quoteToken(value) + ": write `@here`, `@channel`, a person or a user group picked from Slack's @ menu (it sends `<@U…>` or `<!subteam^S…>`)."
	if strings.HasPrefix(v, "@") {
		msg = "I can't notify " + quoteToken(value) + ": pick the person or user group from Slack's @ menu, so that the command carries its id (`<@U…>`, `<!subteam^S…>`); `@here` and `@channel` work as typed."
	}
	err := &QueryError{Token: value, Message: msg}
	if s := closest(strings.TrimPrefix(strings.ToLower(v), "@"), []string{"here", "channel"}); s != "" {
		err.Suggestion = "notify @" + s
	}
	return AlertMention{}, err
}

// validMentionLabel reports whether a mention's label can be written back
// in the canonical form: no quotes, brackets or control characters, and
// no spaces in a user group's handle.
func validMentionLabel(label string, spaces bool) bool {
	if len(label) > 80 || !utf8.ValidString(label) || strings.ContainsAny(label, strongQuotes+"<>|`\n\r\t") || hasWeakQuote(label) {
		return false
	}
	if label != strings.TrimSpace(label) || strings.Contains(label, "  ") {
		return false
	}
	return spaces || !strings.Contains(label, " ")
}

// maxAlertArgs bounds the text of `/inbox alert add`: the query's limit
// plus room for the condition and options.
const maxAlertArgs = MaxQueryLength + 300

// ParseAlertRule reads the arguments of `/inbox alert add` (SPEC §8): the
// condition (`count>=N`, `count >= N`, `count>N` or `new`), then options
// in any order (`for D`, `keep D`, `repeat D|off`, `notify X`, `wait D`,
// `hours "Mon-Fri 08:00-18:00"`, the hours quoted or not), then the query,
// read by Parse with env. Durations are read by schedule.ParseDuration,
// hours by schedule.ParseHours in loc; keep defaults to 2 × interval.
// Errors are *QueryError: one sentence quoting the offending token, with a
// suggestion when one is close (`cuont>=5`, `repaet 4h`). A query whose
// first word is an option's name must quote it (`"keep" online`).
func ParseAlertRule(args string, env Env, loc *time.Location, interval time.Duration) (AlertRule, error) {
	r, err := parseAlertRule(args, env, loc, interval)
	if err != nil {
		return AlertRule{}, err
	}
	return r, nil
}

func parseAlertRule(args string, env Env, loc *time.Location, interval time.Duration) (AlertRule, *QueryError) {
	if !utf8.ValidString(args) {
		return AlertRule{}, &QueryError{Message: "The alert is not valid UTF-8 text."}
	}
	if n := utf8.RuneCountInString(args); n > maxAlertArgs {
		return AlertRule{}, &QueryError{Token: args, Message: "The alert " + quoteToken(args) + " is " + strconv.Itoa(n) + " characters long; the limit is " + strconv.Itoa(maxAlertArgs) + "."}
	}
	sc := &argScanner{s: args}
	// The condition takes at most three tokens.
	head, err := sc.peek(3)
	if err != nil {
		return AlertRule{}, err
	}
	texts := make([]string, len(head))
	for i, t := range head {
		texts[i] = t.text
	}
	rule, used, err := parseCondition(texts)
	if err != nil {
		return AlertRule{}, err
	}
	sc.skip(used)
	opts := newAlertOptions(&rule, loc, interval)
	for {
		next, err := sc.peek(2)
		if err != nil {
			return AlertRule{}, err
		}
		if len(next) == 0 || next[0].quoted {
			break
		}
		opt := lookupAlertOption(next[0].text)
		if opt == nil {
			if err := mistypedOption(next); err != nil {
				return AlertRule{}, err
			}
			break
		}
		sc.skip(1)
		value, err := sc.optionValue(opt, loc)
		if err != nil {
			return AlertRule{}, err
		}
		if err := opts.set(opt, value); err != nil {
			return AlertRule{}, err
		}
	}
	q, err := parse(sc.rest(), env)
	if err != nil {
		return AlertRule{}, err
	}
	// No query, or one that reads as nothing (`""`): stored, the rule would
	// have no query and no longer parse after a restart.
	if q.Canonical() == "" {
		return AlertRule{}, &QueryError{Message: "Give the query the alert watches after the condition and options, e.g. " + quoteToken(rule.Condition()+" live unassigned") + "."}
	}
	rule.Query = q
	return rule, nil
}

// mistypedOption reports `repaet 4h` as a typo of `repeat 4h`: the word is
// close to an option's name and the next token is a value of that option.
// Otherwise the word starts the query: a search for "fort" stays one.
func mistypedOption(next []queryToken) *QueryError {
	if len(next) < 2 {
		return nil
	}
	word := next[0].text
	guess := closest(word, alertOptionNames)
	if guess == "" {
		return nil
	}
	value := next[1].text
	valid := false
	switch guess {
	case "notify":
		_, err := parseAlertMention(value)
		valid = err == nil
	case "hours":
		_, err := schedule.ParseHours(value, nil)
		valid = err == nil
	case "repeat":
		_, err := schedule.ParseDuration(value)
		valid = err == nil || strings.EqualFold(value, "off")
	default:
		_, err := schedule.ParseDuration(value)
		valid = err == nil
	}
	if !valid {
		return nil
	}
	return &QueryError{
		Token:      word,
		Message:    quoteToken(word) + " is not an alert option; they are " + joinOr(alertOptionNames, ", ", " and ") + ".",
		Suggestion: guess + " " + value,
	}
}

// argScanner walks the tokens of the arguments one at a time, so that what
// follows the options reaches Parse exactly as it was sent.
type argScanner struct {
	s   string
	pos int // the start of the next token (or white space before it)
}

// peek returns up to n tokens from pos without consuming them.
func (sc *argScanner) peek(n int) ([]queryToken, *QueryError) {
	var out []queryToken
	i := sc.pos
	for len(out) < n {
		i = skipSpace(sc.s, i)
		if i >= len(sc.s) {
			break
		}
		t, next, err := scanToken(sc.s, i)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
		i = next
	}
	return out, nil
}

// skip consumes n tokens (which peek has read without error).
func (sc *argScanner) skip(n int) {
	for range n {
		sc.pos = skipSpace(sc.s, sc.pos)
		if sc.pos >= len(sc.s) {
			return
		}
		_, next, _ := scanToken(sc.s, sc.pos)
		sc.pos = next
	}
}

// rest returns the text after the consumed tokens.
func (sc *argScanner) rest() string { return sc.s[sc.pos:] }

// maxHoursTokens bounds how many tokens an unquoted `hours` value may take.
const maxHoursTokens = 16

// optionValue consumes an option's value. Most take one token; a duration
// may be written `10 min`; unquoted hours take the longest run of tokens
// that reads as hours (`hours Mon-Fri 08:00-18:00 live` stops before
// `live`).
func (sc *argScanner) optionValue(opt *alertOption, loc *time.Location) (string, *QueryError) {
	n := 1
	if opt.name == "hours" {
		n = maxHoursTokens
	} else if opt.name != "notify" {
		n = 2
	}
	next, err := sc.peek(n)
	if err != nil {
		return "", err
	}
	if len(next) == 0 {
		return "", &QueryError{Token: opt.name, Message: "The option " + quoteToken(opt.name) + " needs a value, e.g. " + quoteToken(opt.name+" "+opt.example) + "."}
	}
	switch {
	case opt.name == "hours" && !next[0].quoted:
		return sc.hoursValue(next, loc), nil
	case opt.name == "notify" || opt.name == "hours" || len(next) == 1:
	default:
		// `10 min`: a number followed by a unit word.
		if _, err := schedule.ParseDuration(next[0].text); err != nil && !next[1].quoted && isLetters(next[1].text) {
			if _, err := schedule.ParseDuration(next[0].text + next[1].text); err == nil {
				sc.skip(2)
				return next[0].text + " " + next[1].text, nil
			}
		}
	}
	sc.skip(1)
	return next[0].text, nil
}

// hoursValue consumes the longest run of tokens that reads as hours, or
// one token when none does (its error is then the option's).
func (sc *argScanner) hoursValue(tokens []queryToken, loc *time.Location) string {
	best := 1
	text := ""
	for i, t := range tokens {
		if t.quoted {
			break
		}
		if i > 0 {
			text += " "
		}
		text += t.text
		if _, err := schedule.ParseHours(text, loc); err == nil {
			best = i + 1
		}
	}
	parts := make([]string, best)
	for i := range best {
		parts[i] = tokens[i].text
	}
	sc.skip(best)
	return strings.Join(parts, " ")
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

// isLetters reports whether s is ASCII letters only.
func isLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isASCIILetter(s[i]) {
			return false
		}
	}
	return true
}

// AlertRuleFromFile checks an alert of RULES_FILE and returns its rule:
// `when` is the condition, for/keep/repeat/notify/wait/hours the options
// (read by the same parser as the command's), query the query. Errors are
// *RulesFileError with the line of the offending field.
func AlertRuleFromFile(fa FileAlert, env Env, loc *time.Location, interval time.Duration) (AlertRule, error) {
	lineOf := func(field string) int {
		if n, ok := fa.Lines[field]; ok {
			return n
		}
		return fa.Line
	}
	fail := func(field string, err *QueryError) error {
		return &RulesFileError{Line: lineOf(field), Reason: "`" + field + "`: " + errorText(err)}
	}
	if !utf8.ValidString(fa.When) {
		return AlertRule{}, fail("when", &QueryError{Message: "it is not valid UTF-8 text."})
	}
	whenTokens, qerr := tokenize(fa.When)
	if qerr != nil {
		return AlertRule{}, fail("when", qerr)
	}
	texts := make([]string, len(whenTokens))
	for i, t := range whenTokens {
		texts[i] = t.text
	}
	rule, used, qerr := parseCondition(texts)
	if qerr != nil {
		return AlertRule{}, fail("when", qerr)
	}
	if used < len(texts) {
		return AlertRule{}, fail("when", &QueryError{Token: fa.When, Message: "The condition " + quoteToken(fa.When) + " has more than a condition; options have keys of their own (for:, keep:, ...)."})
	}
	opts := newAlertOptions(&rule, loc, interval)
	for _, opt := range alertOptionTable {
		value := fa.optionValue(opt.name)
		if _, given := fa.Lines[opt.name]; !given && value == "" {
			continue
		}
		if err := opts.set(&opt, unquoteValue(value)); err != nil {
			return AlertRule{}, fail(opt.name, err)
		}
	}
	if isBlankText(fa.Query) {
		return AlertRule{}, fail("query", &QueryError{Message: "it is empty; give the query the alert watches, e.g. live unassigned."})
	}
	q, qerr := parse(fa.Query, env)
	if qerr != nil {
		return AlertRule{}, fail("query", qerr)
	}
	if q.Canonical() == "" {
		return AlertRule{}, fail("query", &QueryError{Message: "it reads as no query at all; give the query the alert watches, e.g. live unassigned."})
	}
	rule.Query = q
	return rule, nil
}

// optionValue returns the field of an option.
func (a *FileAlert) optionValue(name string) string {
	switch name {
	case "for":
		return a.For
	case "keep":
		return a.Keep
	case "repeat":
		return a.Repeat
	case "notify":
		return a.Notify
	case "wait":
		return a.Wait
	case "hours":
		return a.Hours
	}
	return ""
}

// unquoteValue drops quotes around a whole value (`hours: '"Mon-Fri
// 08:00-18:00"'`), as the command's lexer does.
func unquoteValue(v string) string {
	v = strings.TrimSpace(v)
	r, size := utf8.DecodeRuneInString(v)
	last, lastSize := utf8.DecodeLastRuneInString(v)
	if len(v) >= size+lastSize && isQuote(r) && isQuote(last) {
		return strings.TrimSpace(v[size : len(v)-lastSize])
	}
	return v
}
