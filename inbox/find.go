package inbox

import (
	"context"
	"fmt"
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
}

// Found is the result of Find.
type Found struct {
	Users []User
	// Next is where the following results start; nil when the end of the
	// results was reached.
	Next *Cursor
	// Scanned counts the raw contacts examined.
	Scanned int
	// Truncated is true when MaxScan stopped the walk before Limit
	// matches or the end of the results.
	Truncated bool
	// Total is the API's total when it gave one and Match is nil, else -1.
	Total int
	// Requests counts the server pages fetched.
	Requests int
}

// Find walks the results of f from the cursor from (server page from.Page,
// f.Page when 0; skipping from.Offset raw contacts) and keeps the contacts
// opt.Match accepts until opt.Limit are found, the results end, or
// opt.MaxScan raw contacts were examined. A plain query (Match nil, Offset 0)
// makes exactly one request and, when Limit covers it, returns the server
// page as it is.
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

// walk scans raw contacts from at, page after page.
func (w *finder) walk(ctx context.Context, at Cursor) (*Found, error) {
	fd := w.found
	for {
		p, err := w.fetch(ctx, at.Page)
		if err != nil {
			return nil, err
		}
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
					fd.Next = after(p, at.Page, i+1)
					return fd, nil
				}
			}
		}
		next := after(p, at.Page, len(p.Users))
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
	if n < len(p.Users) {
		return &Cursor{Page: page, Offset: n}
	}
	if p.Last || page >= MaxPage {
		return nil
	}
	return &Cursor{Page: page + 1}
}
