package schedule

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// MaxDuration is the longest duration ParseDuration accepts.
const MaxDuration = 365 * 24 * time.Hour

// day is the `d` unit: 24 hours (durations are elapsed time, not calendar days).
const day = 24 * time.Hour

// durationUnits maps what people type for a unit to its length.
var durationUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": day, "day": day, "days": day,
}

// ParseDuration reads a duration of alert options and schedules: numbers
// with the units s, m, h and d (`30s`, `10m`, `4h`, `1d`), combined
// (`1h30m`, `1h 30m`), with decimals (`1.5h`), and with the units spelled
// out (`10 min`, `2 hours`). A bare `0` is zero. It must be whole seconds,
// not negative and at most MaxDuration. Minimums are the caller's (`every`
// wants 1m, ALERT_INTERVAL 1s). An error is an *Error of KindDuration.
func ParseDuration(text string) (time.Duration, error) {
	d, reason := parseDuration(text)
	if reason != "" {
		return 0, &Error{Kind: KindDuration, Input: text, Reason: reason}
	}
	return d, nil
}

// parseDuration is ParseDuration returning the reason ("" when it parsed).
func parseDuration(text string) (time.Duration, string) {
	s := strings.ToLower(strings.Join(strings.Fields(text), ""))
	switch {
	case s == "":
		return 0, "it is empty"
	case s == "0":
		return 0, ""
	case strings.HasPrefix(s, "-"):
		return 0, "it cannot be negative"
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	var total time.Duration
	for s != "" {
		number, rest := splitNumber(s)
		if number == "" {
			return 0, fmt.Sprintf("`%s` is not a number", quoteable(s))
		}
		unitText, after := splitLetters(rest)
		if unitText == "" {
			if rest == "" {
				return 0, fmt.Sprintf("`%s` needs a unit: s, m, h or d (e.g. `%sm`)", quoteable(number), quoteable(number))
			}
			return 0, fmt.Sprintf("`%s` is not a unit (s, m, h, d)", quoteable(rest))
		}
		unit, ok := durationUnits[unitText]
		if !ok {
			return 0, fmt.Sprintf("`%s` is not a unit (s, m, h, d)", quoteable(unitText))
		}
		term, ok := multiply(number, unit)
		if !ok || total+term > MaxDuration {
			return 0, "it is too long (the maximum is " + FormatDuration(MaxDuration) + ")"
		}
		total += term
		s = after
	}
	if total%time.Second != 0 {
		return 0, "it must be whole seconds"
	}
	return total, ""
}

// splitNumber splits leading digits with at most one decimal point off s.
func splitNumber(s string) (number, rest string) {
	i, dot := 0, false
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' && !dot) {
		dot = dot || s[i] == '.'
		i++
	}
	if i == 0 || s[:i] == "." {
		return "", s
	}
	return s[:i], s[i:]
}

// splitLetters splits leading ASCII letters off s.
func splitLetters(s string) (letters, rest string) {
	i := 0
	for i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
		i++
	}
	return s[:i], s[i:]
}

// multiply returns number × unit, or false when it exceeds MaxDuration.
func multiply(number string, unit time.Duration) (time.Duration, bool) {
	whole, frac, _ := strings.Cut(number, ".")
	if whole == "" {
		whole = "0"
	}
	var n int64
	for _, r := range whole {
		n = n*10 + int64(r-'0')
		if n > int64(MaxDuration/unit) {
			return 0, false
		}
	}
	d := time.Duration(n) * unit
	if frac != "" {
		var f float64
		scale := 1.0
		for _, r := range frac {
			if scale < 1e-12 {
				break // digits below a picosecond of a day cannot matter
			}
			scale /= 10
			f += float64(r-'0') * scale
		}
		d += time.Duration(math.Round(f * float64(unit)))
	}
	return d, d <= MaxDuration
}

// FormatDuration writes d compactly, as ParseDuration reads it back: `30s`,
// `10m`, `1h30m`, `1d`, `1d12h`, `0s`.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d // MinInt64 stays negative; it cannot come from ParseDuration
	}
	for _, u := range []struct {
		size time.Duration
		name string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.size
		}
	}
	if d > 0 { // sub-second rest: not something ParseDuration returns
		fmt.Fprintf(&b, "%dns", int64(d))
	}
	return b.String()
}

// describeDuration writes d in words: "30 minutes", "1 hour 30 minutes".
func describeDuration(d time.Duration) string {
	var parts []string
	for _, u := range []struct {
		size time.Duration
		name string
	}{{day, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if n := d / u.size; n > 0 {
			if n == 1 {
				parts = append(parts, "1 "+u.name)
			} else {
				parts = append(parts, fmt.Sprintf("%d %ss", n, u.name))
			}
			d -= n * u.size
		}
	}
	return strings.Join(parts, " ")
}
