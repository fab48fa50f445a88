package commands

import (
	"strings"
	"unicode"
)

// Command is one /inbox command, typed: *QueryCommand, *HelpCommand,
// *ExportCommand, *DigestCommand or *AlertCommand. Slack, the shell and
// `inboxbot query` switch on it; none of them reads words of its own.
type Command interface {
	// Name is the command's name in the table ("query" for a query).
	Name() string
}

// QueryCommand is a query: `/inbox online tag:vip`. Default is true when
// the text was blank and the query is INBOX_DEFAULT_QUERY.
type QueryCommand struct {
	Query   *Query
	Default bool
}

// HelpCommand is `/inbox help [TOPIC]`; Topic is a command name from the
// table ("digest", "alert", "export") or "" for the whole help.
type HelpCommand struct{ Topic string }

// ExportCommand is `/inbox export QUERY`: a CSV of every match.
type ExportCommand struct{ Query *Query }

// DigestCommand is `/inbox digest VERB ARGS`; Verb is one of the digest
// verbs of the table and Args the text after it, read by the digest's own
// parser.
type DigestCommand struct {
	Verb string
	Args string
}

// AlertCommand is `/inbox alert VERB ARGS`, as DigestCommand for alerts.
type AlertCommand struct {
	Verb string
	Args string
}

// Name implements Command.
func (*QueryCommand) Name() string { return "query" }

// Name implements Command.
func (*HelpCommand) Name() string { return "help" }

// Name implements Command.
func (*ExportCommand) Name() string { return "export" }

// Name implements Command.
func (*DigestCommand) Name() string { return "digest" }

// Name implements Command.
func (*AlertCommand) Name() string { return "alert" }

// commandSpec is one row of the sub-command table: it parses the command
// and describes it for the help and the suggestions.
type commandSpec struct {
	name    string
	aliases []string
	usage   string // after "/inbox "
	summary string
	verbs   []verbSpec
	// ready is false while the feature is announced but not built: its
	// commands parse (so they are never searched as text) and answer
	// ComingSoon.
	ready bool
	// parse reads the words after the command's name. Help is read by
	// ParseCommand itself, since it looks topics up in this table.
	parse func(spec *commandSpec, rest string, env Env) (Command, error)
}

// verbSpec is one verb of a command with verbs (digest, alert).
type verbSpec struct {
	name    string
	usage   string // after "/inbox NAME "
	summary string
}

// commandTable is the one table of sub-commands: it drives ParseCommand,
// the help and the did-you-mean of a mistyped command.
var commandTable = []commandSpec{
	{
		name:    "help",
		usage:   "help [digest|alert|export]",
		summary: "this help",
		ready:   true,
	},
	{
		name:    "export",
		usage:   "export QUERY",
		summary: "upload a CSV of every contact that matches to the channel",
		ready:   true,
		parse:   parseExport,
	},
	{
		name:    "digest",
		aliases: []string{"digests"},
		usage:   "digest add|list|run|remove|pause|resume|preview ...",
		summary: "post who is waiting to this channel on a schedule",
		ready:   true,
		verbs: []verbSpec{
			{"add", "add SCHEDULE [quiet] [title \"...\"] QUERY", "post QUERY to this channel on SCHEDULE"},
			{"list", "list [all]", "the digests of this channel (of all channels with `all`)"},
			{"run", "run ID", "post a digest now"},
			{"remove", "remove ID", "delete a digest"},
			{"pause", "pause ID", "stop a digest's schedule"},
			{"resume", "resume ID", "restart a digest's schedule"},
			{"preview", "preview [title \"...\"] QUERY", "show a digest's message without posting it"},
		},
		parse: parseVerb(func(verb, args string) Command { return &DigestCommand{Verb: verb, Args: args} }),
	},
	{
		name:    "alert",
		aliases: []string{"alerts"},
		usage:   "alert add|list|remove|mute|unmute|test ...",
		summary: "tell this channel once when a query needs a human",
		verbs: []verbSpec{
			{"add", "add count>=N|new [options] QUERY", "watch QUERY and post here when the condition holds"},
			{"list", "list [all]", "the alerts of this channel and their state"},
			{"remove", "remove ID", "delete an alert"},
			{"mute", "mute ID DURATION", "silence an alert for a while"},
			{"unmute", "unmute ID", "end a silence"},
			{"test", "test count>=N|new [options] QUERY", "evaluate a rule once and show what it would post"},
		},
		parse: parseVerb(func(verb, args string) Command { return &AlertCommand{Verb: verb, Args: args} }),
		ready: true,
	},
}

// lookupCommand returns the table row named (or aliased) word, any case.
func lookupCommand(word string) *commandSpec {
	word = strings.ToLower(word)
	for i := range commandTable {
		c := &commandTable[i]
		if c.name == word {
			return c
		}
		for _, a := range c.aliases {
			if a == word {
				return c
			}
		}
	}
	return nil
}

