package rules_test

// The slot protocol across replicas (SPEC §9): the store unreachable at a
// slot, a replica dying before or while posting, a lease lost under a slow
// post. Every test runs on a fake clock; the store is an in-memory one with
// leases that expire on that clock.

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/rules/clocktest"
)

type heldLease struct {
	owner string
	until time.Time
}

// leaseStore keeps leases (expiring on now) and slot records, like the
// bot's store; fail makes every call fail, as a Redis that went away.
type leaseStore struct {
	mu      sync.Mutex
	now     func() time.Time
	leases  map[string]heldLease
	records map[string]rules.SlotRecord
	fail    error
	// lostIntents makes that many writes of an intent succeed with an
	// error, as a reply lost on its way back from Redis.
	lostIntents int
	// outageAfterIntent makes that many calls fail right after an
	// intent is written, as a Redis restarting while the post is made.
	outageAfterIntent int
	failNext          int
}

// failing is every call's first check, under l.mu.
func (l *leaseStore) failing() error {
	if l.fail != nil {
		return l.fail
	}
	if l.failNext > 0 {
		l.failNext--
		return errors.New("redis: connection refused")
	}
	return nil
}

func newLeaseStore(now func() time.Time) *leaseStore {
	return &leaseStore{now: now, leases: map[string]heldLease{}, records: map[string]rules.SlotRecord{}}
}

func (l *leaseStore) setFail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

func (l *leaseStore) holder(key string) (string, bool) {
	le, ok := l.leases[key]
	if !ok || !l.now().Before(le.until) {
		return "", false
	}
	return le.owner, true
}

func (l *leaseStore) Claim(_ context.Context, key, owner string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.failing(); err != nil {
		return false, err
	}
	if _, live := l.holder(key); live {
		return false, nil
	}
	l.leases[key] = heldLease{owner, l.now().Add(ttl)}
	return true, nil
}

func (l *leaseStore) Renew(_ context.Context, key, owner string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.failing(); err != nil {
		return false, err
	}
	if h, live := l.holder(key); !live || h != owner {
		return false, nil
	}
	l.leases[key] = heldLease{owner, l.now().Add(ttl)}
	return true, nil
}

func (l *leaseStore) Release(_ context.Context, key, owner string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.failing(); err != nil {
		return false, err
	}
	if h, live := l.holder(key); !live || h != owner {
		return false, nil
	}
	delete(l.leases, key)
	return true, nil
}

// drop ends every lease, as a lease expiring under a stalled replica.
func (l *leaseStore) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.leases)
}

func (l *leaseStore) Get(_ context.Context, key string) (rules.SlotRecord, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.failing(); err != nil {
		return rules.SlotRecord{}, false, err
	}
	r, ok := l.records[key]
	return r, ok, nil
}

func (l *leaseStore) Update(_ context.Context, key string, fn func(rules.SlotRecord, bool) (rules.SlotRecord, bool)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.failing(); err != nil {
		return err
	}
	cur, found := l.records[key]
	if next, write := fn(cur, found); write {
		l.records[key] = next
		if next.State == rules.SlotPosting && l.outageAfterIntent > 0 {
			l.failNext, l.outageAfterIntent = l.outageAfterIntent, 0
		}
		if next.State == rules.SlotPosting && l.lostIntents > 0 {
			l.lostIntents--
			return errors.New("redis: i/o timeout")
		}
	}
	return nil
}

func (l *leaseStore) record(key string) (rules.SlotRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.records[key]
	return r, ok
}

// replica is one scheduler on the shared store, with what it posted and
// the outcomes it reported.
type replica struct {
	s        *rules.Scheduler
	mu       sync.Mutex
	posted   []rules.Slot
	outcomes []rules.Outcome
}

func (r *replica) posts() []rules.Slot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]rules.Slot(nil), r.posted...)
}

func (r *replica) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, o := range r.outcomes {
		out = append(out, o.Kind)
	}
	return out
}

