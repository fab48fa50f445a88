package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// evalConcurrency is how many inbox requests an alert round has in flight
// at once, across all its walks: the same as a digest's count, so that a
// round never asks more of the inbox than one digest does.
const evalConcurrency = digestConcurrency

// evalScanFactor bounds the raw contacts one walk examines: evalScanFactor
// times the match bound (10,000 contacts at the default 5,000). A query the
// server filters entirely reaches its bound (bound+1 contacts, "5,000+")
// well inside it; a query with client-side predicates (live unassigned,
// waiting:>10m) is counted exactly as long as at least half of what the
// server sends matches, and otherwise over the first 10,000 contacts
// ("N+", Truncated). 10,000 contacts are 500 pages of 20: at 300 ms a page
// and evalConcurrency in flight, such a walk alone takes about 40 s, inside
// the default 1m interval; a larger bound would let one rule of a rare
// predicate over a big inbox eat the next round (the round's ctx bounds
// several such rules).
const evalScanFactor = 2

// evalRequest is one rule's need in a round.
type evalRequest struct {
	Query *commands.Query
	Users int  // how many matching users to keep for display (first N, inbox order)
	IDs   bool // keep every matching id up to the bound (`new` rules)
}

// evalResult is what a round found for one evalRequest.
type evalResult struct {
	// Count is how many contacts match, up to the bound. Capped: the walk
	// hit a bound and more may match, Count is a lower bound ("5,000+").
	Count  int
	Capped bool
	// Truncated is true when the bound on raw contacts examined (client-side
	// predicates) rather than the match bound stopped the walk; Capped is
	// then true too.
	Truncated bool
	// Users are the first matching contacts (at most the request's Users),
	// IDs every matching id up to the bound when the request asked for
	// them, both in inbox order. They are shared with other results of
	// the round: read them, do not modify them.
	Users []inbox.User
	IDs   []string
	// Err is set when the walk of this request's body failed (or the
	// round's ctx ended first); the other fields are then zero.
	Err error
}

// roundStats says what a round cost.
type roundStats struct {
	Rules   int // requests evaluated
	Bodies  int // distinct request bodies, one walk each
	Queries int // distinct queries (body and client-side predicate)
	// Requests is how many requests were asked of the source, look-ahead
	// included (one cancelled as its walk ended may not reach the inbox).
	Requests int
	// Pages is how many pages the walks needed and read (the empty page
	// that ends a walk included); Requests-Pages are the requests that
	// look-ahead spent past the end of a walk or past its bound.
	Pages    int
	Failed   int           // bodies whose walk failed
	Duration time.Duration // the round's wall time, grouping included
}

// evaluator evaluates the queries of a round of alert rules: one walk of
// pages per distinct request body, shared by every rule that needs it, with
// bounded concurrency across all walks. It is safe for concurrent use;
// each round is independent.
type evaluator struct {
	src         inbox.Source
	bound       int // matches counted before "5,000+"
	maxScanned  int // raw contacts one walk examines
	concurrency int // inbox requests in flight for the whole round
	clock       func() time.Time
}

// newEvaluator returns an evaluator asking src, counting up to bound
// matches (commands.MaxDigestCount when below 1) with at most concurrency
// requests in flight (evalConcurrency when below 1).
func newEvaluator(src inbox.Source, bound, concurrency int) *evaluator {
	if bound < 1 {
		bound = commands.MaxDigestCount
	}
	if concurrency < 1 {
		concurrency = evalConcurrency
	}
	return &evaluator{src: src, bound: bound, maxScanned: evalScanFactor * bound,
		concurrency: concurrency, clock: time.Now}
}

// evalTally is one distinct query's count over its body's walk: the
// bookkeeping of commands.Scan (Limit bound, MaxScanned maxScanned) for
// pages that several queries read together.
type evalTally struct {
	q         *commands.Query
	predicate bool
	keepUsers int
	keepIDs   bool
	reqs      []int // indexes into the round's requests

	scanned, matched  int
	capped, truncated bool
	done              bool
	users             []inbox.User
	ids               []string
}

