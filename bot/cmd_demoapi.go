package bot

import (
	"context"
	"fmt"

	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// demoAPI serves the demo inbox over HTTP and prints the environment that
// points inboxbot at it.
func (a *cli) demoAPI(ctx context.Context, args []string) error {
	fs := a.newFlags("demo-api")
	addr := fs.String("addr", "127.0.0.1:8088", "`host:port` to listen on")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	srv := inboxtest.New(inboxtest.WithAnchor(inboxtest.DemoAnchor(a.now())))
	return inboxtest.ListenAndServe(ctx, *addr, srv, func(listening string) {
		fmt.Fprintf(a.io.Out, "Demo inbox API on http://%s (token %s). Point inboxbot at it with:\n\n", listening, inboxtest.DefaultToken)
		fmt.Fprintf(a.io.Out, "export INBOX_API_URL=http://%s INBOX_API_TOKEN=%s\n", listening, inboxtest.DefaultToken)
		fmt.Fprintf(a.io.Out, "export INBOX_BOTS=%s\nexport INBOX_AGENTS=%s\nexport INBOX_SEGMENTS=%s\n\nCtrl-C stops it.\n",
			demoBotsEnv(), demoAgentsEnv(), demoSegmentsEnv())
	})
}
