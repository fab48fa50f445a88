package bot

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
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
		{"schedule", `a schedule in words and its next run times: schedule [-n 5] "weekdays 09:00"`, (*cli).schedule},
		{"check", "report every configuration problem, then test Slack (auth.test, Socket Mode hello), the inbox and HTTP_ADDR", (*cli).check},
		{"health", "ask the bot on HTTP_ADDR for /healthz (--ready: /readyz); exit 0 when it answers 200", (*cli).health},
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
