package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sethvargo/go-retry"
	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/store"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// alertRoundConcurrency bounds the rules whose Slack side one round works
// on at once: a rule waiting out a 429 does not hold up the others.
const alertRoundConcurrency = 4

// roundKeyPrefix starts a round's lease key: "alert-round:<unix>".
const roundKeyPrefix = "alert-round:"

// start runs a round at every multiple of ALERT_INTERVAL (the same
// instants on every replica, so the lease of a round names the same key
// everywhere) until the returned stop is called; stop lets a round in
// flight finish, bounded by the drain.
func (s *alertService) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	// Rounds outlive ctx by the drain, so a round is not cut in the
	// middle of its Slack side by a SIGTERM.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.loop(ctx, work)
	}()
	return func() {
		cancel()
		select {
		case <-done:
		case <-time.After(s.drain):
			s.log.Warn("an alert round still running at shutdown was cancelled", "drain", s.drain)
			cancelWork()
			<-done
		}
		cancelWork()
	}
}

// loop sleeps until the next round, runs it, and repeats until ctx ends.
// Rounds of one replica never overlap: one that overruns the interval
// makes the latest boundary passed the next round (missed rounds are not
// replayed: each evaluates the inbox as it is now).
func (s *alertService) loop(ctx, work context.Context) {
	iv := s.cfg.AlertInterval
	next := s.now().Truncate(iv).Add(iv)
	for {
		if ctx.Err() != nil {
			return
		}
		now := s.now()
		if now.Before(next) {
			// A bounded sleep: timers run on the monotonic clock, a wall
			// clock stepped by NTP would delay the round otherwise.
			timer := s.clock.NewTimer(min(next.Sub(now), maxAlertSleep))
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C():
			}
			continue
		}
		at := now.Truncate(iv)
		s.round(work, at)
		next = at.Add(iv)
	}
}

// maxAlertSleep bounds one sleep of the round loop.
const maxAlertSleep = 10 * time.Minute

// round claims the round at in the store, so exactly one replica runs it,
// evaluates every rule that is active, steps each, stores its new state
// and executes the effects. A replica that dies in the middle leaves the
// next round free: the lease is the interval long.
func (s *alertService) round(ctx context.Context, at time.Time) {
	iv := s.cfg.AlertInterval
	ctx, cancel := context.WithTimeout(ctx, max(iv, alertRoundMin))
	defer cancel()
	// Rounds never overlap across replicas: a round that outlasts the
	// interval holds the running lock, and the next round waits for the
	// boundary after it, so no two replicas settle one incident (two
	// "resolved" replies) at once.
	release, won, err := s.holdRunning(ctx)
	if err == nil && won {
		defer release()
		key := roundKeyPrefix + strconv.FormatInt(at.Unix(), 10)
		won, err = s.st.Claim(ctx, key, s.owner, iv)
	}
	switch {
	case err != nil:
		s.metrics.alertRounds.WithLabelValues("failed").Inc()
		s.log.Warn("alert round not run: the store could not claim it", "round", at, "err", err)
		return
	case !won:
		s.metrics.alertRounds.WithLabelValues("conflict").Inc()
		return
	}
	s.runRound(ctx, at)
	s.metrics.alertRounds.WithLabelValues("run").Inc()
}

// The running lock: held by the replica running a round, renewed while it
// runs, so that a replica that dies in a round blocks the rounds of the
// others for runningTTL at most.
const (
	runningKey   = "alert-rounds-running"
	runningTTL   = 10 * time.Second
	runningRenew = runningTTL / 3
)

