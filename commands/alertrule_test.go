package commands

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

func TestParseAlertRule(t *testing.T) {
	tests := []struct {
		args      string
		canonical string
		check     func(t *testing.T, r AlertRule)
	}{
		{args: "count>=5 live unassigned", canonical: "count>=5 live unassigned", check: func(t *testing.T, r AlertRule) {
			if r.Kind != AlertCount || r.Op != OpAtLeast || r.Threshold != 5 || r.For != 0 || r.Keep != 2*time.Minute || r.Repeat != 4*time.Hour || !r.Notify.IsZero() || !r.Hours.IsZero() {
				t.Errorf("defaults: %+v", r)
			}
		}},
		{args: "count >= 5 live", canonical: "count>=5 live"},
		{args: "count>= 5 live", canonical: "count>=5 live"},
		{args: "count >=5 live", canonical: "count>=5 live"},
		{args: "count&gt;=5 live", canonical: "count>=5 live"}, // as Slack sends a typed >
		{args: "count &gt; 0 live", canonical: "count>0 live"}, // spaced and escaped
		{args: "Count≥3 live", canonical: "count>=3 live"},     // a phone's ≥
		{args: "count>5 online", canonical: "count>5 online", check: func(t *testing.T, r AlertRule) {
			if r.Op != OpMore || !r.Fires(6) || r.Fires(5) {
				t.Errorf("count>5: %+v", r)
			}
		}},
		{args: "count>=5 for 10m notify @here live unassigned", canonical: "count>=5 for 10m notify @here live unassigned", check: func(t *testing.T, r AlertRule) {
			if r.For != 10*time.Minute || r.Notify.Kind != MentionHere || r.Notify.Markup() != "<!here>" {
				t.Errorf("%+v", r)
			}
		}},
		// Options in any order, canonical order out.
		{args: "count>=5 notify <!channel> repeat 1h keep 5m for 2m live", canonical: "count>=5 for 2m keep 5m repeat 1h notify @channel live"},
		{args: "count>=5 repeat off live", canonical: "count>=5 repeat off live", check: func(t *testing.T, r AlertRule) {
			if r.Repeat != 0 {
				t.Errorf("repeat off: %v", r.Repeat)
			}
		}},
		{args: "count>=5 for 10 min live", canonical: "count>=5 for 10m live"},
		{args: "count>=5 FOR 1h30m live", canonical: "count>=5 for 1h30m live"},
		{args: "count>=5 notify <@U024BE7LH|ann> live", canonical: "count>=5 notify <@U024BE7LH|ann> live", check: func(t *testing.T, r AlertRule) {
			if r.Notify != (AlertMention{Kind: MentionUser, ID: "U024BE7LH", Label: "ann"}) || r.Notify.Markup() != "<@U024BE7LH>" || r.Notify.Describe() != "@ann" {
				t.Errorf("%+v", r.Notify)
			}
		}},
		{args: "count>=5 notify <@U024BE7LH|Ann Lee> live", canonical: "count>=5 notify <@U024BE7LH|Ann Lee> live"},
		{args: "count>=5 notify <@U024BE7LH> live", canonical: "count>=5 notify <@U024BE7LH> live"},
		{args: "count>=5 notify <!subteam^S0123ABCD> live", canonical: "count>=5 notify <!subteam^S0123ABCD> live", check: func(t *testing.T, r AlertRule) {
			if r.Notify.Kind != MentionGroup || r.Notify.Markup() != "<!subteam^S0123ABCD>" || r.Notify.Describe() != "the user group S0123ABCD" {
				t.Errorf("%+v", r.Notify)
			}
		}},
		{args: "count>=5 notify <!subteam^S0123ABCD|@support> live", canonical: "count>=5 notify <!subteam^S0123ABCD|@support> live"},
		{args: "count>=5 notify <!here> live", canonical: "count>=5 notify @here live"},
		{args: `count>=5 hours "Mon-Fri 08:00-18:00" live`, canonical: `count>=5 hours "weekdays 08:00-18:00" live`, check: func(t *testing.T, r AlertRule) {
			monday10 := time.Date(2026, 11, 23, 10, 0, 0, 0, berlin)
			if !r.Hours.Contains(monday10) || r.Hours.Contains(monday10.Add(-3*time.Hour)) {
				t.Errorf("hours %v", r.Hours)
			}
		}},
		{args: `count>=5 hours “Mon-Fri 08:00-18:00” live`, canonical: `count>=5 hours "weekdays 08:00-18:00" live`},
		{args: "count>=5 hours Mon-Fri 08:00-18:00 live unassigned", canonical: `count>=5 hours "weekdays 08:00-18:00" live unassigned`},
		{args: "count>=5 hours Mon-Fri 08:00 - 18:00 notify @here live", canonical: `count>=5 notify @here hours "weekdays 08:00-18:00" live`},
		{args: "count>=5 hours 08:00-18:00 live", canonical: `count>=5 hours "daily 08:00-18:00" live`},
		{args: "new online tag:vip", canonical: "new online tag:vip", check: func(t *testing.T, r AlertRule) {
			if r.Kind != AlertNew || r.Wait != 30*time.Second || r.Repeat != 0 || r.Keep != 2*time.Minute {
				t.Errorf("new defaults: %+v", r)
			}
		}},
		{args: "new wait 1m online tag:vip", canonical: "new wait 1m online tag:vip"},
		{args: "NEW keep 1h notify @here online", canonical: "new keep 1h notify @here online"},
		// A query word that is an option's name is quoted, and stays a query.
		{args: `count>=5 "keep" online`, canonical: `count>=5 "keep" online`},
		{args: `count>=5 for 1m "for"`, canonical: `count>=5 for 1m "for"`},
		// Words close to an option but not followed by its value are the query.
		{args: "count>=5 fort online", canonical: "count>=5 fort online"},
		{args: "count>=5 wiat", canonical: "count>=5 wiat"},
		// Defaults written out are not repeated in the canonical form.
		{args: "count>=5 keep 2m repeat 4h for 0 live", canonical: "count>=5 live"},
		{args: "new wait 30s live", canonical: "new live"},
	}
	env := commandEnv()
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			r, err := ParseAlertRule(tt.args, env, berlin, time.Minute)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if got := r.Canonical(); got != tt.canonical {
				t.Errorf("canonical %q, want %q", got, tt.canonical)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			again, err := ParseAlertRule(r.Canonical(), env, berlin, time.Minute)
			if err != nil {
				t.Fatalf("canonical %q: %v", r.Canonical(), err)
			}
			if !again.Equal(r) || again.Canonical() != r.Canonical() {
				t.Errorf("round trip: %q -> %q", r.Canonical(), again.Canonical())
			}
			if r.Describe() == "" {
				t.Error("empty Describe")
			}
		})
	}
}

