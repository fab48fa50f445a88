package commands

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/commands/schedule"
)

// The sources of a digest, as `digest list` shows them.
const (
	DigestSourceSlack = "slack"
	DigestSourceFile  = "rules file"
)

// DigestDefaultQuery is what a digest watches when `digest add` names no
// query: live chats nobody is assigned to (SPEC §7's morning queue).
const DigestDefaultQuery = "live unassigned"

// MaxDigestTitle is the longest title, in characters: the header (150)
// also holds the count.
const MaxDigestTitle = 100

// maxDigestArgs bounds the text after `digest add`: a schedule, a title and
// a query of the longest lengths, with room for the words between.
const maxDigestArgs = schedule.MaxLength + MaxDigestTitle + MaxQueryLength + 40

// DigestBlockPrefix starts the block_id of a digest's buttons, so that the
// bot tells a click on a digest (answered with an ephemeral page) from a
// click on an answer (which replaces it).
const DigestBlockPrefix = "digest_"

// Block ids of a digest message.
const (
	blockDigestHead      = DigestBlockPrefix + "head"
	blockDigestQuery     = DigestBlockPrefix + "query"
	blockDigestWaiting   = DigestBlockPrefix + "waiting"
	blockDigestBreakdown = DigestBlockPrefix + "breakdown"
	blockDigestEmpty     = DigestBlockPrefix + "empty"
	blockDigestFooter    = DigestBlockPrefix + "footer"
	blockDigestActions   = DigestBlockPrefix + "actions"
	blockDigestAdded     = DigestBlockPrefix + "added"
	blockDigestList      = DigestBlockPrefix + "list_"
	blockDigestListHead  = DigestBlockPrefix + "list_head"
	blockDigestListMore  = DigestBlockPrefix + "list_more"
)

// IsDigestBlock reports whether a clicked action's block_id belongs to a
// digest message.
func IsDigestBlock(blockID string) bool { return strings.HasPrefix(blockID, DigestBlockPrefix) }

// Digest is a saved digest (store kind "digest", versioned JSON v1, id "d3"
// or a file id).
type Digest struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	Schedule  string    `json:"schedule"` // canonical schedule text (schedule.Schedule.String())
	Query     string    `json:"query"`    // canonical query
	Title     string    `json:"title,omitempty"`
	Quiet     bool      `json:"quiet,omitempty"`
	Paused    bool      `json:"paused,omitempty"`
	PausedWhy string    `json:"paused_why,omitempty"` // e.g. "Slack said not_in_channel at 09:00"
	CreatedBy string    `json:"created_by,omitempty"` // Slack user id
	CreatedAt time.Time `json:"created_at"`
	Source    string    `json:"source"`              // DigestSourceSlack or DigestSourceFile
	LastSlot  time.Time `json:"last_slot,omitempty"` // last slot handled (scheduler's After)
	// Words is the query in words when the digest was saved, for display
	// only (the confirmation); "" in records that do not have it.
	Words string `json:"words,omitempty"`
}

// DigestAdd is what `/inbox digest add SCHEDULE [quiet] [title "..."] QUERY`
// says.
type DigestAdd struct {
	Schedule schedule.Schedule
	Title    string
	Quiet    bool
	Query    *Query
}

// NewDigest is the record of a digest added from Slack: id and channel from
// the bot, the rest from the command.
func NewDigest(add DigestAdd, id, channel, createdBy string, now time.Time) Digest {
	return Digest{
		ID:        id,
		Channel:   channel,
		Schedule:  add.Schedule.String(),
		Query:     add.Query.Canonical(),
		Words:     add.Query.Words(),
		Title:     add.Title,
		Quiet:     add.Quiet,
		CreatedBy: createdBy,
		CreatedAt: now,
		Source:    DigestSourceSlack,
	}
}

