package inbox

import (
	"errors"
	"testing"
	"time"
)

// TestErrorTextIsNeutral: the typed errors' Error is data for the log, not
// a sentence for people (commands.Explain words them).
func TestErrorTextIsNeutral(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&UnauthorizedError{StatusCode: 401}, "HTTP 401"},
		{&UnauthorizedError{StatusCode: 403, Message: "bad token"}, `HTTP 403: "bad token"`},
		{&RateLimitError{Attempts: 4}, "HTTP 429 after 4 attempts"},
		{&RateLimitError{Attempts: 1, RetryAfter: time.Hour, TooLong: true, Left: 30 * time.Second}, "HTTP 429 after 1 attempt; Retry-After 1h0m0s, beyond the 30s left to wait"},
		{&APIError{StatusCode: 503, Attempts: 2, Message: "busy\x1b[2J"}, `HTTP 503 after 2 attempts: "busy\x1b[2J"`},
		{&APIError{StatusCode: 200, Code: 422, Attempts: 1}, "HTTP 200 success:false code 422 after 1 attempt"},
		{&TimeoutError{PerAttempt: 10 * time.Second, Attempts: 4}, "timeout after 4 attempts of 10s"},
		{&BadResponseError{StatusCode: 200, Reason: "not JSON"}, "unreadable answer (HTTP 200): not JSON"},
		{&ConnectionError{Host: "api.example", Attempts: 1, Err: errors.New("refused")}, "cannot connect to api.example after 1 attempt: refused"},
		{&RedirectError{StatusCode: 302, Host: "evil.example"}, "redirect (302) to evil.example not followed"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%T: %q, want %q", tt.err, got, tt.want)
		}
	}
}
