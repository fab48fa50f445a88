package rules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Claimer takes a lease on a key for one owner: true when this call took
// it, false when a live lease is held (bot/store's Store is one).
type Claimer interface {
	Claim(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
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
}

// Outcome kinds, the label of the scheduler's metrics.
const (
	OutcomePosted   = "posted"
	OutcomeLate     = "late"
	OutcomeSkipped  = "skipped"
	OutcomeFailed   = "failed"
	OutcomeConflict = "conflict" // another replica claimed the slot
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
	// Owner names this replica in its claims.
	Owner string
	// Grace is DIGEST_GRACE: a missed slot younger than this is posted late.
	Grace time.Duration
	// Run posts one slot; required. Its error is logged as a failure; the
	// slot is not retried (it stays claimed: never twice beats always once).
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

	mu   sync.Mutex
	jobs map[string]*jobState

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
	if opt.Claims == nil || opt.Run == nil {
		return nil, errors.New("rules: a scheduler needs Claims and Run")
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
		opt:  opt,
		wake: make(chan struct{}, 1),
		sem:  make(chan struct{}, opt.Concurrency),
		jobs: map[string]*jobState{},
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

// fire claims one slot and posts it, bounded by the scheduler's concurrency.
func (s *Scheduler) fire(slot Slot) {
	defer s.inflight.Done()
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-s.work.Done():
		return
	}
	defer s.handled(slot.JobID, slot.At)
	key := s.opt.KeyPrefix + ":" + slot.JobID + ":" + slot.At.UTC().Format(time.RFC3339)
	// The claim outlives the grace by far, so no replica, restarted or
	// late, can take the slot again.
	ttl := slot.At.Add(s.opt.Grace + 48*time.Hour).Sub(s.opt.Clock.Now())
	won, err := s.opt.Claims.Claim(s.work, key, s.opt.Owner, max(ttl, time.Hour))
	if err != nil {
		s.opt.Log.Warn("digest slot not posted: the store could not claim it", "id", slot.JobID, "slot", slot.At, "err", err)
		s.observe(Outcome{JobID: slot.JobID, Slot: slot.At, Kind: OutcomeFailed, Err: err})
		return
	}
	if !won {
		s.observe(Outcome{JobID: slot.JobID, Slot: slot.At, Kind: OutcomeConflict})
		return
	}
	err = s.runSafely(slot)
	out := Outcome{JobID: slot.JobID, Slot: slot.At, Kind: OutcomePosted, Lag: s.opt.Clock.Now().Sub(slot.At)}
	switch {
	case err != nil:
		out.Kind, out.Err = OutcomeFailed, err
	case slot.Late:
		out.Kind = OutcomeLate
	}
	s.observe(out)
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
