package bot

import (
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// TestE2EExportThroughTheCache: an export walks the pages through the
// bot's cached source, like answers: the requests it made are not made
// again by an identical scan, nor by the answer to the same query, within
// the cache window.
func TestE2EExportThroughTheCache(t *testing.T) {
	t.Parallel()
	h := startE2E(t, withBotOptions(func(o *BotOptions) { o.CacheTTL = time.Hour }))
	h.command("export online")
	ups, err := h.slack.WaitUploads(h.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	header, rows := exported(t, ups[0])
	want := matching(h.inbox, online)
	assertIDs(t, "CSV rows", column(t, header, rows, "id"), want)
	made := h.inbox.Count()
	if made < 2 {
		t.Fatalf("the export made %d inbox requests; the test needs a walk of several pages", made)
	}

	q, err := h.bot.svc.Parse("online", "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	res, err := h.bot.svc.Scan(h.ctx, q, commands.ScanOptions{Concurrency: 3}, func(inbox.User) bool { n++; return true })
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) || res.Capped || res.Truncated {
		t.Errorf("the second scan found %d of %d (%+v)", n, len(want), res)
	}
	h.answer(h.command("online"))
	if again := h.inbox.Count() - made; again != 0 {
		t.Errorf("a scan and an answer after the export made %d more inbox requests, want 0 (the cache)", again)
	}
}
