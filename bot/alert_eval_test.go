package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// evalFixture is a fake inbox (the generated 600-contact dataset, pages of
// 20) and a client of it whose page size is already confirmed, so that the
// pages a walk needs do not depend on which walk taught the client first.
type evalFixture struct {
	srv    *inboxtest.Server
	client *inbox.Client
	env    commands.Env
}

func newEvalFixture(t testing.TB, transport func(*inboxtest.Server) http.RoundTripper, opts ...inboxtest.Option) *evalFixture {
	t.Helper()
	srv := inboxtest.New(append([]inboxtest.Option{inboxtest.WithAnchor(e2eAnchor)}, opts...)...)
	rt := srv.Transport()
	if transport != nil {
		rt = transport(srv)
	}
	client, err := inbox.NewClient("http://inbox.test", inboxtest.DefaultToken,
		inbox.WithHTTPClient(&http.Client{Transport: rt}), inbox.WithMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	fx := &evalFixture{srv: srv, client: client, env: commands.Env{Now: e2eAnchor, Location: time.UTC}}
	// Two pages of one query confirm the page size (inbox.Client learns it
	// from a page followed by a non-empty one).
	for range inbox.Pages(context.Background(), client, inbox.Filter{Page: 1}, 0) {
		if client.PageSize() == inboxtest.DefaultPageSize && srv.Count() >= 2 {
			break
		}
	}
	srv.Reset()
	return fx
}

func (fx *evalFixture) query(t testing.TB, s string) *commands.Query {
	t.Helper()
	q, err := commands.Parse(s, fx.env)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return q
}

// reference is what commands.Scan, one page at a time, finds for q with
// the evaluator's bounds, and the pages it requested; it leaves the
// fake's record of requests empty.
func (fx *evalFixture) reference(t testing.TB, q *commands.Query, bound int) (evalResult, int) {
	t.Helper()
	defer fx.srv.Reset()
	var res evalResult
	opt := commands.ScanOptions{Limit: bound, MaxScanned: evalScanFactor * bound, Concurrency: 1}
	sr, err := commands.Scan(context.Background(), fx.client, q, e2eAnchor, opt, func(u inbox.User) bool {
		res.Users = append(res.Users, u)
		res.IDs = append(res.IDs, u.ID)
		return true
	})
	if err != nil {
		t.Fatalf("reference scan of %q: %v", q.Canonical(), err)
	}
	res.Count, res.Capped, res.Truncated = sr.Matched, sr.Capped || sr.Truncated, sr.Truncated
	return res, sr.Pages
}

// bodyOf is the request body of page 1 of q, the evaluator's walk key.
func bodyOf(t testing.TB, q *commands.Query) string {
	t.Helper()
	b, err := json.Marshal(q.WithPage(1).Filter())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkResult compares a result with the reference for its request.
func checkResult(t *testing.T, name string, req evalRequest, got, want evalResult) {
	t.Helper()
	if got.Err != nil {
		t.Errorf("%s: %v", name, got.Err)
		return
	}
	if got.Count != want.Count || got.Capped != want.Capped || got.Truncated != want.Truncated {
		t.Errorf("%s: count %d capped %v truncated %v, want %d %v %v", name,
			got.Count, got.Capped, got.Truncated, want.Count, want.Capped, want.Truncated)
	}
	wantUsers := want.IDs[:min(req.Users, len(want.IDs))]
	if ids := userIDs(got.Users); !slices.Equal(ids, wantUsers) {
		t.Errorf("%s: users %v, want the first %d: %v", name, ids, req.Users, wantUsers)
	}
	var wantIDs []string
	if req.IDs {
		wantIDs = want.IDs
	}
	if !slices.Equal(got.IDs, wantIDs) {
		t.Errorf("%s: %d ids, want %d (in inbox order)", name, len(got.IDs), len(wantIDs))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func userIDs(us []inbox.User) []string {
	var ids []string
	for _, u := range us {
		ids = append(ids, u.ID)
	}
	return ids
}

// checkOnePerPage fails unless every request the fake got is a distinct
// (body, page).
func checkOnePerPage(t *testing.T, reqs []inboxtest.Request) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range reqs {
		f := r.Filter
		page := f.Page
		f.Page = 1
		b, _ := json.Marshal(f)
		key := fmt.Sprintf("%s page %d", b, page)
		if seen[key] {
			t.Errorf("requested twice in one round: %s", key)
		}
		seen[key] = true
	}
}

// TestEvalRoundSharesWalks: rules whose queries send the same request body
// share one walk (one inbox request per page), each query gets its own
// count from the shared pages, and the results are what commands.Scan
// finds for each query alone.
func TestEvalRoundSharesWalks(t *testing.T) {
	type rule struct {
		query string
		users int
		ids   bool
	}
	tests := []struct {
		name        string
		rules       []rule
		bound       int
		concurrency int
		bodies      int
		queries     int
		capped      int // rules whose count is capped ("N+")
		truncated   int // of which by the scan bound
	}{
		{"identical queries of several rules", []rule{
			{"online", 5, false}, {"online", 3, true}, {"online", 0, false}, {"online", 20, false},
			{"online", 5, true}, {"online", 1, false}, {"online", 5, false}, {"online", 0, true},
			// A rule's page is not its walk's: every walk starts on page 1.
			{"online page:2", 4, true},
		}, 0, 1, 1, 1, 0, 0},
		{"identical queries, four in flight", []rule{
			{"status:open", 5, false}, {"status:open", 3, true}, {"status:open", 0, false}, {"status:open", 20, true},
		}, 0, 4, 1, 1, 0, 0},
		{"different predicates over one body", []rule{
			{"live", 5, true}, {"live unassigned", 5, true}, {"live -tag:vip", 2, false},
			{"live unassigned", 0, false},
		}, 0, 1, 1, 3, 0, 0},
		{"the whole inbox under four predicates", []rule{
			{"", 3, false}, {"unassigned", 3, true}, {"-tag:vip", 3, true}, {"channel:whatsapp", 3, true},
		}, 0, 1, 1, 4, 0, 0},
		{"several bodies", []rule{
			{"online", 5, false}, {"live", 5, true}, {"live unassigned", 5, true}, {"status:open", 5, false},
			{"online", 2, true}, {"tag:vip", 5, false}, {"live assigned", 5, true}, {"status:open", 5, false},
		}, 0, 1, 5, 6, 0, 0},
		{"several bodies, four in flight", []rule{
			{"online", 5, false}, {"live", 5, true}, {"live unassigned", 5, true}, {"status:open", 5, false},
			{"", 2, true}, {"unassigned", 5, false}, {"tag:vip", 5, false}, {"offline", 5, true},
		}, 0, 4, 6, 8, 0, 0},
		{"short walks, four in flight: no look-ahead wasted", []rule{
			// Walks of 2 pages and 1: a walk fetches ahead only once it
			// has read two pages, and these end by then.
			{"status:review", 5, true}, {"online tag:vip", 5, true}, {"live tag:vip", 5, false},
		}, 0, 4, 3, 3, 0, 0},
		{"bounded: Capped past the bound", []rule{
			{"", 5, true}, {"", 5, false}, {"status:open", 5, true}, {"online", 5, true},
		}, 50, 1, 3, 3, 4, 0},
		{"bounded: a predicate's walk stops at the scan bound", []rule{
			// unassigned keeps about 40% of the inbox: over the first 100
			// contacts it finds fewer than 50.
			{"unassigned", 5, true}, {"", 1, false}, {"channel:whatsapp", 5, true},
		}, 50, 1, 1, 3, 3, 2},
		{"bounded, four in flight", []rule{
			{"", 5, true}, {"unassigned", 5, true}, {"offline", 5, true}, {"status:open", 5, false},
		}, 50, 4, 3, 4, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newEvalFixture(t, nil)
			bound := tt.bound
			if bound == 0 {
				bound = commands.MaxDigestCount
			}
			var reqs []evalRequest
			var want []evalResult
			needed := map[string]int{} // pages each body's walk needs
			for _, r := range tt.rules {
				q := fx.query(t, r.query)
				ref, pages := fx.reference(t, q, bound)
				body := bodyOf(t, q)
				needed[body] = max(needed[body], pages)
				reqs = append(reqs, evalRequest{Query: q, Users: r.users, IDs: r.ids})
				want = append(want, ref)
			}
			e := newEvaluator(fx.client, tt.bound, tt.concurrency)
			got, stats := e.round(context.Background(), reqs, e2eAnchor)
			if len(got) != len(reqs) {
				t.Fatalf("%d results for %d requests", len(got), len(reqs))
			}
			for i := range reqs {
				checkResult(t, fmt.Sprintf("rule %d (%q)", i, tt.rules[i].query), reqs[i], got[i], want[i])
			}
			capped, truncated := 0, 0
			for _, r := range got {
				capped += btoi(r.Capped)
				truncated += btoi(r.Truncated)
			}
			if capped != tt.capped || truncated != tt.truncated {
				t.Errorf("%d rules capped, %d by the scan bound; want %d and %d", capped, truncated, tt.capped, tt.truncated)
			}
			pages := 0
			for _, n := range needed {
				pages += n
			}
			recorded := fx.srv.Requests()
			checkOnePerPage(t, recorded)
			if stats.Rules != len(reqs) || stats.Bodies != tt.bodies || stats.Queries != tt.queries || stats.Failed != 0 {
				t.Errorf("stats %+v, want %d rules, %d bodies, %d queries, none failed", stats, len(reqs), tt.bodies, tt.queries)
			}
			if stats.Pages != pages {
				t.Errorf("the walks read %d pages, want the %d they need", stats.Pages, pages)
			}
			// Look-ahead cancelled at the end of a walk may never reach the
			// inbox: stats count what was asked.
			if fx.srv.Count() != len(recorded) || len(recorded) > stats.Requests || tt.concurrency == 1 && len(recorded) != stats.Requests {
				t.Errorf("stats say %d requests, the fake got %d (recorded %d)", stats.Requests, fx.srv.Count(), len(recorded))
			}
			// One page in flight, or walks that end by their second page:
			// exactly the pages needed. Otherwise look-ahead may spend up to
			// concurrency-1 requests per walk past its end.
			most := pages
			for _, n := range needed {
				if n > 2 {
					most += tt.concurrency - 1
				}
			}
			if len(recorded) < pages || len(recorded) > most {
				t.Errorf("%d inbox requests, want %d to %d (the pages needed: %d)", len(recorded), pages, most, pages)
			}
		})
	}
}

// TestEvalRoundRepeats: a second round asks again (no state carried from
// one round to the next) and costs the same.
func TestEvalRoundRepeats(t *testing.T) {
	fx := newEvalFixture(t, nil)
	reqs := []evalRequest{{Query: fx.query(t, "online")}, {Query: fx.query(t, "online unassigned")}}
	e := newEvaluator(fx.client, 0, 1)
	first, s1 := e.round(context.Background(), reqs, e2eAnchor)
	second, s2 := e.round(context.Background(), reqs, e2eAnchor)
	if s1.Duration <= 0 || s2.Duration <= 0 {
		t.Errorf("rounds took %v and %v", s1.Duration, s2.Duration)
	}
	if s1.Requests != s2.Requests || s1.Requests == 0 || fx.srv.Count() != 2*s1.Requests {
		t.Errorf("rounds cost %d and %d requests, the fake got %d", s1.Requests, s2.Requests, fx.srv.Count())
	}
	for i := range reqs {
		if first[i].Count != second[i].Count || first[i].Count == 0 {
			t.Errorf("rule %d: counts %d then %d", i, first[i].Count, second[i].Count)
		}
	}
}

// faultRouter sends the requests whose body fail picks to a second fake
// that answers with a fault, and the others to the good one.
type faultRouter struct {
	good, bad http.RoundTripper
	fail      func(inbox.Filter) bool
}

func (r faultRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	var f inbox.Filter
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	if r.fail(f) {
		return r.bad.RoundTrip(out)
	}
	return r.good.RoundTrip(out)
}

// TestEvalRoundFailingBody: a failing body (on its first page or in the
// middle of its walk) fails only its rules, with the query in the error;
// the other bodies' rules get their counts.
func TestEvalRoundFailingBody(t *testing.T) {
	tests := []struct {
		name  string
		fault inboxtest.Fault
		page  int              // the page that fails
		is    func(error) bool // the typed error callers branch on
	}{
		{"401 on page 1", inboxtest.Unauthorized(), 1, func(err error) bool {
			var ue *inbox.UnauthorizedError
			return errors.As(err, &ue)
		}},
		{"malformed page 3", inboxtest.Malformed(), 3, func(err error) bool {
			var be *inbox.BadResponseError
			return errors.As(err, &be)
		}},
		{"success false on page 2", inboxtest.SuccessFalse("the inbox is being rebuilt"), 2, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := inboxtest.New(inboxtest.WithAnchor(e2eAnchor))
			bad.SetFault(tt.fault)
			failing := func(f inbox.Filter) bool { return len(f.Status) > 0 && f.Page == tt.page }
			fx := newEvalFixture(t, func(good *inboxtest.Server) http.RoundTripper {
				return faultRouter{good: good.Transport(), bad: bad.Transport(), fail: failing}
			})
			rules := []string{"online", "status:open", "live", "status:open unassigned", "online unassigned", "status:open"}
			var reqs []evalRequest
			var want []evalResult
			for _, s := range rules {
				q := fx.query(t, s)
				reqs = append(reqs, evalRequest{Query: q, Users: 3, IDs: true})
				ref := evalResult{}
				if !failing(q.WithPage(tt.page).Filter()) {
					ref, _ = fx.reference(t, q, commands.MaxDigestCount)
				}
				want = append(want, ref)
			}
			got, stats := newEvaluator(fx.client, 0, 4).round(context.Background(), reqs, e2eAnchor)
			for i, s := range rules {
				if !failing(reqs[i].Query.WithPage(tt.page).Filter()) {
					checkResult(t, s, reqs[i], got[i], want[i])
					continue
				}
				err := got[i].Err
				if err == nil {
					t.Errorf("%s: no error (count %d)", s, got[i].Count)
					continue
				}
				if msg := err.Error(); !bytes.Contains([]byte(msg), []byte(reqs[i].Query.Redacted())) || !bytes.Contains([]byte(msg), []byte(fmt.Sprintf("page %d", tt.page))) {
					t.Errorf("%s: error %q names neither the query nor the page", s, msg)
				}
				if !tt.is(err) {
					t.Errorf("%s: error %v is not of the expected type", s, err)
				}
				if got[i].Count != 0 || got[i].Users != nil || got[i].IDs != nil {
					t.Errorf("%s: a failed rule carries a result: %+v", s, got[i])
				}
			}
			if stats.Failed != 1 || stats.Bodies != 3 {
				t.Errorf("stats %+v, want 3 bodies, 1 failed", stats)
			}
			if bad.Count() != 1 {
				t.Errorf("the failing page was asked %d times, want once", bad.Count())
			}
		})
	}
}

// inflightSource counts the requests in flight through it, and the most
// at once.
type inflightSource struct {
	src inbox.Source

	mu        sync.Mutex
	now, most int
	started   chan struct{} // receives one value per request started, if not full
}

func (s *inflightSource) Users(ctx context.Context, f inbox.Filter) (*inbox.Page, error) {
	s.mu.Lock()
	s.now++
	s.most = max(s.most, s.now)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.now--
		s.mu.Unlock()
	}()
	if s.started != nil {
		select {
		case s.started <- struct{}{}:
		default:
		}
	}
	return s.src.Users(ctx, f)
}

