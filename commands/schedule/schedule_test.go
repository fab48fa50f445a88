package schedule

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, on a CI machine without tzdata

	"github.com/robfig/cron/v3"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func mustParse(t testing.TB, text string, loc *time.Location) Schedule {
	t.Helper()
	s, err := Parse(text, loc)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return s
}

// stamps writes instants as RFC 3339 with their offset, so a test says
// both the wall time and which occurrence of it.
func stamps(ts []time.Time) string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format("Mon 2006-01-02T15:04-07:00")
	}
	return strings.Join(out, ", ")
}

// TestParseForms checks every form of SPEC §7 and the lenient spellings:
// canonical text, words, and the next three slots from Saturday 28 March
// 2026 12:00 in Berlin (the day before spring-forward).
func TestParseForms(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	after := time.Date(2026, 3, 28, 12, 0, 0, 0, berlin)
	tests := []struct {
		in, canonical, words, next3 string
	}{
		// cron
		{"0 9 * * 1-5", "0 9 * * 1-5", "weekdays at 09:00 Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00, Wed 2026-04-01T09:00+02:00"},
		{"0  9 * *   MON-FRI", "0 9 * * mon-fri", "weekdays at 09:00 Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00, Wed 2026-04-01T09:00+02:00"},
		{"*/15 * * * *", "*/15 * * * *", "every hour at :00, :15, :30 and :45",
			"Sat 2026-03-28T12:15+01:00, Sat 2026-03-28T12:30+01:00, Sat 2026-03-28T12:45+01:00"},
		{"0 9,17 * * *", "0 9,17 * * *", "daily at 09:00 and 17:00 Europe/Berlin",
			"Sat 2026-03-28T17:00+01:00, Sun 2026-03-29T09:00+02:00, Sun 2026-03-29T17:00+02:00"},
		{"0 9 * * 0,7", "0 9 * * 0,7", "at 09:00 on Sun Europe/Berlin",
			"Sun 2026-03-29T09:00+02:00, Sun 2026-04-05T09:00+02:00, Sun 2026-04-12T09:00+02:00"},
		{"0 9 * * 5-7", "0 9 * * 5-7", "at 09:00 on Fri-Sun Europe/Berlin",
			"Sun 2026-03-29T09:00+02:00, Fri 2026-04-03T09:00+02:00, Sat 2026-04-04T09:00+02:00"},
		{"0 9 1 * *", "0 9 1 * *", "at 09:00 on the 1st of the month Europe/Berlin",
			"Wed 2026-04-01T09:00+02:00, Fri 2026-05-01T09:00+02:00, Mon 2026-06-01T09:00+02:00"},
		// day-of-month and day-of-week both restricted: either matches (Vixie cron)
		{"0 9 1 * 1", "0 9 1 * 1", "at 09:00 on Mon or the 1st of the month Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Wed 2026-04-01T09:00+02:00, Mon 2026-04-06T09:00+02:00"},
		{"0 0 29 2 *", "0 0 29 2 *", "at 00:00 on the 29th of the month in Feb Europe/Berlin",
			"Tue 2028-02-29T00:00+01:00, Sun 2032-02-29T00:00+01:00, Fri 2036-02-29T00:00+01:00"},
		{"0 8-18/5 * * *", "0 8-18/5 * * *", "daily at 08:00, 13:00 and 18:00 Europe/Berlin",
			"Sat 2026-03-28T13:00+01:00, Sat 2026-03-28T18:00+01:00, Sun 2026-03-29T08:00+02:00"},
		{"*/20 9-17 * * *", "*/20 9-17 * * *", "on the cron schedule `*/20 9-17 * * *` Europe/Berlin",
			"Sat 2026-03-28T12:20+01:00, Sat 2026-03-28T12:40+01:00, Sat 2026-03-28T13:00+01:00"},
		// descriptors
		{"@hourly", "@hourly", "every hour, on the hour",
			"Sat 2026-03-28T13:00+01:00, Sat 2026-03-28T14:00+01:00, Sat 2026-03-28T15:00+01:00"},
		{"hourly", "@hourly", "every hour, on the hour",
			"Sat 2026-03-28T13:00+01:00, Sat 2026-03-28T14:00+01:00, Sat 2026-03-28T15:00+01:00"},
		{"@daily", "@daily", "daily at 00:00 Europe/Berlin",
			"Sun 2026-03-29T00:00+01:00, Mon 2026-03-30T00:00+02:00, Tue 2026-03-31T00:00+02:00"},
		{"@MIDNIGHT", "@daily", "daily at 00:00 Europe/Berlin",
			"Sun 2026-03-29T00:00+01:00, Mon 2026-03-30T00:00+02:00, Tue 2026-03-31T00:00+02:00"},
		{"@weekly", "@weekly", "Sundays at 00:00 Europe/Berlin",
			"Sun 2026-03-29T00:00+01:00, Sun 2026-04-05T00:00+02:00, Sun 2026-04-12T00:00+02:00"},
		{"@monthly", "@monthly", "at 00:00 on the 1st of each month Europe/Berlin",
			"Wed 2026-04-01T00:00+02:00, Fri 2026-05-01T00:00+02:00, Mon 2026-06-01T00:00+02:00"},
		{"@annually", "@yearly", "at 00:00 on 1 January Europe/Berlin",
			"Fri 2027-01-01T00:00+01:00, Sat 2028-01-01T00:00+01:00, Mon 2029-01-01T00:00+01:00"},
		// every N
		{"every 30m", "every 30m", "every 30 minutes",
			"Sat 2026-03-28T12:30+01:00, Sat 2026-03-28T13:00+01:00, Sat 2026-03-28T13:30+01:00"},
		{"every 30 min", "every 30m", "every 30 minutes",
			"Sat 2026-03-28T12:30+01:00, Sat 2026-03-28T13:00+01:00, Sat 2026-03-28T13:30+01:00"},
		{"Every 30 Minutes", "every 30m", "every 30 minutes",
			"Sat 2026-03-28T12:30+01:00, Sat 2026-03-28T13:00+01:00, Sat 2026-03-28T13:30+01:00"},
		{"@every 30m", "every 30m", "every 30 minutes",
			"Sat 2026-03-28T12:30+01:00, Sat 2026-03-28T13:00+01:00, Sat 2026-03-28T13:30+01:00"},
		{"every minute", "every 1m", "every minute",
			"Sat 2026-03-28T12:01+01:00, Sat 2026-03-28T12:02+01:00, Sat 2026-03-28T12:03+01:00"},
		{"every hour", "every 1h", "every hour, on the hour",
			"Sat 2026-03-28T13:00+01:00, Sat 2026-03-28T14:00+01:00, Sat 2026-03-28T15:00+01:00"},
		{"every 2h", "every 2h", "every 2 hours from 00:00 Europe/Berlin",
			"Sat 2026-03-28T14:00+01:00, Sat 2026-03-28T16:00+01:00, Sat 2026-03-28T18:00+01:00"},
		{"every 2 hours", "every 2h", "every 2 hours from 00:00 Europe/Berlin",
			"Sat 2026-03-28T14:00+01:00, Sat 2026-03-28T16:00+01:00, Sat 2026-03-28T18:00+01:00"},
		{"every 7h", "every 7h", "every 7 hours from 00:00 Europe/Berlin (00:00, 07:00, 14:00 and 21:00)",
			"Sat 2026-03-28T14:00+01:00, Sat 2026-03-28T21:00+01:00, Sun 2026-03-29T00:00+01:00"},
		{"every 1h30m", "every 1h30m", "every 1 hour 30 minutes from 00:00 Europe/Berlin",
			"Sat 2026-03-28T13:30+01:00, Sat 2026-03-28T15:00+01:00, Sat 2026-03-28T16:30+01:00"},
		{"every 90m", "every 1h30m", "every 1 hour 30 minutes from 00:00 Europe/Berlin",
			"Sat 2026-03-28T13:30+01:00, Sat 2026-03-28T15:00+01:00, Sat 2026-03-28T16:30+01:00"},
		{"every 50m", "every 50m", "every 50 minutes from 00:00 Europe/Berlin, the last at 23:20, restarting at midnight",
			"Sat 2026-03-28T12:30+01:00, Sat 2026-03-28T13:20+01:00, Sat 2026-03-28T14:10+01:00"},
		{"every 24h", "every 24h", "daily at 00:00 Europe/Berlin",
			"Sun 2026-03-29T00:00+01:00, Mon 2026-03-30T00:00+02:00, Tue 2026-03-31T00:00+02:00"},
		{"every 1d", "every 24h", "daily at 00:00 Europe/Berlin",
			"Sun 2026-03-29T00:00+01:00, Mon 2026-03-30T00:00+02:00, Tue 2026-03-31T00:00+02:00"},
		// days at times
		{"daily 09:00", "daily 09:00", "daily at 09:00 Europe/Berlin",
			"Sun 2026-03-29T09:00+02:00, Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00"},
		{"Daily at 9:00", "daily 09:00", "daily at 09:00 Europe/Berlin",
			"Sun 2026-03-29T09:00+02:00, Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00"},
		{"every day 9am", "daily 09:00", "daily at 09:00 Europe/Berlin",
			"Sun 2026-03-29T09:00+02:00, Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00"},
		{"daily 09:00,17:30", "daily 09:00,17:30", "daily at 09:00 and 17:30 Europe/Berlin",
			"Sat 2026-03-28T17:30+01:00, Sun 2026-03-29T09:00+02:00, Sun 2026-03-29T17:30+02:00"},
		{"daily 5:30 pm and 9 am", "daily 09:00,17:30", "daily at 09:00 and 17:30 Europe/Berlin",
			"Sat 2026-03-28T17:30+01:00, Sun 2026-03-29T09:00+02:00, Sun 2026-03-29T17:30+02:00"},
		{"daily noon", "daily 12:00", "daily at 12:00 Europe/Berlin",
			"Sun 2026-03-29T12:00+02:00, Mon 2026-03-30T12:00+02:00, Tue 2026-03-31T12:00+02:00"},
		{"daily 12am", "daily 00:00", "daily at 00:00 Europe/Berlin",
			"Sun 2026-03-29T00:00+01:00, Mon 2026-03-30T00:00+02:00, Tue 2026-03-31T00:00+02:00"},
		{"weekdays 09:00", "weekdays 09:00", "weekdays at 09:00 Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00, Wed 2026-04-01T09:00+02:00"},
		{"weekdays at 09:00", "weekdays 09:00", "weekdays at 09:00 Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00, Wed 2026-04-01T09:00+02:00"},
		{"every weekday 8:15", "weekdays 08:15", "weekdays at 08:15 Europe/Berlin",
			"Mon 2026-03-30T08:15+02:00, Tue 2026-03-31T08:15+02:00, Wed 2026-04-01T08:15+02:00"},
		{"mon-fri 09:00", "weekdays 09:00", "weekdays at 09:00 Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00, Wed 2026-04-01T09:00+02:00"},
		{"weekends 10:00", "weekends 10:00", "weekends at 10:00 Europe/Berlin",
			"Sun 2026-03-29T10:00+02:00, Sat 2026-04-04T10:00+02:00, Sun 2026-04-05T10:00+02:00"},
		{"mon,wed,fri 09:00", "mon,wed,fri 09:00", "at 09:00 on Mon, Wed and Fri Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Wed 2026-04-01T09:00+02:00, Fri 2026-04-03T09:00+02:00"},
		{"Mon, Wed, Fri 9:00", "mon,wed,fri 09:00", "at 09:00 on Mon, Wed and Fri Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Wed 2026-04-01T09:00+02:00, Fri 2026-04-03T09:00+02:00"},
		{"MONDAY and Thursday at 14:00", "mon,thu 14:00", "at 14:00 on Mon and Thu Europe/Berlin",
			"Mon 2026-03-30T14:00+02:00, Thu 2026-04-02T14:00+02:00, Mon 2026-04-06T14:00+02:00"},
		{"Mon–Fri 09:00", "weekdays 09:00", "weekdays at 09:00 Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00, Wed 2026-04-01T09:00+02:00"},
		{`"weekdays 09:00"`, "weekdays 09:00", "weekdays at 09:00 Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00, Wed 2026-04-01T09:00+02:00"},
		{"mon-thu 09:00", "mon-thu 09:00", "at 09:00 on Mon-Thu Europe/Berlin",
			"Mon 2026-03-30T09:00+02:00, Tue 2026-03-31T09:00+02:00, Wed 2026-04-01T09:00+02:00"},
		{"fri-mon 18:00", "mon,fri-sun 18:00", "at 18:00 on Mon and Fri-Sun Europe/Berlin",
			"Sat 2026-03-28T18:00+01:00, Sun 2026-03-29T18:00+02:00, Mon 2026-03-30T18:00+02:00"},
		{"every sunday at 20:00", "sun 20:00", "at 20:00 on Sun Europe/Berlin",
			"Sun 2026-03-29T20:00+02:00, Sun 2026-04-05T20:00+02:00, Sun 2026-04-12T20:00+02:00"},
		{"mon,tue,wed,thu,fri,sat,sun 07:00", "daily 07:00", "daily at 07:00 Europe/Berlin",
			"Sun 2026-03-29T07:00+02:00, Mon 2026-03-30T07:00+02:00, Tue 2026-03-31T07:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s := mustParse(t, tt.in, berlin)
			if got := s.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
			if got := s.Describe(); got != tt.words {
				t.Errorf("Describe() = %q, want %q", got, tt.words)
			}
			if got := stamps(s.NextN(after, 3)); got != tt.next3 {
				t.Errorf("NextN(3) = %s\n                 want %s", got, tt.next3)
			}
			again := mustParse(t, s.String(), berlin)
			if again.String() != s.String() || stamps(again.NextN(after, 10)) != stamps(s.NextN(after, 10)) {
				t.Errorf("String() %q does not read back to the same schedule", s.String())
			}
		})
	}
}

