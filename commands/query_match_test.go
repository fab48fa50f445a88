package commands

import (
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

const (
	aliceID = "65ab12cd34ef56ab78cd90ef"
	bobID   = "65ab12cd34ef56ab78cd90f0"
)

func TestMatch(t *testing.T) {
	now := testNow
	vip := inbox.User{ID: "1", Tags: []string{"VIP", "b2b"}, Status: inbox.StatusOpen, Platforms: []inbox.Channel{inbox.WhatsApp, inbox.Website},
		AgentID: aliceID, Segments: []string{"65cc00000000000000000001"},
		LastMessage: inbox.Message{By: inbox.ByUser, At: now.Add(-30 * time.Minute)}}
	fresh := inbox.User{ID: "2", Tags: []string{"vip"}, Status: inbox.StatusClosed, Platforms: []inbox.Channel{inbox.Facebook},
		LastMessage: inbox.Message{By: inbox.ByUser, At: now.Add(-2 * time.Minute)}}
	botLast := inbox.User{ID: "3", Status: inbox.StatusInProgress, AgentID: bobID,
		LastMessage: inbox.Message{By: inbox.ByBot, At: now.Add(-time.Hour)}}
	blank := inbox.User{ID: "4"}

	tests := []struct {
		query         string
		hasPredicate  bool
		vip, fresh    bool
		botLast, none bool // none: the blank user
	}{
		// Server-side only: no predicate, everyone passes Match.
		{"online tag:vip status:open seen:7d", false, true, true, true, true},
		{"tag:vip,gold", false, true, true, true, true},
		{"assigned:alice", false, true, true, true, true},
		// Client-side.
		{"unassigned", true, false, true, false, true},
		{"has:assignee", true, true, false, true, false},
		{"tag:vip tag:b2b", true, true, false, false, false}, // AND, case-insensitive
		{"tag:vip tag:gold,b2b", true, true, false, false, false},
		{"-tag:vip", true, false, false, true, true},
		{"-tag:spam,vip", true, false, false, true, true},
		{"-status:closed", true, true, false, true, true},
		{"status:open status:closed", true, false, false, false, false},
		{"channel:facebook", true, false, true, false, false}, // no facebook bot configured
		{"channel:whatsapp channel:website", true, true, false, false, false},
		{"-channel:whatsapp", true, false, true, true, true},
		{"-assigned:alice", true, false, true, true, true}, // keeps unassigned
		{"-mine", true, false, true, true, true},
		{"assigned:alice assigned:alice,bob", true, true, false, false, false},
		{"segment:returning segment:returning,trial", true, true, false, false, false},
		{"-segment:returning", true, false, true, true, true},
		{"last:user,bot last:bot,agent", true, false, false, true, false},
		{"-last:bot", true, true, true, false, true},
		{"waiting:>10m", true, true, false, false, false},
		{"waiting:<10m", true, false, true, false, false},
		{"waiting:>1m waiting:<1h", true, true, true, false, false},
		{"unassigned -tag:vip", true, false, false, false, true},
	}
	env := testEnv(t)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := Parse(tt.query, env)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.HasPredicate(); got != tt.hasPredicate {
				t.Errorf("HasPredicate = %v, want %v", got, tt.hasPredicate)
			}
			for _, c := range []struct {
				name string
				u    inbox.User
				want bool
			}{{"vip", vip, tt.vip}, {"fresh", fresh, tt.fresh}, {"botLast", botLast, tt.botLast}, {"blank", blank, tt.none}} {
				if got := q.Match(c.u, now); got != c.want {
					t.Errorf("Match(%s) = %v, want %v", c.name, got, c.want)
				}
			}
		})
	}
}

