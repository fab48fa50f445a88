package commands

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// MaxScan bounds how many raw contacts one answer with a client-side
// predicate examines before it stops and says "scanned N contacts".
const MaxScan = 1000

// Bounds of the walk to page:N of a query with a predicate, whose earlier
// pages are assembled from the stream to find where page N starts: past
// either, the answer is a TooDeep error ("page 400 is further than I
// scan"), never a page of its own. The request bound guards small server
// pages; one page of the walk may overshoot it (each is bounded by
// MaxScan). The time budget (ScanDeadline) applies too.
const (
	MaxPagingScan     = 10000 // raw contacts examined on the way to page N
	MaxPagingRequests = 1000  // inbox requests made on the way
)

// Bounds of a scan's time (SPEC §5: a scan is bounded, and a slow inbox must
// not hold the answer until its deadline, 110 s with the defaults). A scan
// stops at MaxScanBudget, or sooner at 1/scanBudgetShare of the time the
// answer has left, so that the page it got to can still be rendered and
// posted in time.
const (
	MaxScanBudget   = 10 * time.Second
	scanBudgetShare = 2
)

// Mark is where one page starts: its server cursor and how many matches
// come before it (Before -1 when unknown, as from an old button).
type Mark struct {
	Cursor inbox.Cursor
	Before int
}

// Position is where an answer starts: our page number, the server cursor,
// the matches before it, and the starts of earlier pages for Prev. The
// zero Position means "the page the query asks for".
type Position struct {
	Page   int
	Cursor inbox.Cursor
	// Before counts the matches on earlier pages, -1 when unknown; rows
	// are numbered from Before+1.
	Before int
	Back   []Mark
}

// PositionOf returns the position a button state points at.
func PositionOf(s ButtonState) Position {
	return Position{Page: s.Page, Cursor: s.Cursor, Before: s.Before, Back: s.Back}
}

// ScanDeadline is when a scan that starts at now must stop, given the
// answer's deadline (ok false when there is none): after MaxScanBudget, or
// after a share of the time left when that is shorter.
func ScanDeadline(now, deadline time.Time, ok bool) time.Time {
	budget := MaxScanBudget
	if ok {
		budget = min(budget, max(deadline.Sub(now), 0)/scanBudgetShare)
	}
	return now.Add(budget)
}

// Ask answers q from pos: it asks src for the request body of q and, for
// queries with a client-side predicate, walks server pages until a page of
// ours is full (bounded by MaxScan and by the time budget ScanDeadline
// takes from ctx's deadline).
//
// A plain query makes one request. A page past the end of the results (an
// empty page after page 1) is answered as such, with the count when it is
// known and the way back to the last page (PastEnd, Last).
func Ask(ctx context.Context, src inbox.Source, q *Query, pos Position, now time.Time) (*Answer, error) {
	deadline, ok := ctx.Deadline()
	opt := findOptions(q, now)
	opt.Deadline = ScanDeadline(time.Now(), deadline, ok)
	a := &Answer{
		Canonical: q.WithPage(1).Canonical(),
		Words:     q.Words(),
		Total:     -1,
		At:        now,
	}
	if pos.Page < 1 {
		start, err := startPosition(ctx, src, q, opt)
		if err != nil {
			return nil, err
		}
		if start.last != nil {
			return a.pastEnd(q.Page(), *start.last, start.last.Before+start.lastCount), nil
		}
		pos = start.pos
	}
	found, err := inbox.Find(ctx, src, q.WithPage(1).Filter(), pos.Cursor, opt)
	if err != nil {
		return nil, err
	}
	a.Users, a.Page, a.Start, a.Next, a.Back = found.Users, pos.Page, pos.Cursor, found.Next, pos.Back
	size := serverPageSize(found)
	a.Before = matchesBefore(size, q, pos)
	a.Scanned, a.Truncated, a.TimedOut = found.Scanned, found.Truncated, found.TimedOut
	a.Skipped = found.Skipped
	if !q.HasPredicate() {
		a.Scanned = 0 // nothing was filtered on our side: nothing to report
		a.Total = found.Total
	}
	if len(a.Users) == 0 && a.Page > 1 && !a.Truncated {
		return a.pastEndOf(ctx, src, q, pos, opt, size)
	}
	if a.Total < 0 && found.Next == nil && !found.Truncated {
		// The end was reached: everything before this page plus this page.
		a.Total = a.Before + len(a.Users)
	}
	return a, nil
}

