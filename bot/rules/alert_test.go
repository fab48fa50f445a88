package rules

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/commands/schedule"
)

// alertT0 is a Monday 10:00 UTC.
var alertT0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// ev is one moment of a scenario: a round (an observation) or an action,
// at alertT0+at, and what must come of it.
type ev struct {
	at time.Duration

	// A round: the count (contacts a, b, ... unless ids is given).
	count  int
	ids    []string
	capped bool
	err    bool

	// Or an action instead of a round.
	ack      string // user acks the current incident
	ackOf    int    // ...of this incident number instead (a stale button)
	snooze   time.Duration
	mute     time.Duration
	unmute   bool
	noRecord bool // the executor fails to post: MessageTS stays ""

	want    []EffectKind
	phase   Phase
	wantErr error
	check   func(t *testing.T, st AlertState, effects []Effect)
}

// round is an observation of count contacts.
func round(at time.Duration, count int, phase Phase, want ...EffectKind) ev {
	return ev{at: at, count: count, phase: phase, want: want}
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c%d", i+1)
	}
	return out
}

// run plays a scenario, acting as the executor: a Post's message gets a
// ts (unless noRecord), so later effects can edit it.
func run(t *testing.T, spec AlertSpec, events []ev) AlertState {
	t.Helper()
	var st AlertState
	posts := 0
	for i, e := range events {
		now := alertT0.Add(e.at)
		var effects []Effect
		var err error
		before := st
		switch {
		case e.ack != "":
			n := st.Incident
			if e.ackOf != 0 {
				n = e.ackOf
			}
			st, effects, err = Ack(st, n, e.ack, now)
		case e.snooze > 0:
			st, effects = Snooze(st, "U2", now.Add(e.snooze), now)
		case e.mute > 0:
			st, effects = Mute(st, "U3", now.Add(e.mute), now)
		case e.unmute:
			st, effects = Unmute(st, now)
		default:
			obs := Observation{Count: e.count, Capped: e.capped, Contacts: e.ids}
			if obs.Contacts == nil {
				obs.Contacts = ids(e.count)
			}
			if e.err {
				obs.Err = errors.New("inbox down")
			}
			st, effects = Step(spec, st, obs, now)
		}
		if !errors.Is(err, e.wantErr) {
			t.Fatalf("event %d (+%v): error %v, want %v", i, e.at, err, e.wantErr)
		}
		var kinds []EffectKind
		for _, f := range effects {
			kinds = append(kinds, f.Kind)
			switch f.Kind {
			case EffectUpdate, EffectReply, EffectResolve:
				if f.MessageTS == "" || f.MessageTS != before.MessageTS {
					t.Errorf("event %d (+%v): %v of message %q, the incident's is %q", i, e.at, f.Kind, f.MessageTS, before.MessageTS)
				}
			case EffectPost:
				if f.MessageTS != "" || f.View.Incident != st.Incident {
					t.Errorf("event %d (+%v): post %+v", i, e.at, f)
				}
				if !e.noRecord {
					posts++
					st.MessageTS = fmt.Sprintf("ts%d", posts)
				}
			}
		}
		if !slices.Equal(kinds, e.want) {
			t.Fatalf("event %d (+%v): effects %v, want %v", i, e.at, kinds, e.want)
		}
		if st.Phase != e.phase {
			t.Fatalf("event %d (+%v): phase %v, want %v", i, e.at, st.Phase, e.phase)
		}
		if e.check != nil {
			e.check(t, st, effects)
		}
	}
	return st
}

const (
	post     = EffectPost
	update   = EffectUpdate
	reply    = EffectReply
	resolved = EffectResolve
	announce = EffectAnnounce
	inactive = PhaseInactive
	pending  = PhasePending
	firing   = PhaseFiring
)

func countSpec() AlertSpec {
	return AlertSpec{Kind: AlertCount, Threshold: 5, Keep: 2 * time.Minute, Repeat: 4 * time.Hour, Notify: "<!here>"}
}

func with(f func(*AlertSpec)) AlertSpec {
	s := countSpec()
	f(&s)
	return s
}

