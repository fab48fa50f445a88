package inboxtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/inbox"
)

func marshalAll(t *testing.T, cs []Contact) []byte {
	t.Helper()
	b, err := json.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := marshalAll(t, Generate(DefaultSeed, DefaultSize, testAnchor))
	b := marshalAll(t, Generate(DefaultSeed, DefaultSize, testAnchor))
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed and anchor gave different data")
	}
	if c := marshalAll(t, Generate(DefaultSeed+1, DefaultSize, testAnchor)); bytes.Equal(a, c) {
		t.Error("a different seed gave the same data")
	}
	if c := marshalAll(t, Generate(DefaultSeed, DefaultSize, testAnchor.Add(time.Hour))); bytes.Equal(a, c) {
		t.Error("a different anchor gave the same data")
	}
	// Two demo processes started within the same hour agree.
	early := Generate(DefaultSeed, DefaultSize, DemoAnchor(testAnchor.Add(2*time.Minute)))
	late := Generate(DefaultSeed, DefaultSize, DemoAnchor(testAnchor.Add(58*time.Minute)))
	if !bytes.Equal(marshalAll(t, early), marshalAll(t, late)) {
		t.Error("demo anchors within one hour gave different data")
	}
}

func TestDemoAnchor(t *testing.T) {
	kolkata := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		now  time.Time
		want time.Time
	}{
		{time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 15, 10, 59, 59, 999, time.UTC), time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 15, 16, 10, 0, 0, kolkata), time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got := DemoAnchor(tt.now)
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("DemoAnchor(%v) = %v, want %v in UTC", tt.now, got, tt.want)
		}
	}
}

// TestGolden pins the demo dataset: its first page byte for byte and a
// digest of the rest. Other packages' golden files depend on this data; if
// it changes on purpose, run `go test ./inbox/inboxtest -update` and tell
// the team.
func TestGolden(t *testing.T) {
	s := newTestServer()
	w := serve(t, s, http.MethodPost, Path, bodyOf(t, inbox.Filter{}), nil)
	var got bytes.Buffer
	if err := json.Indent(&got, w.Body.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&got, "\nsha256 of all %d contacts: %x\n", DefaultSize, sha256.Sum256(marshalAll(t, s.Contacts())))
	path := filepath.Join("testdata", "page1.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("the demo dataset changed; run with -update if that is intended\n got %s", truncate(got.String(), 600))
	}
}

func TestDatasetProperties(t *testing.T) {
	cs := Generate(DefaultSeed, DefaultSize, testAnchor)
	if len(cs) < 500 {
		t.Fatalf("%d contacts, want at least 500", len(cs))
	}
	count := map[string]int{}
	ids := map[string]bool{}
	for _, c := range cs {
		checkContact(t, c)
		if ids[c.ID] {
			t.Errorf("id %s twice", c.ID)
		}
		ids[c.ID] = true
		count["status "+string(c.Status)]++
		count["channel "+string(c.Channel)]++
		count[fmt.Sprint("upper ", c.UpperPlatform)]++
		count[fmt.Sprint("name key ", c.NameKey)]++
		if c.AgentID == "" {
			count[fmt.Sprint("unassigned as ", c.Unassigned)]++
		}
		count["script "+scriptOf(c.Name)]++
		age := testAnchor.Sub(c.LastSeenAt)
		if age < time.Hour {
			count["seen in the last hour"]++
		}
		if c.LastMessage.By == inbox.ByUser && testAnchor.Sub(c.LastMessage.At) > 10*time.Minute && age < time.Hour {
			count["waiting over 10 minutes, seen in the last hour"]++
		}
		if c.LiveChat && c.AgentID == "" {
			count["live unassigned"]++
		}
		for _, flag := range []struct {
			name string
			on   bool
		}{{"online", c.Online}, {"live", c.LiveChat}, {"ordered", c.Ordered}, {"interacted", c.Interacted}, {"email", c.Email != ""}, {"phone", c.Phone.Number != ""}} {
			count[fmt.Sprint(flag.name, " ", flag.on)]++
		}
		for _, tag := range c.Tags {
			count["tag "+tag]++
		}
		for _, by := range []inbox.Sender{c.LastMessage.By} {
			count["last by "+string(by)]++
		}
	}
	var want []string
	for _, s := range inbox.Statuses {
		want = append(want, "status "+string(s))
	}
	for _, ch := range inbox.Channels {
		want = append(want, "channel "+string(ch))
	}
	want = append(want, "upper true", "upper false",
		fmt.Sprint("name key ", NameInName), fmt.Sprint("name key ", NameInUserProvided), fmt.Sprint("name key ", NameAbsent),
		fmt.Sprint("unassigned as ", UnassignedAbsent), fmt.Sprint("unassigned as ", UnassignedNull),
		fmt.Sprint("unassigned as ", UnassignedEmpty), fmt.Sprint("unassigned as ", UnassignedEmptyArray),
		"script latin-accented", "script cyrillic", "script arabic", "script devanagari", "script han",
		"script hangul", "script greek", "script emoji",
		"seen in the last hour", "waiting over 10 minutes, seen in the last hour", "live unassigned",
		"online true", "online false", "live true", "live false", "ordered true", "ordered false",
		"interacted true", "interacted false", "email true", "email false", "phone true", "phone false",
		"tag vip", "tag b2b", "tag gold", "tag refund", "tag trial", "tag enterprise", "tag newsletter",
		"last by user", "last by bot", "last by agent")
	for _, w := range want {
		if count[w] == 0 {
			t.Errorf("no contact has %s", w)
		}
	}
	if n := count["seen in the last hour"]; n < len(cs)/20 {
		t.Errorf("%d contacts seen in the last hour, want a good share (>= 5%%)", n)
	}

	names := map[string]bool{}
	longestTag := 0
	for _, c := range cs {
		names[c.Name] = true
		for _, tag := range c.Tags {
			longestTag = max(longestTag, utf8.RuneCountInString(tag))
		}
	}
	for _, hostile := range []string{"<!channel>", "<@U024BE7LH>", "*bold* _it_ ~s~", "a & b <c>", longName(3000)} {
		if !names[hostile] {
			t.Errorf("no contact is named %q", truncate(hostile, 30))
		}
	}
	if utf8.RuneCountInString(longName(3000)) != 3000 {
		t.Error("the long name is not 3000 characters")
	}
	if longestTag != 500 {
		t.Errorf("longest tag has %d characters, want 500", longestTag)
	}
}

