package inboxtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// TestFilters runs each filter through the server and compares the ids it
// returns, over every page, with a predicate written here over the dataset.
func TestFilters(t *testing.T) {
	s := newTestServer()
	all := s.Contacts()
	var phoned Contact // a contact with a phone, to search by digits
	for _, c := range all {
		if c.Phone.Number != "" {
			phoned = c
			break
		}
	}
	mid := all[len(all)/2]
	lowered := func(c Contact) []string {
		return []string{strings.ToLower(c.Name), strings.ToLower(c.Email), strings.ToLower(c.LastMessage.Text)}
	}
	textHas := func(c Contact, q string) bool {
		for _, s := range lowered(c) {
			if strings.Contains(s, strings.ToLower(q)) {
				return true
			}
		}
		return false
	}
	hasTag := func(c Contact, tags ...string) bool {
		for _, have := range c.Tags {
			for _, want := range tags {
				if strings.EqualFold(have, want) {
					return true
				}
			}
		}
		return false
	}
	alice, bob := DemoAgents[0].ID, DemoAgents[1].ID
	returning := DemoSegments[0].ID
	hour := testAnchor.Add(-time.Hour)
	week := testAnchor.Add(-7 * 24 * time.Hour)

	tests := []struct {
		name     string
		filter   inbox.Filter
		keep     func(Contact) bool
		everyone bool // the filter is expected to keep every contact
	}{
		{"no filter", inbox.Filter{}, func(Contact) bool { return true }, true},
		{"search name", inbox.Filter{SearchText: "smith"}, func(c Contact) bool { return textHas(c, "smith") }, false},
		{"search is case-insensitive", inbox.Filter{SearchText: "SMITH"}, func(c Contact) bool { return textHas(c, "smith") }, false},
		{"search Cyrillic in lower case", inbox.Filter{SearchText: "иван"}, func(c Contact) bool { return strings.Contains(c.Name, "Иван") }, false},
		{"search e-mail domain", inbox.Filter{SearchText: "@example.org"}, func(c Contact) bool { return strings.HasSuffix(c.Email, "@example.org") }, false},
		{"search message text", inbox.Filter{SearchText: "refund"}, func(c Contact) bool { return textHas(c, "refund") }, false},
		{"search phone digits", inbox.Filter{SearchText: phoned.Phone.Number[2:8]}, func(c Contact) bool {
			return strings.Contains(c.Phone.Prefix+c.Phone.Number, phoned.Phone.Number[2:8]) || textHas(c, phoned.Phone.Number[2:8])
		}, false},
		{"search phone with prefix", inbox.Filter{SearchText: "+" + phoned.Phone.Prefix + phoned.Phone.Number}, func(c Contact) bool {
			return c.Phone == phoned.Phone || textHas(c, "+"+phoned.Phone.Prefix+phoned.Phone.Number)
		}, false},
		{"tag", inbox.Filter{Tags: []string{"vip"}}, func(c Contact) bool { return hasTag(c, "vip") }, false},
		{"tags are OR", inbox.Filter{Tags: []string{"vip", "b2b"}}, func(c Contact) bool { return hasTag(c, "vip", "b2b") }, false},
		{"tag in another case", inbox.Filter{Tags: []string{"VIP"}}, func(c Contact) bool { return hasTag(c, "vip") }, false},
		{"tag with a space", inbox.Filter{Tags: []string{"needs callback"}}, func(c Contact) bool { return hasTag(c, "needs callback") }, false},
		{"status", inbox.Filter{Status: []inbox.Status{inbox.StatusOpen}}, func(c Contact) bool { return c.Status == "OPEN" }, false},
		{"statuses are OR", inbox.Filter{Status: []inbox.Status{inbox.StatusOnHold, inbox.StatusDependancy}}, func(c Contact) bool {
			return c.Status == "ONHOLD" || c.Status == "DEPENDANCY"
		}, false},
		{"online", inbox.Filter{Online: ptr(true)}, func(c Contact) bool { return c.Online }, false},
		{"offline", inbox.Filter{Online: ptr(false)}, func(c Contact) bool { return !c.Online }, false},
		{"one website bot", inbox.Filter{Bots: inbox.Bots{Website: DemoBots[inbox.Website][:1]}}, func(c Contact) bool {
			return c.Channel == inbox.Website && c.BotID == DemoBots[inbox.Website][0]
		}, false},
		{"every whatsapp bot", inbox.Filter{Bots: inbox.Bots{WhatsApp: DemoBots[inbox.WhatsApp]}}, func(c Contact) bool { return c.Channel == inbox.WhatsApp }, false},
		{"bots on two channels are OR", inbox.Filter{Bots: inbox.Bots{Telegram: DemoBots[inbox.Telegram], Facebook: DemoBots[inbox.Facebook][1:]}}, func(c Contact) bool {
			return c.Channel == inbox.Telegram || c.BotID == DemoBots[inbox.Facebook][1]
		}, false},
		{"a bot id under the wrong channel", inbox.Filter{Bots: inbox.Bots{Telegram: DemoBots[inbox.Website]}}, func(Contact) bool { return false }, false},
		{"agent", inbox.Filter{AgentAssigned: []string{alice}}, func(c Contact) bool { return c.AgentID == alice }, false},
		{"agents are OR", inbox.Filter{AgentAssigned: []string{alice, bob}}, func(c Contact) bool { return c.AgentID == alice || c.AgentID == bob }, false},
		{"agent id in upper case", inbox.Filter{AgentAssigned: []string{strings.ToUpper(alice)}}, func(c Contact) bool { return c.AgentID == alice }, false},
		{"segment", inbox.Filter{Segments: []string{returning}}, func(c Contact) bool { return slices.Contains(c.Segments, returning) }, false},
		{"seen in the last hour", inbox.Filter{LastSeen: inbox.TimeRange{From: hour}}, func(c Contact) bool { return !c.LastSeenAt.Before(hour) }, false},
		{"seen before a week ago", inbox.Filter{LastSeen: inbox.TimeRange{Until: week}}, func(c Contact) bool { return c.LastSeenAt.Before(week) }, false},
		{"seen: start inclusive, end exclusive", inbox.Filter{LastSeen: inbox.TimeRange{From: mid.LastSeenAt, Until: mid.LastSeenAt.Add(48 * time.Hour)}}, func(c Contact) bool {
			return !c.LastSeenAt.Before(mid.LastSeenAt) && c.LastSeenAt.Before(mid.LastSeenAt.Add(48*time.Hour))
		}, false},
		{"seen: an empty range", inbox.Filter{LastSeen: inbox.TimeRange{From: mid.LastSeenAt, Until: mid.LastSeenAt}}, func(Contact) bool { return false }, false},
		{"created in the last week", inbox.Filter{Created: inbox.TimeRange{From: week}}, func(c Contact) bool { return !c.CreatedAt.Before(week) }, false},
		{"created exactly at the end bound", inbox.Filter{Created: inbox.TimeRange{Until: mid.CreatedAt}}, func(c Contact) bool { return c.CreatedAt.Before(mid.CreatedAt) }, false},
		{"interacted", inbox.Filter{Interacted: ptr(true)}, func(c Contact) bool { return c.Interacted }, false},
		{"not interacted", inbox.Filter{Interacted: ptr(false)}, func(c Contact) bool { return !c.Interacted }, false},
		{"last message by user", inbox.Filter{LastMessageBy: []inbox.Sender{inbox.ByUser}}, func(c Contact) bool { return c.LastMessage.By == "user" }, false},
		{"last message by bot or agent", inbox.Filter{LastMessageBy: []inbox.Sender{inbox.ByBot, inbox.ByAgent}}, func(c Contact) bool { return c.LastMessage.By != "user" }, false},
		{"live", inbox.Filter{LiveChatActive: ptr(true)}, func(c Contact) bool { return c.LiveChat }, false},
		{"not live", inbox.Filter{LiveChatActive: ptr(false)}, func(c Contact) bool { return !c.LiveChat }, false},
		{"ever ordered", inbox.Filter{Ordered: &inbox.OrderFilter{Ordered: true}}, func(c Contact) bool { return c.Ordered }, false},
		{"ordered since", inbox.Filter{Ordered: &inbox.OrderFilter{Ordered: true, Since: week}}, func(c Contact) bool { return c.Ordered && !c.LastOrderAt.Before(week) }, false},
		{"never ordered", inbox.Filter{Ordered: &inbox.OrderFilter{Ordered: false}}, func(c Contact) bool { return !c.Ordered }, false},
		{"different filters are AND", inbox.Filter{
			Status: []inbox.Status{inbox.StatusOpen, inbox.StatusInProgress}, LiveChatActive: ptr(true),
			LastMessageBy: []inbox.Sender{inbox.ByUser}, LastSeen: inbox.TimeRange{From: testAnchor.Add(-24 * time.Hour)},
		}, func(c Contact) bool {
			return (c.Status == "OPEN" || c.Status == "INPROGRESS") && c.LiveChat && c.LastMessage.By == "user" &&
				!c.LastSeenAt.Before(testAnchor.Add(-24*time.Hour))
		}, false},
		{"vip online in the last week", inbox.Filter{Tags: []string{"vip"}, Online: ptr(false), Created: inbox.TimeRange{From: week}}, func(c Contact) bool {
			return hasTag(c, "vip") && !c.Online && !c.CreatedAt.Before(week)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []string
			for _, c := range all {
				if tt.keep(c) {
					want = append(want, c.ID)
				}
			}
			emptyExpected := strings.Contains(tt.name, "empty range") || strings.Contains(tt.name, "wrong channel")
			switch {
			case tt.everyone && len(want) != len(all):
				t.Fatalf("the predicate keeps %d of %d", len(want), len(all))
			case !tt.everyone && !emptyExpected && (len(want) == 0 || len(want) == len(all)):
				t.Fatalf("the predicate keeps %d of %d contacts: the case cannot tell a broken filter", len(want), len(all))
			}
			got := fetchAll(t, s, tt.filter)
			if !slices.Equal(got, want) {
				t.Errorf("got %d contacts, want %d\n got %v\nwant %v", len(got), len(want), head(got), head(want))
			}
		})
	}
}

