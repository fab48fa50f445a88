package commands

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Kolkata on machines without zoneinfo

	"github.com/convertalk/inboxbot/inbox"
)

// testNow is the fixed clock of the query tests.
var testNow = time.Date(2026, 11, 24, 15, 4, 5, 0, time.UTC)

// testAliases is the alias set of the query tests: no facebook bot, so that
// channel:facebook is checked on our side; carol has no Slack user.
func testAliases(t testing.TB) Aliases {
	t.Helper()
	bots, err := ParseBots("sales=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0,support=whatsapp:65f0c1d2e3f4a5b6c7d8e9f1," +
		"web=website:65f0c1d2e3f4a5b6c7d8e9f2,tg=telegram:65f0c1d2e3f4a5b6c7d8e9f3")
	if err != nil {
		t.Fatal(err)
	}
	agents, err := ParseAgents("alice=65ab12cd34ef56ab78cd90ef@U024BE7LH,bob=65ab12cd34ef56ab78cd90f0@U0BOB0001,carol=65ab12cd34ef56ab78cd90f1")
	if err != nil {
		t.Fatal(err)
	}
	segments, err := ParseSegments("returning=65cc00000000000000000001,trial=65cc00000000000000000002")
	if err != nil {
		t.Fatal(err)
	}
	return Aliases{Bots: bots, Agents: agents, Segments: segments}
}

// testEnv is the environment of the query tests: alice (U024BE7LH) asks.
func testEnv(t testing.TB) Env {
	return Env{Now: testNow, Location: time.UTC, Aliases: testAliases(t), SlackUser: "U024BE7LH"}
}

const goldenSeparator = "\n----------\n"

// TestQueryGolden runs every case of testdata/queries: the query (after
// optional "# tz ZONE" and "# user SLACKID" lines), a separator line, then
// either the request body and, after another separator, the canonical
// form, the words and the predicate; or "error: " and the message.
func TestQueryGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "queries", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 45 {
		t.Fatalf("only %d golden cases; want at least 45", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, _ := strings.Cut(string(data), goldenSeparator)
			env, query := goldenEnv(t, input)
			got := describeParse(t, query, env)
			if *update {
				if err := os.WriteFile(file, []byte(input+goldenSeparator+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("Parse(%q):\n got:\n%s\nwant:\n%s", query, got, want)
			}
		})
	}
}

// goldenEnv reads the directives at the top of a case and returns the
// environment and the query (the rest, newlines being whitespace).
func goldenEnv(t *testing.T, input string) (Env, string) {
	t.Helper()
	env := testEnv(t)
	lines := strings.Split(input, "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "# ") {
		directive, value, _ := strings.Cut(strings.TrimPrefix(lines[0], "# "), " ")
		switch directive {
		case "tz":
			loc, err := time.LoadLocation(value)
			if err != nil {
				t.Fatal(err)
			}
			env.Location = loc
		case "user":
			env.SlackUser = value
		case "noaliases":
			env.Aliases = Aliases{}
		default:
			t.Fatalf("unknown directive %q", lines[0])
		}
		lines = lines[1:]
	}
	return env, strings.Join(lines, "\n")
}

// describeParse writes what the golden files hold for one query.
func describeParse(t *testing.T, query string, env Env) string {
	t.Helper()
	q, err := Parse(query, env)
	if err != nil {
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Fatalf("error %T is not a *QueryError: %v", err, err)
		}
		return "error: " + err.Error() + "\n"
	}
	body, err := json.MarshalIndent(q.Filter(), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return string(body) + goldenSeparator +
		"canonical: " + q.Canonical() + "\n" +
		"words: " + q.Words() + "\n" +
		"predicate: " + describePredicate(q.pred) + "\n"
}

// describePredicate summarises the client-side predicate for golden files.
func describePredicate(p predicate) string {
	var parts []string
	switch p.assigned {
	case yes:
		parts = append(parts, "assigned to someone")
	case no:
		parts = append(parts, "unassigned")
	}
	for k := range numLists {
		for _, clause := range p.lists[k].all {
			parts = append(parts, listKeys[k]+" any of ["+strings.Join(clause, " ")+"]")
		}
		if not := p.lists[k].not; len(not) > 0 {
			parts = append(parts, listKeys[k]+" none of ["+strings.Join(not, " ")+"]")
		}
	}
	for _, w := range p.waiting {
		parts = append(parts, "last by user, "+w.canon())
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// TestParseFilterRoundTrip checks that every golden body survives the
// inbox package's own reading of it (UnmarshalJSON), as the fake API does.
func TestParseFilterRoundTrip(t *testing.T) {
	env := testEnv(t)
	for _, s := range helpExamples {
		q, err := Parse(s, env)
		if err != nil {
			t.Fatalf("help example %q: %v", s, err)
		}
		body, err := json.Marshal(q.Filter())
		if err != nil {
			t.Fatal(err)
		}
		var back inbox.Filter
		if err := json.Unmarshal(body, &back); err != nil {
			t.Fatalf("%q: body does not read back: %v", s, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(body) {
			t.Errorf("%q: body changed on reading back:\n%s\n%s", s, body, again)
		}
	}
}