// checkContact checks one contact's invariants.
func checkContact(t *testing.T, c Contact) {
	t.Helper()
	fail := func(format string, args ...any) { t.Errorf("contact %s: "+format, append([]any{c.ID}, args...)...) }
	if !isLowerHexID(c.ID) {
		fail("id is not 24 lower-case hex characters")
	}
	if !slices.Contains(DemoBots[c.Channel], c.BotID) {
		fail("bot %s is not a %s bot", c.BotID, c.Channel)
	}
	if c.AgentID != "" && !slices.ContainsFunc(DemoAgents, func(a Agent) bool { return a.ID == c.AgentID }) {
		fail("agent %s is not a demo agent", c.AgentID)
	}
	for _, sg := range c.Segments {
		if !slices.ContainsFunc(DemoSegments, func(s Segment) bool { return s.ID == sg }) {
			fail("segment %s is not a demo segment", sg)
		}
	}
	start := testAnchor.Add(-90 * 24 * time.Hour)
	for _, tm := range []struct {
		name string
		at   time.Time
	}{{"createdAt", c.CreatedAt}, {"lastSeenAt", c.LastSeenAt}, {"updatedAt", c.UpdatedAt}, {"lastMessage.at", c.LastMessage.At}} {
		if tm.at.Before(start) || tm.at.After(testAnchor) {
			fail("%s %v is not within the 90 days before the anchor", tm.name, tm.at)
		}
		if !tm.at.Equal(tm.at.Truncate(time.Millisecond)) {
			fail("%s %v has more than millisecond precision", tm.name, tm.at)
		}
	}
	if c.LastSeenAt.Before(c.CreatedAt) || c.UpdatedAt.Before(c.CreatedAt) || c.LastMessage.At.Before(c.CreatedAt) {
		fail("a time precedes createdAt %v", c.CreatedAt)
	}
	if c.Ordered && (c.LastOrderAt.Before(c.CreatedAt) || c.LastOrderAt.After(testAnchor)) {
		fail("lastOrderAt %v outside the contact's life", c.LastOrderAt)
	}
	if !slices.Contains(inbox.Statuses, c.Status) || !slices.Contains(inbox.Senders, c.LastMessage.By) {
		fail("status %q or sender %q not of the contract", c.Status, c.LastMessage.By)
	}
	if !c.Interacted && c.LastMessage.By == inbox.ByUser {
		fail("has not interacted but wrote last")
	}
	if c.NameKey == NameAbsent && c.Name != "" {
		fail("has a name but no key for it")
	}
}

