package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/commands/schedule"
)

// The sources of an alert, as `alert list` shows them.
const (
	AlertSourceSlack = "slack"
	AlertSourceFile  = "rules file"
)

// AlertIDPrefix starts the ids the bot gives alerts made in Slack (a1, a2,
// ...: the store's NextID("a")); file alerts have the operator's ids.
const AlertIDPrefix = "a"

// Alert is a saved alert rule (store kind "alert", versioned JSON).
type Alert struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	Rule      string    `json:"rule"` // AlertRule.Canonical(), re-parsed on load
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Source    string    `json:"source"` // AlertSourceSlack or AlertSourceFile
}

// The action ids of an incident message's buttons (SPEC §8 wants "ack"
// and "snooze" in them); the bot routes clicks by them.
const (
	ActionAlertAck      = "alert_ack"
	ActionAlertSnooze1h = "alert_snooze_1h"
	ActionAlertSnooze4h = "alert_snooze_4h"
)

// snoozes maps a snooze button to how long it silences the rule.
var snoozes = map[string]time.Duration{
	ActionAlertSnooze1h: time.Hour,
	ActionAlertSnooze4h: 4 * time.Hour,
}

// IsAlertAction reports whether an action id is one of an incident
// message's buttons.
func IsAlertAction(actionID string) bool {
	_, snooze := snoozes[actionID]
	return actionID == ActionAlertAck || snooze
}

// SnoozeFor is how long a snooze button silences its rule; false for any
// other action id.
func SnoozeFor(actionID string) (time.Duration, bool) {
	d, ok := snoozes[actionID]
	return d, ok
}

// AlertButton is what an incident button carries: the alert and the
// incident the message was posted for, so that a click on the message of an
// incident that is over is told apart from one on the current incident
// (AlertIncidentOver), on any replica, without stored state.
type AlertButton struct {
	AlertID  string
	Incident int
}

// alertButtonVersion prefixes every encoded AlertButton, so that a later
// format can tell old buttons (still in Slack history) from new ones.
const alertButtonVersion = "al1|"

// Bounds of an alert button value: DecodeAlertButton reads nothing longer
// (an id is at most 64 characters, an incident at most 9 digits).
const (
	maxAlertIncident    = 999_999_999
	maxAlertButtonValue = len(alertButtonVersion) + 64 + 1 + 9
)

// ErrAlertButton is wrapped by every DecodeAlertButton error.
var ErrAlertButton = errors.New("commands: bad alert button value")

// Encode writes the button as "al1|ID|INCIDENT". The incident is clamped
// into 0..999,999,999 and the id cut to 64 bytes, so the value always fits
// a button; an id that ParseAlertID accepts (every id the bot and
// RULES_FILE give) decodes to itself, any other fails to decode.
func (b AlertButton) Encode() string {
	n := min(max(b.Incident, 0), maxAlertIncident)
	id := b.AlertID
	if len(id) > 64 {
		id = strings.ToValidUTF8(id[:64], "")
	}
	return alertButtonVersion + id + "|" + strconv.Itoa(n)
}

// DecodeAlertButton reads what Encode wrote. Button values come back from
// Slack and may have been forged: anything malformed, too long or not in
// canonical form is an error wrapping ErrAlertButton, never a panic.
func DecodeAlertButton(v string) (AlertButton, error) {
	if len(v) > maxAlertButtonValue {
		return AlertButton{}, fmt.Errorf("%w: too long (%d bytes)", ErrAlertButton, len(v))
	}
	rest, ok := strings.CutPrefix(v, alertButtonVersion)
	if !ok {
		return AlertButton{}, fmt.Errorf("%w: unknown version (want prefix %q)", ErrAlertButton, alertButtonVersion)
	}
	id, number, ok := strings.Cut(rest, "|")
	if !ok {
		return AlertButton{}, fmt.Errorf("%w: no incident", ErrAlertButton)
	}
	if !digestIDPattern.MatchString(id) {
		return AlertButton{}, fmt.Errorf("%w: bad alert id %q", ErrAlertButton, id)
	}
	n, err := strconv.Atoi(number)
	if err != nil || n < 0 || n > maxAlertIncident || strconv.Itoa(n) != number {
		return AlertButton{}, fmt.Errorf("%w: bad incident %q", ErrAlertButton, number)
	}
	return AlertButton{AlertID: id, Incident: n}, nil
}

// AlertIncidentOver answers a click on the buttons of an incident that is
// over (resolved, or followed by a newer one).
const AlertIncidentOver = "This incident is over: its buttons no longer do anything. A newer incident has buttons of its own."

// ParseAlertID reads the args of `alert remove` / `unmute` (verb): one id
// (any case, backticks of a copied `a1` dropped), returned in lower case;
// an error (*QueryError) with the usage otherwise.
func ParseAlertID(verb, args string) (string, error) {
	return parseRuleID("alert", "a1", verb, args)
}

