package bot

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/rules/clocktest"
	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/bot/store"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/commands/schedule"
)

// End-to-end tests of digests (SPEC §7): the real bot against the fake
// Slack and the fake inbox, with the state store in a temporary bolt file.

const postMessage = "chat.postMessage"

// posts returns the messages posted with chat.postMessage to channel.
func (h *e2e) posts(channel string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range h.slack.Messages() {
		if m.Method == postMessage && m.Channel == channel {
			out = append(out, m)
		}
	}
	return out
}

// waitPosts waits until n messages were posted to channel.
func (h *e2e) waitPosts(channel string, n int) []slacktest.Message {
	h.t.Helper()
	slacktest.Poll(h.t, h.ctx, "chat.postMessage posts", func() bool { return len(h.posts(channel)) >= n })
	return h.posts(channel)
}

// waitDigestLog waits for n "digest" log lines and returns them.
func (h *e2e) waitDigestLog(n int) []map[string]any {
	h.t.Helper()
	slacktest.Poll(h.t, h.ctx, "digest log lines", func() bool { return len(h.logLines("digest")) >= n })
	return h.logLines("digest")
}

// digestCommand types /inbox text and waits until the bot has handled it
// (its "command" log line): the store then holds what it saved.
func (h *e2e) digestCommand(text string, user ...string) *slacktest.Delivery {
	h.t.Helper()
	kind := "digest:" + strings.Fields(text)[1]
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

// messageText is a message's fallback text and every string of its blocks.
func messageText(t *testing.T, m slacktest.Message) string {
	t.Helper()
	return m.Text + "\n" + strings.Join(payloadStrings(t, m.Blocks), "\n")
}

// messageContacts lists the contacts a message shows, in order.
func messageContacts(t *testing.T, m slacktest.Message) []string {
	t.Helper()
	return contactIDs(t, slacktest.Response{Blocks: m.Blocks})
}

// stored reads a digest record straight from the bot's store.
func (h *e2e) stored(id string) (commands.Digest, error) {
	d, _, err := store.GetJSON[commands.Digest](h.ctx, h.bot.digests.st, digestKind, id)
	return d, err
}

func TestE2EDigestAddListRunRemove(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	ch := slacktest.DefaultChannelID

	h.digestCommand("digest add weekdays 09:00 live unassigned")
	confirm := h.waitPosts(ch, 1)[0]
	d, err := h.stored("d1")
	if err != nil {
		t.Fatalf("d1 not saved: %v", err)
	}
	if d.Channel != ch || d.CreatedBy != slacktest.DefaultUserID || d.Source != commands.DigestSourceSlack {
		t.Errorf("saved digest: %+v", d)
	}
	sch, err := schedule.Parse(d.Schedule, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	next := sch.NextN(d.CreatedAt, 3)
	want := commands.RenderDigestAdded(d, sch.Describe(), next, h.bot.svc.RenderOptions(false))
	if confirm.Text != want.Text {
		t.Errorf("confirmation:\n got %q\nwant %q", confirm.Text, want.Text)
	}
	assertContains(t, "the confirmation", messageText(t, confirm), "d1")
	if d.Words == "" {
		t.Error("the saved digest has no query in words (NewDigest not used)")
	}
	assertContains(t, "the confirmation", messageText(t, confirm), d.Words)
	if ids := messageContacts(t, confirm); len(ids) != 0 {
		t.Errorf("the confirmation shows contacts: %v", ids)
	}

	list := answerText(t, h.answer(h.command("digest list")))
	assertContains(t, "digest list", list, "d1", "slack")

	h.command("digest run d1")
	posts := h.waitPosts(ch, 2)
	want1 := page(matching(h.inbox, liveUnassigned), 1, commands.PageSize)
	assertIDs(t, "the digest", messageContacts(t, posts[1]), want1)
	if runs := h.waitDigestLog(1); runs[0]["outcome"] != digestPosted || runs[0]["id"] != "d1" {
		t.Errorf("digest log line: %v", runs[0])
	}
	if calls := h.slack.Calls(postMessage); strings.Contains(calls[len(calls)-1].Params["metadata"], digestEventType) {
		t.Errorf("a manual run carries the slot metadata: %s", calls[len(calls)-1].Params["metadata"])
	}

	r := h.answer(h.command("digest remove d1"))
	assertContains(t, "remove", answerText(t, r), commands.DigestRemoved("d1"))
	if _, err := h.stored("d1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("d1 after remove: %v", err)
	}
	list = answerText(t, h.answer(h.command("digest list")))
	if strings.Contains(list, "d1") {
		t.Errorf("list after remove still shows d1:\n%s", list)
	}
	h.digestCommand("digest add daily 10:00 online")
	h.waitPosts(ch, 3)
	if _, err := h.stored("d2"); err != nil {
		t.Errorf("the next digest is not d2 (ids are never reused): %v", err)
	}
}

func TestE2EDigestQuietPostsNothingWhenEmpty(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	ch := slacktest.DefaultChannelID
	h.digestCommand("digest add daily 09:00 quiet tag:no-such-tag-anywhere")
	h.waitPosts(ch, 1)
	if d, err := h.stored("d1"); err != nil || !d.Quiet {
		t.Fatalf("d1: %+v, %v", d, err)
	}
	r := h.answer(h.command("digest run d1"))
	if runs := h.waitDigestLog(1); runs[0]["outcome"] != digestQuiet || runs[0]["count"] != 0.0 {
		t.Errorf("digest log line: %v", runs[0])
	}
	if n := len(h.posts(ch)); n != 1 {
		t.Errorf("%d posts, want only the confirmation", n)
	}
	assertContains(t, "the run's answer", answerText(t, r), "d1")
}

func TestE2EDigestAdminUsers(t *testing.T) {
	t.Parallel()
	h := startE2E(t, withConfig(func(c *Config) { c.AdminUsers = IDList{"U0ADMIN1", "U0ADMIN2"} }))
	ch := slacktest.DefaultChannelID
	for _, text := range []string{"digest add daily 09:00 online", "digest remove d1", "digest pause d1", "digest resume d1"} {
		r := h.answer(h.command(text))
		assertContains(t, text, answerText(t, r), "<@U0ADMIN1>", "<@U0ADMIN2>")
	}
	if n := len(h.slack.Calls(postMessage)); n != 0 {
		t.Errorf("%d chat.postMessage calls after refusals", n)
	}
	h.digestCommand("digest add daily 09:00 online", "U0ADMIN2")
	h.waitPosts(ch, 1)
	// Everyone allowed may list and run.
	assertContains(t, "list", answerText(t, h.answer(h.command("digest list"))), "d1")
	h.command("digest run d1")
	h.waitPosts(ch, 2)
}

func TestE2EDigestNotInChannelAtAdd(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	for _, code := range []string{"not_in_channel", "channel_not_found"} {
		h.slack.InjectError(postMessage, code, 1)
		r := h.answer(h.command("digest add daily 09:00 online"))
		assertContains(t, code, answerText(t, r), commands.DigestNotInChannel())
		if r.ResponseType != "ephemeral" {
			t.Errorf("%s: the answer is %q, want ephemeral", code, r.ResponseType)
		}
	}
	ds, err := h.bot.digests.all(h.ctx)
	if err != nil || len(ds) != 0 {
		t.Errorf("digests saved after not_in_channel: %v, %v", ds, err)
	}
}

func TestE2EDigestNotInChannelAtRunPauses(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	ch := slacktest.DefaultChannelID
	h.digestCommand("digest add every 30m online")
	h.waitPosts(ch, 1)
	h.slack.InjectError(postMessage, "is_archived", 1)
	h.answer(h.digestCommand("digest run d1"))
	d, err := h.stored("d1")
	if err != nil || !d.Paused || !strings.Contains(d.PausedWhy, "is_archived") {
		t.Fatalf("d1 after is_archived: %+v, %v", d, err)
	}
	assertContains(t, "list", answerText(t, h.answer(h.command("digest list"))), "paused", "archived")
	if next, ok := h.bot.digests.sched.NextRun("d1", e2eAnchor); ok {
		t.Errorf("a paused digest is still scheduled (next %s)", next)
	}
	h.waitMetric(1, "inboxbot_digests_total", `outcome="paused"`, `reason="is_archived"`)
	h.answer(h.digestCommand("digest resume d1"))
	if _, ok := h.bot.digests.sched.NextRun("d1", e2eAnchor); !ok {
		t.Error("d1 is not scheduled after resume")
	}
}

func TestE2EDigestRateLimitedPostIsDelayedNotDoubled(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	ch := slacktest.DefaultChannelID
	h.digestCommand("digest add daily 09:00 online")
	h.waitPosts(ch, 1)
	h.slack.RateLimit(postMessage, 1, 1)
	h.command("digest run d1")
	if runs := h.waitDigestLog(1); runs[0]["outcome"] != digestPosted {
		t.Fatalf("digest log line: %v", runs[0])
	}
	posts := h.posts(ch)
	if len(posts) != 2 {
		t.Fatalf("%d posts, want the confirmation and one digest", len(posts))
	}
	calls := h.slack.Calls(postMessage)
	if len(calls) != 3 || calls[1].Status != 429 || calls[2].Error != "" {
		t.Fatalf("calls: %+v", calls)
	}
	if wait := calls[2].Time.Sub(calls[1].Time); wait < 900*time.Millisecond {
		t.Errorf("posted again %s after the 429, before Retry-After: 1", wait)
	}
}

func TestE2EDigestClickAnswersEphemerally(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	ch := slacktest.DefaultChannelID
	h.digestCommand("digest add daily 09:00 unassigned")
	h.waitPosts(ch, 1)
	h.command("digest run d1")
	digest := h.waitPosts(ch, 2)[1]
	d, err := h.slack.Click(h.ctx, slacktest.ClickOptions{ActionID: commands.ActionNext, ChannelID: ch, MessageTS: digest.TS})
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(d)
	r := h.answer(d)
	if r.ResponseType != "ephemeral" || r.ReplaceOriginal {
		t.Errorf("the click's answer: response_type %q, replace_original %v; want a new ephemeral message", r.ResponseType, r.ReplaceOriginal)
	}
	assertIDs(t, "page 2", contactIDs(t, r), page(matching(h.inbox, unassigned), 2, commands.PageSize))
	now, _ := h.slack.MessageAt(ch, digest.TS)
	if string(now.Blocks) != string(digest.Blocks) {
		t.Error("the click changed the digest")
	}
}

// TestE2EDigestScheduled: the scheduler, on a fake clock, posts each slot
// once with its metadata, keeps the slot in the store, and marks a slot
// posted late.
func TestE2EDigestScheduled(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(e2eAnchor)
	h := startE2E(t,
		withBotOptions(func(o *BotOptions) { o.SchedulerClock = clock }),
		withConfig(func(c *Config) { c.DigestGrace = 15 * time.Minute }))
	ch := slacktest.DefaultChannelID
	h.digestCommand("digest add every 30m online")
	h.waitPosts(ch, 1)
	slot := e2eAnchor.Add(30 * time.Minute)
	advanceTo(t, h.ctx, clock, slot)
	posts := h.waitPosts(ch, 2)
	assertIDs(t, "the scheduled digest", messageContacts(t, posts[1]), page(matching(h.inbox, online), 1, commands.PageSize))
	calls := h.slack.Calls(postMessage)
	var meta struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if err := json.Unmarshal([]byte(calls[len(calls)-1].Params["metadata"]), &meta); err != nil {
		t.Fatalf("metadata %q: %v", calls[len(calls)-1].Params["metadata"], err)
	}
	if meta.EventType != digestEventType || meta.EventPayload["digest"] != "d1" || meta.EventPayload["slot"] != slot.Format(time.RFC3339) {
		t.Errorf("metadata: %+v", meta)
	}
	slacktest.Poll(t, h.ctx, "LastSlot stored", func() bool {
		d, err := h.stored("d1")
		return err == nil && d.LastSlot.Equal(slot)
	})

	// Down over the next slot, back within the grace: posted once, late.
	late := slot.Add(30 * time.Minute)
	jumpTo(t, h.ctx, clock, late.Add(5*time.Minute))
	posts = h.waitPosts(ch, 3)
	assertContains(t, "the late digest", messageText(t, posts[2]), "late: scheduled for "+late.Format("15:04"))
	h.waitMetric(1, "inboxbot_digests_total", `outcome="late"`)
	h.waitMetric(1, "inboxbot_digests_total", `outcome="posted"`)
	h.waitMetric(2, "inboxbot_digest_lag_seconds_count")
	if n := len(h.posts(ch)); n != 3 {
		t.Errorf("%d posts, want the confirmation and two digests", n)
	}

	// Down for over an hour: 16:30 and 17:00 are older than the grace and
	// skipped, 17:30 is posted late, once.
	jumpTo(t, h.ctx, clock, late.Add(90*time.Minute+2*time.Minute))
	posts = h.waitPosts(ch, 4)
	assertContains(t, "the digest after a long outage", messageText(t, posts[3]), "late: scheduled for 17:30")
	h.waitMetric(2, "inboxbot_digests_total", `outcome="skipped"`, `reason="missed"`)
	slacktest.Poll(t, h.ctx, "LastSlot stored", func() bool {
		d, err := h.stored("d1")
		return err == nil && d.LastSlot.Equal(late.Add(90*time.Minute))
	})
	if n := len(h.posts(ch)); n != 4 {
		t.Errorf("%d posts, want the confirmation and three digests", n)
	}
}

// advanceTo moves the clock to at the way time passes: from one timer of
// the scheduler to the next (it sleeps at most 10 minutes at a time),
// waiting each time for it to go back to sleep.
func advanceTo(t *testing.T, ctx context.Context, clock *clocktest.Clock, at time.Time) {
	t.Helper()
	for clock.Now().Before(at) {
		var next time.Time
		slacktest.Poll(t, ctx, "the scheduler to sleep", func() bool {
			n, ok := clock.NextTimer()
			next = n
			return ok && n.After(clock.Now())
		})
		if next.After(at) {
			next = at
		}
		clock.Set(next)
	}
}

// jumpTo moves the clock to at at once, as after a restart, once the
// scheduler sleeps.
func jumpTo(t *testing.T, ctx context.Context, clock *clocktest.Clock, at time.Time) {
	t.Helper()
	slacktest.Poll(t, ctx, "the scheduler to sleep", func() bool {
		n, ok := clock.NextTimer()
		return ok && n.After(clock.Now())
	})
	clock.Set(at)
}

const rulesYAML = `digests:
  - id: morning-queue
    channel: C0INBOX
    schedule: weekdays 09:00
    query: live unassigned
    title: Waiting live chats
    quiet: true
`

func writeRules(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestE2EDigestRulesFile: file digests are listed with their source,
// refuse remove, keep state in the store, and a reload with a bad file
// keeps the rules in use.
func TestE2EDigestRulesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, rulesYAML)
	h := startE2E(t, withConfig(func(c *Config) { c.RulesFile = path }))

	list := answerText(t, h.answer(h.command("digest list")))
	assertContains(t, "list", list, "morning-queue", commands.DigestSourceFile)
	r := h.answer(h.command("digest remove morning-queue"))
	assertContains(t, "remove", answerText(t, r), commands.DigestFileRule("morning-queue"))
	if _, ok := h.bot.digests.sched.NextRun("morning-queue", e2eAnchor); !ok {
		t.Error("the file digest is not scheduled")
	}
	h.answer(h.digestCommand("digest pause morning-queue"))
	if d, err := h.stored("morning-queue"); err != nil || !d.Paused {
		t.Errorf("file digest state after pause: %+v, %v", d, err)
	}

	writeRules(t, path, "digests:\n  - id: evening\n    channel: C0INBOX\n    schedule: every 7s\n    query: online\n")
	err := h.bot.digests.reloadRules(h.ctx)
	var rfe *commands.RulesFileError
	if !errors.As(err, &rfe) || rfe.Line != 4 {
		t.Fatalf("reload of a bad file: %v, want a RULES_FILE error on line 4", err)
	}
	list = answerText(t, h.answer(h.command("digest list")))
	assertContains(t, "list after a bad reload", list, "morning-queue", "paused")
	if strings.Contains(list, "evening") {
		t.Errorf("a bad file was partly loaded:\n%s", list)
	}

	writeRules(t, path, strings.ReplaceAll(rulesYAML, "morning-queue", "evening-queue"))
	if err := h.bot.digests.reloadRules(h.ctx); err != nil {
		t.Fatal(err)
	}
	list = answerText(t, h.answer(h.command("digest list")))
	assertContains(t, "list after a good reload", list, "evening-queue")
	if strings.Contains(list, "morning-queue") {
		t.Errorf("a digest gone from the file is still listed:\n%s", list)
	}
	if _, ok := h.bot.digests.sched.NextRun("morning-queue", e2eAnchor); ok {
		t.Error("a digest gone from the file is still scheduled")
	}
}

// TestRunStopsOnABadRulesFile: a RULES_FILE error at start stops Run with
// "RULES_FILE line N: reason", a configuration error (exit status 78).
func TestRunStopsOnABadRulesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	writeRules(t, path, "digests:\n  - id: x\n    channel: C0INBOX\n    schedul: daily 09:00\n")
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
	if code := ExitCode(err, &out); code != ExitConfig || !strings.Contains(out.String(), "RULES_FILE line 4: ") {
		t.Errorf("Run: exit %d, %q; want %d and RULES_FILE line 4", code, out.String(), ExitConfig)
	}
}

