package bot

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// configVars are every variable of SPEC §4; tests clear them so the
// developer's own environment cannot leak in.
var configVars = []string{
	"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "INBOX_API_URL", "INBOX_API_TOKEN",
	"INBOX_TIMEOUT", "INBOX_MAX_ATTEMPTS", "INBOX_WEB_URL", "INBOX_BOTS", "INBOX_AGENTS",
	"INBOX_SEGMENTS", "INBOX_DEFAULT_QUERY", "ALLOWED_CHANNELS", "ALLOWED_USERS", "ADMIN_USERS",
	"RESPONSE_VISIBILITY", "PII_MODE", "STORE_URL", "RULES_FILE", "TZ", "DIGEST_TZ",
	"ALERT_INTERVAL", "HTTP_ADDR", "LOG_LEVEL", "LOG_FORMAT",
}

// cleanEnv unsets every configuration variable for the test, then sets env.
func cleanEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range configVars {
		t.Setenv(name, "") // registers restoration
		os.Unsetenv(name)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	cleanEnv(t, nil)
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"SLACK_API_URL", cfg.SlackAPIURL, "https://slack.com/api/"},
		{"INBOX_API_URL", cfg.InboxAPIURL, "https://api.v7.convertalk.com"},
		{"INBOX_TIMEOUT", cfg.InboxTimeout, 10 * time.Second},
		{"INBOX_MAX_ATTEMPTS", cfg.InboxMaxAttempts, 4},
		{"INBOX_DEFAULT_QUERY", cfg.InboxDefaultQuery, "live unassigned"},
		{"RESPONSE_VISIBILITY", cfg.ResponseVisibility, Visibility("ephemeral")},
		{"PII_MODE", cfg.PIIMode, PIIMode("masked")},
		{"STORE_URL", cfg.StoreURL, "bolt://inboxbot.db"},
		{"TZ", cfg.Location().String(), "UTC"},
		{"ALERT_INTERVAL", cfg.AlertInterval, time.Minute},
		{"HTTP_ADDR", cfg.HTTPAddr, ":8080"},
		{"LOG_FORMAT", cfg.LogFormat, LogFormat("json")},
		{"LOG_LEVEL", cfg.LogLevel.String(), "INFO"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadConfigValues(t *testing.T) {
	cleanEnv(t, map[string]string{
		"INBOX_BOTS":       "sales=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0",
		"INBOX_AGENTS":     "alice=65ab12cd34ef56ab78cd90ef@U024BE7LH",
		"INBOX_SEGMENTS":   "returning=65ab12cd34ef56ab78cd90e0",
		"ALLOWED_CHANNELS": "C024BE91L, C0000000002",
		"TZ":               "Asia/Kolkata",
		"DIGEST_TZ":        "Europe/Paris",
		"PII_MODE":         "HIDDEN",
		"LOG_LEVEL":        "debug",
	})
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.InboxBots["sales"].ID; got != "65f0c1d2e3f4a5b6c7d8e9f0" {
		t.Errorf("bot alias: %q", got)
	}
	if got := cfg.AgentNames()["65ab12cd34ef56ab78cd90ef"]; got != "alice" {
		t.Errorf("agent names: %q", got)
	}
	if !cfg.AllowedChannels.Allows("C0000000002") || cfg.AllowedChannels.Allows("C999") {
		t.Errorf("allowed channels: %v", cfg.AllowedChannels)
	}
	if !cfg.AllowedUsers.Allows("U1") {
		t.Error("an empty ALLOWED_USERS must allow everyone")
	}
	if cfg.Location().String() != "Asia/Kolkata" || cfg.ScheduleLocation().String() != "Europe/Paris" {
		t.Errorf("zones: %v %v", cfg.Location(), cfg.ScheduleLocation())
	}
	if cfg.PIIMode != "hidden" {
		t.Errorf("PII_MODE: %q", cfg.PIIMode)
	}
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"INBOX_TIMEOUT", "ten seconds"},
		{"INBOX_TIMEOUT", "0s"},
		{"INBOX_MAX_ATTEMPTS", "many"},
		{"INBOX_MAX_ATTEMPTS", "0"},
		{"INBOX_API_URL", "ftp://example.com"},
		{"INBOX_API_URL", "not a url"},
		{"SLACK_API_URL", "https://slack.com/api"},
		{"INBOX_WEB_URL", "app.convertalk.com"},
		{"INBOX_BOTS", "sales=whatsapp"},
		{"INBOX_BOTS", "sales=fax:65f0c1d2e3f4a5b6c7d8e9f0"},
		{"INBOX_AGENTS", "alice=nothex"},
		{"INBOX_SEGMENTS", "returning"},
		{"ALLOWED_CHANNELS", "general"},
		{"ALLOWED_USERS", "u12-3"},
		{"ADMIN_USERS", "@alice"},
		{"RESPONSE_VISIBILITY", "public"},
		{"PII_MODE", "partial"},
		{"STORE_URL", "postgres://db"},
		{"TZ", "Mars/Olympus"},
		{"DIGEST_TZ", "Nowhere/Else"},
		{"ALERT_INTERVAL", "1s"},
		{"LOG_LEVEL", "loud"},
		{"LOG_FORMAT", "xml"},
		{"INBOX_DEFAULT_QUERY", "   "},
		{"INBOX_API_TOKEN", "abc def"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			cleanEnv(t, map[string]string{tt.name: tt.value})
			_, err := LoadConfig()
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want a *ConfigError", err, err)
			}
			msg := err.Error()
			if ce.Var != tt.name || !strings.HasPrefix(msg, tt.name+": ") {
				t.Errorf("message %q does not start with the variable %s", msg, tt.name)
			}
			if strings.Contains(msg, "\n") || len(msg) > 300 {
				t.Errorf("message is not one short line: %q", msg)
			}
		})
	}
}

func TestRequireSlackNeverEchoesTokens(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "SLACK_BOT_TOKEN"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxp-secret-user-token"}, "SLACK_BOT_TOKEN"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-secret"}, "SLACK_APP_TOKEN"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_APP_TOKEN": "xoxb-secret-2"}, "SLACK_APP_TOKEN"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_APP_TOKEN": "xapp-secret"}, "INBOX_API_TOKEN"},
	}
	for _, tt := range tests {
		cleanEnv(t, tt.env)
		cfg, err := LoadConfig()
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.RequireSlack()
		if err == nil || !strings.HasPrefix(err.Error(), tt.want+":") {
			t.Errorf("%v: got %v, want an error about %s", tt.env, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error echoes a token: %q", err)
		}
	}
	cleanEnv(t, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "INBOX_API_TOKEN": "t"})
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.RequireSlack(); err != nil {
		t.Errorf("complete configuration refused: %v", err)
	}
}
