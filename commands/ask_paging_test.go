package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands/blockcheck"
	"github.com/convertalk/inboxbot/inbox"
)

// askText answers q from pos and renders it as terminal text and Block Kit
// (checked against Slack's limits).
func askText(t *testing.T, src inbox.Source, q *Query, pos Position) (*Answer, string, Message) {
	t.Helper()
	a, err := Ask(context.Background(), src, q, pos, askNow)
	if err != nil {
		t.Fatal(err)
	}
	m := RenderAnswer(a, renderOpts(PIIMasked, ""))
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if p := blockcheck.CheckMessage(m.Text, raw); len(p) > 0 {
		t.Errorf("Block Kit problems: %v", p)
	}
	return a, RenderText(a, renderOpts(PIIMasked, "")), m
}

// blocksText is every text of a message's blocks and buttons, joined.
func blocksText(t *testing.T, m Message) string {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// buttonsOf maps the action ids of m's buttons to their labels and values.
func buttonsOf(t *testing.T, m Message) map[string][2]string {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
			Text     json.RawMessage `json:"text"`
		} `json:"elements"`
	}
	raw, _ := json.Marshal(m.Blocks)
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == "" {
				continue // a context element
			}
			var label struct{ Text string }
			if err := json.Unmarshal(e.Text, &label); err != nil {
				t.Fatal(err)
			}
			out[e.ActionID] = [2]string{label.Text, e.Value}
		}
	}
	return out
}

// fewMatches returns a plain query of the fixture with between 1 and 19
// matches, and their number.
func fewMatches(t *testing.T, client *inbox.Client) (*Query, int) {
	t.Helper()
	for _, text := range []string{"online tag:vip", "online tag:vip live", "tag:vip status:open", "live ordered"} {
		q := mustParse(t, text)
		if n := len(allMatches(t, client, q)); n > 0 && n < 20 {
			return q, n
		}
	}
	t.Fatal("no query of the fixture has 1 to 19 matches")
	return nil, 0
}

// TestAskPastTheEnd: a page past the end of the results says so, with the
// true count when it is known and the way back, never a count made of
// empty pages ("20 contacts" for 9 on page 2, "1960" on page 99 of 600).
func TestAskPastTheEnd(t *testing.T) {
	_, client := askFixture(t, 600, 20)
	q, n := fewMatches(t, client)
	wantLine := fmt.Sprintf("No more contacts: the query has %d, on page 1.", n)

	t.Run("plain page 2 of fewer than a page", func(t *testing.T) {
		a, text, m := askText(t, client, q.WithPage(2), Position{})
		if !a.PastEnd || a.Total != n || a.Last == nil || a.Last.Page != 1 {
			t.Errorf("page:2 of %d matches: pastEnd=%v total=%d last=%+v", n, a.PastEnd, a.Total, a.Last)
		}
		for _, out := range []string{text, blocksText(t, m)} {
			if !strings.Contains(out, wantLine) || strings.Contains(out, "Nothing matches") || strings.Contains(out, "20 contacts") {
				t.Errorf("page:2 of %d matches renders:\n%s", n, out)
			}
		}
		b := buttonsOf(t, m)
		if _, ok := b[ActionShare]; ok {
			t.Error("a page past the end offers Share")
		}
		if _, ok := b[ActionNext]; ok {
			t.Error("a page past the end offers Next")
		}
		prev, ok := b[ActionPrev]
		if !ok || prev[0] != "◀ Page 1" {
			t.Fatalf("a page past the end has no button back to page 1: %v", b)
		}
		st, err := DecodeButtonState(prev[1])
		if err != nil {
			t.Fatal(err)
		}
		back, _, _ := askText(t, client, q, PositionOf(st))
		if back.Page != 1 || len(back.Users) != n || back.Total != n {
			t.Errorf("the way back shows page %d with %d of %d contacts", back.Page, len(back.Users), back.Total)
		}
	})

	t.Run("plain page 99 of many", func(t *testing.T) {
		online := mustParse(t, "online")
		all := len(allMatches(t, client, online))
		a, text, m := askText(t, client, online.WithPage(99), Position{})
		if !a.PastEnd || (a.Total != -1 && a.Total != all) {
			t.Errorf("page:99: pastEnd=%v total=%d (the inbox has %d)", a.PastEnd, a.Total, all)
		}
		if strings.Contains(text, "1960") || strings.Contains(text, "1,960") || strings.Contains(text, "Nothing matches") {
			t.Errorf("page:99 renders:\n%s", text)
		}
		if b := buttonsOf(t, m); b[ActionPrev][0] != "◀ First page" {
			t.Errorf("page:99 buttons: %v", b)
		}
	})

	t.Run("predicate page 9", func(t *testing.T) {
		qu := mustParse(t, q.Canonical()+" unassigned")
		nu := len(allMatches(t, client, qu))
		if nu == 0 {
			t.Skip("no unassigned match in the fixture")
		}
		a, text, _ := askText(t, client, qu.WithPage(9), Position{})
		want := fmt.Sprintf("No more contacts: the query has %d, on page 1.", nu)
		if !a.PastEnd || a.Total != nu || a.Page != 9 || !strings.Contains(text, want) {
			t.Errorf("page:9 of %d: pastEnd=%v total=%d page=%d\n%s", nu, a.PastEnd, a.Total, a.Page, text)
		}
	})
}

