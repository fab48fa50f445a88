package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// End-to-end tests of failures: the inbox failing or slow, Slack rate
// limiting, and identical requests coalesced.

func TestE2EInboxFailureThenSuccessIsRetried(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	h.inbox.FailNext(1, inboxtest.Status(503))
	r := h.answer(h.command("online"))
	assertIDs(t, "after one 503", contactIDs(t, r), page(matching(h.inbox, online), 1, inboxtest.DefaultPageSize))
	if n := h.inbox.Count(); n != 2 {
		t.Errorf("%d inbox requests, want the 503 and its retry", n)
	}
	if got := h.metric("inboxbot_inbox_attempts_total", `outcome="503"`); got != 1 {
		t.Errorf("inboxbot_inbox_attempts_total{outcome=503} = %v, want 1", got)
	}
	if got := h.metric("inboxbot_inbox_retries_total"); got != 1 {
		t.Errorf("inboxbot_inbox_retries_total = %v, want 1", got)
	}
}

// TestE2EInboxFailuresInWords: whatever goes wrong, the user hears it in
// plain words, in time: within INBOX_TIMEOUT x INBOX_MAX_ATTEMPTS plus the
// backoff between attempts, never silence.
func TestE2EInboxFailuresInWords(t *testing.T) {
	t.Parallel()
	const timeout, attempts = 200 * time.Millisecond, 2
	tests := []struct {
		name  string
		fault inboxtest.Fault
		want  []string
	}{
		// The variable name is in the text, but escaped for mrkdwn (its
		// underscores are look-alikes), so only the words are compared.
		{"401", inboxtest.Unauthorized(), []string{"rejected the API token (401)", "Check INBOX"}},
		{"hang", inboxtest.Hang(), []string{"did not answer in 200ms after 2 attempts"}},
		{"503", inboxtest.Status(503), []string{"Convertalk is having trouble (503 after 2 attempts)"}},
		{"429", inboxtest.RateLimit(0), []string{"rate limiting"}},
		{"malformed", inboxtest.Malformed(), []string{"could not read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startE2E(t, withConfig(func(c *Config) {
				c.InboxTimeout, c.InboxMaxAttempts = timeout, attempts
			}))
			h.inbox.SetFault(tt.fault)
			for _, text := range []string{"online", "unassigned", "export online"} {
				d := h.command(text)
				ack, _ := d.Acked()
				r := h.answer(d)
				if strings.HasPrefix(r.Text, "Exporting") { // an export says it started first
					r = h.answers(d, 2)[1]
				}
				took := r.Time.Sub(ack.ReceivedAt)
				what := fmt.Sprintf("%s, /inbox %s", tt.name, text)
				assertContains(t, what, answerText(t, r), tt.want...)
				if r.ResponseType != "ephemeral" {
					t.Errorf("%s: posted %q", what, r.ResponseType)
				}
				// The bound: every attempt's timeout, the backoff between
				// them (250ms +20%), and slack for a loaded CI machine.
				if bound := attempts*timeout + 300*time.Millisecond + 3*time.Second; took > bound {
					t.Errorf("%s: answered after %s, beyond %s", what, took, bound)
				}
			}
			if ups := h.slack.Uploads(); len(ups) != 0 {
				t.Errorf("a failed export uploaded %d files", len(ups))
			}
		})
	}
}

func TestE2ESlackRateLimitOnResponseURL(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	h.slack.RateLimit(slacktest.ResponseURLMethod, 1, 1)
	d := h.command("online")
	r := h.answer(d)
	assertIDs(t, "after a 429", contactIDs(t, r), page(matching(h.inbox, online), 1, inboxtest.DefaultPageSize))
	var limited *slacktest.Response
	for _, x := range h.slack.Responses() {
		if x.URL == d.ResponseURL && x.Status == 429 {
			limited = &x
		}
	}
	if limited == nil {
		t.Fatal("the fake never answered 429")
	}
	if wait := r.Time.Sub(limited.Time); wait < time.Second {
		t.Errorf("retried %s after the 429, before its Retry-After of 1s", wait)
	}
	if got := h.metric("inboxbot_slack_api_errors_total", `method="response_url"`, `error="ratelimited"`); got < 1 {
		t.Errorf("the 429 is not counted in inboxbot_slack_api_errors_total (%v)", got)
	}
}

// TestE2EIdenticalRequestsAreCoalesced: many people asking the same thing
// of a slow inbox at once cost far fewer inbox requests than commands, and a
// burst of Refresh clicks right after is served from the short cache.
func TestE2EIdenticalRequestsAreCoalesced(t *testing.T) {
	t.Parallel()
	const n = 20
	h := startE2E(t)
	h.inbox.SetLatency(300 * time.Millisecond)
	same := make([]slacktest.SlashOptions, n)
	for i := range same {
		same[i] = slacktest.SlashOptions{Text: "online tag:vip"}
	}
	deliveries := h.commandsAtOnce(same)
	var first slacktest.Response
	for i, d := range deliveries {
		h.waitAck(d)
		r := h.answer(d)
		if i == 0 {
			first = r
		}
		assertIDs(t, "coalesced answer", contactIDs(t, r), contactIDs(t, first))
	}
	if got := h.inbox.Count(); got >= n || got == 0 {
		t.Errorf("%d identical commands made %d inbox requests, want fewer", n, got)
	}
	before := h.inbox.Count()
	for range 3 {
		h.answer(h.click(first, commands.ActionRefresh, slacktest.ClickOptions{}))
	}
	if got := h.inbox.Count() - before; got != 0 {
		t.Errorf("3 Refresh clicks within the cache TTL made %d inbox requests", got)
	}
}