// holdRunning takes the running lock and keeps it renewed until release.
// won is false when another replica's round is still running.
func (s *alertService) holdRunning(ctx context.Context) (release func(), won bool, err error) {
	won, err = s.st.Claim(ctx, runningKey, s.owner, runningTTL)
	if err != nil || !won {
		return func() {}, won, err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(runningRenew)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if ok, err := s.st.Renew(ctx, runningKey, s.owner, runningTTL); err != nil || !ok {
					s.log.Warn("alert round: the running lock could not be renewed", "renewed", ok, "err", err)
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		// A fresh context: the round's may be done, and the lock should
		// go at once rather than by expiry.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		if _, err := s.st.Release(rctx, runningKey, s.owner); err != nil {
			s.log.Warn("alert round: the running lock could not be released", "err", err)
		}
	}, true, nil
}

// alertRoundMin bounds a round from below: with ALERT_INTERVAL=1s a round
// still has time for Slack.
const alertRoundMin = 30 * time.Second

// runRound is one claimed round.
func (s *alertService) runRound(ctx context.Context, at time.Time) {
	defs, err := s.all(ctx)
	if err != nil {
		s.log.Warn("alert round: the store could not list the rules", "err", err)
		return
	}
	recs, err := s.records(ctx)
	if err != nil {
		s.log.Warn("alert round: the store could not read the states", "err", err)
		return
	}
	var active, idle []alertRule
	for _, a := range defs {
		r, err := s.parse(a, at)
		if err != nil {
			s.metrics.alertEvaluations.WithLabelValues("bad_rule").Inc()
			s.log.Warn("alert not evaluated: its stored rule cannot be read", "id", a.ID, "err", commands.Explain(err))
			continue
		}
		rec := recs[a.ID]
		switch {
		case rec.PausedWhy != "":
			s.metrics.alertEvaluations.WithLabelValues("paused").Inc()
		case r.spec.Hours != nil && !r.spec.Hours.Contains(at):
			// Outside its hours the rule is not evaluated (SPEC §8): it
			// costs the inbox nothing. Its Slack side still settles.
			s.metrics.alertEvaluations.WithLabelValues("outside_hours").Inc()
			if rec.pending() {
				idle = append(idle, r)
			}
		default:
			active = append(active, r)
		}
	}
	reqs := make([]evalRequest, len(active))
	for i, r := range active {
		reqs[i] = request(r)
	}
	var results []evalResult
	if len(reqs) > 0 {
		var stats roundStats
		results, stats = s.eval.round(ctx, reqs, at)
		s.metrics.alertRoundRequests.Observe(float64(stats.Requests))
		s.metrics.alertEvalDuration.Observe(stats.Duration.Seconds())
		if stats.Failed > 0 {
			s.log.Warn("alert round: inbox requests failed; those rules keep their state", "failed_queries", stats.Failed, "rules", stats.Rules)
		}
	}
	sem := make(chan struct{}, alertRoundConcurrency)
	var wg sync.WaitGroup
	for i, r := range active {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.apply(ctx, r, recs[r.def.ID], results[i], at)
		})
	}
	for _, r := range idle {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.settle(ctx, r)
		})
	}
	wg.Wait()
}

