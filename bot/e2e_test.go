package bot

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// End-to-end tests: the real bot over real sockets against the fake Slack
// and the fake inbox. The helpers are in e2e_harness_test.go.

func online(c inboxtest.Contact) bool { return c.Online }

func unassigned(c inboxtest.Contact) bool { return c.AgentID == "" }

func liveUnassigned(c inboxtest.Contact) bool { return c.LiveChat && c.AgentID == "" }

func TestE2ECommandAnswersWithTheRightContacts(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	tests := []struct {
		text      string
		want      []string
		canonical string
	}{
		{"online", page(matching(h.inbox, online), 1, inboxtest.DefaultPageSize), "online"},
		{"", page(matching(h.inbox, liveUnassigned), 1, commands.PageSize), "live unassigned"}, // INBOX_DEFAULT_QUERY
		{"   ", page(matching(h.inbox, liveUnassigned), 1, commands.PageSize), "live unassigned"},
	}
	for _, tt := range tests {
		d := h.command(tt.text)
		r := h.answer(d)
		if r.ResponseType != "ephemeral" || r.ReplaceOriginal {
			t.Errorf("/inbox %q: response_type %q replace %v, want a new ephemeral message", tt.text, r.ResponseType, r.ReplaceOriginal)
		}
		if len(tt.want) == 0 {
			t.Fatalf("/inbox %q: the dataset has no match; the test proves nothing", tt.text)
		}
		assertIDs(t, "/inbox "+tt.text, contactIDs(t, r), tt.want)
		assertContains(t, "the answer", answerText(t, r), "`"+tt.canonical+"`", "page 1")
	}
}

func TestE2EHelp(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	before := h.inbox.Count()
	r := h.answer(h.command("help"))
	assertContains(t, "help", answerText(t, r), "/inbox QUERY", "tag:vip", "unassigned")
	if r.ResponseType != "ephemeral" {
		t.Errorf("help is %q, want ephemeral", r.ResponseType)
	}
	if n := h.inbox.Count() - before; n != 0 {
		t.Errorf("help made %d inbox calls", n)
	}
}

// TestE2ESubCommands: the words of the command table are commands, not
// searches. Digests answer as digests, alerts as alerts, a
// mistyped sub-command gets the correction, `help TOPIC` lists the verbs;
// none of them asks the inbox.
func TestE2ESubCommands(t *testing.T) {
	t.Parallel()
	h := startE2E(t, withConfig(func(c *Config) { c.ResponseVisibility = "in_channel" }))
	tests := []struct {
		text    string
		kind    string // of the log line and the metric
		outcome string
		want    []string
	}{
		{"digest list", "digest:list", "ok", nil},
		{"DIGESTS run d1", "digest:run", "not_found", []string{commands.DigestNotFound("d1")}},
		{"alert list", "alert:list", "ok", []string{"No alerts in this channel yet"}},
		{"ALERTS remove a1", "alert:remove", "not_found", []string{commands.AlertNotFound("a1")}},
		{"digset list", "query", "bad_query", []string{"`digset` is not an /inbox command.", "Did you mean `digest list`?"}},
		{"digest lsit", "query", "bad_query", []string{"Did you mean `digest list`?"}},
		{"help digest", "help", "ok", []string{"/inbox digest add", "/inbox digest list", "/inbox digest run", "/inbox digest remove",
			"/inbox digest pause", "/inbox digest resume", "/inbox digest preview"}},
		{"alert", "help", "ok", []string{"/inbox alert add", "/inbox alert mute", "/inbox alert test"}},
	}
	for _, tt := range tests {
		before := h.inbox.Count()
		r := h.answer(h.command(tt.text))
		assertContains(t, "/inbox "+tt.text, answerText(t, r), tt.want...)
		// Private whatever RESPONSE_VISIBILITY says: nothing was answered.
		if r.ResponseType != "ephemeral" {
			t.Errorf("/inbox %s: response_type %q, want ephemeral", tt.text, r.ResponseType)
		}
		if n := h.inbox.Count() - before; n != 0 {
			t.Errorf("/inbox %s made %d inbox requests, want none", tt.text, n)
		}
	}
	h.waitMetric(1, "inboxbot_commands_total", `kind="digest:list"`, `outcome="ok"`)
	h.waitMetric(1, "inboxbot_commands_total", `kind="digest:run"`, `outcome="not_found"`)
	h.waitMetric(1, "inboxbot_commands_total", `kind="alert:list"`, `outcome="ok"`)
	h.waitMetric(1, "inboxbot_commands_total", `kind="alert:remove"`, `outcome="not_found"`)
	h.waitMetric(2, "inboxbot_commands_total", `kind="help"`, `outcome="ok"`)
	h.waitMetric(2, "inboxbot_commands_total", `outcome="bad_query"`)
}

