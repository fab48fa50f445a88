package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// Dates and ages, for seen:, created:, ordered: and waiting:.
//
// An age is N followed by a unit: m (minutes), h, d, w (fixed durations) or
// mo (calendar months). `7d` and `<7d` mean "less than 7 days ago", `>30d`
// "more than 30 days ago".
//
// A date names a period: `YYYY-MM-DD` is that day in the configured time
// zone; `YYYY-MM-DDTHH:MM` that minute (`:SS` that second), optionally with
// `Z` or an offset such as `+05:30`; `today` and `yesterday` are days. Then
// `D` is the period itself, `>D` after it, `>=D` from its start, `<D` before
// it, `<=D` up to its end, `D1..D2` from the start of D1 to the end of D2, and
// `*` leaves a side of a range open.

// maxAgeBack bounds ages: far enough for any inbox, near enough that the
// timestamps stay ordinary.
const maxAgeYears = 100

// ageValue is an age such as 7d or 3mo.
type ageValue struct {
	n    int
	unit string // m, h, d, w, mo
}

var ageUnits = []struct {
	unit, one, many string
	d               time.Duration // 0 for calendar months
}{
	{"mo", "month", "months", 0},
	{"m", "minute", "minutes", time.Minute},
	{"h", "hour", "hours", time.Hour},
	{"d", "day", "days", 24 * time.Hour},
	{"w", "week", "weeks", 7 * 24 * time.Hour},
}

// parseAge reads "7d" (already lower case); ok is false if s is not an age.
func parseAge(s string) (ageValue, bool) {
	digits := 0
	for digits < len(s) && isASCIIDigit(s[digits]) {
		digits++
	}
	if digits == 0 || digits > 6 {
		return ageValue{}, false
	}
	n, err := strconv.Atoi(s[:digits])
	if err != nil {
		return ageValue{}, false
	}
	for _, u := range ageUnits {
		if s[digits:] == u.unit {
			return ageValue{n: n, unit: u.unit}, true
		}
	}
	return ageValue{}, false
}

func (a ageValue) String() string { return strconv.Itoa(a.n) + a.unit }

// capitalM returns the count of an age written with a capital M (7M), or
// "". Units are case-insensitive, but M means months in some notations and
// minutes in others, so 7M is refused with both readings rather than
// silently taken as 7 minutes.
func capitalM(s string) string {
	n, ok := strings.CutSuffix(s, "M")
	if !ok || n == "" || len(n) > 6 || strings.Trim(n, "0123456789") != "" {
		return ""
	}
	return n
}

// capitalMProblem is the problem of a capital-M age, for messages.
func capitalMProblem(n string) string {
	return "is ambiguous: write `" + n + "mo` for " + n + " months or `" + n + "m` for " + n + " minutes"
}

// words writes "7 days", "1 hour".
func (a ageValue) words() string {
	for _, u := range ageUnits {
		if u.unit == a.unit {
			if a.n == 1 {
				return "1 " + u.one
			}
			return strconv.Itoa(a.n) + " " + u.many
		}
	}
	return a.String()
}

// before returns the instant a ago from now.
func (a ageValue) before(now time.Time, loc *time.Location) time.Time {
	for _, u := range ageUnits {
		if u.unit == a.unit && u.d != 0 {
			return now.Add(-time.Duration(a.n) * u.d)
		}
	}
	return now.In(loc).AddDate(0, -a.n, 0)
}

// check says what is wrong with an age, or "". It bounds the count per unit
// so that before never overflows a time.Duration.
func (a ageValue) check() string {
	if a.n < 1 {
		return "must be at least 1, like 10m or 7d"
	}
	limit := maxAgeYears * 12 // months
	for _, u := range ageUnits {
		if u.unit == a.unit && u.d != 0 {
			limit = int(maxAgeYears * 365 * 24 * time.Hour / u.d)
		}
	}
	if a.n > limit {
		return fmt.Sprintf("is too far back (at most %d years)", maxAgeYears)
	}
	return ""
}

// ageCond is a waiting: condition: the contact's last message is older
// ('>') or newer ('<') than the age. It is evaluated at match time.
type ageCond struct {
	op  byte // '>' or '<'
	age ageValue
}

func (c ageCond) canon() string { return string(c.op) + c.age.String() }

func (c ageCond) words() string {
	if c.op == '>' {
		return "waiting more than " + c.age.words()
	}
	return "waiting less than " + c.age.words()
}

// holds reports whether a message at t satisfies the condition at now.
func (c ageCond) holds(t, now time.Time) bool {
	bound := c.age.before(now, time.UTC)
	if c.op == '>' {
		return t.Before(bound)
	}
	return !t.Before(bound)
}

