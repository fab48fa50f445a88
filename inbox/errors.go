package inbox

import (
	"fmt"
	"time"
)

// The errors below are what callers branch on with errors.As. They carry
// data (status, attempts, waits, host); their Error text is neutral and
// terse, for logs ("HTTP 401", "timeout after 4 attempts of 10s"; the
// client prefixes "inbox: page N: "). The sentences people read are
// written from that data at the product's edge (commands.Explain), which
// also sanitises what the API sent.

// UnauthorizedError is a 401 or 403: the API token was rejected.
type UnauthorizedError struct {
	StatusCode int
	Message    string // the API's message, if any
}

// Error implements error.
func (e *UnauthorizedError) Error() string {
	return fmt.Sprintf("HTTP %d", e.StatusCode) + quotedMessage(e.Message)
}

// RateLimitError is a 429 that was refused after every attempt, or whose
// Retry-After asked for longer than the call could wait.
type RateLimitError struct {
	RetryAfter time.Duration // what the last answer asked for; 0 if it did not say
	Attempts   int
	// TooLong is true when the client gave up at once, attempts left,
	// because RetryAfter was not shorter than what the call had left to
	// wait (the rest of its retry budget or of its context deadline): Left.
	TooLong bool
	Left    time.Duration
}

// Error implements error.
func (e *RateLimitError) Error() string {
	s := "HTTP 429 after " + attemptCount(e.Attempts)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; Retry-After %s", e.RetryAfter)
	}
	if e.TooLong {
		s += fmt.Sprintf(", beyond the %s left to wait", e.Left)
	}
	return s
}

// APIError is any other answer with success:false or an unexpected status:
// the API's status and message. A 2xx StatusCode means HTTP succeeded and
// the envelope said success:false.
type APIError struct {
	StatusCode int    // HTTP status
	Code       int    // the envelope's code, when present
	Message    string // the envelope's message, when present (untrusted text)
	Attempts   int    // attempts made (more than 1 only for retryable statuses)
	// RetryAfter, TooLong and Left are set when a 5xx answer's Retry-After
	// asked for longer than the call could wait (see RateLimitError).
	RetryAfter time.Duration
	TooLong    bool
	Left       time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.StatusCode)
	if e.StatusCode >= 200 && e.StatusCode < 300 {
		s += " success:false"
	}
	if e.Code != 0 {
		s += fmt.Sprintf(" code %d", e.Code)
	}
	s += " after " + attemptCount(e.Attempts)
	if e.TooLong {
		s += fmt.Sprintf("; Retry-After %s, beyond the %s left to wait", e.RetryAfter, e.Left)
	}
	return s + quotedMessage(e.Message)
}

// quotedMessage is ": " and the API's message quoted (it is untrusted
// text: quoting keeps control characters out of the log line), or "".
func quotedMessage(msg string) string {
	if msg == "" {
		return ""
	}
	return fmt.Sprintf(": %q", msg)
}

func attemptCount(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// TimeoutError means no attempt got an answer in time.
type TimeoutError struct {
	PerAttempt time.Duration
	Attempts   int
}

// Error implements error.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timeout after %s of %s", attemptCount(e.Attempts), e.PerAttempt)
}

// BadResponseError is an answer we could not read: not JSON, too large, or
// not the shape of the contract.
type BadResponseError struct {
	StatusCode int
	Reason     string // e.g. "not JSON", "larger than 8 MiB"
	Err        error  // the underlying decode error, if any
}

// Error implements error.
func (e *BadResponseError) Error() string {
	return fmt.Sprintf("unreadable answer (HTTP %d): %s", e.StatusCode, e.Reason)
}

// Unwrap returns the underlying error.
func (e *BadResponseError) Unwrap() error { return e.Err }

// ConnectionError means the API could not be reached at all after every attempt.
type ConnectionError struct {
	Host     string // host[:port] of the API, as configured
	Attempts int
	Err      error // the network error (DNS, refused, reset, TLS...)
}

// Error implements error.
func (e *ConnectionError) Error() string {
	return fmt.Sprintf("cannot connect to %s after %s: %v", e.Host, attemptCount(e.Attempts), e.Err)
}

// Unwrap returns the underlying error.
func (e *ConnectionError) Unwrap() error { return e.Err }

// RedirectError is a 3xx answer. The client never follows redirects: the
// API does not redirect a POST, and following one would send the query,
// and with a 307/308 the token, to wherever the answer points.
type RedirectError struct {
	StatusCode int // 0 when net/http could not read the redirect's Location
	// Host is the host[:port] the redirect points to ("" when it named
	// none or an unreadable one); never the whole URL, which may carry
	// credentials.
	Host string
}

// Error implements error.
func (e *RedirectError) Error() string {
	if e.StatusCode == 0 {
		return "redirect with an unreadable Location not followed"
	}
	if e.Host == "" {
		return fmt.Sprintf("redirect (%d) not followed", e.StatusCode)
	}
	return fmt.Sprintf("redirect (%d) to %s not followed", e.StatusCode, e.Host)
}
