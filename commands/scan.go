package commands

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync/atomic"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// ScanOptions bounds a Scan. A zero bound is no bound.
type ScanOptions struct {
	// Limit is how many matches fn is given. Scan looks for one match more
	// to tell whether there are more (ScanResult.Capped).
	Limit int
	// MaxScanned bounds the raw contacts examined, MaxPages the server
	// pages requested (look-ahead included).
	MaxScanned int
	MaxPages   int
	// Concurrency is how many page requests may be in flight at once: the
	// page the scan waits for and Concurrency-1 fetched ahead of it (1
	// when below 1).
	Concurrency int
	// Progress, when set, is told how far the scan got after each page,
	// from the goroutine that called Scan.
	Progress func(ScanResult)
}

// ScanResult is how far a Scan got.
type ScanResult struct {
	Matched int // matches given to fn
	Scanned int // raw contacts examined
	Pages   int // server page requests started, look-ahead included
	// Capped is true when more than Limit contacts match: Matched is then
	// a lower bound ("5,000+").
	Capped bool
	// Truncated is true when MaxScanned or MaxPages stopped the scan
	// before the end of the results: more may match than Matched.
	Truncated bool
}

// Scan walks every page of q (from page 1, whatever page q names) through
// src and gives fn, in order, each contact that q's predicate accepts at
// now, until Limit matches, a bound, the end of the results, or fn returns
// false. Pages are fetched with bounded concurrency (opt.Concurrency) and
// through src as it is: given the bot's cached and coalesced source, a
// scan shares its requests with answers and with other scans. Export uses
// it, and digests and alerts count with it (Limit MaxDigestCount).
//
// An error of src ends the scan; the result says how far it got.
func Scan(ctx context.Context, src inbox.Source, q *Query, now time.Time, opt ScanOptions, fn func(inbox.User) bool) (ScanResult, error) {
	var res ScanResult
	budget := &pageBudget{src: src, first: 1, max: opt.MaxPages}
	if opt.Limit > 0 && !q.HasPredicate() {
		// Every contact matches: Limit+1 contacts (the one that tells
		// "5,000+") are all the pages needed, and look-ahead stops there.
		budget.need = opt.Limit + 1
	}
	walk := inbox.Pages(ctx, budget, q.WithPage(1).Filter(), max(opt.Concurrency, 1)-1)
	err := scanPages(walk, q, now, opt, fn, &res, budget)
	// Pages has returned: every fetch it started is done and counted.
	res.Pages = int(budget.requests.Load())
	return res, err
}

// scanPages is the loop of Scan over the pages of walk.
func scanPages(walk iter.Seq2[*inbox.Page, error], q *Query, now time.Time, opt ScanOptions, fn func(inbox.User) bool, res *ScanResult, budget *pageBudget) error {
	predicate := q.HasPredicate()
	for p, err := range walk {
		if errors.Is(err, errPageBudget) {
			res.Truncated = true
			return nil
		}
		if err != nil {
			return err
		}
		for _, u := range p.Users {
			if opt.MaxScanned > 0 && res.Scanned >= opt.MaxScanned {
				res.Truncated = true
				return nil
			}
			res.Scanned++
			if predicate && !q.Match(u, now) {
				continue
			}
			if opt.Limit > 0 && res.Matched >= opt.Limit {
				res.Capped = true
				return nil
			}
			res.Matched++
			if !fn(u) {
				return nil
			}
		}
		if opt.Progress != nil {
			r := *res
			r.Pages = int(budget.requests.Load())
			opt.Progress(r)
		}
	}
	return nil
}

// errPageBudget is what pageBudget answers for a page past its bound.
var errPageBudget = errors.New("commands: scan: page budget spent")

// pageBudget is a Source in front of src that counts the requests made and
// refuses, without asking src, the pages past first+max-1 (max 0: none):
// look-ahead never fetches beyond a scan's bound.
type pageBudget struct {
	src   inbox.Source
	first int
	max   int
	// need, when set, is how many contacts the scan can use at most (every
	// contact matching); once a full page tells the page size, the pages
	// past those needed are refused like pages past max, so that a bounded
	// count costs exactly its pages.
	need     int
	needMax  atomic.Int64 // pages needed; 0 not known yet, -1 unknowable
	requests atomic.Int64
}

func (b *pageBudget) Users(ctx context.Context, f inbox.Filter) (*inbox.Page, error) {
	if b.max > 0 && f.Page >= b.first+b.max {
		return nil, fmt.Errorf("page %d: %w", f.Page, errPageBudget)
	}
	if n := b.needMax.Load(); n > 0 && f.Page >= b.first+int(n) {
		return nil, fmt.Errorf("page %d: %w", f.Page, errPageBudget)
	}
	b.requests.Add(1)
	p, err := b.src.Users(ctx, f)
	if err == nil && b.need > 0 {
		b.learn(p)
	}
	return p, err
}

// learn sets the pages needed from the first full page that comes back. A
// page with items that are not contacts makes the count of contacts per
// page unknowable, and the bound is dropped.
func (b *pageBudget) learn(p *inbox.Page) {
	n := len(p.Users) + p.Skipped
	switch {
	case p.Skipped > 0:
		b.needMax.Store(-1)
	case n > 0 && !p.Last:
		b.needMax.CompareAndSwap(0, int64((b.need+n-1)/n))
	}
}
