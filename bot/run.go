package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// NewLogger returns the slog logger LOG_LEVEL and LOG_FORMAT ask for.
func NewLogger(cfg *Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel.Level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// runBot is the Slack bot over Socket Mode: `inboxbot run`, the default.
func (a *cli) runBot(ctx context.Context, args []string) error {
	fs := a.newFlags("run")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	bot, err := NewBot(cfg, BotOptions{Logger: NewLogger(cfg, a.io.Err), Build: a.build, Now: a.now})
	if err != nil {
		return err
	}
	return bot.Run(ctx)
}

// logQuery is the canonical query as it may be logged at info level: free
// text is replaced, since people search for customers by name or phone.
func logQuery(q *commands.Query) string {
	return q.WithPage(1).Redacted()
}

// check validates the configuration and tests Slack and the inbox once,
// saying in plain words what is wrong.
func (a *cli) check(ctx context.Context, args []string) error {
	fs := a.newFlags("check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	fmt.Fprintln(a.io.Out, "✓ configuration is valid")
	failed := 0
	report := func(what string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(a.io.Out, "✗ %s: %s\n", what, err)
			return
		}
	}
	if err := cfg.RequireSlack(); err != nil {
		report("configuration for the Slack bot", err)
	} else {
		report("Slack bot token", a.checkSlack(ctx, cfg))
		report("Slack app token", a.checkSocketMode(ctx, cfg))
	}
	if cfg.InboxAPIToken != "" {
		report("Convertalk inbox API", a.checkInbox(ctx, cfg))
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}

func (a *cli) slackClient(cfg *Config) *slack.Client {
	return slack.New(cfg.SlackBotToken, slack.OptionAppLevelToken(cfg.SlackAppToken), slack.OptionAPIURL(cfg.SlackAPIURL))
}

func (a *cli) checkSlack(ctx context.Context, cfg *Config) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	resp, err := a.slackClient(cfg).AuthTestContext(ctx)
	if err != nil {
		return slackProblem("SLACK_BOT_TOKEN", err)
	}
	fmt.Fprintf(a.io.Out, "✓ Slack: connected as @%s in %s\n", resp.User, resp.Team)
	return nil
}

func (a *cli) checkSocketMode(ctx context.Context, cfg *Config) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, _, err := socketmode.New(a.slackClient(cfg)).OpenContext(ctx); err != nil {
		return slackProblem("SLACK_APP_TOKEN", err)
	}
	fmt.Fprintln(a.io.Out, "✓ Slack: Socket Mode connections can be opened")
	return nil
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

// slackProblem says what a Slack error means for the variable behind it.
func slackProblem(variable string, err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "token_revoked", "account_inactive":
			return fmt.Errorf("Slack rejected %s (%s)", variable, se.Err)
		}
		return fmt.Errorf("Slack answered %s", se.Err)
	}
	return fmt.Errorf("could not reach Slack at SLACK_API_URL (%v)", err)
}
