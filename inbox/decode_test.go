package inbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// sampleContact is the contact recorded in inbox-api.md (Pipedream's sample).
const sampleContact = `{
  "_id": "66e07fd940c43d176eaf0b71", "_customer": "66e07fd940c43d176eaf0b71",
  "platform": ["WHATSAPP"], "secondaryPlatform": ["website"],
  "isOnline": true, "userInteracted": false,
  "profile": {
    "userDetails": {
      "contact": {"email": "", "phone": {"number": "123456789", "prefix": "1"}},
      "userProvidedName": "Contact Name", "tags": [], "attributes": [],
      "country": "", "whatsAppNumber": "1123456789"
    },
    "notes": []
  },
  "status": "OPEN",
  "lastMessage": {"by": "user", "at": "2024-06-05T19:05:50.875Z"},
  "isContact": true, "segments": [], "isLiveChatActive": false,
  "hasOrdered": {"status": false}, "unreadMessages": 0,
  "lastSeenAt": "2024-06-05T19:05:50.875Z",
  "createdAt": "2024-06-05T19:05:50.876Z", "updatedAt": "2024-06-05T19:05:50.876Z"
}`

func envelopeOf(contacts ...string) []byte {
	body := `{"success":true,"message":"","code":200,"data":[`
	for i, c := range contacts {
		if i > 0 {
			body += ","
		}
		body += c
	}
	return []byte(body + `]}`)
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDecodePageContacts(t *testing.T) {
	const agent = "65ab12cd34ef56ab78cd90ef"
	tests := []struct {
		name    string
		contact string
		want    User
	}{
		{
			name:    "sample from inbox-api.md",
			contact: sampleContact,
			want: User{
				ID: "66e07fd940c43d176eaf0b71", Name: "Contact Name", Phone: "+1 123456789",
				Platforms: []Channel{WhatsApp, Website}, Online: true, Status: StatusOpen,
				LastMessage: Message{By: ByUser, At: mustTime("2024-06-05T19:05:50.875Z")},
				LastSeenAt:  mustTime("2024-06-05T19:05:50.875Z"),
				CreatedAt:   mustTime("2024-06-05T19:05:50.876Z"), UpdatedAt: mustTime("2024-06-05T19:05:50.876Z"),
			},
		},
		{
			name:    "name preferred over userProvidedName",
			contact: `{"profile":{"userDetails":{"name":"Asha","userProvidedName":"asha99"}}}`,
			want:    User{Name: "Asha"},
		},
		{
			name:    "empty name falls back to userProvidedName",
			contact: `{"profile":{"userDetails":{"name":"","userProvidedName":"asha99"}}}`,
			want:    User{Name: "asha99"},
		},
		{
			name:    "platforms in any case, unknown dropped, no repeats",
			contact: `{"platform":["Telegram","INSTAGRAM","telegram"],"secondaryPlatform":"FACEBOOK"}`,
			want:    User{Platforms: []Channel{Telegram, Facebook}},
		},
		{name: "agent as a string", contact: `{"_agentAssigned":"` + agent + `"}`, want: User{AgentID: agent}},
		{name: "agent absent", contact: `{}`, want: User{}},
		{name: "agent null", contact: `{"_agentAssigned":null}`, want: User{}},
		{name: "agent empty string", contact: `{"_agentAssigned":""}`, want: User{}},
		{name: "agent empty array", contact: `{"_agentAssigned":[]}`, want: User{}},
		{name: "agent array: first non-empty", contact: `{"_agentAssigned":["", "` + agent + `", "x"]}`, want: User{AgentID: agent}},
		{name: "agent object", contact: `{"_agentAssigned":{"_id":"` + agent + `","name":"Alice"}}`, want: User{AgentID: agent}},
		{name: "agent array of objects", contact: `{"_agentAssigned":[{"_id":"` + agent + `"}]}`, want: User{AgentID: agent}},
		{
			name:    "phone prefix with plus, number as a JSON number",
			contact: `{"profile":{"userDetails":{"contact":{"phone":{"prefix":"+91","number":9876543210}}}}}`,
			want:    User{Phone: "+91 9876543210"},
		},
		{
			name:    "phone without number falls back to whatsAppNumber",
			contact: `{"profile":{"userDetails":{"contact":{"phone":{"prefix":"91","number":""}},"whatsAppNumber":"919876543210"}}}`,
			want:    User{Phone: "919876543210"},
		},
		{
			name:    "phone as a plain string",
			contact: `{"profile":{"userDetails":{"contact":{"phone":"+44 7700 900123"}}}}`,
			want:    User{Phone: "+44 7700 900123"},
		},
		{
			name:    "email and country",
			contact: `{"profile":{"userDetails":{"contact":{"email":"asha@example.com"},"country":"IN"}}}`,
			want:    User{Email: "asha@example.com", Country: "IN"},
		},
		{
			name:    "tags as strings and objects",
			contact: `{"profile":{"userDetails":{"tags":["vip",{"_id":"t2","name":"b2b"},{"tagName":"late"},{"_id":"t4"},""]}}}`,
			want:    User{Tags: []string{"vip", "b2b", "late"}},
		},
		{
			name:    "tags at the top level",
			contact: `{"tags":[{"name":"vip"}]}`,
			want:    User{Tags: []string{"vip"}},
		},
		{
			name:    "segments as strings and objects",
			contact: `{"segments":["s1",{"_id":"s2","segmentName":"Returning"},{"id":"s3"}]}`,
			want:    User{Segments: []string{"s1", "s2", "s3"}},
		},
		{name: "status upper-cased", contact: `{"status":"inprogress"}`, want: User{Status: StatusInProgress}},
		{
			name:    "last message with text, sender in any case",
			contact: `{"lastMessage":{"by":"Agent","at":"2026-11-20T10:00:00Z","text":"On its way"}}`,
			want:    User{LastMessage: Message{By: ByAgent, At: mustTime("2026-11-20T10:00:00Z"), Text: "On its way"}},
		},
		{
			name:    "ordered with last order time",
			contact: `{"hasOrdered":{"status":true,"lastAt":"2026-11-18T09:30:00.000Z"}}`,
			want:    User{Ordered: true, LastOrderAt: mustTime("2026-11-18T09:30:00.000Z")},
		},
		{name: "hasOrdered as a bare boolean", contact: `{"hasOrdered":true}`, want: User{Ordered: true}},
		{
			name:    "bad times are zero",
			contact: `{"lastSeenAt":"yesterday","createdAt":1717614350,"updatedAt":"2024-13-45T99:00:00Z","lastMessage":{"at":null}}`,
			want:    User{},
		},
		{name: "unread as a string", contact: `{"unreadMessages":"4"}`, want: User{UnreadMessage: 4}},
		{name: "negative unread", contact: `{"unreadMessages":-2}`, want: User{}},
		{
			name:    "booleans as strings and numbers",
			contact: `{"isOnline":"true","userInteracted":1,"isLiveChatActive":"false"}`,
			want:    User{Online: true, Interacted: true},
		},
		{
			name:    "values of the wrong type are ignored, the rest is read",
			contact: `{"_id":"x1","profile":"oops","status":["OPEN"],"lastMessage":"hi","segments":7,"unreadMessages":{},"isOnline":true}`,
			want:    User{ID: "x1", Online: true},
		},
		{
			name:    "unknown fields ignored",
			contact: `{"_id":"x2","brandNew":{"deep":[1,2,3]},"notes":[]}`,
			want:    User{ID: "x2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := DecodePage(envelopeOf(tt.contact), 1, 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Users) != 1 {
				t.Fatalf("%d users, want 1", len(page.Users))
			}
			if got := page.Users[0]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodePagePaging(t *testing.T) {
	contacts := func(n int) string {
		s := ""
		for i := range n {
			if i > 0 {
				s += ","
			}
			s += fmt.Sprintf(`{"_id":"c%d"}`, i)
		}
		return s
	}
	short, full := contacts(2), contacts(3)
	tests := []struct {
		name         string
		body         string
		page         int
		confirmed    bool // the page size 3 was confirmed by a walk
		wantTotal    int
		wantLast     bool
		wantInferred bool
	}{
		{"full page, no totals", `{"success":true,"data":[` + full + `]}`, 1, false, -1, false, false},
		{"short page", `{"success":true,"data":[` + short + `]}`, 1, false, -1, true, true},
		{"short page, confirmed size", `{"success":true,"data":[` + short + `]}`, 2, true, -1, true, false},
		{"full page, confirmed size", `{"success":true,"data":[` + full + `]}`, 2, true, -1, false, false},
		{"empty page", `{"success":true,"data":[]}`, 4, false, -1, true, false},
		{"empty page although hasMore", `{"success":true,"hasMore":true,"data":[]}`, 4, false, -1, true, false},
		{"total reached on page 1", `{"success":true,"total":2,"data":[` + short + `]}`, 1, false, 2, true, false},
		{"total reached, counting pages of an assumed size", `{"success":true,"total":6,"data":[` + full + `]}`, 2, false, 6, true, true},
		{"total reached, confirmed size", `{"success":true,"total":6,"data":[` + full + `]}`, 2, true, 6, true, false},
		{"total not reached", `{"success":true,"total":7,"data":[` + full + `]}`, 2, false, 7, false, false},
		{"short page although the total says more", `{"success":true,"total":7,"data":[` + short + `]}`, 1, false, 7, true, true},
		{"confirmed short page although the total says more", `{"success":true,"total":9,"data":[` + short + `]}`, 2, true, 9, true, true},
		{"totalCount as a string", `{"success":true,"totalCount":"40","data":[` + full + `]}`, 1, false, 40, false, false},
		{"count", `{"success":true,"count":3,"data":[` + full + `]}`, 1, false, 3, true, false},
		{"meta total", `{"success":true,"meta":{"total":9},"data":[` + full + `]}`, 3, false, 9, true, true},
		{"meta of the wrong type", `{"success":true,"meta":"none","data":[` + full + `]}`, 1, false, -1, false, false},
		{"hasMore false", `{"success":true,"hasMore":false,"data":[` + full + `]}`, 1, false, -1, true, false},
		{"hasMore false on a short page", `{"success":true,"hasMore":false,"data":[` + short + `]}`, 1, false, -1, true, false},
		{"hasNextPage true beats a short page", `{"success":true,"hasNextPage":true,"data":[` + short + `]}`, 1, false, -1, false, false},
		{"meta hasMore false", `{"success":true,"meta":{"hasMore":false},"data":[` + full + `]}`, 1, false, -1, true, false},
		{"totalPages reached", `{"success":true,"totalPages":2,"data":[` + full + `]}`, 2, false, -1, true, false},
		{"totalPages reached on a short page", `{"success":true,"totalPages":1,"data":[` + short + `]}`, 1, false, -1, true, false},
		{"totalPages not reached", `{"success":true,"totalPages":5,"data":[` + full + `]}`, 2, false, -1, false, false},
		{"negative total is unknown", `{"success":true,"total":-1,"data":[` + full + `]}`, 1, false, -1, false, false},
		{"success absent", `{"data":[` + full + `]}`, 1, false, -1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := decodePage([]byte(tt.body), 200, tt.page, 3, tt.confirmed)
			if err != nil {
				t.Fatal(err)
			}
			if page.Number != tt.page || page.Total != tt.wantTotal || page.Last != tt.wantLast || page.Inferred != tt.wantInferred {
				t.Errorf("page %d total %d last %v inferred %v; want %d, %d, %v, %v", page.Number, page.Total,
					page.Last, page.Inferred, tt.page, tt.wantTotal, tt.wantLast, tt.wantInferred)
			}
			if !tt.confirmed {
				exported, err := DecodePage([]byte(tt.body), tt.page, 3)
				if err != nil || !reflect.DeepEqual(exported, page) {
					t.Errorf("DecodePage = %+v, %v; want what decodePage gave for an assumed size", exported, err)
				}
			}
		})
	}
}

func TestDecodePageErrors(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantReason string // "" for an *APIError
		wantAPI    *APIError
	}{
		{name: "empty body", body: ``, wantReason: "not a JSON object"},
		{name: "not JSON", body: `<html>`, wantReason: "not a JSON object"},
		{name: "truncated JSON", body: `{"success":true,"data":[{"_id":"a"`, wantReason: "not a JSON object"},
		{name: "top-level array", body: `[{"_id":"a"}]`, wantReason: "not a JSON object"},
		{name: "null", body: `null`, wantReason: "not a JSON object"},
		{name: "data missing", body: `{"success":true}`, wantReason: "no data"},
		{name: "data null", body: `{"success":true,"data":null}`, wantReason: "no data"},
		{name: "data an object", body: `{"success":true,"data":{"users":[]}}`, wantReason: "data is not an array"},
		{name: "data a string", body: `{"success":true,"data":"[]"}`, wantReason: "data is not an array"},
		{
			name:    "success false",
			body:    `{"success":false,"message":"Invalid token","code":"401"}`,
			wantAPI: &APIError{StatusCode: 200, Code: 401, Message: "Invalid token"},
		},
		{
			name:    "success false as a string",
			body:    `{"success":"false","message":"nope","data":[]}`,
			wantAPI: &APIError{StatusCode: 200, Message: "nope"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := DecodePage([]byte(tt.body), 1, 20)
			if err == nil {
				t.Fatalf("no error; page %+v", page)
			}
			if tt.wantAPI != nil {
				if e := asError[*APIError](t, err); *e != *tt.wantAPI {
					t.Errorf("got %+v, want %+v", e, tt.wantAPI)
				}
				return
			}
			if e := asError[*BadResponseError](t, err); e.Reason != tt.wantReason {
				t.Errorf("reason %q, want %q", e.Reason, tt.wantReason)
			}
		})
	}
}

// TestDecodePageSkipsMalformedContacts: an item of data that is not a
// contact is skipped and counted, not a failed page (issue 6, point 13),
// and still counts towards the page's length.
func TestDecodePageSkipsMalformedContacts(t *testing.T) {
	tests := []struct {
		name        string
		data        string
		wantIDs     []string
		wantSkipped int
		wantLast    bool
	}{
		{"a single null in a full page", `[{"_id":"a"},null,{"_id":"b"},{"_id":"c"},{"_id":"d"},{"_id":"e"}]`, []string{"a", "b", "c", "d", "e"}, 1, false},
		{"every kind of non-object", `[null,42,"x",[],true,{"_id":"a"}]`, []string{"a"}, 5, false},
		{"a short page with a null", `[{"_id":"a"},null]`, []string{"a"}, 1, true},
		{"only nulls, a full page", `[null,null,null,null,null,null]`, []string{}, 6, false},
		{"only one null, a short page", `[null]`, []string{}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DecodePage([]byte(`{"success":true,"data":`+tt.data+`}`), 1, 6)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, u := range p.Users {
				ids = append(ids, u.ID)
			}
			if !slices.Equal(ids, tt.wantIDs) || p.Skipped != tt.wantSkipped || p.Last != tt.wantLast {
				t.Errorf("got users %v, skipped %d, last %v; want %v, %d, %v", ids, p.Skipped, p.Last, tt.wantIDs, tt.wantSkipped, tt.wantLast)
			}
		})
	}
}

// TestDecodePageGolden decodes testdata/page-variants.json, a page of
// contacts in the shapes the API is known or suspected to send, and
// compares the Users with testdata/page-variants.golden.json.
func TestDecodePageGolden(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "page-variants.json"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := DecodePage(body, 2, 20)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(page, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "page-variants.golden.json", append(got, '\n'))
}

func FuzzDecodePage(f *testing.F) {
	f.Add(envelopeOf(sampleContact), 1, 20)
	f.Add(pageBody(0, 3, map[string]any{"total": 3, "meta": map[string]any{"hasMore": false}}), 2, 3)
	f.Add([]byte(`{"success":false,"message":"x","code":500}`), 1, 20)
	f.Add([]byte(`{"success":true,"data":[{"_agentAssigned":[{"_id":1}],"tags":[{"name":2}],"hasOrdered":1,"unreadMessages":"1e400"}]}`), 0, 0)
	f.Add([]byte(`{"success":true,"data":{}}`), -3, -1)
	f.Add([]byte(`{"success":true,"data":[null,{"_id":"a"},7]}`), 1, 3)
	if body, err := os.ReadFile(filepath.Join("testdata", "page-variants.json")); err == nil {
		f.Add(body, 1, 20)
	}
	f.Fuzz(func(t *testing.T, body []byte, page, pageSize int) {
		if confirmed, err := decodePage(body, 200, page, pageSize, true); err == nil {
			checkInferred(t, confirmed)
		}
		p, err := DecodePage(body, page, pageSize)
		if err != nil {
			var bad *BadResponseError
			var api *APIError
			if p != nil || !(errors.As(err, &bad) || errors.As(err, &api)) {
				t.Fatalf("DecodePage = %v, %v (%T): want nil and a typed error", p, err, err)
			}
			return
		}
		if p.Total < -1 || p.Number < 1 {
			t.Fatalf("page %d, total %d", p.Number, p.Total)
		}
		if len(p.Users)+p.Skipped == 0 && !p.Last {
			t.Fatal("an empty page is not the last")
		}
		if p.Skipped < 0 {
			t.Fatalf("skipped %d", p.Skipped)
		}
		checkInferred(t, p)
		for _, u := range p.Users {
			if u.UnreadMessage < 0 {
				t.Fatalf("negative unread count %d", u.UnreadMessage)
			}
			for _, c := range u.Platforms {
				if !slices.Contains(Channels, c) {
					t.Fatalf("unknown channel %q kept", c)
				}
			}
		}
	})
}

// checkInferred fails unless an Inferred page is a non-empty last page.
func checkInferred(t *testing.T, p *Page) {
	t.Helper()
	if p.Inferred && (!p.Last || len(p.Users)+p.Skipped == 0) {
		t.Fatalf("inferred page: last %v with %d users, %d skipped", p.Last, len(p.Users), p.Skipped)
	}
}

func BenchmarkDecodePage(b *testing.B) {
	body := pageBody(0, 20, map[string]any{"total": 1234})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodePage(body, 1, 20); err != nil {
			b.Fatal(err)
		}
	}
}