// digestAddUsage is the usage of `digest add`, for its errors.
const digestAddUsage = "Usage: `/inbox digest add SCHEDULE [quiet] [title \"...\"] QUERY`, e.g. `/inbox digest add weekdays 09:00 quiet title \"Morning queue\" live unassigned`. Schedules look like: " + schedule.Forms + "."

// argToken is one token of the arguments and where it ends.
type argToken struct {
	queryToken
	start, end int // byte offsets in the arguments
}

// tokenizeArgs splits the arguments as the query lexer does (quotes hold
// spaces), keeping where each token is so the rest can go to Parse as typed.
func tokenizeArgs(s string) ([]argToken, *QueryError) {
	var tokens []argToken
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		tok, next, err := scanToken(s, i)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, argToken{tok, i, next})
		i = next
	}
	return tokens, nil
}

// ParseDigestAdd reads the args of `digest add` (the Args of
// *DigestCommand). The schedule is the longest leading run of words that
// schedule.Parse accepts, or a quoted one (`"daily 09:00" online`); then
// come `quiet` and `title "..."` in any order, then the query
// (DigestDefaultQuery when there is none). Errors are *QueryError: a
// schedule that cannot be read gets the schedule's message (quoting it and
// showing the forms), a missing one the usage.
func ParseDigestAdd(args string, env Env, loc *time.Location) (DigestAdd, error) {
	if err := checkArgs(args); err != nil {
		return DigestAdd{}, err
	}
	tokens, qerr := tokenizeArgs(args)
	if qerr != nil {
		return DigestAdd{}, qerr
	}
	sched, n, err := leadingSchedule(args, tokens, loc)
	if err != nil {
		return DigestAdd{}, err
	}
	add := DigestAdd{Schedule: sched}
	rest, err := digestOptions(args, tokens[n:], &add.Title, &add.Quiet)
	if err != nil {
		return DigestAdd{}, err
	}
	add.Query, err = parseDigestQuery(rest, env)
	if err != nil {
		return DigestAdd{}, err
	}
	return add, nil
}

// ParseDigestPreview reads `digest preview [title "..."] QUERY`; a blank
// query is DigestDefaultQuery. A `quiet` is accepted and ignored, so that
// the options of a `digest add` can be pasted.
func ParseDigestPreview(args string, env Env) (title string, q *Query, err error) {
	if err := checkArgs(args); err != nil {
		return "", nil, err
	}
	tokens, qerr := tokenizeArgs(args)
	if qerr != nil {
		return "", nil, qerr
	}
	var quiet bool // accepted so that the options of an add can be pasted; a preview always shows
	rest, err := digestOptions(args, tokens, &title, &quiet)
	if err != nil {
		return "", nil, err
	}
	q, err = parseDigestQuery(rest, env)
	if err != nil {
		return "", nil, err
	}
	return title, q, nil
}

func checkArgs(args string) error {
	if !utf8.ValidString(args) {
		return &QueryError{Message: "The command is not valid UTF-8 text."}
	}
	if n := utf8.RuneCountInString(args); n > maxDigestArgs {
		return &QueryError{Token: args, Message: "The command is " + strconv.Itoa(n) + " characters long; the limit is " + strconv.Itoa(maxDigestArgs) + "."}
	}
	return nil
}

// leadingSchedule reads the schedule at the start of the arguments and
// returns it with the number of tokens it took.
func leadingSchedule(args string, tokens []argToken, loc *time.Location) (schedule.Schedule, int, error) {
	if len(tokens) == 0 || endsSchedule(tokens[0]) && !tokens[0].quoted {
		return schedule.Schedule{}, 0, &QueryError{Message: "Which schedule? " + digestAddUsage}
	}
	if tokens[0].quoted {
		s, err := schedule.Parse(tokens[0].text, loc)
		if err != nil {
			return schedule.Schedule{}, 0, scheduleError(err)
		}
		return s, 1, nil
	}
	// The schedule cannot reach past a word that starts the options or
	// the query: a bad schedule is then quoted without the query.
	limit := len(tokens)
	for i := 1; i < len(tokens); i++ {
		if endsSchedule(tokens[i]) {
			limit = i
			break
		}
	}
	for k := limit; k >= 1; k-- {
		if s, err := schedule.Parse(args[tokens[0].start:tokens[k-1].end], loc); err == nil {
			return s, k, nil
		}
	}
	_, err := schedule.Parse(args[tokens[0].start:tokens[limit-1].end], loc)
	return schedule.Schedule{}, 0, scheduleError(err)
}

