package bot

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/commands/schedule"
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

// configDefault returns the default tag of the Config field read from name.
func configDefault(name string) (string, bool) {
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if f := t.Field(i); f.Tag.Get("envconfig") == name {
			return f.Tag.Get("default"), true
		}
	}
	return "", false
}

// readmeConfigRow is one row of the README's configuration table.
type readmeConfigRow struct {
	line     int
	names    []string // "TZ / DIGEST_TZ" and "LOG_LEVEL, LOG_FORMAT" name two
	defaults []string // the code spans of the default column, in the order of names
	meaning  string
}

var (
	configVarName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	codeSpan      = regexp.MustCompile("`([^`]*)`")
)

// readmeConfigTable reads the table under the README's "## Configuration"
// heading: the one list of variables that Config, the deploy files and the
// tests are held to (it is SPEC §4's table, with our notes).
func readmeConfigTable(t *testing.T) []readmeConfigRow {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := slices.Index(lines, "## Configuration")
	if start < 0 {
		t.Fatal("README.md has no \"## Configuration\" section")
	}
	header := slices.Index(lines[start:], "| variable | default | meaning |")
	if header < 0 {
		t.Fatal("the Configuration section has no | variable | default | meaning | table")
	}
	var rows []readmeConfigRow
	for i := start + header + 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
		cells := strings.Split(strings.Trim(strings.ReplaceAll(lines[i], `\|`, "\x00"), "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("README.md:%d: %d cells, want 3: %s", i+1, len(cells), lines[i])
		}
		row := readmeConfigRow{line: i + 1, meaning: strings.ReplaceAll(cells[2], "\x00", "|")}
		for _, name := range strings.FieldsFunc(cells[0], func(r rune) bool { return r == '/' || r == ',' || r == ' ' }) {
			if !configVarName.MatchString(name) {
				t.Fatalf("README.md:%d: %q is not a variable name", i+1, name)
			}
			row.names = append(row.names, name)
		}
		if !strings.HasPrefix(strings.TrimSpace(cells[1]), "—") {
			for _, m := range codeSpan.FindAllStringSubmatch(cells[1], -1) {
				row.defaults = append(row.defaults, m[1])
			}
		}
		if len(row.names) == 0 || len(row.defaults) > len(row.names) {
			t.Fatalf("README.md:%d: %d names and %d defaults: %s", i+1, len(row.names), len(row.defaults), lines[i])
		}
		rows = append(rows, row)
	}
	if len(rows) < 10 {
		t.Fatalf("the README's configuration table has %d rows; it was not read", len(rows))
	}
	return rows
}

// readmeConfigNames returns every variable of the README's table.
func readmeConfigNames(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, row := range readmeConfigTable(t) {
		names = append(names, row.names...)
	}
	return names
}

// TestConfigIsTheREADMETable keeps Config and the README's configuration
// table in step: every row is a Config field and every field a row, with the
// same default. A variable whose row gives no default of its own (DIGEST_TZ
// falls back to TZ; "—") has no default tag.
func TestConfigIsTheREADMETable(t *testing.T) {
	seen := map[string]int{}
	for _, row := range readmeConfigTable(t) {
		for i, name := range row.names {
			if prev, dup := seen[name]; dup {
				t.Errorf("README.md:%d: %s is already in the table (line %d)", row.line, name, prev)
			}
			seen[name] = row.line
			got, ok := configDefault(name)
			if !ok {
				t.Errorf("README.md:%d documents %s, which Config does not read", row.line, name)
				continue
			}
			want := ""
			if i < len(row.defaults) {
				want = row.defaults[i]
			}
			if got != want {
				t.Errorf("%s: Config's default is %q, the README's %q", name, got, want)
			}
		}
	}
	for _, name := range configNames() {
		if _, ok := seen[name]; !ok {
			t.Errorf("Config reads %s, which the README's configuration table does not document", name)
		}
	}
}

// TestNotYetUsedIsTheREADMEs: a variable that does nothing yet says so in
// the README, and the README says so of no other. In a row of several
// variables the note names the variable ("DIGEST_TZ is not used yet").
func TestNotYetUsedIsTheREADMEs(t *testing.T) {
	for _, row := range readmeConfigTable(t) {
		meaning := strings.ToLower(row.meaning)
		says := strings.Contains(meaning, "not used yet")
		marked := false
		for _, name := range row.names {
			if !slices.Contains(notYetUsed, name) {
				continue
			}
			marked = true
			noted := says
			if len(row.names) > 1 {
				noted = strings.Contains(meaning, strings.ToLower(name)+" is not used yet")
			}
			if !noted {
				t.Errorf("README.md:%d: %s is not used yet (notYetUsed), and its row does not say so", row.line, name)
			}
		}
		if says && !marked {
			t.Errorf("README.md:%d: the row of %v says \"not used yet\", but none of them is in notYetUsed", row.line, row.names)
		}
	}
}

