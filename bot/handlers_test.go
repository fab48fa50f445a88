package bot

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/convertalk/inboxbot/commands"
)

// A hostile payload must not make the bot post customer data to a host of
// its choosing: only Slack's hosts (https) or the host of SLACK_API_URL.
func TestTrustedResponseURL(t *testing.T) {
	b := &Bot{cfg: &Config{SlackAPIURL: "http://127.0.0.1:4390/api/"}}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://hooks.slack.com/commands/T1/2/abc", true},
		{"https://hooks.slack.com/actions/T1/2/abc", true},
		{"https://enterprise.slack.com/actions/T1/2/abc", true},
		{"http://127.0.0.1:4390/hooks/commands/T1/2/abc", true}, // the fake, as SLACK_API_URL
		{"http://hooks.slack.com/commands/T1/2/abc", false},     // not https
		{"https://hooks.slack.com.evil.example/x", false},
		{"https://evilslack.com/x", false},
		{"https://hooks.slack.com@evil.example/x", false},
		{"https://evil.example/?h=hooks.slack.com", false},
		{"https://hooks.slack.com:8443/x", false},
		{"http://127.0.0.1:4391/hooks/x", false},  // another port
		{"https://127.0.0.1:4390/hooks/x", false}, // another scheme
		{"", false},
		{"/hooks/commands/x", false},
		{"::not a url", false},
	}
	for _, tt := range tests {
		if got := b.trustedResponseURL(tt.url); got != tt.want {
			t.Errorf("trustedResponseURL(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

func FuzzTrustedResponseURL(f *testing.F) {
	for _, s := range []string{"https://hooks.slack.com/commands/T1/2/abc", "http://127.0.0.1:4390/hooks/x",
		"https://a.slack.com/x", "https://hooks.slack.com@evil.example/", "https://evil.example\\.slack.com/"} {
		f.Add(s)
	}
	b := &Bot{cfg: &Config{SlackAPIURL: "http://127.0.0.1:4390/api/"}}
	f.Fuzz(func(t *testing.T, raw string) {
		if !b.trustedResponseURL(raw) {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("trusted an unparsable URL %q", raw)
		}
		slackHost := u.Scheme == "https" && (u.Host == "hooks.slack.com" || strings.HasSuffix(u.Host, ".slack.com"))
		apiHost := u.Scheme == "http" && u.Host == "127.0.0.1:4390"
		if !slackHost && !apiHost {
			t.Fatalf("trusted %q (scheme %q host %q)", raw, u.Scheme, u.Host)
		}
		// What net/http would dial must be that same host.
		if h := u.Hostname(); h != "127.0.0.1" && h != "slack.com" && !strings.HasSuffix(h, ".slack.com") {
			t.Fatalf("trusted %q, which dials %q", raw, h)
		}
	})
}

func TestFailureResult(t *testing.T) {
	if got := failureResult(fmt.Errorf("page 3: %w", &commands.QueryError{Message: "too deep"})); got != "bad_query" {
		t.Errorf("a query error is %q", got)
	}
	if got := failureResult(errors.New("connection refused")); got != "inbox_error" {
		t.Errorf("an inbox error is %q", got)
	}
}
