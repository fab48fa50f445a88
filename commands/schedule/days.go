package schedule

import (
	"fmt"
	"strings"
	"time"
)

// dayMask is a set of weekdays, bit time.Sunday (0) to time.Saturday (6).
type dayMask uint8

const (
	allDays     dayMask = 0x7f
	weekdayDays dayMask = 0x3e // Mon-Fri
	weekendDays dayMask = 0x41 // Sat, Sun
)

func (m dayMask) has(d time.Weekday) bool { return m&(1<<d) != 0 }

// mondayFirst is the week as support teams read it.
var mondayFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// dayNames maps what people type for a day to the day.
var dayNames = map[string]time.Weekday{
	"mon": time.Monday, "monday": time.Monday, "mondays": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday, "tuesdays": time.Tuesday,
	"wed": time.Wednesday, "weds": time.Wednesday, "wednesday": time.Wednesday, "wednesdays": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday, "thursdays": time.Thursday,
	"fri": time.Friday, "friday": time.Friday, "fridays": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday, "saturdays": time.Saturday,
	"sun": time.Sunday, "sunday": time.Sunday, "sundays": time.Sunday,
}

// daySetWords are the words that name a set of days on their own.
var daySetWords = map[string]dayMask{
	"daily": allDays, "everyday": allDays,
	"weekdays": weekdayDays, "weekday": weekdayDays,
	"weekends": weekendDays, "weekend": weekendDays,
}

// isDayWord reports whether a token starts a day list ("mon,wed", "fri-mon",
// "weekdays").
func isDayWord(tok string) bool {
	if _, ok := daySetWords[tok]; ok {
		return true
	}
	first, _, _ := strings.Cut(strings.Trim(tok, ","), ",")
	first, _, _ = strings.Cut(first, "-")
	_, ok := dayNames[first]
	return ok
}

// parseDays reads a day list: set words, names, name-name ranges (which may
// wrap: fri-mon), separated by commas, spaces or "and". The error is a
// reason for the user.
func parseDays(tokens []string) (dayMask, error) {
	var mask dayMask
	for _, tok := range tokens {
		for item := range strings.SplitSeq(tok, ",") {
			if item == "" || item == "and" {
				continue
			}
			if set, ok := daySetWords[item]; ok {
				mask |= set
				continue
			}
			from, to, isRange := strings.Cut(item, "-")
			start, ok := dayNames[from]
			if !ok {
				return 0, fmt.Errorf("`%s` is not a day (mon, tue, wed, thu, fri, sat, sun)", quoteable(from))
			}
			end := start
			if isRange {
				if end, ok = dayNames[to]; !ok {
					return 0, fmt.Errorf("`%s` is not a day (mon, tue, wed, thu, fri, sat, sun)", quoteable(to))
				}
			}
			for d := start; ; d = (d + 1) % 7 {
				mask |= 1 << d
				if d == end {
					break
				}
			}
		}
	}
	if mask == 0 {
		return 0, fmt.Errorf("it names no day")
	}
	return mask, nil
}

// canonical writes the set as Parse reads it: daily, weekdays, weekends, or
// a Monday-first list with runs of three or more days as ranges (mon-thu,sat).
func (m dayMask) canonical() string {
	switch m {
	case allDays:
		return "daily"
	case weekdayDays:
		return "weekdays"
	case weekendDays:
		return "weekends"
	}
	return m.list(func(d time.Weekday) string { return strings.ToLower(d.String()[:3]) }, ",", "-", ",")
}

// describe writes the set in words: daily, weekdays, weekends, "Mon, Wed and
// Fri", "Mon-Thu and Sat".
func (m dayMask) describe() string {
	switch m {
	case allDays:
		return "daily"
	case weekdayDays:
		return "weekdays"
	case weekendDays:
		return "weekends"
	}
	return m.list(func(d time.Weekday) string { return d.String()[:3] }, ", ", "-", " and ")
}

// list writes the days Monday first, runs of three or more as ranges.
func (m dayMask) list(name func(time.Weekday) string, sep, dash, lastSep string) string {
	var parts []string
	for i := 0; i < 7; {
		if !m.has(mondayFirst[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && m.has(mondayFirst[j+1]) {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, name(mondayFirst[i])+dash+name(mondayFirst[j]))
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, name(mondayFirst[k]))
			}
		}
		i = j + 1
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], sep) + lastSep + parts[len(parts)-1]
}

// parseClock reads a wall time of day: 09:00, 9:00, 9am, 9:30pm, 12am,
// noon, midnight. It returns minutes since midnight. allow24 admits 24:00
// (the end of an active-hours window). The error is a reason.
func parseClock(tok string, allow24 bool) (int, error) {
	switch tok {
	case "noon":
		return 12 * 60, nil
	case "midnight":
		return 0, nil
	}
	text := tok
	meridiem := ""
	if strings.HasSuffix(text, "am") || strings.HasSuffix(text, "pm") {
		meridiem = text[len(text)-2:]
		text = text[:len(text)-2]
	}
	hourText, minuteText, hasColon := strings.Cut(text, ":")
	if !hasColon && meridiem == "" {
		if isDigits(text) {
			return 0, fmt.Errorf("write the time `%s` as HH:MM, e.g. 09:00", quoteable(tok))
		}
		return 0, fmt.Errorf("`%s` is not a time of day (HH:MM, e.g. 09:00)", quoteable(tok))
	}
	if !hasColon {
		minuteText = "00"
	}
	if !isDigits(hourText) || len(hourText) > 2 || !isDigits(minuteText) || len(minuteText) != 2 {
		return 0, fmt.Errorf("`%s` is not a time of day (HH:MM, e.g. 09:00)", quoteable(tok))
	}
	h := atoi(hourText)
	m := atoi(minuteText)
	if meridiem != "" {
		if h < 1 || h > 12 {
			return 0, fmt.Errorf("`%s` is not a time of day (with am/pm the hour is 1 to 12)", quoteable(tok))
		}
		h %= 12
		if meridiem == "pm" {
			h += 12
		}
	}
	if m > 59 || h > 24 || (h == 24 && (m != 0 || !allow24)) {
		return 0, fmt.Errorf("`%s` is not a time of day (00:00 to 23:59)", quoteable(tok))
	}
	return h*60 + m, nil
}

// formatClock writes minutes since midnight as HH:MM (1440 as 24:00).
func formatClock(minutes int) string {
	return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60)
}

func formatClocks(times []int) []string {
	out := make([]string, len(times))
	for i, t := range times {
		out[i] = formatClock(t)
	}
	return out
}

// joinAnd writes a, b and c.
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// atoi reads a short run of digits (checked by isDigits, at most a few).
func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
		if n > 1<<20 {
			return 1 << 20 // large enough to fail every range check
		}
	}
	return n
}
