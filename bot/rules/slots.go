package rules

import "time"

// Schedule is what the scheduler needs of a schedule: the first slot
// strictly after a time (commands/schedule's Schedule has it).
type Schedule interface {
	Next(after time.Time) time.Time
}

// Limits of PlanSlots.
const (
	// LateAfter is how far behind its slot a post is called late: a
	// running scheduler posts within a second or two of the slot, so
	// anything past this was missed (the bot was down, or stalled).
	LateAfter = time.Minute
	// maxLookBack bounds how far back missed slots are enumerated: older
	// ones are skipped as a count, without walking them one by one.
	maxLookBack = 7 * 24 * time.Hour
	// maxListedSkips bounds the skipped slots listed one by one.
	maxListedSkips = 10
)

// SlotPlan is what to do with one job's slots at a moment.
type SlotPlan struct {
	// Post is the slot to post now; zero when none is due.
	Post time.Time
	// Late is true when Post is more than LateAfter behind.
	Late bool
	// Skipped are missed slots that will never be posted (older than the
	// grace, or superseded by a newer missed slot: a burst of replays
	// helps nobody), oldest first, at most maxListedSkips of them.
	Skipped []time.Time
	// MoreSkipped counts skipped slots beyond those listed (including any
	// older than maxLookBack, counted as at least one).
	MoreSkipped int
	// Handled is the newest slot this plan settles (posted or skipped):
	// the next plan starts after it. Zero when nothing was due.
	Handled time.Time
	// Next is the first slot after now.
	Next time.Time
}

// PlanSlots decides, at now, what to do with the slots of s that fall in
// (after, now]: after is when the job was created or its last handled slot.
// The newest of them is posted when it is at most grace old (late when it
// is more than LateAfter old); every other one is skipped. It is a pure
// function of its arguments, so every replica and every restart decides
// the same, and a test can run a week of slots without waiting.
func PlanSlots(s Schedule, after, now time.Time, grace time.Duration) SlotPlan {
	plan := SlotPlan{Next: s.Next(now)}
	if !after.Before(now) {
		return plan
	}
	if lookFrom := now.Add(-maxLookBack); after.Before(lookFrom) {
		if first := s.Next(after); !first.IsZero() && first.Before(lookFrom) {
			plan.MoreSkipped++ // at least one slot older than the look-back
		}
		after = lookFrom
	}
	var due []time.Time
	for t := s.Next(after); !t.IsZero() && !t.After(now); t = s.Next(t) {
		due = append(due, t)
	}
	if len(due) == 0 {
		if plan.MoreSkipped > 0 {
			plan.Handled = after
		}
		return plan
	}
	newest := due[len(due)-1]
	plan.Handled = newest
	older := due[:len(due)-1]
	if now.Sub(newest) <= grace {
		plan.Post = newest
		plan.Late = now.Sub(newest) > LateAfter
	} else {
		older = due
	}
	if len(older) > maxListedSkips {
		plan.MoreSkipped += len(older) - maxListedSkips
		older = older[len(older)-maxListedSkips:]
	}
	plan.Skipped = older
	return plan
}
