package rules

import (
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/convertalk/inboxbot/commands"
)

// This file is the alert engine's state machine (SPEC §8): one pure Step
// per rule and evaluation round, in the shape of Prometheus's alerting
// rules and Alertmanager's dedup stage. It knows no Slack, HTTP or store:
// it returns the new state and the effects (post, update, reply, resolve,
// announce) that the caller executes and saves. Every decision takes now.

// AlertKind is what an AlertSpec watches.
type AlertKind uint8

// The kinds of alert.
const (
	AlertCount AlertKind = iota + 1 // fires while the count holds
	AlertNew                        // announces contacts that start matching
)

// ActiveHours are a rule's active hours (commands/schedule's Hours): a
// rule is evaluated only inside them. NextChange lets Step see that the
// hours closed between two rounds.
type ActiveHours interface {
	Contains(t time.Time) bool
	// NextChange is the first instant after t at which Contains changes,
	// or the zero time when it never does.
	NextChange(t time.Time) time.Time
}

// AlertSpec is what the engine needs of a rule: its condition and options.
type AlertSpec struct {
	Kind AlertKind
	// Threshold and Strict are the condition of AlertCount: count >=
	// Threshold, or count > Threshold when Strict.
	Threshold int
	Strict    bool
	For       time.Duration // pending this long before firing (AlertCount)
	Keep      time.Duration // false this long before resolving; for AlertNew, absent this long before forgotten
	Repeat    time.Duration // reminder interval while firing and not acked; 0 is off
	Wait      time.Duration // AlertNew: a batch is posted this long after its first contact
	Hours     ActiveHours   // nil: always active
	Notify    string        // the mention's Slack markup (`<!here>`), "" for none
}

// AlertSpecOf returns the engine's view of a parsed rule.
func AlertSpecOf(r commands.AlertRule) AlertSpec {
	s := AlertSpec{
		Kind:      AlertCount,
		Threshold: r.Threshold,
		Strict:    r.Op == commands.OpMore,
		For:       r.For,
		Keep:      r.Keep,
		Repeat:    r.Repeat,
		Wait:      r.Wait,
		Notify:    r.Notify.Markup(),
	}
	if r.Kind == commands.AlertNew {
		s.Kind = AlertNew
	}
	if !r.Hours.IsZero() {
		s.Hours = r.Hours // the zero Hours contains no time: nil means always
	}
	return s
}

// holds reports whether a count meets the condition.
func (s AlertSpec) holds(count int) bool {
	if s.Strict {
		return count > s.Threshold
	}
	return count >= s.Threshold
}

// Phase is where a count rule is in the life of an incident. A resolved
// incident leaves the rule inactive (its end is kept in ResolvedAt).
type Phase uint8

// The phases of SPEC §8: inactive -> pending -> firing -> (resolved) inactive.
const (
	PhaseInactive Phase = iota // the condition does not hold (or has not yet been evaluated)
	PhasePending               // it holds, for less than For
	PhaseFiring                // an incident is open
)

// String returns "inactive", "pending" or "firing", for logs and lists.
func (p Phase) String() string {
	switch p {
	case PhasePending:
		return "pending"
	case PhaseFiring:
		return "firing"
	}
	return "inactive"
}

// SummaryContacts is how many contact ids an incident keeps for its
// message's summary; a change among them edits the message.
const SummaryContacts = 5

// Acknowledgement is who acknowledged an incident, and when.
type Acknowledgement struct {
	By string // Slack user id
	At time.Time
}

// IsZero reports whether nobody acknowledged.
func (a Acknowledgement) IsZero() bool { return a.By == "" && a.At.IsZero() }

// AlertState is one rule's state between rounds; the caller stores it.
// Step and the actions never modify the state they are given (maps and
// slices are copied before a change), so a caller may keep the old one.
type AlertState struct {
	Phase Phase
	// PendingSince is the first round of the current run of rounds in
	// which the condition held (pending and firing).
	PendingSince time.Time
	// LastEvaluated is the last round Step evaluated (in hours, no error).
	LastEvaluated time.Time

	// Incident counts the incidents of the rule: the current one while
	// firing, the last one after. Buttons carry it, so that a click on an
	// old message never acts on a newer incident.
	Incident    int
	FiringSince time.Time
	// MessageTS is the ts of the incident's message. The caller sets it
	// once it executed the Post; while it is "" the incident is not
	// posted (silenced, or the post failed) and the next round posts it.
	MessageTS    string
	LastCount    int
	LastCapped   bool     // the count stopped at the bound (5,000+)
	LastContacts []string // the first SummaryContacts matching ids
	// LastNotified is the last firing post or reminder: repeat counts
	// from it.
	LastNotified time.Time
	Acked        Acknowledgement
	// FalseSince is the first round of the current run in which the
	// condition failed while firing: keep counts from it.
	FalseSince time.Time
	// ResolvedAt is when the last incident resolved.
	ResolvedAt time.Time

	// SilencedUntil ends a snooze or mute of the rule, by SilencedBy.
	SilencedUntil time.Time
	SilencedBy    string

	// Baseline is true once an AlertNew rule took its first observation,
	// whose contacts are never announced.
	Baseline bool
	// Announced maps each known contact of an AlertNew rule (the baseline,
	// announced or waiting in Batch) to the last round it matched.
	Announced map[string]time.Time
	// Batch holds the contacts found since BatchSince, in order, waiting
	// to be announced together.
	Batch      []string
	BatchSince time.Time
}

