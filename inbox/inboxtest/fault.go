package inboxtest

import (
	"fmt"
	"net/http"
	"strconv"
)

type faultKind uint8

const (
	faultNone faultKind = iota
	faultStatus
	faultRateLimit
	faultUnauthorized
	faultMalformed
	faultHang
	faultSuccessFalse
)

// Fault is a failure the server injects instead of its answer. Make one with
// Status, RateLimit, Unauthorized, Malformed, Hang or SuccessFalse; the zero
// Fault is no fault.
type Fault struct {
	kind       faultKind
	code       int
	retryAfter int
	message    string
}

// Status answers with HTTP status code (e.g. 503) and the error envelope.
// It panics if code is not an HTTP status (100 to 599).
func Status(code int) Fault {
	if code < 100 || code > 599 {
		panic(fmt.Sprintf("inboxtest: Status(%d) is not an HTTP status", code))
	}
	return Fault{kind: faultStatus, code: code}
}

// RateLimit answers 429 with Retry-After: seconds (no header when seconds
// is 0 or less: the API does not document it).
func RateLimit(seconds int) Fault {
	return Fault{kind: faultRateLimit, code: http.StatusTooManyRequests, retryAfter: seconds}
}

// Unauthorized answers 401 as if the token had been revoked.
func Unauthorized() Fault { return Fault{kind: faultUnauthorized, code: http.StatusUnauthorized} }

// Malformed answers 200 with a body that is not valid JSON.
func Malformed() Fault { return Fault{kind: faultMalformed, code: http.StatusOK} }

// Hang never answers: the handler waits until the request's context ends
// (the client gives up or the server shuts down), then aborts the
// connection (see Server.ServeHTTP).
func Hang() Fault { return Fault{kind: faultHang} }

// SuccessFalse answers HTTP 200 with success false and message.
func SuccessFalse(message string) Fault {
	return Fault{kind: faultSuccessFalse, code: http.StatusOK, message: message}
}

// IsZero reports whether f is no fault.
func (f Fault) IsZero() bool { return f.kind == faultNone }

// String describes the fault, for test names and failure messages.
func (f Fault) String() string {
	switch f.kind {
	case faultStatus:
		return "Status(" + strconv.Itoa(f.code) + ")"
	case faultRateLimit:
		return "RateLimit(" + strconv.Itoa(f.retryAfter) + ")"
	case faultUnauthorized:
		return "Unauthorized"
	case faultMalformed:
		return "Malformed"
	case faultHang:
		return "Hang"
	case faultSuccessFalse:
		return fmt.Sprintf("SuccessFalse(%q)", f.message)
	}
	return "none"
}

// malformedBody is a 200 answer cut short, as a proxy that drops the
// connection mid-body would leave it.
const malformedBody = `{"success":true,"message":"","code":200,"data":[{"_id":"66e07fd940c43d176eaf0b71","platform":["WHATSAPP"],"profile":{"userDetails":{"name":"Cut sh`

// write sends the fault's answer and returns its status (0 for Hang, which
// returns only when the request's context ends).
func (f Fault) write(w http.ResponseWriter, r *http.Request) int {
	switch f.kind {
	case faultHang:
		<-r.Context().Done()
		return 0
	case faultMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(malformedBody)) // the client may be gone; nothing to do
		return http.StatusOK
	case faultRateLimit:
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		return writeError(w, r, f.code, "Too many requests, please try again later.")
	case faultUnauthorized:
		return writeError(w, r, f.code, "Unauthorized: invalid or expired API key")
	case faultSuccessFalse:
		return writeEnvelope(w, r, http.StatusOK, errorEnvelope{Success: false, Message: f.message, Code: http.StatusOK})
	}
	msg := http.StatusText(f.code)
	if msg == "" {
		msg = "Error"
	}
	return writeError(w, r, f.code, msg)
}