// TestDSTDays spells out, slot by slot, the SPEC's DST rule on the
// transition days of Berlin (02:00 -> 03:00 on 29 March, 03:00 -> 02:00 on
// 25 October 2026) and New York (02:00 -> 03:00 on 8 March, 02:00 -> 01:00
// on 1 November 2026): a wall time that does not exist is skipped, a
// repeated one fires once, at its first occurrence, for every form.
func TestDSTDays(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	newYork := mustLoad(t, "America/New_York")
	tests := []struct {
		name     string
		schedule string
		loc      *time.Location
		after    time.Time
		want     string
	}{
		{"berlin spring every 30m", "every 30m", berlin, time.Date(2026, 3, 29, 1, 0, 0, 0, berlin),
			"Sun 2026-03-29T01:30+01:00, Sun 2026-03-29T03:00+02:00, Sun 2026-03-29T03:30+02:00"},
		{"berlin fall every 30m", "every 30m", berlin, time.Date(2026, 10, 25, 1, 30, 0, 0, berlin),
			"Sun 2026-10-25T02:00+02:00, Sun 2026-10-25T02:30+02:00, Sun 2026-10-25T03:00+01:00, Sun 2026-10-25T03:30+01:00"},
		{"berlin spring every 7h", "every 7h", berlin, time.Date(2026, 3, 28, 22, 0, 0, 0, berlin),
			"Sun 2026-03-29T00:00+01:00, Sun 2026-03-29T07:00+02:00, Sun 2026-03-29T14:00+02:00, Sun 2026-03-29T21:00+02:00, Mon 2026-03-30T00:00+02:00"},
		{"berlin spring every 1h", "every 1h", berlin, time.Date(2026, 3, 29, 0, 30, 0, 0, berlin),
			"Sun 2026-03-29T01:00+01:00, Sun 2026-03-29T03:00+02:00, Sun 2026-03-29T04:00+02:00"},
		{"berlin fall every 1h", "every 1h", berlin, time.Date(2026, 10, 25, 0, 30, 0, 0, berlin),
			"Sun 2026-10-25T01:00+02:00, Sun 2026-10-25T02:00+02:00, Sun 2026-10-25T03:00+01:00"},
		{"berlin spring daily 02:30", "daily 02:30", berlin, time.Date(2026, 3, 28, 3, 0, 0, 0, berlin),
			"Mon 2026-03-30T02:30+02:00, Tue 2026-03-31T02:30+02:00"},
		{"berlin fall daily 02:30", "daily 02:30", berlin, time.Date(2026, 10, 24, 3, 0, 0, 0, berlin),
			"Sun 2026-10-25T02:30+02:00, Mon 2026-10-26T02:30+01:00"},
		{"berlin spring cron 02:30", "30 2 * * *", berlin, time.Date(2026, 3, 28, 3, 0, 0, 0, berlin),
			"Mon 2026-03-30T02:30+02:00, Tue 2026-03-31T02:30+02:00"},
		{"berlin fall cron 02:30", "30 2 * * *", berlin, time.Date(2026, 10, 24, 3, 0, 0, 0, berlin),
			"Sun 2026-10-25T02:30+02:00, Mon 2026-10-26T02:30+01:00"},
		{"berlin fall cron every 20 min at 2", "*/20 2 * * *", berlin, time.Date(2026, 10, 25, 1, 0, 0, 0, berlin),
			"Sun 2026-10-25T02:00+02:00, Sun 2026-10-25T02:20+02:00, Sun 2026-10-25T02:40+02:00, Mon 2026-10-26T02:00+01:00"},
		{"berlin spring sun 02:00", "sun 02:00", berlin, time.Date(2026, 3, 22, 3, 0, 0, 0, berlin),
			"Sun 2026-04-05T02:00+02:00"},
		{"berlin fall sun 02:00", "sun 02:00", berlin, time.Date(2026, 10, 19, 0, 0, 0, 0, berlin),
			"Sun 2026-10-25T02:00+02:00, Sun 2026-11-01T02:00+01:00"},
		{"berlin spring @hourly", "@hourly", berlin, time.Date(2026, 3, 29, 0, 30, 0, 0, berlin),
			"Sun 2026-03-29T01:00+01:00, Sun 2026-03-29T03:00+02:00"},
		{"berlin fall @hourly", "@hourly", berlin, time.Date(2026, 10, 25, 1, 30, 0, 0, berlin),
			"Sun 2026-10-25T02:00+02:00, Sun 2026-10-25T03:00+01:00"},
		{"new york spring every 30m", "every 30m", newYork, time.Date(2026, 3, 8, 1, 0, 0, 0, newYork),
			"Sun 2026-03-08T01:30-05:00, Sun 2026-03-08T03:00-04:00, Sun 2026-03-08T03:30-04:00"},
		{"new york fall every 30m", "every 30m", newYork, time.Date(2026, 11, 1, 0, 30, 0, 0, newYork),
			"Sun 2026-11-01T01:00-04:00, Sun 2026-11-01T01:30-04:00, Sun 2026-11-01T02:00-05:00, Sun 2026-11-01T02:30-05:00"},
		{"new york fall cron hourly", "0 * * * *", newYork, time.Date(2026, 11, 1, 0, 30, 0, 0, newYork),
			"Sun 2026-11-01T01:00-04:00, Sun 2026-11-01T02:00-05:00"},
		{"new york fall daily 01:30", "daily 01:30", newYork, time.Date(2026, 10, 31, 2, 0, 0, 0, newYork),
			"Sun 2026-11-01T01:30-04:00, Mon 2026-11-02T01:30-05:00"},
		{"new york spring weekends 02:15", "weekends 02:15", newYork, time.Date(2026, 3, 6, 0, 0, 0, 0, newYork),
			"Sat 2026-03-07T02:15-05:00, Sat 2026-03-14T02:15-04:00"},
		{"new york spring every 7h", "every 7h", newYork, time.Date(2026, 3, 7, 22, 0, 0, 0, newYork),
			// slots restart at midnight whatever the day's length
			"Sun 2026-03-08T00:00-05:00, Sun 2026-03-08T07:00-04:00, Sun 2026-03-08T14:00-04:00, Sun 2026-03-08T21:00-04:00, Mon 2026-03-09T00:00-04:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.schedule, tt.loc)
			n := strings.Count(tt.want, ",") + 1
			if got := stamps(s.NextN(tt.after, n)); got != tt.want {
				t.Errorf("NextN(%v, %d)\n got %s\nwant %s", tt.after, n, got, tt.want)
			}
		})
	}
}

