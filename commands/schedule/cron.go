package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// starBit is robfig/cron's marker for a field written as * (or ?): with it
// set on day-of-month or day-of-week, the two day fields are ANDed, as in
// Vixie cron; with both restricted they are ORed.
const starBit = 1 << 63

// cronFieldNames name the five standard fields, for error messages.
var cronFieldNames = [5]string{"minute", "hour", "day-of-month", "month", "day-of-week"}

// cronSpec is the bit sets of a parsed cron expression (robfig/cron's
// SpecSchedule without seconds or location).
type cronSpec struct {
	minute, hour, dom, month, dow uint64
	descriptor                    string // "@hourly" etc., or "" for five fields
}

// cronParser reads the five standard fields and the @descriptors.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseCron reads a 5-field expression or a descriptor (already lower case,
// single-spaced). The error is a reason for the user.
func parseCron(text string) (*cronSpec, error) {
	if !strings.HasPrefix(text, "@") {
		fields := strings.Fields(text)
		if len(fields) != 5 {
			return nil, fmt.Errorf("a cron schedule has 5 fields (minute hour day-of-month month day-of-week), this one has %d", len(fields))
		}
		fields[4] = sundaySeven(fields[4])
		// Parse each field alone first, so the reason names the field.
		for i, f := range fields {
			probe := []string{"*", "*", "*", "*", "*"}
			probe[i] = f
			parsed, err := cronParser.Parse(strings.Join(probe, " "))
			if err != nil {
				return nil, fmt.Errorf("the %s field `%s` is not valid (%v)", cronFieldNames[i], quoteable(f), trimCronError(err))
			}
			if spec, ok := parsed.(*cron.SpecSchedule); ok && fieldBits(spec, i)&^starBit == 0 {
				// robfig/cron reads a field of bare commas as no values at all.
				return nil, fmt.Errorf("the %s field `%s` is not valid (it names no value)", cronFieldNames[i], quoteable(f))
			}
		}
		text = strings.Join(fields, " ")
	}
	parsed, err := cronParser.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%v", trimCronError(err))
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("this cron form is not supported")
	}
	c := &cronSpec{minute: spec.Minute, hour: spec.Hour, dom: spec.Dom, month: spec.Month, dow: spec.Dow}
	if strings.HasPrefix(text, "@") {
		c.descriptor = text
	}
	if !c.canFire() {
		return nil, fmt.Errorf("no month has that day, so it would never run")
	}
	return c, nil
}

// fieldBits returns the bit set of field i (0 minute ... 4 day-of-week).
func fieldBits(spec *cron.SpecSchedule, i int) uint64 {
	return [5]uint64{spec.Minute, spec.Hour, spec.Dom, spec.Month, spec.Dow}[i]
}

// trimCronError drops what robfig/cron adds after the first colon (an echo
// of the field, Go's strconv detail).
func trimCronError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// sundaySeven rewrites the day-of-week 7 that many crons accept for Sunday
// (robfig/cron only knows 0): `7` becomes `0` and `N-7` becomes `N-6,0`.
func sundaySeven(field string) string {
	items := strings.Split(field, ",")
	for i, item := range items {
		switch {
		case item == "7":
			items[i] = "0"
		case strings.HasSuffix(item, "-7") && !strings.Contains(item, "/"):
			start := strings.TrimSuffix(item, "-7")
			if start == "7" {
				items[i] = "0"
			} else {
				items[i] = start + "-6,0"
			}
		}
	}
	return strings.Join(items, ",")
}

// daysInMonth is the longest each month can be (February 29).
var daysInMonth = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// canFire reports whether some calendar day matches: with the weekday
// unrestricted, a day of the month must exist in one of the months.
func (c *cronSpec) canFire() bool {
	if c.dow&starBit == 0 || c.dom&starBit != 0 {
		return true // any weekday occurs in every month
	}
	for m := 1; m <= 12; m++ {
		if c.month&(1<<m) == 0 {
			continue
		}
		for d := 1; d <= daysInMonth[m]; d++ {
			if c.dom&(1<<d) != 0 {
				return true
			}
		}
	}
	return false
}

