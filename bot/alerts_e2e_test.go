package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/rules/clocktest"
	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/bot/store"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// End-to-end tests of alerts (SPEC §8): the real bot against the fake
// Slack and the fake inbox, rounds driven by the fake clock the bot takes
// (BotOptions.SchedulerClock): a test sets the clock to a round's time and
// waits for the round's metric, so nothing sleeps.

const chatUpdate = "chat.update"

// alertTag marks the contacts a test's rules watch (tag:alerttest).
const alertTag = "alerttest"

// alertE2E is a running bot on a fake clock, and its round count.
type alertE2E struct {
	*e2e
	clock *clocktest.Clock
}

// startAlerts starts the bot with the fake clock at e2eAnchor (15:00:00,
// ALERT_INTERVAL 1m: rounds at 15:01, 15:02, ...).
func startAlerts(t *testing.T, opts ...e2eOption) *alertE2E {
	t.Helper()
	clock := clocktest.New(e2eAnchor)
	opts = append([]e2eOption{withBotOptions(func(o *BotOptions) { o.SchedulerClock = clock })}, opts...)
	return &alertE2E{e2e: startE2E(t, opts...), clock: clock}
}

// rounds is how many rounds the bot has finished (run or lost to a claim).
func (h *alertE2E) rounds() float64 { return h.metric("inboxbot_alert_rounds_total") }

// round moves the clock to minute m after the anchor and waits until the
// bot has finished that round, Slack side included.
func (h *alertE2E) round(m int) {
	h.t.Helper()
	before := h.rounds()
	h.clock.Set(e2eAnchor.Add(time.Duration(m) * time.Minute))
	h.waitMetric(before+1, "inboxbot_alert_rounds_total")
}

// alertCommand types /inbox text and waits until the bot has handled it
// (its "command" log line).
func (h *e2e) alertCommand(text string, user ...string) *slacktest.Delivery {
	h.t.Helper()
	kind := "alert:" + strings.Fields(text)[1]
	count := func() int {
		n := 0
		for _, rec := range h.logLines("command") {
			if rec["kind"] == kind {
				n++
			}
		}
		return n
	}
	before := count()
	o := slacktest.SlashOptions{Text: text}
	if len(user) > 0 {
		o.UserID = user[0]
	}
	d := h.commandAs(o)
	slacktest.Poll(h.t, h.ctx, "the command's log line", func() bool { return count() > before })
	return d
}

// tag gives the alert tag to the first n contacts without it (n < 0: takes
// it from every contact) and returns who has it now, in inbox order.
func tag(srv *inboxtest.Server, n int) []string {
	srv.UpdateContacts(func(cs []inboxtest.Contact) []inboxtest.Contact {
		for i := range cs {
			has := slices.Contains(cs[i].Tags, alertTag)
			switch {
			case n < 0 && has:
				cs[i].Tags = slices.DeleteFunc(slices.Clone(cs[i].Tags), func(t string) bool { return t == alertTag })
			case n > 0 && !has:
				cs[i].Tags = append(slices.Clone(cs[i].Tags), alertTag)
				n--
			}
		}
		return cs
	})
	return matching(srv, func(c inboxtest.Contact) bool { return slices.Contains(c.Tags, alertTag) })
}

// writes returns the writes of method to the message ts (chat.update) or
// in its thread (chat.postMessage with thread_ts).
func (h *e2e) writes(method, channel, ts string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range h.slack.Messages() {
		if m.Method != method || m.Channel != channel {
			continue
		}
		if method == chatUpdate && m.TS == ts || method == postMessage && m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	return out
}

// topLevel returns the messages posted at the top of channel.
func (h *e2e) topLevel(channel string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range h.posts(channel) {
		if m.ThreadTS == "" {
			out = append(out, m)
		}
	}
	return out
}

// current is the message ts as Slack shows it now.
func (h *e2e) current(channel, ts string) slacktest.Message {
	h.t.Helper()
	m, ok := h.slack.MessageAt(channel, ts)
	if !ok {
		h.t.Fatalf("no message %s in %s", ts, channel)
	}
	return m
}

// actionIDs lists the buttons of a message.
func actionIDs(t *testing.T, m slacktest.Message) []string {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	var ids []string
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID != "" {
				ids = append(ids, e.ActionID)
			}
		}
	}
	return ids
}

// callFor returns the last recorded call of method whose params have
// key=value.
func (h *e2e) callFor(method, key, value string) (slacktest.Call, bool) {
	calls := h.slack.Calls(method)
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Params[key] == value {
			return calls[i], true
		}
	}
	return slacktest.Call{}, false
}

