package bot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/commands/blockcheck"
)

// cliNow is the fixed clock of the CLI tests.
var cliNow = time.Date(2026, 11, 24, 15, 4, 5, 0, time.UTC)

// runCLI runs inboxbot with args and stdin, returning stdout, stderr and the
// exit status main would use.
func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := mainWithClock(t.Context(), args, IO{In: strings.NewReader(stdin), Out: &out, Err: &errOut},
		BuildInfo{Version: "test"}, func() time.Time { return cliNow })
	code = ExitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestCLIQuery(t *testing.T) {
	cleanEnv(t, nil)
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string // in stdout, or in stderr when code != 0
	}{
		{"text answer", []string{"query", "online", "tag:vip"}, 0, []string{"contacts — online tag:vip", "online · tag vip"}},
		{"default page", []string{"query", "live", "unassigned"}, 0, []string{"live unassigned"}},
		{"page flag", []string{"query", "--page", "2", "tag:vip"}, 0, []string{"page 2"}},
		{"bad query exits 2", []string{"query", "tga:vip"}, 2, []string{"inboxbot: ", "Did you mean `tag:vip`?"}},
		{"contradiction exits 2", []string{"query", "online", "offline"}, 2, []string{"online", "offline"}},
		{"json and body exclusive", []string{"query", "--json", "--body", "live"}, 2, []string{"exclusive"}},
		{"a query may start with a dash", []string{"query", "-live", "tag:vip"}, 0, []string{"-live tag:vip"}},
		{"flags then a dashed query", []string{"query", "--page=2", "-interacted"}, 0, []string{"-interacted", "page 2"}},
		{"double dash ends flags", []string{"query", "--", "-live"}, 0, []string{"-live"}},
		{"unknown double-dash flag", []string{"query", "--pages", "2", "live"}, 2, []string{"inboxbot: query: ", "-pages"}},
		{"flags after the query", []string{"query", "online", "--json"}, 0, []string{`"blocks"`, "online"}},
		{"page flag after the query", []string{"query", "tag:vip", "--page", "2"}, 0, []string{"tag:vip", "page 2"}},
		{"known single-dash flag after the query", []string{"query", "live", "-json"}, 0, []string{`"blocks"`}},
		{"unknown flag after the query", []string{"query", "online", "--x"}, 2, []string{"inboxbot: query: ", "-x"}},
		{"--page 0 is an error like page:0", []string{"query", "--page", "0", "live"}, 2, []string{"`--page 0`: the page must be at least 1.", "--page 1"}},
		{"--page=0 too", []string{"query", "--page=0"}, 2, []string{"`--page 0`: the page must be at least 1."}},
		{"--page past the last", []string{"query", "--page", "100001", "live"}, 2, []string{"at most 100000"}},
		{"an empty value hints at the shell", []string{"query", "waiting:", "channel:whatsapp"}, 2, []string{"`waiting:` needs a value", "quote a value with < or >", "'waiting:>…'"}},
		{"an empty excluded value too", []string{"query", "-seen:"}, 2, []string{"'seen:>…'"}},
		{"help as in Slack", []string{"query", "help"}, 0, []string{"Inbox query syntax", "waiting:"}},
		{"help is the first word, any case", []string{"query", "HELP", "me"}, 0, []string{"Inbox query syntax"}},
		{"help has no body", []string{"query", "--body", "help"}, 2, []string{"no request body"}},
		{"export is refused, as in the shell", []string{"query", "export", "live"}, 2, []string{"inboxbot: query: " + exportInSlackOnly}},
		{"digest list lives in Slack", []string{"query", "digest", "list"}, 2, []string{"inboxbot: query: digest list works in Slack"}},
		{"digest preview renders the digest", []string{"query", "digest", "preview", "title", `"Morning queue"`, "live", "unassigned"}, 0, []string{"Morning queue · ", "oldest waiting: ", "By channel: ", "By assignee: ", " 1. "}},
		{"digest preview as Block Kit", []string{"query", "--json", "digest", "preview", "live"}, 0, []string{`"blocks"`, `"header"`}},
		{"digest preview of a bad query", []string{"query", "digest", "preview", "tga:vip"}, 2, []string{"Did you mean `tag:vip`?"}},
		{"schedule in words with its next runs", []string{"schedule", "weekdays 09:00"}, 0, []string{"weekdays at 09:00 UTC", "next runs:", "Wed 2026-11-25 09:00 UTC", "Mon 2026-11-30 09:00 UTC"}},
		{"schedule -n", []string{"schedule", "-n", "2", "every", "7h"}, 0, []string{"every 7 hours", "Tue 2026-11-24 21:00 UTC", "Wed 2026-11-25 00:00 UTC"}},
		{"a bad schedule quotes it and shows the forms", []string{"schedule", "evry 5m"}, 2, []string{"I can't read the schedule evry 5m", "weekdays 09:00", "(cron)"}},
		{"schedule needs a schedule", []string{"schedule"}, 2, []string{`inboxbot schedule "weekdays 09:00"`}},
		{"alerts are managed in Slack", []string{"query", "alerts", "mute", "a1", "1h"}, 2, []string{"alert mute works in Slack"}},
		{"alert test", []string{"query", "alert", "test", "count>=1", "online"}, 0, []string{"The condition holds", "It would post:", "[Ack]"}},
		{"a mistyped sub-command is corrected", []string{"query", "digset", "list"}, 2, []string{"`digset` is not an /inbox command.", "Did you mean `digest list`?"}},
		{"help alert lists the alert verbs", []string{"query", "help", "alert"}, 0, []string{"/inbox alert: ", "/inbox alert add", "/inbox alert unmute ID", "/inbox alert test"}},
		{"a bare digest is its help", []string{"query", "digest"}, 0, []string{"/inbox digest preview"}},
		{"quoted help is searched", []string{"query", `"help"`}, 0, []string{`matching "help"`}},
		{"unknown command", []string{"frobnicate"}, 2, []string{"unknown command", "inboxbot help"}},
		{"help", []string{"help"}, 0, []string{"shell", "query", "demo-api", "check", "version"}},
		{"version", []string{"version"}, 0, []string{"inboxbot test", "go1."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "", tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			where := stdout
			if code != 0 {
				where = stderr
				if strings.Count(strings.TrimSpace(stderr), "\n") > 0 && !strings.Contains(stderr, "Usage of") {
					t.Errorf("error is not one line: %q", stderr)
				}
			}
			for _, want := range tt.contains {
				if !strings.Contains(where, want) {
					t.Errorf("output lacks %q:\n%s", want, where)
				}
			}
		})
	}
}

