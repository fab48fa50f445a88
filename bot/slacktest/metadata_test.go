package slacktest

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

// A post's message metadata is kept on its Message, and an edit keeps it,
// as Slack does: a test can tell which digest slot or alert incident a
// message is, before and after it was updated.
func TestMessageMetadata(t *testing.T) {
	srv := New(t)
	api := newAPI(srv)
	ctx := t.Context()
	meta := slack.SlackMetadata{EventType: "inboxbot_digest", EventPayload: map[string]any{"digest": "d1", "slot": "2026-12-02T09:00:00Z"}}
	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("digest", false), slack.MsgOptionMetadata(meta))
	if err != nil {
		t.Fatal(err)
	}
	_, plain, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("plain", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	for _, m := range []Message{srv.Messages()[0], mustAt(t, srv, ch, ts)} {
		var got slack.SlackMetadata
		if err := json.Unmarshal([]byte(m.Metadata), &got); err != nil {
			t.Fatalf("%s: metadata %q: %v", m.Method, m.Metadata, err)
		}
		if got.EventType != meta.EventType || got.EventPayload["digest"] != "d1" || got.EventPayload["slot"] != "2026-12-02T09:00:00Z" {
			t.Errorf("%s: metadata %+v, want %+v", m.Method, got, meta)
		}
	}
	if m := mustAt(t, srv, ch, plain); m.Metadata != "" {
		t.Errorf("a post without metadata has %q", m.Metadata)
	}
}

func mustAt(t *testing.T, srv *Server, ch, ts string) Message {
	t.Helper()
	m, ok := srv.MessageAt(ch, ts)
	if !ok {
		t.Fatalf("no message %s %s", ch, ts)
	}
	return m
}
