package commands

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/convertalk/inboxbot/inbox"
)

// queryBuilder collects a query token by token, remembering which token set
// what so that contradictions can quote both sides.
type queryBuilder struct {
	env  Env
	loc  *time.Location
	q    Query
	text []string

	toggleTok  [numToggles]string
	clauseTok  [numLists][]string // parallel to q.lists[k].all
	notTok     [numLists][]string // parallel to q.lists[k].not
	seenTok    []string
	createdTok []string
	waitingTok []string
	pageTok    string

	// The configured bot ids per channel (inbox.Channels order), found on
	// first use.
	bots      [4][]string
	botsKnown [4]bool
}

func newQueryBuilder(env Env) *queryBuilder {
	loc := env.Location
	if loc == nil {
		loc = time.UTC
	}
	return &queryBuilder{env: env, loc: loc}
}

// add reads one token. The rules, in order: a token that begins with a quote
// is free text; `key:value` whose key is ASCII letters is a qualifier (an
// unknown key is an error, except URL schemes such as https: and values
// starting with //, which are text); a Slack mention means assigned:; a
// keyword (online, live, ...) is a qualifier; `-word` is an exclusion and must
// name something that can be excluded; everything else is free text.
func (b *queryBuilder) add(t queryToken) *QueryError {
	if t.quoted {
		b.addText(t.text)
		return nil
	}
	neg := isNegation(t)
	if key, value, ok := splitKey(t, neg); ok {
		return b.addKeyValue(t, key, value, neg)
	}
	word := t.raw
	if neg {
		word = word[1:]
	}
	if _, ok := parseMention(word); ok {
		return b.addAgentList(t, word, neg)
	}
	if q := qualifiers.byWord[strings.ToLower(word)]; q != nil {
		return q.keyword(b, t, neg)
	}
	if err := unknownColon(t); err != nil {
		return err
	}
	if neg {
		return b.unknownNegation(t)
	}
	b.addText(t.text)
	return nil
}

func (b *queryBuilder) addText(s string) {
	b.text = append(b.text, strings.Fields(s)...)
}

func (b *queryBuilder) addKeyValue(t queryToken, key, value string, neg bool) *QueryError {
	prefix := ""
	if neg {
		prefix = "-"
	}
	q := qualifiers.byKey[key]
	switch {
	case q != nil:
	case slices.Contains(flagKeys, key):
		return b.addFlag(t, key, value, neg)
	case looksLikeURL(key, value):
		b.addText(t.text)
		return nil
	case qualifiers.byWord[key] != nil:
		return badToken(t, "`"+key+"` takes no value", prefix+key)
	default:
		if s := closest(key, qualifiers.keyNames); s != "" {
			return badToken(t, "there is no qualifier `"+key+":`", prefix+s+":"+joinValues([]string{collapseSpace(value)}))
		}
		return badToken(t, "there is no qualifier `"+key+":`; `/inbox help` lists them (quote the text to search for it)", "")
	}
	if neg && q.negation == "" {
		return badToken(t, "`"+key+":` cannot be negated: "+q.noNegation, "")
	}
	if collapseSpace(value) == "" {
		return badToken(t, "`"+key+":` needs a value, such as `"+q.forms[0]+"`", "")
	}
	return q.value(b, t, value, neg)
}

// unknownColon explains a token written like key:value whose key is not
// plain letters (those are addKeyValue's): a key close to a qualifier's once
// normalised (chann0el:, ｔａｇ:, status*:, assigneéd:) gets the did-you-mean,
// and any other is an error too unless the token reads as text (a time, a
// URL, an email, an emoji code). Quoted tokens never come here. It returns
// nil for text.
func unknownColon(t queryToken) *QueryError {
	body, prefix := t.raw, ""
	if rest, ok := strings.CutPrefix(body, "-"); ok {
		body, prefix = rest, "-"
	}
	if isEmojiCode(body) {
		return nil
	}
	key, colon, value, ok := colonKey(body)
	// A key of punctuation alone (:tag:vip) hides the real one behind it.
	for ok && foldKey(key) == "" {
		key, colon, value, ok = colonKey(value)
	}
	if !ok {
		return nil
	}
	const hint = "quote the text to search for it"
	if s := closest(foldKey(key), qualifiers.keyNames); s != "" {
		return badToken(t, "there is no qualifier `"+key+colon+"` ("+hint+")", prefix+s+":"+joinValues([]string{collapseSpace(value)}))
	}
	if colonIsText(norm.NFKC.String(key), value) {
		return nil
	}
	return badToken(t, "there is no qualifier `"+key+colon+"`; `/inbox help` lists them ("+hint+")", "")
}