func isLowerHexID(s string) bool { return isHexID(s) && strings.ToLower(s) == s }

// scriptOf names the most telling script of a name.
func scriptOf(name string) string {
	for _, r := range name {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			return "cyrillic"
		case unicode.Is(unicode.Arabic, r):
			return "arabic"
		case unicode.Is(unicode.Devanagari, r):
			return "devanagari"
		case unicode.Is(unicode.Han, r):
			return "han"
		case unicode.Is(unicode.Hangul, r):
			return "hangul"
		case unicode.Is(unicode.Greek, r):
			return "greek"
		case unicode.Is(unicode.So, r):
			return "emoji"
		case r > unicode.MaxASCII && unicode.Is(unicode.Latin, r):
			return "latin-accented"
		}
	}
	return "other"
}

func TestDemoTables(t *testing.T) {
	seen := map[string]bool{}
	check := func(what, name, id string) {
		if !isLowerHexID(id) {
			t.Errorf("%s %s: id %q is not 24 lower-case hex characters", what, name, id)
		}
		if seen[id] {
			t.Errorf("%s %s: id %s used twice", what, name, id)
		}
		seen[id] = true
	}
	for _, ch := range inbox.Channels {
		if len(DemoBots[ch]) < 2 {
			t.Errorf("channel %s has %d bots, want several", ch, len(DemoBots[ch]))
		}
		for _, id := range DemoBots[ch] {
			check("bot", string(ch), id)
		}
	}
	if len(DemoBots) != len(inbox.Channels) {
		t.Errorf("DemoBots has %d channels, want %d", len(DemoBots), len(inbox.Channels))
	}
	for _, a := range DemoAgents {
		check("agent", a.Name, a.ID)
	}
	for _, s := range DemoSegments {
		check("segment", s.Name, s.ID)
	}
}

// TestContactJSON checks the wire shape against the recorded sample of
// inbox-api.md and the spellings the client must tolerate.
func TestContactJSON(t *testing.T) {
	s := newTestServer()
	var forms = map[string]bool{}
	for _, c := range s.Contacts() {
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("contact %s: %v", c.ID, err)
		}
		for _, path := range []string{
			"_id", "_customer", "platform", "secondaryPlatform", "isOnline", "userInteracted",
			"profile.userDetails.contact.email", "profile.userDetails.contact.phone.number",
			"profile.userDetails.contact.phone.prefix", "profile.userDetails.tags", "profile.userDetails.country",
			"profile.notes", "status", "lastMessage.by", "lastMessage.at", "lastMessage.text", "isContact",
			"segments", "isLiveChatActive", "hasOrdered.status", "unreadMessages", "lastSeenAt", "createdAt", "updatedAt",
		} {
			if _, ok := lookup(m, path); !ok {
				t.Fatalf("contact %s lacks %s: %s", c.ID, path, truncate(string(raw), 300))
			}
		}
		agent, present := m["_agentAssigned"]
		forms[fmt.Sprintf("%T %v %v", agent, present, agent == "" || agent == nil)] = true
		platform := m["platform"].([]any)[0].(string)
		if ch, ok := inbox.ParseChannel(platform); !ok || ch != c.Channel {
			t.Errorf("contact %s: platform %q does not read as %s", c.ID, platform, c.Channel)
		}
		forms["platform "+platform] = true
		if at, ok := m["lastSeenAt"].(string); !ok || len(at) != len(inbox.TimeLayout) || !strings.HasSuffix(at, "Z") {
			t.Errorf("contact %s: lastSeenAt %q is not RFC 3339 UTC with milliseconds", c.ID, at)
		}
	}
	for _, form := range []string{
		"string true false",         // an agent id
		"<nil> false true",          // no key
		"<nil> true true",           // null
		"string true true",          // ""
		"[]interface {} true false", // []
		"platform WHATSAPP", "platform whatsapp", "platform website", "platform WEBSITE",
	} {
		if !forms[form] {
			t.Errorf("no contact is written with %s; forms seen: %v", form, forms)
		}
	}
	// HTML characters are sent as they are, as a Node.js API does.
	w := serve(t, s, http.MethodPost, Path, bodyOf(t, inbox.Filter{SearchText: "<!channel>"}), nil)
	if !strings.Contains(w.Body.String(), `"name":"<!channel>"`) {
		t.Errorf("the hostile name is not sent verbatim: %s", truncate(w.Body.String(), 300))
	}
}

func lookup(m map[string]any, path string) (any, bool) {
	var v any = m
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[key]; !ok {
			return nil, false
		}
	}
	return v, true
}