// state reads an alert's state record from the bot's store.
func (h *e2e) alertState(id string) alertRecord {
	h.t.Helper()
	rec, err := h.bot.alerts.record(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return rec
}

// clickAlert presses a button of an incident's message as user.
func (h *e2e) clickAlert(channel, ts, actionID, user string) *slacktest.Delivery {
	h.t.Helper()
	d, err := h.slack.Click(h.ctx, slacktest.ClickOptions{ActionID: actionID, ChannelID: channel, MessageTS: ts, UserID: user})
	if err != nil {
		h.t.Fatal(err)
	}
	h.waitAck(d)
	return d
}

// waitLog waits until the bot has logged n lines with msg whose fields
// include every key=value of kv, and returns them.
func (h *e2e) waitLog(n int, msg string, kv ...string) []map[string]any {
	h.t.Helper()
	var got []map[string]any
	slacktest.Poll(h.t, h.ctx, fmt.Sprintf("%d %q log lines %v", n, msg, kv), func() bool {
		got = nil
		for _, rec := range h.logLines(msg) {
			ok := true
			for i := 0; i+1 < len(kv); i += 2 {
				ok = ok && fmt.Sprint(rec[kv[i]]) == kv[i+1]
			}
			if ok {
				got = append(got, rec)
			}
		}
		return len(got) >= n
	})
	return got
}

// TestE2EAlertLife is SPEC §8's life of a count alert: add, fire (one
// post with the buttons), a count change (an edit of the same message), a
// reminder in the thread (broadcast, with the mention), Ack by a click
// (shown; reminders stop), resolve (edit + thread reply), and a new
// incident in a new message.
func TestE2EAlertLife(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID

	h.alertCommand("alert add count>=3 keep 1m repeat 10m notify @here tag:" + alertTag)
	confirm := h.waitPosts(ch, 1)[0]
	assertContains(t, "the confirmation", messageText(t, confirm), "a1", "0 contacts")
	if a, err := h.bot.alerts.get(h.ctx, "a1"); err != nil || a.Channel != ch || a.CreatedBy != slacktest.DefaultUserID || a.Source != commands.AlertSourceSlack {
		t.Fatalf("a1 saved: %+v, %v", a, err)
	}

	h.round(1) // nothing matches yet
	if n := len(h.posts(ch)); n != 1 {
		t.Fatalf("%d posts after a quiet round", n)
	}
	if rec := h.alertState("a1"); !rec.State.LastEvaluated.IsZero() {
		t.Errorf("a round that changed nothing rewrote the state: %+v", rec.State)
	}
	tagged := tag(h.inbox, 3)
	h.round(2)
	posts := h.topLevel(ch)
	if len(posts) != 2 {
		t.Fatalf("%d top-level posts, want the confirmation and the incident", len(posts))
	}
	inc := posts[1]
	assertContains(t, "the incident", messageText(t, inc), "<!here>", "*3 contacts*", "a1")
	if got := actionIDs(t, inc); !slices.Equal(got, []string{commands.ActionAlertAck, commands.ActionAlertSnooze1h, commands.ActionAlertSnooze4h}) {
		t.Errorf("the incident's buttons: %v", got)
	}
	call, _ := h.callFor(postMessage, "channel", ch)
	if !strings.Contains(call.Params["metadata"], alertEventType) || !strings.Contains(call.Params["metadata"], `"incident":1`) {
		t.Errorf("the incident's metadata: %s", call.Params["metadata"])
	}
	h.waitLog(1, "alert", "id", "a1", "from", "inactive", "to", "firing", "count", "3")
	if strings.Contains(h.logs.String(), tagged[0]) {
		t.Error("the log names a contact")
	}

	// Same count, same contacts: no edit. One more: the same message edited.
	h.round(3)
	if n := len(h.writes(chatUpdate, ch, inc.TS)); n != 0 {
		t.Errorf("%d edits while nothing changed", n)
	}
	tag(h.inbox, 1)
	h.round(4)
	if ups := h.writes(chatUpdate, ch, inc.TS); len(ups) != 1 {
		t.Fatalf("%d edits after the count changed, want 1", len(ups))
	}
	assertContains(t, "the edited incident", messageText(t, h.current(ch, inc.TS)), "*4 contacts*")
	if n := len(h.topLevel(ch)); n != 2 {
		t.Errorf("%d top-level posts after a count change, want no new one", n)
	}

	// repeat 10m from the post at 15:02: a reminder in the thread at 15:12.
	h.round(11)
	if n := len(h.writes(postMessage, ch, inc.TS)); n != 0 {
		t.Fatalf("a reminder before repeat: %d", n)
	}
	h.round(12)
	replies := h.writes(postMessage, ch, inc.TS)
	if len(replies) != 1 {
		t.Fatalf("%d thread replies at repeat, want one reminder", len(replies))
	}
	assertContains(t, "the reminder", messageText(t, replies[0]), "<!here>")
	if c, _ := h.callFor(postMessage, "thread_ts", inc.TS); c.Params["reply_broadcast"] != "true" {
		t.Errorf("the reminder is not broadcast: %v", c.Params)
	}
	h.waitMetric(1, "inboxbot_alert_notifications_total", `kind="reply"`)

	// Ack by a click: shown (who, no Ack button), and reminders stop.
	edits := len(h.writes(chatUpdate, ch, inc.TS))
	h.clickAlert(ch, inc.TS, commands.ActionAlertAck, "U0ACKER")
	slacktest.Poll(t, h.ctx, "the ack shown", func() bool { return len(h.writes(chatUpdate, ch, inc.TS)) > edits })
	acked := h.current(ch, inc.TS)
	assertContains(t, "the acknowledged incident", messageText(t, acked), "<@U0ACKER>")
	if slices.Contains(actionIDs(t, acked), commands.ActionAlertAck) {
		t.Error("the acknowledged incident still has an Ack button")
	}
	if st := h.alertState("a1").State; st.Acked.By != "U0ACKER" {
		t.Errorf("the ack is not stored: %+v", st.Acked)
	}
	h.round(23)
	if n := len(h.writes(postMessage, ch, inc.TS)); n != 1 {
		t.Errorf("%d thread replies after the ack, want only the first reminder", n)
	}

	// Resolve: false for keep (1m), then the message says Resolved and
	// the thread says so.
	tag(h.inbox, -1)
	h.round(24)
	if st := h.alertState("a1").State; st.MessageTS != inc.TS {
		t.Fatalf("resolved before keep: %+v", st)
	}
	h.round(25)
	resolved := h.current(ch, inc.TS)
	assertContains(t, "the resolved incident", messageText(t, resolved), "Resolved")
	if ids := actionIDs(t, resolved); len(ids) != 0 {
		t.Errorf("the resolved incident has buttons: %v", ids)
	}
	replies = h.writes(postMessage, ch, inc.TS)
	if len(replies) != 2 {
		t.Fatalf("%d thread replies, want the reminder and the resolution", len(replies))
	}
	assertContains(t, "the resolution reply", messageText(t, replies[1]), "Resolved")
	if c, _ := h.callFor(postMessage, "thread_ts", inc.TS); c.Params["reply_broadcast"] == "true" {
		t.Error("the resolution reply is broadcast")
	}
	h.waitLog(1, "alert", "id", "a1", "from", "firing", "to", "inactive", "count", "0")
	h.waitMetric(1, "inboxbot_alert_incidents_total", `event="resolved"`)
	if rec := h.alertState("a1"); len(rec.Resolves) != 0 || rec.State.MessageTS != "" {
		t.Errorf("the record after the resolve: %+v", rec)
	}

	// A later firing is a new incident: a new message.
	tag(h.inbox, 3)
	h.round(26)
	posts = h.topLevel(ch)
	if len(posts) != 3 || posts[2].TS == inc.TS {
		t.Fatalf("%d top-level posts after a re-fire, want a new message", len(posts))
	}
	assertContains(t, "the second incident", messageText(t, posts[2]), "incident 2")
	h.waitMetric(2, "inboxbot_alert_incidents_total", `event="opened"`)
	h.waitMetric(2, "inboxbot_alert_notifications_total", `kind="post"`)
	h.waitMetric(1, "inboxbot_alert_notifications_total", `kind="resolve"`)
	// Edits: 3 -> 4, the ack, 4 -> 0 while keep holds it firing.
	if n := h.metric("inboxbot_alert_notifications_total", `kind="update"`); n != 3 {
		t.Errorf("%v updates counted, want the two count changes and the ack", n)
	}
	// A click that carries the old incident (pressed before its message
	// was edited) answers the clicker and changes nothing.
	before := h.alertState("a1")
	d, err := h.slack.Click(h.ctx, slacktest.ClickOptions{ActionID: commands.ActionAlertSnooze1h, ChannelID: ch, MessageTS: posts[2].TS,
		UserID: "U0LATE", Value: commands.AlertButton{AlertID: "a1", Incident: 1}.Encode()})
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(d)
	r := h.answer(d)
	assertContains(t, "a click on an old incident", answerText(t, r), commands.AlertIncidentOver)
	if r.ResponseType != "ephemeral" {
		t.Errorf("the answer to an old click is %q, want ephemeral", r.ResponseType)
	}
	if after := h.alertState("a1"); after.State.Silenced(h.clock.Now()) || after.Rev != before.Rev {
		t.Errorf("an old click changed the state: %+v", after.State)
	}
}

// TestE2EAlertListMuteUnmute: list shows the state; mute silences (the
// message shows until when), unmute ends it.
func TestE2EAlertListMuteUnmute(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 2)
	h.alertCommand("alert add count>=2 tag:" + alertTag)
	h.waitPosts(ch, 1)
	h.round(1)
	inc := h.topLevel(ch)[1]
	list := answerText(t, h.answer(h.command("alert list")))
	assertContains(t, "alert list", list, "a1", "firing")

	h.answer(h.alertCommand("alert mute a1 1h"))
	slacktest.Poll(t, h.ctx, "the mute shown", func() bool { return len(h.writes(chatUpdate, ch, inc.TS)) == 1 })
	assertContains(t, "the muted incident", messageText(t, h.current(ch, inc.TS)), "snoozed until")
	assertContains(t, "alert list", answerText(t, h.answer(h.command("alert list"))), "snoozed until")
	r := h.answer(h.alertCommand("alert unmute a1"))
	assertContains(t, "unmute", answerText(t, r), commands.AlertUnmuted("a1"))
	slacktest.Poll(t, h.ctx, "the unmute shown", func() bool { return len(h.writes(chatUpdate, ch, inc.TS)) == 2 })
	if strings.Contains(messageText(t, h.current(ch, inc.TS)), "snoozed until") {
		t.Error("the message still shows the silence after unmute")
	}
	r = h.answer(h.alertCommand("alert remove a1"))
	assertContains(t, "remove", answerText(t, r), commands.AlertRemoved("a1"))
	// The open incident's message is closed: no button left to click.
	if ids := actionIDs(t, h.current(ch, inc.TS)); len(ids) != 0 {
		t.Errorf("the removed alert's message still offers %v", ids)
	}
	if _, err := h.bot.alerts.get(h.ctx, "a1"); err == nil {
		t.Error("a1 is still there after remove")
	}
	if _, _, err := store.GetJSON[alertRecord](h.ctx, h.bot.alerts.st, alertStateKind, "a1"); err == nil {
		t.Error("a1's state is still there after remove")
	}
}