// apply feeds one rule's evaluation to the engine, stores the new state
// atomically and executes the effects.
//
// known is the record as the round read it: a rule whose evaluation
// failed, or changed nothing, goes to Slack only when that record has work
// left. A count rule whose state did not change (the usual quiet rule) is
// not written either: its last round only matters to active hours.
func (s *alertService) apply(ctx context.Context, r alertRule, known alertRecord, res evalResult, now time.Time) {
	if res.Err != nil {
		// A failed evaluation changes nothing: an inbox outage never
		// resolves an incident nor announces anyone.
		s.metrics.alertEvaluations.WithLabelValues("error").Inc()
		s.log.Warn("alert not evaluated: the inbox failed", "id", r.def.ID, "err", commands.Explain(res.Err))
		if known.pending() {
			s.settle(ctx, r)
		}
		return
	}
	s.metrics.alertEvaluations.WithLabelValues("ok").Inc()
	obs := observation(r, res)
	o := s.renderOptions(false)
	var lines []string
	var users map[string]inbox.User
	if r.rule.Kind == commands.AlertNew {
		users = alertUsers(res.Users)
	} else {
		lines = commands.AlertSummaryLines(res.Users[:min(len(res.Users), rules.SummaryContacts)], o)
	}
	var before, after alertRecord
	var effects []rules.Effect
	err := s.edit(ctx, r.def.ID, func(rec *alertRecord) bool {
		before, after = *rec, *rec
		effects = nil
		if rec.PausedWhy != "" {
			return false
		}
		st, effs := rules.Step(r.spec, rec.State, obs, now)
		if len(effs) == 0 && r.rule.Kind == commands.AlertCount && r.spec.Hours == nil && sameState(rec.State, st) &&
			(st.Phase != rules.PhaseFiring || slices.Equal(rec.Lines, lines)) {
			return false
		}
		rec.setState(st)
		if st.Phase == rules.PhaseFiring {
			rec.Lines = lines
		}
		for _, e := range effs {
			switch e.Kind {
			case rules.EffectPost:
				if p := rec.Posting; p != nil && p.Incident == st.Incident && now.Sub(p.At) < postingTTL {
					continue // another round is posting it
				}
				rec.Posting = &alertPosting{Incident: st.Incident, At: now}
			case rules.EffectResolve:
				rec.Resolves = append(rec.Resolves, alertResolve{TS: e.MessageTS, Channel: rec.Channel, View: e.View, Lines: lines})
				rec.Channel, rec.Lines, rec.Posting = "", nil, nil
			case rules.EffectAnnounce:
				entries := make([]string, len(e.Contacts))
				for i, id := range e.Contacts {
					entries[i] = rec.Entries[id]
				}
				rec.Announces = append(rec.Announces, alertAnnounce{Contacts: e.Contacts, Entries: entries, At: now})
			}
			effects = append(effects, e)
		}
		if r.rule.Kind == commands.AlertNew {
			rec.Entries = batchEntries(rec.Entries, st.Batch, users, o)
		}
		after = *rec
		return true
	})
	if err != nil {
		s.metrics.alertEvaluations.WithLabelValues("store_error").Inc()
		s.log.Warn("alert state not stored: the store failed; the round's effects are not executed", "id", r.def.ID, "err", err)
		return
	}
	s.observeStep(r, before.State, after.State, effects, res.Count)
	posted := false
	for _, e := range effects {
		switch e.Kind {
		case rules.EffectPost:
			s.postIncident(ctx, r, after)
			posted = true // what changed while it was posted is edited now
		case rules.EffectReply:
			s.remind(ctx, r, after, e)
		}
	}
	if posted || after.pending() {
		s.settle(ctx, r)
	}
}

// sameState reports whether a step changed nothing but the time of the
// last round.
func sameState(a, b rules.AlertState) bool {
	a.LastEvaluated = b.LastEvaluated
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && bytes.Equal(x, y)
}

// batchEntries keeps the entry lines of the contacts waiting in batch: the
// known ones, and those found this round from its users.
func batchEntries(old map[string]string, batch []string, users map[string]inbox.User, o commands.RenderOptions) map[string]string {
	if len(batch) == 0 {
		return nil
	}
	out := make(map[string]string, len(batch))
	var fresh []inbox.User
	for _, id := range batch {
		if line, ok := old[id]; ok {
			out[id] = line
		} else if u, ok := users[id]; ok {
			fresh = append(fresh, u)
		}
	}
	for i, line := range commands.AlertEntryLines(fresh, o) {
		out[fresh[i].ID] = line
	}
	return out
}