// TestCLIQueryBody: `query --body interacted` prints the seed's sample body.
func TestCLIQueryBody(t *testing.T) {
	cleanEnv(t, nil)
	stdout, stderr, code := runCLI(t, "", "query", "--body", "interacted")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	seed, err := os.ReadFile("../inbox/testdata/seed-interacted.json")
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--body is not JSON: %v\n%s", err, stdout)
	}
	if err := json.Unmarshal(seed, &want); err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("body differs from the seed sample:\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

// TestCLIQueryJSON: `query --json` prints a payload Slack would accept.
func TestCLIQueryJSON(t *testing.T) {
	cleanEnv(t, nil)
	for _, q := range []string{"live unassigned", "online tag:vip unassigned", "status:closed created:2020-01-01", "<!channel>"} {
		stdout, stderr, code := runCLI(t, "", "query", "--json", q)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", q, code, stderr)
		}
		var payload struct {
			Text   string          `json:"text"`
			Blocks json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal([]byte(stdout), &payload); err != nil {
			t.Fatalf("%q: not JSON: %v", q, err)
		}
		if problems := blockcheck.CheckMessage(payload.Text, payload.Blocks); len(problems) > 0 {
			t.Errorf("%q: Slack would refuse it: %v", q, problems)
		}
		if strings.Contains(stdout, "<!channel>") {
			t.Errorf("%q: an unescaped <!channel> reached the payload", q)
		}
	}
}

func TestCLIConfigErrorNamesVariable(t *testing.T) {
	cleanEnv(t, map[string]string{"INBOX_TIMEOUT": "soon"})
	_, stderr, code := runCLI(t, "", "query", "live")
	if code != ExitConfig || !strings.HasPrefix(stderr, "inboxbot: INBOX_TIMEOUT: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want exit 78 and one line naming INBOX_TIMEOUT", code, stderr)
	}
}