// restart stops the bot like SIGTERM does and starts a new one on the same
// configuration, bolt file, fakes and clock, as a redeploy does.
func (h *alertE2E) restart() {
	h.t.Helper()
	h.shutdown()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	h.httpURL = "http://" + ln.Addr().String()
	start := time.Now()
	b, err := NewBot(h.cfg, BotOptions{
		Listener: ln, PingInterval: 5 * time.Second, DrainTimeout: 10 * time.Second,
		Logger:         slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:            func() time.Time { return e2eAnchor.Add(time.Since(start)) },
		SchedulerClock: h.clock,
		Build:          BuildInfo{Version: "e2e"},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	h.bot, h.stop, h.runErr = b, stop, make(chan error, 1)
	go func() { h.runErr <- b.Run(runCtx) }()
	h.waitStatus("/readyz", http.StatusOK)
}

// TestE2EAlertRestart: a restart in the middle of an incident neither
// re-posts it nor forgets it: the new process edits and resolves the same
// message; a `new` rule announces each contact once across the restart.
func TestE2EAlertRestart(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	first := tag(h.inbox, 1)
	h.alertCommand("alert add count>=2 keep 1m tag:" + alertTag)
	h.alertCommand("alert add new wait 1m tag:" + alertTag)
	confirms := h.waitPosts(ch, 2)
	assertContains(t, "the new rule's confirmation", messageText(t, confirms[1]), "Baseline", "1 contact")
	if rec := h.alertState("a2"); !rec.State.Baseline || len(rec.State.Announced) != 1 {
		t.Fatalf("a2's baseline: %+v", rec.State)
	}

	second := tag(h.inbox, 1)
	h.round(1) // a1 fires; a2 finds the second contact and waits 1m
	h.round(2) // a2 announces it
	posts := h.topLevel(ch)
	if len(posts) != 4 {
		t.Fatalf("%d top-level posts, want 2 confirmations, the incident and one announcement", len(posts))
	}
	inc, ann := posts[2], posts[3]
	assertContains(t, "the incident", messageText(t, inc), "*2 contacts*")
	assertContains(t, "the announcement", messageText(t, ann), "1 new contact matches", "a2")
	if messageText(t, ann) == "" || slices.Equal(first, second) {
		t.Fatal("nothing to compare")
	}

	h.restart()
	h.round(3)
	if n := len(h.topLevel(ch)); n != 4 {
		t.Fatalf("%d top-level posts after the restart, want no new one (no re-post, no re-announce)", n)
	}
	third := tag(h.inbox, 1)
	h.round(4) // a1: the same message edited; a2: the third contact waits
	if ups := h.writes(chatUpdate, ch, inc.TS); len(ups) != 1 {
		t.Fatalf("%d edits of the incident after the restart, want 1", len(ups))
	}
	assertContains(t, "the incident edited after the restart", messageText(t, h.current(ch, inc.TS)), "*3 contacts*")
	h.round(5)
	posts = h.topLevel(ch)
	if len(posts) != 5 {
		t.Fatalf("%d top-level posts, want one more announcement", len(posts))
	}
	assertContains(t, "the second announcement", messageText(t, posts[4]), "1 new contact matches")
	if rec := h.alertState("a2"); len(rec.State.Announced) != 3 || len(rec.Entries) != 0 || len(rec.Announces) != 0 {
		t.Errorf("a2 after two announcements: %+v", rec)
	}
	_ = third

	tag(h.inbox, -1)
	h.round(6)
	h.restart()
	h.round(7) // keep has passed: resolved, in place, by the new process
	assertContains(t, "the incident resolved after two restarts", messageText(t, h.current(ch, inc.TS)), "Resolved")
	if replies := h.writes(postMessage, ch, inc.TS); len(replies) != 1 {
		t.Errorf("%d thread replies, want the resolution", len(replies))
	}
	if n := len(h.topLevel(ch)); n != 5 {
		t.Errorf("%d top-level posts at the end, want 5", n)
	}
}

// TestE2EAlertIdenticalQueriesShareRequests: rules asking the server the
// same thing cost one request per page per round, however many they are.
func TestE2EAlertIdenticalQueriesShareRequests(t *testing.T) {
	t.Parallel()
	h := startAlerts(t, withInbox(inboxtest.WithPageSize(10)))
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 45) // 5 pages of 10
	for _, cond := range []string{"count>=1", "count>=40", "count>100", "count>=3 for 1h"} {
		h.alertCommand("alert add " + cond + " tag:" + alertTag)
	}
	h.alertCommand("alert add count>=1 online tag:" + alertTag) // another request body
	h.waitPosts(ch, 5)
	before := len(h.inbox.Requests())
	h.round(1)
	reqs := h.inbox.Requests()[before:]
	type key struct {
		body string
		page int
	}
	seen := map[key]int{}
	bodies := map[string]bool{}
	for _, r := range reqs {
		f := r.Filter
		page := f.Page
		f.Page = 0
		body, _ := json.Marshal(f)
		seen[key{string(body), page}]++
		bodies[string(body)] = true
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("page %d of one body was requested %d times in a round", k.page, n)
		}
	}
	if len(bodies) != 2 {
		t.Errorf("%d distinct request bodies, want 2", len(bodies))
	}
	pagesOfFirst := 0
	for k := range seen {
		if strings.Contains(k.body, `"isOnline":false`) {
			pagesOfFirst++
		}
	}
	if pagesOfFirst < 5 {
		t.Errorf("the shared walk read %d pages, want every page of 45 contacts", pagesOfFirst)
	}
	h.waitMetric(1, "inboxbot_alert_round_inbox_requests_count")
	// The metric counts what the round asked; a look-ahead request
	// cancelled as its walk ended may never reach the inbox.
	if got := h.metric("inboxbot_alert_round_inbox_requests_sum"); got < float64(len(reqs)) || got > float64(len(reqs)+evalConcurrency) {
		t.Errorf("the round's requests metric says %v, the inbox saw %d", got, len(reqs))
	}
	// Three of the four identical rules hold without `for`: three posts.
	if n := len(h.topLevel(ch)); n != 5+3 {
		t.Errorf("%d top-level posts, want 5 confirmations and 3 incidents", n)
	}
}

