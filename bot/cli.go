package bot

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/convertalk/inboxbot/commands"
)

// IO is where a command reads and writes.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// BuildInfo is what `inboxbot version` prints.
type BuildInfo struct {
	Version string
	Commit  string
}

// UsageError is a bad command line: exit status 2.
type UsageError struct{ Message string }

// Error implements error.
func (e *UsageError) Error() string { return e.Message }

// ExitConfig is the exit status of a configuration error: EX_CONFIG of
// sysexits.h. The systemd unit's RestartPreventExitStatus=78 stops
// restarting a bot that cannot start until someone edits its configuration.
const ExitConfig = 78

// ExitCode prints err (if any) on w and returns the exit status: 0 for
// success or an interrupt, 2 for a bad command line or query, 78
// (ExitConfig) for a configuration error (one line per problem, each naming
// its variable), 1 otherwise.
func ExitCode(err error, w io.Writer) int {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ces ConfigErrors
	if errors.As(err, &ces) {
		for _, ce := range ces {
			fmt.Fprintln(w, "inboxbot: "+oneLine(ce.Error()))
		}
		return ExitConfig
	}
	fmt.Fprintln(w, "inboxbot: "+oneLine(err.Error()))
	var ue *UsageError
	var qe *commands.QueryError
	var ce *ConfigError
	var cf *checkFailed
	switch {
	case errors.As(err, &ue) || errors.As(err, &qe):
		return 2
	case errors.As(err, &ce):
		return ExitConfig
	case errors.As(err, &cf) && cf.config:
		return ExitConfig
	}
	return 1
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type subcommand struct {
	name    string
	summary string
	run     func(a *cli, ctx context.Context, args []string) error
}

// cli carries what every sub-command gets: its streams, build info and clock.
type cli struct {
	io    IO
	build BuildInfo
	now   func() time.Time
	// socketWait bounds check's wait for Socket Mode's hello (0: 15s).
	socketWait time.Duration
}

func subcommands() []subcommand {
	return []subcommand{
		{"run", "run the Slack bot over Socket Mode (the default)", (*cli).runBot},
		{"shell", "interactive console: type queries, see answers; no tokens needed", (*cli).shell},
		{"query", "one query: query [--page N] [--json | --body] QUERY", (*cli).query},
		{"demo-api", "serve the demo inbox API over HTTP: demo-api [--addr 127.0.0.1:8088]", (*cli).demoAPI},
		{"check", "report every configuration problem, then test Slack (auth.test, Socket Mode hello), the inbox and HTTP_ADDR", (*cli).check},
		{"version", "print version, commit and Go version", (*cli).version},
		{"help", "list the sub-commands", (*cli).help},
	}
}

// Main runs inboxbot with the command-line arguments (without the program
// name). It is what main calls and what end-to-end tests reuse.
func Main(ctx context.Context, args []string, streams IO, build BuildInfo) error {
	return mainWithClock(ctx, args, streams, build, time.Now)
}

func mainWithClock(ctx context.Context, args []string, streams IO, build BuildInfo, now func() time.Time) error {
	a := &cli{io: streams, build: build, now: now}
	name := "run"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "-h", "--help", "-help":
		name = "help"
	case "-v", "--version":
		name = "version"
	}
	for _, sc := range subcommands() {
		if sc.name == name {
			return sc.run(a, ctx, args)
		}
	}
	return &UsageError{fmt.Sprintf("unknown command %q; run `inboxbot help`", name)}
}

func (a *cli) help(context.Context, []string) error {
	var b strings.Builder
	b.WriteString("inboxbot brings a Convertalk customer inbox into Slack.\n\nUsage: inboxbot <command> [arguments]\n\nCommands:\n")
	for _, sc := range subcommands() {
		fmt.Fprintf(&b, "  %-9s %s\n", sc.name, sc.summary)
	}
	b.WriteString("\nConfiguration is read from the environment (see README.md); `inboxbot check` reports every problem.\n")
	b.WriteString("Exit status: 0 success, 1 failure, 2 bad command line or query, 78 configuration error.\n")
	b.WriteString("Try it with no tokens: inboxbot shell\n")
	_, err := io.WriteString(a.io.Out, b.String())
	return err
}

func (a *cli) version(context.Context, []string) error {
	v, c := a.build.Version, a.build.Commit
	if info, ok := debug.ReadBuildInfo(); ok && c == "" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				c = s.Value
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	_, err := fmt.Fprintf(a.io.Out, "inboxbot %s (commit %s, %s)\n", v, c, runtime.Version())
	return err
}

// newFlags returns a flag set that writes its usage to the command's stderr
// and reports errors instead of exiting.
func (a *cli) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.io.Err)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	}
	return nil
}

func (a *cli) query(ctx context.Context, args []string) error {
	fs := a.newFlags("query")
	page := fs.Int("page", 0, "page `N` of the answer (default: the query's page:N, or 1)")
	asJSON := fs.Bool("json", false, "print the Block Kit payload as JSON")
	asBody := fs.Bool("body", false, "print the exact request body sent to the inbox API")
	flagArgs, queryArgs := splitFlags(args, "page")
	if err := parseFlags(fs, flagArgs); err != nil {
		return err
	}
	if *asJSON && *asBody {
		return &UsageError{"query: --json and --body are exclusive"}
	}
	if *page < 0 || *page > 100000 {
		return &UsageError{"query: --page must be between 1 and 100000"}
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	text := strings.Join(queryArgs, " ")
	q, err := svc.Parse(text, "")
	if err != nil {
		return err
	}
	if *page > 0 {
		q = q.WithPage(*page)
	}
	if *asBody {
		body, err := json.MarshalIndent(q.Filter(), "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.io.Out, "%s\n", body)
		return err
	}
	ans, err := svc.Ask(ctx, q, commands.Position{})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeBlockKit(a.io.Out, svc.Render(ans, false))
	}
	_, err = io.WriteString(a.io.Out, svc.RenderText(ans))
	return err
}

// splitFlags separates the leading command-line flags from the query: a
// query may itself start with a dash (-tag:test, -live), so only the flags
// the command knows are taken (and anything with a double dash, so typos
// are reported), and "--" ends them explicitly. valued names
// the flags that take a separate value.
func splitFlags(args []string, valued ...string) (flags, rest []string) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return flags, args[i+1:]
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		// A double dash is always a flag (so a typo like --pags is reported);
		// a single dash starts a query's exclusion unless it is our flag.
		if !strings.HasPrefix(arg, "--") && (!strings.HasPrefix(arg, "-") || !isKnownFlag(name)) {
			return flags, args[i:]
		}
		flags = append(flags, arg)
		if !hasValue && slices.Contains(valued, name) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, nil
}

func isKnownFlag(name string) bool {
	switch name {
	case "page", "json", "body", "h", "help":
		return true
	}
	return false
}

func writeBlockKit(w io.Writer, m commands.Message) error {
	payload := struct {
		Text   string `json:"text"`
		Blocks any    `json:"blocks"`
	}{m.Text, m.Blocks}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(payload)
}
