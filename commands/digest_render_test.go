package commands

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands/blockcheck"
	"github.com/convertalk/inboxbot/inbox"
)

// digestSlot is 09:00 in the render zone on the render day; the digests of
// these tests ran at renderNow (10:30 UTC = 16:00 IST).
var digestSlot = time.Date(2026, 11, 20, 9, 0, 0, 0, renderZone)

// digestUsers is a population whose customers wrote last at various times.
func digestUsers(n int) []inbox.User {
	users := renderUsers(n)
	for i := range users {
		if users[i].LastMessage.By == inbox.ByUser {
			users[i].LastMessage.At = renderNow.Add(-time.Duration(42+i) * time.Minute)
		}
	}
	return users
}

// digestFixture is a run of digest d3 over n matches, the first page of
// them (at most 20) shown.
func digestFixture(n int) DigestReport {
	users := digestUsers(n)
	var s DigestSummary
	for _, u := range users {
		s.Add(u)
	}
	page := users[:min(n, PageSize)]
	a := &Answer{Canonical: "live unassigned", Words: "live chat · unassigned", Users: page, Page: 1,
		Start: inbox.Cursor{Page: 1}, Total: n, At: renderNow}
	if n > PageSize {
		a.Total, a.Next = -1, &inbox.Cursor{Page: 2}
	}
	return DigestReport{
		Digest: Digest{ID: "d3", Channel: "C0123456789", Schedule: "weekdays 09:00", Query: "live unassigned",
			Title: "Morning queue", Source: DigestSourceSlack},
		Words:   "live chat · unassigned",
		Summary: s,
		First:   a,
		RanAt:   renderNow,
		Next:    time.Date(2026, 11, 23, 9, 0, 0, 0, renderZone),
	}
}

// digestCapped is a digest whose count reached MaxDigestCount: the summary
// saw more contacts than it counts.
func digestCapped() DigestReport {
	r := digestFixture(20)
	u := digestUsers(1)[0]
	for range MaxDigestCount + 10 {
		r.Summary.Add(u)
	}
	r.First.Total, r.First.Next = -1, &inbox.Cursor{Page: 2}
	return r
}

func digestLate() DigestReport {
	r := digestFixture(3)
	r.Late, r.Slot, r.RanAt = true, digestSlot, digestSlot.Add(7*time.Minute)
	return r
}

func digestPreview() DigestReport {
	r := digestFixture(5)
	r.Digest = Digest{Query: "live unassigned"}
	r.Preview, r.Next = true, time.Time{}
	return r
}

func digestOpts() RenderOptions {
	o := renderOpts(PIIMasked, renderWebURL)
	o.Ephemeral = true // a digest ignores it: it is posted in the channel
	return o
}

func TestRenderDigestGolden(t *testing.T) {
	tests := []struct {
		name string
		r    DigestReport
	}{
		{"digest", digestFixture(7)},
		{"digest_empty", digestFixture(0)},
		{"digest_capped", digestCapped()},
		{"digest_late", digestLate()},
		{"digest_preview", digestPreview()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := RenderDigest(tt.r, digestOpts())
			checkDigestRendered(t, m, renderWebURL)
			renderGolden(t, filepath.Join("testdata", "render", tt.name+".json"), messageJSON(t, m))
			renderGolden(t, filepath.Join("testdata", "render", tt.name+".txt"), []byte(RenderDigestText(tt.r, digestOpts())))
		})
	}
}

