package bot

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands"
)

// failureLog decides which failures of a run of Socket Mode connection
// failures are logged: slack-go reconnects forever with a backoff that starts
// at 100ms, and a line per attempt would flood the log. The first failure is
// logged, then any failure whose count in the run is a power of two or that
// comes at least `every` after the last line; each line counts the failures
// not logged since the previous one. The run's warnAfter-th failure also
// raises a warning that says what to check. It is a pure decision: the time
// is passed in.
type failureLog struct {
	every     time.Duration
	warnAfter int

	streak     int       // failures since the last success
	suppressed int       // failures not logged since the last line
	last       time.Time // when the last line was logged
}

// failureVerdict is what to log for one failure.
type failureVerdict struct {
	Log        bool // log this failure
	Suppressed int  // failures not logged since the previous line (when Log)
	Streak     int  // failures in a row, this one included
	Warn       bool // the run just reached warnAfter failures: say what to check
}

func newFailureLog(every time.Duration, warnAfter int) *failureLog {
	return &failureLog{every: every, warnAfter: warnAfter}
}

// failure records one failure at now and says what to log.
func (f *failureLog) failure(now time.Time) failureVerdict {
	f.streak++
	v := failureVerdict{Streak: f.streak, Warn: f.streak == f.warnAfter}
	if f.streak&(f.streak-1) == 0 || now.Sub(f.last) >= f.every {
		v.Log, v.Suppressed = true, f.suppressed
		f.suppressed, f.last = 0, now
		return v
	}
	f.suppressed++
	return v
}

// success ends a run of failures and returns how long it was.
func (f *failureLog) success() int {
	n := f.streak
	f.streak, f.suppressed = 0, 0
	return n
}

// Defaults of the connection-failure log.
const (
	connLogEvery  = time.Minute // at most one line a minute past the doublings
	connWarnAfter = 5           // failures in a row before saying what to check
)

// connAdviceMsg and connAdvice are the warning after connWarnAfter failures
// in a row: what to check.
const (
	connAdviceMsg = "still cannot connect to Slack"
	connAdvice    = "SLACK_APP_TOKEN (an app-level xapp- token of this app with connections:write); " +
		"that Socket Mode is enabled for the app (api.slack.com/apps -> Socket Mode); " +
		"that this host reaches slack.com and *.slack.com websockets on port 443 (network, firewall, HTTPS_PROXY)"
)

// handshakeTap receives slack-go's socketmode debug log and keeps only the
// HTTP status of a refused websocket handshake: slack-go drops the response
// and returns websocket.ErrBadHandshake alone, logging the status only at
// debug. Every other line (message payloads among them) is discarded.
type handshakeTap struct {
	mu     sync.Mutex
	status string
}

const handshakeStatusPrefix = "WebSocket dial response status: "

// Output implements slack-go's logger.
func (t *handshakeTap) Output(_ int, s string) error {
	if status, ok := strings.CutPrefix(s, handshakeStatusPrefix); ok {
		t.mu.Lock()
		t.status = strings.TrimSpace(status)
		t.mu.Unlock()
	}
	return nil
}

// take returns the last status seen and forgets it.
func (t *handshakeTap) take() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.status
	t.status = ""
	return s
}

// ticketRE matches the single-use ticket of a Socket Mode URL.
var ticketRE = regexp.MustCompile(`ticket=[^&\s"]*`)

// connectionCause says in words why a Socket Mode connection attempt failed:
// Slack's error code, the HTTP status of apps.connections.open or of the
// websocket handshake (status, from handshakeTap), DNS, TLS, a refused or
// timed-out connection. It never contains a token or a ticket.
func connectionCause(err error, handshakeStatus string) string {
	var (
		se  slack.SlackErrorResponse
		sc  slack.StatusCodeError
		rl  *slack.RateLimitedError
		dns *net.DNSError
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		rh  tls.RecordHeaderError
		op  *net.OpError
	)
	switch {
	case err == nil:
		return "unknown"
	case errors.As(err, &se):
		return commands.ExplainSlack(se.Err, commands.SlackConnectionsOpen)
	case errors.As(err, &rl):
		return fmt.Sprintf("Slack rate-limited apps.connections.open (retry after %s)", rl.RetryAfter)
	case errors.As(err, &sc):
		return fmt.Sprintf("apps.connections.open answered HTTP %d %s (check SLACK_API_URL)", sc.Code, sc.Status)
	case errors.Is(err, websocket.ErrBadHandshake):
		if handshakeStatus != "" {
			return "the Socket Mode websocket handshake was refused with HTTP " + handshakeStatus
		}
		return "the Socket Mode websocket handshake was refused"
	case errors.As(err, &dns):
		return fmt.Sprintf("DNS: cannot resolve %s (%s)", dns.Name, dns.Err)
	case errors.As(err, &cv), errors.As(err, &ua), errors.As(err, &he):
		return "TLS: the certificate is not trusted (" + redactTicket(tlsDetail(err)) + "); a proxy that intercepts TLS needs its CA installed"
	case errors.As(err, &rh):
		return "TLS: the server does not speak TLS (" + rh.Error() + ")"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused" + opAddr(err)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timed out" + opAddr(err)
	case errors.As(err, &op):
		return fmt.Sprintf("network: %s", redactTicket(op.Error()))
	}
	return redactTicket(err.Error())
}

func opAddr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return " by " + op.Addr.String()
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func tlsDetail(err error) string {
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) && cv.Err != nil {
		return cv.Err.Error()
	}
	return err.Error()
}

func redactTicket(s string) string { return ticketRE.ReplaceAllString(s, "ticket=REDACTED") }
