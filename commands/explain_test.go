package commands

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/inbox"
)

func TestExplain(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"401", &inbox.UnauthorizedError{StatusCode: 401}, "Convertalk rejected the API token (401). Check INBOX_API_TOKEN."},
		{"429 after every attempt", &inbox.RateLimitError{Attempts: 4}, "Convertalk is rate limiting us (429 after 4 attempts). Try again in a minute."},
		{"429 asking for a short wait", &inbox.RateLimitError{Attempts: 4, RetryAfter: 12 * time.Second}, "Convertalk is rate limiting us (429 after 4 attempts); it asks to wait 12 s."},
		{
			"429 asking for longer than the answer can wait: the real wait",
			&inbox.RateLimitError{Attempts: 1, RetryAfter: 99999 * time.Second, TooLong: true, Left: 30 * time.Second},
			"Convertalk is rate limiting us (429) and asks to wait 27 h 47 min, longer than this answer can wait. Try again later.",
		},
		{
			"503 asking for longer than the answer can wait",
			&inbox.APIError{StatusCode: 503, Attempts: 1, RetryAfter: 90 * time.Minute, TooLong: true},
			"Convertalk is having trouble (503) and asks to wait 1 h 30 min, longer than this answer can wait.",
		},
		{"503", &inbox.APIError{StatusCode: 503, Attempts: 2, Message: "busy"}, "Convertalk is having trouble (503 after 2 attempts): `busy`"},
		{"400", &inbox.APIError{StatusCode: 400, Attempts: 1}, "Convertalk refused the request (400): no message"},
		{"404 hints at the URL", &inbox.APIError{StatusCode: 404, Attempts: 1}, "Convertalk has no inbox API at that address (404); check INBOX_API_URL."},
		{"404 with a message", &inbox.APIError{StatusCode: 404, Message: "Cannot POST /v2/inbox/users"}, "Convertalk has no inbox API at that address (404); check INBOX_API_URL: `Cannot POST /v2/inbox/users`"},
		{"success false with 200", &inbox.APIError{StatusCode: 200, Code: 422, Message: "Invalid filter", Attempts: 1}, "Convertalk reported a failure (code 422): `Invalid filter`"},
		{"success false with 200, no message", &inbox.APIError{StatusCode: 200, Code: 200}, "Convertalk reported a failure without saying why."},
		{"redirect", &inbox.RedirectError{StatusCode: 302, Host: "evil.example"}, "Convertalk answered with a redirect to evil.example (302); check INBOX_API_URL."},
		{"redirect nowhere", &inbox.RedirectError{StatusCode: 301}, "Convertalk answered with a redirect (301); check INBOX_API_URL."},
		{"connection refused", &inbox.ConnectionError{Host: "api.v7.convertalk.com", Attempts: 4, Err: refused}, "Could not connect to api.v7.convertalk.com: connection refused (4 attempts)."},
		{"no such host", &inbox.ConnectionError{Host: "api.v7.convertalk.invalid", Attempts: 1, Err: &net.DNSError{Err: "no such host", Name: "api.v7.convertalk.invalid", IsNotFound: true}}, "Could not connect to api.v7.convertalk.invalid: no such host (1 attempt)."},
		{"timeout", &inbox.TimeoutError{PerAttempt: 10 * time.Second, Attempts: 4}, "Convertalk did not answer in 10s after 4 attempts."},
		{"wrapped with the page", fmt.Errorf("inbox: page 2: %w", &inbox.RedirectError{StatusCode: 307, Host: "h"}), "Convertalk answered with a redirect to h (307); check INBOX_API_URL."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Explain(tt.err); got != tt.want {
				t.Errorf("Explain = %q\nwant       %q", got, tt.want)
			}
		})
	}
}

// TestExplainSanitisesTheInbox: what the API says reaches the terminal
// without control characters or escape sequences, and capped (issue 6,
// point 12), as contact data does.
func TestExplainSanitisesTheInbox(t *testing.T) {
	hostile := "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\r\nline\u202eevil" + strings.Repeat("x", 5000)
	for _, err := range []error{
		&inbox.APIError{StatusCode: 400, Message: hostile},
		&inbox.APIError{StatusCode: 200, Message: hostile},
		&inbox.APIError{StatusCode: 503, Message: hostile},
		&inbox.RedirectError{StatusCode: 302, Host: hostile},
		&inbox.BadResponseError{Reason: hostile},
		&inbox.ConnectionError{Host: hostile, Err: errors.New(hostile)},
	} {
		got := Explain(err)
		if strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' }) {
			t.Errorf("%T: Explain keeps control characters: %q", err, got)
		}
		if n := utf8.RuneCountInString(got); n > 2*maxAPIMessage+200 {
			t.Errorf("%T: Explain is %d characters long", err, n)
		}
	}
}

// TestExplainRealClientErrors: what the inbox client returns for a
// redirect and a refused connection, in words.
func TestExplainRealClientErrors(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed: %s %s", r.Method, r.URL)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/inbox/users", http.StatusFound)
	}))
	defer srv.Close()
	ask := func(base string) string {
		c, err := inbox.NewClient(base, "tok", inbox.WithMaxAttempts(2), inbox.WithBackoff(time.Millisecond, time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Users(context.Background(), inbox.Filter{})
		return Explain(err)
	}
	otherHost := strings.TrimPrefix(other.URL, "http://")
	if got, want := ask(srv.URL), "Convertalk answered with a redirect to "+otherHost+" (302); check INBOX_API_URL."; got != want {
		t.Errorf("redirect: %q, want %q", got, want)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if got, want := ask("http://"+addr), "Could not connect to "+addr+": connection refused (2 attempts)."; got != want {
		t.Errorf("refused: %q, want %q", got, want)
	}
}

func TestWaitWords(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{300 * time.Millisecond, "1 s"},
		{45 * time.Second, "45 s"},
		{90 * time.Second, "1 min 30 s"},
		{5 * time.Minute, "5 min"},
		{99999 * time.Second, "27 h 47 min"},
		{24 * time.Hour, "24 h"},
		{100 * time.Hour, "4 days 4 h"},
		{inbox.MaxRetryAfter, "more than a year"},
	}
	for _, tt := range tests {
		if got := waitWords(tt.d); got != tt.want {
			t.Errorf("waitWords(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