// TestEvalRoundConcurrency: a round never has more requests in flight than
// its concurrency, across bodies and pages; a single long walk looks ahead
// (more than one page in flight) and wastes at most concurrency-1 requests.
func TestEvalRoundConcurrency(t *testing.T) {
	tests := []struct {
		name        string
		rules       []string
		concurrency int
		lookahead   bool // one walk alone: it must fetch ahead
	}{
		{"many bodies, 4 in flight", []string{"online", "live", "status:open", "tag:vip", "offline", "interacted", "seen:7d", "created:30d"}, 4, false},
		{"many bodies, 2 in flight", []string{"online", "live", "status:open", "tag:vip", "offline"}, 2, false},
		{"one long walk, 4 in flight", []string{"", "unassigned", "-tag:vip"}, 4, true},
		{"one long walk, 1 in flight", []string{""}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newEvalFixture(t, nil)
			needed := map[string]int{}
			var reqs []evalRequest
			for _, s := range tt.rules {
				q := fx.query(t, s)
				_, pages := fx.reference(t, q, commands.MaxDigestCount)
				needed[bodyOf(t, q)] = max(needed[bodyOf(t, q)], pages)
				reqs = append(reqs, evalRequest{Query: q, Users: 5})
			}
			pages := 0
			for _, n := range needed {
				pages += n
			}
			// A little latency, so that requests overlap.
			fx.srv.SetLatency(5 * time.Millisecond)
			src := &inflightSource{src: fx.client}
			res, stats := newEvaluator(src, 0, tt.concurrency).round(context.Background(), reqs, e2eAnchor)
			for i, r := range res {
				if r.Err != nil {
					t.Fatalf("%q: %v", tt.rules[i], r.Err)
				}
			}
			if src.most > tt.concurrency {
				t.Errorf("%d requests in flight at once, want at most %d", src.most, tt.concurrency)
			}
			if tt.lookahead && src.most < 2 {
				t.Errorf("a long walk alone had at most %d request in flight: no look-ahead", src.most)
			}
			checkOnePerPage(t, fx.srv.Requests())
			if most := pages + (tt.concurrency-1)*len(needed); stats.Requests < pages || stats.Requests > most || stats.Pages != pages {
				t.Errorf("%d requests for %d pages read, want %d pages and at most %d requests", stats.Requests, stats.Pages, pages, most)
			}
		})
	}
}

