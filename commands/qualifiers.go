package commands

import (
	"slices"
	"strings"

	"github.com/convertalk/inboxbot/inbox"
)

// qualifier is one row of the query language's table, which drives the
// parser, the help (HelpText, HelpBlocks) and the did-you-mean suggestions.
type qualifier struct {
	name  string     // the canonical spelling
	group string     // help section
	words []string   // keyword spellings ("online"); none for key:value only
	keys  []string   // key spellings of key:value ("tag", "tags")
	flags []flagForm // is:/has:/no: spellings of a keyword
	forms []string   // how it is written, for help
	desc  string     // what it means, for help
	// negation is how an exclusion is written, for help; "" when the
	// qualifier cannot be negated, and then noNegation says why.
	negation   string
	noNegation string

	keyword func(b *queryBuilder, t queryToken, neg bool) *QueryError
	value   func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError
}

// flagForm is an is:/has:/no: spelling of a keyword; neg when it means the
// keyword's negation (no:order is -ordered).
type flagForm struct {
	form string
	neg  bool
}

// The help sections, in order.
const (
	groupSearch  = "Search"
	groupState   = "State"
	groupLabels  = "Tags, status and segments"
	groupChannel = "Channels and bots"
	groupPeople  = "Assignment"
	groupTime    = "Time and messages"
	groupPaging  = "Paging"
)

var helpGroups = []string{groupSearch, groupState, groupLabels, groupChannel, groupPeople, groupTime, groupPaging}

// toggleKeyword makes the keyword function of a yes/no qualifier: the
// keyword sets it to v, its negation to !v.
func toggleKeyword(k toggle, v bool) func(*queryBuilder, queryToken, bool) *QueryError {
	return func(b *queryBuilder, t queryToken, neg bool) *QueryError {
		return b.setToggle(k, v != neg, t)
	}
}

// listValue makes the value function of a list qualifier.
func listValue(k listKind) func(*queryBuilder, queryToken, string, bool) *QueryError {
	return func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError {
		return b.addList(k, t, value, neg)
	}
}

