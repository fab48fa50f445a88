package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// checkFailed is the result of a `check` that found problems, already
// printed. config says whether any was in the configuration itself (exit
// status 78, like `run`).
type checkFailed struct {
	failed int
	config bool
}

// Error implements error.
func (e *checkFailed) Error() string { return fmt.Sprintf("check found %d problem(s)", e.failed) }

// defaultSocketWait bounds check's wait for Socket Mode's hello.
const defaultSocketWait = 15 * time.Second

// check validates the configuration and tests Slack and the inbox once,
// saying in plain words what is wrong. It reports every problem in one run:
// all configuration problems first, then each connectivity test whose
// variables are valid.
func (a *cli) check(ctx context.Context, args []string) error {
	fs := a.newFlags("check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	out := a.io.Out
	cfg, err := loadBotConfig()
	var problems ConfigErrors
	errors.As(err, &problems)
	for _, ce := range problems {
		fmt.Fprintf(out, "✗ %s\n", ce)
	}
	if len(problems) == 0 {
		fmt.Fprintln(out, "✓ configuration is valid")
	}
	failed := len(problems)
	report := func(what string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(out, "✗ %s: %s\n", what, err)
		}
	}
	// Each test runs when the variables it depends on are valid.
	var skipped []string
	try := func(what string, test func() error, needs ...string) {
		if slices.ContainsFunc(needs, problems.Has) {
			skipped = append(skipped, what)
			return
		}
		report(what, test())
	}
	try("Slack bot token", func() error { return a.checkSlack(ctx, cfg) }, "SLACK_BOT_TOKEN", "SLACK_API_URL")
	try("Slack app token", func() error { return a.checkSocketMode(ctx, cfg) }, "SLACK_APP_TOKEN", "SLACK_API_URL")
	try("Convertalk inbox API", func() error { return a.checkInbox(ctx, cfg) }, "INBOX_API_URL", "INBOX_API_TOKEN", "INBOX_TIMEOUT", "INBOX_MAX_ATTEMPTS")
	try("HTTP_ADDR", func() error { return a.checkListen(cfg) }, "HTTP_ADDR")
	if len(skipped) > 0 {
		fmt.Fprintf(out, "· not tested until the problems above are fixed: %s\n", strings.Join(skipped, ", "))
	}
	if unused := notYetUsedSettings(os.LookupEnv); len(unused) > 0 {
		fmt.Fprintf(out, "· not used yet: %s\n", strings.Join(unused, ", "))
	}
	if failed > 0 {
		return &checkFailed{failed: failed, config: len(problems) > 0}
	}
	return nil
}

// checkListen tries to listen on HTTP_ADDR (and closes at once), so that a
// port in use fails `check` rather than `run`.
func (a *cli) checkListen(cfg *Config) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EADDRINUSE) {
			hint = " (another program, or inboxbot itself, is using the port)"
		}
		return fmt.Errorf("cannot listen on %q: %v%s", cfg.HTTPAddr, listenCause(err), hint)
	}
	addr := ln.Addr().String()
	ln.Close()
	fmt.Fprintf(a.io.Out, "✓ HTTP_ADDR: can listen on %s for /healthz, /readyz and /metrics\n", addr)
	return nil
}

// listenCause is a listen error without the repeated "listen tcp ADDR".
func listenCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func (a *cli) slackClient(cfg *Config) *slack.Client {
	return slack.New(cfg.SlackBotToken, slack.OptionAppLevelToken(cfg.SlackAppToken), slack.OptionAPIURL(cfg.SlackAPIURL))
}

func (a *cli) checkSlack(ctx context.Context, cfg *Config) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	resp, err := a.slackClient(cfg).AuthTestContext(ctx)
	if err != nil {
		return slackProblem(commands.SlackAuthTest, err)
	}
	fmt.Fprintf(a.io.Out, "✓ Slack: connected as @%s in %s\n", resp.User, resp.Team)
	return nil
}

// checkSocketMode opens a Socket Mode connection as `run` does (the same
// slack-go client: apps.connections.open, then the websocket) and waits for
// Slack's hello, so that an unreachable or refusing websocket fails here
// instead of sending `run` into endless reconnects.
func (a *cli) checkSocketMode(ctx context.Context, cfg *Config) error {
	wait := a.socketWait
	if wait <= 0 {
		wait = defaultSocketWait
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tap := &handshakeTap{}
	sm := socketmode.New(a.slackClient(cfg), socketmode.OptionDebug(true), socketmode.OptionLog(tap))
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(ctx) }()
	err := waitHello(ctx, sm, runErr, tap, wait)
	cancel()
	select { // let slack-go close the socket before we go on
	case <-runErr:
	case <-time.After(socketCloseTimeout):
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(a.io.Out, "✓ Slack: Socket Mode connected (hello received)")
	return nil
}

// waitHello reads Socket Mode events until Slack's hello, the first
// connection failure, a fatal error or the deadline.
func waitHello(ctx context.Context, sm *socketmode.Client, runErr <-chan error, tap *handshakeTap, wait time.Duration) error {
	connected := false
	for {
		select {
		case evt := <-sm.Events:
			switch evt.Type {
			case socketmode.EventTypeConnected:
				connected = true
			case socketmode.EventTypeHello:
				return nil
			case socketmode.EventTypeConnectionError:
				var cause error
				if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
					cause = ce.ErrorObj
				}
				return fmt.Errorf("cannot open a Socket Mode connection: %s", connectionCause(cause, tap.take()))
			case socketmode.EventTypeIncomingError:
				return errors.New("the Socket Mode connection failed before Slack's hello")
			}
		case err := <-runErr:
			if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return fmt.Errorf("no Socket Mode connection within %s", wait)
			}
			return slackProblem(commands.SlackConnectionsOpen, err)
		case <-ctx.Done():
			if connected {
				return fmt.Errorf("the Socket Mode websocket opened, but Slack sent no hello within %s", wait)
			}
			return fmt.Errorf("no Socket Mode connection within %s", wait)
		}
	}
}

func (a *cli) checkInbox(ctx context.Context, cfg *Config) error {
	client, err := newInboxClient(cfg, a.build)
	if err != nil {
		return err
	}
	page, err := client.Users(ctx, inbox.Filter{Page: 1})
	if err != nil {
		return errors.New(commands.Explain(err))
	}
	fmt.Fprintf(a.io.Out, "✓ Convertalk: the API answered with %d contacts on the first page\n", len(page.Users))
	return nil
}

// slackProblem says what a Slack error of method means for the variable
// behind it (commands.ExplainSlack); a failure without Slack's answer
// keeps its cause.
func slackProblem(method string, err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return errors.New(commands.ExplainSlack(se.Err, method))
	}
	return fmt.Errorf("%s (%v)", commands.ExplainSlack(slackErrorCode(err), method), err)
}
