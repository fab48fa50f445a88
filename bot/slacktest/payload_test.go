package slacktest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/convertalk/inboxbot/commands/blockcheck"
)

// fixedMeta makes payloads deterministic for golden files.
var fixedMeta = payloadMeta{
	TeamID: DefaultTeamID, TeamDomain: DefaultTeamDomain, AppID: DefaultAppID,
	BotID: DefaultBotID, BotUserID: DefaultBotUserID,
	TriggerID: "1732460000000100.7.0123456789abcdef", ActionTS: "1732460000.000100",
}

func TestPayloadGolden(t *testing.T) {
	msg := Message{
		Channel: "C1", TS: "1732460000.000050", Text: "page 1",
		Blocks: json.RawMessage(`[{"type":"actions","block_id":"pager","elements":[{"type":"button","action_id":"inbox_next","value":"page=2","text":{"type":"plain_text","text":"Next"}}]}]`),
	}
	btn, err := findButton(msg.Blocks, "inbox_next")
	if err != nil {
		t.Fatal(err)
	}
	click := ClickOptions{ActionID: "inbox_next", MessageTS: msg.TS, ResponseURL: "http://fake/hooks/actions/T/2/abc"}.withDefaults()
	ephemeral := ClickOptions{ActionID: "share", Value: "q", MessageTS: "1732460000.000060", Ephemeral: true, ResponseURL: "http://fake/hooks/actions/T/3/def"}.withDefaults()
	tests := []struct {
		name string
		got  []byte
	}{
		{"slash_payload", slashPayload(SlashOptions{Text: "live  <!channel>"}.withDefaults(), fixedMeta, "http://fake/hooks/commands/T/1/abc")},
		{"click_payload", clickPayload(click, btn.merge(click), &msg, fixedMeta)},
		{"click_ephemeral_payload", clickPayload(ephemeral, button{BlockID: "share-block"}.merge(ephemeral), nil, fixedMeta)},
		{"hello_frame", helloFrame(3, DefaultAppID)},
		{"disconnect_frame", disconnectFrame("refresh_requested")},
		{"invalid_blocks_body", mustJSON(t, invalidBlocks([]blockcheck.Problem{{Pointer: "/blocks/0/text/text", Message: "must be at most 3000 characters"}}).body)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, tt.got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s differs from %s:\n%s", tt.name, path, pretty.Bytes())
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFindButton(t *testing.T) {
	blocks := json.RawMessage(`[
		{"type":"section","text":{"type":"mrkdwn","text":"x"},"accessory":{"type":"button","action_id":"open","value":"v1","text":{"type":"plain_text","text":"Open"}}},
		{"type":"actions","elements":[{"type":"button","action_id":"prev","value":"p"},{"type":"button","action_id":"next","value":"n"}]}
	]`)
	tests := []struct {
		actionID  string
		wantBlock string
		wantValue string
		wantErr   bool
	}{
		{"open", "auto-0", "v1", false},
		{"next", "auto-1", "n", false},
		{"missing", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.actionID, func(t *testing.T) {
			b, err := findButton(blocks, tt.actionID)
			if (err != nil) != tt.wantErr || b.BlockID != tt.wantBlock || b.Value != tt.wantValue {
				t.Errorf("findButton = %+v, %v", b, err)
			}
		})
	}
}

func FuzzParseAck(f *testing.F) {
	for _, seed := range []string{
		`{"envelope_id":"e1"}`, `{"envelope_id":"e1","payload":{"text":"hi"}}`, `{"envelope_id":"e1","payload":null}`,
		`{"envelope_id":"e1","payload":[1]}`, `{"envelope_id":""}`, `{}`, `[]`, `{"envelope_id":`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parseAck(data)
		if err != nil {
			return
		}
		if a.EnvelopeID == "" {
			t.Fatalf("accepted an ack without envelope id: %q", data)
		}
		if a.Payload != nil && (!json.Valid(a.Payload) || bytes.TrimSpace(a.Payload)[0] != '{') {
			t.Fatalf("accepted payload %q", a.Payload)
		}
	})
}

func FuzzParseResponseBody(f *testing.F) {
	for _, seed := range []string{
		`{"text":"replaced","replace_original":true,"delete_original":false,"metadata":{"event_type":"","event_payload":null},"blocks":null}`,
		`{"text":"x","response_type":"in_channel","blocks":[{"type":"divider"}]}`,
		`{"delete_original":"true"}`, `{"response_type":"loud"}`, `{"replace_original":1}`, `[]`, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := parseResponseBody(data)
		if err != nil {
			return
		}
		if rb.Blocks != nil && (!json.Valid(rb.Blocks) || string(bytes.TrimSpace(rb.Blocks)) == "null") {
			t.Fatalf("blocks %q", rb.Blocks)
		}
		switch rb.ResponseType {
		case "", "ephemeral", "in_channel":
		default:
			t.Fatalf("response_type %q accepted", rb.ResponseType)
		}
	})
}

func FuzzFlattenJSON(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"channel":"C1","blocks":[{"type":"divider"}],"n":1}`, `{"a":null}`, `[1]`, `{"a":"\u00e9"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		params, err := flattenJSON(data)
		if params == nil {
			t.Fatal("nil params")
		}
		if err != nil {
			return
		}
		var raw map[string]json.RawMessage
		if len(bytes.TrimSpace(data)) > 0 && json.Unmarshal(data, &raw) == nil && len(raw) != len(params) {
			t.Fatalf("%d keys in, %d params out", len(raw), len(params))
		}
	})
}
