package bot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/inbox"
)

// gatedSource is an inbox.Source whose calls wait for a gate; it counts them.
type gatedSource struct {
	gate  chan struct{} // closed to let calls answer
	calls atomic.Int32
	fail  atomic.Bool
}

func (s *gatedSource) Users(ctx context.Context, f inbox.Filter) (*inbox.Page, error) {
	s.calls.Add(1)
	select {
	case <-s.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if s.fail.Load() {
		return nil, errors.New("inbox down")
	}
	return &inbox.Page{Number: f.Page, Users: []inbox.User{{ID: "65ab12cd34ef56ab78cd90ef"}}, Total: -1}, nil
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestCachingSource(t *testing.T) {
	online := true
	f := inbox.Filter{Online: &online, Page: 1}
	tests := []struct {
		name string
		run  func(t *testing.T, c *cachingSource, src *gatedSource, clock *fakeClock) int32 // returns the calls wanted
	}{
		{"concurrent identical requests share one call", func(t *testing.T, c *cachingSource, src *gatedSource, _ *fakeClock) int32 {
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					if _, err := c.Users(t.Context(), f); err != nil {
						t.Error(err)
					}
				})
			}
			waitCalls(t, src, 1)
			close(src.gate)
			wg.Wait()
			return 1
		}},
		{"an answer is reused within the TTL, not after", func(t *testing.T, c *cachingSource, src *gatedSource, clock *fakeClock) int32 {
			close(src.gate)
			for range 3 {
				mustUsers(t, c, f)
			}
			clock.Add(2 * time.Second)
			mustUsers(t, c, f)
			return 2
		}},
		{"different bodies are different entries", func(t *testing.T, c *cachingSource, src *gatedSource, _ *fakeClock) int32 {
			close(src.gate)
			mustUsers(t, c, f)
			g := f
			g.Page = 2
			mustUsers(t, c, g)
			return 2
		}},
		{"errors are not cached", func(t *testing.T, c *cachingSource, src *gatedSource, _ *fakeClock) int32 {
			close(src.gate)
			src.fail.Store(true)
			if _, err := c.Users(t.Context(), f); err == nil {
				t.Fatal("no error from a failing source")
			}
			src.fail.Store(false)
			mustUsers(t, c, f)
			return 2
		}},
		{"one caller giving up does not fail the others", func(t *testing.T, c *cachingSource, src *gatedSource, _ *fakeClock) int32 {
			impatient, cancel := context.WithCancel(t.Context())
			gaveUp := make(chan error, 1)
			go func() { _, err := c.Users(impatient, f); gaveUp <- err }()
			waitCalls(t, src, 1)
			patient := make(chan error, 1)
			go func() { _, err := c.Users(t.Context(), f); patient <- err }()
			cancel()
			if err := <-gaveUp; !errors.Is(err, context.Canceled) {
				t.Errorf("the impatient caller got %v", err)
			}
			close(src.gate)
			if err := <-patient; err != nil {
				t.Errorf("the patient caller got %v", err)
			}
			return 1
		}},
		{"Close ends the calls in flight", func(t *testing.T, c *cachingSource, src *gatedSource, _ *fakeClock) int32 {
			done := make(chan error, 1)
			go func() { _, err := c.Users(context.Background(), f); done <- err }()
			waitCalls(t, src, 1)
			c.Close() // returns only when the call has ended
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("the call in flight got %v, want it cancelled", err)
			}
			return 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &gatedSource{gate: make(chan struct{})}
			clock := &fakeClock{now: e2eAnchor}
			c := newCachingSource(src, time.Second, clock.Now)
			want := tt.run(t, c, src, clock)
			if got := src.calls.Load(); got != want {
				t.Errorf("%d calls to the inbox, want %d", got, want)
			}
		})
	}
}

func mustUsers(t *testing.T, c *cachingSource, f inbox.Filter) {
	t.Helper()
	if _, err := c.Users(t.Context(), f); err != nil {
		t.Fatal(err)
	}
}

// waitCalls waits until the source has been called n times.
func waitCalls(t *testing.T, src *gatedSource, n int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	slacktest.Poll(t, ctx, "the inbox call", func() bool { return src.calls.Load() >= n })
}
