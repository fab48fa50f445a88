package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// The benchmarks of alert rounds and digest counts (BENCHMARKS.md, issue 9
// and issue 8). The fake inbox runs in a child process (this test binary,
// re-run as TestEvalBenchFakeInbox), so that the CPU and memory measured
// here are the bot's: its HTTP client, decoding and counting, not the fake
// filtering and encoding its dataset.

// benchFakeEnv carries the child's settings: "size latency".
const benchFakeEnv = "INBOXBOT_BENCH_FAKE_INBOX"

// benchAlertQueries are the 20 distinct queries of the alert round: 14
// request bodies (online, live, tag:vip and status:open are shared by
// queries that differ in client-side predicates), 56 pages in all over
// the 600 generated contacts.
var benchAlertQueries = []string{
	"online", "online unassigned", "live", "live unassigned", "live -tag:vip",
	"live waiting:>5m", "tag:vip", "tag:vip unassigned", "status:open live", "status:review",
	"status:onhold", "online tag:vip", "live channel:whatsapp", "online waiting:>10m", "status:open",
	"seen:1h", "created:1d", "live tag:vip", "status:inprogress", "status:open -tag:vip",
}

// TestEvalBenchFakeInbox is not a test: it is the fake inbox the
// benchmarks below start as a child process. It serves until its stdin
// closes, and /bench/stats answers how many requests arrived and how many
// distinct (body, page) they asked (?reset=1 starts over).
func TestEvalBenchFakeInbox(t *testing.T) {
	setting := os.Getenv(benchFakeEnv)
	if setting == "" {
		t.Skip("the benchmarks' child process; it runs only when they start it")
	}
	sizeText, latencyText, _ := strings.Cut(setting, " ")
	size, err := strconv.Atoi(sizeText)
	if err != nil {
		t.Fatalf("%s=%q: %v", benchFakeEnv, setting, err)
	}
	latency, err := time.ParseDuration(latencyText)
	if err != nil {
		t.Fatalf("%s=%q: %v", benchFakeEnv, setting, err)
	}
	srv := inboxtest.New(inboxtest.WithAnchor(e2eAnchor), inboxtest.WithSize(size))
	srv.SetLatency(latency)
	var mu sync.Mutex
	var served time.Duration // answering time, latency included, since the last reset
	mux := http.NewServeMux()
	mux.HandleFunc(inboxtest.Path, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		srv.ServeHTTP(w, r)
		mu.Lock()
		served += time.Since(start)
		mu.Unlock()
	})
	mux.HandleFunc("/bench/stats", func(w http.ResponseWriter, r *http.Request) {
		reqs := srv.Requests()
		st := benchFakeStats{Count: srv.Count(), Recorded: len(reqs), Rounds: map[string]benchRoundStats{}}
		seen := map[string]bool{}
		for _, rq := range reqs {
			round := rq.Header.Get(benchRoundHeader)
			rs := st.Rounds[round]
			rs.Count++
			// The body carries its page.
			if key := round + "\x00" + string(rq.Body); !seen[key] {
				seen[key] = true
				rs.Distinct++
			}
			st.Rounds[round] = rs
		}
		mu.Lock()
		st.Served = served
		if r.URL.Query().Get("reset") != "" {
			srv.Reset()
			served = 0
		}
		mu.Unlock()
		json.NewEncoder(w).Encode(st)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	fmt.Printf("ADDR %s\n", ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	hs.Close()
}

// benchRoundHeader tags each request with the round that made it, so that
// the fake counts a round's requests even when one arrives late (a
// look-ahead cancelled at the end of a walk may reach it after the next
// round began).
const benchRoundHeader = "X-Bench-Round"

// benchFakeStats is what the child's /bench/stats answers.
type benchFakeStats struct {
	Count    int // requests since the last reset
	Recorded int // requests recorded (at most inboxtest.MaxRecorded)
	// Served is the time the fake took to answer them, its latency
	// included: what it adds to the latency is its own CPU, not the bot's.
	Served time.Duration
	// Rounds counts the requests by the round that made them (the
	// benchRoundHeader; "" for untagged requests).
	Rounds map[string]benchRoundStats
}

// benchRoundStats is one round's requests and the distinct (body, page)
// among them.
type benchRoundStats struct{ Count, Distinct int }

// roundTagger sets benchRoundHeader to the current round on each request.
type roundTagger struct {
	base  http.RoundTripper
	round *atomic.Int64
}

func (t roundTagger) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(benchRoundHeader, strconv.FormatInt(t.round.Load(), 10))
	return t.base.RoundTrip(req)
}

// settle waits, polling with a deadline, until the fake's count of
// requests stops moving (the last round's cancelled look-ahead has
// arrived or never will), and returns its stats.
func (f *benchFake) settle(b *testing.B) benchFakeStats {
	b.Helper()
	s := f.stats(b, false)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		next := f.stats(b, false)
		if next.Count == s.Count {
			return next
		}
		s = next
	}
	return s
}

