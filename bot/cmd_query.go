package bot

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// inWords is an error printed on the terminal in commands.Explain's words
// (the error's own text is terse, for logs); errors.As still finds its
// cause.
type inWords struct{ err error }

// Error implements error.
func (e inWords) Error() string { return commands.Explain(e.err) }

// Unwrap returns the error.
func (e inWords) Unwrap() error { return e.err }

// queryFlags names the flags of `query`; true marks those that take a
// separate value (--page 2).
var queryFlags = map[string]bool{"page": true, "json": false, "body": false, "h": false, "help": false}

func (a *cli) query(ctx context.Context, args []string) error {
	fs := a.newFlags("query")
	page := fs.Int("page", 0, "page `N` of the answer (default: the query's page:N, or 1)")
	asJSON := fs.Bool("json", false, "print the Block Kit payload as JSON (an error too: the message Slack would show)")
	asBody := fs.Bool("body", false, "print the exact request body sent to the inbox API")
	flagArgs, queryArgs := splitFlags(args, queryFlags)
	if err := parseFlags(fs, flagArgs); err != nil {
		return err
	}
	if *asJSON && *asBody {
		return &UsageError{"query: --json and --body are exclusive"}
	}
	text := strings.Join(queryArgs, " ")
	if flagSet(fs, "page") {
		if err := checkPageFlag(*page); err != nil {
			return a.queryFailed(err, *asJSON)
		}
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	cmd, err := svc.ParseCommand(text, "")
	if err != nil {
		return a.queryFailed(withShellHint(err), *asJSON)
	}
	if !commands.Ready(cmd) {
		return a.queryComingSoon(cmd, *asJSON)
	}
	switch c := cmd.(type) {
	case *commands.QueryCommand:
		return a.queryAnswer(ctx, svc, c.Query, *page, *asJSON, *asBody)
	case *commands.HelpCommand:
		if *asBody {
			return &UsageError{"query: help has no request body"}
		}
		if *asJSON {
			return writeBlockKit(a.io.Out, helpMessage(c.Topic))
		}
		_, err := fmt.Fprintf(a.io.Out, "%s\n", commands.TopicHelpText(c.Topic))
		return err
	case *commands.ExportCommand:
		return &UsageError{"query: " + exportInSlackOnly}
	case *commands.DigestCommand:
		return a.queryDigest(ctx, svc, c, *asJSON, *asBody)
	case *commands.AlertCommand:
		return a.queryAlert(ctx, svc, c, *asJSON, *asBody)
	}
	return a.queryComingSoon(cmd, *asJSON)
}

// queryFailed returns err; with --json it first prints the error as Slack
// would show it (the exit status and the line on stderr stay).
func (a *cli) queryFailed(err error, asJSON bool) error {
	if asJSON {
		if werr := writeBlockKit(a.io.Out, commands.RenderError(commands.Explain(err))); werr != nil {
			return werr
		}
	}
	var qe *commands.QueryError
	if errors.As(err, &qe) {
		return err // its own words, with any shell hint wrapped around them
	}
	return inWords{err} // an inbox failure: Explain's words, not Error()'s
}

// queryComingSoon answers a command whose feature is not built yet: exit 2
// (it did nothing, as `export` in the terminal) with the sentence on
// stderr, and with --json the notice Slack would show on stdout.
func (a *cli) queryComingSoon(cmd commands.Command, asJSON bool) error {
	msg := commands.ComingSoon(cmd)
	if asJSON {
		if err := writeBlockKit(a.io.Out, commands.RenderNotice(msg)); err != nil {
			return err
		}
	}
	return &UsageError{"query: " + msg}
}

// queryAnswer runs one query of `inboxbot query` and prints the answer, its
// Block Kit payload (asJSON) or its request body (asBody).
func (a *cli) queryAnswer(ctx context.Context, svc *Service, q *commands.Query, page int, asJSON, asBody bool) error {
	if page > 0 {
		q = q.WithPage(page)
	}
	if asBody {
		body, err := json.MarshalIndent(q.Filter(), "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.io.Out, "%s\n", body)
		return err
	}
	ans, err := svc.Ask(ctx, q, commands.Position{})
	if err != nil {
		return a.queryFailed(err, asJSON)
	}
	if asJSON {
		return writeBlockKit(a.io.Out, svc.Render(ans, false))
	}
	_, err = io.WriteString(a.io.Out, svc.RenderText(ans))
	return err
}

// exportInSlackOnly is what the shell and `query` say to `export`: the CSV
// goes to a Slack channel, which a terminal does not have.
const exportInSlackOnly = "export uploads a CSV to the Slack channel; it works in Slack (/inbox export QUERY), not in the terminal."

// helpMessage is the answer to `/inbox help [TOPIC]`, in Slack and in
// `query --json help`; topic "" is the whole help.
func helpMessage(topic string) commands.Message {
	text := "How to use /inbox"
	if topic != "" {
		text += " " + topic
	}
	return commands.Message{Text: text, Blocks: commands.TopicHelpBlocks(topic)}
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// checkPageFlag holds --page N to the rules of page:N, with the same words.
func checkPageFlag(n int) error {
	tok := fmt.Sprintf("--page %d", n)
	switch {
	case n < 1:
		return &commands.QueryError{Token: tok, Message: "`" + tok + "`: the page must be at least 1.", Suggestion: "--page 1"}
	case n > inbox.MaxPage:
		return &commands.QueryError{Token: tok, Message: fmt.Sprintf("`%s`: the page must be at most %d.", tok, inbox.MaxPage)}
	}
	return nil
}

// withShellHint adds, to the error of a qualifier that arrived with no value
// (waiting:), that the shell may have taken it: unquoted, waiting:>10m is
// "waiting:" with stdout redirected to a file named 10m. The hint is for the
// terminal only; Explain (Slack, --json) still gives the error's own words.
func withShellHint(err error) error {
	var qe *commands.QueryError
	if !errors.As(err, &qe) || !strings.HasSuffix(qe.Token, ":") {
		return err
	}
	key := strings.TrimPrefix(qe.Token, "-")
	return fmt.Errorf("%w In a shell, quote a value with < or > ('%s>…'): unquoted, the shell reads < and > as redirections and %s arrives empty.", err, key, key)
}

// splitFlags separates the command's flags from the query. Known flags are
// taken wherever they are (query online --json); anything with a double
// dash is a flag too, so a typo like --pags is refused rather than
// searched; a single dash starts a query's exclusion (-tag:test, -live)
// unless it names a known flag; "--" ends the flags, the rest is query.
// known maps each flag name to whether it takes a separate value.
func splitFlags(args []string, known map[string]bool) (flags, rest []string) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return flags, append(rest, args[i+1:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		valued, isKnown := known[name]
		if !strings.HasPrefix(arg, "--") && (!strings.HasPrefix(arg, "-") || !isKnown) {
			rest = append(rest, arg)
			continue
		}
		flags = append(flags, arg)
		if !hasValue && valued && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, rest
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

// queryDigest previews a digest (digest preview [title "..."] QUERY) as
// terminal text or, with --json, as the Block Kit Slack would get; the
// other digest verbs live in Slack (exit 2).
func (a *cli) queryDigest(ctx context.Context, svc *Service, c *commands.DigestCommand, asJSON, asBody bool) error {
	if c.Verb != "preview" {
		return &UsageError{"query: " + plainCode(commands.DigestInSlackOnly(c.Verb))}
	}
	if asBody {
		return &UsageError{"query: digest preview has no single request body; use --body with its query"}
	}
	rep, err := svc.DigestPreview(ctx, c.Args, "")
	if err != nil {
		return a.queryFailed(err, asJSON)
	}
	if asJSON {
		return writeBlockKit(a.io.Out, commands.RenderDigest(rep, svc.RenderOptions(false)))
	}
	_, err = io.WriteString(a.io.Out, commands.RenderDigestText(rep, svc.RenderOptions(false)))
	return err
}

// queryAlert tests an alert rule (alert test RULE) once against the inbox
// and prints the verdict and what would be posted, or with --json the
// Block Kit Slack would get; the other alert verbs live in Slack (exit 2).
func (a *cli) queryAlert(ctx context.Context, svc *Service, c *commands.AlertCommand, asJSON, asBody bool) error {
	if c.Verb != "test" {
		return &UsageError{"query: " + alertInSlackOnly(c.Verb)}
	}
	if asBody {
		return &UsageError{"query: alert test has no single request body; use --body with its query"}
	}
	r, t, err := svc.AlertTest(ctx, c.Args, "", nil, svc.now())
	if err != nil {
		return a.queryFailed(err, asJSON)
	}
	if asJSON {
		return writeBlockKit(a.io.Out, commands.RenderAlertTest(r, t, svc.RenderOptions(true)))
	}
	_, err = io.WriteString(a.io.Out, commands.AlertTestText(r, t, svc.RenderOptions(false)))
	return err
}
