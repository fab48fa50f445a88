package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// slackMethods are the methods ExplainSlack words, and one it has no
// special words for.
var slackMethods = []string{SlackAuthTest, SlackConnectionsOpen, SlackFilesUpload, "response_url"}

// everyMessage is each sentence of the product people read, by name: the
// notices and confirmations, Explain for each kind of error, and
// ExplainSlack for each Slack code and method.
func everyMessage() [][2]string {
	msgs := [][2]string{
		{"NotAllowed", NotAllowed},
		{"UnreadableButton", UnreadableButton},
		{"Busy", Busy},
		{"Crashed", Crashed},
		{"ExportNoTempFile", ExportNoTempFile},
		{"DemoNotice", DemoNotice},
		{"ExportStarted", ExportStarted("tag:vip <!here>")},
		{"ExportEmpty", ExportEmpty("tag:vip")},
		{"ExportProgress", ExportProgress(120, 4000)},
		{"ExportStopped", ExportStopped(&inbox.TimeoutError{PerAttempt: 10 * time.Second, Attempts: 4})},
		{"ExportComment", ExportComment("U0123", 42, "online", 0)},
		{"ExportComment capped", ExportComment("U0123", 100000, "online", 100000)},
	}
	for _, e := range explainedErrors() {
		msgs = append(msgs, [2]string{"Explain " + e.name, Explain(e.err)})
	}
	codes := sortedSlackCodes()
	codes = append(codes, "http_503", "some_new_code")
	for _, m := range slackMethods {
		for _, c := range codes {
			msgs = append(msgs, [2]string{"ExplainSlack " + m + " " + c, ExplainSlack(c, m)})
		}
	}
	return msgs
}

type namedError struct {
	name string
	err  error
}

func explainedErrors() []namedError {
	return []namedError{
		{"query", &QueryError{Message: "`tga:` is not a qualifier"}},
		{"unauthorized", &inbox.UnauthorizedError{StatusCode: 401}},
		{"rate limited", &inbox.RateLimitError{Attempts: 4, RetryAfter: 30 * time.Second}},
		{"redirect", &inbox.RedirectError{StatusCode: 302, Host: "other.example"}},
		{"API 400", &inbox.APIError{StatusCode: 400, Attempts: 1, Message: "bad filter"}},
		{"API 404", &inbox.APIError{StatusCode: 404, Attempts: 1}},
		{"API 503", &inbox.APIError{StatusCode: 503, Attempts: 4}},
		{"API success false", &inbox.APIError{StatusCode: 200, Code: 422, Attempts: 1}},
		{"timeout", &inbox.TimeoutError{PerAttempt: 10 * time.Second, Attempts: 4}},
		{"bad response", &inbox.BadResponseError{StatusCode: 200, Reason: "not JSON"}},
		{"unreachable", &inbox.ConnectionError{Host: "api.example", Attempts: 4, Err: errors.New("boom")}},
		{"slack upload", &SlackError{Method: SlackFilesUpload, Code: "not_in_channel"}},
		{"deadline", context.DeadlineExceeded},
		{"canceled", context.Canceled},
		{"other", errors.New("disk full")},
	}
}

func sortedSlackCodes() []string {
	var codes []string
	for c := range slackCodes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// TestMessagesGolden keeps every sentence people read under review in
// one file, testdata/messages.golden (go test -update rewrites it).
func TestMessagesGolden(t *testing.T) {
	var b strings.Builder
	for _, m := range everyMessage() {
		fmt.Fprintf(&b, "%s\n\t%s\n", m[0], m[1])
	}
	got := b.String()
	file := filepath.Join("testdata", "messages.golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("messages changed; run go test -update and review testdata/messages.golden:\n%s", got)
	}
}

// TestEverySlackCodeIsWorded: each code of the one Slack table has its own
// words for every method (not the sentence of an unknown code), and the
// operator's words name the variable to fix when the configuration is at
// fault.
func TestEverySlackCodeIsWorded(t *testing.T) {
	for _, m := range slackMethods {
		unknown := ExplainSlack("zz_unknown", m)
		for _, c := range sortedSlackCodes() {
			got := ExplainSlack(c, m)
			if got == strings.ReplaceAll(unknown, "zz_unknown", c) {
				t.Errorf("%s %s: the words of an unknown code: %q", m, c, got)
			}
			if SlackConfigProblem(c) && m == SlackConnectionsOpen && !strings.Contains(got, "SLACK_APP_TOKEN") && c != "forbidden_team" {
				t.Errorf("%s %s: %q does not name SLACK_APP_TOKEN", m, c, got)
			}
			if SlackConfigProblem(c) && m == SlackAuthTest && !strings.Contains(got, "SLACK_BOT_TOKEN") && c != "forbidden_team" {
				t.Errorf("%s %s: %q does not name SLACK_BOT_TOKEN", m, c, got)
			}
		}
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&QueryError{Message: "x"}, "bad_query"},
		{fmt.Errorf("inbox: page 1: %w", &inbox.UnauthorizedError{StatusCode: 401}), "inbox_unauthorized"},
		{&inbox.RateLimitError{Attempts: 4}, "inbox_ratelimited"},
		{&inbox.RedirectError{StatusCode: 302}, "inbox_redirect"},
		{&inbox.APIError{StatusCode: 200}, "inbox_failed"},
		{&inbox.APIError{StatusCode: 404}, "inbox_not_found"},
		{&inbox.APIError{StatusCode: 503}, "inbox_unavailable"},
		{&inbox.APIError{StatusCode: 400}, "inbox_refused"},
		{&inbox.TimeoutError{Attempts: 4}, "inbox_timeout"},
		{&inbox.BadResponseError{}, "inbox_bad_response"},
		{&inbox.ConnectionError{Err: errors.New("x")}, "inbox_unreachable"},
		{&SlackError{Method: SlackFilesUpload, Code: "missing_scope"}, "slack_missing_scope"},
		{context.DeadlineExceeded, "timeout"},
		{context.Canceled, "canceled"},
		{errors.New("x"), "internal"},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestSlackErrorIsTerse(t *testing.T) {
	e := &SlackError{Method: SlackFilesUpload, Code: "missing_scope", Err: errors.New("missing_scope")}
	if got, want := e.Error(), "slack: files.upload: missing_scope"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e.Code, e.Err = "error", errors.New("dial tcp: refused")
	if got, want := e.Error(), "slack: files.upload: error: dial tcp: refused"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