// dayMatches reports whether the civil day d is one the expression runs on.
func (c *cronSpec) dayMatches(d civil) bool {
	if c.month&(1<<uint(d.Month())) == 0 {
		return false
	}
	domMatch := c.dom&(1<<uint(d.Day())) != 0
	dowMatch := c.dow&(1<<uint(d.Weekday())) != 0
	if c.dom&starBit != 0 || c.dow&starBit != 0 {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}

// minutes appends the minutes of the day the expression fires at.
func (c *cronSpec) minutes(buf []int) []int {
	for h := range 24 {
		if c.hour&(1<<h) == 0 {
			continue
		}
		for m := range 60 {
			if c.minute&(1<<m) != 0 {
				buf = append(buf, h*60+m)
			}
		}
	}
	return buf
}

// bits lists the values set in mask between lo and hi.
func bits(mask uint64, lo, hi int) []int {
	var out []int
	for v := lo; v <= hi; v++ {
		if mask&(1<<v) != 0 {
			out = append(out, v)
		}
	}
	return out
}

// describe puts the expression in words, or returns "" when it is too
// irregular to say briefly (the caller then quotes the expression).
func (c *cronSpec) describe(zone string) string {
	switch c.descriptor {
	case "@hourly":
		return "every hour, on the hour"
	case "@daily", "@midnight":
		return "daily at 00:00 " + zone
	case "@weekly":
		return "Sundays at 00:00 " + zone
	case "@monthly":
		return "at 00:00 on the 1st of each month " + zone
	case "@yearly", "@annually":
		return "at 00:00 on 1 January " + zone
	}
	minutes := bits(c.minute, 0, 59)
	hours := bits(c.hour, 0, 23)
	allHours := len(hours) == 24
	var when string
	switch {
	case allHours && len(minutes) == 60:
		when = "every minute"
	case allHours && len(minutes) <= 4:
		marks := make([]string, len(minutes))
		for i, m := range minutes {
			marks[i] = fmt.Sprintf(":%02d", m)
		}
		when = "every hour at " + joinAnd(marks)
	case len(minutes)*len(hours) <= 6:
		var times []int
		for _, h := range hours {
			for _, m := range minutes {
				times = append(times, h*60+m)
			}
		}
		when = "at " + joinAnd(formatClocks(times))
	default:
		return ""
	}
	days, ok := c.describeDays()
	if !ok {
		return ""
	}
	if days == "" {
		if strings.HasPrefix(when, "at ") {
			return "daily " + when + " " + zone
		}
		return when // minutes past every hour: the zone hardly matters
	}
	if days == "weekdays" || days == "weekends" {
		if strings.HasPrefix(when, "at ") {
			return days + " " + when + " " + zone
		}
	}
	return when + " on " + days + " " + zone
}

// describeDays says which days the expression runs on ("" for every day),
// or false when that is too irregular to say briefly.
func (c *cronSpec) describeDays() (string, bool) {
	domStar := c.dom&starBit != 0
	dowStar := c.dow&starBit != 0
	monthStar := c.month&starBit != 0 || len(bits(c.month, 1, 12)) == 12
	var parts []string
	if !dowStar {
		var mask dayMask
		for _, d := range bits(c.dow, 0, 6) {
			mask |= 1 << d
		}
		parts = append(parts, mask.describe())
	}
	if !domStar {
		ds := bits(c.dom, 1, 31)
		if len(ds) > 6 {
			return "", false
		}
		names := make([]string, len(ds))
		for i, d := range ds {
			names[i] = ordinal(d)
		}
		parts = append(parts, "the "+joinAnd(names)+" of the month")
	}
	days := strings.Join(parts, " or ") // both restricted: cron ORs them
	if !monthStar {
		ms := bits(c.month, 1, 12)
		names := make([]string, len(ms))
		for i, m := range ms {
			names[i] = time.Month(m).String()[:3]
		}
		if days == "" {
			days = "every day"
		}
		days += " in " + joinAnd(names)
	}
	return days, true
}

// ordinal writes 1st, 2nd, 3rd, 4th, ... 21st, 22nd, 31st.
func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
