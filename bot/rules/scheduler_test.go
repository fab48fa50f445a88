package rules

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// every is a test schedule: every d from midnight UTC.
type every time.Duration

func (e every) Next(after time.Time) time.Time {
	d := time.Duration(e)
	day := time.Date(after.Year(), after.Month(), after.Day(), 0, 0, 0, 0, time.UTC)
	return day.Add(after.Sub(day).Truncate(d) + d)
}

// dailyAt is a test schedule: every day at h:m in loc.
type dailyAt struct {
	h, m int
	loc  *time.Location
}

func (d dailyAt) Next(after time.Time) time.Time {
	a := after.In(d.loc)
	t := time.Date(a.Year(), a.Month(), a.Day(), d.h, d.m, 0, 0, d.loc)
	if !t.After(after) {
		t = time.Date(a.Year(), a.Month(), a.Day()+1, d.h, d.m, 0, 0, d.loc)
	}
	return t
}

// claims is an in-memory store of leases and slot records, as the bot's
// store keeps them: a lease lives until released or until its ttl on now
// (nil: leases never expire); fail makes every call fail.
type claims struct {
	mu      sync.Mutex
	owners  map[string]lease
	records map[string]SlotRecord
	now     func() time.Time
	fail    error
}

type lease struct {
	owner string
	until time.Time
}

func newClaims() *claims {
	return &claims{owners: map[string]lease{}, records: map[string]SlotRecord{}}
}

func (c *claims) liveLocked(key string) (lease, bool) {
	l, ok := c.owners[key]
	if ok && c.now != nil && !c.now().Before(l.until) {
		return l, false
	}
	return l, ok
}

func (c *claims) Claim(_ context.Context, key, owner string, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return false, c.fail
	}
	if _, taken := c.liveLocked(key); taken {
		return false, nil
	}
	var until time.Time
	if c.now != nil {
		until = c.now().Add(ttl)
	}
	c.owners[key] = lease{owner: owner, until: until}
	return true, nil
}

func (c *claims) Renew(_ context.Context, key, owner string, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return false, c.fail
	}
	l, live := c.liveLocked(key)
	if !live || l.owner != owner {
		return false, nil
	}
	if c.now != nil {
		l.until = c.now().Add(ttl)
	}
	c.owners[key] = l
	return true, nil
}

func (c *claims) Release(_ context.Context, key, owner string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return false, c.fail
	}
	l, live := c.liveLocked(key)
	if !live || l.owner != owner {
		return false, nil
	}
	delete(c.owners, key)
	return true, nil
}

func (c *claims) Get(_ context.Context, key string) (SlotRecord, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return SlotRecord{}, false, c.fail
	}
	r, ok := c.records[key]
	return r, ok, nil
}

func (c *claims) Update(_ context.Context, key string, fn func(SlotRecord, bool) (SlotRecord, bool)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	cur, found := c.records[key]
	if next, write := fn(cur, found); write {
		c.records[key] = next
	}
	return nil
}

// posts records what Run posted.
type posts struct {
	mu    sync.Mutex
	slots map[string][]Slot // by job
}

func newPosts() *posts { return &posts{slots: map[string][]Slot{}} }

func (p *posts) run(ctx context.Context, s Slot) error {
	if ok, err := s.Begin(ctx); !ok || err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.slots[s.JobID] = append(p.slots[s.JobID], s)
	return nil
}

func (p *posts) of(id string) []Slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]Slot(nil), p.slots[id]...)
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

var t0 = time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC) // a Monday