// pastEndOf turns a, an empty page after page 1 (pos), into the answer
// that says so. The count is known when the API gave a total, or when Next
// led here: the page before ended the results exactly, and pos.Before
// counted them. A plain page:N typed past the end asks for page 1 once
// more (one request that only this answer makes): when it is the last
// page, the count is known; else the way back is to page 1.
func (a *Answer) pastEndOf(ctx context.Context, src inbox.Source, q *Query, pos Position, opt inbox.FindOptions, size int) (*Answer, error) {
	switch {
	case a.Total >= 0 && !q.HasPredicate():
		if a.Total == 0 {
			return a.pastEnd(pos.Page, Position{}, 0), nil
		}
		page := min((a.Total+size-1)/size, pos.Page-1)
		return a.pastEnd(pos.Page, Position{Page: page, Cursor: inbox.Cursor{Page: page}, Before: (page - 1) * size}, a.Total), nil
	case len(pos.Back) > 0 && pos.Before >= 0:
		prev, _ := a.PrevPosition()
		return a.pastEnd(pos.Page, prev, pos.Before), nil
	case !q.HasPredicate():
		first, err := inbox.Find(ctx, src, q.WithPage(1).Filter(), inbox.Cursor{Page: 1}, opt)
		if err != nil {
			return nil, fmt.Errorf("page 1: %w", err)
		}
		if first.Next == nil { // page 1 is the last: it holds them all
			return a.pastEnd(pos.Page, Position{Page: 1, Cursor: inbox.Cursor{Page: 1}}, len(first.Users)), nil
		}
	}
	return a.pastEnd(pos.Page, Position{}, -1), nil
}

// pastEnd makes a the answer for page, which lies past the end of the
// results: total matches (-1 unknown) on the pages up to last (zero
// Position when unknown).
func (a *Answer) pastEnd(page int, last Position, total int) *Answer {
	a.Page, a.Users, a.Next = page, nil, nil
	a.Before, a.Total = max(total, 0), total
	if total == 0 {
		return a // nothing matches at all: the plain empty answer
	}
	a.PastEnd = true
	if last.Page >= 1 {
		a.Last = &last
	}
	return a
}

// serverPageSize is the size of the server's pages as the pages Find
// fetched say (Page.Size), else PageSize.
func serverPageSize(found *inbox.Found) int {
	if found.PageSize > 0 {
		return found.PageSize
	}
	return PageSize
}

// matchesBefore counts the matches on the pages before pos. With a
// predicate, the pages that led to pos counted them (pos.Before); from an
// old button, ours are taken to be full. Plain queries show the server's
// pages, all of size contacts but the last.
func matchesBefore(size int, q *Query, pos Position) int {
	if q.HasPredicate() {
		if pos.Before >= 0 {
			return pos.Before
		}
		return (pos.Page - 1) * PageSize
	}
	return (pos.Cursor.Page-1)*size + pos.Cursor.Offset
}

// findOptions are the options of q's walks. now is the answer's clock, for
// the predicate; Ask sets the scan's time budget (Deadline), which runs on
// the real clock, like the inbox's timeouts.
func findOptions(q *Query, now time.Time) inbox.FindOptions {
	opt := inbox.FindOptions{Limit: PageSize, MaxScan: MaxScan}
	if q.HasPredicate() {
		opt.Match = func(u inbox.User) bool { return q.Match(u, now) }
	} else {
		opt.Limit = 1 << 20 // the server's page as it is, whatever its size
	}
	return opt
}

// start is where page:N of a query begins, or, when the results end
// before page N, the last page (last, with lastCount matches on it).
type start struct {
	pos       Position
	last      *Position
	lastCount int
}