const alertRulesYAML = `alerts:
  - id: queue-too-long
    channel: C0INBOX
    query: tag:alerttest
    when: count >= 2
    keep: 5m
    notify: "<!subteam^S0123ABCD>"
  - id: vip-online
    channel: C0INBOX
    query: online tag:vip
    when: new
    wait: 1m
`

// TestE2EAlertRulesFile: RULES_FILE alerts load with the digests, list
// with their source, refuse remove, run like any other rule, and a reload
// with a bad alert keeps the rules in use (naming its line).
func TestE2EAlertRulesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesYAML+alertRulesYAML)
	h := startAlerts(t, withConfig(func(c *Config) { c.RulesFile = path }))
	ch := slacktest.DefaultChannelID

	list := answerText(t, h.answer(h.command("alert list")))
	assertContains(t, "alert list", list, "queue-too-long", "vip-online", commands.AlertSourceFile)
	r := h.answer(h.alertCommand("alert remove queue-too-long"))
	assertContains(t, "remove", answerText(t, r), commands.AlertFileRule("queue-too-long"))
	assertContains(t, "digest list", answerText(t, h.answer(h.command("digest list"))), "morning-queue")

	tag(h.inbox, 2)
	h.round(1)
	posts := h.topLevel(ch)
	if len(posts) != 1 {
		t.Fatalf("%d posts, want the file alert's incident", len(posts))
	}
	assertContains(t, "the file alert's incident", messageText(t, posts[0]), "<!subteam^S0123ABCD>", "queue-too-long")
	if rec := h.alertState("vip-online"); !rec.State.Baseline {
		t.Errorf("the file's new rule took no baseline in its first round: %+v", rec.State)
	}

	for _, bad := range []struct {
		yaml string
		line int
		says string
	}{
		{strings.Replace(alertRulesYAML, "when: count >= 2", "when: count >= lots", 1), 5, "when"},
		{strings.Replace(alertRulesYAML, "keep: 5m", "keep: soon", 1), 6, "keep"},
		{strings.Replace(alertRulesYAML, "query: online tag:vip", "query: tga:vip", 1), 10, "tag:vip"},
		{strings.Replace(alertRulesYAML, "wait: 1m", "wait: 1m\n    frequency: 2m", 1), 13, "frequency"},
	} {
		writeRules(t, path, bad.yaml)
		err := h.bot.digests.reloadRules(h.ctx)
		var rfe *commands.RulesFileError
		if !errors.As(err, &rfe) || rfe.Line != bad.line || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("reload of a bad file: %v, want a RULES_FILE error on line %d about %s", err, bad.line, bad.says)
		}
	}
	list = answerText(t, h.answer(h.command("alert list")))
	assertContains(t, "alert list after bad reloads", list, "queue-too-long", "vip-online")

	writeRules(t, path, strings.ReplaceAll(alertRulesYAML, "vip-online", "vip-back"))
	if err := h.bot.digests.reloadRules(h.ctx); err != nil {
		t.Fatal(err)
	}
	list = answerText(t, h.answer(h.command("alert list")))
	assertContains(t, "alert list after a good reload", list, "vip-back", "firing")
	if strings.Contains(list, "vip-online") {
		t.Errorf("an alert gone from the file is still listed:\n%s", list)
	}
}

