package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// End-to-end tests of the Socket Mode loop: acks first and always,
// reconnects, fatal errors, a bounded pool that survives panics, and load.

// TestE2EReconnectsThenAnswers: whatever ends a connection (any disconnect
// reason or a dropped TCP connection), the bot opens a new one and answers
// the next command.
func TestE2EReconnectsThenAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		drop func(*slacktest.Server)
	}{
		{"disconnect warning", func(s *slacktest.Server) { s.Disconnect("warning") }},
		{"disconnect refresh_requested", func(s *slacktest.Server) { s.Disconnect("refresh_requested") }},
		{"disconnect link_disabled", func(s *slacktest.Server) { s.Disconnect("link_disabled") }},
		{"disconnect too_many_websockets", func(s *slacktest.Server) { s.Disconnect("too_many_websockets") }},
		{"abrupt close", func(s *slacktest.Server) { s.CloseAbruptly() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := startE2E(t)
			want := page(matching(h.inbox, online), 1, inboxtest.DefaultPageSize)
			assertIDs(t, "before", contactIDs(t, h.answer(h.command("online"))), want)
			for round := 2; round <= 3; round++ { // twice: a reconnected bot reconnects again
				tc.drop(h.slack)
				if err := h.slack.WaitOpens(h.ctx, round); err != nil {
					t.Fatal(err)
				}
				if err := h.slack.WaitConnected(h.ctx, 1); err != nil {
					t.Fatal(err)
				}
				// Right after: the fake delivers on the new socket.
				assertIDs(t, fmt.Sprintf("after reconnect %d", round-1), contactIDs(t, h.answer(h.command("online"))), want)
			}
			h.waitStatus("/readyz", 200)
		})
	}
}

