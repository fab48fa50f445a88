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

// alertRule parses a rule for the render tests (zone IST, interval 1m).
func alertRule(t testing.TB, args string) AlertRule {
	t.Helper()
	r, err := ParseAlertRule(args, digestEnv(), renderZone, time.Minute)
	if err != nil {
		t.Fatalf("ParseAlertRule(%q): %v", args, err)
	}
	return r
}

// hostileAlertUsers are contacts named to ping, format and break entities.
func hostileAlertUsers() []inbox.User {
	users := renderUsers(4)
	users[0].Name = "<!channel>"
	users[1].Name = "*bold* _it_"
	users[2].Name = "Tom & Jerry <@U1>"
	users[3].Name = ""
	users[3].Email = "secret.person@example.com"
	users[0].Tags = []string{"<!here>", "vip"}
	return users
}

// alertFixture is incident 3 of alert a1 (count>=5 for 10m), firing since
// 09:50 IST, with the given mention and count.
func alertFixture(t testing.TB, mention string, count int) AlertView {
	r := alertRule(t, "count>=5 for 10m live unassigned")
	o := renderOpts(PIIMasked, renderWebURL)
	return AlertView{
		AlertID: "a1", Rule: r, Mention: mention, Incident: 3, Count: count,
		Lines:       AlertSummaryLines(append(hostileAlertUsers(), renderUsers(12)...)[:min(count, MaxAlertSummaryLines)], o),
		FiringSince: renderNow.Add(-70 * time.Minute),
	}
}

// The states of the incident goldens.
func alertStates(t testing.TB) []struct {
	name    string
	v       AlertView
	buttons []string // action ids, in order
	has     []string
	hasNot  []string
	mention string // the live mention the message may hold
} {
	acked := func(v AlertView) AlertView {
		v.AckedBy, v.AckedAt = "U024BE7LH", renderNow.Add(-5*time.Minute)
		return v
	}
	snoozed := func(v AlertView) AlertView {
		v.SilencedUntil, v.SilencedBy = renderNow.Add(4*time.Hour), "U0SNOOZER"
		return v
	}
	resolved := func(v AlertView) AlertView {
		v.ResolvedAt, v.Count = renderNow, 2
		return v
	}
	capped := alertFixture(t, "<!here>", MaxAlertCount)
	capped.Capped = true
	all := []string{ActionAlertAck, ActionAlertSnooze1h, ActionAlertSnooze4h}
	snoozes := []string{ActionAlertSnooze1h, ActionAlertSnooze4h}
	return []struct {
		name    string
		v       AlertView
		buttons []string
		has     []string
		hasNot  []string
		mention string
	}{
		{"firing_here", alertFixture(t, "<!here>", 13), all,
			[]string{"<!here> 🔴 *13 contacts* match alert `a1` (5 or more)", "Firing since 14:50 IST · incident 3", "`live unassigned`",
				"&lt;!channel&gt;", "∗bold∗ ˍitˍ", "Tom &amp; Jerry &lt;@U1&gt;", "s•••@example.com", "… and 3 more."},
			[]string{"acknowledged", "snoozed", "Resolved", "secret.person"}, "<!here>"},
		{"firing_channel", alertFixture(t, "<!channel>", 4), all, []string{"<!channel> 🔴 *4 contacts*"}, []string{"more."}, "<!channel>"},
		{"firing_user", alertFixture(t, "<@U0ONCALL>", 7), all, []string{"<@U0ONCALL> 🔴"}, nil, "<@U0ONCALL>"},
		{"firing_group", alertFixture(t, "<!subteam^S0123ABCD>", 7), all, []string{"<!subteam^S0123ABCD> 🔴"}, nil, "<!subteam^S0123ABCD>"},
		{"firing_none", alertFixture(t, "", 7), all, []string{`"text":"🔴 *7 contacts*`}, nil, ""},
		{"firing_bad_mention", alertFixture(t, "<!everyone> <https://evil.example|x>", 7), all, []string{`"text":"🔴 *7 contacts*`}, []string{"evil", "everyone"}, ""},
		{"firing_capped", capped, all, []string{"*5,000+ contacts*", "… and more: 5,000+ in all"}, nil, "<!here>"},
		{"acked", acked(alertFixture(t, "<!here>", 7)), snoozes, []string{"✅ acknowledged by <@U024BE7LH> at 15:55 IST"}, []string{"snoozed"}, "<!here>"},
		{"snoozed", snoozed(alertFixture(t, "<!here>", 7)), all, []string{"😴 snoozed until 20:00 IST by <@U0SNOOZER>"}, []string{"acknowledged"}, "<!here>"},
		{"acked_snoozed", snoozed(acked(alertFixture(t, "<!here>", 7))), snoozes, []string{"acknowledged by <@U024BE7LH>", "snoozed until 20:00 IST by <@U0SNOOZER>"}, nil, "<!here>"},
		{"resolved", resolved(acked(alertFixture(t, "<!here>", 7))), nil,
			[]string{"✅ *Resolved:* alert `a1` (5 or more) · now 2 contacts", "Fired for 1 h 10 min, 14:50 IST to 16:00 IST", "acknowledged by <@U024BE7LH>"},
			[]string{"<!here>", "Tom", "snoozed"}, ""},
	}
}

