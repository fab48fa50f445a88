package inboxtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/convertalk/inboxbot/inbox"
)

// sampleBody is the vendor's sample request (inbox-api-seed.txt).
const sampleBody = `{
    "searchText": "",
    "tags": [],
    "status": [],
    "isOnline": false,
    "_botWebsite": [],
    "_botWhatsapp": [],
    "_botTelegram": [],
    "_botFacebook": [],
    "_agentAssigned": [],
    "segments": [],
    "applicableFilters": ["userInteracted"],
    "lastSeenAt": {
      "startAt": "",
      "endsAt": ""
    },
    "createdAt": {
      "startAt": "",
      "endsAt": ""
    },
    "userInteracted": true,
    "lastMessageBy": [],
    "isLiveChatActive": false,
    "hasOrdered": {
      "status": false,
      "lastAt": ""
    },
    "page": 1,
    "isExport": "none",
    "isContact": true
  }`

// withField returns the sample body with field set to raw JSON (or removed
// when raw is "").
func withField(t *testing.T, field, raw string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(sampleBody), &m); err != nil {
		t.Fatal(err)
	}
	if raw == "" {
		delete(m, field)
	} else {
		m[field] = json.RawMessage(raw)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("field %s = %s: %v", field, raw, err)
	}
	return b
}

