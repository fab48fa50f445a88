package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewClientBaseURL(t *testing.T) {
	tests := []struct {
		base    string
		want    string // endpoint; "" means an error is expected
		wantErr string
	}{
		{base: "https://api.v7.convertalk.com", want: "https://api.v7.convertalk.com/inbox/users"},
		{base: "https://api.v7.convertalk.com/", want: "https://api.v7.convertalk.com/inbox/users"},
		{base: " http://127.0.0.1:8088 ", want: "http://127.0.0.1:8088/inbox/users"},
		{base: "http://proxy.local/convertalk/v7/", want: "http://proxy.local/convertalk/v7/inbox/users"},
		{base: "https://api.v7.convertalk.com/?x=1#frag", want: "https://api.v7.convertalk.com/inbox/users"},
		{base: "", wantErr: "must be http(s)"},
		{base: "api.v7.convertalk.com", wantErr: "must be http(s)"},
		{base: "ftp://api.v7.convertalk.com", wantErr: "must be http(s)"},
		{base: "http://", wantErr: "no host"},
		{base: "http://[::1", wantErr: "not a valid URL"},
		{base: "https://user:hunter2@[::1", wantErr: "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c, err := NewClient(tt.base, testToken)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewClient(%q) error = %v, want one containing %q", tt.base, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q echoes a password of the URL", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient(%q): %v", tt.base, err)
			}
			if c.endpoint != tt.want {
				t.Errorf("endpoint = %q, want %q", c.endpoint, tt.want)
			}
		})
	}
}

func TestNewClientOptions(t *testing.T) {
	const base = "https://api.v7.convertalk.com"
	c, err := NewClient(base, testToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.timeout != DefaultTimeout || c.maxAttempts != DefaultMaxAttempts || c.userAgent != DefaultUserAgent ||
		c.maxResponseBytes != DefaultMaxResponseBytes || c.PageSize() != DefaultPageSize ||
		c.backoffBase != DefaultBackoffBase || c.backoffMax != DefaultBackoffMax || c.httpClient == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
	bad := []struct {
		name string
		opt  Option
	}{
		{"zero timeout", WithTimeout(0)},
		{"zero attempts", WithMaxAttempts(0)},
		{"zero backoff base", WithBackoff(0, time.Second)},
		{"max below base", WithBackoff(2*time.Second, time.Second)},
		{"zero max bytes", WithMaxResponseBytes(0)},
		{"zero page size", WithPageSize(0)},
		{"absurd page size", WithPageSize(maxLearnedPageSize + 1)},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewClient(base, testToken, tt.opt); err == nil {
				t.Errorf("NewClient with %s: no error", tt.name)
			}
		})
	}
	if _, err := NewClient(base, testToken+"\r\nX-Evil: 1"); err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("token with a line break: error = %v, want one that does not echo the token", err)
	}
}

func TestUsersRequest(t *testing.T) {
	online := true
	filter := Filter{SearchText: "refund", Tags: []string{"vip"}, Online: &online, Page: 3}
	tests := []struct {
		name      string
		token     string
		opts      []Option
		wantAuth  string
		wantAgent string
	}{
		{name: "defaults", token: testToken, wantAuth: "Bearer " + testToken, wantAgent: DefaultUserAgent},
		{name: "user agent", token: testToken, opts: []Option{WithUserAgent("inboxbot/1.2.3")},
			wantAuth: "Bearer " + testToken, wantAgent: "inboxbot/1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t, tt.opts...)
			var got *http.Request
			var body []byte
			handleUsers(mux, func(_ int, w http.ResponseWriter, r *http.Request) {
				got = r
				body, _ = io.ReadAll(r.Body)
				writeJSON(w, 200, pageBody(0, 2, nil))
			})
			page, err := c.Users(context.Background(), filter)
			if err != nil {
				t.Fatal(err)
			}
			if page.Number != 3 || len(page.Users) != 2 {
				t.Errorf("page = %d with %d users, want 3 with 2", page.Number, len(page.Users))
			}
			if got.URL.Path != "/inbox/users" || got.Method != http.MethodPost {
				t.Errorf("request = %s %s", got.Method, got.URL.Path)
			}
			for header, want := range map[string]string{
				"Authorization":   tt.wantAuth,
				"Authtype":        "Key",
				"Content-Type":    "application/json",
				"Accept":          "application/json",
				"Accept-Encoding": "gzip",
				"User-Agent":      tt.wantAgent,
			} {
				if v := got.Header.Get(header); v != want {
					t.Errorf("header %s = %q, want %q", header, v, want)
				}
			}
			want, _ := json.Marshal(filter)
			if string(body) != string(want) {
				t.Errorf("body = %s\nwant %s", body, want)
			}
		})
	}
}

