package bot

import (
	"strings"
	"testing"

	"github.com/convertalk/inboxbot/bot/slacktest"
)

// TestE2EFailedUploadLogsItsCause: an export whose upload Slack refuses
// with missing_scope tells the user what to do, and its one log line
// carries the error and its code, not the user's sentence (issue 7,
// point 4).
func TestE2EFailedUploadLogsItsCause(t *testing.T) {
	t.Parallel()
	h := startE2E(t)
	h.slack.InjectError("files.getUploadURLExternal", "missing_scope", 1)
	d := h.command("export online")
	notes := h.answers(d, 2) // "Exporting…", then the failure
	assertContains(t, "the failure", answerText(t, notes[1]), "missing_scope", "files:write")

	var recs []map[string]any
	slacktest.Poll(t, h.ctx, "the export's log line", func() bool {
		recs = h.logLines("command")
		return len(recs) > 0
	})
	rec := recs[0]
	if rec["kind"] != "export" || rec["outcome"] != "slack_error" {
		t.Errorf("log line %v: want kind export, outcome slack_error", rec)
	}
	if code := rec["error_code"]; code != "slack_missing_scope" {
		t.Errorf("error_code %v, want slack_missing_scope:\n%s", code, h.logs)
	}
	if msg, _ := rec["err"].(string); !strings.Contains(msg, "missing_scope") || !strings.Contains(msg, "files.upload") {
		t.Errorf("err %q: want the method and Slack's code", msg)
	}
	if msg, _ := rec["err"].(string); strings.Contains(msg, "files:write") {
		t.Errorf("err %q is the user's sentence, not the error", msg)
	}
}