// addFlag reads is:online, has:order, no:assignee and their negations.
func (b *queryBuilder) addFlag(t queryToken, key, value string, neg bool) *QueryError {
	form := key + ":" + strings.ToLower(collapseSpace(value))
	hit, ok := qualifiers.byFlag[form]
	if !ok {
		err := badToken(t, "`"+form+"` is not something a contact can be or have; these are: "+strings.Join(qualifiers.flagNames, ", "), "")
		if s := closest(form, qualifiers.flagNames); s != "" {
			if neg {
				s = "-" + s
			}
			err.Suggestion = s
		}
		return err
	}
	return hit.q.keyword(b, t, neg != hit.neg)
}

func (b *queryBuilder) unknownNegation(t queryToken) *QueryError {
	err := badToken(t, "only qualifiers can be excluded with `-` (like `-live` or `-tag:spam`); to search for the word, quote it: `\""+t.text+"\"`", "")
	if s := closest(t.raw, qualifiers.negatable); s != "" {
		err.Suggestion = s
	}
	return err
}

// badToken builds the error for token t: "`token`: problem."
func badToken(t queryToken, problem, suggestion string) *QueryError {
	return &QueryError{Token: t.raw, Message: quoteToken(t.raw) + ": " + problem + ".", Suggestion: suggestion}
}

// contradicts is the error for two tokens no contact can satisfy together.
func contradicts(first, second string) *QueryError {
	return &QueryError{
		Token:   second,
		Message: quoteToken(second) + " contradicts " + quoteToken(first) + ": no contact can match both.",
	}
}

func (b *queryBuilder) setToggle(k toggle, v bool, t queryToken) *QueryError {
	want := triOf(v)
	switch b.q.toggles[k] {
	case unset:
		b.q.toggles[k], b.toggleTok[k] = want, t.raw
	case want:
	default:
		return contradicts(b.toggleTok[k], t.raw)
	}
	return nil
}

func (b *queryBuilder) addOrderedSince(t queryToken, value string, neg bool) *QueryError {
	if neg {
		return badToken(t, "`ordered:` with a time cannot be negated: the API cannot say \"no order since\"; `-ordered` means never ordered", "")
	}
	c, problem, _ := parseDateCond(value, b.env.Now, b.loc)
	if problem == "" && (c.rng.From.IsZero() || !c.rng.Until.IsZero()) {
		problem = "says when an order ended; the API only takes a start, like `ordered:<7d` or `ordered:>=2026-11-01`"
	}
	if problem != "" {
		return badToken(t, "`"+collapseSpace(value)+"` "+problem, "")
	}
	if err := b.setToggle(toggleOrdered, true, t); err != nil {
		return err
	}
	b.q.ordered = append(b.q.ordered, c)
	return nil
}

func (b *queryBuilder) addDate(t queryToken, conds *[]dateCond, toks *[]string, key, value string) *QueryError {
	c, problem, fix := parseDateCond(value, b.env.Now, b.loc)
	if problem != "" {
		if fix != "" {
			fix = key + ":" + fix
		}
		return badToken(t, "`"+collapseSpace(value)+"` "+problem, fix)
	}
	*conds = append(*conds, c)
	*toks = append(*toks, t.raw)
	return nil
}

func (b *queryBuilder) addWaiting(t queryToken, value string) *QueryError {
	c, problem, fix := parseWaiting(collapseSpace(value))
	if problem != "" {
		if fix != "" {
			fix = "waiting:" + fix
		}
		return badToken(t, "`"+collapseSpace(value)+"` "+problem, fix)
	}
	b.q.waiting = append(b.q.waiting, c)
	b.waitingTok = append(b.waitingTok, t.raw)
	return nil
}