// ParseCommand reads the text after /inbox into a typed command. A first
// word from the sub-command table picks that command; anything else is a
// query (a blank text is env.DefaultQuery). A first word one typo away from
// a command with verbs, followed by one of its verbs (`digset list`), is an
// error with the correction, not a search for the text. Errors are
// *QueryError.
func ParseCommand(text string, env Env) (Command, error) {
	word, rest := splitWord(text)
	if word == "" {
		return parseQueryCommand(env.DefaultQuery, env, true)
	}
	if spec := lookupCommand(word); spec != nil {
		if spec.parse == nil {
			return parseHelp(rest), nil
		}
		return spec.parse(spec, rest, env)
	}
	if err := mistypedCommand(word, rest); err != nil {
		return nil, err
	}
	return parseQueryCommand(text, env, false)
}

func parseQueryCommand(text string, env Env, isDefault bool) (Command, error) {
	q, err := Parse(text, env)
	if err != nil {
		return nil, err
	}
	return &QueryCommand{Query: q, Default: isDefault}, nil
}

// parseHelp reads `help [TOPIC]`; an unknown topic is the whole help.
func parseHelp(rest string) Command {
	topic, _ := splitWord(rest)
	if spec := lookupCommand(topic); spec != nil && spec.name != "help" {
		return &HelpCommand{Topic: spec.name}
	}
	return &HelpCommand{}
}

func parseExport(_ *commandSpec, rest string, env Env) (Command, error) {
	if isBlankText(rest) {
		rest = env.DefaultQuery
	}
	q, err := Parse(rest, env)
	if err != nil {
		return nil, err
	}
	return &ExportCommand{Query: q}, nil
}

// parseVerb makes the parser of a command with verbs: no verb is that
// command's help; an unknown verb is an error naming the verbs.
func parseVerb(build func(verb, args string) Command) func(*commandSpec, string, Env) (Command, error) {
	return func(spec *commandSpec, rest string, _ Env) (Command, error) {
		verb, args := splitWord(rest)
		if verb == "" {
			return &HelpCommand{Topic: spec.name}, nil
		}
		if v := spec.verb(verb); v != nil {
			return build(v.name, args), nil
		}
		err := &QueryError{
			Token:   verb,
			Message: "`" + escapeCode(spec.name+" "+verb) + "` is not a " + spec.name + " command; they are " + joinOr(spec.verbNames(), ", ", " and ") + ".",
		}
		if s := closest(verb, spec.verbNames()); s != "" {
			err.Suggestion = spec.name + " " + s
		}
		return nil, err
	}
}

// mistypedCommand reports `digset list` as a typo of `digest list`: the
// first word is close to a command with verbs and the second is one of its
// verbs. Commands without verbs are not guessed at: a one-word search for
// "expert" or "hello" must stay a search.
func mistypedCommand(word, rest string) error {
	verb, _ := splitWord(rest)
	if verb == "" {
		return nil
	}
	var names []string
	for _, c := range commandTable {
		if len(c.verbs) > 0 {
			names = append(names, c.name)
		}
	}
	guess := closest(word, names)
	if guess == "" {
		return nil
	}
	spec := lookupCommand(guess)
	v := spec.verb(verb)
	if v == nil {
		return nil
	}
	return &QueryError{
		Token:      word,
		Message:    "`" + escapeCode(word) + "` is not an /inbox command.",
		Suggestion: spec.name + " " + v.name,
	}
}

func (c *commandSpec) verb(word string) *verbSpec {
	word = strings.ToLower(word)
	for i := range c.verbs {
		if c.verbs[i].name == word {
			return &c.verbs[i]
		}
	}
	return nil
}

func (c *commandSpec) verbNames() []string {
	names := make([]string, len(c.verbs))
	for i, v := range c.verbs {
		names[i] = v.name
	}
	return names
}

// Ready reports whether the command's feature is built; a command that is
// not ready answers ComingSoon.
func Ready(c Command) bool {
	spec := lookupCommand(c.Name())
	return spec == nil || spec.ready
}

// ComingSoon is the answer to a command whose feature is not built yet.
func ComingSoon(c Command) string {
	switch c := c.(type) {
	case *DigestCommand:
		return "Digests are coming soon: `/inbox digest " + c.Verb + "` is not available yet."
	case *AlertCommand:
		return "Alerts are coming soon: `/inbox alert " + c.Verb + "` is not available yet."
	}
	return "`/inbox " + c.Name() + "` is coming soon."
}

// splitWord cuts the first word (up to any white space) from s.
func splitWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

func isBlankText(s string) bool { return strings.TrimSpace(s) == "" }
