package bot

import (
	"context"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// Service answers queries: parse with the configured aliases and clock, ask
// the inbox, render. The shell, `query` and the Slack bot all go through it.
type Service struct {
	cfg   *Config
	src   inbox.Source
	now   func() time.Time
	demo  bool
	close func()
}

// NewService returns a Service that asks src. now is the clock.
func NewService(cfg *Config, src inbox.Source, now func() time.Time) *Service {
	return &Service{cfg: cfg, src: src, now: now, close: func() {}}
}

// Demo reports whether the service answers from the embedded demo inbox.
func (s *Service) Demo() bool { return s.demo }

// Close releases what the service holds (the embedded demo inbox).
func (s *Service) Close() { s.close() }

// Env returns the parsing environment for a command typed by slackUser (""
// in the terminal).
func (s *Service) Env(slackUser string) commands.Env {
	return commands.Env{
		Now:          s.now(),
		Location:     s.cfg.Location(),
		Aliases:      s.cfg.Aliases(),
		SlackUser:    slackUser,
		DefaultQuery: s.cfg.InboxDefaultQuery,
	}
}

// ParseCommand reads what follows /inbox (in Slack, the shell or `query`)
// into a typed command; a blank text is INBOX_DEFAULT_QUERY.
func (s *Service) ParseCommand(text, slackUser string) (commands.Command, error) {
	return commands.ParseCommand(text, s.Env(slackUser))
}

// Parse reads a query alone, as a button carries it; an empty text is
// INBOX_DEFAULT_QUERY.
func (s *Service) Parse(text, slackUser string) (*commands.Query, error) {
	env := s.Env(slackUser)
	if isBlank(text) {
		text = env.DefaultQuery
	}
	return commands.Parse(text, env)
}

// Ask answers q from pos (the zero Position: the page the query names).
func (s *Service) Ask(ctx context.Context, q *commands.Query, pos commands.Position) (*commands.Answer, error) {
	return commands.Ask(ctx, s.src, q, pos, s.now())
}

// Scan walks every page of q through the service's source (the cache, in
// the bot), giving fn each match; see commands.Scan.
func (s *Service) Scan(ctx context.Context, q *commands.Query, opt commands.ScanOptions, fn func(inbox.User) bool) (commands.ScanResult, error) {
	return commands.Scan(ctx, s.src, q, s.now(), opt, fn)
}

// RenderOptions returns how answers are rendered under this configuration.
func (s *Service) RenderOptions(ephemeral bool) commands.RenderOptions {
	return commands.RenderOptions{
		PII:        commands.PIIMode(s.cfg.PIIMode),
		WebURL:     s.cfg.InboxWebURL,
		Location:   s.cfg.Location(),
		AgentNames: s.cfg.AgentNames(),
		Ephemeral:  ephemeral,
		Now:        s.now(),
	}
}

// Render returns the Block Kit message of an answer.
func (s *Service) Render(a *commands.Answer, ephemeral bool) commands.Message {
	return commands.RenderAnswer(a, s.RenderOptions(ephemeral))
}

// RenderText returns the answer as terminal text.
func (s *Service) RenderText(a *commands.Answer) string {
	return commands.RenderText(a, s.RenderOptions(false))
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// DigestPreview gathers what `digest preview [title "..."] QUERY` shows:
// the digest of the query as it would be posted now (the first page and
// the bounded count), in Slack, the shell and `query` alike.
func (s *Service) DigestPreview(ctx context.Context, args, slackUser string) (commands.DigestReport, error) {
	title, q, err := commands.ParseDigestPreview(args, s.Env(slackUser))
	if err != nil {
		return commands.DigestReport{}, err
	}
	now := s.now()
	first, err := s.Ask(ctx, q, commands.Position{})
	if err != nil {
		return commands.DigestReport{}, err
	}
	sum, err := countDigest(ctx, s.src, q, now)
	if err != nil {
		return commands.DigestReport{}, err
	}
	d := commands.Digest{Query: q.WithPage(1).Canonical(), Title: title, CreatedBy: slackUser}
	return commands.DigestReport{Digest: d, Words: q.Words(), Summary: sum, First: first, RanAt: now, Preview: true}, nil
}