func TestUsersNoTokenNoAuthorization(t *testing.T) {
	c, mux := setup(t)
	c.token = "" // as NewClient(base, "") would leave it
	handleUsers(mux, func(_ int, w http.ResponseWriter, r *http.Request) {
		if v, ok := r.Header["Authorization"]; ok {
			t.Errorf("Authorization sent without a token: %q", v)
		}
		writeJSON(w, 200, pageBody(0, 0, nil))
	})
	if _, err := c.Users(context.Background(), Filter{}); err != nil {
		t.Fatal(err)
	}
}

func TestUsersGzip(t *testing.T) {
	c, mux := setup(t)
	handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		writeJSON(w, 200, gzipped(t, pageBody(0, 20, nil)))
	})
	page, err := c.Users(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Users) != 20 || page.Users[0].Name != "Customer 0" || page.Last {
		t.Errorf("page = %d users, first %q, last %v; want 20, Customer 0, not last", len(page.Users), page.Users[0].Name, page.Last)
	}
}

func TestUsersErrors(t *testing.T) {
	type handler = func(n int, w http.ResponseWriter, r *http.Request)
	status := func(code int, body string) handler {
		return func(_ int, w http.ResponseWriter, _ *http.Request) { writeJSON(w, code, []byte(body)) }
	}
	big := pageBody(0, 20, nil)
	tests := []struct {
		name     string
		handler  handler
		opts     []Option
		wantReqs int
		check    func(t *testing.T, err error)
	}{
		{
			name:     "401 unauthorized",
			handler:  status(401, `{"success":false,"message":"Unauthorized","code":401}`),
			wantReqs: 1,
			check: func(t *testing.T, err error) {
				if e := asError[*UnauthorizedError](t, err); e.StatusCode != 401 || e.Message != "Unauthorized" {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name:     "403 forbidden",
			handler:  status(403, ``),
			wantReqs: 1,
			check: func(t *testing.T, err error) {
				if e := asError[*UnauthorizedError](t, err); e.StatusCode != 403 {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name:     "400 is not retried",
			handler:  status(400, `{"success":false,"message":"Argument passed in must be a single String of 12 bytes","code":400}`),
			wantReqs: 1,
			check: func(t *testing.T, err error) {
				want := &APIError{StatusCode: 400, Code: 400, Message: "Argument passed in must be a single String of 12 bytes", Attempts: 1}
				if e := asError[*APIError](t, err); *e != *want {
					t.Errorf("got %+v, want %+v", e, want)
				}
			},
		},
		{
			name:     "404 without envelope",
			handler:  status(404, `not found`),
			wantReqs: 1,
			check: func(t *testing.T, err error) {
				if e := asError[*APIError](t, err); e.StatusCode != 404 || e.Message != "" {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name:     "500 retried until attempts are exhausted",
			handler:  status(500, `{"success":false,"message":"boom","code":500}`),
			wantReqs: DefaultMaxAttempts,
			check: func(t *testing.T, err error) {
				want := &APIError{StatusCode: 500, Code: 500, Message: "boom", Attempts: DefaultMaxAttempts}
				if e := asError[*APIError](t, err); *e != *want {
					t.Errorf("got %+v, want %+v", e, want)
				}
			},
		},
		{
			name: "502 with a body over the limit is still a 502",
			handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, 502, big)
			},
			opts:     []Option{WithMaxResponseBytes(1024), WithMaxAttempts(2)},
			wantReqs: 2,
			check: func(t *testing.T, err error) {
				if e := asError[*APIError](t, err); e.StatusCode != 502 || e.Attempts != 2 {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name:     "429 retried until attempts are exhausted",
			handler:  status(429, ``),
			opts:     []Option{WithMaxAttempts(3)},
			wantReqs: 3,
			check: func(t *testing.T, err error) {
				if e := asError[*RateLimitError](t, err); e.Attempts != 3 || e.RetryAfter != 0 {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name:     "success false with 200",
			handler:  status(200, `{"success":false,"message":"Invalid filter","code":422,"data":[]}`),
			wantReqs: 1,
			check: func(t *testing.T, err error) {
				want := &APIError{StatusCode: 200, Code: 422, Message: "Invalid filter", Attempts: 1}
				if e := asError[*APIError](t, err); *e != *want {
					t.Errorf("got %+v, want %+v", e, want)
				}
			},
		},
		{
			name:     "not JSON",
			handler:  status(200, `<html>gateway</html>`),
			wantReqs: 1,
			check:    badResponse("not a JSON object"),
		},
		{
			name:     "data not an array",
			handler:  status(200, `{"success":true,"data":{"users":[]}}`),
			wantReqs: 1,
			check:    badResponse("data is not an array"),
		},
		{
			name:     "larger than the limit",
			handler:  status(200, string(big)),
			opts:     []Option{WithMaxResponseBytes(1024)},
			wantReqs: 1,
			check:    badResponse("larger than 1 KiB"),
		},
		{
			name: "gzip bomb: larger than the limit once decompressed",
			handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				writeJSON(w, 200, gzipped(t, big))
			},
			opts:     []Option{WithMaxResponseBytes(1024)},
			wantReqs: 1,
			check:    badResponse("larger than 1 KiB"),
		},
		{
			name: "corrupt gzip",
			handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				writeJSON(w, 200, []byte(`{"success":true,"data":[]}`))
			},
			wantReqs: 1,
			check:    badResponse("corrupt gzip"),
		},
		{
			name: "unknown encoding",
			handler: func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Encoding", "br")
				writeJSON(w, 200, []byte(`xx`))
			},
			wantReqs: 1,
			check:    badResponse(`unknown content encoding "br"`),
		},
		{
			name:     "connection dropped",
			handler:  hangUp,
			opts:     []Option{WithMaxAttempts(2)},
			wantReqs: 2,
			check: func(t *testing.T, err error) {
				if e := asError[*ConnectionError](t, err); e.Attempts != 2 || e.Err == nil {
					t.Errorf("got %+v", e)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t, tt.opts...)
			reqs := handleUsers(mux, tt.handler)
			page, err := c.Users(context.Background(), Filter{})
			if err == nil {
				t.Fatalf("no error; page %+v", page)
			}
			tt.check(t, err)
			if got := reqs.get(); got != tt.wantReqs {
				t.Errorf("%d requests, want %d", got, tt.wantReqs)
			}
			if !strings.HasPrefix(err.Error(), "inbox: page 1: ") {
				t.Errorf("error %q does not say which page", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func badResponse(reason string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if e := asError[*BadResponseError](t, err); e.Reason != reason || e.StatusCode != 200 {
			t.Errorf("got %+v, want reason %q", e, reason)
		}
	}
}

// hangUp closes the connection without answering.
func hangUp(_ int, w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	_ = conn.Close()
}

func TestUsersRetriesThenSucceeds(t *testing.T) {
	c, mux := setup(t)
	reqs := handleUsers(mux, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			writeJSON(w, 503, []byte(`{"success":false,"message":"maintenance"}`))
		case 2:
			hangUp(n, w, r)
		default:
			writeJSON(w, 200, pageBody(0, 3, nil))
		}
	})
	page, err := c.Users(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Users) != 3 || !page.Last || reqs.get() != 3 {
		t.Errorf("got %d users (last %v) after %d requests, want 3 (last) after 3", len(page.Users), page.Last, reqs.get())
	}
}

func TestUsersTimeout(t *testing.T) {
	tests := []struct {
		name    string
		handler func(n int, w http.ResponseWriter, r *http.Request)
	}{
		{"no answer", func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
		{"body stalls", func(_ int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"success":true,"data":[`))
			_ = http.NewResponseController(w).Flush()
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t, WithTimeout(50*time.Millisecond), WithMaxAttempts(2))
			reqs := handleUsers(mux, tt.handler)
			_, err := c.Users(context.Background(), Filter{})
			want := TimeoutError{PerAttempt: 50 * time.Millisecond, Attempts: 2}
			if e := asError[*TimeoutError](t, err); *e != want {
				t.Errorf("got %+v, want %+v", e, want)
			}
			if reqs.get() != 2 {
				t.Errorf("%d requests, want 2", reqs.get())
			}
		})
	}
}

func TestUsersContextCancelled(t *testing.T) {
	c, mux := setup(t, WithMaxAttempts(4))
	started := make(chan struct{}, 4)
	reqs := handleUsers(mux, func(_ int, _ http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := c.Users(ctx, Filter{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want one wrapping context.Canceled", err)
	}
	if reqs.get() != 1 {
		t.Errorf("%d requests after cancel, want 1", reqs.get())
	}
}

// cancelOnRetry cancels a context when an attempt is about to be retried.
type cancelOnRetry struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	seen   []AttemptInfo
}

func (o *cancelOnRetry) Attempt(_ context.Context, a AttemptInfo) {
	o.mu.Lock()
	o.seen = append(o.seen, a)
	o.mu.Unlock()
	if a.Retrying && o.cancel != nil {
		o.cancel()
	}
}

func TestUsersCancelledDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := &cancelOnRetry{cancel: cancel}
	// An hour of backoff: the test only ends because the cancel cuts it.
	c, mux := setup(t, WithBackoff(time.Hour, time.Hour), WithRetryBudget(2*time.Hour), WithObserver(obs))
	reqs := handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 503, []byte(`{"success":false,"message":"busy"}`))
	})
	_, err := c.Users(ctx, Filter{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want one wrapping context.Canceled", err)
	}
	if e := asError[*APIError](t, err); e.StatusCode != 503 {
		t.Errorf("last attempt's error = %+v, want the 503", e)
	}
	if reqs.get() != 1 {
		t.Errorf("%d requests, want 1", reqs.get())
	}
}

func TestUsersBackoffBeyondDeadline(t *testing.T) {
	obs := &cancelOnRetry{}
	c, mux := setup(t, WithBackoff(time.Hour, time.Hour), WithObserver(obs))
	reqs := handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 502, nil)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Users(ctx, Filter{})
	if e := asError[*APIError](t, err); e.StatusCode != 502 || e.Attempts != 1 {
		t.Errorf("got %+v, want the 502 of attempt 1", e)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v: gave up early, the deadline did not pass", err)
	}
	if reqs.get() != 1 || len(obs.seen) != 1 || obs.seen[0].Retrying {
		t.Errorf("%d requests, observed %+v; want 1 attempt, not retrying", reqs.get(), obs.seen)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"99999", 99999 * time.Second},
		{"99999999999999", MaxRetryAfter},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"Fri, 20 Nov 2026 12:00:10 GMT", 10 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(1000 * time.Hour).Format(http.TimeFormat), 1000 * time.Hour},
		{now.Add(10000 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPlanWait(t *testing.T) {
	tests := []struct {
		name                      string
		retryAfter, backoff, left time.Duration
		want                      time.Duration
		wantOK                    bool
	}{
		{"backoff without Retry-After", 0, 100 * time.Millisecond, time.Minute, 100 * time.Millisecond, true},
		{"Retry-After honoured as it is", 7 * time.Second, 0, 30 * time.Second, 7 * time.Second, true},
		{"Retry-After beyond what is left", 2 * time.Minute, 0, time.Minute, 0, false},
		{"a day is not capped to fit", 99999 * time.Second, 0, 30 * time.Second, 0, false},
		{"waiting all that is left leaves no time", 30 * time.Second, 0, 30 * time.Second, 0, false},
		{"backoff beyond what is left", 0, 100 * time.Millisecond, 50 * time.Millisecond, 0, false},
		{"nothing left", 0, time.Millisecond, -time.Second, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := planWait(tt.retryAfter, tt.backoff, tt.left)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("planWait(%s, %s, %s) = %s, %v; want %s, %v", tt.retryAfter, tt.backoff, tt.left, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestWaitBeforeLeft: what is left to wait is the rest of the retry budget,
// or of the deadline when that is sooner, read on the client's clock.
func TestWaitBeforeLeft(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	c, err := NewClient("http://inbox.test", testToken, WithBackoff(time.Millisecond, time.Millisecond), WithRetryBudget(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return now }
	tests := []struct {
		name     string
		waited   time.Duration
		deadline time.Duration // from now; 0: none
		wantLeft time.Duration
	}{
		{"the whole budget", 0, 0, 30 * time.Second},
		{"the rest of the budget", 20 * time.Second, 0, 10 * time.Second},
		{"a sooner deadline", 0, 5 * time.Second, 5 * time.Second},
		{"a later deadline", 25 * time.Second, time.Hour, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, now.Add(tt.deadline))
				defer cancel()
			}
			cl := &call{c: c, backoff: c.newBackoff(), waited: tt.waited}
			_, left, _ := cl.waitBefore(ctx, 4*time.Second)
			if left != tt.wantLeft {
				t.Errorf("left = %s, want %s", left, tt.wantLeft)
			}
		})
	}
}

func TestUsersHonoursRetryAfter(t *testing.T) {
	for _, status := range []int{429, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			// With an hour of backoff, beyond the retry budget, only
			// Retry-After can make the second attempt happen. It is an
			// HTTP-date that the client's clock, a fake one, reads as 5ms
			// from now, so that the test does not wait a whole second.
			c, mux := setup(t, WithBackoff(time.Hour, time.Hour))
			date := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
			c.now = func() time.Time { return date.Add(-5 * time.Millisecond) }
			reqs := handleUsers(mux, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", date.Format(http.TimeFormat))
					writeJSON(w, status, nil)
					return
				}
				writeJSON(w, 200, pageBody(0, 1, nil))
			})
			if _, err := c.Users(context.Background(), Filter{}); err != nil {
				t.Fatal(err)
			}
			if reqs.get() != 2 {
				t.Errorf("%d requests, want 2", reqs.get())
			}
		})
	}
}

// TestUsersRetryAfterBeyondBudget: a Retry-After longer than the call can
// wait fails it at once, with the wait the server really asked for, even
// without a deadline (issue 6: 99999s held a query for 90s, then said 24h).
// The observer stops a call that would retry anyway, so the test is fast
// on any code.
func TestUsersRetryAfterBeyondBudget(t *testing.T) {
	for _, status := range []int{429, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			obs := &cancelOnRetry{cancel: cancel}
			c, mux := setup(t, WithObserver(obs))
			reqs := handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "99999")
				writeJSON(w, status, []byte(`{"success":false,"message":"slow down"}`))
			})
			_, err := c.Users(ctx, Filter{})
			if errors.Is(err, context.Canceled) || len(obs.seen) != 1 || obs.seen[0].Retrying {
				t.Fatalf("error %v, attempts %+v: want one attempt, not retried", err, obs.seen)
			}
			const asked = 99999 * time.Second
			if status == 429 {
				want := RateLimitError{RetryAfter: asked, Attempts: 1, TooLong: true, Left: DefaultRetryBudget}
				if e := asError[*RateLimitError](t, err); *e != want {
					t.Errorf("got %+v, want %+v", e, want)
				}
			} else {
				want := APIError{StatusCode: 503, Message: "slow down", Attempts: 1, RetryAfter: asked, TooLong: true, Left: DefaultRetryBudget}
				if e := asError[*APIError](t, err); *e != want {
					t.Errorf("got %+v, want %+v", e, want)
				}
			}
			if reqs.get() != 1 {
				t.Errorf("%d requests, want 1", reqs.get())
			}
		})
	}
}

// TestUsersRetryBudgetAcrossAttempts: the waits of one call add up against
// the budget; the wait that would overrun it is not made.
func TestUsersRetryBudgetAcrossAttempts(t *testing.T) {
	obs := &cancelOnRetry{}
	c, mux := setup(t, WithObserver(obs), WithRetryBudget(25*time.Millisecond))
	date := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return date.Add(-10 * time.Millisecond) } // frozen
	reqs := handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", date.Format(http.TimeFormat))
		writeJSON(w, 429, nil)
	})
	_, err := c.Users(context.Background(), Filter{})
	e := asError[*RateLimitError](t, err)
	// 10ms, then 10ms more (20ms waited), then 10ms would pass 25ms.
	if e.Attempts != 3 || !e.TooLong || reqs.get() != 3 {
		t.Errorf("got %+v after %d requests; want 3 attempts, then too long", e, reqs.get())
	}
}

// TestUsersRetryAfterBeyondDeadline: a Retry-After that fits the retry
// budget but not the context's deadline fails at once too.
func TestUsersRetryAfterBeyondDeadline(t *testing.T) {
	c, mux := setup(t)
	reqs := handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "20")
		writeJSON(w, 429, []byte(`{"success":false,"message":"slow down"}`))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Users(ctx, Filter{})
	e := asError[*RateLimitError](t, err)
	if e.RetryAfter != 20*time.Second || e.Attempts != 1 || !e.TooLong || e.Left > 10*time.Second || e.Left < 5*time.Second {
		t.Errorf("got %+v, want 20s asked, too long for the 10s left", e)
	}
	if reqs.get() != 1 {
		t.Errorf("%d requests, want 1", reqs.get())
	}
}

func TestUsersObserver(t *testing.T) {
	obs := &cancelOnRetry{}
	c, mux := setup(t, WithObserver(obs))
	handleUsers(mux, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < 3 {
			writeJSON(w, 503, nil)
			return
		}
		writeJSON(w, 200, pageBody(0, 1, nil))
	})
	if _, err := c.Users(context.Background(), Filter{}); err != nil {
		t.Fatal(err)
	}
	type brief struct {
		Attempt, Status int
		Retrying, Err   bool
	}
	var got []brief
	for _, a := range obs.seen {
		if a.Duration <= 0 {
			t.Errorf("attempt %d: duration %s", a.Attempt, a.Duration)
		}
		if a.Err != nil {
			asError[*APIError](t, a.Err)
		}
		got = append(got, brief{a.Attempt, a.StatusCode, a.Retrying, a.Err != nil})
	}
	want := []brief{{1, 503, true, true}, {2, 503, true, true}, {3, 200, false, false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("observed %+v, want %+v", got, want)
	}
}

func TestUsersLearnsPageSize(t *testing.T) {
	// step is one call: LearnPageSize(learn) when learn != 0, else a
	// Users call answered with a page of size contacts.
	type step struct {
		learn, size  int
		wantLast     bool
		wantInferred bool
		wantSize     int
	}
	tests := []struct {
		name  string
		opts  []Option
		steps []step
	}{
		{"a bigger page raises the size, a shorter one is the last", []Option{WithPageSize(3)}, []step{
			{size: 5, wantSize: 5}, // 5 > 3: not short; learnt
			{size: 4, wantLast: true, wantInferred: true, wantSize: 5}, // 4 < 5: last, as far as we know
		}},
		{"a confirmed size may go down and makes a short page certain", nil, []step{
			{size: 15, wantLast: true, wantInferred: true, wantSize: DefaultPageSize},
			{learn: 15, wantSize: 15},
			{size: 15, wantSize: 15},
			{size: 7, wantLast: true, wantSize: 15},
		}},
		{"a page longer than the confirmed size unconfirms it", nil, []step{
			{learn: 10, wantSize: 10},
			{size: 12, wantSize: 12},
			{size: 11, wantLast: true, wantInferred: true, wantSize: 12},
		}},
		{"nonsense sizes are ignored", []Option{WithPageSize(4)}, []step{
			{learn: -1, wantSize: 4},
			{size: 3, wantLast: true, wantInferred: true, wantSize: 4},
		}},
		{"the last learnt size wins", nil, []step{
			{learn: 10, wantSize: 10},
			{learn: 30, wantSize: 30},
			{size: 20, wantLast: true, wantSize: 30},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t, tt.opts...)
			sizes := make(chan int, 1)
			handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, 200, pageBody(0, <-sizes, nil))
			})
			for i, st := range tt.steps {
				if st.learn != 0 {
					c.learnPageSize(st.learn)
				} else {
					sizes <- st.size
					page, err := c.Users(context.Background(), Filter{Page: i + 1})
					if err != nil {
						t.Fatal(err)
					}
					if page.Last != st.wantLast || page.Inferred != st.wantInferred {
						t.Errorf("step %d: last %v inferred %v; want %v, %v", i+1, page.Last, page.Inferred, st.wantLast, st.wantInferred)
					}
				}
				if c.PageSize() != st.wantSize {
					t.Errorf("step %d: page size %d, want %d", i+1, c.PageSize(), st.wantSize)
				}
			}
		})
	}
}

// TestLearnPageSizeConcurrent runs LearnPageSize against Users (and the
// upward learning in it) under -race; the size ends up one of those seen.
func TestLearnPageSizeConcurrent(t *testing.T) {
	c, mux := setup(t)
	handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, pageBody(0, 25, nil))
	})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				c.learnPageSize(10 + i)
				return
			}
			if _, err := c.Users(context.Background(), Filter{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if size := c.PageSize(); size != 25 && (size < 10 || size > 16) {
		t.Errorf("page size %d: neither a learnt size nor the page seen", size)
	}
}

func TestUsersConcurrent(t *testing.T) {
	c, mux := setup(t, WithPageSize(1))
	handleUsers(mux, func(_ int, w http.ResponseWriter, r *http.Request) {
		var f Filter
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			t.Errorf("request body: %v", err)
		}
		writeJSON(w, 200, pageBody(0, f.Page, nil))
	})
	var wg sync.WaitGroup
	for page := 1; page <= 8; page++ {
		wg.Go(func() {
			p, err := c.Users(context.Background(), Filter{Page: page})
			if err != nil || len(p.Users) != page {
				t.Errorf("page %d: %v", page, err)
			}
		})
	}
	wg.Wait()
	if c.PageSize() != 8 {
		t.Errorf("page size %d, want 8 (the biggest page seen)", c.PageSize())
	}
}

func TestUsersPageBeyondMax(t *testing.T) {
	c, _ := setup(t)
	if _, err := c.Users(context.Background(), Filter{Page: MaxPage + 1}); err == nil {
		t.Error("no error for a page beyond MaxPage")
	}
}

// TestUsersReusesConnections checks that bodies are read to the end and
// closed, so that one connection serves consecutive calls.
func TestUsersReusesConnections(t *testing.T) {
	c, mux := setup(t)
	remotes := map[string]bool{}
	var mu sync.Mutex
	handleUsers(mux, func(_ int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes[r.RemoteAddr] = true
		mu.Unlock()
		w.Header().Set("Content-Encoding", "gzip")
		writeJSON(w, 200, gzipped(t, pageBody(0, 2, nil)))
	})
	for range 5 {
		if _, err := c.Users(context.Background(), Filter{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(remotes) != 1 {
		t.Errorf("%d connections for 5 sequential calls, want 1", len(remotes))
	}
}

// TestClientLearnsFromPagesItServes: the client confirms its page size from
// two neighbouring pages of one query it served, in either order, within
// servedWindow; other queries and stale pages teach nothing.
func TestClientLearnsFromPagesItServes(t *testing.T) {
	online := true
	other := Filter{Online: &online}
	tests := []struct {
		name     string
		calls    []Filter // pages asked, in order
		gap      time.Duration
		wantSize int
		wantConf bool
	}{
		{"page 1 then page 2", []Filter{{Page: 1}, {Page: 2}}, 0, 10, true},
		{"page 2 then page 1 (look-ahead)", []Filter{{Page: 2}, {Page: 1}}, 0, 10, true},
		{"the last, short page after a full one", []Filter{{Page: 3}, {Page: 4}}, 0, 10, true},
		{"pages of different queries", []Filter{{Page: 1}, {Page: 2, Online: &online}}, 0, DefaultPageSize, false},
		{"one page twice", []Filter{{Page: 2}, {Page: 2}}, 0, DefaultPageSize, false},
		{"neighbours too far apart in time", []Filter{{Page: 1}, {Page: 2}}, servedWindow + time.Second, DefaultPageSize, false},
		{"other query's pages", []Filter{other, {Page: 2, Online: &online}}, 0, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t)
			serveInbox(t, mux, 35, 10)
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			c.now = func() time.Time { return now }
			var last *Page
			for _, f := range tt.calls {
				p, err := c.Users(context.Background(), f)
				if err != nil {
					t.Fatal(err)
				}
				last = p
				now = now.Add(tt.gap)
			}
			size, confirmed := c.pageSizeState()
			if size != tt.wantSize || confirmed != tt.wantConf {
				t.Errorf("page size %d (confirmed %v), want %d (%v)", size, confirmed, tt.wantSize, tt.wantConf)
			}
			if tt.wantConf && last.Size != 10 {
				t.Errorf("the page that taught the size says Size %d, want 10", last.Size)
			}
		})
	}
}