// TestE2EReadyzChecksTheStore: /readyz fails while the store cannot serve.
func TestE2EReadyzChecksTheStore(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	if err := h.bot.digests.st.Close(); err != nil {
		t.Fatal(err)
	}
	code, body := h.get("/readyz")
	if code != 503 || !strings.Contains(body, "store") {
		t.Errorf("/readyz with the store closed: %d %q", code, body)
	}
}

// TestE2EDigestManagedFromItsChannel: a digest is run, paused and removed
// from the channel it posts to only.
func TestE2EDigestManagedFromItsChannel(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	h.digestCommand("digest add daily 09:00 online")
	for _, verb := range []string{"run", "pause", "remove"} {
		d := h.commandAs(slacktest.SlashOptions{Text: "digest " + verb + " d1", ChannelID: "C0OTHER"})
		assertContains(t, verb, answerText(t, h.answer(d)), "<#"+slacktest.DefaultChannelID+">")
	}
	if d, err := h.stored("d1"); err != nil || d.Paused {
		t.Errorf("d1 after commands from another channel: %+v, %v", d, err)
	}
	if n := len(h.posts("C0OTHER")) + len(h.posts(slacktest.DefaultChannelID)); n != 1 {
		t.Errorf("%d posts, want only the confirmation", n)
	}
	assertContains(t, "list all", answerText(t, h.answer(h.commandAs(slacktest.SlashOptions{Text: "digest list all", ChannelID: "C0OTHER"}))), "d1")
}