// observeStep logs a state transition (one line: rule id, from, to, the
// round's count; never customer data) and counts incidents.
func (s *alertService) observeStep(r alertRule, from, to rules.AlertState, effects []rules.Effect, count int) {
	if to.Incident > from.Incident {
		s.metrics.alertIncidents.WithLabelValues("opened").Inc()
	}
	for _, e := range effects {
		if e.Kind == rules.EffectResolve {
			s.metrics.alertIncidents.WithLabelValues("resolved").Inc()
		}
	}
	if from.Phase != to.Phase {
		attrs := []any{"id", r.def.ID, "from", from.Phase.String(), "to", to.Phase.String(), "count", count}
		if to.Phase == rules.PhaseFiring || from.Phase == rules.PhaseFiring {
			attrs = append(attrs, "incident", to.Incident)
		}
		s.log.Info("alert", attrs...)
	}
	for _, e := range effects {
		if e.Kind == rules.EffectAnnounce {
			s.log.Info("alert", "id", r.def.ID, "from", "watching", "to", "announce", "count", len(e.Contacts))
		}
	}
}

// postIncident posts an incident's message and records its ts, if the
// stored incident is still that one. A message posted for an incident
// that resolved meanwhile is queued to be resolved too.
func (s *alertService) postIncident(ctx context.Context, r alertRule, rec alertRecord) {
	unlock := s.lock(r.def.ID)
	defer unlock()
	view := rec.State.View()
	inc := view.Incident
	channel := r.def.Channel
	msg := commands.RenderAlertIncident(alertView(r, view, rec.Lines), s.renderOptions(false))
	ts, err := s.post.post(ctx, channel, msg, alertMetadata(r.def.ID, inc))
	if err != nil {
		s.edit(ctx, r.def.ID, func(cur *alertRecord) bool {
			if cur.Posting == nil || cur.Posting.Incident != inc {
				return false
			}
			cur.Posting = nil // the next round posts it again
			return true
		})
		s.slackFailed(ctx, r, "chat.postMessage", err)
		return
	}
	s.metrics.alertNotifications.WithLabelValues("post").Inc()
	duplicate := false
	err = s.editHard(ctx, r.def.ID, func(cur *alertRecord) bool {
		duplicate = false
		if cur.Posting != nil && cur.Posting.Incident == inc {
			cur.Posting = nil
		}
		st := cur.State
		switch {
		case st.Incident == inc && st.Phase == rules.PhaseFiring && st.MessageTS == "":
			st.MessageTS = ts
			cur.State, cur.Channel, cur.Shown = st, channel, cur.Rev
			if !st.View().Equal(view) {
				cur.Rev++ // acked or changed while posting: edit it
			}
		case st.Incident == inc && st.Phase == rules.PhaseFiring:
			// Another replica recorded its own post meanwhile (its hold
			// had expired): this one is a duplicate.
			duplicate = true
		default:
			// It resolved (or a newer incident opened) before the ts
			// was stored: resolve this message too.
			v := view
			v.ResolvedAt = st.ResolvedAt
			if v.ResolvedAt.IsZero() || st.Incident != inc {
				v.ResolvedAt = s.now()
			}
			cur.Resolves = append(cur.Resolves, alertResolve{TS: ts, Channel: channel, View: v, Lines: rec.Lines})
		}
		return true
	})
	if err != nil {
		s.log.Warn("alert message ts not stored: the store failed", "id", r.def.ID, "incident", inc, "err", err)
	}
	if duplicate {
		if _, _, err := s.post.api.DeleteMessageContext(ctx, channel, ts); err != nil {
			s.metrics.slackErrors.WithLabelValues("chat.delete", slackErrorCode(err)).Inc()
			s.log.Warn("a duplicate alert message could not be deleted", "id", r.def.ID, "incident", inc, "reason", slackErrorCode(err))
		}
	}
}

// tsRecordBudget bounds how long the ts of a posted incident is retried
// while the store fails: well inside postingTTL, after which another
// round would post the incident again.
const tsRecordBudget = postingTTL / 2