func (b *queryBuilder) setPage(t queryToken, value string) *QueryError {
	v := collapseSpace(value)
	digits := strings.TrimPrefix(v, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return badToken(t, "`"+v+"` is not a page number", "")
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil && !strings.HasPrefix(v, "-"), n > inbox.MaxPage:
		return badToken(t, "the page must be at most "+strconv.Itoa(inbox.MaxPage), "")
	case err != nil || n < 1:
		return badToken(t, "the page must be at least 1", "page:1")
	case b.q.page != 0 && b.q.page != n:
		return badToken(t, "the page is already given by "+quoteToken(b.pageTok), "")
	}
	b.q.page, b.pageTok = n, t.raw
	return nil
}

// enumValue is one value of an enumerated list qualifier.
type enumValue struct {
	canon    string   // as the canonical query writes it
	value    string   // as the API takes it
	display  string   // in words
	synonyms []string // other accepted spellings
}

var statusValues = []enumValue{
	{"open", string(inbox.StatusOpen), "open", nil},
	{"inprogress", string(inbox.StatusInProgress), "in progress", []string{"in-progress", "in_progress", "in progress"}},
	{"review", string(inbox.StatusReview), "review", nil},
	{"onhold", string(inbox.StatusOnHold), "on hold", []string{"on-hold", "on_hold", "on hold"}},
	// DEPENDANCY is the API's spelling, for the request body only; people
	// read and write "dependency" (the old spelling is still accepted).
	{"dependency", string(inbox.StatusDependancy), "dependency", []string{"dependancy"}},
	{"closed", string(inbox.StatusClosed), "closed", nil},
}

var channelValues = []enumValue{
	{"website", string(inbox.Website), "Website", []string{"web", "site"}},
	{"whatsapp", string(inbox.WhatsApp), "WhatsApp", []string{"wa"}},
	{"telegram", string(inbox.Telegram), "Telegram", []string{"tg"}},
	{"facebook", string(inbox.Facebook), "Facebook", []string{"fb", "messenger"}},
}

var senderValues = []enumValue{
	{"user", string(inbox.ByUser), "the contact", []string{"contact", "customer"}},
	{"bot", string(inbox.ByBot), "the bot", nil},
	{"agent", string(inbox.ByAgent), "an agent", nil},
}

// enumTerm reads one value of an enum; on failure it returns the problem
// and the nearest value, if any.
func enumTerm(values []enumValue, what, v string) (valueTerm, string, string) {
	lv := strings.ToLower(v)
	for i, e := range values {
		if lv == e.canon || slices.Contains(e.synonyms, lv) {
			return valueTerm{canon: e.canon, value: e.value, rank: i}, "", ""
		}
	}
	var spellings []string
	canon := make([]string, len(values))
	for i, e := range values {
		canon[i] = e.canon
		spellings = append(spellings, e.canon)
		spellings = append(spellings, e.synonyms...)
	}
	fix := closest(lv, spellings)
	for _, e := range values {
		if slices.Contains(e.synonyms, fix) {
			fix = e.canon
		}
	}
	return valueTerm{}, "`" + v + "` is not a " + what + "; use " + joinOr(canon, ", ", " or "), fix
}

// termWords returns how a value of list k reads in words.
func termWords(k listKind, t valueTerm) string {
	var values []enumValue
	switch k {
	case listStatus:
		values = statusValues
	case listChannel:
		values = channelValues
	case listLast:
		values = senderValues
	default:
		return t.canon
	}
	return values[t.rank].display
}

// addList reads the comma list of a list qualifier: a clause, or exclusions.
func (b *queryBuilder) addList(k listKind, t queryToken, value string, neg bool) *QueryError {
	items := splitList(value)
	if k == listAssigned {
		items = splitAgents(value)
	}
	if len(items) == 0 {
		return badToken(t, "`"+listKeys[k]+":` needs a value", "")
	}
	terms := make([]valueTerm, 0, len(items))
	for i, item := range items {
		term, problem, fix := b.term(k, item)
		if problem != "" {
			err := badToken(t, problem, "")
			if fix != "" {
				fixed := slices.Clone(items)
				fixed[i] = fix
				fixed = uniqueStrings(fixed) // open,opn -> open, not open,open
				err.Suggestion = negPrefix(neg) + listKeys[k] + ":" + joinValues(fixed)
			}
			return err
		}
		terms = append(terms, term)
	}
	l := &b.q.lists[k]
	if neg {
		l.not = append(l.not, terms...)
		for range terms {
			b.notTok[k] = append(b.notTok[k], t.raw)
		}
		return nil
	}
	l.all = append(l.all, terms)
	b.clauseTok[k] = append(b.clauseTok[k], t.raw)
	return nil
}