// add counts contact u, as commands.Scan does: examined, matched by the
// predicate, counted unless the bound is reached (then capped: one match
// past the bound exists).
func (t *evalTally) add(u inbox.User, now time.Time, bound, maxScanned int) {
	if t.scanned >= maxScanned {
		t.truncated, t.done = true, true
		return
	}
	t.scanned++
	if t.predicate && !t.q.Match(u, now) {
		return
	}
	if t.matched >= bound {
		t.capped, t.done = true, true
		return
	}
	t.matched++
	if len(t.users) < t.keepUsers {
		t.users = append(t.users, u)
	}
	if t.keepIDs {
		t.ids = append(t.ids, u.ID)
	}
}

// evalWalk is one request body's walk of pages and the queries reading it.
type evalWalk struct {
	filter  inbox.Filter // page 1
	tallies []*evalTally
	pages   int
	err     error
}

// feed gives page p's contacts to every tally still counting and reports
// whether one still is.
func (w *evalWalk) feed(p *inbox.Page, now time.Time, bound, maxScanned int) bool {
	more := false
	for _, t := range w.tallies {
		for i := 0; i < len(p.Users) && !t.done; i++ {
			t.add(p.Users[i], now, bound, maxScanned)
		}
		more = more || !t.done
	}
	return more
}

// round evaluates reqs at now (the time client-side predicates such as
// waiting: are checked at) and returns their results, index-aligned with
// reqs. Requests whose request body (page 1) is the same share one walk:
// one inbox request per distinct (body, page). An error fails only the
// requests of the body it happened on.
func (e *evaluator) round(ctx context.Context, reqs []evalRequest, now time.Time) ([]evalResult, roundStats) {
	started := e.clock()
	results := make([]evalResult, len(reqs))
	walks, queries := e.group(reqs, results)
	stats := roundStats{Rules: len(reqs), Bodies: len(walks), Queries: queries}

	sem := make(chan struct{}, e.concurrency)
	var requests atomic.Int64
	var wg sync.WaitGroup
	for _, w := range walks {
		wg.Go(func() { e.walk(ctx, w, sem, now, &requests) })
	}
	wg.Wait()

	for _, w := range walks {
		stats.Pages += w.pages
		if w.err != nil {
			stats.Failed++
		}
		for _, t := range w.tallies {
			for _, i := range t.reqs {
				results[i] = t.result(reqs[i], w.err)
			}
		}
	}
	stats.Requests = int(requests.Load())
	stats.Duration = e.clock().Sub(started)
	return results, stats
}

// result is what tally t says to request r; err is its walk's.
func (t *evalTally) result(r evalRequest, err error) evalResult {
	if err != nil {
		return evalResult{Err: fmt.Errorf("alert query `%s`: %w", t.q.Redacted(), err)}
	}
	res := evalResult{Count: t.matched, Capped: t.capped || t.truncated, Truncated: t.truncated}
	if n := min(max(r.Users, 0), len(t.users)); n > 0 {
		res.Users = slices.Clip(t.users[:n])
	}
	if r.IDs {
		res.IDs = slices.Clip(t.ids)
	}
	return res
}

// group sorts reqs into walks by request body and, within a walk, into
// tallies by query. Rules are many and distinct queries few: a rule whose
// query is built like one seen before (same canonical form, SameAs) joins
// its tally at the cost of a comparison; only a new query has its body
// encoded. Requests without a query get an error in results.
func (e *evaluator) group(reqs []evalRequest, results []evalResult) ([]*evalWalk, int) {
	var walks []*evalWalk
	byBody := map[string]*evalWalk{}
	byCanonical := map[string][]*evalTally{}
	queries := 0
	for i, r := range reqs {
		if r.Query == nil {
			results[i].Err = errors.New("alert: no query to evaluate")
			continue
		}
		q := r.Query
		if q.Page() > 1 {
			q = q.WithPage(1) // a walk starts from page 1 whatever the rule says
		}
		canonical := q.Canonical()
		var t *evalTally
		for _, c := range byCanonical[canonical] {
			if c.q.SameAs(q) {
				t = c
				break
			}
		}
		if t == nil {
			f := q.Filter()
			body, err := json.Marshal(f)
			if err != nil {
				results[i].Err = fmt.Errorf("alert query `%s`: request body: %w", q.Redacted(), err)
				continue
			}
			w := byBody[string(body)]
			if w == nil {
				w = &evalWalk{filter: f}
				byBody[string(body)] = w
				walks = append(walks, w)
			}
			t = &evalTally{q: q, predicate: q.HasPredicate()}
			byCanonical[canonical] = append(byCanonical[canonical], t)
			w.tallies = append(w.tallies, t)
			queries++
		}
		t.reqs = append(t.reqs, i)
		t.keepUsers = max(t.keepUsers, r.Users)
		t.keepIDs = t.keepIDs || r.IDs
	}
	return walks, queries
}

