package bot

import (
	"fmt"
	"sort"
	"strings"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

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
