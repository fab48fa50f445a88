package commands

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

var askNow = time.Date(2026, 11, 24, 15, 4, 5, 0, time.UTC)

// askFixture is a client on an in-process fake inbox of size contacts with
// server pages of pageSize.
func askFixture(t testing.TB, size, pageSize int) (*inboxtest.Server, *inbox.Client) {
	t.Helper()
	srv := inboxtest.New(inboxtest.WithSize(size), inboxtest.WithPageSize(pageSize),
		inboxtest.WithAnchor(inboxtest.DemoAnchor(askNow)))
	client, err := inbox.NewClient("http://inbox.test", inboxtest.DefaultToken,
		inbox.WithHTTPClient(srv.Client()), inbox.WithPageSize(pageSize))
	if err != nil {
		t.Fatal(err)
	}
	return srv, client
}

func mustParse(t *testing.T, text string) *Query {
	t.Helper()
	q, err := Parse(text, Env{Now: askNow})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func ids(users []inbox.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

// allMatches walks every server page of q and keeps what Match accepts: the
// truth Ask's pages must add up to.
func allMatches(t *testing.T, client *inbox.Client, q *Query) []string {
	t.Helper()
	var out []string
	for u, err := range inbox.All(context.Background(), client, q.WithPage(1).Filter(), 0) {
		if err != nil {
			t.Fatal(err)
		}
		if q.Match(u, askNow) {
			out = append(out, u.ID)
		}
	}
	return out
}

// walkAll pages through q with Next from page 1, checking each page, and
// returns the ids in order.
func walkAll(t *testing.T, src inbox.Source, q *Query) ([]string, []*Answer) {
	t.Helper()
	var got []string
	var answers []*Answer
	pos := Position{}
	for range 100 {
		a, err := Ask(context.Background(), src, q, pos, askNow)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, a)
		got = append(got, ids(a.Users)...)
		next, ok := a.NextPosition()
		if !ok {
			return got, answers
		}
		if q.HasPredicate() && len(a.Users) != PageSize {
			t.Errorf("page %d of a predicate query has %d contacts, want a full page", a.Page, len(a.Users))
		}
		pos = next
	}
	t.Fatal("more than 100 pages")
	return nil, nil
}

func TestAskWalksEveryMatchOnce(t *testing.T) {
	tests := []struct {
		query    string
		pageSize int
	}{
		{"tag:vip", 20},                        // plain: the server's pages
		{"tag:vip", 7},                         // plain, another page size
		{"unassigned", 20},                     // client-side predicate
		{"live unassigned", 9},                 // predicate across small server pages
		{"tag:vip tag:gold", 20},               // repeated key: AND on our side
		{"-status:closed channel:website", 13}, // exclusion
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			srv, client := askFixture(t, 300, tt.pageSize)
			q := mustParse(t, tt.query)
			want := allMatches(t, client, q)
			if len(want) == 0 {
				t.Fatal("the fixture has no match: the test would prove nothing")
			}
			srv.Reset()
			got, answers := walkAll(t, client, q)
			if !slices.Equal(got, want) {
				t.Errorf("paging gave %d contacts, want %d (duplicates or gaps)", len(got), len(want))
			}
			last := answers[len(answers)-1]
			if last.Total != len(want) {
				t.Errorf("the last page says %d in total, want %d", last.Total, len(want))
			}
			if !q.HasPredicate() && srv.Count() != len(answers) {
				t.Errorf("plain query: %d inbox requests for %d pages, want one each", srv.Count(), len(answers))
			}
		})
	}
}

func TestAskPrevReturnsTheSamePage(t *testing.T) {
	_, client := askFixture(t, 300, 20)
	q := mustParse(t, "unassigned")
	first, err := Ask(context.Background(), client, q, Position{}, askNow)
	if err != nil {
		t.Fatal(err)
	}
	next, _ := first.NextPosition()
	second, err := Ask(context.Background(), client, q, next, askNow)
	if err != nil {
		t.Fatal(err)
	}
	prev, ok := second.PrevPosition()
	if !ok {
		t.Fatal("no Prev on page 2")
	}
	back, err := Ask(context.Background(), client, q, prev, askNow)
	if err != nil {
		t.Fatal(err)
	}
	if back.Page != 1 || !slices.Equal(ids(back.Users), ids(first.Users)) {
		t.Errorf("Prev from page 2 gave page %d with other contacts", back.Page)
	}
	if _, ok := back.PrevPosition(); ok {
		t.Error("page 1 offers Prev")
	}
}

// TestAskPageQualifier: page:N of a predicate query is our N-th page, the
// same contacts Next would reach.
func TestAskPageQualifier(t *testing.T) {
	_, client := askFixture(t, 300, 20)
	q := mustParse(t, "unassigned")
	_, answers := walkAll(t, client, q)
	if len(answers) < 3 {
		t.Fatal("the fixture has fewer than 3 pages of unassigned contacts")
	}
	third, err := Ask(context.Background(), client, q.WithPage(3), Position{}, askNow)
	if err != nil {
		t.Fatal(err)
	}
	if third.Page != 3 || !slices.Equal(ids(third.Users), ids(answers[2].Users)) {
		t.Errorf("page:3 gave page %d with other contacts than Next twice", third.Page)
	}
}

// TestAskBoundedScan: a predicate that matches nothing stops at MaxScan and
// says so, rather than walking a huge inbox.
func TestAskBoundedScan(t *testing.T) {
	_, client := askFixture(t, MaxScan+300, 20)
	q := mustParse(t, "-status:open,inprogress,review,onhold,dependancy,closed")
	a, err := Ask(context.Background(), client, q, Position{}, askNow)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Truncated || a.Scanned < MaxScan || a.Next == nil || a.Total != -1 || len(a.Users) != 0 {
		t.Errorf("got truncated=%v scanned=%d next=%v total=%d users=%d; want a bounded, resumable scan",
			a.Truncated, a.Scanned, a.Next, a.Total, len(a.Users))
	}
}

func TestAskEmptyAndErrors(t *testing.T) {
	srv, client := askFixture(t, 50, 20)
	a, err := Ask(context.Background(), client, mustParse(t, `"no such customer anywhere"`), Position{}, askNow)
	if err != nil {
		t.Fatal(err)
	}
	if a.Total != 0 || len(a.Users) != 0 || a.Next != nil {
		t.Errorf("empty result: total %d, %d users, next %v", a.Total, len(a.Users), a.Next)
	}
	srv.SetFault(inboxtest.Unauthorized())
	_, err = Ask(context.Background(), client, mustParse(t, "live"), Position{}, askNow)
	if got := Explain(err); got == "" || got == Explain(context.Canceled) {
		t.Errorf("an unauthorized inbox explained as %q", got)
	}
}

// TestExplainAPIErrorQuotesTheInbox: a message from the inbox cannot format
// or ping once rendered.
func TestExplainAPIErrorQuotesTheInbox(t *testing.T) {
	err := &inbox.APIError{StatusCode: 400, Message: "*bad* `x` <!channel>"}
	got := Explain(err)
	if want := "Convertalk refused the request (400): `*bad* 'x' <!channel>`"; got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
	text := RenderError(got).Text
	if strings.Contains(text, "<!channel>") {
		t.Errorf("rendered error can ping: %q", text)
	}
}
