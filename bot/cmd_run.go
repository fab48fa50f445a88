package bot

import (
	"context"
	"os"
	"os/signal"
	"syscall"
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
	hup := make(chan os.Signal, 1) // SIGHUP reloads RULES_FILE
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	bot, err := NewBot(cfg, BotOptions{Logger: logger, Build: a.build, Now: a.now, Reload: hup})
	if err != nil {
		return err
	}
	if unused := notYetUsedSettings(os.LookupEnv); len(unused) > 0 {
		logger.Info("set but not used yet", "variables", unused)
	}
	return bot.Run(ctx)
}