func TestE2EInChannelVisibility(t *testing.T) {
	t.Parallel()
	h := startE2E(t, withConfig(func(c *Config) { c.ResponseVisibility = "in_channel" }))
	r := h.answer(h.command("online"))
	if r.ResponseType != "in_channel" {
		t.Errorf("RESPONSE_VISIBILITY=in_channel answered %q", r.ResponseType)
	}
	if _, ok := buttonValue(t, r, commands.ActionShare); ok {
		t.Error("an in_channel answer offers Share in channel")
	}
	// Errors stay private whatever the visibility.
	if e := h.answer(h.command("tga:vip")); e.ResponseType != "ephemeral" {
		t.Errorf("a parse error was posted %q", e.ResponseType)
	}
}

func TestE2EPagingButtonsReplaceTheMessage(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	all := matching(h.inbox, online)
	if len(all) <= 2*inboxtest.DefaultPageSize {
		t.Fatalf("only %d online contacts: paging is not exercised", len(all))
	}
	first := h.answer(h.command("online"))
	if _, ok := buttonValue(t, first, commands.ActionPrev); ok {
		t.Error("page 1 offers ◀ Prev")
	}
	msg := h.messageOf(first)

	steps := []struct {
		action string
		page   int
	}{
		{commands.ActionNext, 2},
		{commands.ActionNext, 3},
		{commands.ActionPrev, 2},
		{commands.ActionRefresh, 2},
		{commands.ActionPrev, 1},
	}
	cur := first
	for _, st := range steps {
		r := h.answer(h.click(cur, st.action, slacktest.ClickOptions{}))
		what := fmt.Sprintf("%s to page %d", st.action, st.page)
		if !r.ReplaceOriginal || r.ResponseType == "in_channel" {
			t.Errorf("%s: replace_original %v, response_type %q; want the message replaced in place", what, r.ReplaceOriginal, r.ResponseType)
		}
		assertIDs(t, what, contactIDs(t, r), page(all, st.page, inboxtest.DefaultPageSize))
		assertContains(t, what, answerText(t, r), fmt.Sprintf("page %d", st.page))
		// Replaced in place: the message the command created now shows this page.
		if now, _ := h.slack.MessageAt(msg.Channel, msg.TS); string(now.Blocks) != string(r.Blocks) {
			t.Errorf("%s: the original message was not replaced", what)
		}
		cur = r
	}
	if _, ok := buttonValue(t, cur, commands.ActionShare); !ok {
		t.Error("an ephemeral answer lost its Share button after paging")
	}
}

func TestE2EShareInChannel(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	first := h.answer(h.command("online"))
	second := h.answer(h.click(first, commands.ActionNext, slacktest.ClickOptions{}))
	shared := h.answer(h.click(second, commands.ActionShare, slacktest.ClickOptions{}))
	if shared.ResponseType != "in_channel" || shared.ReplaceOriginal {
		t.Errorf("Share: response_type %q replace %v; want a new in_channel message", shared.ResponseType, shared.ReplaceOriginal)
	}
	assertIDs(t, "shared page", contactIDs(t, shared), contactIDs(t, second))
	if m := h.messageOf(shared); m.Ephemeral {
		t.Error("the shared message is ephemeral")
	}
	if _, ok := buttonValue(t, shared, commands.ActionShare); ok {
		t.Error("a message already in the channel offers Share again")
	}
}

// exported reads the CSV of an upload: the header and the rows.
func exported(t *testing.T, up slacktest.Upload) ([]string, [][]string) {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(string(up.Content))).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("upload %s is not CSV: %v", up.Filename, err)
	}
	return records[0], records[1:]
}

func column(t *testing.T, header []string, rows [][]string, name string) []string {
	t.Helper()
	i := slices.Index(header, name)
	if i < 0 {
		t.Fatalf("no %q column in %v", name, header)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r[i])
	}
	return out
}