// keep defaults to 2 × ALERT_INTERVAL.
func TestParseAlertRuleKeepDefault(t *testing.T) {
	r, err := ParseAlertRule("count>=5 live", commandEnv(), nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Keep != time.Minute {
		t.Errorf("keep %v, want 1m", r.Keep)
	}
	r, err = ParseAlertRule("count>=5 keep 2m live", commandEnv(), nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Canonical(); got != "count>=5 keep 2m live" {
		t.Errorf("canonical %q", got)
	}
}

func TestParseAlertRuleErrors(t *testing.T) {
	tests := []struct {
		args       string
		message    string // a part of the message
		suggestion string
	}{
		{args: "", message: "Give the condition and the query"},
		{args: "cuont>=5 live", message: "`cuont>=5` is neither", suggestion: "count>=5"},
		{args: "cuont >= 5 live", message: "`cuont` is neither", suggestion: "count>=5"},
		{args: "nwe online", message: "`nwe` is neither", suggestion: "new"},
		{args: "online tag:vip", message: "An alert starts with its condition"},
		{args: "count=5 live", message: "can't read the condition `count=5`", suggestion: "count>=5"},
		{args: "count 5 live", message: "can't read the condition `count5`", suggestion: "count>=5"},
		{args: "count<5 live", message: "is not supported"},
		{args: "count>=x live", message: "can't read the condition `count>=x`"},
		{args: "count>=0 live", message: "always holds", suggestion: "count>=1"},
		{args: "count>=5001 live", message: "can never hold"},
		{args: "count>5000 live", message: "can never hold"},
		{args: "count>=5", message: "Give the query the alert watches"},
		{args: "count>=5 for 10m", message: "Give the query the alert watches"},
		{args: "count>0 \"\"", message: "Give the query the alert watches"}, // found by FuzzParseAlertRule: stored as "count>0 ", it did not parse again
		{args: "new wait 1m “ ”", message: "Give the query the alert watches"},
		{args: "count>=5 repaet 4h live", message: "`repaet` is not an alert option", suggestion: "repeat 4h"},
		{args: "count>=5 fro 10m live", message: "`fro` is not an alert option", suggestion: "for 10m"},
		{args: "count>=5 notfy @here live", message: "`notfy` is not an alert option", suggestion: "notify @here"},
		{args: "count>=5 for 10x live", message: "I can't read `for 10x`: `x` is not a unit"},
		{args: "count>=5 for", message: "`for` needs a value"},
		{args: "count>=5 for 1m for 2m live", message: "`for` is given twice"},
		{args: "count>=5 repeat 10s live", message: "too short"},
		{args: "count>=5 wait 1m live", message: "`wait` does not apply to a `count` alert"},
		{args: "new for 1m live", message: "`for` does not apply to a `new` alert"},
		{args: "new repeat 1h live", message: "`repeat` does not apply to a `new` alert"},
		{args: "count>=5 notify @ann live", message: "pick the person or user group from Slack's @ menu"},
		{args: "count>=5 notify @hree live", message: "I can't notify `@hree`", suggestion: "notify @here"},
		{args: "count>=5 notify everyone live", message: "I can't notify `everyone`"},
		{args: `count>=5 hours "Mon-Fri 18:00-18:00" live`, message: "starts and ends at the same time"},
		{args: "count>=5 hours someday live", message: "I can't read the hours `someday`"},
		{args: `count>=5 hours "Mon-Fri live`, message: "is never closed"},
		{args: "count>=5 tga:vip", message: "tga:vip", suggestion: "tag:vip"},
		{args: "count>=5 online offline", message: "online"},
		{args: "count>=5 " + strings.Repeat("x", 1400), message: "characters long"},
		{args: "count>=5 \xff", message: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			_, err := ParseAlertRule(tt.args, commandEnv(), nil, time.Minute)
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %v (%T), want a *QueryError", err, err)
			}
			if !strings.Contains(qe.Message, tt.message) {
				t.Errorf("message %q, want it to contain %q", qe.Message, tt.message)
			}
			if qe.Suggestion != tt.suggestion {
				t.Errorf("suggestion %q, want %q", qe.Suggestion, tt.suggestion)
			}
		})
	}
}