// TestAskExactMultipleOfThePage: an inbox with exactly one full page of
// matches offers Next (nothing says it is the last), and Next leads to a
// page that says "no more contacts: the query has 20" with Prev, not to an
// empty "Nothing matches" page.
func TestAskExactMultipleOfThePage(t *testing.T) {
	for _, pred := range []string{"", " -tag:nosuchtag"} {
		t.Run("query"+pred, func(t *testing.T) {
			srv, client := askFixture(t, 20, 20)
			q := mustParse(t, "created:>2000-01-01"+pred)
			if q.HasPredicate() != (pred != "") {
				t.Fatalf("%q: predicate %v", q.Canonical(), q.HasPredicate())
			}
			first, text, _ := askText(t, client, q, Position{})
			if len(first.Users) != 20 {
				t.Fatalf("page 1 has %d contacts, want the fixture's 20", len(first.Users))
			}
			next, ok := first.NextPosition()
			if !ok {
				if first.Total != 20 {
					t.Fatalf("page 1 ends the results but says %d:\n%s", first.Total, text)
				}
				t.Fatal("page 1 ends the results: the fixture sends no total, so it cannot know")
			}
			before := srv.Count()
			a, text, m := askText(t, client, q, next)
			if q.HasPredicate() == false && srv.Count()-before != 1 {
				t.Errorf("the page after the last made %d requests, want 1", srv.Count()-before)
			}
			want := "No more contacts: the query has 20, on page 1."
			if !a.PastEnd || a.Total != 20 || !strings.Contains(text, want) || strings.Contains(text, "Nothing matches") {
				t.Errorf("Next after exactly 20: pastEnd=%v total=%d\n%s", a.PastEnd, a.Total, text)
			}
			b := buttonsOf(t, m)
			if b[ActionPrev][0] != "◀ Page 1" {
				t.Errorf("buttons %v, want ◀ Page 1", b)
			}
			if _, ok := b[ActionNext]; ok {
				t.Error("Next past the end")
			}
		})
	}
}

// TestAskRowsNumberedInTheWholeResult: page 2 numbers its rows 21-40, in
// terminal text and in Block Kit, plain or with a predicate.
func TestAskRowsNumberedInTheWholeResult(t *testing.T) {
	_, client := askFixture(t, 300, 20)
	for _, text := range []string{"created:>2000-01-01", "unassigned"} {
		t.Run(text, func(t *testing.T) {
			q := mustParse(t, text)
			first, _, _ := askText(t, client, q, Position{})
			next, ok := first.NextPosition()
			if !ok {
				t.Fatal("no page 2")
			}
			for name, pos := range map[string]Position{"Next": next, "page:2": {}} {
				qq := q
				if name == "page:2" {
					qq = q.WithPage(2)
				}
				a, out, m := askText(t, client, qq, pos)
				if a.Page != 2 || len(a.Users) < 2 {
					t.Fatalf("%s: page %d with %d contacts", name, a.Page, len(a.Users))
				}
				last := fmt.Sprint(20 + len(a.Users))
				if !strings.Contains(out, "\n21. ") || !strings.Contains(out, "\n"+last+". ") || strings.Contains(out, "\n 1. ") {
					t.Errorf("%s: terminal rows are not numbered 21-%s:\n%s", name, last, out)
				}
				blocks := blocksText(t, m)
				if !strings.Contains(blocks, `"21. *`) || strings.Contains(blocks, `"1. *`) {
					t.Errorf("%s: Block Kit rows are not numbered from 21:\n%s", name, blocks)
				}
			}
		})
	}
}