func TestE2EExport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pii   commands.PIIMode
		start func(h *e2e) *slacktest.Delivery
		keep  func(inboxtest.Contact) bool
	}{
		{"command masked", commands.PIIMasked, func(h *e2e) *slacktest.Delivery { return h.command("export online") }, online},
		{"button masked", commands.PIIMasked, func(h *e2e) *slacktest.Delivery {
			return h.click(h.answer(h.command("unassigned")), commands.ActionExport, slacktest.ClickOptions{})
		}, unassigned},
		{"command full", commands.PIIFull, func(h *e2e) *slacktest.Delivery { return h.command("export online") }, online},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := startE2E(t, withConfig(func(c *Config) { c.PIIMode = PIIMode(tt.pii) }))
			d := tt.start(h)
			ups, err := h.slack.WaitUploads(h.ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			up := ups[0]
			if up.Channel != slacktest.DefaultChannelID || !strings.HasSuffix(up.Filename, ".csv") {
				t.Errorf("upload %q to %q", up.Filename, up.Channel)
			}
			for _, step := range []string{"files.getUploadURLExternal", "files.completeUploadExternal"} {
				if calls := h.slack.Calls(step); len(calls) != 1 {
					t.Errorf("%d calls of %s, want 1", len(calls), step)
				}
			}
			header, rows := exported(t, up)
			want := matching(h.inbox, tt.keep)
			assertIDs(t, "CSV rows", column(t, header, rows, "id"), want)
			assertContains(t, "the upload's comment", up.InitialComment, fmt.Sprintf("%d contacts", len(want)))
			emails := column(t, header, rows, "email")
			full := 0
			for _, c := range h.inbox.Contacts() {
				if c.Email != "" && strings.Contains(string(up.Content), c.Email) {
					full++
				}
			}
			switch tt.pii {
			case commands.PIIMasked:
				if full > 0 {
					t.Errorf("PII_MODE=masked: %d full email addresses in the CSV", full)
				}
				if !slices.ContainsFunc(emails, func(e string) bool { return strings.Contains(e, "•") }) {
					t.Error("PII_MODE=masked: no masked email in the CSV")
				}
			case commands.PIIFull:
				if full == 0 {
					t.Error("PII_MODE=full: no email address in the CSV")
				}
			}
			// The user was told the export started, in plain words.
			assertContains(t, "the first note", answerText(t, h.answer(d)), "Exporting")
		})
	}
}