// wall is what an oracle sees of a slot: its wall-clock fields.
type wall struct {
	weekday      time.Weekday
	day          int
	hour, minute int
	month        time.Month
}

// oracleForms pairs schedules with an independent statement of their wall
// times, one line each, for TestWeekAroundDST.
var oracleForms = []struct {
	schedule string
	matches  func(w wall) bool
}{
	{"0 9 * * 1-5", func(w wall) bool { return w.hour == 9 && w.minute == 0 && w.weekday >= 1 && w.weekday <= 5 }},
	{"30 2 * * *", func(w wall) bool { return w.hour == 2 && w.minute == 30 }},
	{"30 1 * * *", func(w wall) bool { return w.hour == 1 && w.minute == 30 }},
	{"*/20 1-3 * * *", func(w wall) bool { return w.hour >= 1 && w.hour <= 3 && w.minute%20 == 0 }},
	{"0 * * * *", func(w wall) bool { return w.minute == 0 }},
	{"15 2 * * 0", func(w wall) bool { return w.weekday == 0 && w.hour == 2 && w.minute == 15 }},
	{"0 2 1,25,8 * 3", func(w wall) bool {
		return w.hour == 2 && w.minute == 0 && (w.day == 1 || w.day == 25 || w.day == 8 || w.weekday == 3)
	}},
	{"@hourly", func(w wall) bool { return w.minute == 0 }},
	{"@daily", func(w wall) bool { return w.hour == 0 && w.minute == 0 }},
	{"@weekly", func(w wall) bool { return w.weekday == 0 && w.hour == 0 && w.minute == 0 }},
	{"every 1m", func(w wall) bool { return true }},
	{"every 30m", func(w wall) bool { return w.minute%30 == 0 }},
	{"every 45m", func(w wall) bool { return (w.hour*60+w.minute)%45 == 0 }},
	{"every 7h", func(w wall) bool { return (w.hour*60+w.minute)%(7*60) == 0 }},
	{"every 24h", func(w wall) bool { return w.hour == 0 && w.minute == 0 }},
	{"daily 02:30", func(w wall) bool { return w.hour == 2 && w.minute == 30 }},
	{"daily 01:00,01:59,03:00", func(w wall) bool {
		return w.hour == 1 && (w.minute == 0 || w.minute == 59) || w.hour == 3 && w.minute == 0
	}},
	{"weekdays 09:00", func(w wall) bool { return w.hour == 9 && w.minute == 0 && w.weekday >= 1 && w.weekday <= 5 }},
	{"weekends 02:00", func(w wall) bool { return w.hour == 2 && w.minute == 0 && (w.weekday == 0 || w.weekday == 6) }},
	{"mon,wed,fri 09:00", func(w wall) bool {
		return w.hour == 9 && w.minute == 0 && (w.weekday == 1 || w.weekday == 3 || w.weekday == 5)
	}},
	{"sun 02:30", func(w wall) bool { return w.weekday == 0 && w.hour == 2 && w.minute == 30 }},
}