// endsSchedule reports whether a token cannot be part of a schedule: a
// quoted one, an option of `digest add`, or a query qualifier (`live`,
// `-live`, `tag:vip`).
func endsSchedule(t argToken) bool {
	if t.quoted {
		return true
	}
	w := strings.ToLower(t.text)
	if w == "quiet" || w == "title" || qualifiers.isKeyword(w) {
		return true
	}
	if len(w) >= 2 && w[0] == '-' && isASCIILetter(w[1]) {
		return true
	}
	key, _, ok := strings.Cut(w, ":")
	return ok && len(key) >= 2 && strings.TrimFunc(key, func(r rune) bool { return r < utf8.RuneSelf && isASCIILower(byte(r)) }) == ""
}

// scheduleError turns a schedule.Error into the QueryError of a command.
func scheduleError(err error) error {
	var se *schedule.Error
	if errors.As(err, &se) {
		return &QueryError{Token: se.Input, Message: se.Error()}
	}
	return &QueryError{Message: err.Error()}
}

// digestOptions reads `quiet` and `title "..."` from the start of tokens,
// and returns the rest of args: the query.
func digestOptions(args string, tokens []argToken, title *string, quiet *bool) (string, error) {
	i := 0
	for i < len(tokens) {
		t := tokens[i]
		if t.quoted {
			break
		}
		switch strings.ToLower(t.text) {
		case "quiet":
			*quiet = true
			i++
			continue
		case "title":
			if *title != "" {
				return "", &QueryError{Token: t.raw, Message: "The digest has two titles; give one."}
			}
			if i+1 >= len(tokens) || !tokens[i+1].quoted {
				return "", &QueryError{Token: t.raw, Message: "Put the title in quotes: `title \"Morning queue\"`."}
			}
			s, err := digestTitle(tokens[i+1].text)
			if err != nil {
				return "", err
			}
			*title = s
			i += 2
			continue
		}
		break
	}
	return restOf(args, tokens, i), nil
}

// restOf is the text of args from token i on ("" when there is none).
func restOf(args string, tokens []argToken, i int) string {
	if i >= len(tokens) {
		return ""
	}
	return args[tokens[i].start:]
}

// digestTitle checks a title as typed: Slack's escaping undone, white space
// collapsed, not empty, at most MaxDigestTitle characters.
func digestTitle(s string) (string, error) {
	s = collapseSpace(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, decodeSlack(s)))
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", &QueryError{Message: "The title is empty: write it in quotes, e.g. `title \"Morning queue\"`."}
	case n > MaxDigestTitle:
		return "", &QueryError{Token: s, Message: "The title is " + strconv.Itoa(n) + " characters long; the limit is " + strconv.Itoa(MaxDigestTitle) + "."}
	}
	return s, nil
}

// parseDigestQuery reads a digest's query: DigestDefaultQuery when blank,
// never a page past the first (a digest always starts at page 1).
func parseDigestQuery(text string, env Env) (*Query, error) {
	if isBlankText(text) {
		text = DigestDefaultQuery
	}
	q, err := Parse(text, env)
	if err != nil {
		return nil, err
	}
	if q.Page() > 1 {
		return nil, &QueryError{Token: "page:" + strconv.Itoa(q.Page()), Message: "A digest always shows the first page: drop `page:" + strconv.Itoa(q.Page()) + "` from the query."}
	}
	return q, nil
}