// TestRunStopsOnABadAlertInRulesFile: a bad alert stops start-up with
// "RULES_FILE line N: reason", as a bad digest does.
func TestRunStopsOnABadAlertInRulesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	writeRules(t, path, strings.Replace(alertRulesYAML, "when: count >= 2", "when: count >= 2 for 5m", 1))
	slack := slacktest.New(t)
	cfg := e2eConfig(slack, "http://127.0.0.1:1")
	cfg.StoreURL = "bolt://" + filepath.Join(dir, "inboxbot.db")
	cfg.RulesFile = path
	b, err := NewBot(cfg, BotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	defer cancel()
	err = b.Run(ctx)
	var out strings.Builder
	if code := ExitCode(err, &out); code != ExitConfig || !strings.Contains(out.String(), "RULES_FILE line 5: ") {
		t.Errorf("Run: exit %d, %q; want %d and RULES_FILE line 5", code, out.String(), ExitConfig)
	}
}

// TestE2EAlertAdminUsers: with ADMIN_USERS only admins add, remove, mute
// and unmute, and a refusal names them; everyone allowed lists, tests,
// acks and snoozes.
func TestE2EAlertAdminUsers(t *testing.T) {
	t.Parallel()
	h := startAlerts(t, withConfig(func(c *Config) { c.AdminUsers = IDList{"U0ADMIN1", "U0ADMIN2"} }))
	ch := slacktest.DefaultChannelID
	for _, text := range []string{"alert add count>=1 tag:" + alertTag, "alert remove a1", "alert mute a1 1h", "alert unmute a1"} {
		r := h.answer(h.alertCommand(text))
		assertContains(t, text, answerText(t, r), "<@U0ADMIN1>", "<@U0ADMIN2>")
	}
	if n := len(h.slack.Calls(postMessage)); n != 0 {
		t.Errorf("%d chat.postMessage calls after refusals", n)
	}
	tag(h.inbox, 1)
	h.alertCommand("alert add count>=1 tag:"+alertTag, "U0ADMIN2")
	h.waitPosts(ch, 1)
	assertContains(t, "list", answerText(t, h.answer(h.command("alert list"))), "a1")
	assertContains(t, "test", answerText(t, h.answer(h.command("alert test count>=1 tag:"+alertTag))), "The condition holds")
	h.round(1)
	inc := h.topLevel(ch)[1]
	h.clickAlert(ch, inc.TS, commands.ActionAlertSnooze4h, slacktest.DefaultUserID)
	slacktest.Poll(t, h.ctx, "the snooze shown", func() bool { return len(h.writes(chatUpdate, ch, inc.TS)) == 1 })
	assertContains(t, "the snoozed incident", messageText(t, h.current(ch, inc.TS)), "snoozed until", "<@"+slacktest.DefaultUserID+">")
	if n := len(h.topLevel(ch)); n != 2 {
		t.Errorf("%d top-level posts: an alert command posted", n)
	}
}

