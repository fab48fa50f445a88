package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fuzzZones are zones with awkward clocks: DST at 02:00 and 03:00, a
// 30-minute DST shift (Lord Howe), a 45-minute offset (Kathmandu), and
// DST that skipped midnight (São Paulo until 2019).
var fuzzZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Sao_Paulo"}

// fuzzInstant maps fuzz numbers to a zone and an instant between 2015 and
// 2035, where the zones above have transitions.
func fuzzInstant(t *testing.T, zone uint8, at int64) (*time.Location, time.Time) {
	loc := mustLoad(t, fuzzZones[int(zone)%len(fuzzZones)])
	const span = 20 * 365 * 86400
	offset := at % span
	if offset < 0 {
		offset += span
	}
	return loc, time.Unix(1420070400+offset, at%1e9).In(loc) // from 2015-01-01
}

var fuzzSeeds = []string{
	"0 9 * * 1-5", "0 9 * * mon-fri", "*/15 * * * *", "0 9,17 * * *", "0 9 1 * 1", "0 0 29 2 *", "0 9 * * 5-7",
	"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@every 30m", "hourly",
	"every 30m", "every 2h", "every 7h", "every 1m", "every 45m", "every 1h30m", "every 24h", "every 30s",
	"daily 09:00", "daily at 9am", "daily 02:30", "weekdays 09:00", "weekends 02:00,03:00", "mon,wed,fri 09:00",
	"fri-mon 18:00", "every day at noon", "Mon–Fri 09:00", "evry 5m", "09:00", "", "TZ=UTC 0 9 * * *", "0 0 30 2 *",
}

// FuzzParse: Parse never panics; it returns an *Error or a schedule whose
// slots strictly increase after the instant asked, agree with Next, Prev
// and Between, and whose String reads back to the same schedule.
func FuzzParse(f *testing.F) {
	for i, seed := range fuzzSeeds {
		f.Add(seed, uint8(i), int64(i)*7919*86400+int64(i)*3607)
	}
	f.Fuzz(func(t *testing.T, text string, zone uint8, at int64) {
		loc, after := fuzzInstant(t, zone, at)
		s, err := Parse(text, loc)
		if err != nil {
			var pe *Error
			msg := err.Error()
			if !errors.As(err, &pe) || pe.Kind != KindSchedule || !strings.Contains(msg, Forms) || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("Parse(%q) error %q is not one line with the forms", text, msg)
			}
			return
		}
		again, err := Parse(s.String(), loc)
		if err != nil || again.String() != s.String() {
			t.Fatalf("Parse(%q).String() = %q reads back as %q, %v", text, s.String(), again.String(), err)
		}
		if s.Describe() == "" {
			t.Fatalf("Parse(%q) describes itself as nothing", text)
		}
		slots := s.NextN(after, 12)
		if len(slots) == 0 {
			t.Fatalf("Parse(%q) has no slot after %v", text, after)
		}
		if stamps(again.NextN(after, 12)) != stamps(slots) {
			t.Fatalf("Parse(%q) and its String %q have different slots", text, s.String())
		}
		prev := after
		for i, slot := range slots {
			if !slot.After(prev) || slot.Second() != 0 || slot.Nanosecond() != 0 || slot.Location() != loc {
				t.Fatalf("Parse(%q) slot %d = %v after %v: not strictly increasing whole minutes in %v", text, i, slot, prev, loc)
			}
			prev = slot
		}
		for i := range min(3, len(slots)-1) {
			if next := s.Next(slots[i]); !next.Equal(slots[i+1]) {
				t.Fatalf("Parse(%q): Next(%v) = %v, want %v", text, slots[i], next, slots[i+1])
			}
			if p := s.Prev(slots[i+1]); !p.Equal(slots[i]) {
				t.Fatalf("Parse(%q): Prev(%v) = %v, want %v", text, slots[i+1], p, slots[i])
			}
		}
		if between := s.Between(after, slots[len(slots)-1]); stamps(between) != stamps(slots) {
			t.Fatalf("Parse(%q): Between = %s, want %s", text, stamps(between), stamps(slots))
		}
	})
}

// FuzzParseHours: ParseHours never panics; hours read back from String,
// and NextChange is the first instant where Contains flips.
func FuzzParseHours(f *testing.F) {
	for i, seed := range []string{
		"Mon-Fri 08:00-18:00", "Mon,Wed 09:00-17:00", "daily 22:00-06:00", "08:00-18:00", "9am-5pm",
		"fri 18:00-midnight", "00:00-24:00", "Mon-Fri 08:00-18:00; Sat 10:00-14:00", "daily 01:00-02:30",
		"mon 08:00", "08:00-08:00", "8-18", "",
	} {
		f.Add(seed, uint8(i), int64(i)*7919*86400+int64(i)*3607)
	}
	f.Fuzz(func(t *testing.T, text string, zone uint8, at int64) {
		loc, after := fuzzInstant(t, zone, at)
		h, err := ParseHours(text, loc)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindHours || !strings.Contains(err.Error(), HoursForms) {
				t.Fatalf("ParseHours(%q) error %q", text, err)
			}
			return
		}
		again, err := ParseHours(h.String(), loc)
		if err != nil || again.String() != h.String() {
			t.Fatalf("ParseHours(%q).String() = %q reads back as %q, %v", text, h.String(), again.String(), err)
		}
		state := h.Contains(after)
		change := h.NextChange(after)
		end := change
		if change.IsZero() {
			end = after.Add(8 * 24 * time.Hour)
		} else if !change.After(after) || h.Contains(change) == state {
			t.Fatalf("%q: NextChange(%v) = %v does not flip Contains", text, after, change)
		}
		// Nothing flips before it: probe every few minutes on the way.
		for probe := after; probe.Before(end); probe = probe.Add(7 * time.Minute) {
			if h.Contains(probe) != state {
				t.Fatalf("%q: Contains flips at %v, before NextChange(%v) = %v", text, probe, after, change)
			}
			if again.Contains(probe) != state {
				t.Fatalf("%q and its String %q disagree at %v", text, h.String(), probe)
			}
		}
	})
}

// FuzzParseDuration: ParseDuration never panics; a duration is whole
// seconds within bounds and FormatDuration writes it back.
func FuzzParseDuration(f *testing.F) {
	for _, seed := range []string{"30s", "10m", "4h", "1d", "1h30m", "1.5h", "10 min", "0", "10", "10ms", "-5m", "366d", "99999999999999999999h", ".5m", "1..5h"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseDuration(text)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindDuration || !strings.Contains(err.Error(), DurationForms) {
				t.Fatalf("ParseDuration(%q) error %q", text, err)
			}
			return
		}
		if d < 0 || d > MaxDuration || d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v: out of bounds or not whole seconds", text, d)
		}
		if again, err := ParseDuration(FormatDuration(d)); err != nil || again != d {
			t.Fatalf("ParseDuration(%q) = %v; FormatDuration %q reads back as %v, %v", text, d, FormatDuration(d), again, err)
		}
	})
}
