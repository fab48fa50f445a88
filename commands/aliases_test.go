package commands

import (
	"maps"
	"strings"
	"testing"

	"github.com/convertalk/inboxbot/inbox"
)

func TestParseBots(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]BotAlias
		wantErr string // a fragment of the error; "" for success
	}{
		{"", map[string]BotAlias{}, ""},
		{" , ", map[string]BotAlias{}, ""},
		{"sales=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0", map[string]BotAlias{"sales": {inbox.WhatsApp, "65f0c1d2e3f4a5b6c7d8e9f0"}}, ""},
		{" Sales = WhatsApp:65F0C1D2E3F4A5B6C7D8E9F0 , web=website:65f0c1d2e3f4a5b6c7d8e9f1,", map[string]BotAlias{
			"sales": {inbox.WhatsApp, "65f0c1d2e3f4a5b6c7d8e9f0"},
			"web":   {inbox.Website, "65f0c1d2e3f4a5b6c7d8e9f1"},
		}, ""},
		{"sales", nil, `bad entry "sales"`},
		{"sales=65f0c1d2e3f4a5b6c7d8e9f0", nil, "not channel:id"},
		{"sales=sms:65f0c1d2e3f4a5b6c7d8e9f0", nil, `"sms" is not a channel`},
		{"sales=whatsapp:123", nil, `"123" is not a bot id`},
		{"a=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0,A=website:65f0c1d2e3f4a5b6c7d8e9f1", nil, "defined twice"},
		{"my bot=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0", nil, "not a usable name"},
		{"1st=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0", nil, "not a usable name"},
		{"abcdefabcdefabcdefabcdef=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0", nil, "looks like an id"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBots(tt.in)
			checkAliasResult(t, got, err, tt.want, tt.wantErr, tt.in)
		})
	}
}

func TestParseAgents(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]AgentAlias
		wantErr string
	}{
		{"", map[string]AgentAlias{}, ""},
		{"alice=65ab12cd34ef56ab78cd90ef@U024BE7LH,bob=65ab12cd34ef56ab78cd90f0", map[string]AgentAlias{
			"alice": {"65ab12cd34ef56ab78cd90ef", "U024BE7LH"},
			"bob":   {"65ab12cd34ef56ab78cd90f0", ""},
		}, ""},
		{"alice=65AB12CD34EF56AB78CD90EF@u024be7lh", map[string]AgentAlias{"alice": {"65ab12cd34ef56ab78cd90ef", "U024BE7LH"}}, ""},
		{"alice=65ab12cd34ef56ab78cd90ef@W0ENTERPRISE", map[string]AgentAlias{"alice": {"65ab12cd34ef56ab78cd90ef", "W0ENTERPRISE"}}, ""},
		{"alice=nope", nil, `"nope" is not an agent id`},
		{"alice=65ab12cd34ef56ab78cd90ef@C024BE7LH", nil, "not a Slack user id"},
		{"alice=65ab12cd34ef56ab78cd90ef@", nil, "not a Slack user id"},
		{"me=65ab12cd34ef56ab78cd90ef", nil, "reserved"},
		{"a=65ab12cd34ef56ab78cd90ef@U1X,b=65ab12cd34ef56ab78cd90f0@U1X", nil, "already agent"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAgents(tt.in)
			checkAliasResult(t, got, err, tt.want, tt.wantErr, tt.in)
		})
	}
}

func TestParseSegments(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{"", map[string]string{}, ""},
		{"returning=65AB12CD34EF56AB78CD90EF", map[string]string{"returning": "65ab12cd34ef56ab78cd90ef"}, ""},
		{"returning=", nil, `"" is not a segment id`},
		{"=65ab12cd34ef56ab78cd90ef", nil, "not a usable name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSegments(tt.in)
			checkAliasResult(t, got, err, tt.want, tt.wantErr, tt.in)
		})
	}
}

func checkAliasResult[V comparable](t *testing.T, got map[string]V, err error, want map[string]V, wantErr, in string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error %v, want one containing %q", err, wantErr)
		}
		if !strings.Contains(err.Error(), "bad entry") {
			t.Errorf("error %q does not name the entry", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestAliasLookups checks the reverse lookups canonical forms rely on: the
// first name in order when several share an id.
func TestAliasLookups(t *testing.T) {
	agents, err := ParseAgents("zed=65ab12cd34ef56ab78cd90ef@U11,amy=65ab12cd34ef56ab78cd90ef")
	if err != nil {
		t.Fatal(err)
	}
	bots, err := ParseBots("b=whatsapp:65f0c1d2e3f4a5b6c7d8e9f1,a=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0,c=website:65f0c1d2e3f4a5b6c7d8e9f0")
	if err != nil {
		t.Fatal(err)
	}
	a := Aliases{Agents: agents, Bots: bots}
	if got := a.agentName("65ab12cd34ef56ab78cd90ef"); got != "amy" {
		t.Errorf("agentName = %q, want amy", got)
	}
	if name, _, ok := a.agentForSlackUser("u11"); !ok || name != "zed" {
		t.Errorf("agentForSlackUser = %q %v, want zed", name, ok)
	}
	if got := a.botName(inbox.Website, "65f0c1d2e3f4a5b6c7d8e9f0"); got != "c" {
		t.Errorf("botName = %q, want c", got)
	}
	if got := a.botIDs(inbox.WhatsApp); strings.Join(got, ",") != "65f0c1d2e3f4a5b6c7d8e9f0,65f0c1d2e3f4a5b6c7d8e9f1" {
		t.Errorf("botIDs = %v", got)
	}
	if got := a.botIDs(inbox.Facebook); len(got) != 0 {
		t.Errorf("botIDs(facebook) = %v, want none", got)
	}
}
