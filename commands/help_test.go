package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convertalk/inboxbot/commands/blockcheck"
)

// TestHelpFormsParse checks that everything the help shows is valid: each
// form, negation and is:/has:/no: spelling of the table, and each example.
func TestHelpFormsParse(t *testing.T) {
	env := testEnv(t)
	var shown []string
	for _, q := range qualifierTable {
		if q.name == "text" {
			continue
		}
		shown = append(shown, q.forms...)
		if q.negation != "" {
			shown = append(shown, q.negation)
		}
		for _, f := range q.flags {
			shown = append(shown, f.form)
		}
	}
	shown = append(shown, helpExamples...)
	for _, s := range shown {
		if _, err := Parse(s, env); err != nil {
			t.Errorf("help shows %q, which does not parse: %v", s, err)
		}
	}
}

// TestHelpCoversTable checks that the help is generated from the table:
// every qualifier's forms and description appear in both renderings.
func TestHelpCoversTable(t *testing.T) {
	text := HelpText()
	blocks, err := json.Marshal(HelpBlocks())
	if err != nil {
		t.Fatal(err)
	}
	var blockText strings.Builder
	for _, b := range HelpBlocks() {
		raw, _ := json.Marshal(b)
		var v struct {
			Text struct{ Text string } `json:"text"`
		}
		_ = json.Unmarshal(raw, &v)
		blockText.WriteString(v.Text.Text + "\n")
	}
	for _, q := range qualifierTable {
		for _, f := range q.forms {
			if !strings.Contains(text, f) {
				t.Errorf("HelpText lacks %q", f)
			}
			if !strings.Contains(blockText.String(), escapeHelp(f)) {
				t.Errorf("HelpBlocks lack %q", f)
			}
		}
		if !strings.Contains(text, plainHelp(q.desc)) {
			t.Errorf("HelpText lacks the description of %s", q.name)
		}
	}
	if len(blocks) == 0 {
		t.Fatal("no blocks")
	}
	// The sub-commands come from the command table, in both renderings.
	for _, c := range commandTable {
		form := "/inbox " + c.usage
		if !strings.Contains(text, form) {
			t.Errorf("HelpText lacks the command %q", form)
		}
		if !strings.Contains(blockText.String(), escapeHelp(form)) {
			t.Errorf("HelpBlocks lack the command %q", form)
		}
		if !c.ready && !strings.Contains(text, plainHelp(c.summary)+" (coming soon)") {
			t.Errorf("HelpText does not say %s is coming soon", c.name)
		}
	}
}

// TestHelpBlocksLimits checks Block Kit's limits with the shared checker.
func TestHelpBlocksLimits(t *testing.T) {
	blocks := HelpBlocks()
	if len(blocks) > 50 {
		t.Fatalf("%d blocks, more than 50", len(blocks))
	}
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range blockcheck.Check(raw) {
		t.Errorf("Block Kit problem: %v", p)
	}
	if strings.Contains(string(raw), "<D") || strings.Contains(string(raw), "\\u003cD") {
		t.Error("an unescaped < reaches mrkdwn")
	}
}

func TestPackLines(t *testing.T) {
	long := strings.Repeat("x", 1000)
	texts := packLines("*T*", []string{long, long, long, long})
	if len(texts) != 2 {
		t.Fatalf("%d sections, want 2", len(texts))
	}
	for _, s := range texts {
		if len(s) > maxHelpSection {
			t.Errorf("section of %d bytes", len(s))
		}
	}
	if got := packLines("*T*", []string{strings.Repeat("é", 2000)}); len(got[0]) > maxHelpSection || !strings.HasPrefix(got[0], "*T*\né") {
		t.Errorf("an over-long line is not cut cleanly: %d bytes", len(got[0]))
	}
}

// TestHelpGolden keeps the terminal help under review as a golden file.
func TestHelpGolden(t *testing.T) {
	file := filepath.Join("testdata", "help.txt")
	got := HelpText()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("HelpText changed; run go test -update and review testdata/help.txt:\n%s", got)
	}
}
