// Package schedule reads the schedules of digests and the durations and
// active hours of alerts (SPEC §7 and §8) and computes their times. It is
// pure: the time zone and every instant are passed in, nothing is read from
// the clock or the environment.
//
// All forms are evaluated on the wall clock of the schedule's zone, one
// civil day at a time. A slot whose wall time does not exist that day (the
// gap of a spring-forward transition) is skipped; a wall time that occurs
// twice (a fall-back repeat) fires once, at its first occurrence. This holds
// for cron expressions too: robfig/cron/v3 parses them, but their times are
// computed here, because cron's own Next fires repeated wall times twice.
package schedule

import (
	"iter"
	"slices"
	"time"
)

// maxScanDays bounds how far ahead (or back) a schedule is searched for a
// slot. Parse rejects schedules that can never fire, so only a schedule
// that fires on rare days (29 February) comes near it: 2096 to 2104 is
// eight years.
const maxScanDays = 9*366 + 2

// form is which of the SPEC §7 forms a Schedule came from.
type form uint8

const (
	formNone  form = iota // the zero Schedule: no slots
	formCron              // 5-field cron or an @descriptor
	formEvery             // every N, aligned to midnight
	formDays              // daily / weekdays / day list at times
)

// Schedule is a parsed schedule in one time zone. Its slots are the
// instants at which a digest runs. The zero Schedule has no slots.
type Schedule struct {
	form  form
	loc   *time.Location
	text  string    // canonical text, see String
	every int       // formEvery: minutes between slots
	days  dayMask   // formDays: which weekdays
	times []int     // formDays: minutes of the day, ascending, unique
	cron  *cronSpec // formCron
}

// Location returns the time zone the schedule is evaluated in.
func (s Schedule) Location() *time.Location { return locOrUTC(s.loc) }

// String returns the schedule's canonical text, which Parse reads back to
// the same schedule (in the same zone): `every 30m`, `daily 09:00`,
// `weekdays 09:00`, `mon,wed,fri 09:00`, `@hourly`, `0 9 * * 1-5`.
func (s Schedule) String() string { return s.text }

// IsZero reports whether s is the zero Schedule, which never fires.
func (s Schedule) IsZero() bool { return s.form == formNone }

// minutesOn appends to buf the wall-clock minutes of the civil day d
// (0..1439, ascending) at which s has a slot, before DST is considered.
func (s Schedule) minutesOn(buf []int, d civil) []int {
	switch s.form {
	case formEvery:
		for m := 0; m < 24*60; m += s.every {
			buf = append(buf, m)
		}
	case formDays:
		if s.days.has(d.Weekday()) {
			buf = append(buf, s.times...)
		}
	case formCron:
		if s.cron.dayMatches(d) {
			buf = s.cron.minutes(buf)
		}
	}
	return buf
}

// slotsOn returns the instants of the slots whose wall time falls on the
// civil day d, ascending: wall times in a gap are dropped and a repeated
// wall time counts at its first occurrence.
func (s Schedule) slotsOn(d civil) []time.Time {
	minutes := s.minutesOn(nil, d)
	if len(minutes) == 0 {
		return nil
	}
	loc := s.Location()
	zones := zonesFor(d, loc)
	out := make([]time.Time, 0, len(minutes))
	for _, m := range minutes {
		if u, ok := zones.first(d.Unix() + int64(m)*60); ok {
			out = append(out, time.Unix(u, 0).In(loc))
		}
	}
	slices.SortFunc(out, time.Time.Compare) // already sorted but for pathological zones
	return out
}

// All returns the slots strictly after after, in ascending order, without
// end (it stops when the caller stops, or when no slot is found for years).
// Use it to walk a window without building a list.
func (s Schedule) All(after time.Time) iter.Seq[time.Time] {
	return func(yield func(time.Time) bool) {
		if s.form == formNone {
			return
		}
		// The first occurrences of one day's wall times all come before the
		// next day's except around odd transitions, so the slots of two
		// adjacent days are merged before emitting the earlier day's.
		day := civilDate(after.In(s.Location())).AddDate(0, 0, -1)
		var pending []time.Time
		last := after
		empty := 0
		for empty < maxScanDays {
			slots := s.slotsOn(day)
			day = day.AddDate(0, 0, 1)
			if len(slots) == 0 {
				empty++
			} else {
				empty = 0
			}
			// Emit pending slots that come before this day's first slot.
			for len(pending) > 0 && (len(slots) == 0 || !pending[0].After(slots[0])) {
				t := pending[0]
				pending = pending[1:]
				if t.After(last) {
					if !yield(t) {
						return
					}
					last = t
				}
			}
			pending = mergeSorted(pending, slots)
		}
		for _, t := range pending {
			if t.After(last) && !yield(t) {
				return
			}
		}
	}
}

// mergeSorted merges two ascending lists into one.
func mergeSorted(a, b []time.Time) []time.Time {
	if len(a) == 0 {
		return b
	}
	out := append(slices.Clip(a), b...)
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// Next returns the first slot strictly after after, in the schedule's zone,
// or the zero time if there is none (the zero Schedule).
func (s Schedule) Next(after time.Time) time.Time {
	for t := range s.All(after) {
		return t
	}
	return time.Time{}
}

// NextN returns the first n slots strictly after after, ascending (fewer
// only if the schedule has no more).
func (s Schedule) NextN(after time.Time, n int) []time.Time {
	if n <= 0 {
		return nil
	}
	out := make([]time.Time, 0, min(n, 1024))
	for t := range s.All(after) {
		out = append(out, t)
		if len(out) == n {
			break
		}
	}
	return out
}

// Between returns the slots t with from < t <= to, ascending: the slots
// that came due after from (the last run) up to and including to (now).
// The list can be long for a wide window (a year of `every 1m` is 525,600
// slots); use All to walk it instead when the window is not bounded.
func (s Schedule) Between(from, to time.Time) []time.Time {
	var out []time.Time
	if !to.After(from) {
		return nil
	}
	for t := range s.All(from) {
		if t.After(to) {
			break
		}
		out = append(out, t)
	}
	return out
}

// Prev returns the last slot strictly before before, or the zero time if
// there is none within years.
func (s Schedule) Prev(before time.Time) time.Time {
	if s.form == formNone {
		return time.Time{}
	}
	day := civilDate(before.In(s.Location())).AddDate(0, 0, 1)
	var best time.Time
	for i := 0; i < maxScanDays; i++ {
		for _, t := range slices.Backward(s.slotsOn(day)) {
			if t.Before(before) {
				if best.IsZero() || t.After(best) {
					best = t
				}
				break
			}
		}
		// One more (earlier) day is looked at once a slot is found, for the
		// same reason All merges adjacent days.
		if !best.IsZero() && civilDate(best).After(day) {
			return best
		}
		day = day.AddDate(0, 0, -1)
	}
	return best
}
