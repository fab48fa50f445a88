package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// End-to-end tests of operations: health, readiness, metrics, the log line
// of each command, shutdown, and `inboxbot check` / `inboxbot run` through
// Main with the environment.

func TestE2EHealthAndReadiness(t *testing.T) {
	t.Parallel()
	// Slack refuses connections at first (a transient error, retried).
	h := startE2E(t, withSlack(slacktest.WithOpenError("internal_error")), func(s *e2eSetup) { s.noReady = true })
	h.waitStatus("/healthz", http.StatusOK)
	if code, _ := h.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before any connection: %d, want 503", code)
	}
	h.slack.SetOpenError("")
	h.waitStatus("/readyz", http.StatusOK)
	if code, _ := h.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
}

func TestE2EMetrics(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	h.answer(h.command("online"))
	h.answer(h.command("tga:vip"))
	// A command is counted when it ends, just after its answer is posted.
	h.waitMetric(1, "inboxbot_commands_total", `kind="query"`, `outcome="ok"`)
	h.waitMetric(1, "inboxbot_commands_total", `outcome="bad_query"`)
	code, body := h.get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	assertContains(t, "/metrics", body,
		"inboxbot_commands_total", "inboxbot_ack_latency_seconds_bucket", "inboxbot_answer_latency_seconds",
		"inboxbot_inbox_attempts_total", "inboxbot_inbox_attempt_latency_seconds", "go_goroutines")
	if got := h.metric("inboxbot_inbox_attempts_total", `outcome="ok"`); got != 1 {
		t.Errorf("inbox attempts ok: %v, want 1", got)
	}
}

// TestE2EOneLogLinePerCommand: each command and click logs exactly one
// line with its canonical query (free text redacted), outcome and duration;
// no token and no customer text ever reaches the log.
func TestE2EOneLogLinePerCommand(t *testing.T) {
	t.Parallel()
	h := startE2E(t, withConfig(func(c *Config) { c.AllowedUsers = IDList{slacktest.DefaultUserID} }))
	first := h.answer(h.command(`online "Jane Doe" tag:vip`))
	h.answer(h.click(first, commands.ActionRefresh, slacktest.ClickOptions{}))
	h.answer(h.command("tga:vip"))
	h.answer(h.command("help"))
	h.answer(h.commandAs(slacktest.SlashOptions{Text: "online", UserID: "U0STRANGER"}))
	want := []struct{ kind, query, outcome string }{
		{"query", `[text] online tag:vip`, "ok"},
		{"click:" + commands.ActionRefresh, `[text] online tag:vip`, "ok"},
		{"query", "", "bad_query"},
		{"help", "", "ok"},
		{"query", "", "refused"},
	}
	var recs []map[string]any
	slacktest.Poll(t, h.ctx, "a log line per command", func() bool {
		recs = h.logLines("command")
		return len(recs) >= len(want)
	})
	if len(recs) != len(want) {
		t.Fatalf("%d command log lines for %d commands:\n%s", len(recs), len(want), h.logs)
	}
	// Lines are written when each command ends, so their order may differ.
	for _, w := range want {
		i := slices.IndexFunc(recs, func(rec map[string]any) bool {
			return rec["kind"] == w.kind && rec["query"] == w.query && rec["outcome"] == w.outcome
		})
		if i < 0 {
			t.Errorf("no log line with kind %s, query %q, outcome %s:\n%s", w.kind, w.query, w.outcome, h.logs)
			continue
		}
		rec := recs[i]
		recs = slices.Delete(recs, i, i+1)
		if _, ok := rec["duration_ms"].(float64); !ok {
			t.Errorf("log line %v has no duration_ms", rec)
		}
		if rec["level"] != "INFO" {
			t.Errorf("log line %v is not at INFO", rec)
		}
	}
	logs := h.logs.String()
	for _, secret := range []string{h.slack.BotToken(), h.slack.AppToken(), inboxtest.DefaultToken, "Jane", "Doe"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
	for _, c := range h.inbox.Contacts()[:50] {
		if c.Name != "" && strings.Contains(logs, c.Name) || c.Email != "" && strings.Contains(logs, c.Email) {
			t.Errorf("the log contains customer data of %s", c.ID)
		}
	}
}

// TestE2EShutdownDrainsInFlightWork: cancelling Run (SIGTERM) lets acked
// work finish and answer, and Run returns nil.
func TestE2EShutdownDrainsInFlightWork(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	h.inbox.SetLatency(400 * time.Millisecond)
	d := h.command("online")
	slacktest.Poll(t, h.ctx, "the inbox request in flight", func() bool { return h.inbox.Count() > 0 })
	h.stop()
	h.waitRun("Run did not return after SIGTERM")
	// Run returned only after the in-flight answer was posted.
	for _, r := range h.slack.Responses() {
		if r.URL == d.ResponseURL && r.Error == "" {
			if len(contactIDs(t, r)) == 0 {
				t.Errorf("the drained answer has no contacts: %s", answerText(t, r))
			}
			return
		}
	}
	t.Error("Run returned before the in-flight command was answered")
}

// TestE2EShutdownDrainIsBounded: work that cannot finish is cancelled after
// DrainTimeout, the user is told, and Run still returns nil.
func TestE2EShutdownDrainIsBounded(t *testing.T) {
	t.Parallel()
	h := startE2E(t,
		withConfig(func(c *Config) { c.InboxTimeout = time.Minute }),
		withBotOptions(func(o *BotOptions) { o.DrainTimeout = 200 * time.Millisecond }))
	h.inbox.SetFault(inboxtest.Hang())
	d := h.command("online")
	slacktest.Poll(t, h.ctx, "the inbox request in flight", func() bool { return h.inbox.Count() > 0 })
	stopped := time.Now()
	h.stop()
	h.waitRun("Run did not return: the drain is unbounded")
	if took := time.Since(stopped); took > 200*time.Millisecond+noticeTimeout+2*time.Second {
		t.Errorf("Run took %s to return with a 200ms drain bound", took)
	}
	assertContains(t, "the cancelled command's answer", answerText(t, h.answer(d)), "shutting down")
}

// mainEnv is the environment of `inboxbot run` and `check` against fakes.
func mainEnv(slack *slacktest.Server, inboxURL string) map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN": slack.BotToken(), "SLACK_APP_TOKEN": slack.AppToken(), "SLACK_API_URL": slack.APIURL(),
		"INBOX_API_URL": inboxURL, "INBOX_API_TOKEN": inboxtest.DefaultToken,
		"HTTP_ADDR": "127.0.0.1:0", "LOG_FORMAT": "json",
	}
}

