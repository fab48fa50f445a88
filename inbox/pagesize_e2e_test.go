package inbox_test

// End-to-end walks of the real client over the fake inbox at page sizes the
// client does not know: it assumes inbox.DefaultPageSize. (An external test
// package, as inboxtest imports inbox; it defines no -update flag, the
// inbox package's tests do.)

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

var e2eAnchor = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// openContacts is the server-side filter of the walks: well over 40 of the
// demo inbox's contacts match.
var openContacts = inbox.Filter{Status: []inbox.Status{inbox.StatusOpen}}

// newE2E returns a fake inbox with pages of size contacts (and totals when
// asked) and a client with default options in front of it.
func newE2E(t *testing.T, size int, totals bool) (*inboxtest.Server, *inbox.Client) {
	t.Helper()
	s := inboxtest.New(inboxtest.WithAnchor(e2eAnchor), inboxtest.WithPageSize(size), inboxtest.WithTotals(totals))
	c, err := inbox.NewClient("http://inbox.invalid", inboxtest.DefaultToken,
		inbox.WithHTTPClient(s.Client()), inbox.WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// expectedIDs lists, in the server's order, the contacts with status OPEN
// that keep accepts.
func expectedIDs(t *testing.T, s *inboxtest.Server, keep func(inboxtest.Contact) bool) []string {
	t.Helper()
	var ids []string
	for _, c := range s.Contacts() {
		if c.Status == inbox.StatusOpen && keep(c) {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) < 40 {
		t.Fatalf("only %d contacts to walk: the test needs 40 or more", len(ids))
	}
	return ids
}

func e2eCases() []struct {
	size   int
	totals bool
} {
	var out []struct {
		size   int
		totals bool
	}
	for _, size := range []int{10, 15, 20, 25} {
		for _, totals := range []bool{false, true} {
			out = append(out, struct {
				size   int
				totals bool
			}{size, totals})
		}
	}
	return out
}

// plainFind is a plain query of one server page, checked to cost exactly
// one request.
func plainFind(t *testing.T, s *inboxtest.Server, c *inbox.Client, page int) *inbox.Found {
	t.Helper()
	before := s.Count()
	found, err := inbox.Find(context.Background(), c, openContacts, inbox.Cursor{Page: page}, inbox.FindOptions{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Count() - before; n != 1 || found.Requests != 1 {
		t.Fatalf("plain find of page %d: %d requests (Requests %d), want exactly 1", page, n, found.Requests)
	}
	return found
}

// TestAllUnknownPageSize: All yields every match exactly once, in order,
// with at most one request beyond the pages; afterwards the client knows
// the server's page size and plain queries get Next right.
func TestAllUnknownPageSize(t *testing.T) {
	for _, tt := range e2eCases() {
		t.Run(fmt.Sprintf("size %d, totals %v", tt.size, tt.totals), func(t *testing.T) {
			s, c := newE2E(t, tt.size, tt.totals)
			want := expectedIDs(t, s, func(inboxtest.Contact) bool { return true })
			pages := (len(want) + tt.size - 1) / tt.size

			plainFind(t, s, c, 1) // before any walk: still one request

			before := s.Count()
			var got []string
			for u, err := range inbox.All(context.Background(), c, openContacts, 0) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, u.ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("All yielded %d contacts, want the %d matches in order", len(got), len(want))
			}
			if n := s.Count() - before; n < pages || n > pages+1 {
				t.Errorf("the walk made %d requests for %d pages, want at most one more", n, pages)
			}
			if c.PageSize() != tt.size {
				t.Errorf("page size %d after the walk, want the server's %d", c.PageSize(), tt.size)
			}

			first := plainFind(t, s, c, 1)
			if len(first.Users) != tt.size || first.Next == nil || *first.Next != (inbox.Cursor{Page: 2}) {
				t.Errorf("page 1 after the walk: %d users, next %v; want %d and page 2", len(first.Users), first.Next, tt.size)
			}
			last := plainFind(t, s, c, pages)
			if len(last.Users) == 0 || (len(want)%tt.size != 0 && last.Next != nil) {
				t.Errorf("last page %d: %d users, next %v; want no Next", pages, len(last.Users), last.Next)
			}
			p, err := c.Users(context.Background(), inbox.Filter{Status: openContacts.Status, Page: pages})
			if err != nil {
				t.Fatal(err)
			}
			if len(want)%tt.size != 0 && (!p.Last || p.Inferred) {
				t.Errorf("last page: Last %v, Inferred %v; want a certain last page", p.Last, p.Inferred)
			}
		})
	}
}

// TestPagesUnknownPageSizeLookahead: with look-ahead, the pages still come
// once each and in order.
func TestPagesUnknownPageSizeLookahead(t *testing.T) {
	for _, size := range []int{10, 15, 20, 25} {
		t.Run(fmt.Sprint("size ", size), func(t *testing.T) {
			s, c := newE2E(t, size, false)
			want := expectedIDs(t, s, func(inboxtest.Contact) bool { return true })
			var got []string
			for p, err := range inbox.Pages(context.Background(), c, openContacts, 3) {
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Users) == 0 {
					t.Error("an empty page yielded after contacts")
				}
				for _, u := range p.Users {
					got = append(got, u.ID)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Pages yielded %d contacts, want the %d matches in order", len(got), len(want))
			}
		})
	}
}

// TestFindPredicateUnknownPageSize pages through "unassigned" (a
// client-side predicate) with Next, as the bot's answers do: every match
// once, in order, and the client learns the page size on the way.
func TestFindPredicateUnknownPageSize(t *testing.T) {
	unassigned := func(u inbox.User) bool { return !u.Assigned() }
	for _, tt := range e2eCases() {
		t.Run(fmt.Sprintf("size %d, totals %v", tt.size, tt.totals), func(t *testing.T) {
			s, c := newE2E(t, tt.size, tt.totals)
			want := expectedIDs(t, s, func(ct inboxtest.Contact) bool { return ct.AgentID == "" })
			var got []string
			at := inbox.Cursor{Page: 1}
			for answers := 0; ; answers++ {
				if answers > 1000 {
					t.Fatal("Next never ends")
				}
				found, err := inbox.Find(context.Background(), c, openContacts, at, inbox.FindOptions{Match: unassigned, Limit: 7})
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range found.Users {
					got = append(got, u.ID)
				}
				if found.Next == nil {
					break
				}
				at = *found.Next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Find yielded %d contacts, want the %d matches in order", len(got), len(want))
			}
			if c.PageSize() != tt.size {
				t.Errorf("page size %d after the walk, want the server's %d", c.PageSize(), tt.size)
			}
		})
	}
}
