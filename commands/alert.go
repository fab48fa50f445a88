package commands

import (
	"errors"
	"time"
)

// The sources of an alert, as `alert list` shows them.
const (
	AlertSourceSlack = "slack"
	AlertSourceFile  = "rules file"
)

// AlertIDPrefix starts the ids the bot gives alerts (a1, a2, ...; the
// store's NextID("a")).
const AlertIDPrefix = "a"

// Alert is a saved alert rule (store kind "alert", versioned JSON).
type Alert struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	Rule      string    `json:"rule"` // AlertRule.Canonical(), re-parsed on load
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Source    string    `json:"source"`
}

// The action ids of an incident message's buttons.
const (
	ActionAlertAck      = "alert_ack"
	ActionAlertSnooze1h = "alert_snooze_1h"
	ActionAlertSnooze4h = "alert_snooze_4h"
)

// AlertButton is what an incident button carries: the alert and the
// incident it was posted for.
type AlertButton struct {
	AlertID  string
	Incident int
}

// ErrAlertButton is wrapped by every DecodeAlertButton error.
var ErrAlertButton = errors.New("commands: bad alert button value")

// Encode writes the button's value.
func (b AlertButton) Encode() string { return "" }

// DecodeAlertButton reads what Encode wrote.
func DecodeAlertButton(v string) (AlertButton, error) { return AlertButton{}, ErrAlertButton }

// IsAlertAction reports whether an action id is an incident button's.
func IsAlertAction(actionID string) bool { return false }

// SnoozeFor is how long a snooze button silences its rule.
func SnoozeFor(actionID string) (time.Duration, bool) { return 0, false }

// AlertIncidentOver answers a click on an old incident's message.
const AlertIncidentOver = "This incident is over: the buttons act on the current one only."

// ParseAlertID reads the args of remove/unmute: one id.
func ParseAlertID(verb, args string) (string, error) { return "", errors.New("todo") }

// ParseAlertMute reads `mute ID D`.
func ParseAlertMute(args string) (id string, d time.Duration, err error) {
	return "", 0, errors.New("todo")
}

// AlertNotFound is the answer to an id that names no alert.
func AlertNotFound(id string) string { return "" }

// AlertFileRule refuses to remove an alert declared in RULES_FILE.
func AlertFileRule(id string) string { return "" }

// AlertRemoved confirms `alert remove`.
func AlertRemoved(id string) string { return "" }

// AlertMuted confirms `alert mute`.
func AlertMuted(id string, until time.Time, loc *time.Location) string { return "" }

// AlertUnmuted confirms `alert unmute`.
func AlertUnmuted(id string) string { return "" }

// AlertAdminsOnly refuses verb to someone who is not an admin.
func AlertAdminsOnly(verb string, admins []string) string { return "" }

// AlertOtherChannel says that an alert belongs to another channel.
func AlertOtherChannel(id, channel string) string { return "" }