var envAssignment = regexp.MustCompile(`(?m)^(?:#\s*)?(?:ENV\s+|Environment=)?([A-Z][A-Z0-9_]+)=`)

// TestDeployFilesUseKnownVariables: every variable a deploy file sets is in
// the README's configuration table (and so, by TestConfigIsTheREADMETable,
// read by Config), so a typo in a manifest cannot silently do nothing.
func TestDeployFilesUseKnownVariables(t *testing.T) {
	documented := readmeConfigNames(t)
	files := []string{"../deploy/inboxbot.env.example", "../deploy/inboxbot.service", "../deploy/Dockerfile"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		matches := envAssignment.FindAllStringSubmatch(string(data), -1)
		if len(matches) == 0 && !strings.HasSuffix(f, "Dockerfile") {
			t.Errorf("%s sets no variable: the pattern no longer reads it", f)
		}
		for _, m := range matches {
			if m[1] == "CGO_ENABLED" || m[1] == "VERSION" || m[1] == "COMMIT" {
				continue // build-time, not configuration
			}
			if !slices.Contains(documented, m[1]) {
				t.Errorf("%s sets %s, which the README's configuration table does not document", f, m[1])
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
	for _, want := range []string{"command: /inbox", "socket_mode_enabled: true", "is_enabled: true", "- commands", "- files:write", "- chat:write"} {
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
		if !slices.Contains([]string{"commands", "files:write", "chat:write"}, s) && !strings.HasPrefix(s, "command:") {
			t.Errorf("manifest asks for scope %q, which the bot does not use", s)
		}
	}
}

// TestEnvExampleInARealShell sources deploy/inboxbot.env.example as the
// README's step 4 does, in bash, and checks every assignment means in sh
// what it means to systemd's EnvironmentFile= (and, as shipped, to docker's
// --env-file), and that the configuration loaded from the shell's
// environment is the one the file describes. It does so for the file as
// shipped and with every commented-out setting switched on, as an operator
// filling it in would.
func TestEnvExampleInARealShell(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here")
	}
	data, err := os.ReadFile("../deploy/inboxbot.env.example")
	if err != nil {
		t.Fatal(err)
	}
	shipped := string(data)
	variants := []struct {
		name, text string
		check      func(t *testing.T, cfg *Config)
	}{
		{"as shipped", shipped, func(t *testing.T, cfg *Config) {
			if cfg.InboxDefaultQuery != "live unassigned" {
				t.Errorf("INBOX_DEFAULT_QUERY = %q", cfg.InboxDefaultQuery)
			}
		}},
		{"every setting uncommented", commentedSettings.ReplaceAllString(shipped, "$1"), func(t *testing.T, cfg *Config) {
			if cfg.InboxDefaultQuery != "live unassigned" {
				t.Errorf("INBOX_DEFAULT_QUERY = %q, want live unassigned", cfg.InboxDefaultQuery)
			}
			if len(cfg.InboxBots) != 1 || len(cfg.InboxAgents) != 1 || len(cfg.InboxSegments) != 1 ||
				len(cfg.AllowedChannels) != 1 || len(cfg.AllowedUsers) != 1 || cfg.InboxWebURL == "" {
				t.Errorf("the commented examples did not all load: %+v", cfg)
			}
		}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "inboxbot.env")
			if err := os.WriteFile(file, []byte(v.text), 0o600); err != nil {
				t.Fatal(err)
			}
			// Exactly the README's line, then the environment it leaves.
			cmd := exec.Command(bash, "--noprofile", "--norc", "-c", `set -a; . "$1"; set +a; env -0`, "bash", file)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil || stderr.Len() > 0 {
				t.Fatalf("sourcing the file in bash: %v\n%s", err, stderr.String())
			}
			shell := map[string]string{}
			for _, kv := range strings.Split(string(out), "\x00") {
				if k, val, ok := strings.Cut(kv, "="); ok {
					shell[k] = val
				}
			}

			systemd, docker := readEnvFile(t, v.text)
			if len(systemd) == 0 {
				t.Fatal("no assignments found")
			}
			sets := map[string]string{}
			for name, want := range systemd {
				got, ok := shell[name]
				switch {
				case !ok:
					t.Errorf("%s: sh leaves it unset; systemd reads %q", name, want)
				case got != want:
					t.Errorf("%s: sh reads %q, systemd %q", name, got, want)
				}
				if v.text == shipped && docker[name] != want {
					t.Errorf("%s: docker --env-file reads %q, sh and systemd %q: ship it without quotes or spaces", name, docker[name], want)
				}
				sets[name] = got
			}

			fromShell := loadConfigFrom(t, sets)
			fromFile := loadConfigFrom(t, systemd)
			if !reflect.DeepEqual(fromShell, fromFile) {
				t.Errorf("the shell's configuration differs from the file's:\nshell: %+v\nfile:  %+v", fromShell, fromFile)
			}
			v.check(t, fromShell)
		})
	}
}

