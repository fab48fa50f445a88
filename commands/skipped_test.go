package commands

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/convertalk/inboxbot/inbox"
)

// TestAskSkipsAMalformedContact: a null among the contacts costs neither
// the page nor silence: the answer shows the others and says how many it
// skipped (issue 6, point 13).
func TestAskSkipsAMalformedContact(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Page int }
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		if body.Page > 1 {
			_, _ = w.Write([]byte(`{"success":true,"data":[]}`))
			return
		}
		_, _ = w.Write([]byte(`{"success":true,"data":[{"_id":"a","profile":{"userDetails":{"name":"Asha"}}},null,{"_id":"b","profile":{"userDetails":{"name":"Ben"}}}]}`))
	}))
	defer srv.Close()
	client, err := inbox.NewClient(srv.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"live", "live unassigned"} { // a plain page, and a walk
		a, err := Ask(context.Background(), client, mustParse(t, text), Position{}, askNow)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if len(a.Users) != 2 || a.Skipped != 1 {
			t.Errorf("%s: %d users, %d skipped; want 2, 1", text, len(a.Users), a.Skipped)
		}
		out := RenderText(a, RenderOptions{Now: askNow})
		if !strings.Contains(out, "1 malformed contact skipped") {
			t.Errorf("%s: the answer does not say what it skipped:\n%s", text, out)
		}
		raw, err := json.Marshal(RenderAnswer(a, RenderOptions{Now: askNow}).Blocks)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), "1 malformed contact skipped") {
			t.Errorf("%s: the Slack answer does not say what it skipped: %s", text, raw)
		}
	}
}