// qualifierTable is the query language. Its order is the order of the help.
var qualifierTable = []qualifier{
	{
		name: "text", group: groupSearch,
		forms: []string{"words", `"quoted phrase"`},
		desc:  "search names, numbers and messages; all the words form one search (quote a word that looks like a qualifier)",
	},
	{
		name: "online", group: groupState, words: []string{"online"},
		flags: []flagForm{{"is:online", false}},
		forms: []string{"online", "is:online"}, negation: "-online",
		desc:    "online right now",
		keyword: toggleKeyword(toggleOnline, true),
	},
	{
		name: "offline", group: groupState, words: []string{"offline"},
		flags: []flagForm{{"is:offline", false}},
		forms: []string{"offline", "is:offline"}, negation: "-offline",
		desc:    "not online",
		keyword: toggleKeyword(toggleOnline, false),
	},
	{
		name: "live", group: groupState, words: []string{"live"},
		flags: []flagForm{{"is:live", false}},
		forms: []string{"live", "is:live"}, negation: "-live",
		desc:    "a live chat with an agent is active (`-live`: none is)",
		keyword: toggleKeyword(toggleLive, true),
	},
	{
		name: "interacted", group: groupState, words: []string{"interacted"},
		flags: []flagForm{{"is:interacted", false}},
		forms: []string{"interacted", "is:interacted"}, negation: "-interacted",
		desc:    "has interacted with the bot (`-interacted`: never has)",
		keyword: toggleKeyword(toggleInteracted, true),
	},
	{
		name: "ordered", group: groupState, words: []string{"ordered"}, keys: []string{"ordered"},
		flags: []flagForm{{"has:order", false}, {"is:ordered", false}, {"no:order", true}},
		forms: []string{"ordered", "has:order", "ordered:<7d", "ordered:>=2026-11-01"}, negation: "-ordered",
		noNegation: "the API cannot say \"no order since\"; `-ordered` means never ordered",
		desc:       "has ordered; with a value, last ordered within that time (`-ordered`, `no:order`: never ordered)",
		keyword:    toggleKeyword(toggleOrdered, true),
		value: func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError {
			return b.addOrderedSince(t, value, neg)
		},
	},
	{
		name: "tag", group: groupLabels, keys: []string{"tag", "tags", "label"},
		forms: []string{"tag:vip", "tag:vip,b2b", "tag:vip tag:b2b"}, negation: "-tag:spam",
		desc:  "has the tag; a comma list means any of them, a repeated `tag:` all of them",
		value: listValue(listTag),
	},
	{
		name: "status", group: groupLabels, keys: []string{"status", "state"},
		forms: []string{"status:open", "status:open,inprogress"}, negation: "-status:closed",
		desc:  "conversation status: open, inprogress, review, onhold, dependency or closed",
		value: listValue(listStatus),
	},
	{
		name: "segment", group: groupLabels, keys: []string{"segment", "segments"},
		forms: []string{"segment:returning", "segment:65ab12cd34ef56ab78cd90ef"}, negation: "-segment:trial",
		desc:  "in the segment: a name from INBOX_SEGMENTS or a 24-character id",
		value: listValue(listSegment),
	},
	{
		name: "channel", group: groupChannel, keys: []string{"channel", "channels", "platform", "via"},
		forms: []string{"channel:whatsapp", "channel:website,telegram"}, negation: "-channel:facebook",
		desc:  "talks to us on that channel: website, whatsapp, telegram or facebook (every bot of INBOX_BOTS on it)",
		value: listValue(listChannel),
	},
	{
		name: "bot", group: groupChannel, keys: []string{"bot", "bots"},
		forms:      []string{"bot:sales"},
		noNegation: "contacts do not say which bot they came through; try `-channel:` instead",
		desc:       "came through that bot: a name from INBOX_BOTS",
		value: func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError {
			return b.addBots(t, "", value)
		},
	},
	{
		name: "channel:id", group: groupChannel, keys: []string{"website", "whatsapp", "telegram", "facebook"},
		forms:      []string{"whatsapp:65f0c1d2e3f4a5b6c7d8e9f0"},
		noNegation: "contacts do not say which bot they came through; try `-channel:` instead",
		desc:       "came through the bot with that channel and 24-character id",
		value: func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError {
			key, _, _ := splitKey(t, false)
			return b.addBots(t, inbox.Channel(key), value)
		},
	},
	{
		name: "assigned", group: groupPeople, keys: []string{"assigned", "assignee", "agent"},
		forms:    []string{"assigned:alice", "assigned:65ab12cd34ef56ab78cd90ef", "assigned:@me", "assigned:<@U024BE7LH>"},
		negation: "-assigned:bob",
		desc:     "assigned to the agent: a name from INBOX_AGENTS, a 24-character id, `@me` or a Slack user; `-assigned:x` keeps unassigned contacts",
		value:    listValue(listAssigned),
	},
	{
		name: "mine", group: groupPeople, words: []string{"mine"},
		forms: []string{"mine"}, negation: "-mine",
		desc: "assigned to you (`assigned:@me`; your Slack user must be in INBOX_AGENTS)",
		keyword: func(b *queryBuilder, t queryToken, neg bool) *QueryError {
			return b.addAgentList(t, "@me", neg)
		},
	},
	{
		name: "unassigned", group: groupPeople, words: []string{"unassigned"},
		flags: []flagForm{{"no:assignee", false}, {"is:unassigned", false}, {"has:assignee", true}, {"is:assigned", true}},
		forms: []string{"unassigned", "no:assignee", "has:assignee"}, negation: "-unassigned",
		desc:    "nobody is assigned (`has:assignee`, `-unassigned`: somebody is)",
		keyword: toggleKeyword(toggleAssigned, false),
	},
	{
		name: "seen", group: groupTime, keys: []string{"seen", "lastseen"},
		forms:      []string{"seen:7d", "seen:>30d", "seen:2026-11-01", "seen:>2026-11-01", "seen:2026-11-01..2026-11-20", "seen:2026-11-01..*", "seen:today", "seen:yesterday"},
		noNegation: "write the opposite instead, e.g. `seen:>7d` for \"not in the last 7 days\"",
		desc:       "last seen: `7d` or `<7d` within 7 days, `>30d` more than 30 days ago (units: m minutes, h, d, w, mo months; a capital `M` is refused as ambiguous); a day `YYYY-MM-DD` (or `THH:MM`, with `Z` or `+05:30`), `>D` after, `<D` before, `D1..D2`, `*` for an open end",
		value: func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError {
			return b.addDate(t, &b.q.seen, &b.seenTok, "seen", value)
		},
	},
	{
		name: "created", group: groupTime, keys: []string{"created"},
		forms:      []string{"created:30d", "created:2026-11-01..2026-11-20", "created:yesterday"},
		noNegation: "write the opposite instead, e.g. `created:>7d` for \"not in the last 7 days\"",
		desc:       "became a contact: the same forms as `seen:`",
		value: func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError {
			return b.addDate(t, &b.q.created, &b.createdTok, "created", value)
		},
	},
	{
		name: "last", group: groupTime, keys: []string{"last", "lastby"},
		forms: []string{"last:user", "last:agent,bot"}, negation: "-last:bot",
		desc:  "who wrote the last message: user (the contact), bot or agent",
		value: listValue(listLast),
	},
	{
		name: "waiting", group: groupTime, keys: []string{"waiting"},
		forms:      []string{"waiting:>10m", "waiting:<2h"},
		noNegation: "flip the comparison instead (`waiting:<10m`)",
		desc:       "the contact wrote last, more (`>`) or less (`<`) than that long ago",
		value: func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError {
			return b.addWaiting(t, value)
		},
	},
	{
		name: "page", group: groupPaging, keys: []string{"page"},
		forms:      []string{"page:3"},
		noNegation: "a page cannot be excluded",
		desc:       "which page of the answer to show, from 1",
		value: func(b *queryBuilder, t queryToken, value string, neg bool) *QueryError {
			return b.setPage(t, value)
		},
	},
}