// TestRenderAlertIncident renders every state of an incident message
// against its golden, with Slack's limits, our mention the only live
// markup, and the buttons of the state carrying the incident.
func TestRenderAlertIncident(t *testing.T) {
	for _, tt := range alertStates(t) {
		t.Run(tt.name, func(t *testing.T) {
			m := RenderAlertIncident(tt.v, renderOpts(PIIMasked, renderWebURL))
			checkAlertRendered(t, m, tt.mention, "<@U024BE7LH>", "<@U0SNOOZER>")
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
			if tt.mention != "" && !strings.HasPrefix(m.Text, tt.mention+" ") {
				t.Errorf("fallback %q does not start with the mention %q", m.Text, tt.mention)
			}
			ids, values := alertButtonsOf(t, m)
			if strings.Join(ids, ",") != strings.Join(tt.buttons, ",") {
				t.Errorf("buttons %v, want %v", ids, tt.buttons)
			}
			for _, v := range values {
				b, err := DecodeAlertButton(v)
				if err != nil || b != (AlertButton{AlertID: "a1", Incident: 3}) {
					t.Errorf("button value %q decodes to %+v, %v", v, b, err)
				}
			}
			renderGolden(t, filepath.Join("testdata", "alert_"+tt.name+".golden"), messageJSON(t, m))
		})
	}
}

// checkAlertRendered checks Slack's limits and unique block ids, and that
// no text Slack parses holds live markup but the allowed mentions.
func checkAlertRendered(t *testing.T, m Message, mentions ...string) {
	t.Helper()
	var allowed []string
	for _, x := range mentions {
		if x != "" {
			allowed = append(allowed, x)
		}
	}
	checkDigestRendered(t, m, renderWebURL, allowed...)
}

// alertButtonsOf returns the action ids and values of a message's buttons.
func alertButtonsOf(t *testing.T, m Message) (ids, values []string) {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(blocksJSON(t, m), &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			ids, values = append(ids, e.ActionID), append(values, e.Value)
		}
	}
	return ids, values
}

// TestRenderAlertIncidentHostile: any data keeps Slack's limits and pings
// nobody but the mention: hostile ids, lines that did not come from
// AlertSummaryLines, huge counts, a hostile query.
func TestRenderAlertIncidentHostile(t *testing.T) {
	r := alertRule(t, "count>=1 live")
	for i, h := range hostileTexts {
		v := AlertView{AlertID: h, Rule: r, Mention: "<!here>", Incident: -5, Count: 1 << 40, Lines: append([]string{}, hostileTexts...),
			FiringSince: renderNow.Add(-time.Hour), AckedBy: h, AckedAt: renderNow, SilencedUntil: renderNow.Add(time.Hour), SilencedBy: h}
		for range 30 {
			v.Lines = append(v.Lines, h)
		}
		for _, state := range []string{"firing", "resolved"} {
			t.Run(fmt.Sprintf("%d/%s", i, state), func(t *testing.T) {
				if state == "resolved" {
					v.ResolvedAt = renderNow
				}
				for _, m := range []Message{RenderAlertIncident(v, renderOpts(PIIFull, "")), RenderAlertReminder(v, renderOpts(PIIFull, "")), RenderAlertResolvedReply(v, renderOpts(PIIFull, ""))} {
					checkAlertRendered(t, m, "<!here>")
				}
			})
		}
	}
}

