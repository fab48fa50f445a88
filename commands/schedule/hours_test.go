package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustHours(t testing.TB, text string, loc *time.Location) Hours {
	t.Helper()
	h, err := ParseHours(text, loc)
	if err != nil {
		t.Fatalf("ParseHours(%q): %v", text, err)
	}
	return h
}

func TestParseHoursForms(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct{ in, canonical, words string }{
		{"Mon-Fri 08:00-18:00", "weekdays 08:00-18:00", "weekdays 08:00-18:00 Europe/Berlin"},
		{"Mon,Wed 09:00-17:00", "mon,wed 09:00-17:00", "Mon and Wed 09:00-17:00 Europe/Berlin"},
		{"daily 22:00-06:00", "daily 22:00-06:00", "daily 22:00-06:00 (overnight) Europe/Berlin"},
		{"08:00-18:00", "daily 08:00-18:00", "daily 08:00-18:00 Europe/Berlin"},
		{"every day 08:00-18:00", "daily 08:00-18:00", "daily 08:00-18:00 Europe/Berlin"},
		{"weekdays 8am-6pm", "weekdays 08:00-18:00", "weekdays 08:00-18:00 Europe/Berlin"},
		{"mon-fri 08:00 - 18:00", "weekdays 08:00-18:00", "weekdays 08:00-18:00 Europe/Berlin"},
		{"Mon–Fri 08:00–18:00", "weekdays 08:00-18:00", "weekdays 08:00-18:00 Europe/Berlin"},
		{"sat 10:00 to 14:00", "sat 10:00-14:00", "Sat 10:00-14:00 Europe/Berlin"},
		{"fri 18:00-midnight", "fri 18:00-24:00", "Fri 18:00-24:00 Europe/Berlin"},
		{"fri 18:00-00:00", "fri 18:00-24:00", "Fri 18:00-24:00 Europe/Berlin"},
		{"“Mon-Fri 08:00-18:00”", "weekdays 08:00-18:00", "weekdays 08:00-18:00 Europe/Berlin"},
		{"'08:00-18:00'", "daily 08:00-18:00", "daily 08:00-18:00 Europe/Berlin"},
		{"00:00-24:00", "daily 00:00-24:00", "daily 00:00-24:00 Europe/Berlin"},
		{"Mon-Fri 08:00-18:00; Sat 10:00-14:00", "weekdays 08:00-18:00; sat 10:00-14:00",
			"weekdays 08:00-18:00 and Sat 10:00-14:00 Europe/Berlin"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h := mustHours(t, tt.in, berlin)
			if h.String() != tt.canonical {
				t.Errorf("String() = %q, want %q", h.String(), tt.canonical)
			}
			if h.Describe() != tt.words {
				t.Errorf("Describe() = %q, want %q", h.Describe(), tt.words)
			}
			if again := mustHours(t, h.String(), berlin); again.String() != h.String() {
				t.Errorf("String() %q reads back as %q", h.String(), again.String())
			}
		})
	}
}

// TestHoursContains checks instants against the wall clock of the zone,
// overnight windows (which belong to the day they start on) and DST days.
func TestHoursContains(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	at := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, berlin)
	}
	office := mustHours(t, "Mon-Fri 08:00-18:00", berlin)
	night := mustHours(t, "fri 22:00-06:00", berlin)
	everyNight := mustHours(t, "daily 22:00-06:00", berlin)
	early := mustHours(t, "daily 01:00-03:00", berlin)
	tests := []struct {
		name  string
		hours Hours
		t     time.Time
		want  bool
	}{
		{"Mon 08:00, the start is in", office, at(3, 30, 8, 0), true},
		{"Mon 07:59", office, at(3, 30, 7, 59), false},
		{"Mon 17:59", office, at(3, 30, 17, 59), true},
		{"Mon 18:00, the end is out", office, at(3, 30, 18, 0), false},
		{"Sat noon", office, at(3, 28, 12, 0), false},
		{"Mon 08:30 seen from UTC", office, at(3, 30, 8, 30).UTC(), true},
		{"Mon 07:30 UTC is 09:30 Berlin", office, time.Date(2026, 3, 30, 7, 30, 0, 0, time.UTC), true},
		{"Fri 23:00", night, at(3, 27, 23, 0), true},
		{"Sat 05:59, still Friday's night", night, at(3, 28, 5, 59), true},
		{"Sat 06:00", night, at(3, 28, 6, 0), false},
		{"Fri 05:00, Thursday's night is not in", night, at(3, 27, 5, 0), false},
		{"Sat 23:00, not Friday", night, at(3, 28, 23, 0), false},
		{"every night Sun 03:00 after spring-forward", everyNight, at(3, 29, 3, 0), true},
		{"spring-forward 01:59 CET", early, at(3, 29, 1, 59), true},
		{"spring-forward 03:00 CEST, the end", early, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), false},
		{"fall-back second 02:30 CET is in again", early, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hours.Contains(tt.t); got != tt.want {
				t.Errorf("%s: Contains(%v) = %v, want %v", tt.hours, tt.t, got, tt.want)
			}
		})
	}
	var zero Hours
	if zero.Contains(at(3, 30, 12, 0)) || !zero.NextChange(at(3, 30, 12, 0)).IsZero() || zero.Describe() != "never" {
		t.Error("the zero Hours contains time or changes")
	}
}

