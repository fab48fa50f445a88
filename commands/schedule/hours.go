package schedule

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Hours is a set of active hours (an alert's `hours "Mon-Fri 08:00-18:00"`)
// in one time zone, read on the wall clock: a window runs from its start
// time on each of its days to its end time, the next day when the end is
// not after the start (`daily 22:00-06:00` covers Friday 22:00 to Saturday
// 06:00). The zero Hours contains no time.
type Hours struct {
	loc     *time.Location
	windows []window
	text    string
}

// window is one clause: on days, from start to end (minutes since midnight,
// end 1..1440; end <= start means it ends the next day).
type window struct {
	days       dayMask
	start, end int
}

// overnight reports whether the window ends the day after it starts.
func (w window) overnight() bool { return w.end <= w.start }

// ParseHours reads active hours in loc (UTC when nil): `Mon-Fri
// 08:00-18:00`, `Mon,Wed 09:00-17:00`, `weekdays 08:00-18:00`, `daily
// 22:00-06:00` (overnight: the days are those it starts on), `08:00-18:00`
// (every day), `08:00-24:00`; several windows separated by `;` (`Mon-Fri
// 08:00-18:00; Sat 10:00-14:00`). Times are as in Parse (`9am-5pm` works);
// the end is exclusive. A window with equal start and end is refused (use
// `00:00-24:00` for a whole day). An error is an *Error of KindHours.
func ParseHours(text string, loc *time.Location) (Hours, error) {
	h, reason := parseHours(text, locOrUTC(loc))
	if reason != "" {
		return Hours{}, &Error{Kind: KindHours, Input: text, Reason: reason}
	}
	return h, nil
}

func parseHours(text string, loc *time.Location) (Hours, string) {
	switch {
	case !utf8.ValidString(text):
		return Hours{}, "it is not valid UTF-8 text"
	case len(text) > MaxLength:
		return Hours{}, "it is too long"
	}
	h := Hours{loc: loc}
	var canon []string
	for clause := range strings.SplitSeq(normalize(text), ";") {
		tokens := strings.Fields(clause)
		if len(tokens) == 0 {
			continue
		}
		w, reason := parseWindow(tokens)
		if reason != "" {
			return Hours{}, reason
		}
		h.windows = append(h.windows, w)
		canon = append(canon, w.canonical())
	}
	if len(h.windows) == 0 {
		return Hours{}, "it is empty"
	}
	h.text = strings.Join(canon, "; ")
	return h, ""
}

// parseWindow reads [DAYS] START-END, where the range may be spaced
// (`08:00 - 18:00`) and written with "to" (`08:00 to 18:00`).
func parseWindow(tokens []string) (window, string) {
	if len(tokens) > 1 && tokens[0] == "every" && tokens[1] == "day" {
		tokens = append([]string{"daily"}, tokens[2:]...)
	}
	i := 0
	for i < len(tokens) && !startsWithDigit(tokens[i]) && tokens[i] != "noon" && tokens[i] != "midnight" {
		i++
	}
	w := window{days: allDays}
	if i > 0 {
		days, err := parseDays(tokens[:i])
		if err != nil {
			return window{}, err.Error()
		}
		w.days = days
	}
	rangeText := strings.Join(tokens[i:], "")
	rangeText = strings.Replace(rangeText, "to", "-", 1)
	from, to, ok := strings.Cut(rangeText, "-")
	if !ok || from == "" || to == "" {
		return window{}, "give the hours as a range, e.g. `08:00-18:00`"
	}
	var err error
	if w.start, err = parseClock(from, false); err != nil {
		return window{}, err.Error()
	}
	if w.end, err = parseClock(to, true); err != nil {
		return window{}, err.Error()
	}
	if w.end == 0 {
		w.end = 24 * 60 // `22:00-00:00` ends at midnight
	}
	if w.start == w.end {
		return window{}, "it starts and ends at the same time; for the whole day write `00:00-24:00`"
	}
	return w, ""
}

// canonical writes the window as ParseHours reads it back.
func (w window) canonical() string {
	return w.days.canonical() + " " + formatClock(w.start) + "-" + formatClock(w.end)
}

// String returns the canonical text, which ParseHours reads back to the
// same hours: `weekdays 08:00-18:00`, `daily 22:00-06:00`.
func (h Hours) String() string { return h.text }

// IsZero reports whether h is the zero Hours.
func (h Hours) IsZero() bool { return len(h.windows) == 0 }

// Location returns the time zone the hours are read in.
func (h Hours) Location() *time.Location { return locOrUTC(h.loc) }

// Describe puts the hours in words: "weekdays 08:00-18:00 Europe/Berlin",
// "daily 22:00-06:00 (overnight) UTC", "Mon and Wed 09:00-17:00 UTC".
func (h Hours) Describe() string {
	if h.IsZero() {
		return "never"
	}
	parts := make([]string, len(h.windows))
	for i, w := range h.windows {
		parts[i] = w.days.describe() + " " + formatClock(w.start) + "-" + formatClock(w.end)
		if w.overnight() {
			parts[i] += " (overnight)"
		}
	}
	return joinAnd(parts) + " " + h.Location().String()
}

// Contains reports whether t falls within the active hours, on the wall
// clock of the hours' zone (the start included, the end not).
func (h Hours) Contains(t time.Time) bool {
	local := t.In(h.Location())
	minute := local.Hour()*60 + local.Minute()
	today := local.Weekday()
	yesterday := (today + 6) % 7
	for _, w := range h.windows {
		if w.overnight() {
			if w.days.has(today) && minute >= w.start || w.days.has(yesterday) && minute < w.end {
				return true
			}
		} else if w.days.has(today) && minute >= w.start && minute < w.end {
			return true
		}
	}
	return false
}

// NextChange returns the first instant strictly after after at which
// Contains changes its answer, or the zero time when it never does within
// a week (hours that cover all time, or the zero Hours).
func (h Hours) NextChange(after time.Time) time.Time {
	if h.IsZero() {
		return time.Time{}
	}
	loc := h.Location()
	state := h.Contains(after)
	// Contains can only change at a window's start or end on the wall clock
	// (every occurrence of it) or where the zone's offset changes.
	var candidates []int64
	first := civilDate(after.In(loc)).AddDate(0, 0, -1)
	for i := range 10 {
		d := first.AddDate(0, 0, i)
		zones := zonesFor(d, loc)
		for _, w := range h.windows {
			for _, m := range []int{w.start, w.end} {
				candidates = append(candidates, zones.all(d.Unix()+int64(m)*60)...)
			}
		}
		candidates = append(candidates, zones.transitions(d.Unix()-86400, d.Unix()+2*86400)...)
	}
	slices.Sort(candidates)
	for _, u := range slices.Compact(candidates) {
		if u <= after.Unix() {
			continue
		}
		if t := time.Unix(u, 0).In(loc); h.Contains(t) != state {
			return t
		}
	}
	return time.Time{}
}
