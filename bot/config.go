// Package bot is inboxbot's adapter to the outside world: configuration,
// Slack wiring and, later, the scheduler, alert engine and state store.
package bot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
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
	DigestGrace   time.Duration `envconfig:"DIGEST_GRACE" default:"15m"`

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

// ConfigErrors is every problem of a configuration, at most one per
// variable, in the order of SPEC §4, so that an operator fixes them all in
// one go rather than one per run.
type ConfigErrors []*ConfigError

// Error implements error: one line per problem.
func (e ConfigErrors) Error() string {
	lines := make([]string, len(e))
	for i, ce := range e {
		lines[i] = ce.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *ConfigError.
func (e ConfigErrors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, ce := range e {
		errs[i] = ce
	}
	return errs
}

// Has reports whether the variable has a problem.
func (e ConfigErrors) Has(name string) bool {
	return slices.ContainsFunc(e, func(ce *ConfigError) bool { return ce.Var == name })
}

// add records a problem unless the variable already has one (a value that
// could not be read is not validated again).
func (e *ConfigErrors) add(name, problem string) {
	if !e.Has(name) {
		*e = append(*e, &ConfigError{Var: name, Problem: problem})
	}
}

// addErr records err if it is a problem.
func (e *ConfigErrors) addErr(err error) {
	var ce *ConfigError
	if errors.As(err, &ce) {
		e.add(ce.Var, ce.Problem)
	}
}

// sorted returns the problems in the order of Config's fields.
func (e ConfigErrors) sorted() ConfigErrors {
	order := map[string]int{}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		order[t.Field(i).Tag.Get("envconfig")] = i
	}
	out := slices.Clone(e)
	slices.SortStableFunc(out, func(a, b *ConfigError) int { return order[a.Var] - order[b.Var] })
	return out
}

// orNil returns nil for no problems, so that a caller's err != nil holds
// only when there are some.
func (e ConfigErrors) orNil() error {
	if len(e) == 0 {
		return nil
	}
	return e.sorted()
}

// LoadConfig reads and validates the configuration from the environment. It
// reports every problem at once, as ConfigErrors.
func LoadConfig() (*Config, error) {
	c, problems := loadConfig()
	if err := problems.orNil(); err != nil {
		return nil, err
	}
	return c, nil
}

// loadBotConfig is LoadConfig plus what the Slack bot needs (RequireSlack),
// with every problem of both in one list: `run` and `check` name all of
// them at once.
func loadBotConfig() (*Config, error) {
	c, problems := loadConfig()
	var rs ConfigErrors
	if errors.As(c.RequireSlack(), &rs) {
		for _, ce := range rs {
			problems.add(ce.Var, ce.Problem)
		}
	}
	if err := problems.orNil(); err != nil {
		return c, err
	}
	return c, nil
}

// loadConfig reads every variable and validates the result, collecting all
// problems. The Config is returned even with problems (fields that could not
// be read keep their zero value), so that `check` can go on testing what is
// valid.
func loadConfig() (*Config, ConfigErrors) {
	var c Config
	problems := readEnv(&c)
	c.validate(&problems)
	return &c, problems
}

// readEnv fills c from the environment one field at a time: envconfig stops
// at the first malformed variable, and an operator wants to hear of all of
// them. Each field is processed by envconfig alone, in a one-field struct
// with the same tags, so defaults and decoders behave exactly as for the
// whole struct.
func readEnv(c *Config) ConfigErrors {
	var problems ConfigErrors
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		one := reflect.New(reflect.StructOf([]reflect.StructField{{Name: f.Name, Type: f.Type, Tag: f.Tag}}))
		if err := envconfig.Process("", one.Interface()); err != nil {
			problems.addErr(explainEnvconfig(err))
			continue
		}
		v.Field(i).Set(one.Elem().Field(0))
	}
	return problems
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

// minAlertInterval is the shortest ALERT_INTERVAL (SPEC §4): a round more
// often than every second would be a load test of the inbox, not an alert.
const minAlertInterval = time.Second

// validate checks what the decoders cannot: ranges, URLs, the default
// query, the store and rules file. Variables that could not be read at all
// are skipped (their problem is already recorded).
func (c *Config) validate(p *ConfigErrors) {
	ok := func(name string) bool { return !p.Has(name) }
	if ok("INBOX_TIMEOUT") && (c.InboxTimeout < time.Millisecond || c.InboxTimeout > 5*time.Minute) {
		p.add("INBOX_TIMEOUT", "expected a duration between 1ms and 5m, e.g. 10s")
	}
	if ok("INBOX_MAX_ATTEMPTS") && (c.InboxMaxAttempts < 1 || c.InboxMaxAttempts > 10) {
		p.add("INBOX_MAX_ATTEMPTS", "expected a whole number from 1 to 10")
	}
	if ok("ALERT_INTERVAL") && c.AlertInterval < minAlertInterval {
		p.add("ALERT_INTERVAL", "expected a duration of at least 1s, e.g. 1m")
	}
	if ok("DIGEST_GRACE") && c.DigestGrace <= 0 {
		p.add("DIGEST_GRACE", "expected a positive duration, e.g. 15m")
	}
	p.addErr(checkURL("INBOX_API_URL", c.InboxAPIURL, true))
	if err := checkURL("SLACK_API_URL", c.SlackAPIURL, true); err != nil {
		p.addErr(err)
	} else if !strings.HasSuffix(c.SlackAPIURL, "/") {
		p.add("SLACK_API_URL", "must end with a slash, e.g. https://slack.com/api/")
	}
	p.addErr(checkURL("INBOX_WEB_URL", c.InboxWebURL, false))
	if problem := storeURLProblem(c.StoreURL); problem != "" {
		p.add("STORE_URL", problem)
	}
	if c.RulesFile != "" {
		if problem := rulesFileProblem(c.RulesFile); problem != "" {
			p.add("RULES_FILE", problem)
		}
	}
	if problem := httpAddrProblem(c.HTTPAddr); problem != "" {
		p.add("HTTP_ADDR", problem)
	}
	if strings.ContainsAny(c.InboxAPIToken, " \t\r\n") {
		p.add("INBOX_API_TOKEN", "contains white space; paste the token alone")
	}
	// The default query is parsed with the aliases, so it waits for them.
	if !p.Has("INBOX_BOTS") && !p.Has("INBOX_AGENTS") && !p.Has("INBOX_SEGMENTS") && !p.Has("TZ") {
		if problem := c.defaultQueryProblem(); problem != "" {
			p.add("INBOX_DEFAULT_QUERY", problem)
		}
	}
}

// defaultQueryProblem parses INBOX_DEFAULT_QUERY as a bare /inbox would, so
// that a typo stops start-up instead of answering every bare /inbox with an
// error about a query nobody typed. `@me`/`mine` are parsed as the first
// Slack user linked in INBOX_AGENTS: the default must work for someone.
func (c *Config) defaultQueryProblem() string {
	if strings.TrimSpace(c.InboxDefaultQuery) == "" {
		return "must not be empty; e.g. live unassigned"
	}
	env := commands.Env{
		// Only the syntax is checked: the parsed query is thrown away, so the
		// wall clock is as good as any.
		Now:       time.Now(),
		Location:  c.Location(),
		Aliases:   c.Aliases(),
		SlackUser: c.firstLinkedSlackUser(),
	}
	if _, err := commands.Parse(c.InboxDefaultQuery, env); err != nil {
		return "is not a valid query: " + err.Error()
	}
	return ""
}

func (c *Config) firstLinkedSlackUser() string {
	var users []string
	for _, a := range c.InboxAgents {
		if a.SlackUser != "" {
			users = append(users, a.SlackUser)
		}
	}
	slices.Sort(users)
	if len(users) == 0 {
		return ""
	}
	return users[0]
}

// storeURLProblem checks STORE_URL's syntax: bolt:// with a path, or
// redis:// / rediss:// with a host. The value is never echoed: a redis URL
// may carry a password.
func storeURLProblem(raw string) string {
	const expected = "expected bolt://PATH (e.g. bolt://inboxbot.db, bolt:///var/lib/inboxbot/inboxbot.db) or redis://HOST:PORT (rediss:// for TLS)"
	scheme, rest, found := strings.Cut(raw, "://")
	if !found {
		return expected
	}
	switch scheme {
	case "bolt":
		if strings.Trim(rest, "/") == "" {
			return "bolt:// needs a file path; " + expected
		}
		return ""
	case "redis", "rediss":
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			return scheme + ":// needs a host (and port is a number); " + expected
		}
		return ""
	}
	return expected
}