// TestCLIRunReportsEveryProblem: `run` names every problem at once, one
// line each, and exits 78 (EX_CONFIG) so that systemd stops restarting it.
func TestCLIRunReportsEveryProblem(t *testing.T) {
	cleanEnv(t, map[string]string{"LOG_FORMAT": "xml", "HTTP_ADDR": ":99999", "SLACK_APP_TOKEN": "xapp-replace-me"})
	_, stderr, code := runCLI(t, "", "run")
	if code != ExitConfig {
		t.Errorf("exit %d, want %d", code, ExitConfig)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	want := []string{"SLACK_BOT_TOKEN: missing", "SLACK_APP_TOKEN: is still the example's placeholder", "INBOX_API_TOKEN: missing", "HTTP_ADDR: ", "LOG_FORMAT: "}
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), stderr)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], "inboxbot: "+w) {
			t.Errorf("line %d is %q, want it to start with %q", i, lines[i], "inboxbot: "+w)
		}
	}
}

func TestExitCode(t *testing.T) {
	two := ConfigErrors{{"SLACK_BOT_TOKEN", "missing"}, {"LOG_FORMAT", "\"xml\" is not json or text"}}
	tests := []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"success", nil, 0, ""},
		{"interrupt", context.Canceled, 0, ""},
		{"usage", &UsageError{"bad flag"}, 2, "inboxbot: bad flag\n"},
		{"one config error", &ConfigError{"HTTP_ADDR", "bad"}, ExitConfig, "inboxbot: HTTP_ADDR: bad\n"},
		{"config errors, one line each", two, ExitConfig, "inboxbot: SLACK_BOT_TOKEN: missing\ninboxbot: LOG_FORMAT: \"xml\" is not json or text\n"},
		{"check with config problems", &checkFailed{failed: 2, config: true}, ExitConfig, "inboxbot: check found 2 problem(s)\n"},
		{"check with connectivity problems", &checkFailed{failed: 1}, 1, "inboxbot: check found 1 problem(s)\n"},
		{"other", errors.New("slack socket mode stopped:\n  boom"), 1, "inboxbot: slack socket mode stopped: boom\n"},
	}
	for _, tt := range tests {
		var w bytes.Buffer
		if code := ExitCode(tt.err, &w); code != tt.code || w.String() != tt.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tt.name, code, w.String(), tt.code, tt.stderr)
		}
	}
}

func TestCLIShell(t *testing.T) {
	cleanEnv(t, nil)
	script := strings.Join([]string{
		"next",                 // nothing to page yet
		"/inbox tag:vip",       // the /inbox prefix is optional
		"next", "prev", "prev", // second page, back, and the edge
		"refresh", "json", "body",
		"tga:vip",                       // a bad query, explained
		"/inbox export live",            // a Slack-only command, explained
		"/inbox HELP me",                // help is the first word, as in Slack
		"digest list",                   // lives in Slack, not a search
		"digest preview tag:vip",        // the digest as text
		"help alert",                    // the help of one command
		"alert test count>=4000 online", // a rule tested once: it does not hold
		"alert list",                    // lives in Slack
		"digset list",                   // a typo, corrected
		"quit",
		"this line is never read",
	}, "\n")
	stdout, stderr, code := runCLI(t, script, "shell")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"embedded demo inbox",
		"Type a query first.",
		"tag:vip", "page 2", "This is the first page.",
		`"blocks"`, `"applicableFilters"`,
		"Did you mean `tag:vip`?",
		"works in Slack",
		"seen:",
		"digest list works in Slack",
		"By channel: ", "By assignee: ",
		"/inbox alert unmute ID",
		"The condition does not hold", "Nothing would be posted now.",
		"alert list works in Slack",
		"Did you mean `digest list`?",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("shell output lacks %q", want)
		}
	}
	if strings.Contains(stdout, "this line is never read") {
		t.Error("the shell kept reading after quit")
	}
}

func TestCLIShellEndsOnEOFAndCancel(t *testing.T) {
	cleanEnv(t, nil)
	if _, stderr, code := runCLI(t, "live\n", "shell"); code != 0 {
		t.Fatalf("EOF: exit %d: %s", code, stderr)
	}
	// Cancel while the shell waits for input that never comes.
	ctx, cancel := context.WithCancel(t.Context())
	in, inWriter := io.Pipe()
	defer inWriter.Close()
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- mainWithClock(ctx, []string{"shell"}, IO{In: in, Out: &out, Err: io.Discard}, BuildInfo{}, func() time.Time { return cliNow })
	}()
	cancel()
	select {
	case err := <-done:
		if ExitCode(err, io.Discard) != 0 {
			t.Errorf("cancelled shell returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the shell did not stop when its context was cancelled")
	}
}

