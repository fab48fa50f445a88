package bot

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// pagedSource serves total contacts in pages of size and counts requests.
type pagedSource struct {
	total, size int
	requests    atomic.Int64
}

func (s *pagedSource) Users(_ context.Context, f inbox.Filter) (*inbox.Page, error) {
	s.requests.Add(1)
	p := &inbox.Page{Number: f.Page, Total: -1}
	for i := (f.Page - 1) * s.size; i < min(f.Page*s.size, s.total); i++ {
		p.Users = append(p.Users, inbox.User{ID: fmt.Sprintf("%024x", i), Online: true})
	}
	p.Last = f.Page*s.size >= s.total
	return p, nil
}

// TestCountDigest: the count walks every page and stops past MaxDigestCount ("5,000+") without fetching
// the pages after it.
func TestCountDigest(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	env := commands.Env{Now: now, Location: time.UTC}
	tests := []struct {
		name        string
		total       int
		want        int
		capped      bool
		maxRequests int64
	}{
		{"a few pages", 250, 250, false, 3 + digestConcurrency - 1},
		// 50 full pages, then the look-ahead (at most digestConcurrency-1
		// pages) past the end or the bound.
		{"exactly the bound", commands.MaxDigestCount, commands.MaxDigestCount, false, 51 + digestConcurrency - 1},
		{"past the bound", 3*commands.MaxDigestCount + 300, commands.MaxDigestCount, true, 51 + digestConcurrency - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The fake serves every contact: the filter is the server's.
			q, err := commands.Parse("online", env)
			if err != nil {
				t.Fatal(err)
			}
			src := &pagedSource{total: tt.total, size: 100}
			sum, err := countDigest(context.Background(), src, q, now)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Count != tt.want || sum.Capped != tt.capped {
				t.Errorf("count %d capped %v, want %d %v", sum.Count, sum.Capped, tt.want, tt.capped)
			}
			if got := src.requests.Load(); got > tt.maxRequests {
				t.Errorf("%d inbox requests, want at most %d", got, tt.maxRequests)
			}
		})
	}
}
