package rules_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/rules/clocktest"
	"github.com/convertalk/inboxbot/commands/schedule"
)

// thousandJobs is 1,000 digests of mixed schedules, none due in the next
// hours after t0 (a Monday 00:00 UTC) but the 09:00 ones.
func thousandJobs(t testing.TB) []rules.Job {
	t.Helper()
	forms := []string{"weekdays 09:00", "daily 09:00", "mon,wed,fri 09:00", "0 9 * * 1-5", "@weekly"}
	jobs := make([]rules.Job, 1000)
	for i := range jobs {
		s, err := schedule.Parse(forms[i%len(forms)], time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		jobs[i] = rules.Job{ID: fmt.Sprintf("d%d", i+1), Schedule: s, After: t0}
	}
	return jobs
}

// While nothing is due, a scheduler of 1,000 digests sleeps: it sets one
// timer per wake-up and wakes only at the next slot (or the maxSleep
// bound), never polling.
func TestSchedulerSleepsWhileIdle(t *testing.T) {
	clock := clocktest.New(t0)
	claims := &onceClaims{owners: map[string]string{}}
	s, err := rules.NewScheduler(rules.Options{Clock: clock, Claims: claims, Slots: claims, Grace: time.Minute,
		Run: func(context.Context, rules.Slot) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	s.Set(thousandJobs(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	wakeups := 0
	for {
		next := waitForTimer(t, clock)
		if !next.Before(t0.Add(9 * time.Hour)) {
			break
		}
		wakeups++
		clock.Set(next)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// 9 idle hours at one wake-up per 10 minutes at most: 54.
	if wakeups > 54 {
		t.Errorf("%d wake-ups in 9 idle hours: the scheduler polls", wakeups)
	}
}

// waitForTimer waits until the scheduler sleeps and returns its deadline.
func waitForTimer(t *testing.T, clock *clocktest.Clock) time.Time {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		changed := clock.Changed()
		if next, ok := clock.NextTimer(); ok {
			return next
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatal("the scheduler never slept")
		}
	}
}

// BenchmarkTickThousandIdle is the cost of one wake-up of a scheduler of
// 1,000 digests when none is due: what an idle bot pays per maxSleep.
func BenchmarkTickThousandIdle(b *testing.B) {
	claims := &onceClaims{owners: map[string]string{}}
	s, err := rules.NewScheduler(rules.Options{Claims: claims, Slots: claims, Grace: time.Minute,
		Run: func(context.Context, rules.Slot) error { return nil }})
	if err != nil {
		b.Fatal(err)
	}
	s.Set(thousandJobs(b))
	s.Tick(t0.Add(time.Minute)) // plan every job once
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Tick(t0.Add(2 * time.Minute))
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc)/1e6, "heapMB")
}

// BenchmarkPlanThousand is the cost of planning 1,000 digests at once (a
// start-up or a reload).
func BenchmarkPlanThousand(b *testing.B) {
	jobs := thousandJobs(b)
	for i := 0; i < b.N; i++ {
		claims := &onceClaims{owners: map[string]string{}}
		s, _ := rules.NewScheduler(rules.Options{Claims: claims, Slots: claims, Grace: time.Minute,
			Run: func(context.Context, rules.Slot) error { return nil }})
		s.Set(jobs)
		s.Tick(t0.Add(time.Minute))
	}
}