// assignedSource is an inbox of pages full of assigned contacts: nothing
// is unassigned. Page n is served after wait(n) returns.
type assignedSource struct {
	pages int
	wait  func(ctx context.Context, page int) error
}

func (s *assignedSource) Users(ctx context.Context, f inbox.Filter) (*inbox.Page, error) {
	if s.wait != nil {
		if err := s.wait(ctx, f.Page); err != nil {
			return nil, err
		}
	}
	p := &inbox.Page{Number: f.Page, Total: -1}
	if f.Page > s.pages {
		p.Last = true
		return p, nil
	}
	for i := range 20 {
		p.Users = append(p.Users, inbox.User{ID: fmt.Sprintf("%024x", f.Page*100+i), Name: "Assigned",
			AgentID: "65ab12cd34ef56ab78cd90ef", LastSeenAt: askNow.Add(-time.Hour)})
	}
	return p, nil
}

// TestAskScanBoundIsNotNoResults: a scan that stopped at MaxScan without a
// match says how far it got, with a Next that continues the scan, never
// "Nothing matches … try removing a qualifier".
func TestAskScanBoundIsNotNoResults(t *testing.T) {
	src := &assignedSource{pages: 200}
	q := mustParse(t, "unassigned")
	a, text, m := askText(t, src, q, Position{})
	want := "None in the 1,000 most recent contacts I scanned."
	for _, out := range []string{text, blocksText(t, m)} {
		if !strings.Contains(out, want) || strings.Contains(out, "Nothing matches") || strings.Contains(out, "No contacts") {
			t.Errorf("a bounded scan renders:\n%s", out)
		}
	}
	next, ok := buttonsOf(t, m)[ActionNext]
	if !ok {
		t.Fatal("a bounded scan offers no Next")
	}
	st, err := DecodeButtonState(next[1])
	if err != nil {
		t.Fatal(err)
	}
	if st.Cursor != *a.Next || st.Cursor.Page != MaxScan/20+1 {
		t.Errorf("Next continues at %v, want server page %d", st.Cursor, MaxScan/20+1)
	}
	b, text, _ := askText(t, src, q, PositionOf(st))
	if b.Page != 2 || !b.Truncated || !strings.Contains(text, "None in the next 1,000 contacts I scanned.") {
		t.Errorf("the continued scan renders:\n%s", text)
	}
}

// TestAskScanTimeBudget: a slow inbox stops the scan at a share of the
// answer's time, not at its deadline; the answer says how far it got and
// Next continues from there.
func TestAskScanTimeBudget(t *testing.T) {
	src := &assignedSource{pages: 200, wait: func(ctx context.Context, page int) error {
		if page < 3 {
			return nil
		}
		<-ctx.Done() // page 3 never comes: only the budget ends the wait
		return ctx.Err()
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	a, err := Ask(ctx, src, mustParse(t, "unassigned"), Position{}, askNow)
	if err != nil {
		t.Fatalf("Ask: %v (want the scan cut at its budget)", err)
	}
	if ctx.Err() != nil {
		t.Errorf("the scan used the whole deadline (%v)", time.Since(start))
	}
	if !a.TimedOut || !a.Truncated || a.Scanned != 40 || a.Next == nil || *a.Next != (inbox.Cursor{Page: 3}) {
		t.Fatalf("timedOut=%v truncated=%v scanned=%d next=%v", a.TimedOut, a.Truncated, a.Scanned, a.Next)
	}
	text := RenderText(a, renderOpts(PIIMasked, ""))
	if !strings.Contains(text, "None in the 40 most recent contacts I scanned before the time limit.") ||
		!strings.Contains(text, "time limit reached") {
		t.Errorf("a scan cut by time renders:\n%s", text)
	}
}

func TestScanDeadline(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		deadline time.Time
		ok       bool
		want     time.Time
	}{
		{time.Time{}, false, now.Add(MaxScanBudget)},
		{now.Add(110 * time.Second), true, now.Add(MaxScanBudget)},
		{now.Add(8 * time.Second), true, now.Add(4 * time.Second)},
		{now.Add(-time.Second), true, now},
	}
	for _, tt := range tests {
		if got := ScanDeadline(now, tt.deadline, tt.ok); !got.Equal(tt.want) {
			t.Errorf("ScanDeadline(%v, %v) = %v, want %v", tt.deadline, tt.ok, got, tt.want)
		}
	}
}