func TestValidationRejects(t *testing.T) {
	s := newTestServer(WithSize(30))
	const hex24 = `"65f0c1d2e3f4a5b6c7d8e9f0"`
	tests := []struct {
		name  string
		body  []byte
		field string // the message must name it
	}{
		{"empty body", nil, "request body"},
		{"null", []byte("null"), "request body"},
		{"array", []byte("[]"), "request body"},
		{"string", []byte(`"x"`), "request body"},
		{"truncated", []byte(sampleBody[:40]), "request body"},
		{"two objects", []byte(sampleBody + "{}"), "request body"},
		{"unknown field", withField(t, "foo", "1"), `"foo"`},
		{"field name in another case", withField(t, "SearchText", `""`), `"SearchText"`},
		{"duplicate field", []byte(strings.Replace(sampleBody, `"tags": [],`, `"tags": [], "tags": [],`, 1)), `"tags"`},
		{"missing page", withField(t, "page", ""), `"page"`},
		{"missing hasOrdered", withField(t, "hasOrdered", ""), `"hasOrdered"`},
		{"searchText number", withField(t, "searchText", "1"), `"searchText"`},
		{"searchText null", withField(t, "searchText", "null"), `"searchText"`},
		{"tags null", withField(t, "tags", "null"), `"tags"`},
		{"tags of numbers", withField(t, "tags", "[1]"), `"tags"`},
		{"tags with empty name", withField(t, "tags", `["vip", ""]`), `"tags"`},
		{"tags a string", withField(t, "tags", `"vip"`), `"tags"`},
		{"status lower case", withField(t, "status", `["open"]`), `"status"`},
		{"status unknown", withField(t, "status", `["PENDING"]`), `"status"`},
		{"status a string", withField(t, "status", `"OPEN"`), `"status"`},
		{"isOnline a string", withField(t, "isOnline", `"true"`), `"isOnline"`},
		{"isOnline null", withField(t, "isOnline", `null`), `"isOnline"`},
		{"bot id short", withField(t, "_botWebsite", `["65f0c1d2"]`), `"_botWebsite"`},
		{"bot id not hex", withField(t, "_botWhatsapp", `["65f0c1d2e3f4a5b6c7d8e9fg"]`), `"_botWhatsapp"`},
		{"bot ids null", withField(t, "_botTelegram", `null`), `"_botTelegram"`},
		{"bot id a number", withField(t, "_botFacebook", `[123]`), `"_botFacebook"`},
		{"agent id empty", withField(t, "_agentAssigned", `[""]`), `"_agentAssigned"`},
		{"agent id an alias", withField(t, "_agentAssigned", `["alice"]`), `"_agentAssigned"`},
		{"segment id too long", withField(t, "segments", `[`+hex24[:len(hex24)-1]+`0"]`), `"segments"`},
		{"applicableFilters unknown", withField(t, "applicableFilters", `["online"]`), `"applicableFilters"`},
		{"applicableFilters null", withField(t, "applicableFilters", `null`), `"applicableFilters"`},
		{"lastSeenAt null", withField(t, "lastSeenAt", `null`), `"lastSeenAt"`},
		{"lastSeenAt a string", withField(t, "lastSeenAt", `"7d"`), `"lastSeenAt"`},
		{"lastSeenAt missing endsAt", withField(t, "lastSeenAt", `{"startAt": ""}`), `"lastSeenAt"`},
		{"lastSeenAt bad time", withField(t, "lastSeenAt", `{"startAt": "yesterday", "endsAt": ""}`), `"lastSeenAt"`},
		{"createdAt date only", withField(t, "createdAt", `{"startAt": "", "endsAt": "2026-01-01"}`), `"createdAt"`},
		{"createdAt extra key", withField(t, "createdAt", `{"startAt": "", "endsAt": "", "tz": "UTC"}`), `"createdAt"`},
		{"createdAt null bound", withField(t, "createdAt", `{"startAt": null, "endsAt": ""}`), `"createdAt"`},
		{"userInteracted number", withField(t, "userInteracted", `1`), `"userInteracted"`},
		{"lastMessageBy unknown", withField(t, "lastMessageBy", `["customer"]`), `"lastMessageBy"`},
		{"lastMessageBy upper case", withField(t, "lastMessageBy", `["USER"]`), `"lastMessageBy"`},
		{"isLiveChatActive number", withField(t, "isLiveChatActive", `0`), `"isLiveChatActive"`},
		{"hasOrdered a boolean", withField(t, "hasOrdered", `true`), `"hasOrdered"`},
		{"hasOrdered status string", withField(t, "hasOrdered", `{"status": "yes", "lastAt": ""}`), `"hasOrdered"`},
		{"hasOrdered missing lastAt", withField(t, "hasOrdered", `{"status": false}`), `"hasOrdered"`},
		{"hasOrdered bad lastAt", withField(t, "hasOrdered", `{"status": true, "lastAt": "soon"}`), `"hasOrdered"`},
		{"hasOrdered never since", withField(t, "hasOrdered", `{"status": false, "lastAt": "2026-01-01T00:00:00.000Z"}`), `"hasOrdered"`},
		{"page zero", withField(t, "page", `0`), `"page"`},
		{"page negative", withField(t, "page", `-1`), `"page"`},
		{"page fraction", withField(t, "page", `1.5`), `"page"`},
		{"page written as float", withField(t, "page", `1.0`), `"page"`},
		{"page exponent", withField(t, "page", `1e0`), `"page"`},
		{"page a string", withField(t, "page", `"1"`), `"page"`},
		{"page beyond int64", withField(t, "page", `99999999999999999999`), `"page"`},
		{"isExport csv", withField(t, "isExport", `"csv"`), `"isExport"`},
		{"isExport empty", withField(t, "isExport", `""`), `"isExport"`},
		{"isContact false", withField(t, "isContact", `false`), `"isContact"`},
		{"isContact missing", withField(t, "isContact", ""), `"isContact"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.Reset()
			w := serve(t, s, http.MethodPost, Path, tt.body, nil)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", w.Code, w.Body)
			}
			env := decodeEnvelope(t, w.Body.Bytes())
			if env.Success || env.Code != http.StatusBadRequest {
				t.Errorf("envelope success=%v code=%d, want false and 400", env.Success, env.Code)
			}
			if !strings.Contains(env.Message, tt.field) {
				t.Errorf("message %q does not name %s", env.Message, tt.field)
			}
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].BodyError != env.Message || reqs[0].Status != http.StatusBadRequest {
				t.Errorf("record = %+v, want one request with BodyError = the message and Status 400", reqs)
			}
		})
	}
}

func TestValidationAccepts(t *testing.T) {
	s := newTestServer(WithSize(30))
	tests := []struct {
		name string
		body []byte
	}{
		{"vendor sample", []byte(sampleBody)},
		{"empty filter", bodyOf(t, inbox.Filter{})},
		{"every field set", bodyOf(t, inbox.Filter{
			SearchText: "a", Tags: []string{"vip"}, Status: []inbox.Status{inbox.StatusOpen},
			Online: ptr(true), Bots: inbox.Bots{Website: DemoBots[inbox.Website]}, AgentAssigned: []string{DemoAgents[0].ID},
			Segments: []string{DemoSegments[0].ID}, LastSeen: inbox.TimeRange{From: testAnchor.Add(-1e12)},
			Created: inbox.TimeRange{Until: testAnchor}, Interacted: ptr(false), LastMessageBy: []inbox.Sender{inbox.ByUser},
			LiveChatActive: ptr(true), Ordered: &inbox.OrderFilter{Ordered: true, Since: testAnchor.Add(-1e15)}, Page: 3,
		})},
		{"upper-case hex id", withField(t, "_agentAssigned", `["65AB12CD34EF56AB78CD90EF"]`)},
		{"time with offset and no millis", withField(t, "createdAt", `{"startAt": "2026-01-01T00:00:00+05:30", "endsAt": ""}`)},
		{"page far beyond the data", withField(t, "page", `100000`)},
		{"whitespace around", []byte("\n " + sampleBody + " \n")},
		{"unicode search", withField(t, "searchText", `"Иван <!channel> 名前"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(t, s, http.MethodPost, Path, tt.body, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
			}
			if env := decodeEnvelope(t, w.Body.Bytes()); !env.Success || env.Code != 200 || env.Data == nil {
				t.Errorf("envelope = %+v, want success, code 200 and a data array", env)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	body := bodyOf(t, inbox.Filter{})
	tests := []struct {
		name   string
		server *Server
		edit   func(*http.Request)
		want   int
	}{
		{"default token", newTestServer(WithSize(5)), nil, 200},
		{"custom token", newTestServer(WithSize(5), WithToken("s3cret")), func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, 200},
		{"lower-case scheme and authtype", newTestServer(WithSize(5)), func(r *http.Request) {
			r.Header.Set("Authorization", "bearer "+DefaultToken)
			r.Header.Set("authtype", "key")
		}, 200},
		{"default token refused by custom", newTestServer(WithSize(5), WithToken("s3cret")), nil, 401},
		{"no Authorization", newTestServer(WithSize(5)), func(r *http.Request) { r.Header.Del("Authorization") }, 401},
		{"wrong token", newTestServer(WithSize(5)), func(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong-token-xyz") }, 401},
		{"Basic scheme", newTestServer(WithSize(5)), func(r *http.Request) { r.Header.Set("Authorization", "Basic "+DefaultToken) }, 401},
		{"bare token", newTestServer(WithSize(5)), func(r *http.Request) { r.Header.Set("Authorization", DefaultToken) }, 401},
		{"no authtype", newTestServer(WithSize(5)), func(r *http.Request) { r.Header.Del("authtype") }, 401},
		{"authtype Bearer", newTestServer(WithSize(5)), func(r *http.Request) { r.Header.Set("authtype", "Bearer") }, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(t, tt.server, http.MethodPost, Path, body, tt.edit)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			env := decodeEnvelope(t, w.Body.Bytes())
			if env.Code != tt.want || env.Success != (tt.want == 200) {
				t.Errorf("envelope %+v does not agree with status %d", env, tt.want)
			}
			if tt.want == 401 && (env.Message == "" || strings.Contains(env.Message, "wrong-token-xyz") || strings.Contains(env.Message, DefaultToken)) {
				t.Errorf("401 message %q should say what is wrong without echoing a token", env.Message)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	s := newTestServer(WithSize(5))
	body := bodyOf(t, inbox.Filter{})
	tests := []struct {
		name   string
		method string
		path   string
		body   []byte
		edit   func(*http.Request)
		want   int
	}{
		{"GET", http.MethodGet, Path, nil, nil, 405},
		{"PUT", http.MethodPut, Path, body, nil, 405},
		{"other path", http.MethodPost, "/inbox/user", body, nil, 404},
		{"trailing slash", http.MethodPost, Path + "/", body, nil, 404},
		{"segments endpoint", http.MethodGet, "/inbox/segments", nil, nil, 404},
		{"text body", http.MethodPost, Path, body, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415},
		{"no content type", http.MethodPost, Path, body, func(r *http.Request) { r.Header.Del("Content-Type") }, 415},
		{"content type with charset", http.MethodPost, Path, body, func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") }, 200},
		{"body over 1 MiB", http.MethodPost, Path, withField(t, "searchText", `"`+strings.Repeat("a", maxBodyBytes)+`"`), nil, 413},
		{"query string ignored", http.MethodPost, Path + "?page=2", body, nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(t, s, tt.method, tt.path, tt.body, tt.edit)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			env := decodeEnvelope(t, w.Body.Bytes())
			if env.Code != tt.want || (tt.want != 200 && env.Message == "") {
				t.Errorf("envelope %+v, want code %d and a message", env, tt.want)
			}
			if tt.want == 405 && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
			}
		})
	}
}

// TestUnappliedFilters: a boolean or object filter not named in
// applicableFilters is not applied (decision 1).
func TestUnappliedFilters(t *testing.T) {
	s := newTestServer()
	body := []byte(strings.NewReplacer(
		`"isOnline": false`, `"isOnline": true`,
		`"applicableFilters": ["userInteracted"]`, `"applicableFilters": []`,
		`"isLiveChatActive": false`, `"isLiveChatActive": true`,
		`"startAt": ""`, `"startAt": "2099-01-01T00:00:00.000Z"`,
		`"status": false`, `"status": true`,
	).Replace(sampleBody))
	if bytes.Equal(body, []byte(sampleBody)) {
		t.Fatal("the replacements did not apply")
	}
	w := serve(t, s, http.MethodPost, Path, body, nil)
	env := decodeEnvelope(t, w.Body.Bytes())
	if w.Code != 200 || len(env.Data) != DefaultPageSize {
		t.Fatalf("status %d with %d contacts, want a full page: unnamed filters must not apply", w.Code, len(env.Data))
	}
	want := contactIDs(s.Contacts()[:DefaultPageSize])
	if got := idsOf(t, env.Data); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("page = %v, want the first page of everything %v", got, want)
	}
}