// TestEvalRoundCancel: the end of ctx stops every walk, requests in flight
// included, and fails the rules not yet evaluated with ctx's error.
func TestEvalRoundCancel(t *testing.T) {
	fx := newEvalFixture(t, nil)
	fx.srv.SetFault(inboxtest.Hang())
	src := &inflightSource{src: fx.client, started: make(chan struct{}, 1)}
	var reqs []evalRequest
	for _, s := range []string{"online", "live", "status:open", "tag:vip", "offline", ""} {
		reqs = append(reqs, evalRequest{Query: fx.query(t, s), IDs: true})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type outcome struct {
		res   []evalResult
		stats roundStats
	}
	done := make(chan outcome, 1)
	go func() {
		res, stats := newEvaluator(src, 0, 2).round(ctx, reqs, e2eAnchor)
		done <- outcome{res, stats}
	}()
	select {
	case <-src.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no request started")
	}
	cancel()
	var out outcome
	select {
	case out = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the round did not end after its ctx")
	}
	for i, r := range out.res {
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("rule %d: err %v, want context.Canceled", i, r.Err)
		}
	}
	if src.now != 0 {
		t.Errorf("%d requests still in flight after the round", src.now)
	}
	if out.stats.Requests > 2 || fx.srv.Count() > 2 {
		t.Errorf("%d requests started (fake: %d), want at most the 2 in flight", out.stats.Requests, fx.srv.Count())
	}
}

