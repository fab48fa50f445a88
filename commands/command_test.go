package commands

import (
	"encoding/json"

	"errors"
	"github.com/convertalk/inboxbot/commands/blockcheck"
	"strings"
	"testing"
	"time"
)

func commandEnv() Env {
	return Env{
		Now:          time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
		DefaultQuery: "live unassigned",
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text string
		want string // Name() of the command, then details
		// for queries and exports: the canonical query
		canonical string
		verb      string
		args      string
		topic     string
		isDefault bool
	}{
		{text: "", want: "query", canonical: "live unassigned", isDefault: true},
		{text: "   ", want: "query", canonical: "live unassigned", isDefault: true},
		{text: "online tag:vip", want: "query", canonical: "online tag:vip"},
		{text: "-live", want: "query", canonical: "-live"},
		{text: "hello", want: "query", canonical: "hello"},
		{text: "expert", want: "query", canonical: "expert"},
		{text: "digset", want: "query", canonical: "digset"},
		{text: "help", want: "help"},
		{text: "HELP", want: "help"},
		{text: "help digest", want: "help", topic: "digest"},
		{text: "help alerts", want: "help", topic: "alert"},
		{text: "help export", want: "help", topic: "export"},
		{text: "help nothing", want: "help"},
		{text: "export", want: "export", canonical: "live unassigned"},
		{text: "export online tag:vip", want: "export", canonical: "online tag:vip"},
		{text: "Export  online", want: "export", canonical: "online"},
		{text: "digest", want: "help", topic: "digest"},
		{text: "digests", want: "help", topic: "digest"},
		{text: "alert", want: "help", topic: "alert"},
		{text: "digest list", want: "digest", verb: "list"},
		{text: "digest LIST all", want: "digest", verb: "list", args: "all"},
		{text: `digest add weekdays 09:00 title "Morning" live`, want: "digest", verb: "add", args: `weekdays 09:00 title "Morning" live`},
		{text: "digest run d3", want: "digest", verb: "run", args: "d3"},
		{text: "digest remove d3", want: "digest", verb: "remove", args: "d3"},
		{text: "digest pause d3", want: "digest", verb: "pause", args: "d3"},
		{text: "digest resume d3", want: "digest", verb: "resume", args: "d3"},
		{text: "digest preview live", want: "digest", verb: "preview", args: "live"},
		{text: "alert add count>=5 live unassigned", want: "alert", verb: "add", args: "count>=5 live unassigned"},
		{text: "alert list", want: "alert", verb: "list"},
		{text: "alerts list", want: "alert", verb: "list"},
		{text: "alert remove a1", want: "alert", verb: "remove", args: "a1"},
		{text: "alert mute a1 1h", want: "alert", verb: "mute", args: "a1 1h"},
		{text: "alert unmute a1", want: "alert", verb: "unmute", args: "a1"},
		{text: "alert test new online", want: "alert", verb: "test", args: "new online"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			cmd, err := ParseCommand(tt.text, commandEnv())
			if err != nil {
				t.Fatalf("ParseCommand(%q): %v", tt.text, err)
			}
			if cmd.Name() != tt.want {
				t.Fatalf("ParseCommand(%q) = %s %+v, want %s", tt.text, cmd.Name(), cmd, tt.want)
			}
			switch c := cmd.(type) {
			case *QueryCommand:
				if got := c.Query.Canonical(); got != tt.canonical || c.Default != tt.isDefault {
					t.Errorf("query %q default %v, want %q default %v", got, c.Default, tt.canonical, tt.isDefault)
				}
			case *ExportCommand:
				if got := c.Query.Canonical(); got != tt.canonical {
					t.Errorf("export query %q, want %q", got, tt.canonical)
				}
			case *HelpCommand:
				if c.Topic != tt.topic {
					t.Errorf("help topic %q, want %q", c.Topic, tt.topic)
				}
			case *DigestCommand:
				if c.Verb != tt.verb || c.Args != tt.args {
					t.Errorf("digest %q %q, want %q %q", c.Verb, c.Args, tt.verb, tt.args)
				}
			case *AlertCommand:
				if c.Verb != tt.verb || c.Args != tt.args {
					t.Errorf("alert %q %q, want %q %q", c.Verb, c.Args, tt.verb, tt.args)
				}
			default:
				t.Fatalf("unexpected command type %T", cmd)
			}
		})
	}
}