// Silenced reports whether a snooze or mute is in force at now. Silences
// end by themselves: this is all there is to their expiry.
func (st AlertState) Silenced(now time.Time) bool {
	return !st.SilencedUntil.IsZero() && now.Before(st.SilencedUntil)
}

// Observation is one evaluation of a rule's query.
type Observation struct {
	Count  int
	Capped bool // the walk stopped at the bound; Count is a lower bound
	// Contacts are ids of matching contacts, in the inbox's order: the
	// first few for a count rule, all of them (up to the bound) for new.
	Contacts []string
	// Err is a failed evaluation: Step changes nothing, so a failed inbox
	// round never resolves an incident nor announces anything.
	Err error
}

// EffectKind is what the caller must do for an Effect.
type EffectKind uint8

// The effects of SPEC §8.
const (
	// EffectPost posts the incident's message (count, query, mention,
	// summary, Ack / Snooze buttons) and stores its ts as MessageTS.
	EffectPost EffectKind = iota + 1
	// EffectUpdate edits the message: what it shows changed (count,
	// contacts, ack, silence).
	EffectUpdate
	// EffectReply is a reminder: a thread reply, broadcast, with the mention.
	EffectReply
	// EffectResolve edits the message to Resolved (how long it fired) and
	// replies in its thread.
	EffectResolve
	// EffectAnnounce posts one message naming each contact of a batch.
	EffectAnnounce
)

// String names the kind, for logs and metrics labels.
func (k EffectKind) String() string {
	switch k {
	case EffectPost:
		return "post"
	case EffectUpdate:
		return "update"
	case EffectReply:
		return "reply"
	case EffectResolve:
		return "resolve"
	case EffectAnnounce:
		return "announce"
	}
	return "unknown"
}

// IncidentView is what an incident's message shows.
type IncidentView struct {
	Incident      int
	Count         int
	Capped        bool
	Contacts      []string
	FiringSince   time.Time
	Acked         Acknowledgement
	SilencedUntil time.Time // zero when not silenced
	SilencedBy    string
	ResolvedAt    time.Time // zero while firing; ResolvedAt-FiringSince is how long it fired
}

// Equal reports whether two views show the same: what decides an Update.
func (v IncidentView) Equal(o IncidentView) bool {
	return v.Incident == o.Incident && v.Count == o.Count && v.Capped == o.Capped &&
		slices.Equal(v.Contacts, o.Contacts) && v.FiringSince.Equal(o.FiringSince) &&
		v.Acked.By == o.Acked.By && v.Acked.At.Equal(o.Acked.At) &&
		v.SilencedUntil.Equal(o.SilencedUntil) && v.SilencedBy == o.SilencedBy && v.ResolvedAt.Equal(o.ResolvedAt)
}

// Effect is one thing for the Slack side to do.
type Effect struct {
	Kind EffectKind
	// MessageTS is the message to edit or reply to (Update, Reply,
	// Resolve); "" for Post and Announce.
	MessageTS string
	// Mention is the rule's Notify for Post, Reply and Announce.
	Mention string
	// View is what the message shows (Post, Update, Reply, Resolve).
	View IncidentView
	// Contacts are an Announce's batch, in the order found.
	Contacts []string
}

// View is what the state's incident message shows (open, or as it was when it resolved, without ResolvedAt).
func (st AlertState) View() IncidentView {
	return IncidentView{
		Incident:      st.Incident,
		Count:         st.LastCount,
		Capped:        st.LastCapped,
		Contacts:      st.LastContacts,
		FiringSince:   st.FiringSince,
		Acked:         st.Acked,
		SilencedUntil: st.SilencedUntil,
		SilencedBy:    st.SilencedBy,
	}
}

// expireSilence clears a silence that has ended at now.
func (st *AlertState) expireSilence(now time.Time) {
	if !st.SilencedUntil.IsZero() && !now.Before(st.SilencedUntil) {
		st.SilencedUntil, st.SilencedBy = time.Time{}, ""
	}
}