// firstOccurrences walks [from, to) minute by minute and returns each wall
// time the clock shows, at its first occurrence only: the SPEC's DST rule
// stated without any of the package's code. A time in a spring-forward gap
// never shows; the second pass of a fall-back hour is dropped.
func firstOccurrences(from, to time.Time, loc *time.Location) (instants []time.Time, walls []wall) {
	type key struct {
		date         [3]int
		hour, minute int
	}
	seen := map[key]bool{}
	for u := from; u.Before(to); u = u.Add(time.Minute) {
		l := u.In(loc)
		y, m, d := l.Date()
		k := key{[3]int{y, int(m), d}, l.Hour(), l.Minute()}
		if seen[k] {
			continue
		}
		seen[k] = true
		instants = append(instants, l)
		walls = append(walls, wall{weekday: l.Weekday(), day: d, hour: l.Hour(), minute: l.Minute(), month: m})
	}
	return instants, walls
}

// TestWeekAroundDST compares NextN and Between over a week around each DST
// transition of 2026 in Berlin and New York, for every form, with the
// minute-by-minute oracle.
func TestWeekAroundDST(t *testing.T) {
	weeks := []struct {
		zone       string
		transition [3]int // the Sunday of the change
	}{
		{"Europe/Berlin", [3]int{2026, 3, 29}},
		{"Europe/Berlin", [3]int{2026, 10, 25}},
		{"America/New_York", [3]int{2026, 3, 8}},
		{"America/New_York", [3]int{2026, 11, 1}},
	}
	found := map[string]int{} // slots per form over all weeks
	for _, week := range weeks {
		loc := mustLoad(t, week.zone)
		y, m, d := week.transition[0], week.transition[1], week.transition[2]
		from := time.Date(y, time.Month(m), d-3, 0, 0, 0, 0, loc) // Thursday
		to := time.Date(y, time.Month(m), d+4, 0, 0, 0, 0, loc)   // Thursday after
		instants, walls := firstOccurrences(from, to, loc)
		for _, form := range oracleForms {
			t.Run(fmt.Sprintf("%s %d-%02d/%s", week.zone, y, m, form.schedule), func(t *testing.T) {
				s := mustParse(t, form.schedule, loc)
				var want []time.Time
				for i, w := range walls {
					if form.matches(w) {
						want = append(want, instants[i])
					}
				}
				found[form.schedule] += len(want)
				got := s.NextN(from.Add(-time.Nanosecond), len(want))
				if stamps(got) != stamps(want) {
					t.Fatalf("NextN over the week\n got %s\nwant %s", stamps(got), stamps(want))
				}
				if between := s.Between(from.Add(-time.Nanosecond), to.Add(-time.Nanosecond)); stamps(between) != stamps(want) {
					t.Fatalf("Between over the week\n got %s\nwant %s", stamps(between), stamps(want))
				}
				// Walking back with Prev finds the same slots (the last few
				// few dozen: Prev recomputes a day per call).
				prev := to
				for i := len(want) - 1; i >= max(0, len(want)-40); i-- {
					prev = s.Prev(prev)
					if !prev.Equal(want[i]) {
						t.Fatalf("Prev walk: slot %d = %v, want %v", i, prev, want[i])
					}
				}
			})
		}
	}
}