func TestAlertRuleDescribe(t *testing.T) {
	tests := []struct{ args, want string }{
		{"count>=5 for 10m notify @here live unassigned", "5 or more contacts (live chat active · unassigned), for 10m; resolves after 2m below; reminds every 4h; notifies @here"},
		{"count>0 repeat off online", "more than 0 contacts (online); resolves after 2m below; no reminders"},
		{"count>=5 hours \"Mon-Fri 08:00-18:00\" notify <!subteam^S1|@support> live", "5 or more contacts (live chat active); resolves after 2m below; reminds every 4h; notifies @support; active weekdays 08:00-18:00 Europe/Berlin"},
		{"new wait 1m online tag:vip", "each contact that starts matching (online · tag vip), batched over 1m; announced once until it has stopped matching for 2m"},
		{"new wait 0 notify <@U1|ann> online", "each contact that starts matching (online); announced once until it has stopped matching for 2m; notifies @ann"},
	}
	for _, tt := range tests {
		r, err := ParseAlertRule(tt.args, commandEnv(), berlin, time.Minute)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if got := r.Describe(); got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.args, got, tt.want)
		}
	}
}

func TestAlertMentionForms(t *testing.T) {
	tests := []struct {
		in          string
		markup, str string
	}{
		{"@here", "<!here>", "@here"},
		{"<!here>", "<!here>", "@here"},
		{"<!here|@here>", "<!here>", "@here"},
		{"@channel", "<!channel>", "@channel"},
		{"<!channel>", "<!channel>", "@channel"},
		{"&lt;!channel&gt;", "<!channel>", "@channel"},
		{"<@U024BE7LH>", "<@U024BE7LH>", "<@U024BE7LH>"},
		{"<@u024be7lh|ann>", "<@U024BE7LH>", "<@U024BE7LH|ann>"},
		{"<!subteam^S0123ABCD|@support>", "<!subteam^S0123ABCD>", "<!subteam^S0123ABCD|@support>"},
		{"<!subteam^S0123ABCD|support>", "<!subteam^S0123ABCD>", "<!subteam^S0123ABCD|@support>"},
	}
	for _, tt := range tests {
		m, err := parseAlertMention(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if m.Markup() != tt.markup || m.String() != tt.str {
			t.Errorf("%q: markup %q string %q, want %q %q", tt.in, m.Markup(), m.String(), tt.markup, tt.str)
		}
	}
}

func fileAlert(when string, fields map[string]string) FileAlert {
	fa := FileAlert{ID: "queue", Channel: "C0123456789", Query: "live unassigned", When: when, Line: 10, Lines: map[string]int{"id": 10, "channel": 11, "query": 12, "when": 13}}
	lines := map[string]int{"for": 14, "keep": 15, "repeat": 16, "notify": 17, "hours": 18, "wait": 19, "query": 12}
	for k, v := range fields {
		fa.Lines[k] = lines[k]
		switch k {
		case "for":
			fa.For = v
		case "keep":
			fa.Keep = v
		case "repeat":
			fa.Repeat = v
		case "notify":
			fa.Notify = v
		case "hours":
			fa.Hours = v
		case "wait":
			fa.Wait = v
		case "query":
			fa.Query = v
		}
	}
	return fa
}

// The SPEC's example file reads into the same rules as the commands.
func TestAlertRuleFromFileSpecExample(t *testing.T) {
	rf, err := ParseRulesFile([]byte(specRulesFile), rulesEnv())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`count>=5 for 10m keep 5m notify <!subteam^S0123ABCD> hours "weekdays 08:00-18:00" live unassigned`,
		"new wait 1m online tag:vip",
	}
	for i, fa := range rf.Alerts {
		r, err := AlertRuleFromFile(fa, commandEnv(), berlin, time.Minute)
		if err != nil {
			t.Fatalf("alert %d: %v", i, err)
		}
		if got := r.Canonical(); got != want[i] {
			t.Errorf("alert %d: %q, want %q", i, got, want[i])
		}
		cmd, err := ParseAlertRule(want[i], commandEnv(), berlin, time.Minute)
		if err != nil || !cmd.Equal(r) {
			t.Errorf("alert %d: the command's rule %v differs (%v)", i, cmd.Canonical(), err)
		}
	}
}

