package inboxtest

import (
	"slices"
	"strings"

	"github.com/convertalk/inboxbot/inbox"
)

// indexed is a contact prepared for matching and serving: its JSON, encoded
// once, and the lower-cased text searchText looks in.
type indexed struct {
	contact  Contact
	json     []byte
	haystack []string
}

func newIndexed(c Contact) (indexed, error) {
	b, err := c.MarshalJSON()
	if err != nil {
		return indexed{}, err
	}
	hay := []string{c.Name, c.Email, c.LastMessage.Text}
	if c.Phone.Number != "" {
		// A phone is found by its digits however it is written.
		hay = append(hay, c.Phone.Number, c.Phone.Prefix+c.Phone.Number,
			"+"+c.Phone.Prefix+c.Phone.Number, "+"+c.Phone.Prefix+" "+c.Phone.Number)
	}
	for i, s := range hay {
		hay[i] = strings.ToLower(s)
	}
	return indexed{contact: c, json: b, haystack: hay}, nil
}

// matches applies the filter semantics of inbox-api.md: values within one
// array are alternatives, different filters must all hold; boolean and range
// filters count only when applicableFilters named them (the decoded Filter
// leaves them nil or zero otherwise).
func (x *indexed) matches(f inbox.Filter) bool {
	c := &x.contact
	return x.matchesText(f.SearchText) &&
		anyFold(c.Tags, f.Tags) &&
		(len(f.Status) == 0 || slices.Contains(f.Status, c.Status)) &&
		boolMatches(f.Online, c.Online) &&
		botMatches(f.Bots, c) &&
		(len(f.AgentAssigned) == 0 || c.AgentID != "" && containsFold(f.AgentAssigned, c.AgentID)) &&
		anyFold(c.Segments, f.Segments) &&
		f.LastSeen.Contains(c.LastSeenAt) &&
		f.Created.Contains(c.CreatedAt) &&
		boolMatches(f.Interacted, c.Interacted) &&
		(len(f.LastMessageBy) == 0 || slices.Contains(f.LastMessageBy, c.LastMessage.By)) &&
		boolMatches(f.LiveChatActive, c.LiveChat) &&
		orderMatches(f.Ordered, c)
}

// matchesText: a case-insensitive substring of name, e-mail, phone or the
// last message's text.
func (x *indexed) matchesText(text string) bool {
	if text == "" {
		return true
	}
	needle := strings.ToLower(text)
	return slices.ContainsFunc(x.haystack, func(s string) bool { return strings.Contains(s, needle) })
}

// anyFold reports whether have holds any of want (case-insensitively), or
// want is empty. Tags are matched by name, whatever their case.
func anyFold(have, want []string) bool {
	if len(want) == 0 {
		return true
	}
	return slices.ContainsFunc(have, func(h string) bool { return containsFold(want, h) })
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}

func boolMatches(want *bool, have bool) bool { return want == nil || *want == have }

// botMatches treats the four _bot* arrays as one filter, "talks to one of
// these bots": a contact talks to one bot on one channel, so combining the
// arrays with AND could never match across channels, and the query language
// puts `channel:whatsapp,telegram` into two of them as alternatives.
func botMatches(b inbox.Bots, c *Contact) bool {
	if b.IsZero() {
		return true
	}
	ids := b.For(c.Channel)
	return ids != nil && containsFold(*ids, c.BotID)
}

// orderMatches applies hasOrdered (decision 4).
func orderMatches(o *inbox.OrderFilter, c *Contact) bool {
	switch {
	case o == nil:
		return true
	case !o.Ordered:
		return !c.Ordered
	default:
		return c.Ordered && (o.Since.IsZero() || !c.LastOrderAt.Before(o.Since))
	}
}