// TestCronNextDiffers documents why cron expressions are evaluated here
// rather than with robfig/cron's Next: on a fall-back night it fires the
// repeated 02:30 twice, where the SPEC says once.
func TestCronNextDiffers(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	spec, err := cron.ParseStandard("30 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	spec.(*cron.SpecSchedule).Location = berlin
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).In(berlin) // the CEST 02:30
	if first.Format("-07:00") != "+02:00" {
		t.Fatalf("setup: %v is not the first 02:30", first)
	}
	robfig := spec.Next(first)
	ours := mustParse(t, "30 2 * * *", berlin).Next(first)
	t.Logf("after %v: robfig/cron %v, ours %v", first, robfig, ours)
	if want := time.Date(2026, 10, 26, 2, 30, 0, 0, berlin); !ours.Equal(want) {
		t.Errorf("ours = %v, want %v", ours, want)
	}
	if robfig.Equal(ours) {
		t.Log("robfig/cron now agrees with the SPEC's rule; the note in the package doc can go")
	}
}

// TestEveryAlignment: every N counts from the zone's midnight and restarts
// there, so every replica computes the same slots whatever instant it
// starts from.
func TestEveryAlignment(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	for _, text := range []string{"every 7h", "every 45m", "every 50m", "every 13m", "every 5h30m", "every 2h"} {
		t.Run(text, func(t *testing.T) {
			s := mustParse(t, text, berlin)
			start := time.Date(2026, 10, 23, 0, 0, 0, 0, berlin) // over the fall-back weekend
			ref := s.Between(start.Add(-time.Second), start.AddDate(0, 0, 7))
			period := int(mustEvery(t, text) / time.Minute)
			// Every slot is a multiple of N after its own day's midnight.
			for _, slot := range ref {
				if minutes := slot.Hour()*60 + slot.Minute(); minutes%period != 0 || slot.Second() != 0 {
					t.Fatalf("slot %v is not on the %s grid from midnight", slot, text)
				}
			}
			// The first slot of each day is midnight.
			for i := 1; i < len(ref); i++ {
				if ref[i].Day() != ref[i-1].Day() && (ref[i].Hour() != 0 || ref[i].Minute() != 0) {
					t.Fatalf("first slot of %v is not 00:00", ref[i])
				}
			}
			// From any instant, Next is the first reference slot after it.
			for k := 0; k < 200; k++ {
				after := start.Add(time.Duration(k)*37*time.Minute + time.Duration(k%7)*time.Second)
				want := firstAfter(ref, after)
				if got := s.Next(after); !got.Equal(want) {
					t.Fatalf("Next(%v) = %v, want %v", after, got, want)
				}
				if got := s.NextN(after, 3); stamps(got) != stamps(firstN(ref, after, 3)) {
					t.Fatalf("NextN(%v) = %s, want %s", after, stamps(got), stamps(firstN(ref, after, 3)))
				}
			}
			// And the same slots come out of an instant in another zone.
			tokyo := mustLoad(t, "Asia/Tokyo")
			if got := s.Next(start.Add(-time.Second).In(tokyo)); !got.Equal(ref[0]) || got.Location() != berlin {
				t.Fatalf("Next of a Tokyo instant = %v, want %v in Berlin", got, ref[0])
			}
		})
	}
}

