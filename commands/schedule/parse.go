package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxLength is the longest schedule text Parse reads.
const MaxLength = 200

// Parse reads a schedule (SPEC §7) to be evaluated in loc (UTC when nil):
//
//	0 9 * * 1-5          5-field cron (names like mon-fri and jan work; 7 is Sunday too)
//	@hourly @daily @weekly @monthly @yearly @midnight @annually
//	every 30m, every 2h  every N from midnight of the zone, restarting at each midnight;
//	                     1m to 24h in whole minutes (also `every 30 min`, `every hour`, `@every 30m`)
//	daily 09:00          also `every day 09:00`, `daily at 9:00`, `daily 9am`, `daily 09:00,17:00`
//	weekdays 09:00       Mon-Fri; `weekends 10:00` Sat and Sun
//	mon,wed,fri 09:00    day names in any case, full or short, ranges (mon-fri, fri-mon)
//
// Case, extra spaces, typographic dashes and one pair of quotes around the
// whole text do not matter. A bare time (`09:00`) or a bare
// `daily` is refused as ambiguous, with a reason. An error is an *Error of
// KindSchedule.
func Parse(text string, loc *time.Location) (Schedule, error) {
	s, reason := parse(text, locOrUTC(loc))
	if reason != "" || s.form == formNone {
		return Schedule{}, &Error{Kind: KindSchedule, Input: text, Reason: reason}
	}
	return s, nil
}

// notAForm is the reason for input that matches no form at all: the forms
// in the message say it all.
const notAForm = ""

func parse(text string, loc *time.Location) (Schedule, string) {
	if !utf8.ValidString(text) {
		return Schedule{}, "it is not valid UTF-8 text"
	}
	if len(text) > MaxLength {
		return Schedule{}, fmt.Sprintf("it is longer than %d characters", MaxLength)
	}
	tokens := strings.Fields(normalize(text))
	if len(tokens) == 0 {
		return Schedule{}, "it is empty"
	}
	first := tokens[0]
	switch {
	case strings.HasPrefix(first, "tz=") || strings.HasPrefix(first, "cron_tz="):
		return Schedule{}, "the time zone comes from DIGEST_TZ (or TZ), not from the schedule"
	case first == "@every":
		return parseEvery(tokens[1:], loc)
	case strings.HasPrefix(first, "@"):
		return parseDescriptor(tokens, loc)
	case first == "hourly" && len(tokens) == 1:
		return parseDescriptor([]string{"@hourly"}, loc)
	case looksLikeCron(tokens):
		return parseCronForm(tokens, loc)
	case first == "every":
		if len(tokens) > 1 && (tokens[1] == "day" || isDayWord(tokens[1])) {
			rest := tokens[1:]
			if rest[0] == "day" {
				rest[0] = "daily"
			}
			return parseDayForm(rest, loc)
		}
		return parseEvery(tokens[1:], loc)
	case isDayWord(first):
		return parseDayForm(tokens, loc)
	}
	if reason := unknownDay(tokens); reason != "" {
		return Schedule{}, reason
	}
	if _, err := parseClock(first, false); err == nil {
		return Schedule{}, "say on which days, e.g. `daily " + formatClockToken(first) + "` or `weekdays " + formatClockToken(first) + "`"
	}
	return Schedule{}, notAForm
}

// unknownDay explains `mun 09:00`: words before a time of day that are
// meant as days but are not.
func unknownDay(tokens []string) string {
	for i, tok := range tokens {
		if _, err := parseClock(tok, false); err == nil && i > 0 {
			if _, err := parseDays(tokens[:i]); err != nil {
				return err.Error()
			}
		}
	}
	return ""
}

// dashes are what word processors and phones put in `Mon–Fri`.
var dashes = strings.NewReplacer("\u2013", "-", "\u2014", "-", "\u2212", "-")