// digestIDPattern is every id a digest can have: the bot's (d3) and an
// operator's (morning-queue), both lower case.
var digestIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ParseDigestID reads the args of run/remove/pause/resume: one id (any
// case, backticks of a copied `d3` dropped), returned in lower case; an
// error with the usage otherwise.
func ParseDigestID(verb, args string) (string, error) {
	return parseRuleID("digest", "d3", verb, args)
}

// parseRuleID reads one rule id for `/inbox COMMAND VERB ID` (digests and
// alerts share the form of their ids); example is an id for the usage.
func parseRuleID(command, example, verb, args string) (string, error) {
	usage := "Usage: `/inbox " + command + " " + escapeCode(verb) + " ID`, e.g. `/inbox " + command + " " + escapeCode(verb) + " " + example + "`; `/inbox " + command + " list` shows the ids."
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return "", &QueryError{Message: "Which " + command + "? " + usage}
	}
	if len(fields) > 1 {
		return "", &QueryError{Token: args, Message: "Give one " + command + " id, not " + quoteToken(escapeCode(args)) + ". " + usage}
	}
	id := strings.ToLower(strings.Trim(fields[0], "`"))
	if !digestIDPattern.MatchString(id) {
		return "", &QueryError{Token: fields[0], Message: quoteToken(escapeCode(fields[0])) + " is not " + article(command) + " " + command + " id. " + usage}
	}
	return id, nil
}

// article is "a" or "an" before word.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// The sentences of the digest commands. They are mrkdwn: send them with
// RenderMrkdwn. Ids are the ones ParseDigestID returns (safe as they are);
// DigestAdminsOnly holds user mentions, which RenderNotice would defuse.

// DigestNotInChannel is the answer when the bot may not post in the
// channel of a new digest.
func DigestNotInChannel() string {
	return "I can't post in this channel yet: `/invite @inboxbot`, then try again."
}

// slackUserPattern is a Slack user id, safe to mention.
var slackUserPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// DigestAdminsOnly is the refusal of verb (add, remove, pause, resume) to
// someone who is not in ADMIN_USERS; it names the admins as mentions.
func DigestAdminsOnly(verb string, admins []string) string {
	return adminsOnly("digest", verb, admins)
}

// adminsOnly refuses `/inbox COMMAND VERB` to someone who is not in
// ADMIN_USERS, naming the admins (valid user ids only) as mentions.
func adminsOnly(command, verb string, admins []string) string {
	var who []string
	for _, a := range admins {
		if slackUserPattern.MatchString(a) {
			who = append(who, "<@"+a+">")
		}
	}
	what := "`/inbox " + command + " " + escapeCode(verb) + "`"
	if len(who) == 0 {
		return "Only the admins (ADMIN_USERS) may use " + what + "."
	}
	if len(who) > 20 {
		who = append(who[:20], "…")
	}
	return "Only " + joinOr(who, ", ", " and ") + " may use " + what + ": ask one of them."
}

// DigestNotFound is the answer to an id that names no digest.
func DigestNotFound(id string) string {
	return "There is no digest " + CodeSpan(id) + " here: `/inbox digest list` shows them."
}

// DigestFileRule refuses to remove a digest declared in RULES_FILE.
func DigestFileRule(id string) string {
	return CodeSpan(id) + " is declared in RULES_FILE: edit the file to remove it."
}

// DigestRemoved confirms `digest remove`.
func DigestRemoved(id string) string {
	return "Removed digest " + CodeSpan(id) + "."
}

// DigestPausedMsg confirms `digest pause`.
func DigestPausedMsg(id string) string {
	return "Paused digest " + CodeSpan(id) + ": it posts nothing until `/inbox digest resume " + escapeCode(id) + "`."
}

// DigestResumed confirms `digest resume`; next is its next run, shown in
// its own zone (zero: none is known).
func DigestResumed(id string, next time.Time) string {
	if next.IsZero() {
		return "Resumed digest " + CodeSpan(id) + "."
	}
	return "Resumed digest " + CodeSpan(id) + ": next run " + next.Format("Mon 2 Jan 15:04 MST") + "."
}