func mustEvery(t *testing.T, text string) time.Duration {
	t.Helper()
	d, err := ParseDuration(strings.TrimPrefix(text, "every "))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func firstAfter(ref []time.Time, after time.Time) time.Time {
	for _, t := range ref {
		if t.After(after) {
			return t
		}
	}
	return time.Time{}
}

func firstN(ref []time.Time, after time.Time, n int) []time.Time {
	for i, t := range ref {
		if t.After(after) {
			return ref[i : i+n]
		}
	}
	return nil
}

// TestEvery7hSlots is the SPEC's example, in words.
func TestEvery7hSlots(t *testing.T) {
	s := mustParse(t, "every 7h", mustLoad(t, "Europe/Berlin"))
	after := time.Date(2026, 6, 1, 0, 0, 0, 0, s.Location()).Add(-time.Second)
	var got []string
	for _, slot := range s.NextN(after, 9) {
		got = append(got, slot.Format("Jan 2 15:04"))
	}
	want := "Jun 1 00:00, Jun 1 07:00, Jun 1 14:00, Jun 1 21:00, Jun 2 00:00, Jun 2 07:00, Jun 2 14:00, Jun 2 21:00, Jun 3 00:00"
	if strings.Join(got, ", ") != want {
		t.Errorf("every 7h = %s\nwant %s", strings.Join(got, ", "), want)
	}
}

// TestBetween is the scheduler's question: which slots came due after the
// last run, up to now (from excluded, to included)?
func TestBetween(t *testing.T) {
	utc := time.UTC
	s := mustParse(t, "every 30m", nil)
	at := func(h, m int) time.Time { return time.Date(2026, 5, 4, h, m, 0, 0, utc) }
	tests := []struct {
		name     string
		from, to time.Time
		want     string
	}{
		{"last run on a slot, now on a slot", at(8, 0), at(9, 0), "08:30, 09:00"},
		{"now just before a slot", at(8, 0), at(8, 59), "08:30"},
		{"nothing due", at(8, 0), at(8, 29), ""},
		{"empty window", at(9, 0), at(9, 0), ""},
		{"reversed window", at(10, 0), at(9, 0), ""},
		{"across midnight", at(23, 10), at(24, 40), "23:30, 00:00, 00:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, slot := range s.Between(tt.from, tt.to) {
				got = append(got, slot.Format("15:04"))
			}
			if strings.Join(got, ", ") != tt.want {
				t.Errorf("Between = %q, want %q", strings.Join(got, ", "), tt.want)
			}
		})
	}
	if got := s.Prev(at(9, 0)); !got.Equal(at(8, 30)) {
		t.Errorf("Prev(09:00) = %v, want 08:30 (strictly before)", got)
	}
	if got := s.Next(at(9, 0)); !got.Equal(at(9, 30)) {
		t.Errorf("Next(09:00) = %v, want 09:30 (strictly after)", got)
	}
	if got := s.Next(at(9, 0).Add(-time.Nanosecond)); !got.Equal(at(9, 0)) {
		t.Errorf("Next(08:59:59.999999999) = %v, want 09:00", got)
	}
	if s.Location() != time.UTC {
		t.Errorf("a nil location is %v, want UTC", s.Location())
	}
}

