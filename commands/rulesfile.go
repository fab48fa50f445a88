package commands

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxRulesFileSize bounds RULES_FILE: a file of rules is small, and a
// huge one is a mistake (or an attack on the YAML parser).
const MaxRulesFileSize = 1 << 20

// RulesFile is RULES_FILE (SPEC §8a): digests and alerts declared in YAML
// (or JSON, which is YAML) by teams that keep configuration in git.
type RulesFile struct {
	Digests []FileDigest
	Alerts  []FileAlert
}

// FileDigest is one digest of RULES_FILE, its fields as written; Parse
// has checked each of them.
type FileDigest struct {
	ID       string
	Channel  string
	Schedule string
	Query    string
	Title    string
	Quiet    bool
	Line     int // the line of the entry, for later messages
}

// FileAlert is one alert of RULES_FILE, its fields as written. Lines maps
// each field name to its line, so the alert's own checks can name it.
type FileAlert struct {
	ID      string
	Channel string
	Query   string
	When    string
	For     string
	Keep    string
	Repeat  string
	Notify  string
	Hours   string
	Wait    string
	Line    int
	Lines   map[string]int
}

// RulesFileError is a problem in RULES_FILE, at a line.
type RulesFileError struct {
	Line   int // 1-based; 0 when the problem has no line (the file is empty)
	Reason string
}

// Error writes "RULES_FILE line N: reason".
func (e *RulesFileError) Error() string {
	if e.Line <= 0 {
		return "RULES_FILE: " + e.Reason
	}
	return "RULES_FILE line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

// RulesEnv is what checking a rules file needs: the query environment (no
// Slack user: file rules run as nobody in particular) and the checks of
// the parts that have their own grammar.
type RulesEnv struct {
	Query Env
	// Schedule checks a digest's schedule; nil accepts any.
	Schedule func(text string) error
}

// fileIDPattern is the form of an operator's rule id: short, readable in
// `list` and in a command (`/inbox digest run morning-queue`).
var fileIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// slackIDs are the ids the bot gives rules made in Slack (d1, a12): a file
// id of that form could collide with one of them.
var slackIDs = regexp.MustCompile(`^[da][0-9]+$`)

// channelPattern is a Slack conversation id.
var channelPattern = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)

// ParseRulesFile reads RULES_FILE. Every problem is a *RulesFileError that
// names the line of the offending key or value; unknown keys are errors, so
// a typo (`schedul:`) is never silently ignored.
func ParseRulesFile(data []byte, env RulesEnv) (*RulesFile, error) {
	if len(data) > MaxRulesFileSize {
		return nil, &RulesFileError{Reason: fmt.Sprintf("the file is %d bytes; the limit is %d", len(data), MaxRulesFileSize)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(err)
	}
	rf := &RulesFile{}
	if len(doc.Content) == 0 {
		return rf, nil // an empty file declares nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &RulesFileError{Line: root.Line, Reason: "the file must be a mapping with `digests:` and/or `alerts:`"}
	}
	seen := map[string]int{} // id -> line, across digests and alerts
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i], root.Content[i+1]
		var err error
		switch key.Value {
		case "digests":
			rf.Digests, err = parseEntries(value, "digests", seen, func(n *yaml.Node) (FileDigest, error) { return parseFileDigest(n, env) })
		case "alerts":
			rf.Alerts, err = parseEntries(value, "alerts", seen, func(n *yaml.Node) (FileAlert, error) { return parseFileAlert(n, env) })
		default:
			err = &RulesFileError{Line: key.Line, Reason: "unknown key " + quoteYAML(key.Value) + "; the file has `digests:` and `alerts:`"}
		}
		if err != nil {
			return nil, err
		}
	}
	return rf, nil
}

// parseEntries reads a sequence of rule mappings, checking that ids are
// unique across the whole file.
func parseEntries[T any](seq *yaml.Node, name string, seen map[string]int, parse func(*yaml.Node) (T, error)) ([]T, error) {
	if seq.Kind == yaml.ScalarNode && seq.Tag == "!!null" {
		return nil, nil
	}
	if seq.Kind != yaml.SequenceNode {
		return nil, &RulesFileError{Line: seq.Line, Reason: "`" + name + ":` must be a list (each entry starts with `- `)"}
	}
	out := make([]T, 0, len(seq.Content))
	for _, item := range seq.Content {
		if item.Kind != yaml.MappingNode {
			return nil, &RulesFileError{Line: item.Line, Reason: "each entry of `" + name + ":` must be a mapping of keys (id, channel, ...)"}
		}
		if id, line := scalarOf(item, "id"); id != "" {
			if first, dup := seen[id]; dup {
				return nil, &RulesFileError{Line: line, Reason: "the id " + quoteYAML(id) + " is already used on line " + strconv.Itoa(first)}
			}
			seen[id] = line
		}
		v, err := parse(item)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// fields walks a rule mapping: each known key's value must be a scalar; an
// unknown key is an error naming the known ones.
func fields(m *yaml.Node, known []string, set func(key string, value *yaml.Node) error) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, value := m.Content[i], m.Content[i+1]
		if !slices.Contains(known, key.Value) {
			msg := "unknown key " + quoteYAML(key.Value) + "; the keys are " + strings.Join(known, ", ")
			if s := closest(key.Value, known); s != "" {
				msg += ". Did you mean `" + s + "`?"
			}
			return &RulesFileError{Line: key.Line, Reason: msg}
		}
		if value.Kind != yaml.ScalarNode {
			return &RulesFileError{Line: value.Line, Reason: "`" + key.Value + "` must be a single value"}
		}
		if err := set(key.Value, value); err != nil {
			return err
		}
	}
	return nil
}