// startPosition finds where page:N of q begins. For plain queries that is
// server page N; with a predicate our pages are assembled from the stream,
// so earlier pages are walked (each bounded) to find where page N starts,
// counting their matches, within MaxPagingScan and MaxPagingRequests (a
// TooDeep error past them). When the time budget runs out on the way, the
// page reached is shown (it says its number).
func startPosition(ctx context.Context, src inbox.Source, q *Query, opt inbox.FindOptions) (start, error) {
	page := q.Page()
	if !q.HasPredicate() {
		return start{pos: Position{Page: page, Cursor: inbox.Cursor{Page: page}, Before: -1}}, nil
	}
	pos := Position{Page: 1, Cursor: inbox.Cursor{Page: 1}}
	filter := q.WithPage(1).Filter()
	scanned, requests := 0, 0
	for pos.Page < page {
		if scanned >= MaxPagingScan || requests >= MaxPagingRequests {
			return start{}, tooDeep(page, pos.Page, scanned)
		}
		step := opt
		step.MaxScan = min(opt.MaxScan, MaxPagingScan-scanned)
		found, err := inbox.Find(ctx, src, filter, pos.Cursor, step)
		if err != nil {
			return start{}, fmt.Errorf("page %d: %w", pos.Page, err)
		}
		scanned += found.Scanned
		requests += found.Requests
		if found.Next == nil {
			// Fewer pages than asked: page N is past the end. The last
			// page is this one, or the one before when this one is empty
			// (the page before ended exactly where a page of ours does).
			last := pos
			if len(found.Users) == 0 && len(pos.Back) > 0 {
				m := pos.Back[len(pos.Back)-1]
				last = Position{Page: pos.Page - 1, Cursor: m.Cursor, Before: m.Before, Back: pos.Back[: len(pos.Back)-1 : len(pos.Back)-1]}
			}
			return start{pos: pos, last: &last, lastCount: pos.Before - last.Before + len(found.Users)}, nil
		}
		if found.Truncated && !found.TimedOut && scanned >= MaxPagingScan {
			// The budget, not the page's own bound, cut this page short:
			// where page N starts is beyond what we scan.
			return start{}, tooDeep(page, pos.Page, scanned)
		}
		pos.Back = append(pos.Back, Mark{Cursor: pos.Cursor, Before: pos.Before})
		pos.Cursor = *found.Next
		pos.Before += len(found.Users)
		pos.Page++
		if found.TimedOut {
			break
		}
	}
	return start{pos: pos}, nil
}

// Here is the position that shows this answer's page again (Refresh).
func (a *Answer) Here() Position {
	return Position{Page: a.Page, Cursor: a.Start, Before: a.Before, Back: a.Back}
}

// NextPosition is where Next leads; false on the last page.
func (a *Answer) NextPosition() (Position, bool) {
	if a.Next == nil {
		return Position{}, false
	}
	back := append(append([]Mark(nil), a.Back...), Mark{Cursor: a.Start, Before: a.Before})
	return Position{Page: a.Page + 1, Cursor: *a.Next, Before: a.Before + len(a.Users), Back: back}, true
}

// PrevPosition is where Prev leads; false on the first page. When the
// history of page starts was cut to fit a button, Prev leads to page 1.
// Past the end, it leads to the last page when that is known, else to
// page 1.
func (a *Answer) PrevPosition() (Position, bool) {
	switch {
	case a.PastEnd && a.Last != nil:
		return *a.Last, true
	case a.Page <= 1:
		return Position{}, false
	case len(a.Back) == 0 || a.PastEnd:
		return Position{Page: 1, Cursor: inbox.Cursor{Page: 1}}, true
	}
	last := len(a.Back) - 1
	m := a.Back[last]
	return Position{Page: a.Page - 1, Cursor: m.Cursor, Before: m.Before, Back: a.Back[:last:last]}, true
}

// tooDeep is the error of page:page when the walk to it stopped on page
// reached after scanning scanned contacts.
func tooDeep(page, reached, scanned int) error {
	return &QueryError{
		Token: "page:" + strconv.Itoa(page),
		Message: fmt.Sprintf("Page %s is further than I scan: I stopped at page %s after %s contacts. Narrow the query, or ask for an earlier page.",
			thousands(page), thousands(reached), thousands(scanned)),
	}
}
