package bot

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/bot/slacktest"
)

// TestFailureLogRateLimits: the pure decision behind the connection-failure
// log, with a fake clock. A reconnect loop logs its first failure, then at
// each doubling or once a minute, counting what it left out; the fifth
// failure in a row warns; a success starts over.
func TestFailureLogRateLimits(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f := newFailureLog(time.Minute, 5)
	type step struct {
		at         time.Duration // since t0
		log        bool
		suppressed int
		warn       bool
	}
	steps := []step{
		{0, true, 0, false},                        // 1: the first
		{100 * time.Millisecond, true, 0, false},   // 2: a doubling
		{300 * time.Millisecond, false, 0, false},  // 3
		{700 * time.Millisecond, true, 1, false},   // 4: a doubling, 1 left out
		{1500 * time.Millisecond, false, 0, true},  // 5: not logged, but the warning
		{3100 * time.Millisecond, false, 0, false}, // 6
		{6300 * time.Millisecond, false, 0, false}, // 7
		{12 * time.Second, true, 3, false},         // 8: a doubling, 3 left out
		{30 * time.Second, false, 0, false},        // 9
		{72 * time.Second, true, 1, false},         // 10: a minute after the last line
		{73 * time.Second, false, 0, false},        // 11
	}
	for i, s := range steps {
		v := f.failure(t0.Add(s.at))
		if v.Log != s.log || (v.Log && v.Suppressed != s.suppressed) || v.Warn != s.warn || v.Streak != i+1 {
			t.Errorf("failure %d at +%s: got %+v, want log=%v suppressed=%d warn=%v", i+1, s.at, v, s.log, s.suppressed, s.warn)
		}
	}
	if n := f.success(); n != len(steps) {
		t.Errorf("success after %d failures reports %d", len(steps), n)
	}
	if v := f.failure(t0.Add(74 * time.Second)); !v.Log || v.Suppressed != 0 || v.Streak != 1 {
		t.Errorf("the first failure after a success: %+v, want it logged as a new run", v)
	}
	// A thousand failures within a minute make 10 lines (1, 2, 4 ... 512).
	f = newFailureLog(time.Minute, 5)
	lines, warnings := 0, 0
	for i := range 1000 {
		v := f.failure(t0.Add(time.Duration(i) * time.Millisecond))
		if v.Log {
			lines++
		}
		if v.Warn {
			warnings++
		}
	}
	if lines != 10 || warnings != 1 {
		t.Errorf("1000 failures in a second: %d lines, %d warnings; want 10 and 1", lines, warnings)
	}
}