func head(ids []string) []string { return ids[:min(len(ids), 8)] }

// TestPaging: pages of the configured size in the API's order, an empty
// data array (not null) after the last, and nothing beyond.
func TestPaging(t *testing.T) {
	const size = 7
	s := newTestServer(WithSize(100), WithPageSize(size))
	all := contactIDs(s.Contacts())
	pages := (len(all) + size - 1) / size
	for page := 1; page <= pages+2; page++ {
		w := serve(t, s, http.MethodPost, Path, bodyOf(t, inbox.Filter{Page: page}), nil)
		env := decodeEnvelope(t, w.Body.Bytes())
		lo, hi := min((page-1)*size, len(all)), min(page*size, len(all))
		if got := idsOf(t, env.Data); !slices.Equal(got, all[lo:hi]) {
			t.Errorf("page %d = %v, want %v", page, got, all[lo:hi])
		}
		if page > pages && !strings.Contains(w.Body.String(), `"data":[]`) {
			t.Errorf("page %d past the end: %s, want \"data\":[]", page, w.Body)
		}
		if env.Total != nil {
			t.Errorf("page %d carries a total without WithTotals", page)
		}
	}
	for _, page := range []string{"100000", "9223372036854775807"} {
		w := serve(t, s, http.MethodPost, Path, withField(t, "page", page), nil)
		if env := decodeEnvelope(t, w.Body.Bytes()); w.Code != 200 || len(env.Data) != 0 || env.Data == nil {
			t.Errorf("page %s: status %d, %d contacts; want 200 and an empty data array", page, w.Code, len(env.Data))
		}
	}
}