// TestE2EAlertNotInChannel: at add, the rule is not saved and the user is
// told to invite the bot; at run time, the rule is paused (list says so)
// until unmute.
func TestE2EAlertNotInChannel(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	for _, code := range []string{"not_in_channel", "channel_not_found"} {
		h.slack.InjectError(postMessage, code, 1)
		r := h.answer(h.alertCommand("alert add count>=1 tag:" + alertTag))
		assertContains(t, code, answerText(t, r), commands.DigestNotInChannel())
		if r.ResponseType != "ephemeral" {
			t.Errorf("%s: the answer is %q, want ephemeral", code, r.ResponseType)
		}
	}
	if as, err := h.bot.alerts.all(h.ctx); err != nil || len(as) != 0 {
		t.Fatalf("alerts saved after not_in_channel: %v, %v", as, err)
	}

	h.alertCommand("alert add count>=1 tag:" + alertTag) // a3: ids are never reused
	h.waitPosts(ch, 1)
	tag(h.inbox, 1)
	h.slack.InjectError(postMessage, "is_archived", 1)
	h.round(1)
	if rec := h.alertState("a3"); !strings.Contains(rec.PausedWhy, "is_archived") {
		t.Fatalf("a3 after is_archived: %+v", rec)
	}
	h.waitLog(1, "alert paused: the bot cannot post in its channel", "id", "a3", "reason", "is_archived")
	assertContains(t, "list", answerText(t, h.answer(h.command("alert list"))), "paused", "archived", "alert unmute a3")
	h.round(2)
	if n := len(h.topLevel(ch)); n != 1 {
		t.Fatalf("a paused rule posted: %d top-level posts", n)
	}
	h.answer(h.alertCommand("alert unmute a3"))
	h.round(3)
	if n := len(h.topLevel(ch)); n != 2 {
		t.Errorf("%d top-level posts after unmute, want the incident", n)
	}
}

// TestE2EAlertRateLimitedEdits: a 429 on chat.update is not dropped: the
// message stays dirty and the next round sends the latest state, several
// changes coalesce into one edit, and a rate-limited resolve is retried
// until done.
func TestE2EAlertRateLimitedEdits(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 2)
	h.alertCommand("alert add count>=2 keep 1m tag:" + alertTag)
	h.waitPosts(ch, 1)
	h.round(1)
	inc := h.topLevel(ch)[1]
	ok := func() []slacktest.Message { return h.writes(chatUpdate, ch, inc.TS) }

	h.slack.RateLimit(chatUpdate, 1, 1)
	tag(h.inbox, 1)
	h.round(2) // the edit to 3 meets a 429
	if n := len(ok()); n != 0 {
		t.Fatalf("%d edits went through a 429", n)
	}
	if rec := h.alertState("a1"); !rec.dirty() {
		t.Fatalf("the record is not dirty after a 429: %+v", rec)
	}
	h.waitMetric(1, "inboxbot_slack_api_errors_total", `method="chat.update"`, `error="ratelimited"`)
	h.round(3) // nothing changed, but the message is behind: sent now
	if ups := ok(); len(ups) != 1 {
		t.Fatalf("%d edits in the round after the 429, want 1", len(ups))
	}
	assertContains(t, "the edit after the 429", messageText(t, h.current(ch, inc.TS)), "*3 contacts*")

	// Two changes while Slack refuses: one edit, with the latest count.
	h.slack.RateLimit(chatUpdate, 1, 1)
	tag(h.inbox, 1)
	h.round(4)
	tag(h.inbox, 1)
	h.round(5)
	if ups := ok(); len(ups) != 2 {
		t.Fatalf("%d edits, want the two changes coalesced into one", len(ups))
	}
	assertContains(t, "the coalesced edit", messageText(t, h.current(ch, inc.TS)), "*5 contacts*")

	// The resolve meets a 429: retried by the next round, never lost.
	tag(h.inbox, -1)
	h.round(6)
	edits := len(ok())
	h.slack.RateLimit(chatUpdate, 1, 1)
	h.round(7)
	if rec := h.alertState("a1"); len(rec.Resolves) != 1 || rec.State.MessageTS != "" {
		t.Fatalf("the rate-limited resolve is not kept: %+v", rec)
	}
	if len(h.writes(postMessage, ch, inc.TS)) != 0 {
		t.Error("the resolution reply came before the message said Resolved")
	}
	h.round(8)
	if n := len(ok()); n != edits+1 {
		t.Fatalf("%d edits, want the resolve's", n-edits)
	}
	assertContains(t, "the resolved message", messageText(t, h.current(ch, inc.TS)), "Resolved")
	if n := len(h.writes(postMessage, ch, inc.TS)); n != 1 {
		t.Errorf("%d thread replies, want the resolution once", n)
	}
	if rec := h.alertState("a1"); len(rec.Resolves) != 0 {
		t.Errorf("the resolve is still pending: %+v", rec.Resolves)
	}
	h.round(9)
	if n := len(h.writes(postMessage, ch, inc.TS)); n != 1 {
		t.Errorf("%d thread replies after another round, want 1", n)
	}
}

// TestE2EAlertRoundClaimedOnce: two replicas on one store run each round
// once: the one that claims it; the other counts a conflict and posts
// nothing.
func TestE2EAlertRoundClaimedOnce(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 1)
	h.alertCommand("alert add count>=1 tag:" + alertTag)
	h.waitPosts(ch, 1)
	// Another replica: its own owner id, the same store and Slack.
	other := h.bot.newAlerts(h.bot.alerts.st, h.bot.alerts.post)
	at := e2eAnchor.Add(time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		other.round(h.ctx, at)
	}()
	h.clock.Set(at)
	<-done
	h.waitMetric(2, "inboxbot_alert_rounds_total")
	h.waitMetric(1, "inboxbot_alert_rounds_total", `outcome="run"`)
	h.waitMetric(1, "inboxbot_alert_rounds_total", `outcome="conflict"`)
	if n := len(h.topLevel(ch)); n != 2 {
		t.Errorf("%d top-level posts, want the confirmation and one incident", n)
	}
	// A replica that comes late to a round it already ran does nothing.
	h.bot.alerts.round(h.ctx, at)
	h.waitMetric(2, "inboxbot_alert_rounds_total", `outcome="conflict"`)
}

