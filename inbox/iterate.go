package inbox

import (
	"context"
	"iter"
	"sync"
)

// Pages walks the results of f over src (a Client, a cache in front of
// one, any Source) from page f.Page (1 if unset) to the last page, yielding
// the non-empty pages in order (or, when there are no results, the one
// empty page). Up to lookahead following pages are fetched concurrently
// ahead of the consumer (0 fetches one page at a time), so at most
// lookahead+1 requests are in flight; pages fetched past the last one are
// wasted requests, the price of look-ahead. An error is yielded once and
// ends the walk. When the consumer stops early, fetches in flight are
// cancelled and waited for before Pages returns. The walk never goes past
// MaxPage.
//
// The API's page size is not documented, so a page whose Last is only
// Inferred does not end the walk: the next page is read too, and the walk
// ends on an empty page (not yielded) or an explicit last one. That costs
// at most one request more than the pages themselves, and none when the
// walk reads two pages or more of an API that sends no total: a page
// followed by a non-empty page is a full one, which settles the end (and
// which a Client learns from the pages it serves). A yielded page may thus
// say Last and still be followed by another.
func Pages(ctx context.Context, src Source, f Filter, lookahead int) iter.Seq2[*Page, error] {
	return walkPages(ctx, src, f, lookahead)
}

// All yields the contacts of every page of Pages, in order; an error is
// yielded once, with a zero User, and ends the walk. Like Pages, it reads
// past a last page that is only Inferred (at most one request more).
func All(ctx context.Context, src Source, f Filter, lookahead int) iter.Seq2[User, error] {
	return func(yield func(User, error) bool) {
		for p, err := range Pages(ctx, src, f, lookahead) {
			if err != nil {
				yield(User{}, err)
				return
			}
			for _, u := range p.Users {
				if !yield(u, nil) {
					return
				}
			}
		}
	}
}

// fetched is the outcome of one page fetch.
type fetched struct {
	page *Page
	err  error
}

// walkPages is Pages.
func walkPages(ctx context.Context, src Source, f Filter, lookahead int) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		// Cancel first, then wait: no fetch outlives the walk.
		defer wg.Wait()
		defer cancel()

		// Each fetch owns a channel of capacity 1, so it never blocks on
		// send even when nobody reads it any more.
		fetch := func(page int) <-chan fetched {
			out := make(chan fetched, 1)
			g := f
			g.Page = page
			wg.Go(func() {
				p, err := src.Users(ctx, g)
				out <- fetched{p, err}
			})
			return out
		}
		lookahead = max(lookahead, 0)
		next := max(f.Page, 1) // the next page to start fetching
		var queue []<-chan fetched
		prev := 0         // contacts on the page yielded last; 0 before the first
		maybeEnd := false // that page was the last, Inferred: only its successor matters
		for {
			for len(queue) <= lookahead && next <= MaxPage && !(maybeEnd && len(queue) > 0) {
				queue = append(queue, fetch(next))
				next++
			}
			if len(queue) == 0 {
				return // MaxPage reached
			}
			r := <-queue[0]
			queue = queue[1:]
			if r.err == nil && r.page == nil {
				r.page = &Page{Last: true, Total: -1}
			}
			if r.err == nil && rawLen(r.page) == 0 && prev > 0 {
				return // the end, after the last non-empty page: nothing to yield
			}
			if !yield(r.page, r.err) || r.err != nil || endsWalk(r.page, prev) {
				return
			}
			prev, maybeEnd = rawLen(r.page), r.page.Last
		}
	}
}