func TestPlanSlots(t *testing.T) {
	s := every(time.Hour)
	at := func(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	tests := []struct {
		name        string
		after, now  time.Time
		grace       time.Duration
		post        time.Time
		late        bool
		skipped     int
		moreSkipped int
		handled     time.Time
		next        time.Time
	}{
		{name: "nothing due", after: at(9, 0), now: at(9, 30), grace: 15 * time.Minute, next: at(10, 0)},
		{name: "after is now", after: at(9, 0), now: at(9, 0), grace: 15 * time.Minute, next: at(10, 0)},
		{name: "on time", after: at(9, 0), now: at(10, 0), grace: 15 * time.Minute, post: at(10, 0), handled: at(10, 0), next: at(11, 0)},
		{name: "a second behind is not late", after: at(9, 0), now: at(10, 0).Add(time.Second), grace: 15 * time.Minute, post: at(10, 0), handled: at(10, 0), next: at(11, 0)},
		{name: "missed within grace: late", after: at(9, 0), now: at(10, 10), grace: 15 * time.Minute, post: at(10, 0), late: true, handled: at(10, 0), next: at(11, 0)},
		{name: "missed by exactly the grace: late", after: at(9, 0), now: at(10, 15), grace: 15 * time.Minute, post: at(10, 0), late: true, handled: at(10, 0), next: at(11, 0)},
		{name: "missed beyond grace: skipped", after: at(9, 0), now: at(10, 16), grace: 15 * time.Minute, skipped: 1, handled: at(10, 0), next: at(11, 0)},
		{name: "down for hours: newest late, older skipped", after: at(5, 0), now: at(10, 5), grace: 15 * time.Minute, post: at(10, 0), late: true, skipped: 4, handled: at(10, 0), next: at(11, 0)},
		{name: "down for hours past grace: all skipped", after: at(5, 0), now: at(10, 30), grace: 15 * time.Minute, skipped: 5, handled: at(10, 0), next: at(11, 0)},
		{name: "zero grace: on time only", after: at(9, 0), now: at(10, 0), grace: 0, post: at(10, 0), handled: at(10, 0), next: at(11, 0)},
		{name: "long list is cut", after: at(0, 0), now: at(23, 30), grace: 15 * time.Minute, skipped: maxListedSkips, moreSkipped: 23 - maxListedSkips, handled: at(23, 0), next: at(24, 0)},
		{name: "beyond the look-back", after: at(0, 0).Add(-30 * 24 * time.Hour), now: at(10, 0), grace: 15 * time.Minute, post: at(10, 0), skipped: maxListedSkips, moreSkipped: 1 + 7*24 - 1 - maxListedSkips, handled: at(10, 0), next: at(11, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanSlots(s, tt.after, tt.now, tt.grace)
			if !p.Post.Equal(tt.post) || p.Late != tt.late || len(p.Skipped) != tt.skipped || p.MoreSkipped != tt.moreSkipped || !p.Handled.Equal(tt.handled) || !p.Next.Equal(tt.next) {
				t.Errorf("PlanSlots = post %v late %v skipped %d (+%d) handled %v next %v;\nwant post %v late %v skipped %d (+%d) handled %v next %v",
					p.Post, p.Late, len(p.Skipped), p.MoreSkipped, p.Handled, p.Next,
					tt.post, tt.late, tt.skipped, tt.moreSkipped, tt.handled, tt.next)
			}
			for i := 1; i < len(p.Skipped); i++ {
				if !p.Skipped[i-1].Before(p.Skipped[i]) {
					t.Errorf("skipped slots out of order: %v", p.Skipped)
				}
			}
		})
	}
}

// runUntil drives s as Run would, without goroutines or timers: Tick at
// each next slot until end, waiting for the posts started at each step.
func runUntil(s *Scheduler, from, end time.Time) time.Time {
	now := from
	for !now.After(end) {
		next := s.Tick(now)
		s.Wait()
		if next.IsZero() {
			return end
		}
		now = next
	}
	return now
}

// weekJobs is a mix of schedules in two zones.
func weekJobs(t *testing.T, after time.Time) ([]Job, map[string]Schedule) {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	scheds := map[string]Schedule{
		"d1": every(time.Hour),
		"d2": every(7 * time.Hour),
		"d3": dailyAt{9, 0, berlin},
		"d4": every(time.Minute),
		"d5": dailyAt{23, 59, time.UTC},
	}
	var jobs []Job
	for id, s := range scheds {
		jobs = append(jobs, Job{ID: id, Schedule: s, After: after})
	}
	return jobs, scheds
}

// wantSlots lists the slots of s in (after, end].
func wantSlots(s Schedule, after, end time.Time) []time.Time {
	var out []time.Time
	for t := s.Next(after); !t.After(end); t = s.Next(t) {
		out = append(out, t)
	}
	return out
}

func checkEachOnce(t *testing.T, p *posts, scheds map[string]Schedule, after, end time.Time) {
	t.Helper()
	for id, s := range scheds {
		want := wantSlots(s, after, end)
		got := p.of(id)
		if len(got) != len(want) {
			t.Errorf("%s: %d posts, want %d", id, len(got), len(want))
			continue
		}
		for i := range want {
			if !got[i].At.Equal(want[i]) {
				t.Errorf("%s: post %d at %v, want %v", id, i, got[i].At, want[i])
				break
			}
		}
	}
}

func newTestScheduler(t *testing.T, c *claims, p *posts, owner string, handled func(string, time.Time)) *Scheduler {
	t.Helper()
	s, err := NewScheduler(Options{Claims: c, Slots: c, Owner: owner, Grace: 15 * time.Minute, Run: p.run, Handled: handled})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A week of mixed schedules posts every slot exactly once.
func TestSchedulerWeek(t *testing.T) {
	jobs, scheds := weekJobs(t, t0)
	p := newPosts()
	s := newTestScheduler(t, newClaims(), p, "r1", nil)
	s.Set(jobs)
	end := t0.Add(7 * 24 * time.Hour)
	runUntil(s, t0, end)
	checkEachOnce(t, p, scheds, t0, end)
	for _, sl := range p.of("d4") {
		if sl.Late {
			t.Fatalf("a slot of a running scheduler was late: %v", sl)
		}
	}
}

// handledLog keeps each job's last handled slot, as the bot's store does.
type handledLog struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (h *handledLog) record(id string, slot time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if slot.After(h.last[id]) {
		h.last[id] = slot
	}
}

func (h *handledLog) jobs(jobs []Job) []Job {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := append([]Job(nil), jobs...)
	for i := range out {
		if last, ok := h.last[out[i].ID]; ok && last.After(out[i].After) {
			out[i].After = last
		}
	}
	return out
}

// A restart in the middle (a new scheduler, the same store) neither
// doubles nor drops a slot, whether or not the last handled slot was
// recorded before the crash.
func TestSchedulerRestart(t *testing.T) {
	for _, forget := range []bool{false, true} {
		t.Run(fmt.Sprintf("forget-handled=%v", forget), func(t *testing.T) {
			jobs, scheds := weekJobs(t, t0)
			c, p := newClaims(), newPosts()
			h := &handledLog{last: map[string]time.Time{}}
			first := newTestScheduler(t, c, p, "r1", h.record)
			first.Set(jobs)
			crash := t0.Add(3*24*time.Hour + 9*time.Hour) // Thursday 09:00 UTC
			runUntil(first, t0, crash)
			if forget {
				h.last = map[string]time.Time{} // the store lost the handled marks: the claims still hold
			}
			second := newTestScheduler(t, c, p, "r1", h.record)
			second.Set(h.jobs(jobs))
			end := t0.Add(7 * 24 * time.Hour)
			runUntil(second, crash, end)
			checkEachOnce(t, p, scheds, t0, end)
		})
	}
}

// A slot missed while down for less than the grace is posted late, once;
// one missed by more is skipped.
func TestSchedulerDowntime(t *testing.T) {
	tests := []struct {
		down     time.Duration
		wantLate bool
		wantPost bool
	}{
		{down: 10 * time.Minute, wantLate: true, wantPost: true},
		{down: 2 * time.Hour, wantPost: false},
	}
	for _, tt := range tests {
		t.Run(tt.down.String(), func(t *testing.T) {
			daily := dailyAt{9, 0, time.UTC}
			c, p := newClaims(), newPosts()
			h := &handledLog{last: map[string]time.Time{}}
			jobs := []Job{{ID: "d1", Schedule: daily, After: t0}}
			first := newTestScheduler(t, c, p, "r1", h.record)
			first.Set(jobs)
			stop := t0.Add(8*time.Hour + 59*time.Minute) // down just before 09:00
			runUntil(first, t0, stop)
			back := t0.Add(9*time.Hour - time.Minute + tt.down)
			second := newTestScheduler(t, c, p, "r1", h.record)
			second.Set(h.jobs(jobs))
			second.Tick(back)
			second.Wait()
			second.Tick(back.Add(time.Minute)) // again: nothing twice
			second.Wait()
			got := p.of("d1")
			if tt.wantPost != (len(got) == 1) || len(got) > 1 {
				t.Fatalf("posts %v, want one: %v", got, tt.wantPost)
			}
			if tt.wantPost && got[0].Late != tt.wantLate {
				t.Errorf("late = %v, want %v", got[0].Late, tt.wantLate)
			}
			if !tt.wantPost && !h.last["d1"].Equal(t0.Add(9*time.Hour)) {
				t.Errorf("the skipped slot was not handled: %v", h.last["d1"])
			}
		})
	}
}

// Two replicas with one store post each slot once between them.
func TestSchedulerReplicas(t *testing.T) {
	jobs, scheds := weekJobs(t, t0)
	c, p := newClaims(), newPosts()
	a := newTestScheduler(t, c, p, "r1", nil)
	b := newTestScheduler(t, c, p, "r2", nil)
	a.Set(jobs)
	b.Set(jobs)
	end := t0.Add(2 * 24 * time.Hour)
	for now := t0; !now.After(end); {
		na, nb := a.Tick(now), b.Tick(now)
		a.Wait()
		b.Wait()
		now = na
		if nb.Before(na) {
			now = nb
		}
	}
	checkEachOnce(t, p, scheds, t0, end)
}

// A store that cannot claim posts nothing (never twice beats always once)
// and reports a failure.
func TestSchedulerClaimError(t *testing.T) {
	c, p := newClaims(), newPosts()
	c.fail = errors.New("store down")
	var mu sync.Mutex
	var outcomes []Outcome
	s, err := NewScheduler(Options{Claims: c, Slots: c, Run: p.run, Grace: time.Minute, Observe: func(o Outcome) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.Set([]Job{{ID: "d1", Schedule: every(time.Hour), After: t0}})
	s.Tick(t0.Add(time.Hour))
	s.Wait()
	if len(p.of("d1")) != 0 {
		t.Fatal("posted without a claim")
	}
	if len(outcomes) != 1 || outcomes[0].Kind != OutcomeFailed {
		t.Fatalf("outcomes %+v, want one failure", outcomes)
	}
}
