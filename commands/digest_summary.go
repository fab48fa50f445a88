package commands

import (
	"cmp"
	"slices"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// MaxDigestCount bounds the contacts a digest (or an alert) counts: past
// it the count reads "5,000+" (SPEC §8).
const MaxDigestCount = 5000

// DigestSummary is what a digest says about all the contacts that match,
// gathered one contact at a time so that nothing holds them all: the
// count (bounded), the longest wait, and the breakdowns by channel and by
// assignee. Its zero value is ready to use.
type DigestSummary struct {
	// Count is the contacts added, at most MaxDigestCount; Capped is true
	// when more matched than were counted.
	Count  int
	Capped bool
	// OldestWaiting is the time of the oldest last message written by a
	// customer (who is thus waiting for an answer); zero when none is.
	OldestWaiting time.Time
	byChannel     map[inbox.Channel]int
	byAgent       map[string]int // agent id; "" for unassigned
}

// Add counts one matching contact; it reports false once the bound is
// reached (the contact is then not counted, and Capped is set).
func (s *DigestSummary) Add(u inbox.User) bool {
	if s.Count >= MaxDigestCount {
		s.Capped = true
		return false
	}
	s.Count++
	if s.byChannel == nil {
		s.byChannel, s.byAgent = map[inbox.Channel]int{}, map[string]int{}
	}
	s.byChannel[u.Channel()]++
	s.byAgent[u.AgentID]++
	if u.LastMessage.By == inbox.ByUser && !u.LastMessage.At.IsZero() &&
		(s.OldestWaiting.IsZero() || u.LastMessage.At.Before(s.OldestWaiting)) {
		s.OldestWaiting = u.LastMessage.At
	}
	return true
}

// Tally is one line of a breakdown.
type Tally struct {
	Key   string // a channel name, or an agent id ("" for unassigned)
	Count int
}

// ByChannel returns the counts per channel, largest first, ties in the
// order of the channels; "" is a contact whose channel is unknown.
func (s *DigestSummary) ByChannel() []Tally {
	out := make([]Tally, 0, len(s.byChannel))
	for ch, n := range s.byChannel {
		out = append(out, Tally{string(ch), n})
	}
	return sortTallies(out)
}

// ByAgent returns the counts per assigned agent id, largest first; the key
// "" counts the unassigned.
func (s *DigestSummary) ByAgent() []Tally {
	out := make([]Tally, 0, len(s.byAgent))
	for id, n := range s.byAgent {
		out = append(out, Tally{id, n})
	}
	return sortTallies(out)
}

func sortTallies(t []Tally) []Tally {
	slices.SortFunc(t, func(a, b Tally) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return t
}
