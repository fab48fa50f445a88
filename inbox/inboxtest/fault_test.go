package inboxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// post sends a valid request over a real connection.
func post(ctx context.Context, client *http.Client, url string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+Path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	authorize(req, DefaultToken)
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// closeWithin closes srv and fails if a handler is still running after the
// deadline (a Hang or latency that ignored its context).
func closeWithin(t *testing.T, srv *httptest.Server) {
	t.Helper()
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("a handler is still running after its client gave up")
	}
}

func TestFaults(t *testing.T) {
	body := bodyOf(t, inbox.Filter{})
	tests := []struct {
		fault       Fault
		status      int
		retryAfter  string
		wantMessage string // "" : no envelope check
		validJSON   bool
	}{
		{Status(503), 503, "", "Service Unavailable", true},
		{Status(500), 500, "", "Internal Server Error", true},
		{Status(404), 404, "", "Not Found", true},
		{RateLimit(7), 429, "7", "Too many requests", true},
		{RateLimit(0), 429, "", "Too many requests", true},
		{Unauthorized(), 401, "", "Unauthorized", true},
		{SuccessFalse("Something went wrong"), 200, "", "Something went wrong", true},
		{Malformed(), 200, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			s := newTestServer(WithSize(30))
			s.FailNext(2, tt.fault)
			for i := range 3 {
				w := serve(t, s, http.MethodPost, Path, body, nil)
				want := tt.status
				if i == 2 {
					want = http.StatusOK
				}
				if w.Code != want {
					t.Fatalf("request %d: status %d, want %d", i, w.Code, want)
				}
				if i == 2 {
					if env := decodeEnvelope(t, w.Body.Bytes()); !env.Success || len(env.Data) == 0 {
						t.Fatalf("request after the faults: %+v, want a normal page", env)
					}
					continue
				}
				if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
					t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
				}
				if json.Valid(w.Body.Bytes()) != tt.validJSON {
					t.Fatalf("body valid JSON = %v, want %v: %s", !tt.validJSON, tt.validJSON, w.Body)
				}
				if tt.wantMessage != "" {
					env := decodeEnvelope(t, w.Body.Bytes())
					if env.Success || !bytes.Contains([]byte(env.Message), []byte(tt.wantMessage)) {
						t.Errorf("envelope %+v, want success false and a message with %q", env, tt.wantMessage)
					}
				}
			}
			var statuses []int
			for _, r := range s.Requests() {
				statuses = append(statuses, r.Status)
				if r.BodyError != "" || len(r.Filter.Status) != 0 || r.Filter.Page != 1 {
					t.Errorf("the faulted request's body was not recorded as valid: %+v", r)
				}
			}
			if want := []int{tt.status, tt.status, 200}; !slices.Equal(statuses, want) {
				t.Errorf("recorded statuses %v, want %v", statuses, want)
			}
		})
	}
}

func TestFaultOrder(t *testing.T) {
	s := newTestServer(WithSize(5))
	body := bodyOf(t, inbox.Filter{})
	statuses := func(n int) []int {
		var out []int
		for range n {
			out = append(out, serve(t, s, http.MethodPost, Path, body, nil).Code)
		}
		return out
	}
	s.FailNext(1, Status(502))
	s.FailNext(2, RateLimit(1))
	s.FailNext(0, Status(500)) // nothing
	s.FailNext(3, Fault{})     // nothing
	s.SetFault(Status(503))
	if got, want := statuses(5), []int{502, 429, 429, 503, 503}; !slices.Equal(got, want) {
		t.Errorf("queued then persistent faults: %v, want %v", got, want)
	}
	s.SetFault(Fault{})
	if got := statuses(1); got[0] != 200 {
		t.Errorf("after SetFault(Fault{}): %v, want 200", got)
	}
	s.FailNext(5, Unauthorized())
	s.SetFault(Status(500))
	s.ClearFaults()
	if got := statuses(2); !slices.Equal(got, []int{200, 200}) {
		t.Errorf("after ClearFaults: %v, want 200s", got)
	}
}

// TestHangAndLatencyEndWithTheClient: a client that gives up frees the
// handler; closing the server proves no handler is left running.
func TestHangAndLatencyEndWithTheClient(t *testing.T) {
	body := bodyOf(t, inbox.Filter{})
	setups := map[string]func(*Server){
		"hang":    func(s *Server) { s.SetFault(Hang()) },
		"latency": func(s *Server) { s.SetLatency(time.Hour) },
	}
	for name, setup := range setups {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(WithSize(5))
			setup(s)
			srv := httptest.NewServer(s)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, _, err := post(ctx, srv.Client(), srv.URL, body)
				done <- err
			}()
			waitFor(t, "the request to arrive", func() bool { return s.Count() == 1 })
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("client error %v, want context.Canceled", err)
			}
			closeWithin(t, srv)
			if got := s.Requests()[0].Status; got != 0 {
				t.Errorf("recorded status %d, want 0 (no answer)", got)
			}
		})
	}
}