// TestRenderDigestContent checks the pieces SPEC §7 asks for.
func TestRenderDigestContent(t *testing.T) {
	tests := []struct {
		name    string
		r       DigestReport
		has     []string
		hasNot  []string
		text    string // the fallback
		tableOK bool
	}{
		{"contacts", digestFixture(7),
			[]string{`"text":"Morning queue · 7 contacts"`, "oldest waiting: 46 min", `"type":"table"`, `"text":"Unassigned"`, `"text":"alice"`,
				"next run Mon 09:00 IST", "digest `d3`", `"block_id":"digest_actions"`, "`live unassigned` · live chat · unassigned"},
			[]string{ActionShare, "late:"}, "Morning queue · 7 contacts (oldest waiting: 46 min)", true},
		{"empty", digestFixture(0), []string{"no contacts", "Nobody right now"}, []string{`"type":"table"`, "oldest waiting"}, "Morning queue · no contacts", false},
		{"capped", digestCapped(), []string{"Morning queue · 5,000+ contacts", "counted up to 5,000", ActionNext}, nil, "", true},
		{"late", digestLate(), []string{"⏰ late: scheduled for 09:00 IST · ran 09:07 IST"}, nil, "", true},
		{"preview", digestPreview(), []string{`"text":"live chat · unassigned · 5 contacts"`, "preview, not posted"}, []string{"d3", "next run"}, "", true},
		{"paused", func() DigestReport { r := digestFixture(2); r.Digest.Paused, r.Next = true, time.Time{}; return r }(), []string{"· paused ·"}, []string{"next run"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := RenderDigest(tt.r, digestOpts())
			checkDigestRendered(t, m, renderWebURL)
			raw := rawJSON(t, m)
			for _, s := range tt.has {
				if !strings.Contains(raw, s) {
					t.Errorf("no %q in %s", s, raw)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(raw, s) {
					t.Errorf("%q in %s", s, raw)
				}
			}
			if tt.text != "" && m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
		})
	}
}

// TestRenderDigestButtons: the buttons are an answer's (the same states),
// in a block that IsDigestBlock recognises, and a digest offers no Share.
func TestRenderDigestButtons(t *testing.T) {
	r := digestFixture(45)
	m := RenderDigest(r, digestOpts())
	o := digestOpts()
	o.Ephemeral = false
	want := RenderAnswer(r.First, o)
	got, exp := m.Blocks[len(m.Blocks)-1], want.Blocks[len(want.Blocks)-1]
	if !IsDigestBlock(got.ID()) || IsDigestBlock(exp.ID()) {
		t.Errorf("block ids %q (digest) and %q (answer)", got.ID(), exp.ID())
	}
	gj, _ := json.Marshal(got)
	ej, _ := json.Marshal(exp)
	if strings.Replace(string(gj), got.ID(), exp.ID(), 1) != string(ej) {
		t.Errorf("digest buttons differ from the answer's:\n%s\n%s", gj, ej)
	}
	checkButtons(t, r.First, func() Message {
		// checkButtons expects Share (an ephemeral answer): compare with one.
		o := digestOpts()
		return RenderAnswer(r.First, o)
	}())
	if strings.Contains(string(gj), ActionShare) {
		t.Errorf("a digest offers Share in channel")
	}
}

// TestRenderDigestBreakdown: a table when it fits, compact text otherwise
// (many agents, a long or hostile name), never more than one table.
func TestRenderDigestBreakdown(t *testing.T) {
	manyAgents := func(n int, name string) DigestReport {
		r := digestFixture(3)
		r.Summary = DigestSummary{}
		for i := range n {
			u := renderUser(i)
			u.AgentID = fmt.Sprintf("%024d", i)
			if name != "" {
				u.AgentID = name
			}
			r.Summary.Add(u)
		}
		return r
	}
	tests := []struct {
		name  string
		r     DigestReport
		table bool
		has   string
	}{
		{"few", digestFixture(7), true, `"text":"Assignee"`},
		{"14 agents fit", manyAgents(14, ""), true, `"text":"agent …000013"`},
		{"15 agents do not", manyAgents(15, ""), false, "and 5 more (5)"},
		{"30 agents do not", manyAgents(30, ""), false, "and 20 more (20)"},
		{"hostile agent id", manyAgents(1, "<!here>"), false, "*By assignee:* &lt;!here&gt; 1"},
		{"markup in an agent id", manyAgents(1, "*b*"), false, "*By assignee:* ∗b∗ 1"},
		{"long agent name", func() DigestReport {
			r := digestFixture(3)
			r.Summary = DigestSummary{}
			u := renderUser(1)
			r.Summary.Add(u)
			return r
		}(), false, "*By assignee:* " + strings.Repeat("x", capAgent-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := digestOpts()
			if strings.HasPrefix(tt.name, "long") {
				o.AgentNames = map[string]string{renderUser(1).AgentID: strings.Repeat("x", 80)}
			}
			m := RenderDigest(tt.r, o)
			checkDigestRendered(t, m, renderWebURL)
			raw := rawJSON(t, m)
			if got := strings.Count(raw, `"type":"table"`); got != map[bool]int{true: 1, false: 0}[tt.table] {
				t.Errorf("%d tables, want table=%v", got, tt.table)
			}
			if !strings.Contains(raw, tt.has) {
				t.Errorf("no %q in %s", tt.has, raw)
			}
		})
	}
}

// TestRenderDigestHostile: a digest of hostile and oversized contacts, with
// a hostile title, query and breakdown, keeps every Block Kit limit and
// lets nothing ping or link.
func TestRenderDigestHostile(t *testing.T) {
	for _, n := range []int{1, 20, 100, 250} {
		for _, late := range []bool{false, true} {
			t.Run(fmt.Sprintf("n=%d/late=%v", n, late), func(t *testing.T) {
				users := hostileUsers(n)
				var s DigestSummary
				for _, u := range users {
					s.Add(u)
				}
				r := DigestReport{
					Digest: Digest{ID: hostileTexts[n%len(hostileTexts)], Title: hostileTexts[(n+1)%len(hostileTexts)],
						Query: hostileTexts[(n+2)%len(hostileTexts)] + strings.Repeat("<@U1>", 300), Paused: late},
					Words:   hostileTexts[(n+3)%len(hostileTexts)],
					Summary: s,
					First: &Answer{Canonical: strings.Repeat("<!channel>", 300), Words: hostileTexts[1], Users: users,
						Page: 1, Start: inbox.Cursor{Page: 1}, Total: -1, Next: &inbox.Cursor{Page: 2}, At: renderNow},
					RanAt: renderNow, Next: renderNow.Add(time.Hour), Late: late, Slot: digestSlot,
				}
				for _, o := range []RenderOptions{digestOpts(), renderOpts(PIIFull, "")} {
					m := RenderDigest(r, o)
					checkDigestRendered(t, m, o.WebURL)
					if last := m.Blocks[len(m.Blocks)-1]; !IsDigestBlock(last.ID()) {
						t.Errorf("last block %q is not the digest's actions", last.ID())
					}
					checkAllCounted(t, m, n)
					out := RenderDigestText(r, o)
					for _, c := range out {
						if c != '\n' && (c < 0x20 || c == 0x7f || (c >= 0x202a && c <= 0x202e)) {
							t.Fatalf("terminal text holds control character %U", c)
						}
					}
				}
			})
		}
	}
}

func TestRenderDigestAdded(t *testing.T) {
	d := Digest{ID: "d3", Channel: "C0123456789", Schedule: "weekdays 09:00", Query: "live unassigned", Words: "live chat · unassigned",
		Title: "Morning *queue* <!channel>", Quiet: true, CreatedBy: "U024BE7LH", Source: DigestSourceSlack}
	next := []time.Time{digestSlot.Add(72 * time.Hour), digestSlot.Add(96 * time.Hour), digestSlot.Add(120 * time.Hour), digestSlot.Add(144 * time.Hour)}
	m := RenderDigestAdded(d, "weekdays at 09:00 Asia/Kolkata", next, digestOpts())
	checkDigestRendered(t, m, "", "<@U024BE7LH>")
	raw := rawJSON(t, m)
	for _, s := range []string{"<@U024BE7LH> set up digest `d3`", "Morning ∗queue∗ &lt;!channel&gt;", "weekdays at 09:00 Asia/Kolkata",
		"next: Mon 23 Nov 09:00 IST, Tue 24 Nov 09:00 IST, Wed 25 Nov 09:00 IST)", "`live unassigned` · live chat · unassigned", "Quiet:"} {
		if !strings.Contains(raw, s) {
			t.Errorf("no %q in %s", s, raw)
		}
	}
	if strings.Contains(raw, "Thu 26 Nov") {
		t.Errorf("more than three next runs: %s", raw)
	}
	renderGolden(t, filepath.Join("testdata", "render", "digest_added.json"), messageJSON(t, m))
	d.CreatedBy = "<!channel>"
	if raw := rawJSON(t, RenderDigestAdded(d, "x", nil, digestOpts())); !strings.Contains(raw, "Someone set up") {
		t.Errorf("hostile creator: %s", raw)
	}
}

func TestRenderDigestList(t *testing.T) {
	next := digestSlot.Add(72 * time.Hour)
	items := []DigestListItem{
		{Digest: Digest{ID: "d3", Channel: "C0123456789", Query: "live unassigned", Title: "Morning queue", Quiet: true, Source: DigestSourceSlack}, ScheduleWords: "weekdays at 09:00", Next: next},
		{Digest: Digest{ID: "morning-queue", Channel: "C0123456789", Query: "online tag:vip", Source: DigestSourceFile}, ScheduleWords: "every 30 minutes", Next: renderNow.Add(20 * time.Minute)},
		{Digest: Digest{ID: "d4", Channel: "<!channel>", Query: "<!here>", Paused: true, PausedWhy: "Slack said not_in_channel at 09:00 <!channel>"}, ScheduleWords: "daily at 09:00", Next: next},
	}
	m := RenderDigestList(items, true, digestOpts())
	checkDigestRendered(t, m, "", "<#C0123456789>")
	raw := rawJSON(t, m)
	for _, s := range []string{"3 digests in all channels", "`d3` *Morning queue* in <#C0123456789>", "weekdays at 09:00 · `live unassigned` · next run Mon 09:00 IST · slack · quiet",
		"`morning-queue` in <#C0123456789>", "next run 16:20 IST · rules file", "`d4` in `&lt;!channel&gt;`", "⏸ paused: Slack said not_in_channel at 09:00 &lt;!channel&gt; (`/inbox digest resume d4`)"} {
		if !strings.Contains(raw, s) {
			t.Errorf("no %q in %s", s, raw)
		}
	}
	if strings.Contains(raw, "d4`\\n") || strings.Contains(raw, "daily at 09:00 · `&lt;!here&gt;` · next run") {
		t.Errorf("a paused digest shows a next run: %s", raw)
	}
	renderGolden(t, filepath.Join("testdata", "render", "digest_list.json"), messageJSON(t, m))

	here := RenderDigestList(items[:1], false, digestOpts())
	if raw := rawJSON(t, here); !strings.Contains(raw, "1 digest in this channel") || strings.Contains(raw, "<#") {
		t.Errorf("channel list: %s", raw)
	}
	empty := RenderDigestList(nil, false, digestOpts())
	checkDigestRendered(t, empty, "")
	if !strings.Contains(string(blocksJSON(t, empty)), "No digests in this channel yet") {
		t.Errorf("empty list: %s", blocksJSON(t, empty))
	}
	many := make([]DigestListItem, 500)
	for i := range many {
		many[i] = items[i%2]
		many[i].Digest.Title = strings.Repeat("Ω", 200)
	}
	big := RenderDigestList(many, true, digestOpts())
	checkDigestRendered(t, big, "", "<#C0123456789>")
	if !strings.Contains(string(blocksJSON(t, big)), "more, left out to fit") {
		t.Errorf("500 digests: no note of those left out")
	}
}

// checkDigestRendered checks what every digest message must hold: Slack's
// limits, unique block ids, and no live markup in any text Slack parses
// (mrkdwn, raw_text cells and the fallback; plain_text is never parsed, so
// a title may keep its "<") but our own mentions.
func checkDigestRendered(t *testing.T, m Message, webURL string, mentions ...string) {
	t.Helper()
	raw := blocksJSON(t, m)
	if p := blockcheck.CheckMessage(m.Text, raw); len(p) > 0 {
		t.Fatalf("blockcheck: %v", p)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		id, _ := b["block_id"].(string)
		if id == "" || ids[id] {
			t.Errorf("block %d: missing or duplicate block_id %q", i, id)
		}
		ids[id] = true
	}
	for _, s := range append(parsedTexts(decodeJSON(t, raw)), m.Text) {
		for _, x := range mentions {
			s = strings.ReplaceAll(s, x, "MENTION")
		}
		assertNoLiveMarkup(t, s, webURL)
	}
}

// parsedTexts returns the "text" of every object in v but plain_text ones.
func parsedTexts(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if s, ok := v["text"].(string); ok && v["type"] != "plain_text" {
			out = append(out, s)
		}
		for k, x := range v {
			if _, isString := x.(string); !isString || k != "text" {
				out = append(out, parsedTexts(x)...)
			}
		}
	case []any:
		for _, x := range v {
			out = append(out, parsedTexts(x)...)
		}
	}
	return out
}