// TestDemoAPIParity: a query against `inboxbot demo-api` through
// INBOX_API_URL gives the same answer as the embedded demo inbox.
func TestDemoAPIParity(t *testing.T) {
	cleanEnv(t, nil)
	queries := [][]string{
		{"online", "tag:vip", "unassigned"},
		{"live", "unassigned"},
		{"--page", "3", "status:open"},
		{"waiting:>10m", "channel:whatsapp"},
		{"assigned:" + "alice", "seen:30d"},
		{"segment:returning", "-tag:vip"},
	}
	embedded := make([]string, len(queries))
	for i, q := range queries {
		stdout, stderr, code := runCLI(t, "", append([]string{"query"}, q...)...)
		if code != 0 {
			t.Fatalf("embedded %v: exit %d: %s", q, code, stderr)
		}
		embedded[i] = stdout
	}

	env := startDemoAPI(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	for i, q := range queries {
		stdout, stderr, code := runCLI(t, "", append([]string{"query"}, q...)...)
		if code != 0 {
			t.Fatalf("over HTTP %v: exit %d: %s", q, code, stderr)
		}
		if stdout != embedded[i] {
			t.Errorf("%v: the answers differ\nembedded:\n%s\nover HTTP:\n%s", q, embedded[i], stdout)
		}
	}
}

// startDemoAPI runs `inboxbot demo-api` on a free port and returns the
// environment it prints.
func startDemoAPI(t *testing.T) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- mainWithClock(ctx, []string{"demo-api", "--addr", "127.0.0.1:0"},
			IO{In: strings.NewReader(""), Out: outW, Err: io.Discard}, BuildInfo{}, func() time.Time { return cliNow })
		outW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("demo-api: %v", err)
		}
	})
	env := map[string]string{}
	sc := bufio.NewScanner(outR)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		for _, assignment := range strings.Fields(line) {
			k, v, _ := strings.Cut(assignment, "=")
			env[k] = v
		}
		if _, ok := env["INBOX_SEGMENTS"]; ok {
			break
		}
	}
	go io.Copy(io.Discard, outR)
	for _, k := range []string{"INBOX_API_URL", "INBOX_API_TOKEN", "INBOX_BOTS", "INBOX_AGENTS", "INBOX_SEGMENTS"} {
		if env[k] == "" {
			t.Fatalf("demo-api did not print %s (got %v)", k, env)
		}
	}
	return env
}