func TestParseCommandTypos(t *testing.T) {
	tests := []struct {
		text       string
		suggestion string
		mentions   string
	}{
		{"digset list", "digest list", "`digset`"},
		{"digets add daily 09:00 live", "digest add", "`digets`"},
		{"aler list", "alert list", "`aler`"},
		{"alret mute a1 1h", "alert mute", "`alret`"},
		{"digest lst", "digest list", "`digest lst`"},
		{"digest remvoe d1", "digest remove", "`digest remvoe`"},
		{"alert unmtue a1", "alert unmute", "`alert unmtue`"},
		{"digest frobnicate", "", "add, list, run, remove, pause, resume and preview"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, err := ParseCommand(tt.text, commandEnv())
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("ParseCommand(%q) err = %v, want a *QueryError", tt.text, err)
			}
			if qe.Suggestion != tt.suggestion {
				t.Errorf("suggestion %q, want %q (%s)", qe.Suggestion, tt.suggestion, qe.Error())
			}
			if !strings.Contains(qe.Error(), tt.mentions) {
				t.Errorf("message %q does not mention %q", qe.Error(), tt.mentions)
			}
		})
	}
}

// A query error inside a command is the query's own error, suggestion
// included.
func TestParseCommandQueryErrors(t *testing.T) {
	for _, text := range []string{"tga:vip", "export tga:vip"} {
		_, err := ParseCommand(text, commandEnv())
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Suggestion != "tag:vip" {
			t.Errorf("ParseCommand(%q) = %v, want the tga:vip suggestion", text, err)
		}
	}
	env := commandEnv()
	env.DefaultQuery = "tga:vip"
	if _, err := ParseCommand("", env); err == nil {
		t.Error("a bad default query parsed")
	}
}

func TestComingSoon(t *testing.T) {
	// Every feature is built; the sentence stays for the next one.
	if msg := ComingSoon(&AlertCommand{Verb: "add"}); !strings.Contains(msg, "coming soon") || !strings.Contains(msg, "add") {
		t.Errorf("ComingSoon(alert add) = %q", msg)
	}
	for _, text := range []string{"help", "export live", "live", "digest list", "alert add count>=5 live", "alert list"} {
		cmd, err := ParseCommand(text, commandEnv())
		if err != nil {
			t.Fatal(err)
		}
		if !Ready(cmd) {
			t.Errorf("%q: Ready = false", text)
		}
	}
}

// Every row of the table parses by its name and by each alias, and every
// verb of it parses: the table, not a second list, decides.
func TestCommandTableParses(t *testing.T) {
	for _, spec := range commandTable {
		for _, name := range append([]string{spec.name}, spec.aliases...) {
			for _, v := range append([]verbSpec{{name: ""}}, spec.verbs...) {
				text := strings.TrimSpace(name + " " + v.name)
				cmd, err := ParseCommand(text, commandEnv())
				if err != nil {
					t.Errorf("ParseCommand(%q): %v", text, err)
					continue
				}
				want := spec.name
				if v.name == "" && len(spec.verbs) > 0 {
					want = "help"
				}
				if cmd.Name() != want {
					t.Errorf("ParseCommand(%q) = %s, want %s", text, cmd.Name(), want)
				}
			}
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "help", "digest add daily 09:00 live", "digset list", "alert mute a1 1h", "export tag:vip", "online"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := ParseCommand(text, commandEnv())
		if (cmd == nil) == (err == nil) {
			t.Fatalf("ParseCommand(%q) = %v, %v: want exactly one of a command and an error", text, cmd, err)
		}
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Error() == "" {
				t.Fatalf("ParseCommand(%q) error %v is not a worded *QueryError", text, err)
			}
		}
	})
}

// The help of each command lists every verb of the table, in both
// renderings, within Block Kit's limits.
func TestTopicHelp(t *testing.T) {
	for _, spec := range commandTable {
		if spec.name == "help" {
			continue
		}
		text := TopicHelpText(spec.name)
		raw, err := json.Marshal(TopicHelpBlocks(spec.name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range blockcheck.Check(raw) {
			t.Errorf("help %s: Block Kit problem: %v", spec.name, p)
		}
		for _, v := range spec.verbs {
			if !strings.Contains(text, "/inbox "+spec.name+" "+v.name) {
				t.Errorf("TopicHelpText(%s) lacks verb %s:\n%s", spec.name, v.name, text)
			}
			if !strings.Contains(string(raw), "/inbox "+spec.name+" "+v.name) {
				t.Errorf("TopicHelpBlocks(%s) lack verb %s", spec.name, v.name)
			}
		}
		if !spec.ready && !strings.Contains(text, "coming soon") {
			t.Errorf("TopicHelpText(%s) does not say it is coming soon", spec.name)
		}
	}
	if TopicHelpText("nothing") != HelpText() {
		t.Error("an unknown topic is not the whole help")
	}
	for _, line := range commandHelpLines(false) {
		if strings.TrimSpace(line) == "" {
			t.Error("an empty command line in the help")
		}
	}
}
