package commands

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/commands/schedule"
)

var digestZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

func digestEnv() Env {
	return Env{Now: renderNow, Location: digestZone, SlackUser: "U024BE7LH"}
}

func TestParseDigestAdd(t *testing.T) {
	tests := []struct {
		args     string
		schedule string // canonical; "" when an error is expected
		title    string
		quiet    bool
		query    string // canonical
		errHas   []string
	}{
		{args: `weekdays 09:00 quiet title "Morning queue" live unassigned`, schedule: "weekdays 09:00", title: "Morning queue", quiet: true, query: "live unassigned"},
		{args: `weekdays 09:00 title "Morning queue" quiet live unassigned`, schedule: "weekdays 09:00", title: "Morning queue", quiet: true, query: "live unassigned"},
		{args: `every 30m live`, schedule: "every 30m", query: "live"},
		{args: `every 30 min online tag:vip`, schedule: "every 30m", query: "online tag:vip"},
		{args: `0 9 * * 1-5 live`, schedule: "0 9 * * 1-5", query: "live"},
		{args: `"daily 09:00" online`, schedule: "daily 09:00", query: "online"},
		{args: `“daily 09:00” online`, schedule: "daily 09:00", query: "online"},
		{args: `@hourly unassigned`, schedule: "@hourly", query: "unassigned"},
		{args: `mon,wed,fri 09:00 -live`, schedule: "mon,wed,fri 09:00", query: "-live"},
		{args: `daily 09:00 17:00 is:live`, schedule: "daily 09:00,17:00", query: "live"},
		{args: `Weekdays 9am TITLE “Früh” QUIET`, schedule: "weekdays 09:00", title: "Früh", quiet: true, query: "live unassigned"},
		{args: `weekdays 09:00`, schedule: "weekdays 09:00", query: "live unassigned"},
		{args: `weekdays 09:00 refund request`, schedule: "weekdays 09:00", query: `"refund request"`},
		{args: `weekdays 09:00 title "Tom &amp; Jerry  &lt;b&gt;" live`, schedule: "weekdays 09:00", title: "Tom & Jerry <b>", query: "live"},
		{args: `weekdays 09:00 title "a\nb" live`, schedule: "weekdays 09:00", title: `a\nb`, query: "live"},

		// Bad schedules quote the schedule (not the query) and show the forms.
		{args: `every 30s live unassigned`, errHas: []string{"`every 30s`", "the minimum is 1m", schedule.Forms}},
		{args: `weekdays 25:00 live`, errHas: []string{"`weekdays 25:00`", "not a time of day", schedule.Forms}},
		{args: `mun 09:00 tag:vip`, errHas: []string{"`mun 09:00`", "not a day", schedule.Forms}},
		{args: `"every 30s" live`, errHas: []string{"`every 30s`", "the minimum is 1m"}},
		{args: `0 9 * * 8 live`, errHas: []string{"`0 9 * * 8`", schedule.Forms}},
		// Missing schedule: the usage.
		{args: ``, errHas: []string{"Which schedule?", "/inbox digest add SCHEDULE"}},
		{args: `   `, errHas: []string{"Which schedule?"}},
		{args: `live unassigned`, errHas: []string{"Which schedule?", schedule.Forms}},
		{args: `quiet weekdays 09:00 live`, errHas: []string{"Which schedule?"}},
		{args: `title "x" weekdays 09:00`, errHas: []string{"Which schedule?"}},
		// Options.
		{args: `weekdays 09:00 title Morning live`, errHas: []string{"Put the title in quotes"}},
		{args: `weekdays 09:00 title`, errHas: []string{"Put the title in quotes"}},
		{args: `weekdays 09:00 title "" live`, errHas: []string{"The title is empty"}},
		{args: `weekdays 09:00 title "a" title "b" live`, errHas: []string{"two titles"}},
		{args: `weekdays 09:00 title "` + strings.Repeat("x", 101) + `" live`, errHas: []string{"101 characters", "limit is 100"}},
		{args: `weekdays 09:00 title "open live`, errHas: []string{"never closed"}},
		// The query.
		{args: `weekdays 09:00 tga:vip`, errHas: []string{"tga:"}},
		{args: `weekdays 09:00 live page:3`, errHas: []string{"drop `page:3`"}},
		{args: "weekdays 09:00 \xff", errHas: []string{"UTF-8"}},
		{args: "weekdays 09:00 " + strings.Repeat("x ", 1000), errHas: []string{"characters long"}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got, err := ParseDigestAdd(tt.args, digestEnv(), digestZone)
			if tt.schedule == "" {
				if err == nil {
					t.Fatalf("no error, got %+v", got)
				}
				var qe *QueryError
				if !errors.As(err, &qe) {
					t.Fatalf("error %T, want *QueryError", err)
				}
				for _, want := range tt.errHas {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				if strings.Contains(tt.args, "every 30s live") && strings.Contains(err.Error(), "unassigned") {
					t.Errorf("error %q quotes the query", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if s := got.Schedule.String(); s != tt.schedule {
				t.Errorf("schedule %q, want %q", s, tt.schedule)
			}
			if got.Schedule.Location() != digestZone {
				t.Errorf("schedule zone %v, want %v", got.Schedule.Location(), digestZone)
			}
			if got.Title != tt.title {
				t.Errorf("title %q, want %q", got.Title, tt.title)
			}
			if got.Quiet != tt.quiet {
				t.Errorf("quiet %v, want %v", got.Quiet, tt.quiet)
			}
			if c := got.Query.Canonical(); c != tt.query {
				t.Errorf("query %q, want %q", c, tt.query)
			}
		})
	}
}

func TestParseDigestPreview(t *testing.T) {
	tests := []struct {
		args, title, query, err string
	}{
		{`title "Morning queue" live unassigned`, "Morning queue", "live unassigned", ""},
		{`online`, "", "online", ""},
		{``, "", "live unassigned", ""},
		{`title "VIPs"`, "VIPs", "live unassigned", ""},
		{`quiet title "x" online`, "x", "online", ""}, // pasted from an add: quiet is ignored
		{`title VIPs online`, "", "", "Put the title in quotes"},
		{`tga:vip`, "", "", "tga:"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			title, q, err := ParseDigestPreview(tt.args, digestEnv())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if title != tt.title || q.Canonical() != tt.query {
				t.Errorf("got title %q query %q, want %q %q", title, q.Canonical(), tt.title, tt.query)
			}
		})
	}
}

func TestParseDigestID(t *testing.T) {
	tests := []struct {
		args, want, err string
	}{
		{"d3", "d3", ""},
		{"  D12 ", "d12", ""},
		{"`d3`", "d3", ""},
		{"morning-queue", "morning-queue", ""},
		{"", "", "Which digest? Usage: `/inbox digest run ID`"},
		{"d3 d4", "", "Give one digest id"},
		{"<!channel>", "", "is not a digest id"},
		{strings.Repeat("d", 65), "", "is not a digest id"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got, err := ParseDigestID("run", tt.args)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "<!") {
					t.Errorf("error %q holds live markup", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseDigestID(%q) = %q, %v; want %q", tt.args, got, err, tt.want)
			}
		})
	}
}

func TestNewDigest(t *testing.T) {
	add, err := ParseDigestAdd(`weekdays 09:00 quiet title "Morning queue" is:live no:assignee`, digestEnv(), digestZone)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDigest(add, "d3", "C0123456789", "U024BE7LH", renderNow)
	want := Digest{ID: "d3", Channel: "C0123456789", Schedule: "weekdays 09:00", Query: "live unassigned", Words: add.Query.Words(),
		Title: "Morning queue", Quiet: true, CreatedBy: "U024BE7LH", CreatedAt: renderNow, Source: DigestSourceSlack}
	if d != want {
		t.Errorf("NewDigest = %+v, want %+v", d, want)
	}
}

func TestDigestSentences(t *testing.T) {
	next := time.Date(2026, 11, 23, 9, 0, 0, 0, digestZone)
	tests := []struct {
		got, want string
	}{
		{DigestNotInChannel(), "I can't post in this channel yet: `/invite @inboxbot`, then try again."},
		{DigestAdminsOnly("add", []string{"U1AAA", "U2BBB", "<!channel>"}), "Only <@U1AAA> and <@U2BBB> may use `/inbox digest add`: ask one of them."},
		{DigestAdminsOnly("remove", nil), "Only the admins (ADMIN_USERS) may use `/inbox digest remove`."},
		{DigestNotFound("d9"), "There is no digest `d9` here: `/inbox digest list` shows them."},
		{DigestNotFound("<!here>"), "There is no digest `&lt;!here&gt;` here: `/inbox digest list` shows them."},
		{DigestFileRule("morning-queue"), "`morning-queue` is declared in RULES_FILE: edit the file to remove it."},
		{DigestRemoved("d3"), "Removed digest `d3`."},
		{DigestPausedMsg("d3"), "Paused digest `d3`: it posts nothing until `/inbox digest resume d3`."},
		{DigestResumed("d3", next), "Resumed digest `d3`: next run Mon 23 Nov 09:00 CET."},
		{DigestResumed("d3", time.Time{}), "Resumed digest `d3`."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %q\nwant %q", tt.got, tt.want)
		}
	}
}

func TestIsDigestBlock(t *testing.T) {
	for id, want := range map[string]bool{blockDigestActions: true, "digest_x": true, blockActions: false, "": false, "digests": false} {
		if got := IsDigestBlock(id); got != want {
			t.Errorf("IsDigestBlock(%q) = %v", id, got)
		}
	}
}

func FuzzParseDigestAdd(f *testing.F) {
	for _, s := range []string{
		`weekdays 09:00 quiet title "Morning queue" live unassigned`, `every 30m live`, `0 9 * * 1-5 live`,
		`"daily 09:00" online`, `every 30s live`, ``, `title "x"`, `@hourly "a b" tag:"c d"`, "daily 09:00 title “x” \xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		add, err := ParseDigestAdd(args, digestEnv(), digestZone)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %T: %v", err, err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error is not UTF-8: %q", err)
			}
			return
		}
		if add.Schedule.IsZero() || add.Query == nil {
			t.Fatalf("no error but %+v", add)
		}
		if n := utf8.RuneCountInString(add.Title); n > MaxDigestTitle || strings.ContainsAny(add.Title, "\n\r\t") {
			t.Fatalf("title %q", add.Title)
		}
		// What is saved parses back to the same digest.
		again, err := schedule.Parse(add.Schedule.String(), digestZone)
		if err != nil || again.String() != add.Schedule.String() {
			t.Fatalf("schedule %q does not parse back: %v", add.Schedule, err)
		}
		q, err := Parse(add.Query.Canonical(), digestEnv())
		if err != nil || !q.Equal(add.Query) {
			t.Fatalf("query %q does not parse back: %v", add.Query.Canonical(), err)
		}
		if _, _, err := ParseDigestPreview(args, digestEnv()); err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("preview error %T", err)
			}
		}
		if _, err := ParseDigestID("run", args); err != nil && !errors.As(err, new(*QueryError)) {
			t.Fatalf("id error %T", err)
		}
	})
}
