package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Source is anything that answers POST /inbox/users: the Client, a cache in
// front of it, or the fake inbox.
type Source interface {
	Users(ctx context.Context, f Filter) (*Page, error)
}

// Defaults of FindOptions.
const (
	DefaultFindLimit = 20  // contacts wanted when Limit is 0
	DefaultMaxScan   = 500 // raw contacts examined when MaxScan is 0
)

// FindOptions says what Find keeps and how far it may walk.
type FindOptions struct {
	// Match keeps the contacts for which it returns true; nil keeps all.
	Match func(User) bool
	// Limit is how many contacts are wanted (DefaultFindLimit if <= 0).
	Limit int
	// MaxScan bounds the raw contacts examined (DefaultMaxScan if <= 0).
	MaxScan int
	// Deadline, when not zero, bounds the walk's time: no page is fetched
	// after it, and a fetch still running at it is abandoned; the walk then
	// stops as at MaxScan (Truncated, TimedOut, Next where it got to). The
	// first page is always fetched in full (under ctx alone), so a walk
	// always makes progress. A plain Find ignores it.
	Deadline time.Time
	// Now is the clock Deadline is read with; time.Now when nil.
	Now func() time.Time
}

// Found is the result of Find.
type Found struct {
	Users []User
	// Next is where the following results start; nil when the end of the
	// results was reached.
	Next *Cursor
	// Scanned counts the raw contacts examined.
	Scanned int
	// Truncated is true when MaxScan or Deadline stopped the walk before
	// Limit matches or the end of the results.
	Truncated bool
	// TimedOut is true when it was Deadline.
	TimedOut bool
	// Total is the API's total when it gave one and Match is nil, else -1.
	Total int
	// Requests counts the server pages fetched.
	Requests int
	// Skipped counts the items of the pages fetched that were not contacts
	// (see Page.Skipped).
	Skipped int
	// PageSize is the Size of the last page fetched that had one (see
	// Page.Size), 0 when no page said.
	PageSize int
}

// Find walks the results of f from the cursor from (server page from.Page,
// f.Page when 0; skipping from.Offset raw contacts) and keeps the contacts
// opt.Match accepts until opt.Limit are found, the results end, or
// opt.MaxScan raw contacts were examined. A plain query (Match nil, Offset 0)
// makes exactly one request and, when Limit covers it, returns the server
// page as it is, its Next following the page's Last (SPEC §11: no
// look-ahead request).
//
// Otherwise Find walks: it does not stop on a page whose Last is only
// Inferred but fetches the next page, and ends on an empty page or an
// explicit last one. That costs at most one request more at the end of the
// results, and none once the source knows the page size (a Client learns
// it from a page followed by a non-empty next one). When Limit is reached on the last contact of an Inferred last
// page, Next is the following page, which may turn out to be empty.
func Find(ctx context.Context, src Source, f Filter, from Cursor, opt FindOptions) (*Found, error) {
	opt = opt.withDefaults()
	page := from.Page
	if page < 1 {
		page = max(f.Page, 1)
	}
	w := &finder{src: src, filter: f, opt: opt, found: &Found{Total: -1}}
	if opt.Match == nil && from.Offset == 0 {
		return w.plain(ctx, page)
	}
	return w.walk(ctx, Cursor{Page: page, Offset: max(from.Offset, 0)})
}