// parseWaiting reads a waiting: value: an age with an explicit direction.
func parseWaiting(v string) (ageCond, string, string) {
	if op, rest := splitOp(v); capitalM(rest) != "" {
		// Waiting is counted in minutes far more often than in months.
		if op == "" {
			op = ">"
		}
		return ageCond{}, capitalMProblem(capitalM(rest)), op + capitalM(rest) + "m"
	}
	v = strings.ToLower(v)
	op, rest := splitOp(v)
	a, ok := parseAge(rest)
	if !ok {
		return ageCond{}, "is not an age like >10m or <2h", ""
	}
	if problem := a.check(); problem != "" {
		return ageCond{}, problem, ""
	}
	switch op {
	case ">", ">=":
		return ageCond{op: '>', age: a}, "", ""
	case "<", "<=":
		return ageCond{op: '<', age: a}, "", ""
	}
	return ageCond{}, "needs a direction: >" + a.String() + " (waiting longer) or <" + a.String() + " (waiting less)", ">" + a.String()
}

// splitOp splits a leading comparison operator off a value.
func splitOp(v string) (op, rest string) {
	for _, o := range []string{">=", "<=", ">", "<"} {
		if r, ok := strings.CutPrefix(v, o); ok {
			return o, r
		}
	}
	return "", v
}

// datePeriod is a span of time named by a date: a day, a minute or a second.
type datePeriod struct {
	start, end time.Time
	canon      string
}

// dateCond is one seen:/created:/ordered: value resolved against the clock.
type dateCond struct {
	canon string // as the canonical query writes it: "7d", ">2026-11-01"
	words string // "in the last 7 days"
	rng   inbox.TimeRange
}

// parseDateCond reads a date value. It returns the condition, or a problem
// (a phrase completing "`seen:x` ...") and possibly a corrected value.
func parseDateCond(value string, now time.Time, loc *time.Location) (dateCond, string, string) {
	if op, rest := splitOp(strings.TrimSpace(value)); capitalM(rest) != "" {
		// "Seen in the last 7M" is about months far more often than minutes.
		return dateCond{}, capitalMProblem(capitalM(rest)), op + capitalM(rest) + "mo"
	}
	v := strings.ToLower(strings.TrimSpace(value))
	if from, to, isRange := strings.Cut(v, ".."); isRange {
		return parseDateRange(from, to, now, loc)
	}
	op, rest := splitOp(v)
	if a, ok := parseAge(rest); ok {
		if problem := a.check(); problem != "" {
			return dateCond{}, problem, ""
		}
		at := a.before(now, loc).UTC()
		if op == ">" || op == ">=" {
			return dateCond{canon: ">" + a.String(), words: "more than " + a.words() + " ago", rng: inbox.TimeRange{Until: at}}, "", ""
		}
		return dateCond{canon: a.String(), words: "in the last " + a.words(), rng: inbox.TimeRange{From: at}}, "", ""
	}
	p, problem := parsePeriod(rest, now, loc)
	if problem != "" {
		return dateCond{}, problem, ""
	}
	c := dateCond{canon: op + p.canon}
	switch op {
	case ">":
		c.words, c.rng.From = "after "+p.canon, p.end
	case ">=":
		c.words, c.rng.From = "on or after "+p.canon, p.start
	case "<":
		c.words, c.rng.Until = "before "+p.canon, p.start
	case "<=":
		c.words, c.rng.Until = "on or before "+p.canon, p.end
	default:
		c.words, c.rng = "on "+p.canon, inbox.TimeRange{From: p.start, Until: p.end}
		if p.canon == "today" || p.canon == "yesterday" {
			c.words = p.canon
		}
	}
	return c, "", ""
}

func parseDateRange(from, to string, now time.Time, loc *time.Location) (dateCond, string, string) {
	if from == "*" && to == "*" {
		return dateCond{}, "has no date on either side of ..", ""
	}
	var c dateCond
	var start, end datePeriod
	if from != "*" {
		var problem string
		if start, problem = parsePeriod(from, now, loc); problem != "" {
			return dateCond{}, problem, ""
		}
		c.rng.From = start.start
	}
	if to != "*" {
		var problem string
		if end, problem = parsePeriod(to, now, loc); problem != "" {
			return dateCond{}, problem, ""
		}
		c.rng.Until = end.end
	}
	switch {
	case from == "*":
		c.canon, c.words = "*.."+end.canon, "up to "+end.canon
	case to == "*":
		c.canon, c.words = start.canon+"..*", "from "+start.canon+" on"
	default:
		if !c.rng.From.Before(c.rng.Until) {
			return dateCond{}, "is an empty range: " + start.canon + " is after " + end.canon, end.canon + ".." + start.canon
		}
		c.canon, c.words = start.canon+".."+end.canon, "from "+start.canon+" to "+end.canon
	}
	return c, "", ""
}

