package bot

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/convertalk/inboxbot/inbox"
)

// cachingSource coalesces identical in-flight inbox requests and keeps each
// answer for a short time, keyed by the exact request body, so a burst of
// Refresh clicks or the same query from many people costs one inbox call.
type cachingSource struct {
	src   inbox.Source
	ttl   time.Duration
	now   func() time.Time
	group singleflight.Group

	// life ends the shared calls when the bot stops (Close); calls wait
	// counts them so Close returns only when none is left.
	life    context.Context
	endLife context.CancelFunc
	calls   sync.WaitGroup

	mu      sync.Mutex
	entries map[string]cacheEntry
	maxSize int
}

type cacheEntry struct {
	page    *inbox.Page
	expires time.Time
}

var _ inbox.Source = (*cachingSource)(nil)

func newCachingSource(src inbox.Source, ttl time.Duration, now func() time.Time) *cachingSource {
	life, endLife := context.WithCancel(context.Background())
	return &cachingSource{src: src, ttl: ttl, now: now, life: life, endLife: endLife,
		entries: map[string]cacheEntry{}, maxSize: 512}
}

// Close cancels the shared calls still running and waits for them: once
// the bot has stopped, nothing may keep talking to the inbox.
func (c *cachingSource) Close() {
	c.endLife()
	c.calls.Wait()
}

// Users implements inbox.Source.
func (c *cachingSource) Users(ctx context.Context, f inbox.Filter) (*inbox.Page, error) {
	started := time.Now()
	defer func() { addInboxWait(ctx, time.Since(started)) }()
	body, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	key := string(body)
	if p, ok := c.lookup(key); ok {
		return p, nil
	}
	ch := c.group.DoChan(key, func() (any, error) { return c.shared(ctx, key, f) })
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*inbox.Page), nil
	}
}

// shared is the one inbox call of a coalesced group. It runs detached from
// any one caller's cancellation, so one impatient caller does not fail the
// others waiting on it; it is bounded by the client's own timeouts and
// attempts, and ended by Close.
func (c *cachingSource) shared(ctx context.Context, key string, f inbox.Filter) (*inbox.Page, error) {
	c.calls.Add(1)
	defer c.calls.Done()
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(c.life, cancel)
	defer stop()
	p, err := c.src.Users(ctx, f)
	if err == nil {
		c.store(key, p)
	}
	return p, err
}

func (c *cachingSource) lookup(key string) (*inbox.Page, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || c.now().After(e.expires) {
		return nil, false
	}
	return e.page, true
}

func (c *cachingSource) store(key string, p *inbox.Page) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= c.maxSize {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.maxSize {
			clear(c.entries) // a burst of distinct queries: start over rather than grow
		}
	}
	c.entries[key] = cacheEntry{page: p, expires: now.Add(c.ttl)}
}
