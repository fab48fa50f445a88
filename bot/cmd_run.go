package bot

import (
	"context"
	"os"
)

// runBot is the Slack bot over Socket Mode: `inboxbot run`, the default.
func (a *cli) runBot(ctx context.Context, args []string) error {
	fs := a.newFlags("run")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadBotConfig()
	if err != nil {
		return err // every problem, one line each (ExitCode), exit 78
	}
	logger := NewLogger(cfg, a.io.Err)
	bot, err := NewBot(cfg, BotOptions{Logger: logger, Build: a.build, Now: a.now})
	if err != nil {
		return err
	}
	if unused := notYetUsedSettings(os.LookupEnv); len(unused) > 0 {
		logger.Info("set but not used yet: digests and alerts are coming", "variables", unused)
	}
	return bot.Run(ctx)
}