func TestConnectionCause(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1},
		Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	timeout := &net.OpError{Op: "dial", Net: "tcp", Err: &timeoutError{}}
	tests := []struct {
		name   string
		err    error
		status string
		want   string
	}{
		{"Slack's error code", slack.SlackErrorResponse{Err: "access_denied"}, "", "Slack answered access_denied (SLACK_APP_TOKEN needs the connections:write scope)"},
		{"HTTP status of apps.connections.open", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, "", "apps.connections.open answered HTTP 503"},
		{"rate limited", &slack.RateLimitedError{RetryAfter: 30 * time.Second}, "", "rate-limited apps.connections.open (retry after 30s)"},
		{"handshake status", websocket.ErrBadHandshake, "403 Forbidden", "websocket handshake was refused with HTTP 403 Forbidden"},
		{"handshake without status", websocket.ErrBadHandshake, "", "websocket handshake was refused"},
		{"DNS", &net.DNSError{Err: "no such host", Name: "wss-primary.slack.com", IsNotFound: true}, "", "DNS: cannot resolve wss-primary.slack.com (no such host)"},
		{"TLS: unknown authority", fmt.Errorf("tls: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "", "TLS: the certificate is not trusted"},
		{"TLS: not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, "", "TLS: the server does not speak TLS"},
		{"connection refused", refused, "", "connection refused by 127.0.0.1:1"},
		{"timeout", timeout, "", "timed out"},
		{"ticket redacted", errors.New("dial wss://wss-primary.slack.com/link/?ticket=abc-123&app_id=A1: boom"), "", "ticket=REDACTED&app_id=A1"},
	}
	for _, tt := range tests {
		got := connectionCause(tt.err, tt.status)
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want it to contain %q", tt.name, got, tt.want)
		}
		if strings.Contains(got, "abc-123") {
			t.Errorf("%s: the ticket leaks: %q", tt.name, got)
		}
	}
}

type timeoutError struct{}

func (*timeoutError) Error() string   { return "i/o timeout" }
func (*timeoutError) Timeout() bool   { return true }
func (*timeoutError) Temporary() bool { return true }

// TestE2EConnectionFailuresAreExplained: `run` against a Slack it cannot
// connect to logs each failure's cause, not one line per attempt, and after
// five failures in a row says what to check (issue 6, point 8).
func TestE2EConnectionFailuresAreExplained(t *testing.T) {
	tests := []struct {
		name  string
		slack slacktest.Option
		cause string
	}{
		{"Slack's error code", slacktest.WithOpenError("access_denied"), "Slack answered access_denied"},
		{"websocket unreachable", slacktest.WithSocketURL(func(string) string { return "ws://127.0.0.1:1/link/?ticket=t" }), "connection refused by 127.0.0.1:1"},
		{"handshake refused", slacktest.WithSocketURL(func(u string) string { return strings.Split(u, "?")[0] + "?ticket=forged" }), "refused with HTTP 401 Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startE2E(t, withSlack(tt.slack), func(s *e2eSetup) { s.noReady = true })
			slacktest.Poll(t, h.ctx, "the warning after 5 failures", func() bool { return len(h.logLines(connAdviceMsg)) > 0 })
			attempts := len(h.slack.Calls("apps.connections.open"))
			lines := h.logLines("cannot connect to Slack; retrying")
			if len(lines) == 0 || len(lines) >= attempts {
				t.Fatalf("%d lines for %d attempts; want fewer lines than attempts, and some:\n%s", len(lines), attempts, h.logs)
			}
			for _, l := range lines {
				if cause, _ := l["cause"].(string); !strings.Contains(cause, tt.cause) {
					t.Errorf("cause %q, want it to contain %q", cause, tt.cause)
				}
			}
			if s, _ := lines[len(lines)-1]["suppressed"].(float64); s < 1 {
				t.Errorf("the last line counts %v suppressed failures, want some: %v", s, lines)
			}
			w := h.logLines(connAdviceMsg)
			if len(w) != 1 || w[0]["level"] != "WARN" || w[0]["failures_in_a_row"] != float64(connWarnAfter) {
				t.Fatalf("the warning: %v", w)
			}
			check, _ := w[0]["check"].(string)
			assertContains(t, "the warning", check, "SLACK_APP_TOKEN", "Socket Mode is enabled", "HTTPS_PROXY")
			if strings.Contains(h.logs.String(), "forged") || strings.Contains(h.logs.String(), h.slack.AppToken()) {
				t.Error("the log shows a ticket or a token")
			}
		})
	}
}

// TestE2EConnectsAfterFailures: once Slack lets the bot in, it says how many
// attempts failed before.
func TestE2EConnectsAfterFailures(t *testing.T) {
	t.Parallel()
	h := startE2E(t, withSlack(slacktest.WithOpenError("access_denied")), func(s *e2eSetup) { s.noReady = true })
	if _, err := h.slack.WaitCalls(h.ctx, "apps.connections.open", 3); err != nil {
		t.Fatal(err)
	}
	h.slack.SetOpenError("")
	h.waitStatus("/readyz", 200)
	slacktest.Poll(t, h.ctx, "the log line of the connection", func() bool {
		return len(h.logLines("connected to Slack after failed attempts")) == 1
	})
	if n, _ := h.logLines("connected to Slack after failed attempts")[0]["failed_attempts"].(float64); n < 3 {
		t.Errorf("failed_attempts %v, want at least 3", n)
	}
}