// normalize lower-cases text, turns typographic dashes into hyphens and
// drops one pair of quotes around it (`hours "Mon-Fri 08:00-18:00"` copied
// with its quotes).
func normalize(text string) string {
	text = strings.TrimSpace(text)
	for _, q := range []string{`"`, "'", "\u201c\u201d", "\u2018\u2019"} {
		open, close := q[:len(q)/2], q[len(q)/2:]
		if len(q) == 1 {
			open, close = q, q
		}
		if len(text) >= len(open)+len(close) && strings.HasPrefix(text, open) && strings.HasSuffix(text, close) {
			text = text[len(open) : len(text)-len(close)]
			break
		}
	}
	return dashes.Replace(strings.ToLower(text))
}

// formatClockToken writes a time as typed in its canonical HH:MM.
func formatClockToken(tok string) string {
	m, err := parseClock(tok, false)
	if err != nil {
		return quoteable(tok)
	}
	return formatClock(m)
}

// looksLikeCron reports whether the tokens are cron fields: at least four
// tokens made only of digits, * ? , - / and names, the first a minute.
func looksLikeCron(tokens []string) bool {
	if len(tokens) < 4 {
		return false
	}
	for _, tok := range tokens {
		if strings.ContainsAny(tok, ":@") {
			return false
		}
		if strings.Trim(tok, "0123456789*?,-/abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	c := tokens[0][0]
	return c == '*' || c == '?' || c >= '0' && c <= '9'
}

func parseCronForm(tokens []string, loc *time.Location) (Schedule, string) {
	spec, err := parseCron(strings.Join(tokens, " "))
	if err != nil {
		return Schedule{}, err.Error()
	}
	return Schedule{form: formCron, loc: loc, cron: spec, text: strings.Join(tokens, " ")}, ""
}

// descriptorNames maps each descriptor to its canonical spelling.
var descriptorNames = map[string]string{
	"@hourly": "@hourly", "@daily": "@daily", "@midnight": "@daily", "@weekly": "@weekly",
	"@monthly": "@monthly", "@yearly": "@yearly", "@annually": "@yearly",
}

func parseDescriptor(tokens []string, loc *time.Location) (Schedule, string) {
	name, ok := descriptorNames[tokens[0]]
	if !ok {
		return Schedule{}, fmt.Sprintf("`%s` is not one of @hourly, @daily, @weekly, @monthly, @yearly", quoteable(tokens[0]))
	}
	if len(tokens) > 1 {
		return Schedule{}, fmt.Sprintf("nothing can follow `%s`", name)
	}
	spec, err := parseCron(name)
	if err != nil {
		return Schedule{}, err.Error()
	}
	spec.descriptor = name
	return Schedule{form: formCron, loc: loc, cron: spec, text: name}, ""
}

// parseEvery reads the N of `every N`: a duration in whole minutes from 1m
// to 24h (`every minute` and `every hour` too).
func parseEvery(tokens []string, loc *time.Location) (Schedule, string) {
	text := strings.Join(tokens, " ")
	switch text {
	case "":
		return Schedule{}, "every how long? e.g. `every 30m`"
	case "minute", "min":
		text = "1m"
	case "hour", "hr":
		text = "1h"
	}
	d, reason := parseDuration(text)
	switch {
	case reason != "":
		return Schedule{}, reason
	case d < time.Minute:
		return Schedule{}, "the minimum is 1m"
	case d%time.Minute != 0:
		return Schedule{}, "it must be whole minutes (slots are on the minute)"
	case d > 24*time.Hour:
		return Schedule{}, "the maximum is 24h (slots restart at each midnight); for a time of day use e.g. `daily 09:00`"
	}
	s := Schedule{form: formEvery, loc: loc, every: int(d / time.Minute)}
	s.text = "every " + everyText(d)
	return s, ""
}

// everyText writes the N of every N in hours and minutes (never days, so
// `every 24h` reads back as a time of day's cycle).
func everyText(d time.Duration) string {
	h := int(d / time.Hour)
	m := int((d % time.Hour) / time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

// parseDayForm reads DAYS [at] TIMES.
func parseDayForm(tokens []string, loc *time.Location) (Schedule, string) {
	i := 0
	for i < len(tokens) && tokens[i] != "at" && !startsWithDigit(tokens[i]) && tokens[i] != "noon" && tokens[i] != "midnight" {
		i++
	}
	dayTokens, timeTokens := tokens[:i], tokens[i:]
	if len(timeTokens) == 0 && len(dayTokens) > 1 && !isDayWord(dayTokens[len(dayTokens)-1]) {
		// `daily soon`: the last word was meant as the time.
		dayTokens, timeTokens = dayTokens[:len(dayTokens)-1], dayTokens[len(dayTokens)-1:]
	}
	if len(timeTokens) > 0 && timeTokens[0] == "at" {
		timeTokens = timeTokens[1:]
	}
	days, err := parseDays(dayTokens)
	if err != nil {
		return Schedule{}, err.Error()
	}
	if len(timeTokens) == 0 {
		return Schedule{}, "at what time? e.g. `" + days.canonical() + " 09:00`"
	}
	times, reason := parseTimes(timeTokens)
	if reason != "" {
		return Schedule{}, reason
	}
	s := Schedule{form: formDays, loc: loc, days: days, times: times}
	s.text = days.canonical() + " " + strings.Join(formatClocks(times), ",")
	return s, ""
}

// parseTimes reads one or more times of day separated by commas or "and";
// `9 am` may be written with a space. They come back sorted and unique.
func parseTimes(tokens []string) ([]int, string) {
	var items []string
	for _, tok := range tokens {
		for item := range strings.SplitSeq(tok, ",") {
			switch {
			case item == "" || item == "and":
			case (item == "am" || item == "pm") && len(items) > 0:
				items[len(items)-1] += item
			default:
				items = append(items, item)
			}
		}
	}
	if len(items) == 0 {
		return nil, "at what time? e.g. `daily 09:00`"
	}
	var times []int
	for _, item := range items {
		m, err := parseClock(item, false)
		if err != nil {
			return nil, err.Error()
		}
		times = append(times, m)
	}
	slices.Sort(times)
	return slices.Compact(times), ""
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// Describe puts the schedule in words for a confirmation or a list:
// "weekdays at 09:00 Europe/Berlin", "every 30 minutes", "at 09:00 on Mon,
// Wed and Fri Europe/Berlin", "every 7 hours from 00:00 Europe/Berlin
// (00:00, 07:00, 14:00 and 21:00)".
func (s Schedule) Describe() string {
	zone := s.Location().String()
	switch s.form {
	case formEvery:
		return describeEvery(s.every, zone)
	case formDays:
		at := "at " + joinAnd(formatClocks(s.times))
		switch s.days {
		case allDays, weekdayDays, weekendDays:
			return s.days.describe() + " " + at + " " + zone
		}
		return at + " on " + s.days.describe() + " " + zone
	case formCron:
		if words := s.cron.describe(zone); words != "" {
			return words
		}
		return "on the cron schedule `" + s.text + "` " + zone
	}
	return "never"
}

// describeEvery words `every N`: plain when N divides an hour, with its
// anchor when the zone decides the slots, and with the slots themselves
// when they do not divide the day evenly.
func describeEvery(minutes int, zone string) string {
	d := time.Duration(minutes) * time.Minute
	switch {
	case minutes == 1:
		return "every minute"
	case minutes < 60 && 60%minutes == 0:
		return "every " + describeDuration(d)
	case minutes == 60:
		return "every hour, on the hour"
	}
	var slots []int
	for m := 0; m < 24*60; m += minutes {
		slots = append(slots, m)
	}
	words := "every " + describeDuration(d) + " from 00:00 " + zone
	if minutes == 24*60 {
		return "daily at 00:00 " + zone
	}
	if (24*60)%minutes != 0 {
		if len(slots) <= 6 {
			return words + " (" + joinAnd(formatClocks(slots)) + ")"
		}
		last := formatClock(slots[len(slots)-1])
		return words + ", the last at " + last + ", restarting at midnight"
	}
	return words
}
