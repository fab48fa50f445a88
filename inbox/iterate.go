package inbox

import (
	"context"
	"iter"
	"sync"
)

// Pages walks the results of f from page f.Page (1 if unset) to the last
// page, yielding them in order. Up to lookahead following pages are fetched
// concurrently ahead of the consumer (0 fetches one page at a time); pages
// fetched past the last one are wasted requests, the price of look-ahead.
// An error is yielded once and ends the walk. When the consumer stops early,
// fetches in flight are cancelled and waited for before Pages returns.
// The walk never goes past MaxPage.
func (c *Client) Pages(ctx context.Context, f Filter, lookahead int) iter.Seq2[*Page, error] {
	return walkPages(ctx, c, f, lookahead)
}

// All yields the contacts of every page of Pages, in order; an error is
// yielded once, with a zero User, and ends the walk.
func (c *Client) All(ctx context.Context, f Filter, lookahead int) iter.Seq2[User, error] {
	return func(yield func(User, error) bool) {
		for p, err := range c.Pages(ctx, f, lookahead) {
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
		for {
			for len(queue) <= lookahead && next <= MaxPage {
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
			if !yield(r.page, r.err) || r.err != nil || r.page.Last {
				return
			}
		}
	}
}