func TestAlertRuleFromFileErrors(t *testing.T) {
	tests := []struct {
		when   string
		fields map[string]string
		line   int
		reason string
	}{
		{"cuont >= 5", nil, 13, "Did you mean count>=5?"},
		{"count >= 5 for 10m", nil, 13, "has more than a condition"},
		{"count >= 5", map[string]string{"for": "10x"}, 14, "`for`: I can't read for 10x"},
		{"count >= 5", map[string]string{"keep": ""}, 15, "The option keep needs a value"},
		{"count >= 5", map[string]string{"repeat": "5s"}, 16, "too short"},
		{"count >= 5", map[string]string{"notify": "@support"}, 17, "I can't notify @support"},
		{"count >= 5", map[string]string{"hours": "Mon-Fri 18:00"}, 18, "I can't read the hours"},
		{"count >= 5", map[string]string{"wait": "1m"}, 19, "does not apply to a count alert"},
		{"new", map[string]string{"for": "1m"}, 14, "does not apply to a new alert"},
		{"new", map[string]string{"query": "tga:vip"}, 12, "Did you mean tag:vip?"},
		{"new", map[string]string{"query": " "}, 12, "it is empty"},
		{"new", map[string]string{"query": `""`}, 12, "reads as no query at all"},
	}
	for _, tt := range tests {
		_, err := AlertRuleFromFile(fileAlert(tt.when, tt.fields), commandEnv(), nil, time.Minute)
		var re *RulesFileError
		if !errors.As(err, &re) {
			t.Errorf("%q %v: error %v (%T), want a *RulesFileError", tt.when, tt.fields, err, err)
			continue
		}
		if re.Line != tt.line || !strings.Contains(re.Reason, tt.reason) {
			t.Errorf("%q %v: line %d %q, want line %d containing %q", tt.when, tt.fields, re.Line, re.Reason, tt.line, tt.reason)
		}
	}
}

func TestAlertRuleFromFileOptions(t *testing.T) {
	r, err := AlertRuleFromFile(fileAlert("count > 2", map[string]string{"repeat": "off", "hours": `"08:00-18:00"`, "notify": "@here"}), commandEnv(), nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Canonical(); got != `count>2 repeat off notify @here hours "daily 08:00-18:00" live unassigned` {
		t.Errorf("canonical %q", got)
	}
}

func FuzzParseAlertRule(f *testing.F) {
	for _, s := range []string{
		"count>=5 for 10m notify @here live unassigned",
		"count >= 5 keep 5m repeat off hours \"Mon-Fri 08:00-18:00\" online",
		"new wait 1m notify <!subteam^S0123ABCD|@support> online tag:vip",
		"count&gt;3 notify <@U024BE7LH|Ann Lee> \"keep\" tag:a",
		"count>0 hours Mon-Fri 08:00 - 18:00; Sat 10:00-14:00 live",
		"cuont>=5 live", "count>=5 repaet 4h live", "new for 1m live", "count>=5 \"", "count>=5 notify <@U1|",
	} {
		f.Add(s)
	}
	env := commandEnv()
	f.Fuzz(func(t *testing.T, args string) {
		r, err := ParseAlertRule(args, env, berlin, time.Minute)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Message == "" {
				t.Fatalf("%q: error %v (%T)", args, err, err)
			}
			return
		}
		if r.Describe() == "" {
			t.Fatalf("%q: empty Describe", args)
		}
		canonical := r.Canonical()
		again, err := ParseAlertRule(canonical, env, berlin, time.Minute)
		if err != nil {
			t.Fatalf("%q: canonical %q does not parse: %v", args, canonical, err)
		}
		if !again.Equal(r) {
			t.Fatalf("%q: canonical %q parses to a different rule %q", args, canonical, again.Canonical())
		}
		if again.Canonical() != canonical {
			t.Fatalf("%q: canonical %q is not its own canonical form (%q)", args, canonical, again.Canonical())
		}
	})
}