// commentedSettings matches a commented-out assignment ("# NAME=value").
var commentedSettings = regexp.MustCompile(`(?m)^#\s*([A-Z][A-Z0-9_]*=.*)$`)

// readEnvFile reads an environment file the way systemd's EnvironmentFile=
// does (one pair of surrounding quotes removed) and the way docker's
// --env-file does (the value verbatim).
func readEnvFile(t *testing.T, text string) (systemd, docker map[string]string) {
	t.Helper()
	systemd, docker = map[string]string{}, map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("not an assignment: %q", line)
		}
		docker[name] = value
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		systemd[name] = value
	}
	return systemd, docker
}

// loadConfigFrom loads the configuration from exactly env.
func loadConfigFrom(t *testing.T, env map[string]string) *Config {
	t.Helper()
	cleanEnv(t, env)
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return cfg
}

// TestEnvFilesAreIgnored: a filled-in inboxbot.env is never committed.
func TestEnvFilesAreIgnored(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git here")
	}
	for _, path := range []string{"inboxbot.env", "deploy/inboxbot.env", "inboxbot.db"} {
		cmd := exec.Command(git, "check-ignore", "--no-index", "-q", path)
		cmd.Dir = ".."
		if err := cmd.Run(); err != nil {
			t.Errorf("git does not ignore %s (.gitignore): %v", path, err)
		}
	}
	cmd := exec.Command(git, "check-ignore", "--no-index", "-q", "deploy/inboxbot.env.example")
	cmd.Dir = ".."
	if cmd.Run() == nil {
		t.Error("git ignores the example env file")
	}
}