func TestMainCheck(t *testing.T) {
	slack := slacktest.New(t)
	inboxHTTP := httptest.NewServer(inboxtest.New(inboxtest.WithAnchor(e2eAnchor)))
	t.Cleanup(inboxHTTP.Close)
	tests := []struct {
		name     string
		env      map[string]string
		ok       bool
		contains []string
	}{
		{"good tokens", nil, true, []string{"✓ configuration is valid", "✓ Slack: connected as", "✓ Slack: Socket Mode", "✓ Convertalk"}},
		{"bad bot token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-wrong-secret"}, false, []string{"✗ Slack bot token", "SLACK_BOT_TOKEN", "invalid_auth"}},
		{"bad app token", map[string]string{"SLACK_APP_TOKEN": "xapp-wrong-secret"}, false, []string{"✗ Slack app token", "SLACK_APP_TOKEN"}},
		{"bad inbox token", map[string]string{"INBOX_API_TOKEN": "wrong-secret"}, false, []string{"✗ Convertalk inbox API", "INBOX_API_TOKEN"}},
		{"Slack unreachable", map[string]string{"SLACK_API_URL": "http://127.0.0.1:1/api/"}, false, []string{"could not reach Slack at SLACK_API_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := mainEnv(slack, inboxHTTP.URL)
			for k, v := range tt.env {
				env[k] = v
			}
			cleanEnv(t, env)
			var out, errOut bytes.Buffer
			err := Main(t.Context(), []string{"check"}, IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, BuildInfo{Version: "test"})
			if (err == nil) != tt.ok {
				t.Errorf("check returned %v\n%s", err, out.String())
			}
			assertContains(t, "check's output", out.String(), tt.contains...)
			if tt.ok && strings.Contains(out.String(), "✗") {
				t.Errorf("a check failed:\n%s", out.String())
			}
			if strings.Contains(out.String()+errOut.String(), "secret") {
				t.Errorf("check echoes a token:\n%s", out.String())
			}
		})
	}
}