// editHard is edit for what must not be lost (the ts of a message Slack
// accepted): a failing store is retried with backoff, beyond the round's
// own deadline, for tsRecordBudget at most.
func (s *alertService) editHard(ctx context.Context, id string, fn func(r *alertRecord) bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tsRecordBudget)
	defer cancel()
	backoff := retry.WithCappedDuration(5*time.Second, retry.NewExponential(100*time.Millisecond))
	return retry.Do(ctx, backoff, func(ctx context.Context) error {
		attempt, cancel := context.WithTimeout(ctx, storeTimeout)
		defer cancel()
		err := s.edit(attempt, id, fn)
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrBadRecord) || errors.Is(err, store.ErrNewerVersion) {
			return err // no retry mends these
		}
		if err != nil {
			return retry.RetryableError(err)
		}
		return nil
	})
}

// remind posts a reminder in the incident's thread, broadcast to the
// channel, with the mention.
func (s *alertService) remind(ctx context.Context, r alertRule, rec alertRecord, e rules.Effect) {
	msg := commands.RenderAlertReminder(alertView(r, e.View, rec.Lines), s.renderOptions(false))
	if err := s.post.reply(ctx, rec.Channel, e.MessageTS, msg, true); err != nil {
		s.slackFailed(ctx, r, "chat.postMessage", err)
		return
	}
	s.metrics.alertNotifications.WithLabelValues("reply").Inc()
}

// settle finishes a rule's Slack side: the open message edited to the
// latest state when it is dirty, resolved incidents edited and replied
// to, due announcements posted. What fails stays in the record for the
// next round.
func (s *alertService) settle(ctx context.Context, r alertRule) {
	unlock := s.lock(r.def.ID)
	defer unlock()
	for range 3 { // an edit that raced a newer change goes once more
		rec, err := s.record(ctx, r.def.ID)
		if err != nil || rec.PausedWhy != "" || !rec.dirty() {
			break
		}
		if !s.flush(ctx, r, rec) {
			break
		}
	}
	rec, err := s.record(ctx, r.def.ID)
	if err != nil || rec.PausedWhy != "" {
		return
	}
	for _, res := range rec.Resolves {
		if !s.finishResolve(ctx, r, res) {
			break
		}
	}
	for _, a := range rec.Announces {
		if !s.announce(ctx, r, a) {
			break
		}
	}
}

// flush edits the open incident's message to the state in rec; false when
// Slack refused (the record stays dirty).
func (s *alertService) flush(ctx context.Context, r alertRule, rec alertRecord) bool {
	ts, rev := rec.State.MessageTS, rec.Rev
	msg := commands.RenderAlertIncident(alertView(r, rec.State.View(), rec.Lines), s.renderOptions(false))
	if err := s.post.update(ctx, rec.Channel, ts, msg); err != nil {
		s.slackFailed(ctx, r, "chat.update", err)
		return false
	}
	s.metrics.alertNotifications.WithLabelValues("update").Inc()
	s.edit(ctx, r.def.ID, func(cur *alertRecord) bool {
		if cur.State.MessageTS != ts || cur.Shown >= rev {
			return false
		}
		cur.Shown = rev
		return true
	})
	return true
}

// finishResolve edits a resolved incident's message to Resolved and
// replies in its thread; each step is recorded as done, so a retry does
// only what is left. False when Slack refused.
func (s *alertService) finishResolve(ctx context.Context, r alertRule, res alertResolve) bool {
	v := alertView(r, res.View, res.Lines)
	o := s.renderOptions(false)
	if !res.Edited {
		if err := s.post.update(ctx, res.Channel, res.TS, commands.RenderAlertIncident(v, o)); err != nil {
			if s.slackFailed(ctx, r, "chat.update", err) == slackGone {
				s.dropResolve(ctx, r, res.TS)
			}
			return false
		}
		res.Edited = true
		s.markResolve(ctx, r, res)
	}
	if !res.Replied {
		if err := s.post.reply(ctx, res.Channel, res.TS, commands.RenderAlertResolvedReply(v, o), false); err != nil {
			if s.slackFailed(ctx, r, "chat.postMessage", err) == slackGone {
				s.dropResolve(ctx, r, res.TS)
			}
			return false
		}
		res.Replied = true
	}
	s.metrics.alertNotifications.WithLabelValues("resolve").Inc()
	s.markResolve(ctx, r, res)
	return true
}

