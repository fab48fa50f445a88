package commands

import (
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// AlertView is what an incident's message shows.
type AlertView struct {
	AlertID       string
	Rule          AlertRule
	Mention       string
	Incident      int
	Count         int
	Capped        bool
	Lines         []string
	FiringSince   time.Time
	AckedBy       string
	AckedAt       time.Time
	SilencedUntil time.Time
	SilencedBy    string
	ResolvedAt    time.Time
}

// RenderAlertIncident renders an incident's message.
func RenderAlertIncident(v AlertView, o RenderOptions) Message { return Message{} }

// RenderAlertReminder renders a reminder.
func RenderAlertReminder(v AlertView, o RenderOptions) Message { return Message{} }

// RenderAlertResolvedReply renders the resolved reply.
func RenderAlertResolvedReply(v AlertView, o RenderOptions) Message { return Message{} }

// RenderAlertAnnounce renders a `new` batch.
func RenderAlertAnnounce(a Alert, r AlertRule, mention string, entries []string, o RenderOptions) Message {
	return Message{}
}

// AlertSummaryLines are the link-free summary lines of contacts.
func AlertSummaryLines(users []inbox.User, o RenderOptions) []string { return nil }

// AlertEntryLines are contacts in the entry format of answers.
func AlertEntryLines(users []inbox.User, o RenderOptions) []string { return nil }

// RenderAlertAdded is the confirmation of `alert add`.
func RenderAlertAdded(a Alert, r AlertRule, count int, capped bool, o RenderOptions) Message {
	return Message{}
}

// AlertListItem is one row of `alert list`.
type AlertListItem struct {
	Alert         Alert
	Rule          *AlertRule
	State         string
	Since         time.Time
	AckedBy       string
	SilencedUntil time.Time
	SilencedBy    string
}

// RenderAlertList renders `alert list`.
func RenderAlertList(items []AlertListItem, all bool, o RenderOptions) Message { return Message{} }

// AlertTest is the outcome of `alert test`.
type AlertTest struct {
	Count  int
	Capped bool
	Holds  bool
	Would  Message
}

// AlertTestText renders `alert test` for the shell.
func AlertTestText(r AlertRule, t AlertTest, o RenderOptions) string { return "" }

// RenderAlertTest renders `alert test` for Slack.
func RenderAlertTest(r AlertRule, t AlertTest, o RenderOptions) Message { return Message{} }