// TestE2EAlertActiveHours: outside its hours a rule is not evaluated (no
// inbox request); inside them it is.
func TestE2EAlertActiveHours(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 1)
	// The anchor is Tuesday 15:00 UTC: closed until 16:00.
	h.alertCommand(`alert add count>=1 hours "Mon-Fri 16:00-18:00" tag:` + alertTag)
	h.waitPosts(ch, 1)
	before := len(h.inbox.Requests())
	h.round(1)
	if n := len(h.inbox.Requests()) - before; n != 0 {
		t.Errorf("%d inbox requests for a rule outside its hours", n)
	}
	h.waitMetric(1, "inboxbot_alert_evaluations_total", `result="outside_hours"`)
	if n := len(h.topLevel(ch)); n != 1 {
		t.Errorf("a rule outside its hours posted")
	}
	h.round(60)
	if n := len(h.topLevel(ch)); n != 2 {
		t.Errorf("%d top-level posts inside the hours, want the incident", n)
	}
}

// TestE2EAlertNewBatches: a `new` rule batches the contacts found within
// `wait` into one message, announces each once, and again only after it
// stopped matching for `keep`.
func TestE2EAlertNewBatches(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 2)
	h.alertCommand("alert add new wait 2m keep 2m tag:" + alertTag)
	h.waitPosts(ch, 1)
	tag(h.inbox, 1)
	h.round(1) // the batch opens
	tag(h.inbox, 1)
	h.round(2)
	if n := len(h.topLevel(ch)); n != 1 {
		t.Fatalf("announced before wait: %d posts", n)
	}
	h.round(3) // wait since 15:01 has passed: one message for both
	posts := h.topLevel(ch)
	if len(posts) != 2 {
		t.Fatalf("%d top-level posts, want the confirmation and one announcement", len(posts))
	}
	assertContains(t, "the batch", messageText(t, posts[1]), "2 new contacts match")
	call, _ := h.callFor(postMessage, "channel", ch)
	if !strings.Contains(call.Params["metadata"], alertEventType) {
		t.Errorf("the announcement's metadata: %s", call.Params["metadata"])
	}
	h.waitMetric(1, "inboxbot_alert_notifications_total", `kind="announce"`)
	h.round(6)
	if n := len(h.topLevel(ch)); n != 2 {
		t.Fatalf("announced twice: %d posts", n)
	}

	// A contact that stops matching for less than keep is not announced
	// again; after keep, it is, alone.
	all := tag(h.inbox, 0)
	last := all[len(all)-1]
	setTag := func(id string, on bool) {
		h.inbox.UpdateContacts(func(cs []inboxtest.Contact) []inboxtest.Contact {
			for i := range cs {
				if cs[i].ID == id {
					cs[i].Tags = slices.DeleteFunc(slices.Clone(cs[i].Tags), func(t string) bool { return t == alertTag })
					if on {
						cs[i].Tags = append(cs[i].Tags, alertTag)
					}
				}
			}
			return cs
		})
	}
	setTag(last, false)
	h.round(7)
	setTag(last, true)
	h.round(8)
	h.round(11)
	if n := len(h.topLevel(ch)); n != 2 {
		t.Fatalf("a contact back within keep was announced again: %d posts", n)
	}
	setTag(last, false)
	h.round(12)
	h.round(15) // absent since 15:12 for more than keep: forgotten
	setTag(last, true)
	h.round(16)
	h.round(18)
	posts = h.topLevel(ch)
	if len(posts) != 3 {
		t.Fatalf("%d top-level posts, want a second announcement", len(posts))
	}
	assertContains(t, "the second batch", messageText(t, posts[2]), "1 new contact matches")
}

// TestE2EAlertInboxFailure: a round whose inbox request fails changes
// nothing: the incident is not resolved, whatever keep says, and the
// next good round carries on with the same message.
func TestE2EAlertInboxFailure(t *testing.T) {
	t.Parallel()
	h := startAlerts(t, withConfig(func(c *Config) { c.InboxMaxAttempts = 1 }))
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 2)
	h.alertCommand("alert add count>=2 keep 1m tag:" + alertTag)
	h.waitPosts(ch, 1)
	h.round(1)
	inc := h.topLevel(ch)[1]
	h.inbox.SetFault(inboxtest.Status(503))
	h.round(2)
	h.round(3)
	h.round(4)
	h.waitMetric(3, "inboxbot_alert_evaluations_total", `result="error"`)
	if rec := h.alertState("a1"); rec.State.MessageTS != inc.TS || len(rec.Resolves) != 0 {
		t.Fatalf("an inbox outage changed the incident: %+v", rec)
	}
	if n := len(h.slack.Calls(chatUpdate)); n != 0 {
		t.Errorf("%d edits during an inbox outage", n)
	}
	h.waitLog(3, "alert not evaluated: the inbox failed", "id", "a1")
	h.inbox.ClearFaults()
	tag(h.inbox, 1)
	h.round(5)
	assertContains(t, "the incident after the outage", messageText(t, h.current(ch, inc.TS)), "*3 contacts*")
}