// rulesFileProblem reports whether RULES_FILE can be read (its content is
// checked once rules exist).
func rulesFileProblem(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("cannot read %q: %s", path, pathErrorWords(err))
	}
	defer f.Close()
	st, err := f.Stat()
	switch {
	case err != nil:
		return fmt.Sprintf("cannot read %q: %s", path, pathErrorWords(err))
	case st.IsDir():
		return fmt.Sprintf("%q is a directory; expected a YAML or JSON file", path)
	}
	var b [1]byte
	if _, err := f.Read(b[:]); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("cannot read %q: %s", path, pathErrorWords(err))
	}
	return ""
}

// pathErrorWords is the cause of a file error without the path, which the
// caller already quotes.
func pathErrorWords(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// httpAddrProblem checks HTTP_ADDR's syntax: [host]:port with a port from 0
// to 65535, so that a typo fails `check` instead of `run`.
func httpAddrProblem(addr string) string {
	const expected = "expected [host]:port, e.g. :8080 or 127.0.0.1:8080"
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not an address; %s", addr, expected)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || strings.HasPrefix(port, "+") {
		return fmt.Sprintf("%q: the port must be a number from 0 to 65535; %s", addr, expected)
	}
	if host != "" && net.ParseIP(host) == nil && !isHostName(host) {
		return fmt.Sprintf("%q: %q is not a host name or IP address; %s", addr, host, expected)
	}
	return ""
}

