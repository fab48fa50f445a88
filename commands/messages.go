package commands

import (
	"fmt"
	"strconv"
)

// The sentences people read that are not the explanation of an error
// (Explain, ExplainSlack): refusals, notices and confirmations. They live
// here, with every other word of the product, and testdata/messages.golden
// lists each one (go test -update rewrites it).
const (
	// NotAllowed answers a user or channel that ALLOWED_USERS or
	// ALLOWED_CHANNELS leaves out.
	NotAllowed = "Sorry, inboxbot is not enabled for you in this channel. Ask your Slack admin to add it to ALLOWED_CHANNELS / ALLOWED_USERS."
	// UnreadableButton answers a click whose button state does not decode.
	UnreadableButton = "This button could not be read (it may come from an older inboxbot). Run the query again."
	// Busy answers a command turned away because every worker is busy and
	// the queue is full.
	Busy = "inboxbot is very busy right now; try again in a moment."
	// Crashed answers a command whose handling panicked.
	Crashed = "Something went wrong on our side while answering; the details are in the bot's log. Try again, or try another query."
	// ExportNoTempFile says an export could not create its temporary file.
	ExportNoTempFile = "The export could not start (no room for a temporary file)."
	// DemoNotice opens the shell and `query` without an INBOX_API_TOKEN.
	DemoNotice = "No INBOX_API_TOKEN: answering from the embedded demo inbox (generated contacts, nothing real)."
)

// ExportStarted is the mrkdwn note that an export of the canonical query
// began.
func ExportStarted(canonical string) string {
	return "Exporting " + CodeSpan(canonical) + "… the CSV will appear in this channel."
}

// ExportEmpty is the mrkdwn note that an export found no contact.
func ExportEmpty(canonical string) string {
	return "No contacts match " + CodeSpan(canonical) + "; nothing to export."
}

// ExportProgress is the note of a long export: rows written and contacts
// scanned so far.
func ExportProgress(rows, scanned int64) string {
	return fmt.Sprintf("Still exporting: %d contacts so far (%d scanned)…", rows, scanned)
}

// ExportStopped says an export failed part way, and why (Explain).
func ExportStopped(err error) string {
	return "The export stopped: " + Explain(err)
}

// ExportComment is the mrkdwn comment of an uploaded export: who asked,
// how many rows, for which query, and, when cappedAt > 0, that the export
// stopped at cappedAt rows. userID is a Slack user id (it becomes a mention).
func ExportComment(userID string, rows int, canonical string, cappedAt int) string {
	s := "<@" + EscapeMrkdwn(userID) + "> exported " + strconv.Itoa(rows) + " contacts for " + CodeSpan(canonical) + "."
	if cappedAt > 0 {
		s += fmt.Sprintf(" The export stopped at %d rows; narrow the query for the rest.", cappedAt)
	}
	return s
}

// DigestInSlackOnly is what the shell and `query` say to a digest command
// other than preview: digests live in a channel.
func DigestInSlackOnly(verb string) string {
	return "`digest " + verb + "` works in Slack, in the channel the digest posts to; here, `digest preview [title \"...\"] QUERY` shows what a digest would post."
}