// TestZeroSchedule: the zero Schedule never fires and says so.
func TestZeroSchedule(t *testing.T) {
	var s Schedule
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !s.IsZero() || !s.Next(now).IsZero() || !s.Prev(now).IsZero() || len(s.NextN(now, 3)) != 0 || s.Describe() != "never" {
		t.Errorf("zero Schedule: IsZero %v Next %v Prev %v NextN %v Describe %q", s.IsZero(), s.Next(now), s.Prev(now), s.NextN(now, 3), s.Describe())
	}
	if mustParse(t, "every 5m", nil).IsZero() {
		t.Error("a parsed schedule reports IsZero")
	}
}

// TestBadSchedules: one message that quotes the schedule, gives the reason
// when there is one, and shows the forms.
func TestBadSchedules(t *testing.T) {
	const forms = " Schedules look like: `every 30m`, `daily 09:00`, `weekdays 09:00`, `mon,wed,fri 09:00`, `@hourly`, `0 9 * * 1-5` (cron)."
	tests := []struct{ in, want string }{
		{"evry 5m", "I can't read the schedule `evry 5m`."},
		{"every 30s", "I can't read the schedule `every 30s`: the minimum is 1m."},
		{"@every 30s", "I can't read the schedule `@every 30s`: the minimum is 1m."},
		{`"`, "I can't read the schedule `\"`."},
		{"every 0m", "I can't read the schedule `every 0m`: the minimum is 1m."},
		{"every 90s", "I can't read the schedule `every 90s`: it must be whole minutes (slots are on the minute)."},
		{"every 25h", "I can't read the schedule `every 25h`: the maximum is 24h (slots restart at each midnight); for a time of day use e.g. `daily 09:00`."},
		{"every 2 days", "I can't read the schedule `every 2 days`: the maximum is 24h (slots restart at each midnight); for a time of day use e.g. `daily 09:00`."},
		{"every", "I can't read the schedule `every`: every how long? e.g. `every 30m`."},
		{"every 30", "I can't read the schedule `every 30`: `30` needs a unit: s, m, h or d (e.g. `30m`)."},
		{"every 5 fortnights", "I can't read the schedule `every 5 fortnights`: `fortnights` is not a unit (s, m, h, d)."},
		{"09:00", "I can't read the schedule `09:00`: say on which days, e.g. `daily 09:00` or `weekdays 09:00`."},
		{"9am", "I can't read the schedule `9am`: say on which days, e.g. `daily 09:00` or `weekdays 09:00`."},
		{"daily", "I can't read the schedule `daily`: at what time? e.g. `daily 09:00`."},
		{"weekdays", "I can't read the schedule `weekdays`: at what time? e.g. `weekdays 09:00`."},
		{"daily 9", "I can't read the schedule `daily 9`: write the time `9` as HH:MM, e.g. 09:00."},
		{"daily 25:00", "I can't read the schedule `daily 25:00`: `25:00` is not a time of day (00:00 to 23:59)."},
		{"daily 24:00", "I can't read the schedule `daily 24:00`: `24:00` is not a time of day (00:00 to 23:59)."},
		{"daily 9:60", "I can't read the schedule `daily 9:60`: `9:60` is not a time of day (00:00 to 23:59)."},
		{"daily 13pm", "I can't read the schedule `daily 13pm`: `13pm` is not a time of day (with am/pm the hour is 1 to 12)."},
		{"daily soon", "I can't read the schedule `daily soon`: `soon` is not a time of day (HH:MM, e.g. 09:00)."},
		{"mun 09:00", "I can't read the schedule `mun 09:00`: `mun` is not a day (mon, tue, wed, thu, fri, sat, sun)."},
		{"mon,wdn 09:00", "I can't read the schedule `mon,wdn 09:00`: `wdn` is not a day (mon, tue, wed, thu, fri, sat, sun)."},
		{"mon-frday 09:00", "I can't read the schedule `mon-frday 09:00`: `frday` is not a day (mon, tue, wed, thu, fri, sat, sun)."},
		{"0 9 * *", "I can't read the schedule `0 9 * *`: a cron schedule has 5 fields (minute hour day-of-month month day-of-week), this one has 4."},
		{"0 0 9 * * 1-5", "I can't read the schedule `0 0 9 * * 1-5`: a cron schedule has 5 fields (minute hour day-of-month month day-of-week), this one has 6."},
		{"61 9 * * *", "I can't read the schedule `61 9 * * *`: the minute field `61` is not valid (end of range (61) above maximum (59))."},
		{"0 25 * * *", "I can't read the schedule `0 25 * * *`: the hour field `25` is not valid (end of range (25) above maximum (23))."},
		{"0 9 * * funday", "I can't read the schedule `0 9 * * funday`: the day-of-week field `funday` is not valid (failed to parse int from funday)."},
		{"0 9 0 * *", "I can't read the schedule `0 9 0 * *`: the day-of-month field `0` is not valid (beginning of range (0) below minimum (1))."},
		{"0 , 1 1 0", "I can't read the schedule `0 , 1 1 0`: the hour field `,` is not valid (it names no value)."},
		{"0 0 30 2 *", "I can't read the schedule `0 0 30 2 *`: no month has that day, so it would never run."},
		{"0 0 31 4,6,9,11 *", "I can't read the schedule `0 0 31 4,6,9,11 *`: no month has that day, so it would never run."},
		{"@fortnightly", "I can't read the schedule `@fortnightly`: `@fortnightly` is not one of @hourly, @daily, @weekly, @monthly, @yearly."},
		{"@daily 09:00", "I can't read the schedule `@daily 09:00`: nothing can follow `@daily`."},
		{"TZ=Europe/Berlin 0 9 * * *", "I can't read the schedule `TZ=Europe/Berlin 0 9 * * *`: the time zone comes from DIGEST_TZ (or TZ), not from the schedule."},
		{"CRON_TZ=UTC 0 9 * * *", "I can't read the schedule `CRON_TZ=UTC 0 9 * * *`: the time zone comes from DIGEST_TZ (or TZ), not from the schedule."},
		{"every `30m`", "I can't read the schedule `every ˋ30mˋ`: `ˋ30mˋ` is not a number."},
		{"daily\n09:00 <!channel>", "I can't read the schedule `daily 09:00 <!channel>`: `<!channel>` is not a time of day (HH:MM, e.g. 09:00)."},
		{strings.Repeat("x", 201), "I can't read the schedule `" + strings.Repeat("x", 60) + "…`: it is longer than 200 characters."},
		{"daily \xff", "I can't read the schedule `daily \uFFFD`: it is not valid UTF-8 text."},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in, nil)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error", tt.in)
			}
			if got := err.Error(); got != tt.want+forms {
				t.Errorf("message\n got %s\nwant %s", got, tt.want+forms)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindSchedule || pe.Input != tt.in {
				t.Errorf("error is %#v, want *Error{Kind: KindSchedule, Input: %q}", err, tt.in)
			}
		})
	}
	for _, empty := range []string{"", "   ", "\t\n"} {
		_, err := Parse(empty, nil)
		if err == nil || err.Error() != "The schedule is empty."+forms {
			t.Errorf("Parse(%q) error = %v", empty, err)
		}
	}
}