// evalFetched is the outcome of one page request of a walk.
type evalFetched struct {
	page *inbox.Page
	err  error
}

// walk reads w's pages in order and feeds them to its tallies, until the
// end of the results, every tally's bound, an error or the end of ctx.
//
// Every request holds a slot of sem, shared by the round's walks. The page
// the walk needs next waits for a slot; pages after it are fetched ahead
// only when a slot is free at once, so look-ahead never delays another
// walk's page, and only as far as the walk has proved long (no more
// requests in flight than pages read, up to the concurrency): a walk that
// ends by its second page wastes no request past its end, a longer one at
// most concurrency-1.
func (e *evaluator) walk(ctx context.Context, w *evalWalk, sem chan struct{}, now time.Time, requests *atomic.Int64) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Cancel first, then wait: no request outlives the walk.
	defer wg.Wait()
	defer cancel()

	inflight := map[int]<-chan evalFetched{}
	start := func(page int) {
		out := make(chan evalFetched, 1)
		inflight[page] = out
		f := w.filter
		f.Page = page
		wg.Go(func() {
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				// The walk (or the round) ended before this request left.
				out <- evalFetched{nil, fmt.Errorf("page %d: %w", f.Page, err)}
				return
			}
			requests.Add(1)
			p, err := e.src.Users(ctx, f)
			out <- evalFetched{p, err}
		})
	}
	next := 1         // the next page to request
	prev := 0         // raw contacts on the page read last; 0 before the first
	maybeEnd := false // that page was the last, Inferred: only its successor matters
	for page := 1; page <= inbox.MaxPage; page++ {
		if next == page {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				w.err = fmt.Errorf("page %d: %w", page, ctx.Err())
				return
			}
			start(page)
			next++
		}
		if !maybeEnd && w.pages > 0 {
			ahead := min(e.concurrency, w.pages)
			for len(inflight) < ahead && next <= inbox.MaxPage && evalTryAcquire(sem) {
				start(next)
				next++
			}
		}
		r := <-inflight[page]
		delete(inflight, page)
		if r.err != nil {
			w.err = r.err
			return
		}
		if r.page == nil {
			r.page = &inbox.Page{Number: page, Last: true, Total: -1}
		}
		w.pages++
		n := len(r.page.Users) + max(r.page.Skipped, 0)
		if n == 0 && prev > 0 {
			return // the end, after the last non-empty page
		}
		if !w.feed(r.page, now, e.bound, e.maxScanned) || evalEndsWalk(r.page, n, prev) {
			return
		}
		prev, maybeEnd = n, r.page.Last
	}
}

// evalTryAcquire takes a slot of sem if one is free now.
func evalTryAcquire(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
		return false
	}
}

// evalEndsWalk reports whether page p (n raw contacts, after a page of prev)
// is the end of a walk, as inbox.Pages decides it: an empty page, or one
// the API marked last; a last page the client only inferred from its page
// size ends the walk when it is shorter than the page before it.
func evalEndsWalk(p *inbox.Page, n, prev int) bool {
	switch {
	case n == 0:
		return true
	case !p.Last:
		return false
	case !p.Inferred:
		return true
	}
	return prev > 0 && n < prev && p.Total < 0
}