// benchFake is the child process serving the fake inbox.
type benchFake struct {
	url string
}

// startBenchFake runs the fake inbox (size generated contacts, latency per
// request) in a child process until the benchmark ends.
func startBenchFake(b *testing.B, size int, latency time.Duration) *benchFake {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEvalBenchFakeInbox$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s", benchFakeEnv, size, latency))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "ADDR "); ok {
			go io.Copy(io.Discard, stdout)
			return &benchFake{url: "http://" + addr}
		}
	}
	b.Fatalf("the fake inbox did not start: %v", lines.Err())
	return nil
}

// stats returns the fake's counts, resetting them when reset is set.
func (f *benchFake) stats(b *testing.B, reset bool) benchFakeStats {
	b.Helper()
	url := f.url + "/bench/stats"
	if reset {
		url += "?reset=1"
	}
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var s benchFakeStats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		b.Fatal(err)
	}
	return s
}

// client returns an inbox client of the fake, as the bot makes one (64
// idle connections kept), its requests tagged with round's value.
func (f *benchFake) client(b *testing.B, round *atomic.Int64, opts ...inbox.Option) *inbox.Client {
	b.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: roundTagger{base: tr, round: round}}
	c, err := inbox.NewClient(f.url, inboxtest.DefaultToken, append(opts, inbox.WithHTTPClient(hc))...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// retryCounter counts the client's retried attempts.
type retryCounter struct{ atomic.Int64 }

func (r *retryCounter) Attempt(_ context.Context, a inbox.AttemptInfo) {
	if a.Retrying {
		r.Add(1)
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchAlertRequests is n rules over the given number of distinct queries,
// in turn: each keeps 5 users for its message, one in three (the `new`
// rules) every matching id. Past the 20 of benchAlertQueries, queries are
// those with an exclusion added (-tag:x1, -tag:x2...): a client-side
// predicate, so more distinct queries over the same 14 request bodies.
func benchAlertRequests(b *testing.B, n, queries int) []evalRequest {
	b.Helper()
	env := commands.Env{Now: e2eAnchor, Location: time.UTC}
	reqs := make([]evalRequest, n)
	for i := range reqs {
		j := i % queries
		text := benchAlertQueries[j%len(benchAlertQueries)]
		if v := j / len(benchAlertQueries); v > 0 {
			text += fmt.Sprintf(" -tag:x%d", v)
		}
		// Each rule parses its own query, as the bot's rules do.
		q, err := commands.Parse(text, env)
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = evalRequest{Query: q, Users: 5, IDs: i%3 == 0}
	}
	return reqs
}

// unsharedRequests is what the rules would cost walked one by one: the sum
// of the pages each rule's query needs (counted against an in-process fake
// with the same dataset).
func unsharedRequests(b *testing.B, reqs []evalRequest) int {
	b.Helper()
	fx := newEvalFixture(b, nil)
	pages := map[string]int{}
	total := 0
	for _, r := range reqs {
		c := r.Query.Canonical()
		if _, ok := pages[c]; !ok {
			_, pages[c] = fx.reference(b, r.Query, commands.MaxDigestCount)
		}
		total += pages[c]
	}
	return total
}

// benchRoundSizes are the rounds measured: 20, 200 and 2,000 rules over 20
// distinct queries, and 2,000 rules over 200 (the same 14 bodies).
var benchRoundSizes = []struct{ rules, queries int }{{20, 20}, {200, 20}, {2000, 20}, {2000, 200}}

func benchRoundName(rules, queries int) string {
	return fmt.Sprintf("rules=%d/queries=%d", rules, queries)
}

// BenchmarkAlertRound is one alert round of 20, 200 and 2,000 rules over
// the 20 distinct queries of benchAlertQueries (and 2,000 over 200),
// against the fake inbox in a child process answering each request in
// 300 ms, 4 requests in flight:
//
//	go test -run '^$' -bench 'AlertRound$' -benchtime 3x ./bot/
//
// Besides the wall time per round (ns/op) it reports the inbox requests
// per round, the distinct (body, page) they asked (equal: one request per
// page), the pages the walks read, what the rules would cost walked one by
// one, and the bot's CPU per round.
func BenchmarkAlertRound(b *testing.B) {
	fake := startBenchFake(b, inboxtest.DefaultSize, 300*time.Millisecond)
	for _, size := range benchRoundSizes {
		b.Run(benchRoundName(size.rules, size.queries), func(b *testing.B) {
			reqs := benchAlertRequests(b, size.rules, size.queries)
			var retries retryCounter
			var round atomic.Int64
			unshared := unsharedRequests(b, reqs)
			e := newEvaluator(fake.client(b, &round, inbox.WithObserver(&retries)), 0, evalConcurrency)
			// One round first (round 0): connections and the page size are
			// learnt once per process, not per round.
			if _, st := e.round(context.Background(), reqs, e2eAnchor); st.Failed > 0 {
				b.Fatalf("warm-up round: %+v", st)
			}
			fake.settle(b)
			fake.stats(b, true)
			var pages int
			var cpu time.Duration
			b.ResetTimer()
			for b.Loop() {
				round.Add(1)
				start := cpuTime(b)
				_, st := e.round(context.Background(), reqs, e2eAnchor)
				b.StopTimer()
				cpu += cpuTime(b) - start
				if st.Failed > 0 {
					b.Fatalf("%d walks failed", st.Failed)
				}
				pages += st.Pages
				b.StartTimer()
			}
			b.StopTimer()
			s := fake.settle(b)
			fake.stats(b, true)
			var requests, distinct int
			for r := int64(1); r <= round.Load(); r++ {
				rs := s.Rounds[strconv.FormatInt(r, 10)]
				if rs.Distinct != rs.Count {
					b.Errorf("round %d: %d requests for %d distinct (body, page)", r, rs.Count, rs.Distinct)
				}
				requests += rs.Count
				distinct += rs.Distinct
			}
			if n := retries.Load(); n > 0 {
				b.Errorf("%d retried requests", n)
			}
			rounds := float64(b.N)
			b.ReportMetric(float64(requests)/rounds, "requests/round")
			b.ReportMetric(float64(distinct)/rounds, "distinct-pages/round")
			b.ReportMetric(float64(pages)/rounds, "pages-read/round")
			b.ReportMetric(float64(s.Served.Microseconds())/1000/float64(max(s.Count, 1)), "fake-answer-ms")
			b.ReportMetric(float64(unshared), "unshared-requests/round")
			b.ReportMetric(float64(cpu.Microseconds())/1000/rounds, "cpu-ms/round")
		})
	}
}

// memorySource serves pages recorded from another source, so that
// BenchmarkAlertRoundCPU measures the evaluator alone: no HTTP, no decode.
type memorySource struct {
	src   inbox.Source
	mu    sync.Mutex
	pages map[string]*inbox.Page
}

func (m *memorySource) Users(ctx context.Context, f inbox.Filter) (*inbox.Page, error) {
	key, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	p, ok := m.pages[string(key)]
	m.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err = m.src.Users(ctx, f)
	if err == nil {
		m.mu.Lock()
		m.pages[string(key)] = p
		m.mu.Unlock()
	}
	return p, err
}

// BenchmarkAlertRoundCPU is the evaluator's own CPU for a round of 20,
// 200 and 2,000 rules: the pages come from memory (recorded once from the
// in-process fake), so what is left is grouping the rules by request body,
// walking and counting.
//
//	go test -run '^$' -bench AlertRoundCPU -benchmem ./bot/
func BenchmarkAlertRoundCPU(b *testing.B) {
	fx := newEvalFixture(b, nil)
	src := &memorySource{src: fx.client, pages: map[string]*inbox.Page{}}
	for _, size := range benchRoundSizes {
		b.Run(benchRoundName(size.rules, size.queries), func(b *testing.B) {
			reqs := benchAlertRequests(b, size.rules, size.queries)
			e := newEvaluator(src, 0, evalConcurrency)
			e.round(context.Background(), reqs, e2eAnchor) // record the pages
			b.ReportAllocs()
			for b.Loop() {
				e.round(context.Background(), reqs, e2eAnchor)
			}
		})
	}
}

// procStatus reads a field of /proc/self/status in bytes (VmRSS, VmHWM).
func procStatus(b *testing.B, field string) int64 {
	b.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("%s: %v", line, err)
			}
			return kb << 10
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// heapSampler records the largest heap (objects, live and not yet swept)
// seen while it runs, every 5 ms.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) peak() uint64 {
	close(h.stop)
	return <-h.done
}

// BenchmarkDigestCount is issue 8's leftover: the count of a digest whose
// query matches every contact of a fake inbox of 1,000 or 10,000 contacts
// (in a child process, 300 ms per request), with the bot's bounded
// concurrency (countDigest, digestConcurrency in flight) and one page at a
// time (the same scan, Concurrency 1):
//
//	go test -run '^$' -bench DigestCount -benchtime 1x ./bot/
//
// The count stops past MaxDigestCount ("5,000+"), so 10,000 contacts need
// 251 pages of 20. Memory: before each run the heap is collected and
// returned to the OS and the kernel's peak RSS mark is reset (writing 5 to
// /proc/self/clear_refs); after it VmHWM is the run's peak RSS, and
// rss-growth the peak over the RSS the run started from. peak-heap is the
// largest heap of objects sampled every 5 ms during the run.
func BenchmarkDigestCount(b *testing.B) {
	tests := []struct {
		contacts    int
		concurrency int
	}{
		{1000, digestConcurrency},
		{10000, digestConcurrency},
		{10000, 1},
	}
	// One fake per size, for the whole benchmark.
	fakes := map[int]*benchFake{}
	for _, tt := range tests {
		if fakes[tt.contacts] == nil {
			fakes[tt.contacts] = startBenchFake(b, tt.contacts, 300*time.Millisecond)
		}
	}
	for _, tt := range tests {
		b.Run(fmt.Sprintf("contacts=%d/concurrency=%d", tt.contacts, tt.concurrency), func(b *testing.B) {
			fake := fakes[tt.contacts]
			env := commands.Env{Now: e2eAnchor, Location: time.UTC}
			q, err := commands.Parse("", env)
			if err != nil {
				b.Fatal(err)
			}
			var round atomic.Int64
			client := fake.client(b, &round)
			count := func() commands.DigestSummary {
				if tt.concurrency == digestConcurrency {
					sum, err := countDigest(context.Background(), client, q, e2eAnchor)
					if err != nil {
						b.Fatal(err)
					}
					return sum
				}
				// countDigest's scan, one page at a time.
				var sum commands.DigestSummary
				opt := commands.ScanOptions{Limit: commands.MaxDigestCount, Concurrency: tt.concurrency}
				res, err := commands.Scan(context.Background(), client, q, e2eAnchor, opt, func(u inbox.User) bool { return sum.Add(u) })
				if err != nil {
					b.Fatal(err)
				}
				sum.Capped = sum.Capped || res.Capped
				return sum
			}
			// Learn the page size and open the connections first, as a
			// running bot has.
			for range inbox.Pages(context.Background(), client, q.Filter(), 1) {
				if client.PageSize() == inboxtest.DefaultPageSize && fake.stats(b, false).Count >= 2 {
					break
				}
			}
			fake.settle(b)
			fake.stats(b, true)
			round.Store(1)
			var peakRSS, growth, peakHeap int64
			var sum commands.DigestSummary
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				debug.FreeOSMemory()
				base := procStatus(b, "VmRSS")
				if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
					b.Skipf("cannot reset the peak RSS: %v", err)
				}
				heap := sampleHeap()
				b.StartTimer()
				sum = count()
				b.StopTimer()
				peakHeap = max(peakHeap, int64(heap.peak()))
				hwm := procStatus(b, "VmHWM")
				peakRSS, growth = max(peakRSS, hwm), max(growth, hwm-base)
				b.StartTimer()
			}
			b.StopTimer()
			s := fake.settle(b)
			fake.stats(b, true)
			counted := s.Rounds["1"]
			wantCount := min(tt.contacts, commands.MaxDigestCount)
			if sum.Count != wantCount || sum.Capped != (tt.contacts > commands.MaxDigestCount) {
				b.Fatalf("count %d capped %v, want %d", sum.Count, sum.Capped, wantCount)
			}
			// The pages the count needs: up to the one holding the
			// (MaxDigestCount+1)th contact, or to the empty page after the
			// last one.
			needed := tt.contacts/inboxtest.DefaultPageSize + 1
			if tt.contacts > commands.MaxDigestCount {
				needed = commands.MaxDigestCount/inboxtest.DefaultPageSize + 1
			}
			mb := float64(1 << 20)
			b.ReportMetric(float64(counted.Count)/float64(b.N), "requests/op")
			b.ReportMetric(float64(s.Served.Microseconds())/1000/float64(max(s.Count, 1)), "fake-answer-ms")
			b.ReportMetric(float64(needed), "pages-needed")
			b.ReportMetric(float64(counted.Distinct)/float64(b.N), "distinct-pages/op")
			b.ReportMetric(float64(peakRSS)/mb, "peak-rss-MB")
			b.ReportMetric(float64(growth)/mb, "rss-growth-MB")
			b.ReportMetric(float64(peakHeap)/mb, "peak-heap-MB")
		})
	}
}