func (o FindOptions) withDefaults() FindOptions {
	if o.Limit <= 0 {
		o.Limit = DefaultFindLimit
	}
	if o.MaxScan <= 0 {
		o.MaxScan = DefaultMaxScan
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// finder is the state of one Find.
type finder struct {
	src    Source
	filter Filter
	opt    FindOptions
	found  *Found
}

func (w *finder) fetch(ctx context.Context, page int) (*Page, error) {
	if page > MaxPage {
		return nil, fmt.Errorf("inbox: find: page %d is beyond the limit of %d", page, MaxPage)
	}
	f := w.filter
	f.Page = page
	w.found.Requests++
	p, err := w.src.Users(ctx, f)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("inbox: find: page %d: source returned no page", page)
	}
	w.found.Skipped += max(p.Skipped, 0)
	if p.Size > 0 {
		w.found.PageSize = p.Size
	}
	return p, nil
}

// plain answers a query without predicate from one server page: the page
// as it is, or its first Limit contacts. One request, always (SPEC §11).
func (w *finder) plain(ctx context.Context, page int) (*Found, error) {
	p, err := w.fetch(ctx, page)
	if err != nil {
		return nil, err
	}
	fd := w.found
	fd.Total = p.Total
	fd.Users = p.Users
	if len(p.Users) > w.opt.Limit {
		fd.Users = p.Users[:w.opt.Limit:w.opt.Limit]
		fd.Next = &Cursor{Page: page, Offset: w.opt.Limit}
	} else {
		fd.Next = after(p, page, len(p.Users))
	}
	fd.Scanned = len(fd.Users)
	return fd, nil
}

// errBudget is why a fetch was abandoned at FindOptions.Deadline.
var errBudget = errors.New("inbox: find: time budget spent")

// fetchInBudget fetches a page of a walk that has already fetched one: not
// after opt.Deadline, and abandoned at it. It returns (nil, nil) when the
// budget stopped it.
func (w *finder) fetchInBudget(ctx context.Context, page int) (*Page, error) {
	if w.opt.Deadline.IsZero() {
		return w.fetch(ctx, page)
	}
	left := w.opt.Deadline.Sub(w.opt.Now())
	if left <= 0 {
		return nil, nil
	}
	bctx, cancel := context.WithTimeoutCause(ctx, left, errBudget)
	defer cancel()
	p, err := w.fetch(bctx, page)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(bctx), errBudget) {
		return nil, nil // the budget, not the caller, ended the fetch
	}
	return p, err
}

// walk scans raw contacts from at, page after page.
func (w *finder) walk(ctx context.Context, at Cursor) (*Found, error) {
	fd := w.found
	prev := 0 // contacts on the page before at.Page, when this walk read it
	for {
		var p *Page
		var err error
		if fd.Requests == 0 {
			p, err = w.fetch(ctx, at.Page)
		} else if p, err = w.fetchInBudget(ctx, at.Page); err == nil && p == nil {
			fd.Truncated, fd.TimedOut = true, true
			fd.Next = &at
			return fd, nil
		}
		if err != nil {
			return nil, err
		}
		last := endsWalk(p, prev)
		prev = rawLen(p)
		if w.opt.Match == nil {
			fd.Total = p.Total
		}
		for i := at.Offset; i < len(p.Users); i++ {
			if fd.Scanned >= w.opt.MaxScan {
				fd.Truncated = true
				fd.Next = &Cursor{Page: at.Page, Offset: i}
				return fd, nil
			}
			fd.Scanned++
			if w.opt.Match == nil || w.opt.Match(p.Users[i]) {
				fd.Users = append(fd.Users, p.Users[i])
				if len(fd.Users) >= w.opt.Limit {
					fd.Next = cursorAfter(at.Page, i+1, len(p.Users), last)
					return fd, nil
				}
			}
		}
		next := cursorAfter(at.Page, len(p.Users), len(p.Users), last)
		if next == nil {
			return fd, nil // the end of the results
		}
		if fd.Scanned >= w.opt.MaxScan {
			fd.Truncated = true
			fd.Next = next
			return fd, nil
		}
		at = *next
	}
}

// after returns the cursor right after the first n raw contacts of p,
// server page number page: in p while contacts remain, else the start of
// the next page, or nil when p was the last page (or MaxPage). The page
// number is passed, not read from p, as a Source need not fill p.Number.
func after(p *Page, page, n int) *Cursor {
	return cursorAfter(page, n, len(p.Users), p.Last)
}

// cursorAfter returns the cursor right after the first n of the size raw
// contacts of server page page, which is the last page when last is true.
func cursorAfter(page, n, size int, last bool) *Cursor {
	if n < size {
		return &Cursor{Page: page, Offset: n}
	}
	if last || page >= MaxPage {
		return nil
	}
	return &Cursor{Page: page + 1}
}

// endsWalk reports whether a walk ends with page p, whose predecessor in
// the walk held prev contacts (0 when p is the walk's first page). An empty
// page always does, whatever its Source said. A Last that is only Inferred
// does not, unless the walk itself settles it: a non-empty page follows a
// full page of prev contacts and is shorter than that, with no total to
// say otherwise. (The Source may not have decoded p knowing the size, as
// it learns it from p arriving.)
func endsWalk(p *Page, prev int) bool {
	switch {
	case rawLen(p) == 0:
		return true
	case !p.Last:
		return false
	case !p.Inferred:
		return true
	}
	return prev > 0 && rawLen(p) < prev && p.Total < 0
}

// rawLen is how many items the API's page held: its contacts and the
// items skipped as malformed, which count for its length all the same.
func rawLen(p *Page) int { return len(p.Users) + max(p.Skipped, 0) }
