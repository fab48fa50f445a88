package schedule

import (
	"strings"
	"unicode"
)

// Kind is what an Error failed to read.
type Kind uint8

// The kinds of input this package reads.
const (
	KindSchedule Kind = iota + 1 // a digest schedule (Parse)
	KindHours                    // alert active hours (ParseHours)
	KindDuration                 // a duration (ParseDuration)
)

// Forms lists the schedule forms as the error message shows them.
const Forms = "`every 30m`, `daily 09:00`, `weekdays 09:00`, `mon,wed,fri 09:00`, `@hourly`, `0 9 * * 1-5` (cron)"

// HoursForms lists the active-hours forms as the error message shows them.
const HoursForms = "`Mon-Fri 08:00-18:00`, `Mon,Wed 09:00-17:00`, `daily 22:00-06:00` (overnight), `08:00-18:00` (every day)"

// DurationForms lists the duration forms as the error message shows them.
const DurationForms = "`30s`, `10m`, `4h`, `1d`, `1h30m`"

// Error is input this package cannot read. Its message is one paragraph for
// the user: it quotes the input in a code span (backticks in it replaced, so
// the span cannot break), gives the specific reason when there is one, and
// shows the forms that work. The caller still escapes &, < and > for mrkdwn.
type Error struct {
	Kind   Kind
	Input  string // the text as given
	Reason string // why, in words, without a final period; "" if no better reason than "not a form we know"
}

// Error returns the message, e.g. "I can't read the schedule `every 30s`:
// the minimum is 1m. Schedules look like: `every 30m`, ...".
func (e *Error) Error() string {
	var what, forms string
	switch e.Kind {
	case KindHours:
		what, forms = "the hours", "Active hours look like: "+HoursForms+"."
	case KindDuration:
		what, forms = "the duration", "Durations look like: "+DurationForms+"."
	default:
		what, forms = "the schedule", "Schedules look like: "+Forms+"."
	}
	var b strings.Builder
	if strings.TrimSpace(e.Input) == "" {
		b.WriteString(strings.ToUpper(what[:1]) + what[1:] + " is empty.")
	} else {
		b.WriteString("I can't read " + what + " `" + quoteable(e.Input) + "`")
		if e.Reason != "" {
			b.WriteString(": " + e.Reason)
		}
		b.WriteString(".")
	}
	b.WriteString(" " + forms)
	return b.String()
}

// quoteable makes user text fit inside a one-line code span: valid UTF-8,
// no control characters, backticks replaced by a look-alike, at most 60
// characters.
func quoteable(s string) string {
	const max = 60
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '`':
			r = 'ˋ'
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
