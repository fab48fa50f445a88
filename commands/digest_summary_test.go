package commands

import (
	"reflect"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

func TestDigestSummary(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 11, 20, 9, min, 0, 0, time.UTC) }
	users := []inbox.User{
		{Platforms: []inbox.Channel{inbox.WhatsApp}, LastMessage: inbox.Message{By: inbox.ByUser, At: at(30)}},
		{Platforms: []inbox.Channel{inbox.WhatsApp}, AgentID: "a1", LastMessage: inbox.Message{By: inbox.ByUser, At: at(10)}},
		{Platforms: []inbox.Channel{inbox.Website}, AgentID: "a1", LastMessage: inbox.Message{By: inbox.ByBot, At: at(1)}},
		{LastMessage: inbox.Message{By: inbox.ByUser}},
	}
	var s DigestSummary
	for _, u := range users {
		if !s.Add(u) {
			t.Fatal("Add refused under the bound")
		}
	}
	if s.Count != 4 || s.Capped {
		t.Errorf("count %d capped %v", s.Count, s.Capped)
	}
	if !s.OldestWaiting.Equal(at(10)) {
		t.Errorf("oldest waiting %v, want %v (the bot's message is not a wait)", s.OldestWaiting, at(10))
	}
	if got, want := s.ByChannel(), []Tally{{"whatsapp", 2}, {"", 1}, {"website", 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("by channel %v, want %v", got, want)
	}
	if got, want := s.ByAgent(), []Tally{{"", 2}, {"a1", 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("by agent %v, want %v", got, want)
	}
}

func TestDigestSummaryBound(t *testing.T) {
	var s DigestSummary
	for i := 0; i < MaxDigestCount; i++ {
		if !s.Add(inbox.User{}) {
			t.Fatalf("refused at %d", i)
		}
	}
	if s.Capped {
		t.Fatal("capped at exactly the bound")
	}
	if s.Add(inbox.User{}) || !s.Capped || s.Count != MaxDigestCount {
		t.Errorf("past the bound: count %d capped %v", s.Count, s.Capped)
	}
	var empty DigestSummary
	if len(empty.ByChannel()) != 0 || len(empty.ByAgent()) != 0 || !empty.OldestWaiting.IsZero() {
		t.Error("the zero summary is not empty")
	}
}
