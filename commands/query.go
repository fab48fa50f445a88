package commands

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/inbox"
)

// MaxQueryLength is the longest query accepted, in characters (SPEC §5).
const MaxQueryLength = 1000

// maxCanonicalLength bounds the canonical form (without its page) so that
// the canonical query of any page, which buttons carry and Parse reads back,
// is itself a valid query: " page:100000" is 12 characters.
const maxCanonicalLength = MaxQueryLength - 12

// Env is what parsing needs besides the text: the clock, the time zone of
// dates and "today", the alias tables, and who is asking (for @me and mine).
type Env struct {
	Now       time.Time
	Location  *time.Location // UTC when nil
	Aliases   Aliases
	SlackUser string // the invoking Slack user id; "" outside Slack
	// DefaultQuery is what a blank command runs (INBOX_DEFAULT_QUERY);
	// only ParseCommand reads it.
	DefaultQuery string
}

// QueryError is a query that cannot be run: one sentence that quotes the
// offending token and, when one is close, a corrected token to suggest.
type QueryError struct {
	Token      string // the offending token as typed (the whole query if it is too long; "" if not UTF-8)
	Message    string // a full sentence quoting the token
	Suggestion string // a corrected token, or ""
}

// Error returns the message, followed by "Did you mean `x`?" when there is
// a suggestion.
func (e *QueryError) Error() string {
	if e.Suggestion == "" {
		return e.Message
	}
	return e.Message + " Did you mean `" + e.Suggestion + "`?"
}

// Query is a parsed /inbox query: the part the inbox API can filter (the
// request body) and the part we check on our side (the predicate), plus its
// canonical form. A Query is immutable and safe for concurrent use.
type Query struct {
	text    string // searchText, words joined by single spaces
	toggles [numToggles]tri
	ordered []dateCond // ordered:<7d ... (they imply ordered)
	lists   [numLists]termList
	bots    []botRef
	seen    []dateCond
	created []dateCond
	waiting []ageCond
	page    int // 0: not given

	// Derived once by Parse.
	filter    inbox.Filter // the request body, page aside
	pred      predicate
	canonical string // the canonical form, page aside
}

// toggle names the yes/no qualifiers.
type toggle int

const (
	toggleOnline toggle = iota
	toggleLive
	toggleInteracted
	toggleOrdered
	toggleAssigned // yes: assigned to someone (has:assignee); no: unassigned
	numToggles
)

// tri is an optional yes/no.
type tri int8

const (
	unset tri = iota
	yes
	no
)

func triOf(v bool) tri {
	if v {
		return yes
	}
	return no
}

// ptr turns a set tri into the request body's *bool.
func (t tri) ptr() *bool {
	if t == unset {
		return nil
	}
	v := t == yes
	return &v
}

// listKind names the qualifiers that take comma lists and may be repeated
// (AND) or excluded.
type listKind int

const (
	listTag listKind = iota
	listStatus
	listChannel
	listAssigned
	listSegment
	listLast
	numLists
)

// valueTerm is one value of a list qualifier.
type valueTerm struct {
	canon string // as the canonical query writes it: "vip", "open", "alice"
	value string // what the API and the predicate compare: "vip", "OPEN", an id
	rank  int    // enum values sort in the API's order; others by canon
}

// termList holds the values of one list qualifier: one clause per token,
// whose terms are alternatives (tag:a,b), clauses all required (tag:a tag:b),
// and the excluded values (-tag:x).
type termList struct {
	all [][]valueTerm
	not []valueTerm
}

// botRef is one bot: by alias (bot:sales) or by channel and id.
type botRef struct {
	canon   string // "bot:sales" or "whatsapp:65f0…"
	channel inbox.Channel
	id      string
}

// predicate is what the API cannot filter and we check on each contact.
type predicate struct {
	assigned tri // yes: someone is assigned; no: nobody is
	lists    [numLists]predList
	waiting  []ageCond
}

// predList is the client-side part of a list qualifier.
type predList struct {
	all [][]string // each clause: the contact has one of these values
	not []string   // the contact has none of these
}

func (p *predicate) empty() bool {
	if p.assigned != unset || len(p.waiting) > 0 {
		return false
	}
	for _, l := range p.lists {
		if len(l.all) > 0 || len(l.not) > 0 {
			return false
		}
	}
	return true
}

// Parse reads a query (SPEC §5). Errors are *QueryError. Slack's escaping of
// slash-command text is undone first: its markup for links, emails, channels
// and group mentions becomes the text that was typed, and &lt; &gt; &amp;
// become < > & (decodeSlack).
func Parse(text string, env Env) (*Query, error) {
	q, err := parse(text, env)
	if err != nil {
		return nil, err
	}
	return q, nil
}

func parse(text string, env Env) (*Query, *QueryError) {
	if !utf8.ValidString(text) {
		return nil, &QueryError{Message: "The query is not valid UTF-8 text."}
	}
	// The limit applies to what the person typed, not to Slack's longer
	// escaped form of it (<mailto:a@b.c|a@b.c> for a@b.c).
	text = decodeSlack(text)
	if n := utf8.RuneCountInString(text); n > MaxQueryLength {
		return nil, &QueryError{
			Token:   text,
			Message: "The query " + quoteToken(text) + " is " + strconv.Itoa(n) + " characters long; the limit is " + strconv.Itoa(MaxQueryLength) + ".",
		}
	}
	tokens, err := tokenize(text)
	if err != nil {
		return nil, err
	}
	b := newQueryBuilder(env)
	for _, t := range tokens {
		if err := b.add(t); err != nil {
			return nil, err
		}
	}
	q, err := b.finish()
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(q.canonical); n > maxCanonicalLength {
		return nil, &QueryError{
			Token:   text,
			Message: "The query is too long once aliases and mentions are written out (" + strconv.Itoa(n) + " characters; the limit is " + strconv.Itoa(maxCanonicalLength) + ").",
		}
	}
	return q, nil
}