// hoursClosedSince reports whether the active hours closed at some time
// after the last round: the run of rounds that `for` counts is broken.
func (s AlertSpec) hoursClosedSince(last, now time.Time) bool {
	if s.Hours == nil || last.IsZero() {
		return false
	}
	change := s.Hours.NextChange(last)
	return !change.IsZero() && !change.After(now)
}

// Step evaluates one round of a rule at now (SPEC §8) and returns the new
// state and what to do.
//
// An observation with Err changes nothing. Outside the active hours the
// rule is not evaluated: nothing changes either, and an open incident
// stays as it is (posted, not reminded, not resolved) until the first
// round inside the hours decides on fresh data; a pending run or an
// unposted batch does not carry over the closed hours (the next round
// starts them again), so `for 10m` always means ten minutes observed.
func Step(spec AlertSpec, st AlertState, obs Observation, now time.Time) (AlertState, []Effect) {
	if obs.Err != nil || spec.Hours != nil && !spec.Hours.Contains(now) {
		return st, nil
	}
	gap := spec.hoursClosedSince(st.LastEvaluated, now)
	st.LastEvaluated = now
	if spec.Kind == AlertNew {
		return stepNew(spec, st, obs, now, gap)
	}
	return stepCount(spec, st, obs, now, gap)
}

func stepCount(spec AlertSpec, st AlertState, obs Observation, now time.Time, gap bool) (AlertState, []Effect) {
	shown := st.View()
	st.expireSilence(now)
	holds := spec.holds(obs.Count)
	var effects []Effect

	switch st.Phase {
	case PhaseInactive, PhasePending:
		if !holds {
			st.Phase, st.PendingSince = PhaseInactive, time.Time{}
			return st, nil
		}
		if st.Phase == PhaseInactive || gap {
			st.Phase, st.PendingSince = PhasePending, now
		}
		if now.Sub(st.PendingSince) < spec.For {
			return st, nil
		}
		st = openIncident(st, obs, now)
		return st, notifyOpen(spec, &st, now)

	case PhaseFiring:
		st.LastCount, st.LastCapped, st.LastContacts = obs.Count, obs.Capped, summary(obs.Contacts)
		if holds {
			st.FalseSince = time.Time{}
		} else {
			if st.FalseSince.IsZero() {
				st.FalseSince = now
			}
			if now.Sub(st.FalseSince) >= spec.Keep {
				return resolve(st, now)
			}
		}
		if st.MessageTS == "" {
			// Not posted yet: silenced when it opened, or the post failed.
			return st, notifyOpen(spec, &st, now)
		}
		if v := st.View(); !v.Equal(shown) {
			effects = append(effects, Effect{Kind: EffectUpdate, MessageTS: st.MessageTS, View: v})
		}
		if remindDue(spec, st, now) {
			st.LastNotified = now
			effects = append(effects, Effect{Kind: EffectReply, MessageTS: st.MessageTS, Mention: spec.Notify, View: st.View()})
		}
	}
	return st, effects
}

// openIncident starts a new incident from the round's observation.
func openIncident(st AlertState, obs Observation, now time.Time) AlertState {
	st.Phase = PhaseFiring
	st.Incident++
	st.FiringSince = now
	st.MessageTS = ""
	st.LastCount, st.LastCapped, st.LastContacts = obs.Count, obs.Capped, summary(obs.Contacts)
	st.LastNotified = time.Time{}
	st.Acked = Acknowledgement{}
	st.FalseSince = time.Time{}
	st.ResolvedAt = time.Time{}
	return st
}

// notifyOpen posts an open incident's message unless a silence holds it
// back (it is posted by the first round after the silence, if it still
// fires).
func notifyOpen(spec AlertSpec, st *AlertState, now time.Time) []Effect {
	if st.Silenced(now) {
		return nil
	}
	st.LastNotified = now
	return []Effect{{Kind: EffectPost, Mention: spec.Notify, View: st.View()}}
}

// remindDue reports whether a reminder is due: firing with the condition
// true (not merely held by keep: a reminder says the queue still needs a
// human), posted, not acknowledged, not silenced, and Repeat since the last
// notification.
func remindDue(spec AlertSpec, st AlertState, now time.Time) bool {
	return spec.Repeat > 0 && st.FalseSince.IsZero() && st.MessageTS != "" && st.Acked.IsZero() && !st.Silenced(now) &&
		now.Sub(st.LastNotified) >= spec.Repeat
}

// resolve ends the incident: its message (if it was posted) is edited to
// Resolved, and the rule is inactive again. An incident that was never
// posted (silenced all along) ends without a word.
func resolve(st AlertState, now time.Time) (AlertState, []Effect) {
	var effects []Effect
	if st.MessageTS != "" {
		v := st.View()
		v.ResolvedAt = now
		effects = []Effect{{Kind: EffectResolve, MessageTS: st.MessageTS, View: v}}
	}
	st.Phase = PhaseInactive
	st.PendingSince, st.FiringSince, st.FalseSince, st.LastNotified = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	st.MessageTS = ""
	st.LastCount, st.LastCapped, st.LastContacts = 0, false, nil
	st.Acked = Acknowledgement{}
	st.ResolvedAt = now
	return st, effects
}

