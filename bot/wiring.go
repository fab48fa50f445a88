package bot

import (
	"context"

	"github.com/convertalk/inboxbot/inbox"
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
