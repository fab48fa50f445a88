// Package bot is inboxbot's adapter to the outside world: configuration,
// Slack wiring and, later, the scheduler, alert engine and state store.
package bot

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/convertalk/inboxbot/commands"
)

// Config is inboxbot's configuration, read from the environment under the
// names of SPEC §4.
type Config struct {
	SlackBotToken string `envconfig:"SLACK_BOT_TOKEN"`
	SlackAppToken string `envconfig:"SLACK_APP_TOKEN"`
	SlackAPIURL   string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`

	InboxAPIURL       string         `envconfig:"INBOX_API_URL" default:"https://api.v7.convertalk.com"`
	InboxAPIToken     string         `envconfig:"INBOX_API_TOKEN"`
	InboxTimeout      time.Duration  `envconfig:"INBOX_TIMEOUT" default:"10s"`
	InboxMaxAttempts  int            `envconfig:"INBOX_MAX_ATTEMPTS" default:"4"`
	InboxWebURL       string         `envconfig:"INBOX_WEB_URL"`
	InboxBots         BotAliases     `envconfig:"INBOX_BOTS"`
	InboxAgents       AgentAliases   `envconfig:"INBOX_AGENTS"`
	InboxSegments     SegmentAliases `envconfig:"INBOX_SEGMENTS"`
	InboxDefaultQuery string         `envconfig:"INBOX_DEFAULT_QUERY" default:"live unassigned"`

	AllowedChannels    IDList     `envconfig:"ALLOWED_CHANNELS"`
	AllowedUsers       IDList     `envconfig:"ALLOWED_USERS"`
	AdminUsers         IDList     `envconfig:"ADMIN_USERS"`
	ResponseVisibility Visibility `envconfig:"RESPONSE_VISIBILITY" default:"ephemeral"`
	PIIMode            PIIMode    `envconfig:"PII_MODE" default:"masked"`

	StoreURL      string        `envconfig:"STORE_URL" default:"bolt://inboxbot.db"`
	RulesFile     string        `envconfig:"RULES_FILE"`
	TZ            Location      `envconfig:"TZ" default:"UTC"`
	DigestTZ      Location      `envconfig:"DIGEST_TZ"`
	AlertInterval time.Duration `envconfig:"ALERT_INTERVAL" default:"1m"`

	HTTPAddr  string    `envconfig:"HTTP_ADDR" default:":8080"`
	LogLevel  LogLevel  `envconfig:"LOG_LEVEL" default:"info"`
	LogFormat LogFormat `envconfig:"LOG_FORMAT" default:"json"`
}

// ConfigError is a missing or malformed variable: one line that names it and
// says what is expected. It never contains a token.
type ConfigError struct {
	Var     string
	Problem string
}

// Error implements error.
func (e *ConfigError) Error() string { return e.Var + ": " + e.Problem }

// LoadConfig reads and validates the configuration from the environment.
func LoadConfig() (*Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return nil, explainEnvconfig(err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// explainEnvconfig turns envconfig's error into a ConfigError. Decoders of
// our own types already return plain words; for built-in types we say what
// is expected.
func explainEnvconfig(err error) error {
	var pe *envconfig.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	var ce *ConfigError
	if errors.As(pe.Err, &ce) {
		return &ConfigError{Var: pe.KeyName, Problem: ce.Problem}
	}
	switch pe.TypeName {
	case "time.Duration", "Duration":
		return &ConfigError{pe.KeyName, fmt.Sprintf("%q is not a duration; expected e.g. 10s, 1m, 2h", pe.Value)}
	case "int":
		return &ConfigError{pe.KeyName, fmt.Sprintf("%q is not a whole number", pe.Value)}
	}
	return &ConfigError{pe.KeyName, fmt.Sprintf("%q is not a valid %s", pe.Value, pe.TypeName)}
}

func (c *Config) validate() error {
	if c.InboxTimeout <= 0 || c.InboxTimeout > 5*time.Minute {
		return &ConfigError{"INBOX_TIMEOUT", "expected a duration between 1ms and 5m, e.g. 10s"}
	}
	if c.InboxMaxAttempts < 1 || c.InboxMaxAttempts > 10 {
		return &ConfigError{"INBOX_MAX_ATTEMPTS", "expected a whole number from 1 to 10"}
	}
	if c.AlertInterval < 10*time.Second {
		return &ConfigError{"ALERT_INTERVAL", "expected a duration of at least 10s, e.g. 1m"}
	}
	if err := checkURL("INBOX_API_URL", c.InboxAPIURL, true); err != nil {
		return err
	}
	if err := checkURL("SLACK_API_URL", c.SlackAPIURL, true); err != nil {
		return err
	}
	if !strings.HasSuffix(c.SlackAPIURL, "/") {
		return &ConfigError{"SLACK_API_URL", "must end with a slash, e.g. https://slack.com/api/"}
	}
	if c.InboxWebURL != "" {
		if err := checkURL("INBOX_WEB_URL", c.InboxWebURL, false); err != nil {
			return err
		}
	}
	if !strings.HasPrefix(c.StoreURL, "bolt://") && !strings.HasPrefix(c.StoreURL, "redis://") &&
		!strings.HasPrefix(c.StoreURL, "rediss://") {
		return &ConfigError{"STORE_URL", "expected bolt://PATH or redis://HOST:PORT"}
	}
	if strings.TrimSpace(c.InboxDefaultQuery) == "" {
		return &ConfigError{"INBOX_DEFAULT_QUERY", "must not be empty; e.g. live unassigned"}
	}
	if strings.ContainsAny(c.InboxAPIToken, " \t\r\n") {
		return &ConfigError{"INBOX_API_TOKEN", "contains white space; paste the token alone"}
	}
	return nil
}

// RequireSlack checks what the Slack bot needs beyond the rest: both tokens,
// of the right kinds. The tokens' values are never echoed.
func (c *Config) RequireSlack() error {
	switch {
	case c.SlackBotToken == "":
		return &ConfigError{"SLACK_BOT_TOKEN", "missing; expected the app's bot token (xoxb-...)"}
	case !strings.HasPrefix(c.SlackBotToken, "xoxb-"):
		return &ConfigError{"SLACK_BOT_TOKEN", "expected a bot token starting with xoxb-"}
	case c.SlackAppToken == "":
		return &ConfigError{"SLACK_APP_TOKEN", "missing; expected an app-level token (xapp-...) with connections:write"}
	case !strings.HasPrefix(c.SlackAppToken, "xapp-"):
		return &ConfigError{"SLACK_APP_TOKEN", "expected an app-level token starting with xapp-"}
	case c.InboxAPIToken == "":
		return &ConfigError{"INBOX_API_TOKEN", "missing; expected the Convertalk API token"}
	}
	return nil
}

// Location returns the time zone for dates and displayed times.
func (c *Config) Location() *time.Location {
	if c.TZ.Location != nil {
		return c.TZ.Location
	}
	return time.UTC
}

// ScheduleLocation returns the time zone for digest schedules: DIGEST_TZ,
// else TZ.
func (c *Config) ScheduleLocation() *time.Location {
	if c.DigestTZ.Location != nil {
		return c.DigestTZ.Location
	}
	return c.Location()
}

// Aliases returns the alias tables of the query language.
func (c *Config) Aliases() commands.Aliases {
	return commands.Aliases{Bots: c.InboxBots, Agents: c.InboxAgents, Segments: c.InboxSegments}
}

// AgentNames maps agent ids to their alias, for display.
func (c *Config) AgentNames() map[string]string {
	names := make(map[string]string, len(c.InboxAgents))
	for name, a := range c.InboxAgents {
		names[a.ID] = name
	}
	return names
}

func checkURL(name, raw string, required bool) error {
	if raw == "" && !required {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &ConfigError{name, fmt.Sprintf("%q is not an http(s) URL", raw)}
	}
	return nil
}

// BotAliases is INBOX_BOTS: name=channel:id,...
type BotAliases map[string]commands.BotAlias

// Decode implements envconfig.Decoder.
func (b *BotAliases) Decode(s string) error {
	m, err := commands.ParseBots(s)
	if err != nil {
		return &ConfigError{Problem: err.Error() + "; expected name=channel:id,... e.g. sales=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0"}
	}
	*b = m
	return nil
}

// AgentAliases is INBOX_AGENTS: name=agentId[@SlackUserID],...
type AgentAliases map[string]commands.AgentAlias

// Decode implements envconfig.Decoder.
func (a *AgentAliases) Decode(s string) error {
	m, err := commands.ParseAgents(s)
	if err != nil {
		return &ConfigError{Problem: err.Error() + "; expected name=agentId[@SlackUserID],... e.g. alice=65ab12cd34ef56ab78cd90ef@U024BE7LH"}
	}
	*a = m
	return nil
}

// SegmentAliases is INBOX_SEGMENTS: name=segmentId,...
type SegmentAliases map[string]string

// Decode implements envconfig.Decoder.
func (s *SegmentAliases) Decode(v string) error {
	m, err := commands.ParseSegments(v)
	if err != nil {
		return &ConfigError{Problem: err.Error() + "; expected name=segmentId,... e.g. returning=65ab12cd34ef56ab78cd90ef"}
	}
	*s = m
	return nil
}

// IDList is a comma-separated list of Slack ids (channels or users).
type IDList []string

// Decode implements envconfig.Decoder.
func (l *IDList) Decode(s string) error {
	var ids []string
	for _, part := range strings.Split(s, ",") {
		id := strings.TrimSpace(part)
		if id == "" {
			continue
		}
		if !isSlackID(id) {
			return &ConfigError{Problem: fmt.Sprintf("%q is not a Slack id; expected ids like C024BE91L or U024BE7LH, comma-separated", id)}
		}
		ids = append(ids, id)
	}
	*l = ids
	return nil
}

// Allows reports whether id may use the bot: an empty list allows everyone.
func (l IDList) Allows(id string) bool {
	if len(l) == 0 {
		return true
	}
	for _, x := range l {
		if x == id {
			return true
		}
	}
	return false
}

func isSlackID(s string) bool {
	if len(s) < 2 || len(s) > 24 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Visibility is RESPONSE_VISIBILITY: who sees query answers.
type Visibility string

// Decode implements envconfig.Decoder.
func (v *Visibility) Decode(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ephemeral":
		*v = "ephemeral"
	case "in_channel":
		*v = "in_channel"
	default:
		return &ConfigError{Problem: fmt.Sprintf("%q is not ephemeral or in_channel", s)}
	}
	return nil
}

// PIIMode is PII_MODE.
type PIIMode commands.PIIMode

// Decode implements envconfig.Decoder.
func (p *PIIMode) Decode(s string) error {
	m, ok := commands.ParsePIIMode(strings.ToLower(strings.TrimSpace(s)))
	if !ok {
		return &ConfigError{Problem: fmt.Sprintf("%q is not full, masked or hidden", s)}
	}
	*p = PIIMode(m)
	return nil
}

// Location is a time zone name such as UTC or Asia/Kolkata.
type Location struct{ *time.Location }

// Decode implements envconfig.Decoder.
func (l *Location) Decode(s string) error {
	s = strings.TrimPrefix(strings.TrimSpace(s), ":") // TZ=:Europe/Paris is POSIX-valid
	if s == "" {
		return nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return &ConfigError{Problem: fmt.Sprintf("%q is not a known time zone; expected e.g. UTC or Asia/Kolkata", s)}
	}
	l.Location = loc
	return nil
}

// LogLevel is LOG_LEVEL.
type LogLevel struct{ slog.Level }

// Decode implements envconfig.Decoder.
func (l *LogLevel) Decode(s string) error {
	if err := l.Level.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return &ConfigError{Problem: fmt.Sprintf("%q is not debug, info, warn or error", s)}
	}
	return nil
}

// LogFormat is LOG_FORMAT: json or text.
type LogFormat string

// Decode implements envconfig.Decoder.
func (f *LogFormat) Decode(s string) error {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "json", "text":
		*f = LogFormat(v)
		return nil
	}
	return &ConfigError{Problem: fmt.Sprintf("%q is not json or text", s)}
}
