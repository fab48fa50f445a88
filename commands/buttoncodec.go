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
// format can tell old buttons (still in Slack history) from new ones. v2
// added the count of matches before each page ("CURSOR@BEFORE"); v1
// buttons still decode, their counts unknown.
const (
	buttonStateVersion   = "v2|"
	buttonStateVersionV1 = "v1|"
)

// maxBefore bounds the count of earlier matches a button may carry.
const maxBefore = 100_000_000

// ErrButtonState is wrapped by every DecodeButtonState error.
var ErrButtonState = errors.New("commands: bad button value")

// ButtonState is what a button carries, so that any replica can serve a
// click without stored state: the canonical query and where the page to
// show starts.
type ButtonState struct {
	Query  string       // the canonical query
	Cursor inbox.Cursor // where the page starts in the server's stream
	Page   int          // our page number, 1-based
	// Before counts the matches on the pages before this one (rows are
	// numbered from Before+1); -1 when unknown (a v1 button).
	Before int
	// Back holds the starts of earlier pages, most recent last. Encode may
	// drop the oldest ones to fit Slack's limit; Prev then leads to page 1
	// once the remaining history is used up (see prevState).
	Back []Mark
}

// Encode writes the state as "v2|PAGE|MARK|MARK,...|QUERY", where a MARK is
// "CURSOR@BEFORE" (or "CURSOR" when Before is unknown), at most
// MaxButtonValue characters: the oldest Back marks are dropped to fit.
// The canonical query is at most 1000 characters by contract; should a
// longer one come, it is cut so the button still fits (Slack would reject
// the whole message otherwise) and the click shows a clear query error.
//
// Out-of-range numbers are clamped into what DecodeButtonState accepts, so
// an encoded state always decodes.
func (s ButtonState) Encode() string {
	page := min(max(s.Page, 1), inbox.MaxPage)
	head := buttonStateVersion + strconv.Itoa(page) + "|" + Mark{s.Cursor, s.Before}.String() + "|"
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

// String writes the mark as "CURSOR@BEFORE", or "CURSOR" when Before is
// unknown; out-of-range numbers are clamped.
func (m Mark) String() string {
	c := clampCursor(m.Cursor).String()
	if m.Before < 0 {
		return c
	}
	return c + "@" + strconv.Itoa(min(m.Before, maxBefore))
}

// parseMark reads what Mark.String wrote.
func parseMark(s string) (Mark, error) {
	cursorText, beforeText, hasBefore := strings.Cut(s, "@")
	c, err := inbox.ParseCursor(cursorText)
	if err != nil {
		return Mark{}, err
	}
	m := Mark{Cursor: c, Before: -1}
	if hasBefore {
		m.Before, err = strconv.Atoi(beforeText)
		if err != nil || m.Before < 0 || m.Before > maxBefore {
			return Mark{}, fmt.Errorf("bad count of earlier matches %q", beforeText)
		}
	}
	return m, nil
}

// encodeBack joins the most recent marks that fit in room characters.
func encodeBack(back []Mark, room int) string {
	parts := make([]string, 0, len(back))
	used := 0
	for i := len(back) - 1; i >= 0; i-- {
		c := back[i].String()
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
		rest, ok = strings.CutPrefix(v, buttonStateVersionV1)
	}
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
	here, err := parseMark(fields[1])
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
	return ButtonState{Query: fields[3], Cursor: here.Cursor, Page: page, Before: here.Before, Back: back}, nil
}

func decodeBack(s string) ([]Mark, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	back := make([]Mark, 0, len(parts))
	for _, p := range parts {
		c, err := parseMark(p)
		if err != nil {
			return nil, fmt.Errorf("%w: back: %v", ErrButtonState, err)
		}
		back = append(back, c)
	}
	return back, nil
}

// stateAt is the button state that leads to position p of a's query.
func stateAt(a *Answer, p Position) ButtonState {
	return ButtonState{Query: a.Canonical, Cursor: p.Cursor, Page: max(p.Page, 1), Before: p.Before, Back: p.Back}
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