// isHostName accepts DNS names such as localhost or bot.internal.
func isHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' {
				return false
			}
		}
	}
	return true
}

// RequireSlack checks what the Slack bot needs beyond the rest: both tokens,
// of the right kinds and not the example file's placeholders, and the inbox
// token. It reports every problem at once (as ConfigErrors); the tokens'
// values are never echoed.
func (c *Config) RequireSlack() error {
	var p ConfigErrors
	switch {
	case c.SlackBotToken == "":
		p.add("SLACK_BOT_TOKEN", "missing; expected the app's bot token (xoxb-...)")
	case !strings.HasPrefix(c.SlackBotToken, "xoxb-"):
		p.add("SLACK_BOT_TOKEN", "expected a bot token starting with xoxb-")
	case isPlaceholder(c.SlackBotToken):
		p.add("SLACK_BOT_TOKEN", "is still the example's placeholder; paste the Bot User OAuth Token (xoxb-...) from the app's Install App page")
	}
	switch {
	case c.SlackAppToken == "":
		p.add("SLACK_APP_TOKEN", "missing; expected an app-level token (xapp-...) with connections:write")
	case !strings.HasPrefix(c.SlackAppToken, "xapp-"):
		p.add("SLACK_APP_TOKEN", "expected an app-level token starting with xapp-")
	case isPlaceholder(c.SlackAppToken):
		p.add("SLACK_APP_TOKEN", "is still the example's placeholder; generate an app-level token (xapp-...) with connections:write under Basic Information")
	}
	switch {
	case c.InboxAPIToken == "":
		p.add("INBOX_API_TOKEN", "missing; expected the Convertalk API token")
	case isPlaceholder(c.InboxAPIToken):
		p.add("INBOX_API_TOKEN", "is still the example's placeholder; paste the Convertalk API token")
	}
	return p.orNil()
}

// isPlaceholder reports whether a token is an example's stand-in such as
// xoxb-replace-me, xapp-..., <token> or your-token-here rather than a real
// token. Whole words are compared, so a real token's random part cannot
// match by chance.
func isPlaceholder(token string) bool {
	t := strings.ToLower(token)
	if strings.ContainsAny(t, "<>*") || strings.Contains(t, "...") {
		return true
	}
	words := strings.FieldsFunc(t, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ' ' })
	for _, w := range words {
		switch w {
		case "replace", "replaceme", "change", "changeme", "placeholder", "example", "your", "yours", "todo", "fixme", "here":
			return true
		}
		if len(w) >= 3 && strings.Trim(w, "x") == "" {
			return true // xoxb-xxxx
		}
	}
	return false
}

// notYetUsed are the variables that are read and checked but drive no
// feature yet (none since alerts use ALERT_INTERVAL; the list stays for
// the next such variable).
// The README's configuration table says "not used yet" for each of them (a
// test holds the two together).
var notYetUsed = []string{}

// notYetUsedSettings returns the variables of notYetUsed that lookup finds
// set, so that `check` and `run` can say they do nothing yet.
func notYetUsedSettings(lookup func(string) (string, bool)) []string {
	var set []string
	for _, name := range notYetUsed {
		if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
			set = append(set, name)
		}
	}
	return set
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
