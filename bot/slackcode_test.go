package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands"
)

// TestSlackErrorCodesAreWorded: every code slackErrorCode reads from
// slack-go's errors has words of its own in commands (the one mapping), not
// the sentence of a code nobody knows.
func TestSlackErrorCodesAreWorded(t *testing.T) {
	tests := []struct {
		err  error
		code string
	}{
		{slack.SlackErrorResponse{Err: "missing_scope"}, "missing_scope"},
		{fmt.Errorf("upload: %w", slack.SlackErrorResponse{Err: "not_in_channel"}), "not_in_channel"},
		{slack.SlackErrorResponse{Err: "invalid_auth"}, "invalid_auth"},
		{&slack.RateLimitedError{RetryAfter: time.Second}, "ratelimited"},
		{slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, "http_503"},
		{context.DeadlineExceeded, "timeout"},
		{errors.New("dial tcp: connection refused"), "error"},
	}
	unknown := commands.ExplainSlack("zz_unknown", commands.SlackFilesUpload)
	for _, tt := range tests {
		got := slackErrorCode(tt.err)
		if got != tt.code {
			t.Errorf("slackErrorCode(%v) = %q, want %q", tt.err, got, tt.code)
		}
		words := commands.Explain(slackFailure(commands.SlackFilesUpload, tt.err))
		if words == strings.ReplaceAll(unknown, "zz_unknown", got) {
			t.Errorf("%s: the words of an unknown code: %q", got, words)
		}
		if code := commands.ErrorCode(slackFailure(commands.SlackFilesUpload, tt.err)); code != "slack_"+tt.code {
			t.Errorf("ErrorCode = %q, want slack_%s", code, tt.code)
		}
	}
	if slackFailure("x", nil) != nil {
		t.Error("slackFailure(nil) is not nil")
	}
}