// Page returns the page the query asks for (page:N), 1 when not given.
func (q *Query) Page() int {
	if q.page < 1 {
		return 1
	}
	return q.page
}

// WithPage returns a copy of q that asks for page n (clamped to
// 1..inbox.MaxPage). Its canonical form carries page:N only when N > 1.
func (q *Query) WithPage(n int) *Query {
	c := *q
	c.page = min(max(n, 1), inbox.MaxPage)
	return &c
}

// HasPredicate reports whether some of the query is checked on our side
// (Match), so that answers must walk server pages to fill a page of ours.
func (q *Query) HasPredicate() bool { return !q.pred.empty() }

// Filter returns the request body of POST /inbox/users for the query, with
// Page set to q.Page(). The caller may modify it.
func (q *Query) Filter() inbox.Filter {
	f := q.filter
	f.Tags = slices.Clone(f.Tags)
	f.Status = slices.Clone(f.Status)
	f.Bots = inbox.Bots{
		Website:  slices.Clone(f.Bots.Website),
		WhatsApp: slices.Clone(f.Bots.WhatsApp),
		Telegram: slices.Clone(f.Bots.Telegram),
		Facebook: slices.Clone(f.Bots.Facebook),
	}
	f.AgentAssigned = slices.Clone(f.AgentAssigned)
	f.Segments = slices.Clone(f.Segments)
	f.LastMessageBy = slices.Clone(f.LastMessageBy)
	if f.Ordered != nil {
		o := *f.Ordered
		f.Ordered = &o
	}
	f.Page = q.Page()
	return f
}

// Match reports whether contact u passes the client-side predicate at time
// now (for waiting:). It checks only what the request body cannot express;
// it is true for every contact when HasPredicate is false.
func (q *Query) Match(u inbox.User, now time.Time) bool {
	p := &q.pred
	if p.assigned != unset && u.Assigned() != (p.assigned == yes) {
		return false
	}
	for k := range numLists {
		l := &p.lists[k]
		for _, clause := range l.all {
			if !userHasAny(k, &u, clause) {
				return false
			}
		}
		if userHasAny(k, &u, l.not) {
			return false
		}
	}
	for _, w := range p.waiting {
		if !strings.EqualFold(string(u.LastMessage.By), string(inbox.ByUser)) || u.LastMessage.At.IsZero() || !w.holds(u.LastMessage.At, now) {
			return false
		}
	}
	return true
}

// userHasAny reports whether contact u has one of the values of list
// qualifier k. Comparisons ignore case: the API's spelling varies.
func userHasAny(k listKind, u *inbox.User, values []string) bool {
	for _, v := range values {
		if userHas(k, u, v) {
			return true
		}
	}
	return false
}

// userHas reports whether contact u has value for list qualifier k.
func userHas(k listKind, u *inbox.User, value string) bool {
	switch k {
	case listTag:
		for _, t := range u.Tags {
			if strings.EqualFold(t, value) {
				return true
			}
		}
	case listStatus:
		return strings.EqualFold(string(u.Status), value)
	case listChannel:
		for _, c := range u.Platforms {
			if strings.EqualFold(string(c), value) {
				return true
			}
		}
	case listAssigned:
		return u.AgentID != "" && strings.EqualFold(u.AgentID, value)
	case listSegment:
		for _, s := range u.Segments {
			if strings.EqualFold(s, value) {
				return true
			}
		}
	case listLast:
		return strings.EqualFold(string(u.LastMessage.By), value)
	}
	return false
}

// Equal reports whether two queries mean the same: the same request body
// (as the API receives it) and the same client-side predicate.
func (q *Query) Equal(o *Query) bool {
	if q == nil || o == nil {
		return q == o
	}
	a, errA := json.Marshal(q.Filter())
	b, errB := json.Marshal(o.Filter())
	return errA == nil && errB == nil && bytes.Equal(a, b) && reflect.DeepEqual(q.pred, o.pred)
}

// Canonical returns the query's canonical form: what buttons carry and
// answers show. Parsing it gives an Equal query, and it is its own canonical
// form. Order: free text (quoted when it is more than one plain word), online
// or offline, live, interacted, ordered, tag, status, channel, bot, assigned
// or unassigned, segment, seen, created, last, waiting, the exclusions (-tag,
// -status, -channel, -assigned, -segment, -last) and page:N when N > 1.
// Values are normalised (lower-case enums, aliases for known ids, sorted and
// de-duplicated comma lists); repeated keys stay separate tokens; relative
// dates stay relative, so re-parsing later recomputes them.
func (q *Query) Canonical() string {
	if q.page <= 1 {
		return q.canonical
	}
	page := "page:" + strconv.Itoa(q.page)
	if q.canonical == "" {
		return page
	}
	return q.canonical + " " + page
}

// Words returns the interpretation in words, in canonical order, e.g.
// "online · tag vip or gold · unassigned · seen in the last 7 days", or
// "everyone" for the empty query. It contains the user's own text (tags,
// search words): escape it before putting it in mrkdwn.
func (q *Query) Words() string {
	parts := q.wordParts()
	if len(parts) == 0 {
		return "everyone"
	}
	return strings.Join(parts, " · ")
}

// Redacted returns the canonical form with the free text replaced by
// "[text]": people search for customers by name, email or phone, and logs at
// info level must not carry customer data.
func (q *Query) Redacted() string {
	if q.text == "" {
		return q.Canonical()
	}
	c := *q
	c.text = "[text]"
	c.canonical = c.canonicalBase()
	return c.Canonical()
}