func TestAlertSummaryLines(t *testing.T) {
	users := append(hostileAlertUsers(), hostileUsers(len(hostileTexts))...)
	for _, pii := range []PIIMode{PIIFull, PIIMasked, PIIHidden} {
		lines := AlertSummaryLines(users, renderOpts(pii, renderWebURL))
		if len(lines) != len(users) {
			t.Fatalf("%d lines for %d users", len(lines), len(users))
		}
		for i, l := range lines {
			if strings.ContainsAny(l, "<>\n") || runes(l) > capSummaryLine {
				t.Errorf("%s: line %d is not one short link-free line: %q", pii, i, l)
			}
			if defuseLine(l) != l {
				t.Errorf("%s: line %d changes when defused: %q", pii, i, l)
			}
		}
		noName := lines[3]
		want := map[PIIMode]string{PIIFull: "*secret.person@example.com*", PIIMasked: "*s•••@example.com*", PIIHidden: "*(no name)*"}[pii]
		if !strings.HasPrefix(noName, "• "+want) {
			t.Errorf("%s: contact without a name shows %q, want %q", pii, noName, want)
		}
	}
	l := AlertSummaryLines(renderUsers(1), renderOpts(PIIMasked, renderWebURL))[0]
	if strings.Contains(l, "ago") || strings.Contains(l, "example.com") {
		t.Errorf("a summary line holds a time or PII: %q", l)
	}
}

func TestRenderAlertReminder(t *testing.T) {
	for _, mention := range []string{"<!here>", "<@U0ONCALL>", "<!subteam^S0123ABCD>", ""} {
		v := alertFixture(t, mention, 7)
		m := RenderAlertReminder(v, renderOpts(PIIMasked, ""))
		checkAlertRendered(t, m, mention)
		raw := rawJSON(t, m)
		want := strings.TrimSpace(mention + " ⏰ Still firing: *7 contacts* match alert `a1` (5 or more), since 14:50 IST (1 h 10 min)")
		if !strings.Contains(raw, `"text":"`+want) {
			t.Errorf("reminder does not start with %q: %s", want, raw)
		}
		if mention != "" && !strings.HasPrefix(m.Text, mention+" Still firing") {
			t.Errorf("fallback %q", m.Text)
		}
		if ids, _ := alertButtonsOf(t, m); len(ids) > 0 {
			t.Errorf("a reminder has buttons %v", ids)
		}
		if mention == "<!here>" {
			renderGolden(t, filepath.Join("testdata", "alert_reminder.golden"), messageJSON(t, m))
		}
	}
}

func TestRenderAlertResolvedReply(t *testing.T) {
	v := alertFixture(t, "<!here>", 2)
	v.ResolvedAt = renderNow
	m := RenderAlertResolvedReply(v, renderOpts(PIIMasked, ""))
	checkAlertRendered(t, m)
	raw := rawJSON(t, m)
	for _, s := range []string{"✅ Resolved: alert `a1`", "now 2 contacts", "fired for 1 h 10 min, 14:50 IST to 16:00 IST"} {
		if !strings.Contains(raw, s) {
			t.Errorf("no %q in %s", s, raw)
		}
	}
	if strings.Contains(raw, "<!here>") {
		t.Errorf("the resolved reply mentions: %s", raw)
	}
	renderGolden(t, filepath.Join("testdata", "alert_resolved_reply.golden"), messageJSON(t, m))
}

func TestRenderAlertAnnounce(t *testing.T) {
	r := alertRule(t, "new wait 1m online tag:vip")
	a := Alert{ID: "a2", Channel: "C0123456789", Source: AlertSourceSlack}
	o := renderOpts(PIIMasked, renderWebURL)
	for _, n := range []int{1, 3, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			users := append(hostileAlertUsers(), renderUsers(n)...)[:n]
			m := RenderAlertAnnounce(a, r, "<!here>", AlertEntryLines(users, o), o)
			checkAlertRendered(t, m, "<!here>")
			checkAllCounted(t, m, n)
			raw := rawJSON(t, m)
			head := fmt.Sprintf("<!here> 🆕 *%d new contact", n)
			if !strings.Contains(raw, head) || !strings.HasPrefix(m.Text, "<!here> ") {
				t.Errorf("no %q in %s (fallback %q)", head, raw, m.Text)
			}
			if n == 3 {
				if !strings.Contains(raw, "1. *<"+renderWebURL+"/inbox?user=") || !strings.Contains(raw, "&lt;!channel&gt;") {
					t.Errorf("entries are not the answer's: %s", raw)
				}
				renderGolden(t, filepath.Join("testdata", "alert_announce.golden"), messageJSON(t, m))
			}
			if n == 250 && !strings.Contains(raw, "more, left out to fit") {
				t.Errorf("250 contacts: no count of those left out")
			}
		})
	}
	// Entries that did not come from AlertEntryLines (hostile, oversized)
	// still keep Slack's limits, and a hostile mention is dropped.
	m := RenderAlertAnnounce(Alert{ID: hostileTexts[1]}, r, "<!channel> <@U1>", hostileTexts, o)
	if p := blockcheck.CheckMessage(m.Text, blocksJSON(t, m)); len(p) > 0 {
		t.Fatalf("blockcheck: %v", p)
	}
	if head := rawJSON(t, Message{Blocks: m.Blocks[:1]}); strings.Contains(head, "<!channel>") || strings.Contains(m.Text, "<!channel>") {
		t.Errorf("a hostile mention or id is live: %s / %q", head, m.Text)
	}
}