// summary keeps the first SummaryContacts ids (a copy).
func summary(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return slices.Clone(ids[:min(len(ids), SummaryContacts)])
}

// stepNew is a round of a `new` rule: the first observation is the
// baseline; after it, each contact not known yet joins the batch, which
// is announced Wait after its first contact; a known contact that has not
// matched for Keep is forgotten, so that it is announced when it matches
// again.
func stepNew(spec AlertSpec, st AlertState, obs Observation, now time.Time, gap bool) (AlertState, []Effect) {
	st.expireSilence(now)
	known := make(map[string]time.Time, len(st.Announced)+len(obs.Contacts))
	maps.Copy(known, st.Announced)
	st.Announced = known
	if !st.Baseline {
		st.Baseline = true
		for _, id := range obs.Contacts {
			known[id] = now
		}
		return st, nil
	}
	batch := slices.Clone(st.Batch)
	if gap && len(batch) > 0 {
		// A batch does not carry over closed hours: its contacts were
		// never announced, and those still matching start a new batch now.
		for _, id := range batch {
			delete(known, id)
		}
		batch, st.BatchSince = nil, time.Time{}
	}
	matching := make(map[string]bool, len(obs.Contacts))
	for _, id := range obs.Contacts {
		if matching[id] {
			continue
		}
		matching[id] = true
		if _, ok := known[id]; !ok {
			batch = append(batch, id)
			if st.BatchSince.IsZero() {
				st.BatchSince = now
			}
		}
		known[id] = now
	}
	// Forget who has not matched for Keep. A capped observation does not
	// show every matching contact, so absence from it proves nothing.
	if !obs.Capped {
		for id, seen := range known {
			if !matching[id] && now.Sub(seen) >= spec.Keep {
				delete(known, id)
			}
		}
		batch = slices.DeleteFunc(batch, func(id string) bool { _, ok := known[id]; return !ok })
	}
	if len(batch) == 0 {
		st.Batch, st.BatchSince = nil, time.Time{}
		return st, nil
	}
	st.Batch = batch
	if now.Sub(st.BatchSince) < spec.Wait || st.Silenced(now) {
		return st, nil
	}
	st.Batch, st.BatchSince = nil, time.Time{}
	return st, []Effect{{Kind: EffectAnnounce, Mention: spec.Notify, Contacts: batch}}
}

// ErrNotFiring is an Ack for an incident that is not open any more (it
// resolved, or a newer one replaced it): the click came from an old
// message.
var ErrNotFiring = errors.New("rules: the incident is not firing any more")

// Ack acknowledges incident number incident by user at now: the message
// shows who and when, and reminders stop until the incident resolves. A
// second Ack changes nothing (the first one stays).
func Ack(st AlertState, incident int, user string, now time.Time) (AlertState, []Effect, error) {
	if st.Phase != PhaseFiring || st.Incident != incident {
		return st, nil, ErrNotFiring
	}
	if !st.Acked.IsZero() {
		return st, nil, nil
	}
	st.expireSilence(now)
	st.Acked = Acknowledgement{By: user, At: now}
	return st, updateShown(st), nil
}

// Snooze silences the rule until until (Snooze 1h / 4h): no new posts and
// no reminders until then, while the current message keeps being edited
// and shows the silence. The latest silence replaces an earlier one. An
// until not after now changes nothing.
func Snooze(st AlertState, user string, until, now time.Time) (AlertState, []Effect) {
	if !until.After(now) {
		return st, nil
	}
	st.SilencedUntil, st.SilencedBy = until, user
	return st, updateShown(st)
}

// Mute is `/inbox alert mute ID D`: the same silence as Snooze.
func Mute(st AlertState, user string, until, now time.Time) (AlertState, []Effect) {
	return Snooze(st, user, until, now)
}

// Unmute ends a silence now. An incident that opened during it is posted
// by the next round (Step), which has the current count.
func Unmute(st AlertState, now time.Time) (AlertState, []Effect) {
	if st.SilencedUntil.IsZero() {
		return st, nil
	}
	st.SilencedUntil, st.SilencedBy = time.Time{}, ""
	return st, updateShown(st)
}

// updateShown edits the open incident's message, if it is posted.
func updateShown(st AlertState) []Effect {
	if st.Phase != PhaseFiring || st.MessageTS == "" {
		return nil
	}
	return []Effect{{Kind: EffectUpdate, MessageTS: st.MessageTS, View: st.View()}}
}
