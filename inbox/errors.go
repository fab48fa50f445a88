package inbox

import (
	"fmt"
	"time"
)

// The errors below are what callers branch on with errors.As. Their Error
// text is written for a support lead: it is shown in Slack as it is.

// UnauthorizedError is a 401 or 403: the API token was rejected.
type UnauthorizedError struct {
	StatusCode int
	Message    string // the API's message, if any
}

// Error implements error.
func (e *UnauthorizedError) Error() string {
	return fmt.Sprintf("Convertalk rejected the API token (%d). Check INBOX_API_TOKEN.", e.StatusCode)
}

// RateLimitError is a 429 that was still refused after every attempt.
type RateLimitError struct {
	RetryAfter time.Duration // what the last answer asked for; 0 if it did not say
	Attempts   int
}

// Error implements error.
func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("Convertalk is rate limiting us (429 after %d attempts); it asks to wait %s.", e.Attempts, e.RetryAfter.Round(time.Second))
	}
	return fmt.Sprintf("Convertalk is rate limiting us (429 after %d attempts). Try again in a minute.", e.Attempts)
}

// APIError is any other answer with success:false or an unexpected status:
// the API's status and message.
type APIError struct {
	StatusCode int    // HTTP status
	Code       int    // the envelope's code, when present
	Message    string // the envelope's message, when present
	Attempts   int    // attempts made (more than 1 only for retryable statuses)
}

// Error implements error.
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	if e.StatusCode >= 500 {
		return fmt.Sprintf("Convertalk is having trouble (%d after %d attempts): %s", e.StatusCode, e.Attempts, msg)
	}
	return fmt.Sprintf("Convertalk refused the request (%d): %s", e.StatusCode, msg)
}

// TimeoutError means no attempt got an answer in time.
type TimeoutError struct {
	PerAttempt time.Duration
	Attempts   int
}

// Error implements error.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("Convertalk did not answer in %s after %d attempts.", e.PerAttempt, e.Attempts)
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
	return fmt.Sprintf("Convertalk sent an answer we could not read (%s).", e.Reason)
}

// Unwrap returns the underlying error.
func (e *BadResponseError) Unwrap() error { return e.Err }

// ConnectionError means the API could not be reached at all after every attempt.
type ConnectionError struct {
	Attempts int
	Err      error
}

// Error implements error.
func (e *ConnectionError) Error() string {
	return fmt.Sprintf("Could not reach Convertalk after %d attempts (network error).", e.Attempts)
}

// Unwrap returns the underlying error.
func (e *ConnectionError) Unwrap() error { return e.Err }
