package bot

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// configNames returns every variable name Config reads.
func configNames() []string {
	var names []string
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("envconfig"); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// TestConfigNamesAreTheSpecs keeps Config, the test helper and SPEC §4 in step.
func TestConfigNamesAreTheSpecs(t *testing.T) {
	got := configNames()
	slices.Sort(got)
	want := slices.Clone(configVars)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Config reads %v, SPEC §4 names %v", got, want)
	}
}

var envAssignment = regexp.MustCompile(`(?m)^(?:#\s*)?(?:ENV\s+|Environment=)?([A-Z][A-Z0-9_]+)=`)

// TestDeployFilesUseKnownVariables: every variable a deploy file sets is one
// the program reads, so a typo in a manifest cannot silently do nothing.
func TestDeployFilesUseKnownVariables(t *testing.T) {
	known := configNames()
	files := []string{"../deploy/inboxbot.env.example", "../deploy/inboxbot.service", "../deploy/Dockerfile"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		matches := envAssignment.FindAllStringSubmatch(string(data), -1)
		for _, m := range matches {
			if m[1] == "CGO_ENABLED" || m[1] == "VERSION" {
				continue // build-time, not configuration
			}
			if !slices.Contains(known, m[1]) {
				t.Errorf("%s sets %s, which inboxbot does not read", f, m[1])
			}
		}
	}
}

// TestManifestMatchesTheBot checks the Slack app manifest declares what the
// bot relies on, and no more scopes than it uses.
func TestManifestMatchesTheBot(t *testing.T) {
	data, err := os.ReadFile("../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := string(data)
	for _, want := range []string{"command: /inbox", "socket_mode_enabled: true", "is_enabled: true", "- commands", "- files:write"} {
		if !strings.Contains(m, want) {
			t.Errorf("manifest lacks %q", want)
		}
	}
	var scopes []string
	for _, line := range strings.Split(m, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "- "); ok && strings.Contains(s, ":") || s == "commands" {
			scopes = append(scopes, s)
		}
	}
	for _, s := range scopes {
		if !slices.Contains([]string{"commands", "files:write"}, s) && !strings.HasPrefix(s, "command:") {
			t.Errorf("manifest asks for scope %q, which the bot does not use", s)
		}
	}
}
