package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/convertalk/inboxbot/commands"
)

const shellIntro = `Type a query as you would after /inbox (e.g. online tag:vip unassigned).
Also: next, prev, refresh, json (Block Kit payload), body (request body), help, quit.
`

// shell is the interactive console: one query at a time, paged with
// next/prev, rendered as terminal text.
func (a *cli) shell(ctx context.Context, args []string) error {
	fs := a.newFlags("shell")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	sh := &shellSession{cli: a, svc: svc}
	return sh.loop(ctx)
}

type shellSession struct {
	cli  *cli
	svc  *Service
	q    *commands.Query
	last *commands.Answer
}

func (sh *shellSession) printf(format string, args ...any) {
	fmt.Fprintf(sh.cli.io.Out, format, args...)
}

func (sh *shellSession) loop(ctx context.Context) error {
	if sh.svc.Demo() {
		sh.printf("%s\n", commands.DemoNotice)
	}
	sh.printf("%s", shellIntro)
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(sh.cli.io.In)
		sc.Buffer(make([]byte, 64*1024), 64*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	for {
		sh.printf("inbox> ")
		select {
		case <-ctx.Done():
			sh.printf("\n")
			return nil
		case err := <-readErr:
			sh.printf("\n")
			return err
		case line := <-lines:
			if quit := sh.handle(ctx, strings.TrimSpace(line)); quit {
				return nil
			}
		}
	}
}

// handle runs one line; it reports true when the user asked to quit. The
// shell's own words move through the last answer; any other line is what
// follows /inbox (the prefix is optional) and is read by ParseCommand.
func (sh *shellSession) handle(ctx context.Context, line string) bool {
	switch strings.ToLower(line) {
	case "":
		return false
	case "quit", "exit", "q", `\q`:
		return true
	case "?":
		line = "help"
	case "next", "n":
		sh.move(ctx, (*commands.Answer).NextPosition, "This is the last page.")
		return false
	case "prev", "p":
		sh.move(ctx, (*commands.Answer).PrevPosition, "This is the first page.")
		return false
	case "refresh", "r":
		sh.move(ctx, func(a *commands.Answer) (commands.Position, bool) { return a.Here(), true }, "")
		return false
	case "json":
		if sh.needAnswer() {
			if err := writeBlockKit(sh.cli.io.Out, sh.svc.Render(sh.last, true)); err != nil {
				sh.printf("error: %v\n", err)
			}
		}
		return false
	case "body":
		if sh.needAnswer() {
			body, _ := json.MarshalIndent(sh.q.WithPage(sh.last.Start.Page).Filter(), "", "  ")
			sh.printf("%s\n", body)
		}
		return false
	}
	text := line
	if rest, ok := strings.CutPrefix(line, "/inbox"); ok && (rest == "" || rest[0] == ' ') {
		text = rest
	}
	sh.run(ctx, text)
	return false
}

// run executes the typed command of one line.
func (sh *shellSession) run(ctx context.Context, text string) {
	cmd, err := sh.svc.ParseCommand(text, "")
	if err != nil {
		sh.printf("%s\n", commands.Explain(err))
		return
	}
	if !commands.Ready(cmd) {
		sh.printf("%s\n", commands.ComingSoon(cmd))
		return
	}
	switch c := cmd.(type) {
	case *commands.QueryCommand:
		sh.q = c.Query
		sh.show(ctx, commands.Position{})
	case *commands.HelpCommand:
		sh.printf("%s\n", commands.TopicHelpText(c.Topic))
	case *commands.ExportCommand:
		sh.printf("%s\n", exportInSlackOnly)
	case *commands.DigestCommand:
		sh.digest(ctx, c)
	case *commands.AlertCommand:
		sh.alert(ctx, c)
	default:
		sh.printf("%s\n", commands.ComingSoon(cmd))
	}
}

func (sh *shellSession) needAnswer() bool {
	if sh.last == nil {
		sh.printf("Type a query first.\n")
		return false
	}
	return true
}

func (sh *shellSession) move(ctx context.Context, step func(*commands.Answer) (commands.Position, bool), atEdge string) {
	if !sh.needAnswer() {
		return
	}
	pos, ok := step(sh.last)
	if !ok {
		sh.printf("%s\n", atEdge)
		return
	}
	sh.show(ctx, pos)
}

func (sh *shellSession) show(ctx context.Context, pos commands.Position) {
	ans, err := sh.svc.Ask(ctx, sh.q, pos)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		sh.printf("%s\n", commands.Explain(err))
		return
	}
	sh.last = ans
	io.WriteString(sh.cli.io.Out, sh.svc.RenderText(ans))
}

// digest previews a digest as terminal text; its other verbs live in Slack.
func (sh *shellSession) digest(ctx context.Context, c *commands.DigestCommand) {
	if c.Verb != "preview" {
		sh.printf("%s\n", plainCode(commands.DigestInSlackOnly(c.Verb)))
		return
	}
	rep, err := sh.svc.DigestPreview(ctx, c.Args, "")
	if err != nil {
		sh.printf("%s\n", commands.Explain(err))
		return
	}
	io.WriteString(sh.cli.io.Out, commands.RenderDigestText(rep, sh.svc.RenderOptions(false)))
}

// alert tests a rule against the inbox as terminal text; the other verbs
// live in Slack.
func (sh *shellSession) alert(ctx context.Context, c *commands.AlertCommand) {
	if c.Verb != "test" {
		sh.printf("%s\n", alertInSlackOnly(c.Verb))
		return
	}
	r, t, err := sh.svc.AlertTest(ctx, c.Args, "", nil, sh.svc.now())
	if err != nil {
		sh.printf("%s\n", commands.Explain(err))
		return
	}
	io.WriteString(sh.cli.io.Out, commands.AlertTestText(r, t, sh.svc.RenderOptions(false)))
}

// alertInSlackOnly is what the shell and `query` say to an alert command
// other than test: alerts live in a channel.
func alertInSlackOnly(verb string) string {
	return "alert " + verb + " works in Slack, in the channel the alert posts to; here, alert test RULE shows what a rule would post now."
}

// plainCode drops the code-span backticks of a sentence for the terminal.
func plainCode(s string) string { return strings.ReplaceAll(s, "`", "") }
