package commands

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// collect scans q over src with opt and returns the ids fn was given.
func collect(t *testing.T, src inbox.Source, q *Query, opt ScanOptions) ([]string, ScanResult) {
	t.Helper()
	var got []string
	res, err := Scan(context.Background(), src, q, askNow, opt, func(u inbox.User) bool {
		got = append(got, u.ID)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != len(got) {
		t.Errorf("Matched %d, but fn was given %d", res.Matched, len(got))
	}
	return got, res
}

// TestScan: the predicate is applied, matches come in order, and every
// bound stops the scan saying which.
func TestScan(t *testing.T) {
	const size, pageSize = 600, 20
	srv, client := askFixture(t, size, pageSize)
	q := mustParse(t, "unassigned page:3") // the page is ignored: a scan starts at page 1
	want := allMatches(t, client, q)
	if len(want) < 30 || len(want) == size {
		t.Fatalf("the fixture has %d unassigned of %d; the test needs some, not all", len(want), size)
	}
	inFirst := func(n int) []string { // the matches among the first n contacts
		var out []string
		for u, err := range inbox.All(context.Background(), client, q.WithPage(1).Filter(), 0) {
			if err != nil || n == 0 {
				break
			}
			n--
			if q.Match(u, askNow) {
				out = append(out, u.ID)
			}
		}
		return out
	}
	tests := []struct {
		name      string
		opt       ScanOptions
		want      []string
		scanned   int // -1: not checked
		maxPages  int // requests at most
		capped    bool
		truncated bool
	}{
		{"everything", ScanOptions{Concurrency: 3}, want, size, size/pageSize + 3, false, false},
		{"Limit", ScanOptions{Limit: 7}, want[:7], -1, size / pageSize, true, false},
		{"Limit exactly the matches", ScanOptions{Limit: len(want)}, want, size, size/pageSize + 1, false, false},
		{"MaxScanned", ScanOptions{MaxScanned: 90, Concurrency: 2}, inFirst(90), 90, 6, false, true},
		{"MaxPages", ScanOptions{MaxPages: 3, Concurrency: 4}, inFirst(60), 60, 3, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.Count()
			got, res := collect(t, client, q, tt.opt)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%d matches %v..., want %d", len(got), got[:min(3, len(got))], len(tt.want))
			}
			if tt.scanned >= 0 && res.Scanned != tt.scanned {
				t.Errorf("Scanned %d, want %d", res.Scanned, tt.scanned)
			}
			if res.Capped != tt.capped || res.Truncated != tt.truncated {
				t.Errorf("Capped %v, Truncated %v; want %v, %v", res.Capped, res.Truncated, tt.capped, tt.truncated)
			}
			// Pages counts the requests started; look-ahead ones cancelled
			// when the scan ended may not have reached the fake.
			if reqs := srv.Count() - before; reqs > res.Pages || res.Pages > tt.maxPages {
				t.Errorf("%d requests arrived, Pages %d; want at most %d", reqs, res.Pages, tt.maxPages)
			}
		})
	}
}

// TestScanStopsWhenFnSaysSo: fn returning false ends the scan at once.
func TestScanStopsWhenFnSaysSo(t *testing.T) {
	_, client := askFixture(t, 200, 20)
	n := 0
	res, err := Scan(context.Background(), client, mustParse(t, "created:>2000-01-01"), askNow, ScanOptions{Concurrency: 2},
		func(inbox.User) bool { n++; return n < 25 })
	if err != nil || n != 25 || res.Matched != 25 || res.Pages > 3 {
		t.Errorf("fn called %d times, %+v, %v; want 25 calls, at most 3 pages", n, res, err)
	}
}

// inFlight is a Source in front of another that records the most calls
// in flight at once.
type inFlight struct {
	src       inbox.Source
	now, peak atomic.Int32
}

func (s *inFlight) Users(ctx context.Context, f inbox.Filter) (*inbox.Page, error) {
	n := s.now.Add(1)
	defer s.now.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	return s.src.Users(ctx, f)
}

