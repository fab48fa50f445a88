// Command inboxbot brings a Convertalk customer inbox into Slack: /inbox
// queries answered with Block Kit, paging, sharing and CSV export, over Slack
// Socket Mode. Run `inboxbot help` for the sub-commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/convertalk/inboxbot/bot"
)

// Set by the linker: -ldflags "-X main.version=v1.2.3 -X main.commit=abc123".
var (
	version = "dev"
	commit  = ""
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	build := bot.BuildInfo{Version: version, Commit: commit}
	err := bot.Main(ctx, os.Args[1:], bot.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, build)
	os.Exit(bot.ExitCode(err, os.Stderr))
}
