package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// service builds the Service of the shell and `query`: the real inbox when
// INBOX_API_TOKEN is set, the embedded demo inbox otherwise.
func (a *cli) service(ctx context.Context) (*Service, error) {
	cfg, err := LoadConfig()
	if err != nil {
		return nil, err
	}
	if cfg.InboxAPIToken == "" {
		return a.demoService(cfg)
	}
	client, err := newInboxClient(cfg, a.build)
	if err != nil {
		return nil, err
	}
	return NewService(cfg, client, a.now), nil
}

// newInboxClient builds the inbox client from the configuration.
func newInboxClient(cfg *Config, build BuildInfo, opts ...inbox.Option) (*inbox.Client, error) {
	all := append([]inbox.Option{
		inbox.WithTimeout(cfg.InboxTimeout),
		inbox.WithMaxAttempts(cfg.InboxMaxAttempts),
		inbox.WithUserAgent("inboxbot/" + build.Version),
	}, opts...)
	client, err := inbox.NewClient(cfg.InboxAPIURL, cfg.InboxAPIToken, all...)
	if err != nil {
		return nil, &ConfigError{"INBOX_API_URL", err.Error()}
	}
	return client, nil
}

// demoService answers from an in-process demo inbox: no port, no network.
// Unset alias variables default to the demo's bots, agents and segments.
func (a *cli) demoService(cfg *Config) (*Service, error) {
	demo := inboxtest.New(inboxtest.WithAnchor(inboxtest.DemoAnchor(a.now())))
	withDemoAliases(cfg)
	client, err := inbox.NewClient("http://demo.inbox.invalid", inboxtest.DefaultToken,
		inbox.WithHTTPClient(demo.Client()), inbox.WithUserAgent("inboxbot/"+a.build.Version))
	if err != nil {
		return nil, err
	}
	svc := NewService(cfg, client, a.now)
	svc.demo = true
	return svc, nil
}

// withDemoAliases fills the alias tables the configuration leaves empty with
// the demo inbox's bots, agents and segments.
func withDemoAliases(cfg *Config) {
	if len(cfg.InboxBots) == 0 {
		cfg.InboxBots, _ = commands.ParseBots(demoBotsEnv())
	}
	if len(cfg.InboxAgents) == 0 {
		cfg.InboxAgents, _ = commands.ParseAgents(demoAgentsEnv())
	}
	if len(cfg.InboxSegments) == 0 {
		cfg.InboxSegments, _ = commands.ParseSegments(demoSegmentsEnv())
	}
}

func demoBotsEnv() string {
	var parts []string
	for _, ch := range inbox.Channels {
		for i, id := range inboxtest.DemoBots[ch] {
			parts = append(parts, fmt.Sprintf("%s%d=%s:%s", ch, i+1, ch, id))
		}
	}
	return strings.Join(parts, ",")
}

func demoAgentsEnv() string {
	var parts []string
	for _, ag := range inboxtest.DemoAgents {
		parts = append(parts, ag.Name+"="+ag.ID)
	}
	return strings.Join(parts, ",")
}

func demoSegmentsEnv() string {
	var parts []string
	for _, sg := range inboxtest.DemoSegments {
		parts = append(parts, sg.Name+"="+sg.ID)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

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