func TestStepCount(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name   string
		spec   AlertSpec
		events []ev
	}{
		{"pending does not fire before for", with(func(s *AlertSpec) { s.For = 10 * m }), []ev{
			round(0, 5, pending),
			round(5*m, 6, pending),
			round(9*m, 5, pending),
			{at: 10 * m, count: 5, phase: firing, want: []EffectKind{post}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if !st.FiringSince.Equal(alertT0.Add(10*m)) || !st.PendingSince.Equal(alertT0) || fx[0].Mention != "<!here>" || fx[0].View.Count != 5 {
					t.Errorf("state %+v effect %+v", st, fx[0])
				}
			}},
		}},
		{"a false round resets pending", with(func(s *AlertSpec) { s.For = 10 * m }), []ev{
			round(0, 5, pending),
			round(5*m, 4, inactive),
			round(6*m, 5, pending),
			round(15*m, 5, pending),
			round(16*m, 5, firing, post),
		}},
		{"count>N is strict", with(func(s *AlertSpec) { s.Strict = true }), []ev{
			round(0, 5, inactive),
			round(m, 6, firing, post),
		}},
		{"fires once; an unchanged count posts nothing", countSpec(), []ev{
			round(0, 5, firing, post),
			round(m, 5, firing),
			round(2*m, 5, firing),
		}},
		{"a count change edits the same message", countSpec(), []ev{
			round(0, 5, firing, post),
			{at: m, count: 7, phase: firing, want: []EffectKind{update}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if fx[0].View.Count != 7 || fx[0].MessageTS != "ts1" || !slices.Equal(fx[0].View.Contacts, ids(5)) {
					t.Errorf("update %+v", fx[0])
				}
			}},
			round(2*m, 7, firing),
			// Same count, other contacts: the summary changed.
			{at: 3 * m, count: 7, ids: []string{"x", "y"}, phase: firing, want: []EffectKind{update}},
			{at: 4 * m, count: 7, ids: []string{"x", "y"}, phase: firing},
			{at: 5 * m, count: 5000, capped: true, phase: firing, want: []EffectKind{update}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if !fx[0].View.Capped || len(fx[0].View.Contacts) != SummaryContacts {
					t.Errorf("capped view %+v", fx[0].View)
				}
			}},
		}},
		{"keep holds 5-4-5 in one incident", countSpec(), []ev{
			round(0, 5, firing, post),
			round(m, 4, firing, update),
			round(2*m, 5, firing, update),
			round(3*m, 4, firing, update),
			round(4*m, 5, firing, update),
			{at: 5 * m, count: 5, phase: firing, check: func(t *testing.T, st AlertState, _ []Effect) {
				if st.Incident != 1 {
					t.Errorf("incident %d, want 1", st.Incident)
				}
			}},
		}},
		{"resolves once false for keep, then a new incident is a new message", countSpec(), []ev{
			round(0, 5, firing, post),
			round(m, 4, firing, update),
			round(2*m, 4, firing),
			{at: 3 * m, count: 3, phase: inactive, want: []EffectKind{resolved}, check: func(t *testing.T, st AlertState, fx []Effect) {
				v := fx[0].View
				if fx[0].MessageTS != "ts1" || v.ResolvedAt.Sub(v.FiringSince) != 3*m || v.Incident != 1 || st.MessageTS != "" || !st.ResolvedAt.Equal(alertT0.Add(3*m)) {
					t.Errorf("resolve %+v, state %+v", fx[0], st)
				}
			}},
			round(4*m, 4, inactive),
			{at: 5 * m, count: 6, phase: firing, want: []EffectKind{post}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if st.Incident != 2 || st.MessageTS != "ts2" || !st.FiringSince.Equal(alertT0.Add(5*m)) {
					t.Errorf("second incident %+v", st)
				}
			}},
		}},
		{"keep 0 resolves at the first false round", with(func(s *AlertSpec) { s.Keep = 0 }), []ev{
			round(0, 5, firing, post),
			round(m, 4, inactive, resolved),
		}},
		{"a failed round changes nothing", with(func(s *AlertSpec) { s.For = 2 * m }), []ev{
			round(0, 5, pending),
			{at: m, err: true, phase: pending},
			round(2*m, 5, firing, post),
			round(3*m, 0, firing, update),
			{at: 10 * m, err: true, phase: firing},
			{at: 11 * m, count: 0, phase: inactive, want: []EffectKind{resolved}},
		}},
		{"reminds every repeat from the last notification", with(func(s *AlertSpec) { s.Repeat = time.Hour }), []ev{
			round(0, 5, firing, post),
			round(59*m, 5, firing),
			{at: 60 * m, count: 5, phase: firing, want: []EffectKind{reply}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if fx[0].Mention != "<!here>" || fx[0].MessageTS != "ts1" {
					t.Errorf("reminder %+v", fx[0])
				}
			}},
			round(90*m, 5, firing),
			round(119*m, 6, firing, update),
			round(120*m, 6, firing, reply),
		}},
		{"no reminder while the condition is false and only keep holds the incident", with(func(s *AlertSpec) { s.Repeat = time.Hour; s.Keep = 10 * m }), []ev{
			round(0, 5, firing, post),
			round(59*m, 4, firing, update),
			round(60*m, 4, firing),
			round(62*m, 5, firing, update, reply),
		}},
		{"repeat off never reminds", with(func(s *AlertSpec) { s.Repeat = 0 }), []ev{
			round(0, 5, firing, post),
			round(24*time.Hour, 5, firing),
		}},
		{"no reminders after Ack, until the next incident", with(func(s *AlertSpec) { s.Repeat = time.Hour }), []ev{
			round(0, 5, firing, post),
			{at: 10 * m, ack: "U1", phase: firing, want: []EffectKind{update}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if fx[0].View.Acked != (Acknowledgement{By: "U1", At: alertT0.Add(10 * m)}) {
					t.Errorf("ack view %+v", fx[0].View)
				}
			}},
			{at: 11 * m, ack: "U9", phase: firing}, // the first ack stays
			round(60*m, 5, firing),
			round(5*time.Hour, 6, firing, update),
			round(6*time.Hour, 0, firing, update),
			round(6*time.Hour+2*m, 0, inactive, resolved),
			round(7*time.Hour, 5, firing, post),
			round(8*time.Hour, 5, firing, reply),
		}},
		{"an Ack from an old message does not ack the new incident", countSpec(), []ev{
			round(0, 5, firing, post),
			round(m, 0, firing, update),
			round(3*m, 0, inactive, resolved),
			{at: 4 * m, ack: "U1", phase: inactive, wantErr: ErrNotFiring},
			round(5*m, 5, firing, post),
			{at: 6 * m, ack: "U1", ackOf: 1, phase: firing, wantErr: ErrNotFiring},
		}},
		{"snooze: no reminders, the message keeps being edited, then it expires", with(func(s *AlertSpec) { s.Repeat = time.Hour }), []ev{
			round(0, 5, firing, post),
			{at: 5 * m, snooze: time.Hour, phase: firing, want: []EffectKind{update}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if !fx[0].View.SilencedUntil.Equal(alertT0.Add(65*m)) || fx[0].View.SilencedBy != "U2" || !st.Silenced(alertT0.Add(64*m)) || st.Silenced(alertT0.Add(65*m)) {
					t.Errorf("snooze view %+v", fx[0].View)
				}
			}},
			round(30*m, 6, firing, update),
			round(60*m, 6, firing), // a reminder is due, but snoozed
			{at: 65 * m, count: 6, phase: firing, want: []EffectKind{update, reply}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if !fx[0].View.SilencedUntil.IsZero() || st.SilencedBy != "" {
					t.Errorf("the silence is still shown: %+v", fx[0].View)
				}
			}},
			round(66*m, 6, firing),
		}},
		{"an incident opened while snoozed is posted when the silence ends", countSpec(), []ev{
			round(0, 0, inactive),
			{at: m, snooze: time.Hour, phase: inactive},
			round(10*m, 5, firing),
			round(30*m, 6, firing),
			round(60*m, 6, firing),
			{at: 61 * m, count: 6, phase: firing, want: []EffectKind{post}, check: func(t *testing.T, st AlertState, fx []Effect) {
				if fx[0].View.Count != 6 || !fx[0].View.FiringSince.Equal(alertT0.Add(10*m)) || !fx[0].View.SilencedUntil.IsZero() {
					t.Errorf("late post %+v", fx[0].View)
				}
			}},
		}},
		{"an incident over within the silence is never posted", countSpec(), []ev{
			{at: 0, mute: time.Hour, phase: inactive},
			round(m, 5, firing),
			round(2*m, 0, firing),
			round(4*m, 0, inactive),
			round(61*m, 0, inactive),
		}},
		{"a snoozed incident still resolves in place", countSpec(), []ev{
			round(0, 5, firing, post),
			{at: m, snooze: 4 * time.Hour, phase: firing, want: []EffectKind{update}},
			round(2*m, 0, firing, update),
			round(4*m, 0, inactive, resolved),
		}},
		{"unmute ends the silence; the next round posts", countSpec(), []ev{
			{at: 0, mute: time.Hour, phase: inactive},
			round(m, 5, firing),
			{at: 2 * m, unmute: true, phase: firing},
			round(3*m, 5, firing, post),
			{at: 4 * m, mute: time.Hour, phase: firing, want: []EffectKind{update}},
			{at: 5 * m, unmute: true, phase: firing, want: []EffectKind{update}},
			{at: 6 * m, unmute: true, phase: firing},
		}},
		{"a post that failed is posted again by the next round", countSpec(), []ev{
			{at: 0, count: 5, phase: firing, want: []EffectKind{post}, noRecord: true},
			round(m, 5, firing, post),
			round(2*m, 5, firing),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.spec, tt.events) })
	}
}

