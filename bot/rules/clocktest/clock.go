// Package clocktest is a fake rules.Clock for tests: time stands still
// until the test moves it, and timers fire when it passes their deadline,
// so a week of schedules runs in milliseconds and nothing sleeps.
package clocktest

import (
	"sync"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
)

// Clock is a fake clock. Its zero value is not usable: use New.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed and replaced whenever a timer is added
}

var _ rules.Clock = (*Clock)(nil)

// New returns a clock standing at start.
func New(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires once the clock reaches now+d.
func (c *Clock) NewTimer(d time.Duration) rules.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{clock: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.fired = true
		t.c <- c.now
	} else {
		c.timers = append(c.timers, t)
	}
	close(c.changed)
	c.changed = make(chan struct{})
	return t
}

// Set moves the clock to t (forward only) and fires the timers due by then.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.stopped {
			continue
		}
		if !tm.at.After(c.now) {
			tm.fired = true
			tm.c <- c.now
			continue
		}
		kept = append(kept, tm)
	}
	c.timers = kept
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// NextTimer returns the earliest deadline of a pending timer.
func (c *Clock) NextTimer() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for _, t := range c.timers {
		if !t.stopped && (next.IsZero() || t.at.Before(next)) {
			next = t.at
		}
	}
	return next, !next.IsZero()
}

// Timers returns the number of pending timers.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// Changed returns a channel closed when the next timer is created, so a
// test can wait for a sleeping goroutine without polling.
func (c *Clock) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

type timer struct {
	clock   *Clock
	at      time.Time
	c       chan time.Time
	fired   bool
	stopped bool
}

func (t *timer) C() <-chan time.Time { return t.c }

func (t *timer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := !t.fired && !t.stopped
	t.stopped = true
	return was
}
