package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// MaxScan bounds how many raw contacts one answer with a client-side
// predicate examines before it stops and says "scanned N contacts".
const MaxScan = 1000

// Position is where an answer starts: our page number, the server cursor,
// and the starts of earlier pages for Prev. The zero Position means "the
// page the query asks for".
type Position struct {
	Page   int
	Cursor inbox.Cursor
	Back   []inbox.Cursor
}

// PositionOf returns the position a button state points at.
func PositionOf(s ButtonState) Position {
	return Position{Page: s.Page, Cursor: s.Cursor, Back: s.Back}
}

// Ask answers q from pos: it asks src for the request body of q and, for
// queries with a client-side predicate, walks server pages until a page of
// ours is full (bounded by MaxScan).
func Ask(ctx context.Context, src inbox.Source, q *Query, pos Position, now time.Time) (*Answer, error) {
	if pos.Page < 1 {
		var err error
		if pos, err = startPosition(ctx, src, q, now); err != nil {
			return nil, err
		}
	}
	base := q.WithPage(1)
	found, err := inbox.Find(ctx, src, base.Filter(), pos.Cursor, findOptions(q, now))
	if err != nil {
		return nil, err
	}
	a := &Answer{
		Canonical: base.Canonical(),
		Words:     q.Words(),
		Users:     found.Users,
		Page:      pos.Page,
		Start:     pos.Cursor,
		Next:      found.Next,
		Back:      pos.Back,
		Total:     -1,
		Scanned:   found.Scanned,
		Truncated: found.Truncated,
		Skipped:   found.Skipped,
		At:        now,
	}
	switch {
	case !q.HasPredicate() && found.Total >= 0:
		a.Total = found.Total
	case found.Next == nil && !found.Truncated:
		// The end was reached: everything before this page plus this page.
		a.Total = matchesBefore(src, q, pos) + len(found.Users)
	}
	if !q.HasPredicate() {
		a.Scanned = 0 // nothing was filtered on our side: nothing to report
	}
	return a, nil
}

// PageSizer is a Source that knows how many contacts a full server page
// holds (inbox.Client learns it from the API).
type PageSizer interface{ PageSize() int }

// matchesBefore counts the matches on the pages before pos. Ours are
// PageSize; plain queries show the server's pages, whose size the source
// may know (else PageSize is assumed).
func matchesBefore(src inbox.Source, q *Query, pos Position) int {
	if q.HasPredicate() {
		return (pos.Page - 1) * PageSize
	}
	size := PageSize
	if ps, ok := src.(PageSizer); ok && ps.PageSize() > 0 {
		size = ps.PageSize()
	}
	return (pos.Cursor.Page - 1) * size
}

func findOptions(q *Query, now time.Time) inbox.FindOptions {
	opt := inbox.FindOptions{Limit: PageSize, MaxScan: MaxScan}
	if q.HasPredicate() {
		opt.Match = func(u inbox.User) bool { return q.Match(u, now) }
	} else {
		opt.Limit = 1 << 20 // the server's page as it is, whatever its size
	}
	return opt
}

// startPosition finds where page:N of q begins. For plain queries that is
// server page N; with a predicate our pages are assembled from the stream,
// so earlier pages are walked (each bounded) to find where page N starts.
func startPosition(ctx context.Context, src inbox.Source, q *Query, now time.Time) (Position, error) {
	page := q.Page()
	if !q.HasPredicate() {
		return Position{Page: page, Cursor: inbox.Cursor{Page: page}}, nil
	}
	pos := Position{Page: 1, Cursor: inbox.Cursor{Page: 1}}
	filter := q.WithPage(1).Filter()
	for pos.Page < page {
		found, err := inbox.Find(ctx, src, filter, pos.Cursor, findOptions(q, now))
		if err != nil {
			return Position{}, fmt.Errorf("page %d: %w", pos.Page, err)
		}
		if found.Next == nil {
			break // fewer pages than asked: show the last one
		}
		pos.Back = append(pos.Back, pos.Cursor)
		pos.Cursor = *found.Next
		pos.Page++
	}
	return pos, nil
}

// Here is the position that shows this answer's page again (Refresh).
func (a *Answer) Here() Position {
	return Position{Page: a.Page, Cursor: a.Start, Back: a.Back}
}

// NextPosition is where Next leads; false on the last page.
func (a *Answer) NextPosition() (Position, bool) {
	if a.Next == nil {
		return Position{}, false
	}
	back := append(append([]inbox.Cursor(nil), a.Back...), a.Start)
	return Position{Page: a.Page + 1, Cursor: *a.Next, Back: back}, true
}

// PrevPosition is where Prev leads; false on the first page. When the
// history of page starts was cut to fit a button, Prev leads to page 1.
func (a *Answer) PrevPosition() (Position, bool) {
	if a.Page <= 1 {
		return Position{}, false
	}
	if len(a.Back) == 0 {
		return Position{Page: 1, Cursor: inbox.Cursor{Page: 1}}, true
	}
	last := len(a.Back) - 1
	return Position{Page: a.Page - 1, Cursor: a.Back[last], Back: a.Back[:last:last]}, true
}
