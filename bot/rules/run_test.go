package rules_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/rules/clocktest"
)

var t0 = time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC)

type hourly struct{}

func (hourly) Next(after time.Time) time.Time { return after.Truncate(time.Hour).Add(time.Hour) }

type onceClaims struct {
	mu      sync.Mutex
	owners  map[string]string
	records map[string]rules.SlotRecord
}

func (c *onceClaims) Claim(_ context.Context, key, owner string, _ time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, taken := c.owners[key]; taken {
		return false, nil
	}
	c.owners[key] = owner
	return true, nil
}

func (c *onceClaims) Renew(_ context.Context, key, owner string, _ time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owners[key] == owner, nil
}

// Release keeps the key: a onceClaims lease is never given back, so no
// slot can run twice even without the records.
func (c *onceClaims) Release(context.Context, string, string) (bool, error) { return true, nil }

func (c *onceClaims) Get(_ context.Context, key string) (rules.SlotRecord, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.records[key]
	return r, ok, nil
}

func (c *onceClaims) Update(_ context.Context, key string, fn func(rules.SlotRecord, bool) (rules.SlotRecord, bool)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.records == nil {
		c.records = map[string]rules.SlotRecord{}
	}
	cur, found := c.records[key]
	if next, write := fn(cur, found); write {
		c.records[key] = next
	}
	return nil
}

// Run sleeps on the clock until the next slot, posts it, and on shutdown
// waits for the post in flight.
func TestSchedulerRun(t *testing.T) {
	clock := clocktest.New(t0.Add(55 * time.Minute))
	c := &onceClaims{owners: map[string]string{}}
	started, release := make(chan rules.Slot, 4), make(chan struct{})
	s, err := rules.NewScheduler(rules.Options{Clock: clock, Claims: c, Slots: c, Grace: time.Minute, Run: func(ctx context.Context, sl rules.Slot) error {
		started <- sl
		<-release
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.Set([]rules.Job{{ID: "d1", Schedule: hourly{}, After: t0}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	waitTimer := func() {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			changed := clock.Changed()
			if clock.Timers() > 0 {
				return
			}
			select {
			case <-changed:
			case <-deadline:
				t.Fatal("the scheduler never slept")
			}
		}
	}
	go func() { done <- s.Run(ctx) }()
	waitTimer()
	if next, _ := clock.NextTimer(); !next.Equal(t0.Add(time.Hour)) {
		t.Fatalf("sleeps until %v, want the next slot %v", next, t0.Add(time.Hour))
	}
	clock.Set(t0.Add(time.Hour))
	var sl rules.Slot
	select {
	case sl = <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the slot was not posted")
	}
	if !sl.At.Equal(t0.Add(time.Hour)) || sl.Late {
		t.Fatalf("posted %+v", sl)
	}
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned with a post in flight")
	default:
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the post finished")
	}
}