func TestE2EExportProgressNote(t *testing.T) {
	t.Parallel()
	// Each page takes 1s, the note is due after 50ms: it is posted while
	// the first page is still on its way.
	h := startE2E(t,
		withInbox(inboxtest.WithSize(100)),
		withBotOptions(func(o *BotOptions) { o.ProgressAfter = 50 * time.Millisecond }))
	h.inbox.SetLatency(time.Second)
	d := h.command("export") // a bare export runs INBOX_DEFAULT_QUERY
	notes := h.answers(d, 2)
	assertContains(t, "the progress note", answerText(t, notes[1]), "Still exporting")
	ups, err := h.slack.WaitUploads(h.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	header, rows := exported(t, ups[0])
	want := matching(h.inbox, liveUnassigned)
	if len(want) == 0 {
		t.Fatal("nothing to export: the test proves nothing")
	}
	assertIDs(t, "CSV rows", column(t, header, rows, "id"), want)
	if n := len(h.answers(d, 2)); n != 2 {
		t.Errorf("%d notes for one export, want Exporting and one progress note", n)
	}
}

func TestE2EBadQueryIsExplainedWithoutAnInboxCall(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	tests := []struct {
		text string
		want []string
	}{
		{"tga:vip", []string{"tga:vip", "tag:vip"}},
		{"online offline", []string{"online", "offline"}},
		{"page:0", []string{"page"}},
		{"export tga:vip", []string{"tga:vip"}},
	}
	for _, tt := range tests {
		before := h.inbox.Count()
		r := h.answer(h.command(tt.text))
		if r.ResponseType != "ephemeral" {
			t.Errorf("%q: error posted %q", tt.text, r.ResponseType)
		}
		text := answerText(t, r)
		assertContains(t, fmt.Sprintf("the error for %q", tt.text), text, tt.want...)
		if strings.Contains(text, "goroutine") || strings.Contains(text, ".go:") {
			t.Errorf("%q: the error shows internals: %s", tt.text, text)
		}
		if n := h.inbox.Count() - before; n != 0 {
			t.Errorf("%q: %d inbox calls for a bad query", tt.text, n)
		}
	}
	if ups := h.slack.Uploads(); len(ups) != 0 {
		t.Errorf("a bad export uploaded %d files", len(ups))
	}
}

// TestE2EUnassignedAcrossServerPages walks a client-side predicate with
// server pages (30) that do not line up with ours (20): the cursor must
// carry an offset, every page of ours must be full, and no contact may
// show twice or be skipped.
func TestE2EUnassignedAcrossServerPages(t *testing.T) {
	t.Parallel()
	h := startE2E(t, withInbox(inboxtest.WithPageSize(30), inboxtest.WithSize(200)))
	want := matching(h.inbox, unassigned)
	if len(want) < 3*commands.PageSize {
		t.Fatalf("only %d unassigned contacts: not enough pages", len(want))
	}
	var pages [][]string
	sawOffset := false
	r := h.answer(h.command("unassigned"))
	for n := 1; ; n++ {
		ids := contactIDs(t, r)
		pages = append(pages, ids)
		next, more := buttonValue(t, r, commands.ActionNext)
		if !more {
			break
		}
		if len(ids) != commands.PageSize {
			t.Errorf("page %d holds %d contacts, want a full page of %d", n, len(ids), commands.PageSize)
		}
		st, err := commands.DecodeButtonState(next)
		if err != nil {
			t.Fatalf("page %d: Next button: %v", n, err)
		}
		sawOffset = sawOffset || st.Cursor.Offset > 0
		if n > len(want) {
			t.Fatal("Next never ends")
		}
		r = h.answer(h.click(r, commands.ActionNext, slacktest.ClickOptions{}))
	}
	assertIDs(t, "all pages of unassigned", slices.Concat(pages...), want)
	if !sawOffset {
		t.Error("no Next button carried an offset into a server page")
	}
	// Back to page 1 with Prev: every page as it was on the way forward.
	for n := len(pages) - 1; n >= 1; n-- {
		r = h.answer(h.click(r, commands.ActionPrev, slacktest.ClickOptions{}))
		assertIDs(t, fmt.Sprintf("Prev to page %d", n), contactIDs(t, r), pages[n-1])
	}
	if _, ok := buttonValue(t, r, commands.ActionPrev); ok {
		t.Error("page 1 offers ◀ Prev")
	}
}

// TestE2EHostileNamesAreShownHarmlessly: a customer named <!channel> must
// not ping anyone, in any payload the bot sends.
func TestE2EHostileNamesAreShownHarmlessly(t *testing.T) {
	t.Parallel()
	contacts := inboxtest.Generate(7, 30, e2eAnchor)
	hostile := []string{"<!channel>", "<!here> *bold*", "<@U024BE7LH> <#C024BE91L>", "<https://evil.example|click> & co"}
	for i, name := range hostile {
		contacts[i].Name, contacts[i].Online = name, true
		contacts[i].Tags = append(contacts[i].Tags, "<!everyone>")
	}
	h := startE2E(t, withInbox(inboxtest.WithContacts(contacts)))
	// Slack escapes what a person types: a literal <!channel> arrives as
	// entities (a real <!channel> is markup for @channel, and is unwrapped).
	searched := h.answer(h.command(`online "&lt;!channel&gt;"`))
	assertContains(t, "the echo of a hostile query", answerText(t, searched), "&lt;!channel&gt;")
	unwrapped := h.answer(h.command(`online <!channel>`))
	assertContains(t, "the echo of Slack's @channel markup", answerText(t, unwrapped), "@channel")
	shared := h.answer(h.click(h.answer(h.command("online")), commands.ActionShare, slacktest.ClickOptions{}))
	h.command("export online")
	if _, err := h.slack.WaitUploads(h.ctx, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answerText(t, shared), "&lt;!channel&gt;") {
		t.Errorf("the hostile name is not shown escaped:\n%s", answerText(t, shared))
	}
	// Button values are never rendered: they only come back to the bot.
	live := []string{"<!channel>", "<!here>", "<!everyone>", "<@U024BE7LH>", "<#C024BE91L>", "<https://evil.example"}
	for _, r := range h.slack.Responses() {
		for _, s := range append(shownStrings(t, r.Blocks), r.Text) {
			for _, bad := range live {
				if strings.Contains(s, bad) {
					t.Errorf("response_url payload contains live %q: %.300s", bad, s)
				}
			}
		}
	}
	for _, up := range h.slack.Uploads() {
		for _, bad := range live {
			if strings.Contains(up.InitialComment, bad) || strings.Contains(up.Title, bad) {
				t.Errorf("upload comment or title contains live %q: %q", bad, up.InitialComment)
			}
		}
	}
}

func TestE2EAuthorization(t *testing.T) {
	t.Parallel()
	const okChannel, okUser = "C0ALLOWED", "U0ALLOWED"
	h := startE2E(t, withConfig(func(c *Config) {
		c.AllowedChannels = IDList{okChannel}
		c.AllowedUsers = IDList{okUser, slacktest.DefaultUserID}
	}))
	answer := h.answer(h.commandAs(slacktest.SlashOptions{Text: "online", ChannelID: okChannel, UserID: okUser}))
	if len(contactIDs(t, answer)) == 0 {
		t.Fatal("the allowed user in the allowed channel got no contacts")
	}
	refusals := []struct {
		name string
		send func() *slacktest.Delivery
	}{
		{"command in another channel", func() *slacktest.Delivery {
			return h.commandAs(slacktest.SlashOptions{Text: "online", ChannelID: "C0ELSEWHERE", UserID: okUser})
		}},
		{"command by another user", func() *slacktest.Delivery {
			return h.commandAs(slacktest.SlashOptions{Text: "online", ChannelID: okChannel, UserID: "U0STRANGER"})
		}},
		{"export by another user", func() *slacktest.Delivery {
			return h.commandAs(slacktest.SlashOptions{Text: "export online", ChannelID: okChannel, UserID: "U0STRANGER"})
		}},
		{"Next clicked by another user", func() *slacktest.Delivery {
			return h.click(answer, commands.ActionNext, slacktest.ClickOptions{UserID: "U0STRANGER"})
		}},
		{"Export clicked by another user", func() *slacktest.Delivery {
			return h.click(answer, commands.ActionExport, slacktest.ClickOptions{UserID: "U0STRANGER"})
		}},
		{"button pressed in another channel", func() *slacktest.Delivery {
			value, _ := buttonValue(t, answer, commands.ActionNext)
			return h.clickUnrecorded(commands.ActionNext, value, "C0ELSEWHERE", okUser)
		}},
	}
	for _, r := range refusals {
		before := h.inbox.Count()
		refusal := h.answer(r.send())
		if refusal.ResponseType != "ephemeral" || refusal.ReplaceOriginal {
			t.Errorf("%s: refusal posted %q replace %v", r.name, refusal.ResponseType, refusal.ReplaceOriginal)
		}
		assertContains(t, r.name, answerText(t, refusal), "Sorry", "not enabled")
		if n := h.inbox.Count() - before; n != 0 {
			t.Errorf("%s: %d inbox calls", r.name, n)
		}
	}
	if ups := h.slack.Uploads(); len(ups) != 0 {
		t.Errorf("refused exports uploaded %d files", len(ups))
	}
}

// TestE2EPagePastTheEnd: `/inbox online tag:vip page:9` with fewer matches
// than a page says there are no more contacts, with their true count and a
// button back to page 1, not a count made of empty pages with a Share
// button (issue 6, point 1).
func TestE2EPagePastTheEnd(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	want := matching(h.inbox, func(c inboxtest.Contact) bool { return c.Online && slices.Contains(c.Tags, "vip") })
	if len(want) == 0 || len(want) >= inboxtest.DefaultPageSize {
		t.Fatalf("%d online vip contacts: want fewer than a page", len(want))
	}
	r := h.answer(h.command("online tag:vip page:9"))
	assertContains(t, "page:9", answerText(t, r), fmt.Sprintf("No more contacts: the query has %d, on page 1.", len(want)))
	if strings.Contains(answerText(t, r), "160 contacts") {
		t.Error("page:9 invents 160 contacts")
	}
	for _, action := range []string{commands.ActionShare, commands.ActionNext, commands.ActionExport} {
		if _, ok := buttonValue(t, r, action); ok {
			t.Errorf("a page past the end offers %s", action)
		}
	}
	back := h.answer(h.click(r, commands.ActionPrev, slacktest.ClickOptions{}))
	assertIDs(t, "back to page 1", contactIDs(t, back), want)
	assertContains(t, "back to page 1", answerText(t, back), fmt.Sprintf("%d contacts", len(want)), "page 1")
}