// parsePeriod reads today, yesterday or YYYY-MM-DD[THH:MM[:SS]][Z|±HH:MM]
// (lower case) and returns the period in UTC.
func parsePeriod(v string, now time.Time, loc *time.Location) (datePeriod, string) {
	switch v {
	case "today", "yesterday":
		local := now.In(loc)
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		if v == "yesterday" {
			day = time.Date(local.Year(), local.Month(), local.Day()-1, 0, 0, 0, 0, loc)
		}
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		return datePeriod{start: day.UTC(), end: next.UTC(), canon: v}, ""
	case "":
		return datePeriod{}, "needs a date like 2026-11-01, an age like 7d, today or yesterday"
	}
	f, ok := readDateFields(v)
	if !ok {
		return datePeriod{}, "is not a date (YYYY-MM-DD, optionally THH:MM and an offset) or an age (like 7d)"
	}
	if problem := f.check(); problem != "" {
		return datePeriod{}, problem
	}
	zone := loc
	switch {
	case f.utc:
		zone = time.UTC
	case f.hasOffset:
		zone = time.FixedZone("", f.offset)
	}
	start := time.Date(f.year, time.Month(f.month), f.day, f.hour, f.min, f.sec, 0, zone)
	var end time.Time
	switch f.precision {
	case 'd':
		end = time.Date(f.year, time.Month(f.month), f.day+1, 0, 0, 0, 0, zone)
	case 'm':
		end = start.Add(time.Minute)
	default:
		end = start.Add(time.Second)
	}
	return datePeriod{start: start.UTC(), end: end.UTC(), canon: f.String()}, ""
}

// dateFields are the parts of a written date, checked before use.
type dateFields struct {
	year, month, day, hour, min, sec int
	precision                        byte // 'd' day, 'm' minute, 's' second
	utc, hasOffset                   bool
	offset                           int // seconds east of UTC
	offsetText                       string
}

// readDateFields reads the fixed layout; it checks digits, not ranges.
func readDateFields(v string) (dateFields, bool) {
	var f dateFields
	num := func(s string) (int, bool) {
		for i := 0; i < len(s); i++ {
			if !isASCIIDigit(s[i]) {
				return 0, false
			}
		}
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	if len(v) < 10 || v[4] != '-' || v[7] != '-' {
		return f, false
	}
	var ok1, ok2, ok3 bool
	f.year, ok1 = num(v[:4])
	f.month, ok2 = num(v[5:7])
	f.day, ok3 = num(v[8:10])
	f.precision = 'd'
	if !ok1 || !ok2 || !ok3 {
		return f, false
	}
	rest := v[10:]
	if rest == "" {
		return f, true
	}
	if len(rest) < 6 || rest[0] != 't' || rest[3] != ':' {
		return f, false
	}
	f.hour, ok1 = num(rest[1:3])
	f.min, ok2 = num(rest[4:6])
	f.precision = 'm'
	if !ok1 || !ok2 {
		return f, false
	}
	rest = rest[6:]
	if len(rest) >= 3 && rest[0] == ':' {
		if f.sec, ok1 = num(rest[1:3]); !ok1 {
			return f, false
		}
		f.precision = 's'
		rest = rest[3:]
	}
	switch {
	case rest == "":
	case rest == "z":
		f.utc = true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, okh := num(rest[1:3])
		m, okm := num(rest[4:6])
		if !okh || !okm || h > 14 || m > 59 {
			return f, false
		}
		f.hasOffset, f.offsetText = true, rest
		f.offset = h*3600 + m*60
		if rest[0] == '-' {
			f.offset = -f.offset
		}
	default:
		return f, false
	}
	return f, true
}

// check says which field is out of range, or "".
func (f dateFields) check() string {
	switch {
	case f.year < 1970 || f.year > 9999:
		return fmt.Sprintf("has year %04d, outside 1970–9999", f.year)
	case f.month < 1 || f.month > 12:
		return fmt.Sprintf("has month %02d, which does not exist", f.month)
	case f.day < 1 || f.day > daysIn(f.year, f.month):
		return fmt.Sprintf("has day %02d, which %s does not have", f.day, time.Month(f.month))
	case f.hour > 23 || f.min > 59 || f.sec > 59:
		return "has a time that does not exist"
	}
	return ""
}

// String writes the fields back in their canonical form.
func (f dateFields) String() string {
	s := fmt.Sprintf("%04d-%02d-%02d", f.year, f.month, f.day)
	if f.precision == 'd' {
		return s
	}
	s += fmt.Sprintf("T%02d:%02d", f.hour, f.min)
	if f.precision == 's' {
		s += fmt.Sprintf(":%02d", f.sec)
	}
	switch {
	case f.utc || (f.hasOffset && f.offset == 0):
		s += "Z"
	case f.hasOffset:
		s += f.offsetText
	}
	return s
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// intersectRanges narrows a range by another: the later start, the earlier end.
func intersectRanges(a, b inbox.TimeRange) inbox.TimeRange {
	if a.From.IsZero() || (!b.From.IsZero() && b.From.After(a.From)) {
		a.From = b.From
	}
	if a.Until.IsZero() || (!b.Until.IsZero() && b.Until.Before(a.Until)) {
		a.Until = b.Until
	}
	return a
}

// isEmptyRange reports whether no instant lies in the range.
func isEmptyRange(r inbox.TimeRange) bool {
	return !r.From.IsZero() && !r.Until.IsZero() && !r.From.Before(r.Until)
}