// flagHit is what an is:/has:/no: spelling stands for.
type flagHit struct {
	q   *qualifier
	neg bool
}

// qualifierIndex finds table rows by spelling. It is built once from the
// table and never changes.
type qualifierIndex struct {
	byKey     map[string]*qualifier
	byWord    map[string]*qualifier
	byFlag    map[string]flagHit
	keyNames  []string // every key spelling, for suggestions
	flagNames []string // every is:/has:/no: spelling
	negatable []string // every negatable form ("-live", "-tag:"), for suggestions
}

// flagKeys are the keys whose values are keyword spellings.
var flagKeys = []string{"is", "has", "no"}

var qualifiers = buildQualifierIndex(qualifierTable)

func buildQualifierIndex(table []qualifier) *qualifierIndex {
	ix := &qualifierIndex{byKey: map[string]*qualifier{}, byWord: map[string]*qualifier{}, byFlag: map[string]flagHit{}}
	for i := range table {
		q := &table[i]
		for _, k := range q.keys {
			ix.byKey[k] = q
			ix.keyNames = append(ix.keyNames, k)
			if q.negation != "" {
				ix.negatable = append(ix.negatable, "-"+k+":")
			}
		}
		for _, w := range q.words {
			ix.byWord[w] = q
			if q.negation != "" {
				ix.negatable = append(ix.negatable, "-"+w)
			}
		}
		for _, f := range q.flags {
			ix.byFlag[f.form] = flagHit{q: q, neg: f.neg}
			ix.flagNames = append(ix.flagNames, f.form)
		}
	}
	ix.keyNames = append(ix.keyNames, flagKeys...)
	return ix
}

// isKeyword reports whether a word (any case) is a keyword qualifier.
func (ix *qualifierIndex) isKeyword(w string) bool {
	_, ok := ix.byWord[strings.ToLower(w)]
	return ok
}

// queryPart is one group of a query's tokens, in the canonical order: how
// it is written in the canonical form (canon) and how it reads in words
// (words). Both append to w. Canonical and Words walk the same table, so
// their order cannot drift apart.
type queryPart struct {
	canon func(q *Query, w []string) []string
	words func(q *Query, w []string) []string
}