// TestScanConcurrency: never more than Concurrency requests in flight, and
// (with a slow inbox) more than one: the look-ahead happens.
func TestScanConcurrency(t *testing.T) {
	for _, n := range []int{1, 3} {
		srv, client := askFixture(t, 300, 20)
		srv.SetLatency(20 * time.Millisecond)
		src := &inFlight{src: client}
		_, res := collect(t, src, mustParse(t, "unassigned"), ScanOptions{Concurrency: n})
		if peak := int(src.peak.Load()); peak > n || (n > 1 && peak < 2) {
			t.Errorf("Concurrency %d: %d requests in flight at most", n, peak)
		}
		if res.Scanned != 300 {
			t.Errorf("Concurrency %d: scanned %d of 300", n, res.Scanned)
		}
	}
}

// TestScanError: an error of the source ends the scan and is returned.
func TestScanError(t *testing.T) {
	down := errors.New("down")
	src := sourceFunc(func(context.Context, inbox.Filter) (*inbox.Page, error) { return nil, down })
	_, err := Scan(context.Background(), src, mustParse(t, "online"), askNow, ScanOptions{}, func(inbox.User) bool { return true })
	if !errors.Is(err, down) {
		t.Errorf("error %v, want the source's", err)
	}
}

type sourceFunc func(context.Context, inbox.Filter) (*inbox.Page, error)

func (f sourceFunc) Users(ctx context.Context, fl inbox.Filter) (*inbox.Page, error) {
	return f(ctx, fl)
}

// BenchmarkScan walks 2,000 contacts with a predicate over the in-process
// fake inbox (whose filtering and encoding of each page dominate).
func BenchmarkScan(b *testing.B) {
	_, client := askFixture(b, 2000, 20)
	q, err := Parse("unassigned", Env{Now: askNow})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(context.Background(), client, q, askNow, ScanOptions{Concurrency: 3}, func(inbox.User) bool { return true }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestScanBoundedCountCostsItsPages: a count bounded by Limit over a query
// the server answers alone costs exactly the pages that hold Limit+1
// contacts, however many pages look-ahead keeps in flight (issue 8: a
// digest of 10,000 contacts asks 251 pages, not 254). With a client-side
// predicate the pages needed cannot be known, and the count is still right.
func TestScanBoundedCountCostsItsPages(t *testing.T) {
	tests := []struct {
		query        string
		limit, conc  int
		wantRequests int // 0: not checked
		wantMatched  int
		wantCapped   bool
	}{
		{"everyone", 100, 4, 6, 100, true},  // 101 contacts: pages 1-6 of 20
		{"everyone", 99, 4, 5, 99, true},    // 100 contacts: pages 1-5
		{"everyone", 100, 1, 6, 100, true},  // one page at a time
		{"everyone", 400, 4, 0, 300, false}, // the end comes first
		{"unassigned", 50, 4, 0, 50, true},
	}
	for _, tt := range tests {
		srv, client := askFixture(t, 300, 20)
		srv.SetLatency(10 * time.Millisecond) // so that look-ahead is in flight
		q := mustParse(t, tt.query)
		if tt.query == "everyone" {
			q = mustParse(t, "")
		}
		_, res := collect(t, client, q, ScanOptions{Limit: tt.limit, Concurrency: tt.conc})
		if res.Matched != tt.wantMatched || res.Capped != tt.wantCapped || res.Truncated {
			t.Errorf("%s limit %d: matched %d capped %v truncated %v; want %d %v false",
				tt.query, tt.limit, res.Matched, res.Capped, res.Truncated, tt.wantMatched, tt.wantCapped)
		}
		if got := srv.Count(); tt.wantRequests > 0 && got != tt.wantRequests {
			t.Errorf("%s limit %d, %d in flight: %d inbox requests, want exactly %d", tt.query, tt.limit, tt.conc, got, tt.wantRequests)
		}
	}
}