// alertMuteUsage is the usage of `alert mute`, for its errors.
const alertMuteUsage = "Usage: `/inbox alert mute ID DURATION`, e.g. `/inbox alert mute a1 1h`; durations look like " + schedule.DurationForms + "."

// ParseAlertMute reads the args of `alert mute`: an id, then how long
// (`a1 1h`, `a1 for 30m`, `a1 1h 30m`, `a1 90 min`), read by
// schedule.ParseDuration: positive, at most schedule.MaxDuration. Errors
// are *QueryError quoting what was wrong and showing the usage.
func ParseAlertMute(args string) (id string, d time.Duration, err error) {
	if !utf8.ValidString(args) {
		return "", 0, &QueryError{Message: "The command is not valid UTF-8 text."}
	}
	if n := utf8.RuneCountInString(args); n > 200 {
		return "", 0, &QueryError{Token: args, Message: "The command is " + strconv.Itoa(n) + " characters long; `mute` takes an id and a duration. " + alertMuteUsage}
	}
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return "", 0, &QueryError{Message: "Which alert, and for how long? " + alertMuteUsage}
	}
	first := strings.ToLower(strings.Trim(fields[0], "`"))
	rest := fields[1:]
	if len(rest) > 0 && strings.EqualFold(rest[0], "for") {
		rest = rest[1:]
	}
	if !digestIDPattern.MatchString(first) {
		return "", 0, &QueryError{Token: fields[0], Message: quoteToken(escapeCode(fields[0])) + " is not an alert id. " + alertMuteUsage}
	}
	if len(rest) == 0 {
		return "", 0, &QueryError{Token: fields[0], Message: "For how long? " + alertMuteUsage, Suggestion: "mute " + first + " 1h"}
	}
	text := strings.Join(rest, " ")
	d, perr := schedule.ParseDuration(text)
	if perr != nil {
		// `mute 1h a1`: the duration first.
		if len(fields) == 2 && digestIDPattern.MatchString(strings.ToLower(fields[1])) {
			if _, derr := schedule.ParseDuration(fields[0]); derr == nil {
				return "", 0, &QueryError{Token: args, Message: "Give the id first, then the duration. " + alertMuteUsage,
					Suggestion: "mute " + strings.ToLower(fields[1]) + " " + fields[0]}
			}
		}
		reason := "it is not a duration"
		var se *schedule.Error
		if errors.As(perr, &se) && se.Reason != "" {
			reason = se.Reason
		}
		return "", 0, &QueryError{Token: text, Message: "I can't read " + quoteToken(escapeCode(text)) + " as a duration: " + reason + ". " + alertMuteUsage}
	}
	if d <= 0 {
		return "", 0, &QueryError{Token: text, Message: "A mute of " + quoteToken(escapeCode(text)) + " ends before it starts; `/inbox alert unmute " + first + "` ends a silence. " + alertMuteUsage}
	}
	return first, d, nil
}

// The sentences of the alert commands, for RenderNotice (they hold only our
// text and ids that ParseAlertID accepts, set in code spans) unless said
// mrkdwn (RenderMrkdwn: they hold mentions RenderNotice would defuse).

// AlertNotFound is the answer to an id that names no alert.
func AlertNotFound(id string) string {
	return "There is no alert " + CodeSpan(id) + " here: `/inbox alert list` shows them."
}

// AlertFileRule refuses to remove an alert declared in RULES_FILE.
func AlertFileRule(id string) string {
	return CodeSpan(id) + " is declared in RULES_FILE: edit the file to remove it."
}

// AlertRemoved confirms `alert remove`.
func AlertRemoved(id string) string {
	return "Removed alert " + CodeSpan(id) + ": it posts nothing more."
}

// AlertMuted confirms `alert mute`: until when (in loc) nothing is posted.
func AlertMuted(id string, until time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return "Muted alert " + CodeSpan(id) + " until " + until.In(loc).Format("Mon 2 Jan 15:04 MST") +
		": no posts and no reminders until then (its current message is still updated). `/inbox alert unmute " + escapeCode(Truncate(id, 64)) + "` ends it sooner."
}

// AlertUnmuted confirms `alert unmute`.
func AlertUnmuted(id string) string {
	return "Unmuted alert " + CodeSpan(id) + ": it posts and reminds again."
}

// AlertAdminsOnly (mrkdwn) refuses verb (add, remove, mute, unmute) to
// someone who is not in ADMIN_USERS; it names the admins as mentions.
func AlertAdminsOnly(verb string, admins []string) string {
	return adminsOnly("alert", verb, admins)
}

// AlertOtherChannel (mrkdwn) refuses to change, from another channel, an
// alert that posts to channel.
func AlertOtherChannel(id, channel string) string {
	return "Alert " + CodeSpan(id) + " posts to " + channelMention(channel) + ": manage it from there."
}