func TestRenderAlertAdded(t *testing.T) {
	tests := []struct {
		name   string
		rule   string
		count  int
		capped bool
		has    []string
	}{
		{"count", "count>=5 for 10m notify @here live unassigned", 3, false,
			[]string{"<@U024BE7LH> set up alert `a1` for this channel.", "*Rule:* 5 or more contacts", "notifies @here", "*Now:* 3 contacts match; it fires at 5 or more."}},
		{"count_holds", "count>=5 for 10m live unassigned", 9, false, []string{"9 contacts match, so the condition already holds: it fires if it still holds in 10m."}},
		{"count_capped", "count>=5 live unassigned", MaxAlertCount, true, []string{"5,000+ contacts match, so the condition already holds: it fires at the next check."}},
		{"new", "new wait 1m online tag:vip", 12, false, []string{"*Baseline:* 12 contacts match now; they are not announced"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Alert{ID: "a1", Channel: "C0123456789", CreatedBy: "U024BE7LH", Source: AlertSourceSlack}
			m := RenderAlertAdded(a, alertRule(t, tt.rule), tt.count, tt.capped, renderOpts(PIIMasked, ""))
			checkAlertRendered(t, m, "<@U024BE7LH>")
			raw := rawJSON(t, m)
			for _, s := range tt.has {
				if !strings.Contains(raw, s) {
					t.Errorf("no %q in %s", s, raw)
				}
			}
			if strings.Contains(raw, "<!here>") {
				t.Errorf("the confirmation pings: %s", raw)
			}
			if tt.name == "count" || tt.name == "new" {
				renderGolden(t, filepath.Join("testdata", "alert_added_"+tt.name+".golden"), messageJSON(t, m))
			}
		})
	}
}

