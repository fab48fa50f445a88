package inboxtest

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/convertalk/inboxbot/inbox"
)

// onlineIDs is the ids of the contacts the server serves as online, over
// every page, in order.
func onlineIDs(t *testing.T, s *Server) []string {
	t.Helper()
	online := true
	return fetchAll(t, s, inbox.Filter{Online: &online})
}

// TestSetContacts: a request after SetContacts / UpdateContacts sees the
// new contacts (matches, order, totals), and Contacts reports them.
func TestSetContacts(t *testing.T) {
	s := newTestServer(WithSize(60), WithTotals(true))
	before := s.Contacts()
	var wantOnline []string
	for _, c := range before {
		if c.Online {
			wantOnline = append(wantOnline, c.ID)
		}
	}
	if got := onlineIDs(t, s); !slices.Equal(got, wantOnline) || len(got) == 0 {
		t.Fatalf("online before: %v, want %v", got, wantOnline)
	}

	// Everyone goes offline but the last three, which are given in reverse
	// order: the server sorts them back into the API's order.
	next := slices.Clone(before)
	for i := range next {
		next[i].Online = i >= len(next)-3
	}
	slices.Reverse(next)
	s.SetContacts(next)
	want := []string{before[len(before)-3].ID, before[len(before)-2].ID, before[len(before)-1].ID}
	if got := onlineIDs(t, s); !slices.Equal(got, want) {
		t.Fatalf("online after SetContacts: %v, want %v", got, want)
	}
	if got := s.Contacts(); len(got) != len(before) || got[0].ID != before[0].ID {
		t.Errorf("Contacts after SetContacts: %d contacts, first %s; want %d, first %s", len(got), got[0].ID, len(before), before[0].ID)
	}

	// UpdateContacts starts from the current contacts: one more online,
	// one contact dropped.
	s.UpdateContacts(func(cs []Contact) []Contact {
		cs[0].Online = true
		return cs[1:]
	})
	if got := onlineIDs(t, s); !slices.Equal(got, want) {
		t.Errorf("online after dropping the first: %v, want %v", got, want)
	}
	s.UpdateContacts(func(cs []Contact) []Contact {
		cs[0].Online = true
		return cs
	})
	want = append([]string{before[1].ID}, want...)
	if got := onlineIDs(t, s); !slices.Equal(got, want) {
		t.Errorf("online after UpdateContacts: %v, want %v", got, want)
	}
	w := serve(t, s, http.MethodPost, Path, bodyOf(t, inbox.Filter{Page: 1}), nil)
	if env := decodeEnvelope(t, w.Body.Bytes()); env.Total == nil || *env.Total != len(before)-1 {
		t.Errorf("total after update: %v, want %d", env.Total, len(before)-1)
	}

	s.SetContacts(nil)
	if got := onlineIDs(t, s); len(got) != 0 {
		t.Errorf("online with no contacts: %v", got)
	}
}

// TestUpdateContactsConcurrent changes contacts while requests run (run
// with -race): every answer is a whole dataset, and no update is lost.
func TestUpdateContactsConcurrent(t *testing.T) {
	s := newTestServer(WithSize(40))
	base := s.Contacts()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				w := serve(t, s, http.MethodPost, Path, bodyOf(t, inbox.Filter{Page: 1}), nil)
				if w.Code != http.StatusOK {
					t.Errorf("status %d", w.Code)
					return
				}
				_ = s.Contacts()
			}
		}()
	}
	const updates = 50
	var uw sync.WaitGroup
	for range updates {
		uw.Add(1)
		go func() {
			defer uw.Done()
			s.UpdateContacts(func(cs []Contact) []Contact {
				cs[0].Tags = append(slices.Clone(cs[0].Tags), "t")
				return cs
			})
		}()
	}
	uw.Wait()
	close(stop)
	wg.Wait()
	got := s.Contacts()
	if n := len(got[0].Tags) - len(base[0].Tags); n != updates {
		t.Errorf("%d of %d updates kept", n, updates)
	}
}