// TestCLIQueryJSONErrors: with --json an error is printed as the Block Kit
// message Slack would show for the same text (without the terminal's shell
// hint), and the exit status stays that of the error.
func TestCLIQueryJSONErrors(t *testing.T) {
	cleanEnv(t, nil)
	slackWords := func(text string) string {
		_, err := commands.Parse(text, commands.Env{Now: cliNow, Location: time.UTC})
		if err == nil {
			t.Fatalf("%q parses", text)
		}
		return commands.Explain(err)
	}
	tests := []struct {
		name string
		args []string
		text string // the message's text
	}{
		{"a bad query", []string{"query", "--json", "tga:vip"}, slackWords("tga:vip")},
		{"flag after the query", []string{"query", "online", "offline", "--json"}, slackWords("online offline")},
		{"an empty value: Slack's words, no shell hint", []string{"query", "--json", "waiting:"}, slackWords("waiting:")},
		{"--page 0", []string{"query", "--json", "--page", "0", "live"}, "`--page 0`: the page must be at least 1. Did you mean `--page 1`?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "", tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			var want bytes.Buffer
			if err := writeBlockKit(&want, commands.RenderError(tt.text)); err != nil {
				t.Fatal(err)
			}
			if stdout != want.String() {
				t.Errorf("stdout is not Slack's error message:\n got %s\nwant %s", stdout, want.String())
			}
			checkBlockKit(t, stdout)
			if !strings.HasPrefix(stderr, "inboxbot: ") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr should still be the one-line error, got %q", stderr)
			}
		})
	}

	t.Run("an inbox error", func(t *testing.T) {
		cleanEnv(t, map[string]string{"INBOX_API_URL": closedURL(t), "INBOX_API_TOKEN": "test-token", "INBOX_MAX_ATTEMPTS": "1"})
		stdout, stderr, code := runCLI(t, "", "query", "--json", "live")
		if code != 1 {
			t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		checkBlockKit(t, stdout)
	})

	t.Run("alert verbs live in Slack", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, "", "query", "--json", "alert", "list")
		if code != 2 || stdout != "" || !strings.Contains(stderr, alertInSlackOnly("list")) {
			t.Fatalf("exit %d, want 2 and the sentence on stderr\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})

	t.Run("alert test", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, "", "query", "--json", "alert", "test", "count>=1", "online")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		checkBlockKit(t, stdout)
		if !strings.Contains(stdout, "It would post") {
			t.Errorf("alert test --json does not show the message it would post:\n%s", stdout)
		}
	})

	t.Run("help topic", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, "", "query", "--json", "help", "digest")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var want bytes.Buffer
		if err := writeBlockKit(&want, helpMessage("digest")); err != nil {
			t.Fatal(err)
		}
		if stdout != want.String() || !strings.Contains(stdout, "/inbox digest add") {
			t.Errorf("query --json help digest is not Slack's help of digest:\n%s", stdout)
		}
		checkBlockKit(t, stdout)
	})

	t.Run("help", func(t *testing.T) {
		stdout, stderr, code := runCLI(t, "", "query", "help", "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var want bytes.Buffer
		if err := writeBlockKit(&want, helpMessage("")); err != nil {
			t.Fatal(err)
		}
		if stdout != want.String() {
			t.Errorf("query --json help is not Slack's help message")
		}
		checkBlockKit(t, stdout)
	})
}

// TestCLIQueryHelpIsTheShellsHelp: `query help` prints what the shell's
// help prints.
func TestCLIQueryHelpIsTheShellsHelp(t *testing.T) {
	cleanEnv(t, nil)
	stdout, _, code := runCLI(t, "", "query", "help")
	if code != 0 || stdout != commands.HelpText()+"\n" {
		t.Errorf("exit %d; query help printed\n%s", code, stdout)
	}
}

// checkBlockKit fails unless out is one payload Slack would accept.
func checkBlockKit(t *testing.T, out string) {
	t.Helper()
	var payload struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(out), &payload); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if payload.Text == "" {
		t.Error("the payload has no text")
	}
	if problems := blockcheck.CheckMessage(payload.Text, payload.Blocks); len(problems) > 0 {
		t.Errorf("Slack would refuse it: %v", problems)
	}
}

// closedURL returns an http URL on which nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestREADMEOneShotExamplesSurviveTheShell runs every `query` example of the
// README through a real shell, as a reader pasting it would: none may
// redirect (an unquoted > writes a file and cuts the query short), and each
// must answer. At least one shows how to quote < or >.
func TestREADMEOneShotExamplesSurviveTheShell(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here")
	}
	cleanEnv(t, nil)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var examples []string
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "    ") {
			continue // not a code block
		}
		for _, prefix := range []string{"go run . query ", "inboxbot query "} {
			if _, rest, ok := strings.Cut(line, prefix); ok {
				examples = append(examples, rest)
				break
			}
		}
	}
	quotesAngle := false
	for _, ex := range examples {
		quotesAngle = quotesAngle || strings.ContainsAny(ex, "<>")
		dir := t.TempDir()
		cmd := exec.Command(bash, "--noprofile", "--norc", "-c", `args() { printf '%s\0' "$@"; }; args `+ex)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("README example %q: the shell fails: %v", ex, err)
			continue
		}
		if files, _ := os.ReadDir(dir); len(files) > 0 {
			t.Errorf("README example %q: the shell wrote a file %q (quote < and >)", ex, files[0].Name())
		}
		args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		if stdout, stderr, code := runCLI(t, "", append([]string{"query"}, args...)...); code != 0 {
			t.Errorf("README example %q (args %q): exit %d\n%s%s", ex, args, code, stdout, stderr)
		}
	}
	if len(examples) == 0 || !quotesAngle {
		t.Errorf("the README should show a one-shot query with a quoted < or > (got %q)", examples)
	}
}
