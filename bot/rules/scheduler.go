package rules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Claimer is the store's leases (bot/store's Store is one): the replica
// holding a slot's lease is the one working on it. Claim takes a free or
// expired lease, Renew extends a live one of the owner, Release gives it up.
type Claimer interface {
	Claim(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	Renew(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, key, owner string) (bool, error)
}

// States of a slot in the SlotLog.
const (
	// SlotPosting is the intent, written just before the post: a slot
	// left in it by an owner whose lease expired may have been posted.
	SlotPosting = "posting"
	SlotPosted  = "posted"    // the post was accepted
	SlotFailed  = "failed"    // the run failed; never retried
	SlotNothing = "nothing"   // nothing to post (quiet, paused, removed)
	SlotUnsure  = "uncertain" // an intent found without its outcome: not posted again
)

// SlotRecord is what the SlotLog keeps of one slot.
type SlotRecord struct {
	State string    `json:"state"`
	Owner string    `json:"owner"`
	At    time.Time `json:"at"` // when the state was written
}

// SlotLog keeps what became of each slot, shared by the replicas (the bot
// keeps it in the store). Unlike a lease it never expires while the slot
// may still be planned, so a replica that takes a slot's lease after
// another one's expired sees what the other did.
type SlotLog interface {
	// Get returns the record of slot key, found false when there is none.
	Get(ctx context.Context, key string) (rec SlotRecord, found bool, err error)
	// Update atomically replaces the record of key with fn's result when
	// fn says write; fn may run more than once and must have no effects.
	Update(ctx context.Context, key string, fn func(cur SlotRecord, found bool) (next SlotRecord, write bool)) error
}

// Job is one schedule the scheduler keeps: a digest.
type Job struct {
	ID       string
	Schedule Schedule
	// After is when the job's slots start counting: its creation, or the
	// last slot handled (posted or skipped) before a restart.
	After time.Time
}

// Slot is one scheduled run of a job.
type Slot struct {
	JobID string
	At    time.Time // the scheduled time
	Late  bool      // posted more than LateAfter after At

	begin func(ctx context.Context) (bool, error)
}

// Begin records, just before the post and nothing else, that this replica
// is posting the slot: true means post now; false means another replica
// got there first, and an error that the store could not record it: in
// both cases Run must not post. A slot Run did not get from the scheduler
// (a manual run) always begins.
func (s Slot) Begin(ctx context.Context) (bool, error) {
	if s.begin == nil {
		return true, nil
	}
	return s.begin(ctx)
}

// Outcome kinds, the label of the scheduler's metrics.
const (
	OutcomePosted   = "posted"
	OutcomeLate     = "late"
	OutcomeSkipped  = "skipped"
	OutcomeFailed   = "failed"
	OutcomeConflict = "conflict" // another replica claimed the slot
	// OutcomeUncertain is a slot whose intent was found without an
	// outcome: the replica posting it died, maybe after Slack accepted
	// the post. It is not posted again.
	OutcomeUncertain = "uncertain"
)

// Outcome is what became of one slot.
type Outcome struct {
	JobID string
	Slot  time.Time
	Kind  string
	Lag   time.Duration // from the slot's time to the end of the post
	Err   error         // the failure, for OutcomeFailed
}

// Options configures a Scheduler.
type Options struct {
	Clock  Clock   // SystemClock when nil
	Claims Claimer // required
	// Slots keeps each slot's intent and outcome; required.
	Slots SlotLog
	// LeaseTTL is how long a slot's lease lives unless renewed (default
	// 1m); the post renews it every third of that. It is how soon another
	// replica takes over a slot whose replica died before posting.
	LeaseTTL time.Duration
	// Poll is how often a replica waiting on a slot (held by another one,
	// or the store unreachable) looks again (default 1s).
	Poll time.Duration
	// Owner names this replica in its claims.
	Owner string
	// Grace is DIGEST_GRACE: a missed slot younger than this is posted late.
	Grace time.Duration
	// Run posts one slot; required. It calls slot.Begin right before the
	// post and posts only if that says so. Its error is logged as a
	// failure; the slot is not retried (never twice beats always once).
	Run func(ctx context.Context, slot Slot) error
	// Handled is told each slot that is settled (posted, failed, claimed
	// elsewhere or skipped), to keep it as the job's After over restarts.
	Handled func(jobID string, slot time.Time)
	// Observe is told every outcome (metrics); may be nil.
	Observe func(Outcome)
	// Concurrency bounds the slots posted at once (default 4).
	Concurrency int
	// Drain bounds how long in-flight posts may finish on shutdown
	// (default 20s).
	Drain time.Duration
	// KeyPrefix starts every claim key (default "slot").
	KeyPrefix string
	Log       *slog.Logger
}

// Scheduler posts each slot of each job once: it sleeps until the next
// slot of any job, claims the slot in the store, and runs it. Every replica
// runs one; the claim decides which posts.
type Scheduler struct {
	opt  Options
	wake chan struct{}
	sem  chan struct{}

	mu       sync.Mutex
	jobs     map[string]*jobState
	unposted map[string]bool // see isUnposted

	stopping chan struct{} // closed when Run ends: waiting slots give up
	stopOnce sync.Once

	work       context.Context // in-flight posts; outlives Run's ctx by Drain
	cancelWork context.CancelFunc
	inflight   sync.WaitGroup
}

type jobState struct {
	job  Job
	next time.Time // first slot after the last plan; zero: plan at once
}

// maxSleep bounds one sleep: timers run on the monotonic clock, so a wall
// clock stepped by NTP would otherwise delay a slot until the timer fired.
const maxSleep = 10 * time.Minute

// NewScheduler checks opt and returns a scheduler with no jobs.
func NewScheduler(opt Options) (*Scheduler, error) {
	if opt.Claims == nil || opt.Slots == nil || opt.Run == nil {
		return nil, errors.New("rules: a scheduler needs Claims, Slots and Run")
	}
	if opt.LeaseTTL <= 0 {
		opt.LeaseTTL = time.Minute
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.Grace < 0 {
		return nil, fmt.Errorf("rules: negative grace %s", opt.Grace)
	}
	if opt.Clock == nil {
		opt.Clock = SystemClock{}
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.Drain <= 0 {
		opt.Drain = 20 * time.Second
	}
	if opt.KeyPrefix == "" {
		opt.KeyPrefix = "slot"
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{
		opt:      opt,
		wake:     make(chan struct{}, 1),
		sem:      make(chan struct{}, opt.Concurrency),
		jobs:     map[string]*jobState{},
		unposted: map[string]bool{},
		stopping: make(chan struct{}),
	}
	s.work, s.cancelWork = context.WithCancel(context.Background())
	return s, nil
}

// Set replaces the scheduler's jobs (at start, after add/remove/pause, and
// on a reload). A job already known keeps the later of the two Afters, so
// a reload never replays a slot it has handled.
func (s *Scheduler) Set(jobs []Job) {
	s.mu.Lock()
	next := make(map[string]*jobState, len(jobs))
	for _, j := range jobs {
		st := &jobState{job: j}
		if old, ok := s.jobs[j.ID]; ok && old.job.After.After(j.After) {
			st.job.After = old.job.After
		}
		next[j.ID] = st
	}
	s.jobs = next
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// NextRun returns the next slot of job id after now, or false when the
// scheduler does not have it.
func (s *Scheduler) NextRun(id string, now time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.jobs[id]
	if !ok {
		return time.Time{}, false
	}
	return st.job.Schedule.Next(now), true
}

// Tick plans every job that is due at now: it skips (and reports) missed
// slots and starts the post of a due one in the background. It returns
// when the next slot of any job falls (zero when there are no jobs).
func (s *Scheduler) Tick(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var earliest time.Time
	for _, st := range s.jobs {
		if st.next.IsZero() || !now.Before(st.next) {
			s.planLocked(st, now)
		}
		if !st.next.IsZero() && (earliest.IsZero() || st.next.Before(earliest)) {
			earliest = st.next
		}
	}
	return earliest
}

func (s *Scheduler) planLocked(st *jobState, now time.Time) {
	plan := PlanSlots(st.job.Schedule, st.job.After, now, s.opt.Grace)
	st.next = plan.Next
	if plan.Handled.IsZero() {
		return
	}
	st.job.After = plan.Handled
	for _, slot := range plan.Skipped {
		s.opt.Log.Info("digest slot skipped: missed by more than the grace, or superseded by a newer one",
			"id", st.job.ID, "slot", slot, "grace", s.opt.Grace)
		s.observe(Outcome{JobID: st.job.ID, Slot: slot, Kind: OutcomeSkipped})
	}
	if plan.MoreSkipped > 0 {
		s.opt.Log.Info("digest slots skipped", "id", st.job.ID, "count", plan.MoreSkipped)
	}
	if plan.Post.IsZero() {
		s.handled(st.job.ID, plan.Handled)
		return
	}
	slot := Slot{JobID: st.job.ID, At: plan.Post, Late: plan.Late}
	s.inflight.Add(1)
	go s.fire(slot)
}

// fire settles one slot: it waits (polling) while another replica holds
// the slot's lease or the store is unreachable, until the slot's grace has
// passed, and posts it when it takes the lease and the slot log has no
// state for it. See attempt for the protocol.
func (s *Scheduler) fire(slot Slot) {
	defer s.inflight.Done()
	deadline := slot.At.Add(s.opt.Grace)
	var storeErr error
	for {
		settled, err := s.attempt(slot)
		if settled {
			if storeErr != nil {
				s.opt.Log.Info("digest slot settled: the store is back", "id", slot.JobID, "slot", slot.At)
			}
			return
		}
		if err != nil && storeErr == nil {
			s.opt.Log.Warn("digest slot waits: the store is unreachable", "id", slot.JobID, "slot", slot.At, "until", deadline, "err", err)
		}
		if err != nil {
			storeErr = err
		}
		if !s.opt.Clock.Now().Before(deadline) {
			if storeErr != nil {
				s.opt.Log.Warn("digest slot not posted: the store was unreachable through the grace", "id", slot.JobID, "slot", slot.At, "grace", s.opt.Grace, "err", storeErr)
				s.observe(Outcome{JobID: slot.JobID, Slot: slot.At, Kind: OutcomeFailed, Err: storeErr})
			} else {
				// Another replica held the lease all along: it settles the slot.
				s.observe(Outcome{JobID: slot.JobID, Slot: slot.At, Kind: OutcomeConflict})
			}
			s.handled(slot.JobID, slot.At)
			return
		}
		t := s.opt.Clock.NewTimer(s.opt.Poll)
		select {
		case <-s.stopping:
			// Shut down before the slot was settled: not handled, so a
			// restart within the grace looks at it again.
			t.Stop()
			return
		case <-s.work.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// slotKey names a slot in the leases and the slot log.
func (s *Scheduler) slotKey(slot Slot) string {
	return s.opt.KeyPrefix + ":" + slot.JobID + ":" + slot.At.UTC().Format(time.RFC3339)
}

// attempt is one try at a slot, true once it is settled (by this replica
// or another). The protocol, the same on every replica:
//
//  1. a slot with an outcome in the slot log is settled (elsewhere);
//  2. otherwise take the slot's lease (short, renewed while running): a
//     lease held by another replica means wait and look again;
//  3. with the lease, read the log again: an outcome settles; an intent
//     (posting) means its replica died after beginning the post, before
//     recording the outcome: maybe posted, so not posted again (at most
//     once), logged at warn with the message metadata to look for;
//  4. run: Run calls slot.Begin, which writes the intent only if the slot
//     still has no record (atomic), right before the post; then the
//     outcome is written, and only then is the lease released.
//
// A replica that dies before Begin loses nothing: its lease expires and
// another takes the slot. Two replicas can only both run (the first one's
// lease expired under it), never both post: Begin lets one through.
func (s *Scheduler) attempt(slot Slot) (bool, error) {
	ctx := s.work
	key := s.slotKey(slot)
	if rec, found, err := s.opt.Slots.Get(ctx, key); err != nil {
		return false, err
	} else if found && rec.State != SlotPosting {
		s.settledElsewhere(slot)
		return true, nil
	}
	held, err := s.hold(ctx, key)
	if err != nil || !held {
		return false, err
	}
	settled := false
	defer func() {
		if !settled {
			return // keep the lease: the next try, ours, renews it
		}
		s.setUnposted(key, false)
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = s.opt.Claims.Release(rctx, key, s.opt.Owner) // it expires anyway
	}()
	rec, found, err := s.opt.Slots.Get(ctx, key)
	switch {
	case err != nil:
		return false, err
	case found && rec.State == SlotPosting && rec.Owner == s.opt.Owner && s.isUnposted(key):
		// Our own intent, from a Begin the store failed to confirm: we
		// know we did not post, so the slot is still ours to post.
	case found && rec.State == SlotPosting:
		s.uncertain(slot, key, rec)
		settled = true
		return true, nil
	case found:
		s.settledElsewhere(slot)
		settled = true
		return true, nil
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return false, ctx.Err()
	}
	settled, err = s.run(slot, key)
	return settled, err
}

// hold takes the slot's lease, or finds it still ours: a claim whose reply
// was lost, or a try the store interrupted, leaves the lease to this
// replica, and Claim refuses its own owner too, so Renew tells.
func (s *Scheduler) hold(ctx context.Context, key string) (bool, error) {
	won, err := s.opt.Claims.Claim(ctx, key, s.opt.Owner, s.opt.LeaseTTL)
	if err != nil || won {
		return won, err
	}
	return s.opt.Claims.Renew(ctx, key, s.opt.Owner, s.opt.LeaseTTL)
}

// isUnposted and setUnposted keep the slots whose intent this replica may
// have written without posting (the store failed during Begin).
func (s *Scheduler) isUnposted(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unposted[key]
}

func (s *Scheduler) setUnposted(key string, v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v {
		s.unposted[key] = true
	} else {
		delete(s.unposted, key)
	}
}

// run posts a slot this replica holds the lease of, renewing the lease
// meanwhile, and records the outcome. It reports false, with the store's
// error, when the store failed at Begin: nothing was posted, and the slot
// is tried again while the grace lasts.
func (s *Scheduler) run(slot Slot, key string) (bool, error) {
	stopRenew := s.renew(key)
	var began bool
	var beginErr error
	slot.begin = func(ctx context.Context) (bool, error) {
		ok := false
		err := s.opt.Slots.Update(ctx, key, func(cur SlotRecord, found bool) (SlotRecord, bool) {
			ok = !found || cur.State == SlotPosting && cur.Owner == s.opt.Owner && s.isUnposted(key)
			return SlotRecord{State: SlotPosting, Owner: s.opt.Owner, At: s.opt.Clock.Now()}, ok
		})
		if err != nil {
			beginErr = err
			s.setUnposted(key, true)
			return false, err
		}
		began = ok
		return ok, nil
	}
	err := s.runSafely(slot)
	stopRenew()
	if beginErr != nil {
		return false, beginErr
	}
	state := SlotPosted
	out := Outcome{JobID: slot.JobID, Slot: slot.At, Kind: OutcomePosted, Lag: s.opt.Clock.Now().Sub(slot.At)}
	switch {
	case err != nil:
		out.Kind, out.Err, state = OutcomeFailed, err, SlotFailed
	case !began:
		state = SlotNothing // quiet, paused or removed, or Begin said no
	case slot.Late:
		out.Kind = OutcomeLate
	}
	s.finish(slot, key, state, began)
	s.observe(out)
	s.handled(slot.JobID, slot.At)
	return true, nil
}

// finish writes a slot's outcome over this replica's own intent (or where
// there is no record), retrying while the store is unreachable until the
// grace has passed: a Redis that restarts within seconds must not leave
// the intent alone, which would read as "maybe posted".
func (s *Scheduler) finish(slot Slot, key, state string, began bool) {
	deadline := slot.At.Add(s.opt.Grace)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.opt.Slots.Update(ctx, key, func(cur SlotRecord, found bool) (SlotRecord, bool) {
			mine := !found || cur.Owner == s.opt.Owner && cur.State == SlotPosting && began
			return SlotRecord{State: state, Owner: s.opt.Owner, At: s.opt.Clock.Now()}, mine
		})
		cancel()
		if err == nil {
			return
		}
		if !s.opt.Clock.Now().Before(deadline) || s.work.Err() != nil {
			s.opt.Log.Warn("digest slot outcome not recorded: the store failed; other replicas will take the slot as maybe posted",
				"id", slot.JobID, "slot", slot.At, "outcome", state, "err", err)
			return
		}
		t := s.opt.Clock.NewTimer(s.opt.Poll)
		select {
		case <-s.work.Done():
			t.Stop()
		case <-t.C():
		}
	}
}

// renew keeps this replica's lease on key alive until the returned stop
// is called. A renewal that fails is not fatal: Begin still guards the post.
func (s *Scheduler) renew(key string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			t := s.opt.Clock.NewTimer(s.opt.LeaseTTL / 3)
			select {
			case <-done:
				t.Stop()
				return
			case <-s.work.Done():
				t.Stop()
				return
			case <-t.C():
			}
			ctx, cancel := context.WithTimeout(s.work, 5*time.Second)
			ok, err := s.opt.Claims.Renew(ctx, key, s.opt.Owner, s.opt.LeaseTTL)
			cancel()
			if err != nil || !ok {
				s.opt.Log.Warn("digest slot lease not renewed", "key", key, "held", ok, "err", err)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// settledElsewhere reports a slot another replica (or an earlier run of
// this one) settled.
func (s *Scheduler) settledElsewhere(slot Slot) {
	s.observe(Outcome{JobID: slot.JobID, Slot: slot.At, Kind: OutcomeConflict})
	s.handled(slot.JobID, slot.At)
}

// uncertain settles a slot whose intent has no outcome and whose lease
// expired: its replica died while posting. It may be in the channel, so it
// is not posted again; the warning names the metadata to look for.
func (s *Scheduler) uncertain(slot Slot, key string, rec SlotRecord) {
	s.opt.Log.Warn("digest slot maybe posted: the replica posting it stopped before recording the outcome; not posted again",
		"id", slot.JobID, "slot", slot.At, "owner", rec.Owner, "began", rec.At,
		"look_for", fmt.Sprintf("message metadata digest=%s slot=%s", slot.JobID, slot.At.UTC().Format(time.RFC3339)))
	ctx, cancel := context.WithTimeout(s.work, 5*time.Second)
	defer cancel()
	err := s.opt.Slots.Update(ctx, key, func(cur SlotRecord, found bool) (SlotRecord, bool) {
		return SlotRecord{State: SlotUnsure, Owner: s.opt.Owner, At: s.opt.Clock.Now()}, found && cur.State == SlotPosting
	})
	if err != nil {
		s.opt.Log.Warn("digest slot outcome not recorded", "id", slot.JobID, "slot", slot.At, "err", err)
	}
	s.observe(Outcome{JobID: slot.JobID, Slot: slot.At, Kind: OutcomeUncertain})
	s.handled(slot.JobID, slot.At)
}

// runSafely runs one slot; a panic in it is a failure, not a crash.
func (s *Scheduler) runSafely(slot Slot) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rules: digest %s panicked: %v", slot.JobID, r)
		}
	}()
	return s.opt.Run(s.work, slot)
}

func (s *Scheduler) observe(o Outcome) {
	if s.opt.Observe != nil {
		s.opt.Observe(o)
	}
}

func (s *Scheduler) handled(id string, slot time.Time) {
	if s.opt.Handled != nil {
		s.opt.Handled(id, slot)
	}
}

// Wait blocks until the posts started so far have finished.
func (s *Scheduler) Wait() { s.inflight.Wait() }

// Run sleeps until the next slot, plans, and repeats until ctx ends; then
// it lets in-flight posts finish for up to Drain, cancels the rest, and
// returns once they have stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	defer s.drain()
	for {
		now := s.opt.Clock.Now()
		next := s.Tick(now)
		sleep := maxSleep
		if !next.IsZero() {
			sleep = min(max(next.Sub(now), 0), maxSleep)
		}
		timer := s.opt.Clock.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-s.wake:
			timer.Stop()
		case <-timer.C():
		}
	}
}

func (s *Scheduler) drain() {
	s.stopOnce.Do(func() { close(s.stopping) })
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(s.opt.Drain):
		s.opt.Log.Warn("digests still posting at shutdown were cancelled", "drain", s.opt.Drain)
	}
	s.cancelWork()
	<-done
}