// TestDockerBuildContext: the image is stamped by build args, and the build
// context carries no history, no env files and no state, but every source
// file.
func TestDockerBuildContext(t *testing.T) {
	dockerfile, err := os.ReadFile("../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(dockerfile)
	for _, want := range []string{"ARG VERSION", "ARG COMMIT", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`(?mi)^\s*(COPY|ADD)\s.*\.git\b.*$`).FindString(df); m != "" {
		t.Errorf("Dockerfile copies the repository's history: %q", m)
	}
	main, err := os.ReadFile("../main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"version", "commit"} {
		if !regexp.MustCompile(`(?m)^\s*` + v + `\s*=`).Match(main) {
			t.Errorf("main.go has no variable %s for -X main.%s", v, v)
		}
	}

	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatalf("no .dockerignore: %v", err)
	}
	excluded := dockerIgnore(t, string(ignore))
	for _, path := range []string{".git", ".git/HEAD", "inboxbot.env", "deploy/inboxbot.env", "deploy/inboxbot.env.example",
		".env", "inboxbot.db", "data/inboxbot.db"} {
		if !excluded(path) {
			t.Errorf(".dockerignore lets %s into the build context", path)
		}
	}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, ".."+string(filepath.Separator)))
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if (strings.HasSuffix(rel, ".go") || rel == "go.mod" || rel == "go.sum") && excluded(rel) {
			t.Errorf(".dockerignore leaves %s out of the build", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dockerIgnore returns whether a .dockerignore excludes a path, following
// docker's rules: patterns are slash paths from the context's root, * and ?
// stay within a directory, ** spans any number of directories, ! re-includes,
// the last match wins, and excluding a directory excludes what is in it.
func dockerIgnore(t *testing.T, text string) func(path string) bool {
	t.Helper()
	type rule struct {
		re      *regexp.Regexp
		include bool
	}
	var rules []rule
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		include := strings.HasPrefix(line, "!")
		pattern := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(strings.TrimPrefix(line, "!"))), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(pattern); i++ {
			switch c := pattern[i]; {
			case strings.HasPrefix(pattern[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(pattern[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		rules = append(rules, rule{regexp.MustCompile(re.String()), include})
	}
	return func(path string) bool {
		parts := strings.Split(path, "/")
		for i := range parts {
			prefix := strings.Join(parts[:i+1], "/")
			out := false
			for _, r := range rules {
				if r.re.MatchString(prefix) {
					out = !r.include
				}
			}
			if out {
				return true
			}
		}
		return false
	}
}

// TestSystemdUnitIsHardened requires each hardening setting of the unit (the
// score itself is TestSystemdUnitSecurityScore's, where systemd-analyze is
// installed).
func TestSystemdUnitIsHardened(t *testing.T) {
	settings := unitSettings(t, "../deploy/inboxbot.service")
	required := []struct{ key, value string }{
		{"DynamicUser", "yes"},
		{"StateDirectory", "inboxbot"},
		{"Environment", "STORE_URL=bolt:///var/lib/inboxbot/inboxbot.db"},
		{"UMask", "0077"},
		{"Restart", "on-failure"},
		{"RestartPreventExitStatus", "78"},
		{"CapabilityBoundingSet", ""},
		{"AmbientCapabilities", ""},
		{"NoNewPrivileges", "yes"},
		{"PrivateUsers", "yes"},
		{"RestrictSUIDSGID", "yes"},
		{"RemoveIPC", "yes"},
		{"LockPersonality", "yes"},
		{"RestrictRealtime", "yes"},
		{"MemoryDenyWriteExecute", "yes"},
		{"ProtectSystem", "strict"},
		{"ProtectHome", "yes"},
		{"PrivateTmp", "yes"},
		{"PrivateDevices", "yes"},
		{"ProtectProc", "invisible"},
		{"ProcSubset", "pid"},
		{"ProtectKernelTunables", "yes"},
		{"ProtectKernelModules", "yes"},
		{"ProtectKernelLogs", "yes"},
		{"ProtectControlGroups", "yes"},
		{"ProtectClock", "yes"},
		{"ProtectHostname", "yes"},
		{"RestrictNamespaces", "yes"},
		{"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
		{"SystemCallFilter", "@system-service"},
		{"SystemCallArchitectures", "native"},
	}
	for _, r := range required {
		if !slices.Contains(settings[r.key], r.value) {
			t.Errorf("inboxbot.service lacks %s=%s (has %q)", r.key, r.value, settings[r.key])
		}
	}
}

// unitSettings returns the [Service] settings of a unit file, each key with
// its values in order.
func unitSettings(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string][]string{}
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, _ := strings.Cut(line, "=")
			settings[strings.TrimSpace(k)] = append(settings[strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return settings
}

// TestSystemdUnitSecurityScore runs `systemd-analyze security --offline=yes`
// on the unit and requires an exposure under 3 ("OK"), with no setting
// systemd does not understand. CI installs systemd for it; elsewhere it
// skips when systemd-analyze is missing.
func TestSystemdUnitSecurityScore(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" {
			t.Fatal("systemd-analyze is missing in CI; .ci/run installs the systemd package for this test")
		}
		t.Skip("systemd-analyze is not installed (apt-get install systemd); TestSystemdUnitIsHardened still checks the settings")
	}
	cmd := exec.Command(analyze, "security", "--offline=yes", "--no-pager", "../deploy/inboxbot.service")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			t.Errorf("systemd-analyze: %s", line)
		}
	}
	m := regexp.MustCompile(`Overall exposure level for inboxbot\.service: (\d+(?:\.\d+)?)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in the output:\n%s", out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	if score >= 3 {
		var exposed []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "✗") {
				exposed = append(exposed, strings.Join(strings.Fields(line), " "))
			}
		}
		t.Errorf("the unit's exposure is %.1f, want under 3; exposed:\n%s", score, strings.Join(exposed, "\n"))
	}
}

// TestREADMERulesFileLoads keeps the README's RULES_FILE examples true:
// every ```yaml block of it loads as a rules file.
func TestREADMERulesFileLoads(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(data), "```yaml\n")[1:]
	if len(blocks) == 0 {
		t.Fatal("the README shows no RULES_FILE example")
	}
	env := commands.RulesEnv{
		Query:    commands.Env{Now: cliNow},
		Schedule: func(s string) error { _, err := schedule.Parse(s, time.UTC); return err },
	}
	for _, b := range blocks {
		yaml, _, _ := strings.Cut(b, "```")
		rf, err := commands.ParseRulesFile([]byte(yaml), env)
		if err != nil {
			t.Errorf("the README's example does not load: %v\n%s", err, yaml)
			continue
		}
		if len(rf.Digests)+len(rf.Alerts) == 0 {
			t.Errorf("the README's example declares nothing:\n%s", yaml)
		}
		for _, fa := range rf.Alerts {
			if _, err := commands.AlertRuleFromFile(fa, env.Query, time.UTC, time.Minute); err != nil {
				t.Errorf("the README's alert %s does not load: %v", fa.ID, err)
			}
		}
	}
}