// TestMainRunUntilSIGTERM runs `inboxbot run` through Main, configured by
// the environment: it connects, answers, and on SIGTERM (ctx cancelled)
// finishes the in-flight command and returns nil (exit status 0).
func TestMainRunUntilSIGTERM(t *testing.T) {
	slack := slacktest.New(t, slacktest.WithPingInterval(100*time.Millisecond))
	inbox := inboxtest.New(inboxtest.WithAnchor(e2eAnchor))
	inboxHTTP := httptest.NewServer(inbox)
	t.Cleanup(inboxHTTP.Close)
	env := mainEnv(slack, inboxHTTP.URL)
	env["STORE_URL"] = "bolt://" + filepath.Join(t.TempDir(), "inboxbot.db")
	cleanEnv(t, env)

	ctx, sigterm := context.WithCancel(context.Background())
	defer sigterm()
	logs := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"run"}, IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: logs}, BuildInfo{Version: "test"})
	}()
	wait, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	addr := ""
	slacktest.Poll(t, wait, "the start-up log line", func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct{ Msg, HTTP string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "inboxbot starting" {
				addr = rec.HTTP
			}
		}
		return addr != ""
	})
	slacktest.Poll(t, wait, "/readyz", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	inbox.SetLatency(300 * time.Millisecond)
	d, err := slack.SlashCommand(wait, slacktest.SlashOptions{Text: "online"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitAck(wait); err != nil {
		t.Fatal(err)
	}
	slacktest.Poll(t, wait, "the inbox request in flight", func() bool { return inbox.Count() > 0 })
	sigterm()
	select {
	case err := <-done:
		if code := ExitCode(err, &bytes.Buffer{}); err != nil || code != 0 {
			t.Fatalf("run after SIGTERM: %v (exit %d)", err, code)
		}
	case <-wait.Done():
		t.Fatal("run did not return after SIGTERM")
	}
	answered := false
	for _, r := range slack.Responses() {
		answered = answered || r.URL == d.ResponseURL && r.Error == "" && len(r.Blocks) > 0
	}
	if !answered {
		t.Error("the in-flight command was not answered before run returned")
	}
	if errs := slack.BlockErrors(); len(errs) > 0 {
		t.Errorf("Block Kit errors: %+v", errs)
	}
	if strings.Contains(logs.String(), slack.BotToken()) || strings.Contains(logs.String(), inboxtest.DefaultToken) {
		t.Error("run logged a token")
	}
}

func TestMainRunStopsOnInvalidAppToken(t *testing.T) {
	slack := slacktest.New(t, slacktest.WithOpenError("invalid_auth"))
	inboxHTTP := httptest.NewServer(inboxtest.New(inboxtest.WithAnchor(e2eAnchor)))
	t.Cleanup(inboxHTTP.Close)
	cleanEnv(t, mainEnv(slack, inboxHTTP.URL))
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	err := Main(ctx, []string{"run"}, IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, BuildInfo{Version: "test"})
	var msg bytes.Buffer
	if code := ExitCode(err, &msg); code != ExitConfig || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("run with a revoked app token: %v (exit %d)", err, code)
	}
	assertContains(t, "the exit message", msg.String(), "SLACK_APP_TOKEN", "invalid_auth")
}

// runCheck runs `inboxbot check` with env and a short wait for hello,
// returning its output and exit status.
func runCheck(t *testing.T, env map[string]string, socketWait time.Duration) (string, int) {
	t.Helper()
	cleanEnv(t, env)
	var out, errOut bytes.Buffer
	a := &cli{io: IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, build: BuildInfo{Version: "test"}, now: time.Now, socketWait: socketWait}
	code := ExitCode(a.check(t.Context(), nil), &errOut)
	return out.String() + errOut.String(), code
}

// TestMainCheckIsComplete: `check` reports every problem in one run (issue
// 6, point 7), never says the configuration is valid when it is not, and
// really opens the Socket Mode websocket and waits for hello.
func TestMainCheckIsComplete(t *testing.T) {
	inboxHTTP := httptest.NewServer(inboxtest.New(inboxtest.WithAnchor(e2eAnchor)))
	t.Cleanup(inboxHTTP.Close)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	noTicket := func(u string) string { return strings.Split(u, "?")[0] + "?ticket=forged" }
	tests := []struct {
		name     string
		slack    []slacktest.Option
		env      map[string]string
		code     int
		contains []string
		absent   []string
	}{
		{
			name: "every missing token and malformed value at once",
			env: map[string]string{"SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "", "INBOX_API_TOKEN": "",
				"LOG_FORMAT": "xml", "INBOX_DEFAULT_QUERY": "tga:vip", "HTTP_ADDR": ":99999"},
			code: ExitConfig,
			contains: []string{"✗ SLACK_BOT_TOKEN: missing", "✗ SLACK_APP_TOKEN: missing", "✗ INBOX_API_TOKEN: missing",
				"✗ LOG_FORMAT: ", "✗ INBOX_DEFAULT_QUERY: ", "tga:vip", "✗ HTTP_ADDR: ",
				"not tested until the problems above are fixed: Slack bot token, Slack app token, Convertalk inbox API, HTTP_ADDR"},
			absent: []string{"configuration is valid", "✓ Slack", "✓ Convertalk"},
		},
		{
			name:     "the example file's placeholders",
			env:      map[string]string{"SLACK_BOT_TOKEN": "xoxb-replace-me", "SLACK_APP_TOKEN": "xapp-replace-me", "INBOX_API_TOKEN": "replace-me"},
			code:     ExitConfig,
			contains: []string{"✗ SLACK_BOT_TOKEN: is still the example's placeholder", "✗ SLACK_APP_TOKEN: is still", "✗ INBOX_API_TOKEN: is still"},
			absent:   []string{"configuration is valid", "replace-me"},
		},
		{
			name:     "a malformed value does not stop the other tests",
			env:      map[string]string{"LOG_FORMAT": "xml"},
			code:     ExitConfig,
			contains: []string{"✗ LOG_FORMAT", "✓ Slack: connected as", "✓ Slack: Socket Mode connected", "✓ Convertalk", "✓ HTTP_ADDR"},
			absent:   []string{"configuration is valid"},
		},
		{
			name:     "socket URL unreachable",
			slack:    []slacktest.Option{slacktest.WithSocketURL(func(string) string { return "ws://127.0.0.1:1/link/?ticket=t" })},
			code:     1,
			contains: []string{"✓ configuration is valid", "✓ Slack: connected as", "✗ Slack app token: cannot open a Socket Mode connection: connection refused"},
			absent:   []string{"✓ Slack: Socket Mode"},
		},
		{
			name:     "websocket handshake refused",
			slack:    []slacktest.Option{slacktest.WithSocketURL(noTicket)},
			code:     1,
			contains: []string{"✗ Slack app token: cannot open a Socket Mode connection: the Socket Mode websocket handshake was refused with HTTP 401"},
			absent:   []string{"forged"},
		},
		{
			name:     "no hello",
			slack:    []slacktest.Option{slacktest.WithoutHello()},
			code:     1,
			contains: []string{"✗ Slack app token: the Socket Mode websocket opened, but Slack sent no hello within 1s"},
		},
		{
			name:     "Slack refuses to open a connection",
			slack:    []slacktest.Option{slacktest.WithOpenError("access_denied")},
			code:     1,
			contains: []string{"✗ Slack app token: cannot open a Socket Mode connection: Slack answered access_denied", "connections:write"},
		},
		{
			name:     "HTTP_ADDR in use",
			env:      map[string]string{"HTTP_ADDR": busy.Addr().String()},
			code:     1,
			contains: []string{"✓ configuration is valid", "✗ HTTP_ADDR: cannot listen on", "address already in use"},
		},
		{
			name:     "ALERT_INTERVAL is used now: not named as unused",
			env:      map[string]string{"STORE_URL": "redis://redis:6379", "ALERT_INTERVAL": "5m"},
			code:     0,
			contains: []string{"✓ configuration is valid"},
			absent:   []string{"not used yet"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slack := slacktest.New(t, tt.slack...)
			env := mainEnv(slack, inboxHTTP.URL)
			maps.Copy(env, tt.env)
			out, code := runCheck(t, env, time.Second)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			assertContains(t, "check's output", out, tt.contains...)
			for _, a := range tt.absent {
				if strings.Contains(out, a) {
					t.Errorf("check's output contains %q:\n%s", a, out)
				}
			}
			if i, j := strings.Index(out, "✗"), strings.Index(out, "configuration is valid"); i >= 0 && j > i {
				t.Errorf("\"configuration is valid\" comes after an error:\n%s", out)
			}
		})
	}
}
