package bot

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"
)

// TestHealthAgainstTheBot runs `inboxbot health` (the compose file's health
// check) against a real bot's HTTP_ADDR: /healthz answers while Slack
// refuses connections, --ready does not until Socket Mode is connected, and
// nothing listening is a failure (exit status 1).
func TestHealthAgainstTheBot(t *testing.T) {
	h := startE2E(t, withSlack(slacktest.WithOpenError("internal_error")), func(s *e2eSetup) { s.noReady = true })
	t.Setenv("HTTP_ADDR", h.httpURL[strings.LastIndex(h.httpURL, ":"):]) // ":PORT", as the deploy files set it
	health := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		err := Main(context.Background(), append([]string{"health"}, args...), IO{Out: &out, Err: &errOut}, BuildInfo{})
		code := ExitCode(err, &errOut)
		return out.String() + errOut.String(), code
	}
	h.waitStatus("/healthz", http.StatusOK)
	if out, code := health(); code != 0 || !strings.Contains(out, "/healthz: ok") {
		t.Errorf("health: exit %d, %q; want 0 and ok", code, out)
	}
	if out, code := health("--ready"); code != 1 || !strings.Contains(out, "503") {
		t.Errorf("health --ready before Slack connects: exit %d, %q; want 1 and 503", code, out)
	}
	h.slack.SetOpenError("")
	h.waitStatus("/readyz", http.StatusOK)
	if out, code := health("--ready"); code != 0 || !strings.Contains(out, "/readyz: ok") {
		t.Errorf("health --ready once connected: exit %d, %q; want 0", code, out)
	}
	if _, code := health("extra"); code != 2 {
		t.Errorf("health extra: exit %d, want 2", code)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()
	t.Setenv("HTTP_ADDR", free)
	if out, code := health("--timeout", "2s"); code != 1 || !strings.Contains(out, "refused") {
		t.Errorf("health with nothing listening: exit %d, %q; want 1, connection refused", code, out)
	}
}

// TestHealthURL: an unspecified host is asked on the loopback address; a
// malformed or random port is a configuration error.
func TestHealthURL(t *testing.T) {
	tests := []struct {
		addr, want string
		bad        bool
	}{
		{addr: ":8080", want: "http://127.0.0.1:8080/healthz"},
		{addr: "0.0.0.0:9090", want: "http://127.0.0.1:9090/healthz"},
		{addr: "[::]:8080", want: "http://127.0.0.1:8080/healthz"},
		{addr: "127.0.0.2:8080", want: "http://127.0.0.2:8080/healthz"},
		{addr: "[::1]:8080", want: "http://[::1]:8080/healthz"},
		{addr: "bot.internal:8080", want: "http://bot.internal:8080/healthz"},
		{addr: ":0", bad: true},
		{addr: "8080", bad: true},
		{addr: ":http", bad: true},
	}
	for _, tt := range tests {
		got, err := healthURL(tt.addr, "/healthz")
		var ce *ConfigError
		switch {
		case tt.bad && !errors.As(err, &ce):
			t.Errorf("healthURL(%q) = %q, %v; want a ConfigError", tt.addr, got, err)
		case !tt.bad && (err != nil || got != tt.want):
			t.Errorf("healthURL(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
	if d := httpAddrDefault(); d != ":8080" || httpAddrProblem(d) != "" {
		t.Errorf("HTTP_ADDR's default as health reads it: %q", d)
	}
}

// TestHealthTimesOut: a bot that does not answer fails within --timeout.
func TestHealthTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hold := make(chan struct{})
	defer close(hold)
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hold })}
	go srv.Serve(ln)
	defer srv.Close()
	t.Setenv("HTTP_ADDR", ln.Addr().String())
	start := time.Now()
	err = Main(context.Background(), []string{"health", "--timeout", "200ms"}, IO{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, BuildInfo{})
	if err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("health against a silent server: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("health took %s with --timeout 200ms", d)
	}
}

// FuzzHealthURL: any HTTP_ADDR gives a configuration error or an http URL
// of /healthz on a fixed port, never a panic or another path.
func FuzzHealthURL(f *testing.F) {
	for _, s := range []string{":8080", "0.0.0.0:9090", "[::]:1", "host:65535", ":0", "a:b:c", "[::1", ":+80", "ho st:80", "x/y:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		got, err := healthURL(addr, "/healthz")
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Var != "HTTP_ADDR" {
				t.Fatalf("healthURL(%q): %v, not a ConfigError of HTTP_ADDR", addr, err)
			}
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || u.Scheme != "http" || u.Path != "/healthz" || u.Port() == "" || u.Port() == "0" || u.RawQuery != "" {
			t.Fatalf("healthURL(%q) = %q (%v)", addr, got, perr)
		}
	})
}
