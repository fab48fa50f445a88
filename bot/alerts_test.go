package bot

import (
	"slices"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// TestAlertRecordRevisions: what the open message shows is counted in
// Rev, and only a change of it makes the message dirty.
func TestAlertRecordRevisions(t *testing.T) {
	at := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	firing := rules.AlertState{Phase: rules.PhaseFiring, Incident: 1, MessageTS: "1.1", LastCount: 5, LastContacts: []string{"a", "b"}, FiringSince: at}
	tests := []struct {
		name  string
		edit  func(st rules.AlertState) rules.AlertState
		bumps bool
	}{
		{"nothing", func(st rules.AlertState) rules.AlertState { return st }, false},
		{"the last round", func(st rules.AlertState) rules.AlertState { st.LastEvaluated = at.Add(time.Minute); return st }, false},
		{"a reminder", func(st rules.AlertState) rules.AlertState { st.LastNotified = at.Add(time.Hour); return st }, false},
		{"the count", func(st rules.AlertState) rules.AlertState { st.LastCount = 6; return st }, true},
		{"capped", func(st rules.AlertState) rules.AlertState { st.LastCapped = true; return st }, true},
		{"the contacts", func(st rules.AlertState) rules.AlertState { st.LastContacts = []string{"a", "c"}; return st }, true},
		{"an ack", func(st rules.AlertState) rules.AlertState {
			st.Acked = rules.Acknowledgement{By: "U1", At: at}
			return st
		}, true},
		{"a silence", func(st rules.AlertState) rules.AlertState {
			st.SilencedUntil, st.SilencedBy = at.Add(time.Hour), "U1"
			return st
		}, true},
		{"a new incident", func(st rules.AlertState) rules.AlertState { st.Incident = 2; return st }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := alertRecord{State: firing, Rev: 3, Shown: 3}
			rec.setState(tt.edit(firing))
			if got := rec.Rev == 4; got != tt.bumps {
				t.Errorf("Rev %d after %s; want a bump: %v", rec.Rev, tt.name, tt.bumps)
			}
			if rec.dirty() != tt.bumps {
				t.Errorf("dirty %v, want %v", rec.dirty(), tt.bumps)
			}
		})
	}
	// Not posted yet: a change is counted but nothing is dirty, the post
	// will show it.
	rec := alertRecord{State: rules.AlertState{Phase: rules.PhaseFiring, Incident: 1}}
	rec.setState(rules.AlertState{Phase: rules.PhaseFiring, Incident: 1, LastCount: 3})
	if rec.dirty() || rec.pending() {
		t.Errorf("an unposted incident is dirty: %+v", rec)
	}
	rec.Resolves = []alertResolve{{TS: "1.1"}}
	if !rec.pending() {
		t.Error("a pending resolve is not pending")
	}
}

// TestAlertRequests: a count rule keeps the summary's first contacts, a
// `new` rule every id and user; the observation follows.
func TestAlertRequests(t *testing.T) {
	env := commands.Env{Now: time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC), Location: time.UTC}
	parse := func(text string) alertRule {
		r, err := commands.ParseAlertRule(text, env, time.UTC, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return alertRule{rule: r, spec: rules.AlertSpecOf(r)}
	}
	users := make([]inbox.User, 8)
	ids := make([]string, 8)
	for i := range users {
		ids[i] = string(rune('a' + i))
		users[i] = inbox.User{ID: ids[i]}
	}
	count := parse("count>=3 online")
	if req := request(count); req.Users != rules.SummaryContacts || req.IDs {
		t.Errorf("count rule: %+v", req)
	}
	obs := observation(count, evalResult{Count: 8, Users: users})
	if obs.Count != 8 || !slices.Equal(obs.Contacts, ids[:rules.SummaryContacts]) {
		t.Errorf("count rule observation: %+v", obs)
	}
	fresh := parse("new online")
	if req := request(fresh); !req.IDs || req.Users != commands.MaxAlertCount {
		t.Errorf("new rule: %+v", req)
	}
	obs = observation(fresh, evalResult{Count: 8, IDs: ids, Users: users, Capped: true})
	if !slices.Equal(obs.Contacts, ids) || !obs.Capped {
		t.Errorf("new rule observation: %+v", obs)
	}
}

// TestBatchEntries: the entries kept are those of the batch: the known
// ones as they were, the new ones rendered from the round's users.
func TestBatchEntries(t *testing.T) {
	o := commands.RenderOptions{Location: time.UTC, Now: time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)}
	users := map[string]inbox.User{"b": {ID: "b", Name: "Bea"}, "c": {ID: "c", Name: "Cy"}}
	got := batchEntries(map[string]string{"a": "old a", "z": "gone"}, []string{"a", "b"}, users, o)
	if len(got) != 2 || got["a"] != "old a" || got["b"] == "" || got["z"] != "" {
		t.Errorf("entries: %q", got)
	}
	if got := batchEntries(map[string]string{"a": "x"}, nil, users, o); got != nil {
		t.Errorf("entries of an empty batch: %q", got)
	}
}
