package commands

import (
	"testing"

	"github.com/convertalk/inboxbot/inbox"
)

// TestEnumLabelsAreTheQueryWords: a row's status, channel and last sender
// read as the query's interpretation says them (one table each), for every
// value of the API.
func TestEnumLabelsAreTheQueryWords(t *testing.T) {
	for i, s := range inbox.Statuses {
		if got, want := statusName(s), capitalize(statusValues[i].display); got != want || statusValues[i].value != string(s) {
			t.Errorf("status %s: row %q, words %q", s, got, statusValues[i].display)
		}
	}
	for i, c := range inbox.Channels {
		if got := channelName(c); got != channelValues[i].display || channelValues[i].value != string(c) {
			t.Errorf("channel %s: row %q, words %q", c, got, channelValues[i].display)
		}
	}
	for i, s := range inbox.Senders {
		if got := senderName(s); got != senderValues[i].display || senderValues[i].value != string(s) {
			t.Errorf("sender %s: row %q, words %q", s, got, senderValues[i].display)
		}
	}
	if got := statusName("SNOOZED"); got != "SNOOZED" {
		t.Errorf("an unknown status reads %q, want it as sent", got)
	}
	if got := senderName(""); got != "" {
		t.Errorf("no sender reads %q", got)
	}
	if q, err := Parse("status:inprogress last:user", Env{}); err != nil {
		t.Fatal(err)
	} else if got, want := q.Words(), "status in progress · last message from the contact"; got != want {
		t.Errorf("Words = %q, want %q", got, want)
	}
}