func TestLatencyDelaysButAnswers(t *testing.T) {
	s := newTestServer(WithSize(5))
	s.SetLatency(5 * time.Millisecond)
	w := serve(t, s, http.MethodPost, Path, bodyOf(t, inbox.Filter{}), nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d with latency, want 200", w.Code)
	}
	s.SetLatency(0)
	if w := serve(t, s, http.MethodPost, Path, bodyOf(t, inbox.Filter{}), nil); w.Code != http.StatusOK {
		t.Fatalf("status %d after clearing latency, want 200", w.Code)
	}
}

// TestConcurrentFaults flips faults while requests run; -race checks it.
func TestConcurrentFaults(t *testing.T) {
	s := newTestServer(WithSize(50))
	srv := httptest.NewServer(s)
	defer closeWithin(t, srv)
	body := bodyOf(t, inbox.Filter{})
	const clients, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for range clients {
		wg.Go(func() {
			for range each {
				resp, _, err := post(context.Background(), srv.Client(), srv.URL, body)
				switch {
				case err != nil:
					errs <- err
				case resp.StatusCode != 200 && resp.StatusCode != 503 && resp.StatusCode != 429:
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			s.FailNext(1, RateLimit(1))
			s.SetFault([]Fault{{}, Status(503)}[i%2])
			s.SetLatency(time.Duration(i%3) * time.Millisecond)
			_ = s.Requests()
			_ = s.Count()
		}
		s.ClearFaults()
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.Count(); n != clients*each {
		t.Errorf("recorded %d requests, want %d", n, clients*each)
	}
}

func TestRequestsRecord(t *testing.T) {
	s := newTestServer(WithSize(5))
	f := inbox.Filter{SearchText: "héllo", Tags: []string{"vip"}, Online: ptr(true), Page: 2}
	serve(t, s, http.MethodPost, Path, bodyOf(t, f), func(r *http.Request) { r.Header.Set("User-Agent", "inboxbot/test") })
	serve(t, s, http.MethodGet, "/elsewhere", nil, nil)
	reqs := s.Requests()
	if len(reqs) != 2 || s.Count() != 2 {
		t.Fatalf("%d requests recorded, Count %d; want 2", len(reqs), s.Count())
	}
	first := reqs[0]
	if first.Method != http.MethodPost || first.Path != Path || first.Status != 200 || first.BodyError != "" {
		t.Errorf("first request recorded as %+v", first)
	}
	if first.Header.Get("User-Agent") != "inboxbot/test" || !bytes.Equal(first.Body, bodyOf(t, f)) {
		t.Errorf("headers or body not recorded as sent")
	}
	if got := bodyOf(t, first.Filter); !bytes.Equal(got, bodyOf(t, f)) {
		t.Errorf("decoded filter %s, want %s", got, bodyOf(t, f))
	}
	if second := reqs[1]; second.Status != 404 || second.BodyError == "" {
		t.Errorf("second request recorded as %+v, want 404 and a body error", second)
	}
	reqs[0].Header.Set("User-Agent", "changed")
	reqs[0].Body[0] = 'X'
	if again := s.Requests()[0]; again.Header.Get("User-Agent") != "inboxbot/test" || again.Body[0] != '{' {
		t.Error("Requests returns the record itself, not a copy")
	}
	s.Reset()
	if s.Count() != 0 || len(s.Requests()) != 0 {
		t.Errorf("after Reset: Count %d", s.Count())
	}
}

func TestStatusPanicsOnNonStatus(t *testing.T) {
	for _, code := range []int{0, 99, 600} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Status(%d) did not panic", code)
				}
			}()
			Status(code)
		}()
	}
}

func TestRecordIsBounded(t *testing.T) {
	s := newTestServer(WithSize(1))
	for i := range MaxRecorded + 1 {
		s.arrive(&Request{Path: fmt.Sprint(i)})
	}
	reqs := s.Requests()
	if s.Count() != MaxRecorded+1 || len(reqs) > MaxRecorded {
		t.Fatalf("Count %d, %d kept; want %d and at most %d", s.Count(), len(reqs), MaxRecorded+1, MaxRecorded)
	}
	if last := reqs[len(reqs)-1].Path; last != fmt.Sprint(MaxRecorded) {
		t.Errorf("newest kept is %s, want %d", last, MaxRecorded)
	}
}