var digestKeys = []string{"id", "channel", "schedule", "query", "title", "quiet"}

func parseFileDigest(m *yaml.Node, env RulesEnv) (FileDigest, error) {
	d := FileDigest{Line: m.Line}
	lines := map[string]int{}
	err := fields(m, digestKeys, func(key string, v *yaml.Node) error {
		lines[key] = v.Line
		switch key {
		case "id":
			d.ID = v.Value
		case "channel":
			d.Channel = v.Value
		case "schedule":
			d.Schedule = v.Value
		case "query":
			d.Query = v.Value
		case "title":
			d.Title = v.Value
		case "quiet":
			b, ok := yamlBool(v)
			if !ok {
				return &RulesFileError{Line: v.Line, Reason: "`quiet` must be true or false, not " + quoteYAML(v.Value)}
			}
			d.Quiet = b
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	for _, req := range []string{"id", "channel", "schedule", "query"} {
		if _, ok := lines[req]; !ok {
			return d, &RulesFileError{Line: m.Line, Reason: "this digest has no `" + req + "`"}
		}
	}
	if err := checkRuleCommon(d.ID, d.Channel, d.Query, lines, env); err != nil {
		return d, err
	}
	if env.Schedule != nil {
		if err := env.Schedule(d.Schedule); err != nil {
			return d, &RulesFileError{Line: lines["schedule"], Reason: err.Error()}
		}
	}
	if n := len([]rune(d.Title)); n > maxTitleLength {
		return d, &RulesFileError{Line: lines["title"], Reason: fmt.Sprintf("the title is %d characters; the limit is %d", n, maxTitleLength)}
	}
	return d, nil
}

// maxTitleLength keeps a digest's title inside Slack's 150-character
// header with room for the count.
const maxTitleLength = 100

var alertKeys = []string{"id", "channel", "query", "when", "for", "keep", "repeat", "notify", "hours", "wait"}

func parseFileAlert(m *yaml.Node, env RulesEnv) (FileAlert, error) {
	a := FileAlert{Line: m.Line, Lines: map[string]int{}}
	err := fields(m, alertKeys, func(key string, v *yaml.Node) error {
		a.Lines[key] = v.Line
		*a.field(key) = v.Value
		return nil
	})
	if err != nil {
		return a, err
	}
	for _, req := range []string{"id", "channel", "query", "when"} {
		if _, ok := a.Lines[req]; !ok {
			return a, &RulesFileError{Line: m.Line, Reason: "this alert has no `" + req + "`"}
		}
	}
	return a, checkRuleCommon(a.ID, a.Channel, a.Query, a.Lines, env)
}

// field returns the field of a named key (one of alertKeys).
func (a *FileAlert) field(key string) *string {
	switch key {
	case "id":
		return &a.ID
	case "channel":
		return &a.Channel
	case "query":
		return &a.Query
	case "when":
		return &a.When
	case "for":
		return &a.For
	case "keep":
		return &a.Keep
	case "repeat":
		return &a.Repeat
	case "notify":
		return &a.Notify
	case "hours":
		return &a.Hours
	}
	return &a.Wait
}

// checkRuleCommon checks what digests and alerts share: the id, the
// channel and the query.
func checkRuleCommon(id, channel, query string, lines map[string]int, env RulesEnv) error {
	switch {
	case !fileIDPattern.MatchString(id):
		return &RulesFileError{Line: lines["id"], Reason: "the id " + quoteYAML(id) + " must be lower-case letters, digits, - and _ (at most 64), e.g. `morning-queue`"}
	case slackIDs.MatchString(id):
		return &RulesFileError{Line: lines["id"], Reason: "the id " + quoteYAML(id) + " looks like one the bot gives rules made in Slack (d1, a1); choose a name, e.g. `morning-queue`"}
	case !channelPattern.MatchString(channel):
		return &RulesFileError{Line: lines["channel"], Reason: "the channel " + quoteYAML(channel) + " must be a Slack channel id like C0123456789 (in Slack: the channel's name -> About -> Channel ID)"}
	}
	if _, err := Parse(query, env.Query); err != nil {
		return &RulesFileError{Line: lines["query"], Reason: "the query: " + errorText(err)}
	}
	return nil
}

// errorText is an error's message without Slack's code-span backticks,
// for a log line or a terminal.
func errorText(err error) string {
	var qe *QueryError
	if errors.As(err, &qe) {
		return strings.ReplaceAll(qe.Error(), "`", "")
	}
	return err.Error()
}

// yamlError turns a YAML syntax error ("yaml: line 3: ...") into a
// RulesFileError with the line.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = strings.TrimPrefix(te.Errors[0], "yaml: ")
	}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, reason, _ := strings.Cut(rest, ":")
		if n, err := strconv.Atoi(num); err == nil {
			return &RulesFileError{Line: n, Reason: "not valid YAML: " + strings.TrimSpace(reason)}
		}
	}
	return &RulesFileError{Reason: "not valid YAML: " + msg}
}

func yamlBool(v *yaml.Node) (bool, bool) {
	switch strings.ToLower(v.Value) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

// scalarOf returns the value and line of key in mapping m.
func scalarOf(m *yaml.Node, key string) (string, int) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value, m.Content[i+1].Line
		}
	}
	return "", 0
}

// quoteYAML quotes a value from the file for a message, shortened.
func quoteYAML(s string) string {
	return "`" + strings.ReplaceAll(Truncate(s, 60), "`", "'") + "`"
}