// markResolve records the progress of a resolve; a finished one leaves
// the record.
func (s *alertService) markResolve(ctx context.Context, r alertRule, res alertResolve) {
	s.edit(ctx, r.def.ID, func(cur *alertRecord) bool {
		for i := range cur.Resolves {
			if cur.Resolves[i].TS != res.TS {
				continue
			}
			if res.Edited && res.Replied {
				cur.Resolves = append(cur.Resolves[:i:i], cur.Resolves[i+1:]...)
			} else {
				cur.Resolves[i].Edited, cur.Resolves[i].Replied = res.Edited, res.Replied
			}
			return true
		}
		return false
	})
}

// dropResolve gives up a resolve whose message Slack says is gone for good.
func (s *alertService) dropResolve(ctx context.Context, r alertRule, ts string) {
	s.markResolve(ctx, r, alertResolve{TS: ts, Edited: true, Replied: true})
}

// announce posts a due batch of a `new` rule: one message naming each
// contact. False when Slack refused (it stays for the next round).
func (s *alertService) announce(ctx context.Context, r alertRule, a alertAnnounce) bool {
	o := s.renderOptions(false)
	o.Now = a.At
	msg := commands.RenderAlertAnnounce(r.def, r.rule, r.spec.Notify, a.Entries, o)
	if _, err := s.post.post(ctx, r.def.Channel, msg, alertMetadata(r.def.ID, 0)); err != nil {
		if s.slackFailed(ctx, r, "chat.postMessage", err) == slackGone {
			s.dropAnnounce(ctx, r, a)
		}
		return false
	}
	s.metrics.alertNotifications.WithLabelValues("announce").Inc()
	s.dropAnnounce(ctx, r, a)
	return true
}

func (s *alertService) dropAnnounce(ctx context.Context, r alertRule, a alertAnnounce) {
	s.edit(ctx, r.def.ID, func(cur *alertRecord) bool {
		for i := range cur.Announces {
			if cur.Announces[i].At.Equal(a.At) && len(cur.Announces[i].Contacts) == len(a.Contacts) {
				cur.Announces = append(cur.Announces[:i:i], cur.Announces[i+1:]...)
				return true
			}
		}
		return false
	})
}

// What a Slack failure means for a rule.
type slackOutcome uint8

const (
	slackRetry slackOutcome = iota // later: a 429, an outage
	slackGone                      // the bot cannot post there: the rule is paused
)

// slackFailed logs a failed Slack call of rule r and, when Slack says the
// bot cannot post in the channel, pauses the rule (as digests do).
func (s *alertService) slackFailed(ctx context.Context, r alertRule, method string, err error) slackOutcome {
	code, gone := channelGone(err)
	if !gone {
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			s.log.Info("alert message not sent: Slack rate-limited it; the next round sends the latest state", "id", r.def.ID, "method", method)
		} else {
			s.log.Warn("alert message not sent; the next round tries again", "id", r.def.ID, "method", method, "reason", slackErrorCode(err))
		}
		return slackRetry
	}
	s.pauseGone(ctx, r, code)
	return slackGone
}

// pauseGone pauses a rule whose channel the bot cannot post to, saying
// why (`alert list` shows it); `alert unmute` starts it again.
func (s *alertService) pauseGone(ctx context.Context, r alertRule, code string) {
	why := "Slack said " + code + " at " + s.now().In(s.cfg.ScheduleLocation()).Format("2006-01-02 15:04")
	err := s.edit(ctx, r.def.ID, func(cur *alertRecord) bool {
		cur.PausedWhy = why
		cur.Posting = nil
		return true
	})
	if err != nil {
		s.log.Warn("alert not paused: the store failed", "id", r.def.ID, "err", err)
		return
	}
	s.log.Warn("alert paused: the bot cannot post in its channel", "id", r.def.ID, "reason", code)
}
