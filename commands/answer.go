// Package commands is inboxbot's logic without I/O of its own: the query
// language (text <-> inbox.Filter), the sub-commands, and rendering answers
// as Block Kit and as terminal text. Time, time zone and configuration come
// in as arguments, so every parse and render is a pure function.
package commands

import (
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// PageSize is how many contacts one answer shows when a client-side
// predicate makes us assemble pages ourselves. Plain queries show the
// server's page as it is.
const PageSize = 20

// Answer is one page of results for a query, ready to render.
type Answer struct {
	Canonical string       // the canonical query, as buttons carry it
	Words     string       // the interpretation in words ("online · tag vip")
	Users     []inbox.User // the contacts of this page, in order
	Page      int          // our page number, 1-based
	// Start is where this page began in the server's stream; Next where the
	// following page begins (nil when the end was reached); Back holds the
	// starts of earlier pages, most recent last, for the Prev button.
	Start inbox.Cursor
	Next  *inbox.Cursor
	Back  []Mark
	// Before counts the matches on the pages before this one: rows are
	// numbered from Before+1, by their place in the whole result.
	Before int
	// Total is the exact number of matches when known (the API said, or the
	// end was reached), else -1: the header then says "N+".
	Total int
	// PastEnd is true when the page asked for lies past the end of the
	// results (and some exist); Last is then the last page, when known.
	// Prev leads there (or to page 1).
	PastEnd bool
	Last    *Position
	// Scanned counts the contacts examined for a client-side predicate;
	// Truncated is true when a bound stopped the walk early: MaxScan, or
	// the time budget (TimedOut). Next then continues the scan.
	Scanned   int
	Truncated bool
	TimedOut  bool
	// Skipped counts the malformed items of the API's pages (not contacts)
	// left out of this answer.
	Skipped int
	At      time.Time // when the answer was made
}

// PIIMode says how customer emails and phone numbers are shown.
type PIIMode string

// The PII modes of PII_MODE.
const (
	PIIFull   PIIMode = "full"
	PIIMasked PIIMode = "masked"
	PIIHidden PIIMode = "hidden"
)

// ParsePIIMode reads a PII_MODE value.
func ParsePIIMode(s string) (PIIMode, bool) {
	switch m := PIIMode(s); m {
	case PIIFull, PIIMasked, PIIHidden:
		return m, true
	}
	return "", false
}

// RenderOptions is what rendering needs besides the answer.
type RenderOptions struct {
	PII        PIIMode
	WebURL     string            // INBOX_WEB_URL; no links when empty
	Location   *time.Location    // for displayed times; UTC when nil
	AgentNames map[string]string // agent id -> display name (alias)
	Ephemeral  bool              // the answer is ephemeral: offer Share
	Now        time.Time         // for "5 min ago"
}