// TestE2EPingTimeoutReconnects: when Slack's WebSocket pings stop, the bot
// gives the connection up and opens another. The fake pings every 10s,
// far beyond the bot's 300ms bound, so every connection times out.
func TestE2EPingTimeoutReconnects(t *testing.T) {
	t.Parallel()
	h := startE2E(t,
		withSlack(slacktest.WithPingInterval(10*time.Second), slacktest.WithAckTimeout(time.Second)),
		withBotOptions(func(o *BotOptions) { o.PingInterval = 300 * time.Millisecond }),
		func(s *e2eSetup) { s.allowLost = true }) // a command may land on a socket being given up
	if err := h.slack.WaitOpens(h.ctx, 3); err != nil {
		t.Fatal(err)
	}
	// The bot keeps answering between reconnects. An envelope written just
	// as the bot drops its socket is lost, as with Slack: retry a few times.
	for try := 1; ; try++ {
		d, err := h.slack.SlashCommand(h.ctx, slacktest.SlashOptions{Text: "online"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
		_, err = d.WaitAck(ctx)
		cancel()
		if err == nil {
			h.answer(d)
			break
		}
		if try == 5 {
			t.Fatalf("5 commands in a row were lost: %v", err)
		}
	}
}

func TestE2EFatalAuthStopsRun(t *testing.T) {
	t.Parallel()
	h := startE2E(t, withSlack(slacktest.WithOpenError("invalid_auth")), func(s *e2eSetup) { s.noReady = true })
	select {
	case err := <-h.runErr:
		h.runErr <- nil // for the cleanup's shutdown
		if err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") || !strings.Contains(err.Error(), "invalid_auth") {
			t.Fatalf("Run returned %v, want a clear error naming SLACK_APP_TOKEN", err)
		}
		if strings.Contains(err.Error(), h.slack.AppToken()) {
			t.Errorf("the error echoes the token: %v", err)
		}
	case <-h.ctx.Done():
		t.Fatal("Run did not stop on invalid_auth")
	}
	if code, _ := h.get("/readyz"); code == 200 {
		t.Error("/readyz is 200 without a connection")
	}
}

// TestE2EAcksNeverWaitForWork: with every worker blocked, each envelope is
// still acked in time and before any inbox call; released, all are answered.
func TestE2EAcksNeverWaitForWork(t *testing.T) {
	t.Parallel()
	const n = 12
	release := make(chan struct{})
	h := startE2E(t,
		withBotOptions(func(o *BotOptions) { o.Workers = 2 }),
		withHook(func(ctx context.Context, kind string) {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}))
	var ds []*slacktest.Delivery
	for i := range n {
		ds = append(ds, h.command(fmt.Sprintf("online seen:%dd", i+1))) // waits for each ack
	}
	if got := h.inbox.Count(); got != 0 {
		t.Fatalf("%d inbox calls before the workers ran: acks waited for work", got)
	}
	close(release)
	for _, d := range ds {
		if len(contactIDs(t, h.answer(d))) == 0 {
			t.Errorf("no contacts in an answer")
		}
	}
	if got := h.metric("inboxbot_ack_latency_seconds_count"); got < n {
		t.Errorf("inboxbot_ack_latency_seconds_count = %v, want >= %d", got, n)
	}
}

// TestE2EPanicIsRecoveredAndReported: a job that panics is recovered, told
// to the user, counted and logged; the bot goes on answering.
func TestE2EPanicIsRecoveredAndReported(t *testing.T) {
	t.Parallel()
	var once sync.Once
	h := startE2E(t, withHook(func(ctx context.Context, kind string) {
		once.Do(func() { panic("hostile input") })
	}))
	r := h.answer(h.command("online"))
	assertContains(t, "the panic report", answerText(t, r), "Something went wrong")
	if got := h.metric("inboxbot_panics_total"); got != 1 {
		t.Errorf("inboxbot_panics_total = %v, want 1", got)
	}
	if recs := h.logLines("panic while handling an event"); len(recs) != 1 || recs[0]["level"] != "ERROR" {
		t.Errorf("panic log lines: %v", recs)
	}
	if ids := contactIDs(t, h.answer(h.command("online"))); len(ids) == 0 {
		t.Error("no answer after a panic")
	}
}

// TestE2EBusyQueueSaysSo: when the queue is full the event is still acked
// and the user is told to try again, rather than silence.
func TestE2EBusyQueueSaysSo(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	h := startE2E(t,
		withBotOptions(func(o *BotOptions) { o.Workers, o.Queue = 1, 1 }),
		withHook(func(ctx context.Context, kind string) {
			select {
			case started <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-ctx.Done():
			}
		}))
	running := h.command("online") // taken by the one worker
	<-started
	queued := h.command("offline") // fills the queue
	turned := h.command("live")    // turned away
	assertContains(t, "the busy note", answerText(t, h.answer(turned)), "very busy")
	close(release)
	h.answer(running)
	h.answer(queued)
	if got := h.metric("inboxbot_busy_rejections_total"); got != 1 {
		t.Errorf("inboxbot_busy_rejections_total = %v, want 1", got)
	}
	busy := 0
	for _, rec := range h.logLines("command") {
		if rec["outcome"] == "busy" {
			busy++
		}
	}
	if busy != 1 {
		t.Errorf("%d command log lines with outcome busy, want 1:\n%s", busy, h.logs)
	}
}

// TestE2ELoad200: SPEC §11's reference load in CI form: 200 commands at
// once against an inbox answering in 300ms; every one acked and answered.
// The ack deadline is Slack's 3s times ten: under -race on 2 cores shared
// with other packages' tests, 3s measures the machine, not the bot (latency
// figures are BenchmarkLoad200's business; that acks never wait for the
// inbox is TestE2EAcksNeverWaitForWork's).
func TestE2ELoad200(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 200
	h := startE2E(t, withSlack(slacktest.WithAckTimeout(10*slacktest.DefaultAckTimeout)),
		withBotOptions(func(o *BotOptions) { o.AckTimeout = 10 * slacktest.DefaultAckTimeout }))
	h.inbox.SetLatency(300 * time.Millisecond)
	distinct := make([]slacktest.SlashOptions, n)
	for i := range distinct {
		// Distinct queries: no coalescing, 200 inbox requests in flight.
		distinct[i] = slacktest.SlashOptions{Text: fmt.Sprintf("seen:%dd", i+1), UserID: fmt.Sprintf("U0LOAD%03d", i)}
	}
	ds := h.commandsAtOnce(distinct)
	for _, d := range ds {
		h.waitAck(d)
	}
	for i, d := range ds {
		r := h.answer(d)
		if len(contactIDs(t, r)) == 0 {
			t.Errorf("command %d: no contacts:\n%s", i, answerText(t, r))
		}
	}
	if got := h.inbox.Count(); got != n {
		t.Errorf("%d inbox requests for %d distinct plain queries, want one each", got, n)
	}
	if len(h.slack.DispatchFailures()) > 0 {
		t.Errorf("%d envelopes missed the ack deadline", len(h.slack.DispatchFailures()))
	}
}