func TestRenderAlertList(t *testing.T) {
	count := alertRule(t, "count>=5 for 10m live unassigned")
	fresh := alertRule(t, "new online tag:vip")
	items := []AlertListItem{
		{Alert: Alert{ID: "a1", Channel: "C0123456789", Source: AlertSourceSlack}, Rule: &count, State: AlertStateFiring, Since: renderNow.Add(-70 * time.Minute), AckedBy: "U024BE7LH"},
		{Alert: Alert{ID: "queue-too-long", Channel: "C0123456789", Source: AlertSourceFile}, Rule: &count, State: AlertStatePending, Since: renderNow.Add(-3 * time.Minute)},
		{Alert: Alert{ID: "a3", Channel: "C0123456789"}, Rule: &fresh, State: AlertStateOK, SilencedUntil: renderNow.Add(time.Hour), SilencedBy: "U0SNOOZER"},
		{Alert: Alert{ID: "a4", Channel: "<!channel>", Rule: "count>=5 <!here> oops", Source: AlertSourceSlack}},
		{Alert: Alert{ID: "a5", Channel: "C0123456789"}, Rule: &fresh, State: AlertStateOK, SilencedUntil: renderNow.Add(-time.Hour), SilencedBy: "U0SNOOZER"},
	}
	m := RenderAlertList(items, true, renderOpts(PIIMasked, ""))
	checkAlertRendered(t, m, "<@U024BE7LH>", "<@U0SNOOZER>", "<#C0123456789>")
	raw := rawJSON(t, m)
	for _, s := range []string{"*5 alerts in all channels*", "`a1` in <#C0123456789> · slack", "🔴 firing since 14:50 IST · ✅ acked by <@U024BE7LH>",
		"`queue-too-long` in <#C0123456789> · rules file", "🟡 pending since 15:57 IST", "🟢 ok · 😴 snoozed until 17:00 IST by <@U0SNOOZER>",
		"`a4` in `&lt;!channel&gt;` · slack\\n⚠️ The stored rule no longer reads, so it is not evaluated: `count&gt;=5 &lt;!here&gt; oops`",
		"5 or more contacts (", "`live unassigned`"} {
		if !strings.Contains(raw, s) {
			t.Errorf("no %q in %s", s, raw)
		}
	}
	if strings.Count(raw, "snoozed until") != 1 {
		t.Errorf("an ended silence is shown: %s", raw)
	}
	renderGolden(t, filepath.Join("testdata", "alert_list.golden"), messageJSON(t, m))

	if raw := rawJSON(t, RenderAlertList(items[:1], false, renderOpts(PIIMasked, ""))); !strings.Contains(raw, "1 alert in this channel") || strings.Contains(raw, "<#") {
		t.Errorf("channel list: %s", raw)
	}
	empty := RenderAlertList(nil, false, renderOpts(PIIMasked, ""))
	checkAlertRendered(t, empty)
	if !strings.Contains(rawJSON(t, empty), "No alerts in this channel yet") {
		t.Errorf("empty list: %s", rawJSON(t, empty))
	}
	many := make([]AlertListItem, 400)
	for i := range many {
		many[i] = items[i%len(items)]
		many[i].Alert.Rule = strings.Repeat("Ω", 900)
	}
	big := RenderAlertList(many, true, renderOpts(PIIMasked, ""))
	checkAlertRendered(t, big, "<@U024BE7LH>", "<@U0SNOOZER>", "<#C0123456789>")
	if !strings.Contains(rawJSON(t, big), "more, left out to fit") {
		t.Errorf("400 alerts: no note of those left out")
	}
}

func TestRenderAlertTest(t *testing.T) {
	r := alertRule(t, "count>=5 notify @here live unassigned")
	v := alertFixture(t, "<!here>", 7)
	v.Rule = r
	would := RenderAlertIncident(v, renderOpts(PIIMasked, ""))
	tests := []struct {
		name string
		rule AlertRule
		test AlertTest
		has  []string
	}{
		{"holds", r, AlertTest{Count: 7, Holds: true, Would: would}, []string{"The condition holds: 7 contacts match (5 or more); it would fire now.", "It would post:", "[Ack] [Snooze 1h] [Snooze 4h]"}},
		{"not", r, AlertTest{Count: 2}, []string{"The condition does not hold: 2 contacts match; it fires at 5 or more.", "Nothing would be posted now."}},
		{"new", alertRule(t, "new online"), AlertTest{Count: 12, Holds: true}, []string{"12 contacts match now: as a new alert they would be its baseline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := AlertTestText(tt.rule, tt.test, renderOpts(PIIMasked, ""))
			m := RenderAlertTest(tt.rule, tt.test, renderOpts(PIIMasked, ""))
			checkAlertRendered(t, m)
			raw := rawJSON(t, m)
			for _, s := range tt.has {
				plain := strings.ReplaceAll(s, "*", "")
				if !strings.Contains(text, plain) {
					t.Errorf("no %q in the text:\n%s", plain, text)
				}
				if !strings.Contains(strings.ReplaceAll(raw, "*", ""), plain) {
					t.Errorf("no %q in %s", plain, raw)
				}
			}
			for _, c := range text {
				if c != '\n' && (c < 0x20 || c == 0x7f) {
					t.Fatalf("terminal text holds control character %U", c)
				}
			}
			if tt.name == "holds" {
				for _, s := range []string{"@here 🔴 7 contacts match alert `a1`", "<!channel>", "Tom & Jerry <@U1>"} {
					if !strings.Contains(text, s) {
						t.Errorf("no %q in the text:\n%s", s, text)
					}
				}
				if !strings.Contains(raw, "> `@here` 🔴 *7 contacts*") {
					t.Errorf("the Slack preview does not quote the message with the mention defused: %s", raw)
				}
				renderGolden(t, filepath.Join("testdata", "alert_test_slack.golden"), messageJSON(t, m))
				renderGolden(t, filepath.Join("testdata", "alert_test_shell.golden"), []byte(text))
			}
		})
	}
}
