package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// mixedSource is an inbox of size contacts, pageSize a page, in which
// every third contact is unassigned; it counts the requests.
type mixedSource struct {
	size, pageSize int
	requests       atomic.Int64
}

func (s *mixedSource) Users(_ context.Context, f inbox.Filter) (*inbox.Page, error) {
	s.requests.Add(1)
	first := (max(f.Page, 1) - 1) * s.pageSize
	p := &inbox.Page{Number: f.Page, Total: -1, Size: s.pageSize}
	for i := first; i < min(first+s.pageSize, s.size); i++ {
		u := inbox.User{ID: fmt.Sprintf("%024x", i), Name: "Someone", LastSeenAt: askNow.Add(-time.Hour)}
		if i%3 != 0 {
			u.AgentID = "65ab12cd34ef56ab78cd90ef"
		}
		p.Users = append(p.Users, u)
	}
	p.Last = len(p.Users) < s.pageSize
	return p, nil
}

// TestAskDeepPagingBudget: page:N of a predicate query walks the pages
// before N within a total budget (MaxPagingScan contacts, MaxPagingRequests
// requests) and, past it, says so in words instead of walking on
// (`unassigned page:100000` on a 20,000-contact inbox made 1,337 requests).
func TestAskDeepPagingBudget(t *testing.T) {
	tests := []struct {
		name         string
		size, psize  int
		page         int
		wantErr      string // "" when the page is answered
		maxRequests  int64
		wantPage     int
		wantPastEnd  bool
		wantUsersMin int
	}{
		{name: "far past a big inbox", size: 20000, psize: 20, page: 100000,
			wantErr:     "Page 100,000 is further than I scan: I stopped at page 167 after 10,000 contacts. Narrow the query, or ask for an earlier page.",
			maxRequests: MaxPagingScan/20 + MaxPagingScan/20/3 + 2},
		{name: "page 400 of a big inbox", size: 20000, psize: 20, page: 400,
			wantErr: "Page 400 is further than I scan", maxRequests: MaxPagingScan/20 + MaxPagingScan/20/3 + 2},
		{name: "small server pages: the request bound", size: 20000, psize: 2, page: 5000,
			wantErr: "Page 5,000 is further than I scan", maxRequests: MaxPagingRequests + MaxScan/2 + 2},
		{name: "a deep page within the budget", size: 20000, psize: 20, page: 150,
			maxRequests: 150*3 + 150 + 5, wantPage: 150, wantUsersMin: PageSize},
		{name: "past the end of a small inbox", size: 300, psize: 20, page: 400,
			maxRequests: 300/20 + 300/60 + 3, wantPage: 400, wantPastEnd: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &mixedSource{size: tt.size, pageSize: tt.psize}
			q := mustParse(t, fmt.Sprintf("unassigned page:%d", tt.page))
			a, err := Ask(context.Background(), src, q, Position{}, askNow)
			if reqs := src.requests.Load(); reqs > tt.maxRequests {
				t.Errorf("%d requests, want at most %d", reqs, tt.maxRequests)
			}
			if tt.wantErr != "" {
				var qe *QueryError
				if !errors.As(err, &qe) || !strings.Contains(Explain(err), tt.wantErr) {
					t.Fatalf("Ask = %v, %v; want a QueryError saying %q", a, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Page != tt.wantPage || a.PastEnd != tt.wantPastEnd || len(a.Users) < tt.wantUsersMin {
				t.Errorf("page %d, past the end %v, %d contacts; want %d, %v, at least %d",
					a.Page, a.PastEnd, len(a.Users), tt.wantPage, tt.wantPastEnd, tt.wantUsersMin)
			}
			if tt.wantPastEnd && len(a.Users) != 0 {
				t.Errorf("past the end with %d contacts", len(a.Users))
			}
		})
	}
}

// TestAskPageSizeThroughAnyWrapper: rows of a plain page:N are numbered
// with the server's page size as the pages carry it (Page.Size), through a
// Source in front of the client that forwards nothing: a bigger page than
// assumed says so at once, a smaller one once a walk went past page 1.
func TestAskPageSizeThroughAnyWrapper(t *testing.T) {
	for _, tt := range []struct {
		name       string
		serverSize int
		walkFirst  bool
	}{
		{"server pages of 30", 30, false},
		{"server pages of 10, after a walk", 10, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := inboxtest.New(inboxtest.WithSize(200), inboxtest.WithPageSize(tt.serverSize),
				inboxtest.WithAnchor(inboxtest.DemoAnchor(askNow)))
			client, err := inbox.NewClient("http://inbox.test", inboxtest.DefaultToken, inbox.WithHTTPClient(srv.Client()))
			if err != nil {
				t.Fatal(err)
			}
			wrapped := sourceFunc(client.Users)
			if tt.walkFirst {
				if _, err := Ask(context.Background(), wrapped, mustParse(t, "created:>2000-01-01 -tag:nosuchtag"), Position{}, askNow); err != nil {
					t.Fatal(err)
				}
			}
			a, err := Ask(context.Background(), wrapped, mustParse(t, "created:>2000-01-01 page:3"), Position{}, askNow)
			if err != nil {
				t.Fatal(err)
			}
			if a.Before != 2*tt.serverSize || len(a.Users) != tt.serverSize {
				t.Errorf("page 3 holds %d contacts numbered from %d, want %d from %d", len(a.Users), a.Before+1, tt.serverSize, 2*tt.serverSize+1)
			}
		})
	}
}