// queryParts is the canonical order of a query.
var queryParts = []queryPart{
	{ // the search text
		canon: func(q *Query, w []string) []string {
			if q.text == "" {
				return w
			}
			return append(w, canonicalText(q.text))
		},
		words: func(q *Query, w []string) []string {
			if q.text == "" {
				return w
			}
			return append(w, `matching "`+q.text+`"`)
		},
	},
	togglePart(toggleOnline, "online", "offline", "online", "offline"),
	togglePart(toggleLive, "live", "-live", "live chat active", "no live chat"),
	togglePart(toggleInteracted, "interacted", "-interacted", "interacted", "never interacted"),
	{ // ordered: a time range, or yes/no
		canon: func(q *Query, w []string) []string {
			if len(q.ordered) == 0 {
				return appendToggle(w, q.toggles[toggleOrdered], "ordered", "-ordered")
			}
			for _, c := range q.ordered {
				w = append(w, "ordered:"+c.canon)
			}
			return w
		},
		words: func(q *Query, w []string) []string {
			if len(q.ordered) == 0 {
				return appendToggle(w, q.toggles[toggleOrdered], "ordered", "never ordered")
			}
			for _, c := range q.ordered {
				w = append(w, "ordered "+c.words)
			}
			return w
		},
	},
	listPart(listTag),
	listPart(listStatus),
	listPart(listChannel),
	{ // bots, by alias or by channel and id
		canon: func(q *Query, w []string) []string {
			for _, bot := range q.bots {
				w = append(w, bot.canon)
			}
			return w
		},
		words: func(q *Query, w []string) []string {
			for _, bot := range q.bots {
				if name, ok := strings.CutPrefix(bot.canon, "bot:"); ok {
					w = append(w, "bot "+name)
				} else {
					w = append(w, channelValues[slices.Index(inbox.Channels, bot.channel)].display+" bot "+bot.id)
				}
			}
			return w
		},
	},
	listPart(listAssigned),
	togglePart(toggleAssigned, "has:assignee", "unassigned", "assigned to anyone", "unassigned"),
	listPart(listSegment),
	rangePart(func(q *Query) []dateCond { return q.seen }, "seen"),
	rangePart(func(q *Query) []dateCond { return q.created }, "created"),
	listPart(listLast),
	{ // waiting: how long the contact has waited
		canon: func(q *Query, w []string) []string {
			for _, c := range q.waiting {
				w = append(w, "waiting:"+c.canon())
			}
			return w
		},
		words: func(q *Query, w []string) []string {
			for _, c := range q.waiting {
				w = append(w, c.words())
			}
			return w
		},
	},
	{ // the exclusions of every list, last
		canon: func(q *Query, w []string) []string {
			for k := range numLists {
				if not := q.lists[k].not; len(not) > 0 {
					w = append(w, "-"+listKeys[k]+":"+joinValues(termCanons(not)))
				}
			}
			return w
		},
		words: func(q *Query, w []string) []string {
			for k := range numLists {
				if not := q.lists[k].not; len(not) > 0 {
					w = append(w, notWords[k]+displayAll(k, not, " or "))
				}
			}
			return w
		},
	},
}

// togglePart is the part of a yes/no qualifier: its canonical spellings
// and its words, for yes and for no.
func togglePart(k toggle, canonYes, canonNo, wordsYes, wordsNo string) queryPart {
	return queryPart{
		canon: func(q *Query, w []string) []string { return appendToggle(w, q.toggles[k], canonYes, canonNo) },
		words: func(q *Query, w []string) []string { return appendToggle(w, q.toggles[k], wordsYes, wordsNo) },
	}
}

// listPart is the part of a list qualifier's clauses (its exclusions come
// last, with every list's).
func listPart(k listKind) queryPart {
	return queryPart{
		canon: func(q *Query, w []string) []string { return q.appendClauses(w, k) },
		words: func(q *Query, w []string) []string { return q.appendClauseWords(w, k) },
	}
}

// rangePart is the part of a time qualifier (seen:, created:).
func rangePart(clauses func(*Query) []dateCond, key string) queryPart {
	return queryPart{
		canon: func(q *Query, w []string) []string {
			for _, c := range clauses(q) {
				w = append(w, key+":"+c.canon)
			}
			return w
		},
		words: func(q *Query, w []string) []string {
			for _, c := range clauses(q) {
				w = append(w, key+" "+c.words)
			}
			return w
		},
	}
}