func TestStepActiveHours(t *testing.T) {
	m := time.Minute
	hours, err := schedule.ParseHours("Mon-Fri 09:00-17:00", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	// alertT0 is Monday 10:00; hours close at +7h and open again at +23h.
	closed, reopen := 7*time.Hour, 23*time.Hour
	tests := []struct {
		name   string
		spec   AlertSpec
		events []ev
	}{
		{"outside the hours nothing is evaluated; a firing incident waits for the next round in hours", with(func(s *AlertSpec) { s.Hours = hours; s.Repeat = time.Hour }), []ev{
			round(closed-m, 5, firing, post),
			round(closed, 0, firing),             // closed: not resolved
			round(closed+2*time.Hour, 0, firing), // and no reminder
			round(reopen, 0, firing, update),
			round(reopen+2*m, 0, inactive, resolved),
		}},
		{"nothing fires outside the hours", with(func(s *AlertSpec) { s.Hours = hours }), []ev{
			round(-2*time.Hour, 9, inactive), // 08:00
			round(-61*m, 9, inactive),        // 08:59
			round(-60*m, 9, firing, post),
		}},
		{"a pending run does not carry over closed hours", with(func(s *AlertSpec) { s.Hours = hours; s.For = 10 * m }), []ev{
			round(closed-5*m, 5, pending),
			round(reopen, 5, pending), // not firing: 10m were not observed
			round(reopen+9*m, 5, pending),
			round(reopen+10*m, 5, firing, post),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.spec, tt.events) })
	}

	// Outside the hours Step returns the state it was given.
	spec := with(func(s *AlertSpec) { s.Hours = hours })
	st, _ := Step(spec, AlertState{}, Observation{Count: 9, Contacts: ids(9)}, alertT0)
	st.MessageTS = "ts1"
	after, fx := Step(spec, st, Observation{Count: 0}, alertT0.Add(closed))
	if len(fx) != 0 || after.Phase != st.Phase || !after.LastEvaluated.Equal(st.LastEvaluated) || after.LastCount != st.LastCount {
		t.Errorf("outside the hours: %+v, %v", after, fx)
	}
}

