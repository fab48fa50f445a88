package inboxtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testAnchor is the "now" of every test dataset: fixed, so results are too.
var testAnchor = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

func newTestServer(opts ...Option) *Server {
	return New(append([]Option{WithAnchor(testAnchor)}, opts...)...)
}

// bodyOf is the request body the client sends for f.
func bodyOf(t testing.TB, f inbox.Filter) []byte {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatalf("marshal filter: %v", err)
	}
	return b
}

// authorize sets the headers the contract requires.
func authorize(r *http.Request, token string) {
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("authtype", "Key")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
}

// serve sends one request to h in process; edit, if not nil, changes the
// request after the default (valid) headers are set.
func serve(t testing.TB, h http.Handler, method, path string, body []byte, edit func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	authorize(r, DefaultToken)
	if edit != nil {
		edit(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// envelope is the answer's JSON, as a tolerant client reads it.
type envelope struct {
	Success bool              `json:"success"`
	Message string            `json:"message"`
	Code    int               `json:"code"`
	Data    []json.RawMessage `json:"data"`
	Total   *int              `json:"total"`
}

func decodeEnvelope(t testing.TB, body []byte) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("answer is not the envelope: %v\n%s", err, truncate(string(body), 300))
	}
	return env
}

// idsOf reads the _id of every contact of a page.
func idsOf(t testing.TB, data []json.RawMessage) []string {
	t.Helper()
	ids := make([]string, len(data))
	for i, raw := range data {
		var c struct {
			ID string `json:"_id"`
		}
		if err := json.Unmarshal(raw, &c); err != nil || c.ID == "" {
			t.Fatalf("contact %d has no _id (%v): %s", i, err, truncate(string(raw), 200))
		}
		ids[i] = c.ID
	}
	return ids
}

// fetchAll walks every page for f, as the client does, and returns the ids.
func fetchAll(t testing.TB, s *Server, f inbox.Filter) []string {
	t.Helper()
	var ids []string
	for page := 1; page < 1000; page++ {
		f.Page = page
		w := serve(t, s, http.MethodPost, Path, bodyOf(t, f), nil)
		if w.Code != http.StatusOK {
			t.Fatalf("page %d: status %d: %s", page, w.Code, w.Body)
		}
		env := decodeEnvelope(t, w.Body.Bytes())
		if len(env.Data) == 0 {
			return ids
		}
		ids = append(ids, idsOf(t, env.Data)...)
	}
	t.Fatal("no empty page after 1000 pages")
	return nil
}

func contactIDs(cs []Contact) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func ptr[T any](v T) *T { return &v }
