package inboxtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/convertalk/inboxbot/inbox"
)

// FuzzRequestBody: any body gets 200 or a 400 whose message says what is
// wrong; a body accepted once is accepted again after a round trip through
// inbox.Filter, as the client would resend it.
func FuzzRequestBody(f *testing.F) {
	f.Add([]byte(sampleBody))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"page": 1e400}`))
	f.Add([]byte(strings.Replace(sampleBody, `"page": 1`, `"page": 0`, 1)))
	f.Add([]byte(strings.Replace(sampleBody, `"tags": []`, `"tags": ["vip", "b2b"], "tags": []`, 1)))
	for _, filter := range []inbox.Filter{
		{SearchText: "<!channel> иван", Tags: []string{"vip"}, Page: 2},
		{Online: ptr(true), LiveChatActive: ptr(false), Interacted: ptr(true), Ordered: &inbox.OrderFilter{Ordered: true, Since: testAnchor}},
		{Bots: inbox.Bots{WhatsApp: DemoBots[inbox.WhatsApp]}, AgentAssigned: []string{DemoAgents[0].ID}, LastSeen: inbox.TimeRange{From: testAnchor}},
	} {
		b, _ := json.Marshal(filter)
		f.Add(b)
	}
	s := newTestServer(WithSize(40), WithPageSize(5))
	f.Fuzz(func(t *testing.T, body []byte) {
		s.Reset()
		w := serve(t, s, http.MethodPost, Path, body, nil)
		env := decodeEnvelope(t, w.Body.Bytes())
		switch w.Code {
		case http.StatusOK:
			if !env.Success || env.Data == nil || len(env.Data) > 5 {
				t.Fatalf("200 with %+v", env)
			}
			var f inbox.Filter
			if err := json.Unmarshal(body, &f); err != nil {
				t.Fatalf("accepted a body inbox.Filter cannot read: %v", err)
			}
			again := serve(t, s, http.MethodPost, Path, bodyOf(t, f), nil)
			if again.Code != http.StatusOK {
				t.Fatalf("the re-encoded body was refused: %s\nbody %s", again.Body, bodyOf(t, f))
			}
		case http.StatusBadRequest:
			if env.Success || env.Code != 400 || env.Message == "" {
				t.Fatalf("400 with %+v", env)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

func BenchmarkServePage(b *testing.B) {
	s := newTestServer()
	body := bodyOf(b, inbox.Filter{Tags: []string{"vip", "b2b"}, LiveChatActive: ptr(false), Page: 2})
	b.ReportAllocs()
	for b.Loop() {
		w := serve(b, s, http.MethodPost, Path, body, nil)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