// newReplica starts a scheduler named owner; run, when not nil, runs
// before Begin (tests block there).
func newReplica(t *testing.T, clock rules.Clock, st *leaseStore, owner string, run func(rules.Slot)) *replica {
	t.Helper()
	r := &replica{}
	var err error
	r.s, err = rules.NewScheduler(rules.Options{
		Clock: clock, Claims: st, Slots: st, Owner: owner, Grace: 15 * time.Minute,
		Run: func(ctx context.Context, sl rules.Slot) error {
			if run != nil {
				run(sl)
			}
			ok, err := sl.Begin(ctx)
			if err != nil || !ok {
				return err
			}
			r.mu.Lock()
			r.posted = append(r.posted, sl)
			r.mu.Unlock()
			return nil
		},
		Observe: func(o rules.Outcome) {
			r.mu.Lock()
			r.outcomes = append(r.outcomes, o)
			r.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// settle runs the clock timer by timer until every post started by the
// replicas has finished, failing after a few seconds of real time.
func settle(t *testing.T, clock *clocktest.Clock, rs ...*replica) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		for _, r := range rs {
			r.s.Wait()
		}
		close(done)
	}()
	deadline := time.After(10 * time.Second)
	for {
		changed := clock.Changed()
		if next, ok := clock.NextTimer(); ok {
			clock.Set(next)
		}
		select {
		case <-done:
			return
		case <-deadline:
			t.Fatal("the replicas did not settle the slot")
		case <-changed:
		case <-time.After(5 * time.Millisecond): // a goroutine between timers
		}
	}
}

var (
	leaseT0   = time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	leaseSlot = leaseT0.Add(time.Hour)
	leaseKey  = "slot:d1:" + leaseSlot.Format(time.RFC3339)
	leaseJobs = []rules.Job{{ID: "d1", Schedule: hourly{}, After: leaseT0}}
)

// A store unreachable at the slot time posts nothing meanwhile; once it is
// back within the grace the slot is posted, once.
func TestSlotWaitsForTheStore(t *testing.T) {
	clock := clocktest.New(leaseSlot)
	st := newLeaseStore(clock.Now)
	st.setFail(errors.New("redis down"))
	r := newReplica(t, clock, st, "r1", nil)
	r.s.Set(leaseJobs)
	r.s.Tick(leaseSlot)
	for range 5 { // five polls against a dead store
		waitTimer(t, clock)
		clock.Advance(time.Second)
	}
	if len(r.posts()) != 0 {
		t.Fatal("posted while the store was unreachable")
	}
	st.setFail(nil)
	settle(t, clock, r)
	if got := r.posts(); len(got) != 1 || !got[0].At.Equal(leaseSlot) {
		t.Fatalf("posts %v, want the slot once", got)
	}
	if rec, _ := st.record(leaseKey); rec.State != rules.SlotPosted {
		t.Errorf("slot record %+v, want posted", rec)
	}
}

// A store unreachable through the whole grace loses the slot (reported
// as a failure) rather than posting it without a claim.
func TestSlotStoreDownThroughTheGrace(t *testing.T) {
	clock := clocktest.New(leaseSlot)
	st := newLeaseStore(clock.Now)
	st.setFail(errors.New("redis down"))
	r := newReplica(t, clock, st, "r1", nil)
	r.s.Set(leaseJobs)
	r.s.Tick(leaseSlot)
	settle(t, clock, r)
	if len(r.posts()) != 0 {
		t.Fatal("posted without the store")
	}
	if k := r.kinds(); len(k) != 1 || k[0] != rules.OutcomeFailed {
		t.Fatalf("outcomes %v, want one failure", k)
	}
	if now := clock.Now(); now.Before(leaseSlot.Add(15 * time.Minute)) {
		t.Errorf("gave up at %v, before the grace ended", now)
	}
}

// A replica that took the slot's lease and died before posting does not
// lose the slot: once its lease expires another replica posts it, once.
func TestSlotTakenOverWhenItsReplicaDies(t *testing.T) {
	clock := clocktest.New(leaseSlot)
	st := newLeaseStore(clock.Now)
	if ok, _ := st.Claim(context.Background(), leaseKey, "dead", time.Minute); !ok {
		t.Fatal("setup claim failed")
	}
	r := newReplica(t, clock, st, "r2", nil)
	r.s.Set(leaseJobs)
	r.s.Tick(leaseSlot)
	settle(t, clock, r)
	if got := r.posts(); len(got) != 1 {
		t.Fatalf("posts %v, want the slot once", got)
	}
	if clock.Now().Before(leaseSlot.Add(time.Minute)) {
		t.Errorf("posted at %v, while the dead replica's lease was live", clock.Now())
	}
}

// A replica that died after beginning the post (the intent is recorded,
// the outcome is not) may have posted: the next replica does not post
// again, and says so.
func TestSlotIntentWithoutOutcomeIsNotPostedAgain(t *testing.T) {
	clock := clocktest.New(leaseSlot)
	st := newLeaseStore(clock.Now)
	ctx := context.Background()
	st.Claim(ctx, leaseKey, "dead", time.Minute)
	st.Update(ctx, leaseKey, func(rules.SlotRecord, bool) (rules.SlotRecord, bool) {
		return rules.SlotRecord{State: rules.SlotPosting, Owner: "dead", At: leaseSlot}, true
	})
	r := newReplica(t, clock, st, "r2", nil)
	r.s.Set(leaseJobs)
	r.s.Tick(leaseSlot)
	settle(t, clock, r)
	if got := r.posts(); len(got) != 0 {
		t.Fatalf("posted %v again", got)
	}
	if k := r.kinds(); len(k) != 1 || k[0] != rules.OutcomeUncertain {
		t.Fatalf("outcomes %v, want uncertain", k)
	}
	if rec, _ := st.record(leaseKey); rec.State != rules.SlotUnsure {
		t.Errorf("slot record %+v, want uncertain", rec)
	}
}

// A replica whose lease expired under a slow run (gathering the digest)
// while another took the slot: both run, one posts, and the slow one's
// outcome does not overwrite the other's.
func TestSlotBeginLetsOneThrough(t *testing.T) {
	clock := clocktest.New(leaseSlot)
	st := newLeaseStore(clock.Now)
	entered, proceed := make(chan struct{}), make(chan struct{})
	slow := newReplica(t, clock, st, "slow", func(rules.Slot) {
		close(entered)
		<-proceed
	})
	fast := newReplica(t, clock, st, "fast", nil)
	slow.s.Set(leaseJobs)
	fast.s.Set(leaseJobs)
	slow.s.Tick(leaseSlot)
	<-entered
	st.drop() // slow's lease is gone, as if it stalled past its ttl
	fast.s.Tick(leaseSlot)
	settle(t, clock, fast)
	close(proceed)
	settle(t, clock, slow)
	if n := len(slow.posts()) + len(fast.posts()); n != 1 || len(fast.posts()) != 1 {
		t.Fatalf("slow posted %v, fast %v: want fast once", slow.posts(), fast.posts())
	}
	if rec, _ := st.record(leaseKey); rec.State != rules.SlotPosted || rec.Owner != "fast" {
		t.Errorf("slot record %+v, want posted by fast", rec)
	}
}

// Three replicas at one slot, with the store answering: one posts, the
// others see it settled.
func TestSlotThreeReplicasOnePost(t *testing.T) {
	clock := clocktest.New(leaseSlot)
	st := newLeaseStore(clock.Now)
	var rs []*replica
	for _, name := range []string{"r1", "r2", "r3"} {
		r := newReplica(t, clock, st, name, nil)
		r.s.Set(leaseJobs)
		rs = append(rs, r)
	}
	for _, r := range rs {
		r.s.Tick(leaseSlot)
	}
	settle(t, clock, rs...)
	total := 0
	for _, r := range rs {
		total += len(r.posts())
	}
	if total != 1 {
		t.Fatalf("%d posts of one slot by three replicas", total)
	}
}

// The store failing at the intent (the write done, its reply lost) is not
// a post: the replica knows it did not post, tries again, and posts once.
func TestSlotIntentReplyLost(t *testing.T) {
	clock := clocktest.New(leaseSlot)
	st := newLeaseStore(clock.Now)
	st.lostIntents = 2
	r := newReplica(t, clock, st, "r1", nil)
	other := newReplica(t, clock, st, "r2", nil)
	r.s.Set(leaseJobs)
	other.s.Set(leaseJobs)
	r.s.Tick(leaseSlot)
	settle(t, clock, r)
	other.s.Tick(leaseSlot) // a replica coming late finds the slot settled
	settle(t, clock, other)
	if got := r.posts(); len(got) != 1 || len(other.posts()) != 0 {
		t.Fatalf("r1 posted %v, r2 %v: want r1 once", got, other.posts())
	}
	if rec, _ := st.record(leaseKey); rec.State != rules.SlotPosted {
		t.Errorf("slot record %+v, want posted", rec)
	}
	if k := r.kinds(); len(k) != 1 || k[0] != rules.OutcomePosted {
		t.Errorf("outcomes %v, want one post", k)
	}
}

// Redis restarting while the post is made: the outcome is written once it
// is back, so the slot reads posted, not "maybe posted", to the others.
func TestSlotOutcomeWaitsForTheStore(t *testing.T) {
	clock := clocktest.New(leaseSlot)
	st := newLeaseStore(clock.Now)
	st.outageAfterIntent = 5
	r := newReplica(t, clock, st, "r1", nil)
	r.s.Set(leaseJobs)
	r.s.Tick(leaseSlot)
	settle(t, clock, r)
	if rec, _ := st.record(leaseKey); rec.State != rules.SlotPosted {
		t.Fatalf("slot record %+v, want posted", rec)
	}
	other := newReplica(t, clock, st, "r2", nil)
	other.s.Set(leaseJobs)
	other.s.Tick(leaseSlot)
	settle(t, clock, other)
	if len(r.posts()) != 1 || len(other.posts()) != 0 {
		t.Fatalf("r1 posted %v, r2 %v", r.posts(), other.posts())
	}
	if k := other.kinds(); len(k) != 1 || k[0] != rules.OutcomeConflict {
		t.Errorf("r2's outcomes %v, want the slot settled elsewhere", k)
	}
}

// waitTimer waits until the scheduler has a timer pending (its next poll).
func waitTimer(t *testing.T, clock *clocktest.Clock) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for clock.Timers() == 0 {
		select {
		case <-clock.Changed():
		case <-deadline:
			t.Fatal("no timer pending")
		}
	}
}
