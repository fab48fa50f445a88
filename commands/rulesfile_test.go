package commands

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const specRulesFile = `digests:
  - id: morning-queue            # ids of file rules are the operator's
    channel: C0123456789
    schedule: weekdays 09:00
    query: live unassigned
    title: Waiting live chats
    quiet: true                  # post nothing when empty
alerts:
  - id: queue-too-long
    channel: C0123456789
    query: live unassigned
    when: count >= 5
    for: 10m
    keep: 5m
    repeat: 4h
    notify: "<!subteam^S0123ABCD>"
    hours: Mon-Fri 08:00-18:00
  - id: vip-online
    channel: C0123456789
    query: online tag:vip
    when: new
    wait: 1m
`

func rulesEnv() RulesEnv {
	return RulesEnv{
		Query: commandEnv(),
		Schedule: func(s string) error {
			if strings.HasPrefix(s, "bad") {
				return fmt.Errorf("I can't read the schedule `%s`", s)
			}
			return nil
		},
	}
}

// The SPEC's example loads as written.
func TestParseRulesFileSpecExample(t *testing.T) {
	rf, err := ParseRulesFile([]byte(specRulesFile), rulesEnv())
	if err != nil {
		t.Fatal(err)
	}
	if len(rf.Digests) != 1 || len(rf.Alerts) != 2 {
		t.Fatalf("%d digests, %d alerts", len(rf.Digests), len(rf.Alerts))
	}
	d := rf.Digests[0]
	if d.ID != "morning-queue" || d.Channel != "C0123456789" || d.Schedule != "weekdays 09:00" || d.Query != "live unassigned" || d.Title != "Waiting live chats" || !d.Quiet || d.Line != 2 {
		t.Errorf("digest %+v", d)
	}
	a := rf.Alerts[0]
	if a.When != "count >= 5" || a.For != "10m" || a.Keep != "5m" || a.Repeat != "4h" || a.Notify != "<!subteam^S0123ABCD>" || a.Hours != "Mon-Fri 08:00-18:00" || a.Lines["hours"] != 17 {
		t.Errorf("alert %+v", a)
	}
	if b := rf.Alerts[1]; b.When != "new" || b.Wait != "1m" {
		t.Errorf("alert %+v", b)
	}
}

func TestParseRulesFileJSON(t *testing.T) {
	rf, err := ParseRulesFile([]byte(`{"digests": [{"id": "q", "channel": "C0123456789", "schedule": "daily 09:00", "query": "live"}]}`), rulesEnv())
	if err != nil || len(rf.Digests) != 1 {
		t.Fatalf("%+v, %v", rf, err)
	}
	for _, empty := range []string{"", "# nothing yet\n", "digests:\n"} {
		if rf, err := ParseRulesFile([]byte(empty), rulesEnv()); err != nil || len(rf.Digests)+len(rf.Alerts) != 0 {
			t.Errorf("%q: %+v, %v", empty, rf, err)
		}
	}
}

// Each kind of error names the line of the offending key or value.
func TestParseRulesFileErrors(t *testing.T) {
	digest := func(lines ...string) string {
		return "digests:\n  - id: q\n    channel: C0123456789\n    schedule: daily 09:00\n    query: live\n" + strings.Join(lines, "\n") + "\n"
	}
	tests := []struct {
		name string
		file string
		line int
		says string
	}{
		{"syntax", "digests:\n  - id: q\n    title: \"unterminated\n", 3, "not valid YAML"},
		{"indentation", "a:\n  b: c\n d: e\n", 2, "not valid YAML"},
		{"tabs", "digests:\n\t- id: q\n", 2, "not valid YAML"},
		{"not a mapping", "- a\n- b\n", 1, "must be a mapping"},
		{"unknown top key", "digest:\n  - id: q\n", 1, "unknown key `digest`"},
		{"unknown key with suggestion", digest("    schedul: daily 10:00"), 6, "Did you mean `schedule`?"},
		{"digests not a list", "digests:\n  id: q\n", 2, "must be a list"},
		{"entry not a mapping", "digests:\n  - q\n", 2, "must be a mapping of keys"},
		{"value not scalar", digest("    title: [a, b]"), 6, "`title` must be a single value"},
		{"missing query", "digests:\n  - id: q\n    channel: C0123456789\n    schedule: daily 09:00\n", 2, "has no `query`"},
		{"bad quiet", digest("    quiet: maybe"), 6, "`quiet` must be true or false"},
		{"bad schedule", "digests:\n  - id: q\n    channel: C0123456789\n    schedule: bad one\n    query: live\n", 4, "can't read the schedule"},
		{"bad query", "digests:\n  - id: q\n    channel: C0123456789\n    schedule: daily 09:00\n    query: tga:vip\n", 5, "Did you mean tag:vip?"},
		{"bad channel", "digests:\n  - id: q\n    channel: general\n    schedule: daily 09:00\n    query: live\n", 3, "Slack channel id"},
		{"bad id", "digests:\n  - id: Morning Queue\n    channel: C0123456789\n    schedule: daily 09:00\n    query: live\n", 2, "lower-case letters"},
		{"slack-like id", "digests:\n  - id: d1\n    channel: C0123456789\n    schedule: daily 09:00\n    query: live\n", 2, "looks like one the bot gives"},
		{"duplicate id", digest() + "  - id: q\n    channel: C0123456789\n    schedule: daily 09:00\n    query: live\n", 7, "already used on line 2"},
		{"duplicate across kinds", digest() + "alerts:\n  - id: q\n    channel: C0123456789\n    query: live\n    when: new\n", 8, "already used on line 2"},
		{"long title", digest("    title: " + strings.Repeat("x", 101)), 6, "the limit is 100"},
		{"alert unknown key", "alerts:\n  - id: x\n    channel: C0123456789\n    query: live\n    when: new\n    every: 1m\n", 6, "unknown key `every`"},
		{"alert missing when", "alerts:\n  - id: x\n    channel: C0123456789\n    query: live\n", 2, "has no `when`"},
		{"alert bad query", "alerts:\n  - id: x\n    channel: C0123456789\n    query: online offline\n    when: new\n", 4, "the query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRulesFile([]byte(tt.file), rulesEnv())
			var re *RulesFileError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *RulesFileError", err)
			}
			if re.Line != tt.line || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %q (line %d), want line %d saying %q", err, re.Line, tt.line, tt.says)
			}
			if want := fmt.Sprintf("RULES_FILE line %d: ", tt.line); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q, want it to start with %q", err, want)
			}
		})
	}
	if _, err := ParseRulesFile(make([]byte, MaxRulesFileSize+1), rulesEnv()); err == nil {
		t.Error("an oversized file loaded")
	}
}

func FuzzParseRulesFile(f *testing.F) {
	f.Add([]byte(specRulesFile))
	f.Add([]byte("digests:\n  - id: q\n    channel: [\n"))
	f.Add([]byte(`{"alerts": [{"id": "x"}]}`))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rf, err := ParseRulesFile(data, rulesEnv())
		if (rf == nil) == (err == nil) {
			t.Fatalf("want exactly one of a file and an error: %v, %v", rf, err)
		}
		var re *RulesFileError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error %T %v is not a *RulesFileError", err, err)
		}
	})
}