// TestHoursNextChange walks the transitions of active hours over a week
// with a DST change, and checks that Contains flips exactly there.
func TestHoursNextChange(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	newYork := mustLoad(t, "America/New_York")
	tests := []struct {
		hours string
		loc   *time.Location
		from  time.Time
		want  string
	}{
		{"Mon-Fri 08:00-18:00", berlin, time.Date(2026, 3, 27, 12, 0, 0, 0, berlin),
			"Fri 2026-03-27T18:00+01:00, Mon 2026-03-30T08:00+02:00, Mon 2026-03-30T18:00+02:00"},
		{"daily 22:00-06:00", berlin, time.Date(2026, 3, 28, 12, 0, 0, 0, berlin),
			"Sat 2026-03-28T22:00+01:00, Sun 2026-03-29T06:00+02:00, Sun 2026-03-29T22:00+02:00"},
		// 02:00-02:30 does not exist on 29 March: in at the jump to 03:00? No:
		// 03:00 is after the window, so the window is skipped that day.
		{"daily 02:00-02:30", berlin, time.Date(2026, 3, 28, 12, 0, 0, 0, berlin),
			"Mon 2026-03-30T02:00+02:00, Mon 2026-03-30T02:30+02:00"},
		// Starting inside the gap: 01:00-02:30 ends when the clock jumps to 03:00.
		{"daily 01:00-02:30", berlin, time.Date(2026, 3, 29, 0, 0, 0, 0, berlin),
			"Sun 2026-03-29T01:00+01:00, Sun 2026-03-29T03:00+02:00, Mon 2026-03-30T01:00+02:00"},
		// Fall-back in New York: 01:00-01:30 happens twice on 1 November.
		{"daily 01:00-01:30", newYork, time.Date(2026, 10, 31, 12, 0, 0, 0, newYork),
			"Sun 2026-11-01T01:00-04:00, Sun 2026-11-01T01:30-04:00, Sun 2026-11-01T01:00-05:00, Sun 2026-11-01T01:30-05:00, Mon 2026-11-02T01:00-05:00"},
	}
	for _, tt := range tests {
		t.Run(tt.hours, func(t *testing.T) {
			h := mustHours(t, tt.hours, tt.loc)
			var got []time.Time
			at := tt.from
			for range strings.Count(tt.want, ",") + 1 {
				next := h.NextChange(at)
				if next.IsZero() {
					break
				}
				if h.Contains(next) == h.Contains(at) || h.Contains(next.Add(-time.Second)) != h.Contains(at) {
					t.Fatalf("NextChange(%v) = %v, but Contains does not flip there", at, next)
				}
				got = append(got, next)
				at = next
			}
			if stamps(got) != tt.want {
				t.Errorf("changes\n got %s\nwant %s", stamps(got), tt.want)
			}
		})
	}
	always := mustHours(t, "00:00-24:00", berlin)
	if c := always.NextChange(time.Date(2026, 3, 28, 0, 0, 0, 0, berlin)); !c.IsZero() {
		t.Errorf("hours covering all time change at %v", c)
	}
}

func TestParseHoursErrors(t *testing.T) {
	const forms = " Active hours look like: `Mon-Fri 08:00-18:00`, `Mon,Wed 09:00-17:00`, `daily 22:00-06:00` (overnight), `08:00-18:00` (every day)."
	tests := []struct{ in, want string }{
		{"", "The hours is empty."},
		{"mon 08:00", "I can't read the hours `mon 08:00`: give the hours as a range, e.g. `08:00-18:00`."},
		{"weekdays", "I can't read the hours `weekdays`: give the hours as a range, e.g. `08:00-18:00`."},
		{"08:00-08:00", "I can't read the hours `08:00-08:00`: it starts and ends at the same time; for the whole day write `00:00-24:00`."},
		{"mun-fri 08:00-18:00", "I can't read the hours `mun-fri 08:00-18:00`: `mun` is not a day (mon, tue, wed, thu, fri, sat, sun)."},
		{"08:00-25:00", "I can't read the hours `08:00-25:00`: `25:00` is not a time of day (00:00 to 23:59)."},
		{"24:00-08:00", "I can't read the hours `24:00-08:00`: `24:00` is not a time of day (00:00 to 23:59)."},
		{"8-18", "I can't read the hours `8-18`: write the time `8` as HH:MM, e.g. 09:00."},
		{"; ;", "I can't read the hours `; ;`: it is empty."},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseHours(tt.in, nil)
			if err == nil {
				t.Fatalf("ParseHours(%q) = nil error", tt.in)
			}
			if got := err.Error(); got != tt.want+forms {
				t.Errorf("message\n got %s\nwant %s", got, tt.want+forms)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindHours {
				t.Errorf("error %#v is not an *Error of KindHours", err)
			}
		})
	}
}