// TestMatchWaitingUsesMatchTime checks that waiting: is measured at the
// time Match is called, not when the query was parsed.
func TestMatchWaitingUsesMatchTime(t *testing.T) {
	q, err := Parse("waiting:>10m", testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	u := inbox.User{LastMessage: inbox.Message{By: inbox.ByUser, At: testNow.Add(-5 * time.Minute)}}
	if q.Match(u, testNow) {
		t.Error("a message 5 minutes old matches waiting:>10m")
	}
	if !q.Match(u, testNow.Add(6*time.Minute)) {
		t.Error("6 minutes later, a message 11 minutes old does not match waiting:>10m")
	}
}

func TestPageAndWithPage(t *testing.T) {
	q, err := Parse("online page:4", testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		n         int
		page      int
		canonical string
	}{
		{1, 1, "online"},
		{2, 2, "online page:2"},
		{0, 1, "online"},
		{-5, 1, "online"},
		{inbox.MaxPage + 1, inbox.MaxPage, "online page:100000"},
	}
	for _, tt := range tests {
		p := q.WithPage(tt.n)
		if p.Page() != tt.page || p.Filter().Page != tt.page || p.Canonical() != tt.canonical {
			t.Errorf("WithPage(%d): page %d, body page %d, canonical %q; want %d, %q", tt.n, p.Page(), p.Filter().Page, p.Canonical(), tt.page, tt.canonical)
		}
	}
	if q.Page() != 4 || q.Canonical() != "online page:4" {
		t.Errorf("WithPage changed the original: %d %q", q.Page(), q.Canonical())
	}
	empty, _ := Parse("", testEnv(t))
	if got := empty.WithPage(3).Canonical(); got != "page:3" {
		t.Errorf("empty query, page 3: canonical %q", got)
	}
}

// TestFilterIsACopy checks that callers cannot change a parsed query
// through the body they get.
func TestFilterIsACopy(t *testing.T) {
	q, err := Parse("tag:vip channel:whatsapp ordered:7d", testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	f := q.Filter()
	f.Tags[0] = "changed"
	f.Bots.WhatsApp[0] = "changed"
	f.Ordered.Ordered = false
	g := q.Filter()
	if g.Tags[0] != "vip" || g.Bots.WhatsApp[0] == "changed" || !g.Ordered.Ordered {
		t.Errorf("Filter shares memory with the query: %+v", g)
	}
}

// TestParseRelativeDatesFollowTheClock checks that a canonical relative
// form re-parsed later (Refresh) moves with the clock.
func TestParseRelativeDatesFollowTheClock(t *testing.T) {
	env := testEnv(t)
	q, err := Parse("seen:7d", env)
	if err != nil {
		t.Fatal(err)
	}
	env.Now = env.Now.Add(time.Hour)
	later, err := Parse(q.Canonical(), env)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := later.Filter().LastSeen.From, q.Filter().LastSeen.From.Add(time.Hour); !got.Equal(want) {
		t.Errorf("seen:7d an hour later starts at %v, want %v", got, want)
	}
}

func TestQueryErrorMessage(t *testing.T) {
	tests := []struct {
		err  QueryError
		want string
	}{
		{QueryError{Token: "x", Message: "`x`: bad."}, "`x`: bad."},
		{QueryError{Token: "tga:vip", Message: "`tga:vip`: there is no qualifier `tga:`.", Suggestion: "tag:vip"},
			"`tga:vip`: there is no qualifier `tga:`. Did you mean `tag:vip`?"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestParseErrorsAreTyped checks the error contract outside the golden files:
// a *QueryError that names the token, never a nil *QueryError in an error.
func TestParseErrorsAreTyped(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		query, token string
	}{
		{"tga:vip", "tga:vip"},
		{"online \xff", ""},
		{"ok status:nope", "status:nope"},
		{"live -live", "-live"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.query, env)
		qe, ok := err.(*QueryError)
		if q != nil || !ok || qe == nil || qe.Token != tt.token || qe.Message == "" {
			t.Errorf("Parse(%q) = %v, %#v; want a *QueryError for token %q", tt.query, q, err, tt.token)
		}
	}
	if _, err := Parse("online", env); err != nil {
		t.Errorf("Parse(online) = %v (a typed nil would show here)", err)
	}
}