// rawJSON is the message as JSON without HTML escaping, to search in.
func rawJSON(t *testing.T, m Message) string {
	t.Helper()
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	// slack-go's context elements marshal with HTML escaping on their own.
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(buf.String())
}

func TestWaitedFor(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "under a minute", 42 * time.Minute: "42 min", 3 * time.Hour: "3 h",
		3*time.Hour + 5*time.Minute: "3 h 5 min", 50 * time.Hour: "2 d 2 h", 48 * time.Hour: "2 d",
	} {
		if got := waitedFor(d); got != want {
			t.Errorf("waitedFor(%v) = %q, want %q", d, got, want)
		}
	}
}

func FuzzRenderDigest(f *testing.F) {
	for i, p := range hostileTexts {
		f.Add(p, hostileTexts[(i+1)%len(hostileTexts)], hostileTexts[(i+2)%len(hostileTexts)], 20, true)
	}
	f.Fuzz(func(t *testing.T, name, title, query string, n int, late bool) {
		n = (n%101 + 101) % 101
		users := renderUsers(n)
		var s DigestSummary
		for i := range users {
			users[i].Name, users[i].AgentID = name, title
			users[i].Platforms = []inbox.Channel{inbox.Channel(query)}
			s.Add(users[i])
		}
		r := digestFixture(0)
		r.Digest.Title, r.Digest.Query, r.Digest.ID, r.Words = title, query, name, name
		r.Summary, r.Late, r.Slot = s, late, digestSlot
		r.First.Users, r.First.Canonical = users, query
		m := RenderDigest(r, renderOpts(PIIFull, renderWebURL))
		if p := blockcheck.CheckMessage(m.Text, blocksJSON(t, m)); len(p) > 0 {
			t.Fatalf("blockcheck: %v", p)
		}
		checkDigestRendered(t, m, renderWebURL)
		RenderDigestText(r, renderOpts(PIIMasked, ""))
	})
}