// TestE2EAlertPostInFlightIsNotDoubled: while another round (a replica)
// holds the post of an incident, rounds do not post it again; once the
// hold has expired (its poster died), the incident is posted.
func TestE2EAlertPostInFlightIsNotDoubled(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 1)
	h.alertCommand("alert add count>=1 tag:" + alertTag)
	h.waitPosts(ch, 1)
	// The state another replica leaves while its post is in flight.
	at := e2eAnchor.Add(time.Minute)
	st, _ := rules.Step(rules.AlertSpec{Kind: rules.AlertCount, Threshold: 1}, rules.AlertState{}, rules.Observation{Count: 1}, at)
	err := h.bot.alerts.edit(h.ctx, "a1", func(r *alertRecord) bool {
		r.State, r.Posting = st, &alertPosting{Incident: st.Incident, At: at}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	h.round(2)
	h.round(3)
	if n := len(h.topLevel(ch)); n != 1 {
		t.Fatalf("%d top-level posts while another post is in flight, want none", n)
	}
	h.round(1 + int(postingTTL/time.Minute))
	posts := h.topLevel(ch)
	if len(posts) != 2 {
		t.Fatalf("%d top-level posts after the hold expired, want the incident", len(posts))
	}
	if rec := h.alertState("a1"); rec.State.MessageTS != posts[1].TS || rec.Posting != nil {
		t.Errorf("the post is not recorded: %+v", rec)
	}
}

// TestE2EAlertDuplicatePostIsDeleted: a post that finds the incident
// already posted by another replica (its hold expired while this one was
// slow) deletes itself; the incident keeps the first message.
func TestE2EAlertDuplicatePostIsDeleted(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 1)
	h.alertCommand("alert add count>=1 tag:" + alertTag)
	h.waitPosts(ch, 1)
	h.round(1)
	first := h.topLevel(ch)[1]
	a, err := h.bot.alerts.get(h.ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.bot.alerts.parse(a, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rec := h.alertState("a1")
	h.bot.alerts.postIncident(h.ctx, r, rec) // the slow replica's post lands now
	posts := h.topLevel(ch)
	if len(posts) != 3 {
		t.Fatalf("%d top-level posts, want the duplicate recorded", len(posts))
	}
	if m := h.current(ch, posts[2].TS); !m.Deleted {
		t.Error("the duplicate post was not deleted")
	}
	if st := h.alertState("a1").State; st.MessageTS != first.TS {
		t.Errorf("the incident's message is %s, want the first %s", st.MessageTS, first.TS)
	}
}

// TestAlertRoundsDoNotOverlap: while one replica's round runs (it holds
// the running lock), another replica's next round does not start, even
// though its round key is free; once the first round ends, it does.
func TestAlertRoundsDoNotOverlap(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	a := h.bot.newAlerts(h.bot.alerts.st, h.bot.alerts.post)
	b := h.bot.newAlerts(h.bot.alerts.st, h.bot.alerts.post)
	release, won, err := a.holdRunning(h.ctx)
	if err != nil || !won {
		t.Fatalf("the first replica did not take the running lock: %v %v", won, err)
	}
	before := h.metric("inboxbot_alert_rounds_total", `outcome="conflict"`)
	b.round(h.ctx, e2eAnchor.Add(7*time.Minute)) // a round nobody claimed yet
	if got := h.metric("inboxbot_alert_rounds_total", `outcome="conflict"`); got != before+1 {
		t.Errorf("a round started while another replica's round runs (conflicts %v -> %v)", before, got)
	}
	release()
	b.round(h.ctx, e2eAnchor.Add(8*time.Minute))
	h.waitMetric(1, "inboxbot_alert_rounds_total", `outcome="run"`)
	rel, won, _ := a.holdRunning(h.ctx)
	if !won {
		t.Error("the running lock was not released after the round")
	}
	rel()
}

// tsFailingStore fails the first n writes that record an incident
// message's ts, as a Redis restarting right after Slack accepted the post.
type tsFailingStore struct {
	store.Store
	n atomic.Int32
}

func (s *tsFailingStore) Update(ctx context.Context, kind, id string, fn func([]byte, bool) ([]byte, error)) error {
	return s.Store.Update(ctx, kind, id, func(old []byte, found bool) ([]byte, error) {
		v, err := fn(old, found)
		recordsTS := v != nil && !bytes.Contains(old, []byte(`"MessageTS":"1`)) && bytes.Contains(v, []byte(`"MessageTS":"1`))
		if err == nil && recordsTS && s.n.Add(-1) >= 0 {
			return nil, errors.New("test: the store is restarting")
		}
		return v, err
	})
}

// TestE2EAlertTSRecordedThroughAStoreFailure: a store that fails right
// after the incident's post does not lose the message's ts (which would
// post the incident again later and leave the first message open): the
// write is retried, and the same message is edited and resolved.
func TestE2EAlertTSRecordedThroughAStoreFailure(t *testing.T) {
	t.Parallel()
	h := startAlerts(t)
	ch := slacktest.DefaultChannelID
	tag(h.inbox, 2)
	h.alertCommand("alert add count>=2 tag:" + alertTag)
	h.waitPosts(ch, 1)
	flaky := &tsFailingStore{Store: h.bot.alerts.st}
	flaky.n.Store(3)
	replica := h.bot.newAlerts(flaky, h.bot.alerts.post)
	replica.round(h.ctx, e2eAnchor.Add(time.Minute))
	if left := flaky.n.Load(); left >= 0 {
		t.Fatalf("the ts write failed only %d times of 3: the test did not hit it", 3-left)
	}
	posts := h.topLevel(ch)
	if len(posts) != 2 {
		t.Fatalf("%d top-level posts, want the confirmation and one incident", len(posts))
	}
	if got := h.alertState("a1").State.MessageTS; got != posts[1].TS {
		t.Fatalf("stored ts %q, want the incident's %q", got, posts[1].TS)
	}
	tag(h.inbox, -1)
	for m := 2; m <= 5; m++ {
		replica.round(h.ctx, e2eAnchor.Add(time.Duration(m)*time.Minute))
	}
	if n := len(h.topLevel(ch)); n != 2 {
		t.Errorf("%d top-level posts after the resolve, want still 2", n)
	}
	assertContains(t, "the incident's message", messageText(t, h.current(ch, posts[1].TS)), "Resolved")
}