func newSpec() AlertSpec {
	return AlertSpec{Kind: AlertNew, Keep: 2 * time.Minute, Wait: 30 * time.Second, Notify: "<@U1>"}
}

// nr is a round of a new rule with these matching contacts.
func nr(at time.Duration, contacts []string, want ...EffectKind) ev {
	if contacts == nil {
		contacts = []string{}
	}
	return ev{at: at, ids: contacts, count: len(contacts), phase: inactive, want: want}
}

// announced checks the contacts of the round's Announce.
func announced(e ev, want ...string) ev {
	e.check = func(t *testing.T, _ AlertState, fx []Effect) {
		t.Helper()
		if !slices.Equal(fx[0].Contacts, want) || fx[0].Mention != "<@U1>" {
			t.Errorf("announce %v (%q), want %v", fx[0].Contacts, fx[0].Mention, want)
		}
	}
	return e
}

func TestStepNew(t *testing.T) {
	s, m := time.Second, time.Minute
	ab := []string{"a", "b"}
	tests := []struct {
		name   string
		spec   AlertSpec
		events []ev
	}{
		{"the baseline is not announced", newSpec(), []ev{
			{at: 0, err: true, phase: inactive}, // a failed first round is no baseline
			{at: 10 * s, ids: ab, count: 2, phase: inactive, check: func(t *testing.T, st AlertState, _ []Effect) {
				if !st.Baseline || len(st.Announced) != 2 {
					t.Errorf("baseline %+v", st)
				}
			}},
			nr(m, ab),
		}},
		{"contacts found within wait are one announcement", newSpec(), []ev{
			nr(0, ab),
			nr(m, []string{"a", "b", "c"}),
			nr(m+10*s, []string{"a", "b", "c", "d"}),
			nr(m+20*s, []string{"a", "b", "c", "d"}),
			announced(nr(m+30*s, []string{"a", "b", "c", "d", "e"}, announce), "c", "d", "e"),
			nr(m+40*s, []string{"a", "b", "c", "d", "e"}),
			nr(2*m, []string{"a", "b", "c", "d", "e"}),
		}},
		{"wait 0 announces in the round found", with(func(sp *AlertSpec) { *sp = newSpec(); sp.Wait = 0 }), []ev{
			nr(0, nil),
			announced(nr(m, []string{"x"}, announce), "x"),
		}},
		{"each contact once, until it stops matching for keep", newSpec(), []ev{
			nr(0, nil),
			nr(m, []string{"c"}),
			announced(nr(m+30*s, []string{"c"}, announce), "c"),
			nr(2*m, nil),           // gone for a minute
			nr(3*m, []string{"c"}), // back within keep: not again
			nr(4*m, nil),           // last matched at 3m
			nr(5*m, nil),           // 2m < keep
			nr(5*m+30*s, nil),      // forgotten at 5m (3m + keep)
			nr(6*m, []string{"c"}), // new again
			announced(nr(6*m+30*s, []string{"c"}, announce), "c"),
		}},
		{"a contact gone for keep before its batch is posted is dropped from it", with(func(sp *AlertSpec) { *sp = newSpec(); sp.Wait = 5 * m }), []ev{
			nr(0, nil),
			nr(m, []string{"x", "y"}),
			nr(2*m, []string{"y"}),
			nr(4*m, []string{"y"}),
			announced(nr(6*m, []string{"y"}, announce), "y"),
		}},
		{"a capped round proves nobody stopped matching", newSpec(), []ev{
			nr(0, []string{"a"}),
			{at: m, ids: []string{"b"}, count: 5000, capped: true, phase: inactive},
			{at: 10 * m, ids: []string{"b"}, count: 5000, capped: true, phase: inactive, want: []EffectKind{announce}},
			nr(11*m, []string{"a", "b"}), // a was never forgotten
			nr(12*m, []string{"a", "b"}), // so nothing to announce
		}},
		{"a silence holds the batch until it ends", newSpec(), []ev{
			nr(0, nil),
			{at: 10 * s, mute: time.Hour, phase: inactive},
			nr(m, []string{"v"}),
			nr(30*m, []string{"v", "w"}),
			nr(60*m, []string{"v", "w"}),
			announced(nr(61*m, []string{"v", "w"}, announce), "v", "w"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.spec, tt.events) })
	}

	t.Run("a batch does not carry over closed hours", func(t *testing.T) {
		hours, err := schedule.ParseHours("Mon-Fri 09:00-17:00", time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		spec := newSpec()
		spec.Hours, spec.Wait = hours, time.Minute
		closed, reopen := 7*time.Hour, 23*time.Hour
		run(t, spec, []ev{
			nr(closed-2*m, nil),
			nr(closed-30*s, []string{"late", "gone"}), // found 30s before closing
			nr(closed+30*s, []string{"late", "gone"}), // closed: not posted
			nr(reopen, []string{"late"}),              // a new batch of who still matches
			announced(nr(reopen+m, []string{"late"}, announce), "late"),
		})
	})
}

// Step never changes the state it was given: the caller may keep it (to
// save only on success, to compare for logs).
func TestStepIsPure(t *testing.T) {
	spec := newSpec()
	st, _ := Step(spec, AlertState{}, Observation{Contacts: []string{"a"}}, alertT0)
	st, _ = Step(spec, st, Observation{Contacts: []string{"a", "b"}}, alertT0.Add(time.Minute))
	announced, batch := maps.Clone(st.Announced), slices.Clone(st.Batch)
	_, _ = Step(spec, st, Observation{Contacts: []string{"c"}}, alertT0.Add(10*time.Minute))
	if !maps.Equal(st.Announced, announced) || !slices.Equal(st.Batch, batch) {
		t.Errorf("Step changed its input: %v %v", st.Announced, st.Batch)
	}

	cs := countSpec()
	contacts := ids(5)
	c, _ := Step(cs, AlertState{}, Observation{Count: 5, Contacts: contacts}, alertT0)
	contacts[0] = "changed"
	if c.LastContacts[0] != "c1" {
		t.Errorf("the state shares the observation's slice")
	}
}

// AlertSpecOf carries a parsed rule to the engine.
func TestAlertSpecOf(t *testing.T) {
	env := commands.Env{Now: alertT0}
	r, err := commands.ParseAlertRule(`count>5 for 10m keep 5m repeat 1h notify @here hours "Mon-Fri 09:00-17:00" live`, env, time.UTC, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s := AlertSpecOf(r)
	if s.Kind != AlertCount || s.Threshold != 5 || !s.Strict || s.For != 10*time.Minute || s.Keep != 5*time.Minute || s.Repeat != time.Hour || s.Notify != "<!here>" || s.Hours == nil || !s.Hours.Contains(alertT0) {
		t.Errorf("spec %+v", s)
	}
	r, err = commands.ParseAlertRule("new wait 1m online", env, time.UTC, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s = AlertSpecOf(r)
	if s.Kind != AlertNew || s.Wait != time.Minute || s.Keep != 2*time.Minute || s.Hours != nil || s.Notify != "" {
		t.Errorf("spec %+v", s)
	}
}

// FuzzStep drives a count rule with arbitrary rounds and clicks and checks
// what must always hold: edits, reminders and resolutions go to the
// incident's posted message; each incident is posted at most once (the
// executor recording every post); no reminder after an Ack or in a silence.
func FuzzStep(f *testing.F) {
	f.Add([]byte{5, 5, 0, 0, 0, 7, 200, 5, 201, 0, 0, 0, 5})
	f.Add([]byte{202, 5, 5, 203, 5, 0, 5, 0, 0, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 500 {
			return
		}
		spec := AlertSpec{Kind: AlertCount, Threshold: 5, For: 2 * time.Minute, Keep: 2 * time.Minute, Repeat: 10 * time.Minute, Notify: "<!here>"}
		var st AlertState
		now := alertT0
		postedIncidents := map[int]bool{}
		for _, b := range script {
			now = now.Add(time.Minute)
			before := st
			var effects []Effect
			switch b {
			case 200:
				st, effects, _ = Ack(st, st.Incident, "U1", now)
			case 201:
				st, effects = Snooze(st, "U2", now.Add(30*time.Minute), now)
			case 202:
				st, effects = Mute(st, "U3", now.Add(time.Hour), now)
			case 203:
				st, effects = Unmute(st, now)
			default:
				st, effects = Step(spec, st, Observation{Count: int(b % 10), Contacts: ids(int(b % 10)), Err: errIf(b >= 250)}, now)
			}
			for _, e := range effects {
				switch e.Kind {
				case EffectPost:
					if postedIncidents[st.Incident] {
						t.Fatalf("incident %d posted twice", st.Incident)
					}
					if before.Silenced(now) && b < 200 {
						t.Fatalf("posted in a silence")
					}
					postedIncidents[st.Incident] = true
					st.MessageTS = fmt.Sprintf("ts%d", st.Incident)
				case EffectUpdate, EffectReply, EffectResolve:
					if e.MessageTS == "" || e.MessageTS != before.MessageTS {
						t.Fatalf("%v of %q; the message is %q", e.Kind, e.MessageTS, before.MessageTS)
					}
					if e.Kind == EffectReply && (!st.Acked.IsZero() || before.Silenced(now)) {
						t.Fatalf("a reminder after an ack or in a silence")
					}
				case EffectAnnounce:
					t.Fatal("a count rule announced")
				}
			}
		}
	})
}

func errIf(b bool) error {
	if b {
		return errors.New("inbox down")
	}
	return nil
}