// TestEvalRoundEmpty: no rules, no requests; a rule without a query fails
// alone.
func TestEvalRoundEmpty(t *testing.T) {
	fx := newEvalFixture(t, nil)
	e := newEvaluator(fx.client, 0, 0)
	res, stats := e.round(context.Background(), nil, e2eAnchor)
	if len(res) != 0 || stats.Requests != 0 || fx.srv.Count() != 0 {
		t.Errorf("an empty round: %d results, %d requests", len(res), fx.srv.Count())
	}
	res, _ = e.round(context.Background(), []evalRequest{{}, {Query: fx.query(t, "online")}}, e2eAnchor)
	if res[0].Err == nil || res[1].Err != nil || res[1].Count == 0 {
		t.Errorf("results %+v", res)
	}
}

// TestEvalResultsShareSafely: rules of one query share its users and ids,
// clipped, so that a caller appending to one result does not change
// another's.
func TestEvalResultsShareSafely(t *testing.T) {
	fx := newEvalFixture(t, nil)
	q := fx.query(t, "online")
	reqs := []evalRequest{{Query: q, Users: 2, IDs: true}, {Query: q, Users: 5, IDs: true}}
	res, _ := newEvaluator(fx.client, 0, 1).round(context.Background(), reqs, e2eAnchor)
	if len(res[0].Users) != 2 || len(res[1].Users) != 5 || len(res[0].IDs) == 0 {
		t.Fatalf("users %d and %d, %d ids", len(res[0].Users), len(res[1].Users), len(res[0].IDs))
	}
	third := res[1].Users[2].ID
	_ = append(res[0].Users, inbox.User{ID: "appended"})
	if res[1].Users[2].ID != third {
		t.Errorf("appending to one rule's users changed another's: %q", res[1].Users[2].ID)
	}
	for i, r := range res {
		if cap(r.Users) != len(r.Users) || cap(r.IDs) != len(r.IDs) {
			t.Errorf("rule %d: users or ids not clipped: an append would write into shared memory", i)
		}
	}
}
