package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/inbox"
)

// The action ids of the answer's buttons; the bot routes clicks by them.
const (
	ActionPrev    = "inbox_prev"
	ActionNext    = "inbox_next"
	ActionRefresh = "inbox_refresh"
	ActionShare   = "inbox_share"
	ActionExport  = "inbox_export"
)

// MaxButtonValue is Slack's limit on a button value, in characters.
const MaxButtonValue = 2000

// buttonStateVersion prefixes every encoded ButtonState, so that a later
// format can tell old buttons (still in Slack history) from new ones.
const buttonStateVersion = "v1|"

// ErrButtonState is wrapped by every DecodeButtonState error.
var ErrButtonState = errors.New("commands: bad button value")

// ButtonState is what a button carries, so that any replica can serve a
// click without stored state: the canonical query and where the page to
// show starts.
type ButtonState struct {
	Query  string       // the canonical query
	Cursor inbox.Cursor // where the page starts in the server's stream
	Page   int          // our page number, 1-based
	// Back holds the starts of earlier pages, most recent last. Encode may
	// drop the oldest ones to fit Slack's limit; Prev then leads to page 1
	// once the remaining history is used up (see prevState).
	Back []inbox.Cursor
}

// Encode writes the state as "v1|PAGE|CURSOR|BACK,...|QUERY", at most
// MaxButtonValue characters: the oldest Back cursors are dropped to fit.
// The canonical query is at most 1000 characters by contract; should a
// longer one come, it is cut so the button still fits (Slack would reject
// the whole message otherwise) and the click shows a clear query error.
//
// Out-of-range numbers are clamped into what DecodeButtonState accepts, so
// an encoded state always decodes.
func (s ButtonState) Encode() string {
	page := min(max(s.Page, 1), inbox.MaxPage)
	head := buttonStateVersion + strconv.Itoa(page) + "|" + clampCursor(s.Cursor).String() + "|"
	query := s.Query
	room := MaxButtonValue - len(head) - 1 // head is ASCII; 1 for the "|" before the query
	if n := utf8.RuneCountInString(query); n > room {
		query = query[:byteOffsetOfRune(query, room)]
	}
	room -= utf8.RuneCountInString(query)
	back := s.Back
	if len(back) > page-1 {
		back = back[len(back)-(page-1):] // more history than pages: keep the newest
	}
	return head + encodeBack(back, room) + "|" + query
}

// clampCursor brings c into the range inbox.ParseCursor accepts.
func clampCursor(c inbox.Cursor) inbox.Cursor {
	return inbox.Cursor{Page: min(max(c.Page, 1), inbox.MaxPage), Offset: min(max(c.Offset, 0), maxCursorOffset)}
}

// maxCursorOffset is the largest offset inbox.ParseCursor accepts.
const maxCursorOffset = 10000

// encodeBack joins the most recent cursors that fit in room characters.
func encodeBack(back []inbox.Cursor, room int) string {
	parts := make([]string, 0, len(back))
	used := 0
	for i := len(back) - 1; i >= 0; i-- {
		c := clampCursor(back[i]).String()
		need := len(c)
		if len(parts) > 0 {
			need++ // the comma
		}
		if used+need > room {
			break
		}
		used += need
		parts = append(parts, c)
	}
	// parts is newest first; the encoding is oldest first.
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ",")
}

// DecodeButtonState reads what Encode wrote. Button values come back from
// Slack and may have been forged: anything malformed is an error wrapping
// ErrButtonState, never a panic.
func DecodeButtonState(v string) (ButtonState, error) {
	if len(v) > 4*MaxButtonValue {
		return ButtonState{}, fmt.Errorf("%w: too long (%d bytes)", ErrButtonState, len(v))
	}
	rest, ok := strings.CutPrefix(v, buttonStateVersion)
	if !ok {
		return ButtonState{}, fmt.Errorf("%w: unknown version (want prefix %q)", ErrButtonState, buttonStateVersion)
	}
	fields := strings.SplitN(rest, "|", 4) // the query may contain "|"
	if len(fields) != 4 {
		return ButtonState{}, fmt.Errorf("%w: want 4 fields after the version, got %d", ErrButtonState, len(fields))
	}
	page, err := strconv.Atoi(fields[0])
	if err != nil || page < 1 || page > inbox.MaxPage {
		return ButtonState{}, fmt.Errorf("%w: bad page %q", ErrButtonState, fields[0])
	}
	cursor, err := inbox.ParseCursor(fields[1])
	if err != nil {
		return ButtonState{}, fmt.Errorf("%w: %v", ErrButtonState, err)
	}
	back, err := decodeBack(fields[2])
	if err != nil {
		return ButtonState{}, err
	}
	if len(back) >= page {
		return ButtonState{}, fmt.Errorf("%w: %d earlier pages for page %d", ErrButtonState, len(back), page)
	}
	if !utf8.ValidString(fields[3]) {
		return ButtonState{}, fmt.Errorf("%w: query is not UTF-8", ErrButtonState)
	}
	return ButtonState{Query: fields[3], Cursor: cursor, Page: page, Back: back}, nil
}

func decodeBack(s string) ([]inbox.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	back := make([]inbox.Cursor, 0, len(parts))
	for _, p := range parts {
		c, err := inbox.ParseCursor(p)
		if err != nil {
			return nil, fmt.Errorf("%w: back: %v", ErrButtonState, err)
		}
		back = append(back, c)
	}
	return back, nil
}

// stateAt is the button state that leads to position p of a's query.
func stateAt(a *Answer, p Position) ButtonState {
	return ButtonState{Query: a.Canonical, Cursor: p.Cursor, Page: max(p.Page, 1), Back: p.Back}
}

// hereState shows a's page again (Refresh, Share, Export).
func hereState(a *Answer) ButtonState { return stateAt(a, a.Here()) }

// nextState is where Next leads; false on the last page.
func nextState(a *Answer) (ButtonState, bool) {
	p, ok := a.NextPosition()
	return stateAt(a, p), ok
}

// prevState is where Prev leads; false on the first page.
func prevState(a *Answer) (ButtonState, bool) {
	p, ok := a.PrevPosition()
	return stateAt(a, p), ok
}