// addAgentList reads mine (value @me) and bare mentions as assigned:.
func (b *queryBuilder) addAgentList(t queryToken, value string, neg bool) *QueryError {
	return b.addList(listAssigned, t, value, neg)
}

// uniqueStrings drops repeated values, keeping the first of each.
func uniqueStrings(values []string) []string {
	out := values[:0]
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func negPrefix(neg bool) string {
	if neg {
		return "-"
	}
	return ""
}

// listKeys are the canonical keys of the list qualifiers.
var listKeys = [numLists]string{"tag", "status", "channel", "assigned", "segment", "last"}

// term reads one value of list qualifier k.
func (b *queryBuilder) term(k listKind, v string) (valueTerm, string, string) {
	switch k {
	case listStatus:
		return enumTerm(statusValues, "status", v)
	case listChannel:
		return enumTerm(channelValues, "channel", v)
	case listLast:
		return enumTerm(senderValues, "sender (who wrote last)", v)
	case listAssigned:
		return b.agentTerm(v)
	case listSegment:
		return b.segmentTerm(v)
	}
	return valueTerm{canon: v, value: v}, "", ""
}

func (b *queryBuilder) agentTerm(v string) (valueTerm, string, string) {
	aliases := b.env.Aliases
	lv := strings.ToLower(v)
	if lv == "@me" || lv == "me" {
		if b.env.SlackUser == "" {
			return valueTerm{}, "`@me` needs to know who you are: it works in Slack, for people linked to an agent in INBOX_AGENTS", ""
		}
		return b.slackUserTerm(b.env.SlackUser, "your Slack user ("+b.env.SlackUser+")")
	}
	if user, ok := parseMention(v); ok {
		return b.slackUserTerm(user, "Slack user `"+v+"`")
	}
	if isHexID(lv) {
		canon := aliases.agentName(lv)
		if canon == "" {
			canon = lv
		}
		return valueTerm{canon: canon, value: lv}, "", ""
	}
	name := strings.TrimPrefix(lv, "@")
	if a, ok := aliases.Agents[name]; ok {
		return valueTerm{canon: aliases.agentName(a.ID), value: a.ID}, "", ""
	}
	return valueTerm{}, unknownAlias("an agent", "INBOX_AGENTS", v, aliasNames(aliases.Agents)), closest(name, aliasNames(aliases.Agents))
}

func (b *queryBuilder) slackUserTerm(user, who string) (valueTerm, string, string) {
	name, a, ok := b.env.Aliases.agentForSlackUser(user)
	if !ok {
		return valueTerm{}, who + " is not linked to an agent in INBOX_AGENTS", ""
	}
	return valueTerm{canon: name, value: a.ID}, "", ""
}

func (b *queryBuilder) segmentTerm(v string) (valueTerm, string, string) {
	aliases := b.env.Aliases
	lv := strings.ToLower(v)
	if isHexID(lv) {
		canon := aliases.segmentName(lv)
		if canon == "" {
			canon = lv
		}
		return valueTerm{canon: canon, value: lv}, "", ""
	}
	if id, ok := aliases.Segments[lv]; ok {
		return valueTerm{canon: aliases.segmentName(id), value: id}, "", ""
	}
	return valueTerm{}, unknownAlias("a segment", "INBOX_SEGMENTS", v, aliasNames(aliases.Segments)), closest(lv, aliasNames(aliases.Segments))
}

// unknownAlias explains a name that is neither an id nor configured.
func unknownAlias(what, env, name string, configured []string) string {
	if len(configured) == 0 {
		return "`" + name + "` is not " + what + " id (24 hex characters), and " + env + " defines no names"
	}
	return "`" + name + "` is not " + what + " id (24 hex characters) or a name from " + env + " (" + listSome(configured, 8) + ")"
}

// addBots reads bot:NAME,... (channel "") or CHANNEL:ID,....
func (b *queryBuilder) addBots(t queryToken, channel inbox.Channel, value string) *QueryError {
	items := splitList(value)
	if len(items) == 0 {
		return badToken(t, "needs a value", "")
	}
	aliases := b.env.Aliases
	for _, item := range items {
		lv := strings.ToLower(item)
		var ref botRef
		switch {
		case channel != "" && isHexID(lv):
			ref = botRef{channel: channel, id: lv}
		case channel != "":
			fix := ""
			if _, ok := aliases.Bots[lv]; ok {
				fix = "bot:" + lv
			}
			return badToken(t, "`"+item+"` is not a bot id (24 hex characters)", fix)
		case isHexID(lv):
			_, bot, ok := aliases.botByID(lv)
			if !ok {
				return badToken(t, "bot `"+item+"` is not in INBOX_BOTS, so its channel is unknown; write it as `whatsapp:"+lv+"` (or website:, telegram:, facebook:)", "")
			}
			ref = botRef{channel: bot.Channel, id: bot.ID}
		default:
			bot, ok := aliases.Bots[lv]
			if !ok {
				return badToken(t, unknownAlias("a bot", "INBOX_BOTS", item, aliasNames(aliases.Bots)), fixBot(closest(lv, aliasNames(aliases.Bots))))
			}
			ref = botRef{channel: bot.Channel, id: bot.ID}
		}
		if name := aliases.botName(ref.channel, ref.id); name != "" {
			ref.canon = "bot:" + name
		} else {
			ref.canon = string(ref.channel) + ":" + ref.id
		}
		b.q.bots = append(b.q.bots, ref)
	}
	return nil
}

func fixBot(name string) string {
	if name == "" {
		return ""
	}
	return "bot:" + name
}

// joinValues writes a comma list as a qualifier value, quoted if it has
// spaces or a character that could read as a quote (tag:‘vip’ is tag:vip).
func joinValues(values []string) string {
	s := strings.Join(values, ",")
	if strings.ContainsFunc(s, func(r rune) bool { return r == ' ' }) || hasWeakQuote(s) {
		return `"` + s + `"`
	}
	return s
}

func termCanons(terms []valueTerm) []string {
	out := make([]string, len(terms))
	for i, t := range terms {
		out[i] = t.canon
	}
	return out
}

// finish checks the whole query, normalises it and derives the request
// body, the predicate and the canonical form.
func (b *queryBuilder) finish() (*Query, *QueryError) {
	if err := b.checkContradictions(); err != nil {
		return nil, err
	}
	if err := b.checkRanges(); err != nil {
		return nil, err
	}
	q := &b.q
	q.text = strings.Join(b.text, " ")
	b.normalise()
	q.filter = b.requestBody()
	q.pred = b.predicate()
	q.canonical = q.canonicalBase()
	return q, nil
}

func (b *queryBuilder) checkContradictions() *QueryError {
	q := &b.q
	if q.toggles[toggleAssigned] == no && len(q.lists[listAssigned].all) > 0 {
		return contradicts(b.toggleTok[toggleAssigned], b.clauseTok[listAssigned][0])
	}
	for k := range numLists {
		l := &q.lists[k]
		for i, clause := range l.all {
			if len(l.not) == 0 {
				break
			}
			excludedBy := ""
			for _, term := range clause {
				j := slices.IndexFunc(l.not, func(n valueTerm) bool { return n.value == term.value })
				if j < 0 {
					excludedBy = ""
					break
				}
				excludedBy = b.notTok[k][j]
			}
			if excludedBy != "" {
				return contradicts(b.clauseTok[k][i], excludedBy)
			}
		}
	}
	if len(q.waiting) > 0 {
		last := &q.lists[listLast]
		for i, clause := range last.all {
			if !slices.ContainsFunc(clause, func(t valueTerm) bool { return t.value == string(inbox.ByUser) }) {
				return contradicts(b.waitingTok[0], b.clauseTok[listLast][i])
			}
		}
		if j := slices.IndexFunc(last.not, func(t valueTerm) bool { return t.value == string(inbox.ByUser) }); j >= 0 {
			return contradicts(b.waitingTok[0], b.notTok[listLast][j])
		}
	}
	return nil
}

// checkRanges rejects seen:/created: values that together leave no time.
func (b *queryBuilder) checkRanges() *QueryError {
	for _, d := range []struct {
		conds []dateCond
		toks  []string
	}{{b.q.seen, b.seenTok}, {b.q.created, b.createdTok}} {
		if isEmptyRange(rangeOf(d.conds)) {
			quoted := make([]string, len(d.toks))
			for i, t := range d.toks {
				quoted[i] = quoteToken(t)
			}
			return &QueryError{
				Token:   d.toks[len(d.toks)-1],
				Message: joinOr(quoted, ", ", " and ") + " leave no time in between: no contact can match them all.",
			}
		}
	}
	return nil
}

// rangeOf intersects date conditions.
func rangeOf(conds []dateCond) inbox.TimeRange {
	var r inbox.TimeRange
	for _, c := range conds {
		r = intersectRanges(r, c.rng)
	}
	return r
}

// normalise sorts and de-duplicates, so that equal queries are built alike.
func (b *queryBuilder) normalise() {
	q := &b.q
	for k := range q.lists {
		l := &q.lists[k]
		for i := range l.all {
			l.all[i] = sortTerms(l.all[i])
		}
		slices.SortFunc(l.all, compareClauses)
		l.all = slices.CompactFunc(l.all, func(a, b []valueTerm) bool { return compareClauses(a, b) == 0 })
		l.not = sortTerms(l.not)
	}
	slices.SortFunc(q.bots, func(a, b botRef) int { return strings.Compare(a.canon, b.canon) })
	q.bots = slices.CompactFunc(q.bots, func(a, b botRef) bool { return a.canon == b.canon })
	for _, conds := range []*[]dateCond{&q.ordered, &q.seen, &q.created} {
		slices.SortFunc(*conds, func(a, b dateCond) int { return strings.Compare(a.canon, b.canon) })
		*conds = slices.CompactFunc(*conds, func(a, b dateCond) bool { return a.canon == b.canon })
	}
	slices.SortFunc(q.waiting, func(a, b ageCond) int { return strings.Compare(a.canon(), b.canon()) })
	q.waiting = slices.Compact(q.waiting)
}

func compareTerms(a, b valueTerm) int {
	if a.rank != b.rank {
		return a.rank - b.rank
	}
	return strings.Compare(a.canon, b.canon)
}

func sortTerms(terms []valueTerm) []valueTerm {
	slices.SortFunc(terms, compareTerms)
	return slices.CompactFunc(terms, func(a, b valueTerm) bool { return a.value == b.value })
}

func compareClauses(a, b []valueTerm) int {
	for i := range min(len(a), len(b)) {
		if c := compareTerms(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// unionValues returns the values of every clause of a list, each once, in order.
func unionValues(l termList) []string {
	var out []string
	for _, clause := range l.all {
		for _, t := range clause {
			if !slices.Contains(out, t.value) {
				out = append(out, t.value)
			}
		}
	}
	return out
}

// channelOnServer reports whether a channel: clause can go in the request:
// only when every channel in it has a configured bot. Otherwise it is
// checked on our side against the contact's platforms.
func (b *queryBuilder) channelOnServer(clause []valueTerm) bool {
	for _, t := range clause {
		if len(b.channelBots(inbox.Channel(t.value))) == 0 {
			return false
		}
	}
	return true
}

// channelBots returns the configured bot ids of a channel, looked up once
// per parse.
func (b *queryBuilder) channelBots(ch inbox.Channel) []string {
	i := slices.Index(inbox.Channels, ch)
	if i < 0 || i >= len(b.bots) {
		return b.env.Aliases.botIDs(ch)
	}
	if !b.botsKnown[i] {
		b.bots[i], b.botsKnown[i] = b.env.Aliases.botIDs(ch), true
	}
	return b.bots[i]
}

func (b *queryBuilder) requestBody() inbox.Filter {
	q := &b.q
	f := inbox.Filter{
		SearchText:     q.text,
		Tags:           unionValues(q.lists[listTag]),
		Online:         q.toggles[toggleOnline].ptr(),
		AgentAssigned:  unionValues(q.lists[listAssigned]),
		Segments:       unionValues(q.lists[listSegment]),
		LastSeen:       rangeOf(q.seen),
		Created:        rangeOf(q.created),
		Interacted:     q.toggles[toggleInteracted].ptr(),
		LiveChatActive: q.toggles[toggleLive].ptr(),
	}
	for _, s := range statusValues {
		if slices.Contains(unionValues(q.lists[listStatus]), s.value) {
			f.Status = append(f.Status, inbox.Status(s.value))
		}
	}
	senders := unionValues(q.lists[listLast])
	if len(senders) == 0 && len(q.waiting) > 0 {
		senders = []string{string(inbox.ByUser)} // waiting: means the contact wrote last
	}
	for _, s := range senderValues {
		if slices.Contains(senders, s.value) {
			f.LastMessageBy = append(f.LastMessageBy, inbox.Sender(s.value))
		}
	}
	for _, clause := range q.lists[listChannel].all {
		if b.channelOnServer(clause) {
			for _, t := range clause {
				for _, id := range b.channelBots(inbox.Channel(t.value)) {
					f.Bots.Add(inbox.Channel(t.value), id)
				}
			}
		}
	}
	for _, bot := range q.bots {
		f.Bots.Add(bot.channel, bot.id)
	}
	for _, ch := range inbox.Channels {
		slices.Sort(*f.Bots.For(ch))
	}
	switch q.toggles[toggleOrdered] {
	case yes:
		f.Ordered = &inbox.OrderFilter{Ordered: true, Since: rangeOf(q.ordered).From}
	case no:
		f.Ordered = &inbox.OrderFilter{Ordered: false}
	}
	return f
}

func (b *queryBuilder) predicate() predicate {
	q := &b.q
	p := predicate{assigned: q.toggles[toggleAssigned], waiting: q.waiting}
	for k := range numLists {
		l := q.lists[k]
		needed := len(l.all) > 1 || (k == listChannel && len(l.all) == 1 && !b.channelOnServer(l.all[0]))
		if needed {
			for _, clause := range l.all {
				values := make([]string, len(clause))
				for i, t := range clause {
					values[i] = t.value
				}
				p.lists[k].all = append(p.lists[k].all, values)
			}
		}
		for _, t := range l.not {
			p.lists[k].not = append(p.lists[k].not, t.value)
		}
	}
	return p
}

// canonicalBase writes the canonical form without the page, part by part
// in the order of queryParts.
func (q *Query) canonicalBase() string {
	var w []string
	for _, p := range queryParts {
		w = p.canon(q, w)
	}
	return escapeForParse(strings.Join(w, " "))
}

func appendToggle(w []string, t tri, ifYes, ifNo string) []string {
	switch t {
	case yes:
		return append(w, ifYes)
	case no:
		return append(w, ifNo)
	}
	return w
}

func (q *Query) appendClauses(w []string, kinds ...listKind) []string {
	for _, k := range kinds {
		for _, clause := range q.lists[k].all {
			w = append(w, listKeys[k]+":"+joinValues(termCanons(clause)))
		}
	}
	return w
}

// canonicalText writes the search text: bare when it is one plain word,
// quoted otherwise (several words, or a word that would read as syntax).
func canonicalText(s string) string {
	plain := !strings.ContainsAny(s, " :<") && !strings.HasPrefix(s, "-") && !qualifiers.isKeyword(s) && !hasWeakQuote(s)
	if plain {
		return s
	}
	return `"` + s + `"`
}

// wordParts writes the interpretation, one part per canonical token group,
// in the order of queryParts.
func (q *Query) wordParts() []string {
	var w []string
	for _, p := range queryParts {
		w = p.words(q, w)
	}
	return w
}

// clauseWords and notWords introduce a list qualifier's values in words.
var (
	clauseWords = [numLists]string{"tag ", "status ", "on ", "assigned to ", "segment ", "last message from "}
	notWords    = [numLists]string{"not tag ", "not status ", "not on ", "not assigned to ", "not segment ", "last message not from "}
)

func (q *Query) appendClauseWords(w []string, kinds ...listKind) []string {
	for _, k := range kinds {
		for _, clause := range q.lists[k].all {
			w = append(w, clauseWords[k]+displayAll(k, clause, " or "))
		}
	}
	return w
}

func displayAll(k listKind, terms []valueTerm, last string) string {
	words := make([]string, len(terms))
	for i, t := range terms {
		words[i] = termWords(k, t)
	}
	return joinOr(words, ", ", last)
}