// TestOrder: newest createdAt first, ties broken by _id.
func TestOrder(t *testing.T) {
	s := newTestServer()
	var served []struct {
		ID        string `json:"_id"`
		CreatedAt string `json:"createdAt"`
	}
	for page := 1; ; page++ {
		w := serve(t, s, http.MethodPost, Path, bodyOf(t, inbox.Filter{Page: page}), nil)
		env := decodeEnvelope(t, w.Body.Bytes())
		if len(env.Data) == 0 {
			break
		}
		for _, raw := range env.Data {
			var c struct {
				ID        string `json:"_id"`
				CreatedAt string `json:"createdAt"`
			}
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			served = append(served, c)
		}
	}
	if len(served) != DefaultSize {
		t.Fatalf("served %d contacts, want %d", len(served), DefaultSize)
	}
	for i := 1; i < len(served); i++ {
		a, b := served[i-1], served[i]
		// The layout has a fixed width, so strings order like times.
		if a.CreatedAt < b.CreatedAt || a.CreatedAt == b.CreatedAt && a.ID > b.ID {
			t.Fatalf("contact %d (%s %s) served before %d (%s %s)", i-1, a.CreatedAt, a.ID, i, b.CreatedAt, b.ID)
		}
	}
	// Ties: contacts given with one createdAt come in _id order.
	at := testAnchor.Add(-time.Minute)
	tied := []Contact{{ID: "000000000000000000000003", CreatedAt: at}, {ID: "000000000000000000000001", CreatedAt: at}, {ID: "000000000000000000000002", CreatedAt: at.Add(-time.Second)}}
	got := fetchAll(t, New(WithContacts(tied)), inbox.Filter{})
	if want := []string{"000000000000000000000001", "000000000000000000000003", "000000000000000000000002"}; !slices.Equal(got, want) {
		t.Errorf("tied contacts served as %v, want %v", got, want)
	}
}

func TestTotals(t *testing.T) {
	s := newTestServer(WithTotals(true))
	f := inbox.Filter{Status: []inbox.Status{inbox.StatusClosed}}
	want := len(fetchAll(t, s, f))
	for _, page := range []int{1, 2, 1000} {
		f.Page = page
		w := serve(t, s, http.MethodPost, Path, bodyOf(t, f), nil)
		env := decodeEnvelope(t, w.Body.Bytes())
		if env.Total == nil || *env.Total != want {
			t.Errorf("page %d: total %v, want %d", page, env.Total, want)
		}
	}
}
