package bot

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/store"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// Alerts in the store (SPEC §8, §9): kind "alert" holds the rules made in
// Slack (commands.Alert, ids a1, a2 ... never reused); kind "alertstate"
// holds every rule's state (Slack and RULES_FILE alike), one record per
// rule under the rule's id, edited only through store.UpdateJSON so that a
// round and a click never lose each other's writes.
const (
	alertKind         = "alert"
	alertVersion      = 1
	alertStateKind    = "alertstate"
	alertStateVersion = 1
)

// errAlertNotFound is an alert that is neither in the store nor in
// RULES_FILE.
var errAlertNotFound = errors.New("alert not found")

// alertRecord is one rule's state between rounds: the engine's state and
// what the bot needs to render and finish the Slack side without asking
// the inbox again (SPEC §8 "State").
type alertRecord struct {
	State rules.AlertState `json:"state"`
	// Channel is where the open incident's message (State.MessageTS) is.
	Channel string `json:"channel,omitempty"`
	// Lines are the summary lines of State.LastContacts, as the message
	// shows them.
	Lines []string `json:"lines,omitempty"`
	// Rev counts the changes of what the open incident's message shows;
	// Shown is the Rev the message in Slack shows. Shown < Rev is a dirty
	// message: an edit failed (429) or was coalesced, and the next edit or
	// round sends the latest state.
	Rev   int `json:"rev,omitempty"`
	Shown int `json:"shown,omitempty"`
	// Posting marks an incident's first post in flight, so that a round
	// overlapping it (another replica, a slow Slack) does not post it
	// again; it expires after postingTTL should its poster die.
	Posting *alertPosting `json:"posting,omitempty"`
	// Resolves are resolved incidents whose message is not yet edited to
	// Resolved or whose thread reply is not yet posted: retried by every
	// round until done, never dropped.
	Resolves []alertResolve `json:"resolves,omitempty"`
	// Entries are the entry lines of the contacts waiting in State.Batch
	// (a `new` rule), by id, so the announcement needs no fetch.
	Entries map[string]string `json:"entries,omitempty"`
	// Announces are batches due but not yet posted (Slack failed):
	// retried by the next rounds.
	Announces []alertAnnounce `json:"announces,omitempty"`
	// PausedWhy is set when Slack said the bot cannot post in the channel
	// (not_in_channel, channel_not_found, is_archived): the rule is not
	// evaluated until `alert unmute` (after /invite).
	PausedWhy string `json:"paused_why,omitempty"`
}

// alertPosting is a first post in flight.
type alertPosting struct {
	Incident int       `json:"incident"`
	At       time.Time `json:"at"`
}

// postingTTL is how long a post in flight holds off other rounds: far
// longer than a post takes (429s included: postAttempts × maxRetryAfter).
const postingTTL = 5 * time.Minute

// alertResolve is a resolved incident whose Slack side is not finished.
type alertResolve struct {
	TS      string             `json:"ts"`
	Channel string             `json:"channel"`
	View    rules.IncidentView `json:"view"`
	Lines   []string           `json:"lines,omitempty"`
	Edited  bool               `json:"edited,omitempty"`  // the message shows Resolved
	Replied bool               `json:"replied,omitempty"` // the thread reply is posted
}

// alertAnnounce is a `new` batch due to be posted.
type alertAnnounce struct {
	Contacts []string  `json:"contacts"`
	Entries  []string  `json:"entries"`
	At       time.Time `json:"at"`
}

// dirty reports whether the open incident's message shows less than the
// state.
func (r *alertRecord) dirty() bool {
	return r.State.MessageTS != "" && r.Shown < r.Rev
}

// pending reports whether the record has Slack work left.
func (r *alertRecord) pending() bool {
	return r.dirty() || len(r.Resolves) > 0 || len(r.Announces) > 0
}

// incidentView is what the state's open incident shows (the engine's own
// view of it is unexported; this mirrors it field for field).
func incidentView(st rules.AlertState) rules.IncidentView {
	return rules.IncidentView{
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

// sameView reports whether two views show the same.
func sameView(a, b rules.IncidentView) bool {
	return a.Incident == b.Incident && a.Count == b.Count && a.Capped == b.Capped &&
		slices.Equal(a.Contacts, b.Contacts) && a.FiringSince.Equal(b.FiringSince) &&
		a.Acked.By == b.Acked.By && a.Acked.At.Equal(b.Acked.At) &&
		a.SilencedUntil.Equal(b.SilencedUntil) && a.SilencedBy == b.SilencedBy && a.ResolvedAt.Equal(b.ResolvedAt)
}

// setState replaces the record's engine state, counting a change of what
// the open incident's message shows (the engine's own rule for Update).
func (r *alertRecord) setState(st rules.AlertState) {
	if !sameView(incidentView(r.State), incidentView(st)) {
		r.Rev++
	}
	r.State = st
}

// alertRule is a rule ready to run: its definition and its parsed form.
type alertRule struct {
	def  commands.Alert
	rule commands.AlertRule
	spec rules.AlertSpec
}

// alertService keeps the alert rules (SPEC §8): those made in Slack (in the
// store) and those of RULES_FILE (definitions from the file, state in the
// store), runs the rounds, executes the engine's effects in Slack, and
// serves /inbox alert and the incident buttons.
type alertService struct {
	cfg     *Config
	st      store.Store
	svc     *Service
	post    *poster
	eval    *evaluator
	clock   rules.Clock
	owner   string
	log     *slog.Logger
	metrics *Metrics
	drain   time.Duration

	mu    sync.Mutex
	file  []commands.Alert       // RULES_FILE's alerts, in file order
	locks map[string]*sync.Mutex // per rule: Slack edits of one message in order
}

// nowClock is the real clock with the bot's Now, for the alerts when no
// scheduler clock is given: rounds sleep on real timers, and every alert
// time (rounds, acks, mutes) comes from one clock.
type nowClock struct{ now func() time.Time }

func (c nowClock) Now() time.Time                       { return c.now() }
func (c nowClock) NewTimer(d time.Duration) rules.Timer { return rules.SystemClock{}.NewTimer(d) }

// newAlerts prepares the alerts on st, the store the digests use too.
func (b *Bot) newAlerts(st store.Store, post *poster) *alertService {
	clock := b.opts.SchedulerClock
	if clock == nil {
		clock = nowClock{now: b.opts.Now}
	}
	src := b.inbox
	if src == nil {
		src = b.cache
	}
	return &alertService{
		cfg: b.cfg, st: st, svc: b.svc, post: post, clock: clock, log: b.log, metrics: b.metrics,
		// Rounds ask the inbox itself, not the answers' cache: a round
		// must see the inbox as it is now, and its own walk already
		// shares identical requests.
		eval:  newEvaluator(src, commands.MaxAlertCount, 0),
		owner: store.NewOwnerID(),
		drain: b.opts.DrainTimeout,
		locks: map[string]*sync.Mutex{},
	}
}

func (s *alertService) now() time.Time { return s.clock.Now() }

// lock serialises the Slack work on one rule's messages in this process,
// so that two edits of one message land in the order they were made.
func (s *alertService) lock(id string) func() {
	s.mu.Lock()
	m := s.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		s.locks[id] = m
	}
	s.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// env is the query environment of a rule: that of who set it up, so @me
// stays theirs, at now.
func (s *alertService) env(slackUser string, now time.Time) commands.Env {
	env := s.svc.Env(slackUser)
	env.Now = now
	env.DefaultQuery = s.cfg.InboxDefaultQuery
	return env
}

// renderOptions are the options of alert messages, on the alerts' clock.
func (s *alertService) renderOptions(ephemeral bool) commands.RenderOptions {
	o := s.svc.RenderOptions(ephemeral)
	o.Now = s.now()
	return o
}

// parse reads a stored rule.
func (s *alertService) parse(a commands.Alert, now time.Time) (alertRule, error) {
	r, err := commands.ParseAlertRule(a.Rule, s.env(a.CreatedBy, now), s.cfg.ScheduleLocation(), s.cfg.AlertInterval)
	if err != nil {
		return alertRule{def: a}, err
	}
	return alertRule{def: a, rule: r, spec: rules.AlertSpecOf(r)}, nil
}

// request is what a round asks of the evaluator for a rule: the first
// contacts for a count rule's summary; for a `new` rule every id and, so
// that a batch's entries need no fetch later, every user (bounded by the
// count bound like the ids).
func request(r alertRule) evalRequest {
	if r.rule.Kind == commands.AlertNew {
		return evalRequest{Query: r.rule.Query, Users: commands.MaxAlertCount, IDs: true}
	}
	return evalRequest{Query: r.rule.Query, Users: rules.SummaryContacts}
}

// observation is the engine's view of an evaluation.
func observation(r alertRule, res evalResult) rules.Observation {
	obs := rules.Observation{Count: res.Count, Capped: res.Capped, Err: res.Err}
	if r.rule.Kind == commands.AlertNew {
		obs.Contacts = res.IDs
		return obs
	}
	for _, u := range res.Users[:min(len(res.Users), rules.SummaryContacts)] {
		obs.Contacts = append(obs.Contacts, u.ID)
	}
	return obs
}

// all returns every alert: those made in Slack in id order (a2 before
// a10), then RULES_FILE's in file order.
func (s *alertService) all(ctx context.Context) ([]commands.Alert, error) {
	items, err := store.ListJSON[commands.Alert](ctx, s.st, alertKind)
	if err != nil {
		return nil, err
	}
	out := make([]commands.Alert, 0, len(items))
	for _, it := range items {
		it.Value.ID = it.ID
		out = append(out, it.Value)
	}
	slices.SortFunc(out, func(a, b commands.Alert) int {
		if c := cmp.Compare(len(a.ID), len(b.ID)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return append(out, s.fileAlerts()...), nil
}

func (s *alertService) fileAlerts() []commands.Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.file)
}

// get reads one alert by id.
func (s *alertService) get(ctx context.Context, id string) (commands.Alert, error) {
	for _, a := range s.fileAlerts() {
		if a.ID == id {
			return a, nil
		}
	}
	a, _, err := store.GetJSON[commands.Alert](ctx, s.st, alertKind, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, errAlertNotFound
	}
	a.ID = id
	return a, err
}

// record reads a rule's state (the zero record when there is none yet).
func (s *alertService) record(ctx context.Context, id string) (alertRecord, error) {
	rec, _, err := store.GetJSON[alertRecord](ctx, s.st, alertStateKind, id)
	if errors.Is(err, store.ErrNotFound) {
		return alertRecord{}, nil
	}
	return rec, err
}

// records reads every rule's state, by id.
func (s *alertService) records(ctx context.Context) (map[string]alertRecord, error) {
	items, err := store.ListJSON[alertRecord](ctx, s.st, alertStateKind)
	if err != nil {
		return nil, err
	}
	out := make(map[string]alertRecord, len(items))
	for _, it := range items {
		out[it.ID] = it.Value
	}
	return out, nil
}

// edit changes a rule's record atomically; fn reports whether to write.
// fn may run more than once (the store retries on conflict): it must only
// compute.
func (s *alertService) edit(ctx context.Context, id string, fn func(r *alertRecord) bool) error {
	return store.UpdateJSON(ctx, s.st, alertStateKind, id, alertStateVersion, func(r *alertRecord, _ bool) (bool, error) {
		return fn(r), nil
	})
}

// fileDefs checks RULES_FILE's alerts and returns their definitions; an
// error is "RULES_FILE line N: reason".
func (s *alertService) fileDefs(fas []commands.FileAlert, now time.Time) ([]commands.Alert, error) {
	defs := make([]commands.Alert, 0, len(fas))
	for _, fa := range fas {
		r, err := commands.AlertRuleFromFile(fa, s.env("", now), s.cfg.ScheduleLocation(), s.cfg.AlertInterval)
		if err != nil {
			return nil, err
		}
		defs = append(defs, commands.Alert{
			ID: fa.ID, Channel: fa.Channel, Rule: r.Canonical(), CreatedAt: now, Source: commands.AlertSourceFile,
		})
	}
	return defs, nil
}

// setFile replaces RULES_FILE's alerts (after the whole file was checked).
func (s *alertService) setFile(defs []commands.Alert) {
	s.mu.Lock()
	s.file = defs
	s.mu.Unlock()
}

// alertReply is what an alert command answers (ephemerally; a zero
// message answers nothing) and its outcome for the log line.
type alertReply = digestReply

// mayManage applies ADMIN_USERS to add, remove, mute and unmute.
func (s *alertService) mayManage(user, verb string) (alertReply, bool) {
	if len(s.cfg.AdminUsers) == 0 || s.cfg.AdminUsers.Allows(user) {
		return alertReply{}, true
	}
	return alertReply{msg: commands.RenderMrkdwn(commands.AlertAdminsOnly(verb, s.cfg.AdminUsers)), result: "not_admin"}, false
}

// evaluateOnce evaluates one rule now, outside any round (add, test).
func (s *alertService) evaluateOnce(ctx context.Context, r alertRule, now time.Time) evalResult {
	res, _ := s.eval.round(ctx, []evalRequest{request(r)}, now)
	return res[0]
}

// add validates the rule, evaluates it once (the confirmation says the
// count, or the baseline of a `new` rule), posts the confirmation in the
// channel and, only once that post proves the bot may post there, saves
// the rule and its state (a `new` rule's baseline).
func (s *alertService) add(ctx context.Context, channel, user string, ac *commands.AlertCommand) alertReply {
	if r, ok := s.mayManage(user, "add"); !ok {
		return r
	}
	now := s.now()
	rule, err := commands.ParseAlertRule(ac.Args, s.env(user, now), s.cfg.ScheduleLocation(), s.cfg.AlertInterval)
	if err != nil {
		return failure("bad_query", commands.Explain(err), nil)
	}
	ar := alertRule{rule: rule, spec: rules.AlertSpecOf(rule)}
	res := s.evaluateOnce(ctx, ar, now)
	if res.Err != nil {
		return failure(failureResult(res.Err), "The alert was not saved: "+commands.Explain(res.Err), res.Err)
	}
	n, err := s.st.NextID(ctx, commands.AlertIDPrefix)
	if err != nil {
		return failure("store_error", "The alert could not be saved (the state store failed); try again.", err)
	}
	ar.def = commands.Alert{
		ID: commands.AlertIDPrefix + strconv.FormatInt(n, 10), Channel: channel, Rule: rule.Canonical(),
		CreatedBy: user, CreatedAt: now, Source: commands.AlertSourceSlack,
	}
	var rec alertRecord
	if rule.Kind == commands.AlertNew {
		// The contacts matching now are the baseline, never announced.
		rec.State, _ = rules.Step(ar.spec, rec.State, observation(ar, res), now)
	}
	confirm := commands.RenderAlertAdded(ar.def, rule, res.Count, res.Capped, s.renderOptions(false))
	if _, err := s.post.post(ctx, channel, confirm, nil); err != nil {
		if _, gone := channelGone(err); gone {
			return notInChannel()
		}
		return failure("slack_error", "Slack refused the confirmation ("+slackErrorCode(err)+"), so the alert was not saved; try again.", err)
	}
	// The state first: a rule is evaluated only once its definition is
	// saved, and then it finds its baseline.
	if err := store.PutJSON(ctx, s.st, alertStateKind, ar.def.ID, alertStateVersion, rec); err != nil {
		return failure("store_error", "The alert could not be saved (the state store failed); try again.", err)
	}
	if err := store.PutJSON(ctx, s.st, alertKind, ar.def.ID, alertVersion, ar.def); err != nil {
		return failure("store_error", "The alert could not be saved (the state store failed); try again.", err)
	}
	s.log.Info("alert added", "id", ar.def.ID, "kind", rule.Kind.String(), "count", res.Count)
	return alertReply{result: "ok"}
}

// list answers the alerts of the channel (of all channels with `all`)
// and their state.
func (s *alertService) list(ctx context.Context, channel, _ string, ac *commands.AlertCommand) alertReply {
	all := strings.EqualFold(strings.TrimSpace(ac.Args), "all")
	as, err := s.all(ctx)
	if err != nil {
		return failure("store_error", "The alerts could not be read (the state store failed); try again.", err)
	}
	recs, err := s.records(ctx)
	if err != nil {
		return failure("store_error", "The alerts could not be read (the state store failed); try again.", err)
	}
	now := s.now()
	var items []commands.AlertListItem
	for _, a := range as {
		if !all && a.Channel != channel {
			continue
		}
		items = append(items, listItem(s, a, recs[a.ID], now))
	}
	return alertReply{msg: commands.RenderAlertList(items, all, s.renderOptions(true)), result: "ok"}
}

// listItem is one row of `alert list`.
func listItem(s *alertService, a commands.Alert, rec alertRecord, now time.Time) commands.AlertListItem {
	item := commands.AlertListItem{Alert: a, State: commands.AlertStateOK, Paused: rec.PausedWhy}
	if r, err := s.parse(a, now); err == nil {
		item.Rule = &r.rule
	}
	st := rec.State
	switch st.Phase {
	case rules.PhaseFiring:
		item.State, item.Since, item.AckedBy = commands.AlertStateFiring, st.FiringSince, st.Acked.By
	case rules.PhasePending:
		item.State, item.Since = commands.AlertStatePending, st.PendingSince
	}
	if st.Silenced(now) {
		item.SilencedUntil, item.SilencedBy = st.SilencedUntil, st.SilencedBy
	}
	return item
}

// lookup reads the alert a remove/mute/unmute names, in this channel.
func (s *alertService) lookup(ctx context.Context, channel, id string) (commands.Alert, alertReply, bool) {
	a, err := s.get(ctx, id)
	switch {
	case errors.Is(err, errAlertNotFound):
		return a, notice("not_found", commands.AlertNotFound(id)), false
	case err != nil:
		return a, failure("store_error", "The alert could not be read (the state store failed); try again.", err), false
	case a.Channel != channel:
		// Alerts are managed from the channel they post to (SPEC §8).
		return a, alertReply{msg: commands.RenderMrkdwn(commands.AlertOtherChannel(a.ID, a.Channel)), result: "other_channel"}, false
	}
	return a, alertReply{}, true
}

// remove deletes an alert made in Slack and its state; file alerts are
// edited in the file.
func (s *alertService) remove(ctx context.Context, channel, user string, ac *commands.AlertCommand) alertReply {
	if r, ok := s.mayManage(user, "remove"); !ok {
		return r
	}
	id, err := commands.ParseAlertID("remove", ac.Args)
	if err != nil {
		return failure("bad_query", commands.Explain(err), nil)
	}
	a, r, ok := s.lookup(ctx, channel, id)
	if !ok {
		return r
	}
	if a.Source == commands.AlertSourceFile {
		return notice("file_rule", commands.AlertFileRule(a.ID))
	}
	if err := s.st.Delete(ctx, alertKind, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return failure("store_error", "The alert could not be removed (the state store failed); try again.", err)
	}
	if err := s.st.Delete(ctx, alertStateKind, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("alert state not removed: the store failed", "id", a.ID, "err", err)
	}
	s.log.Info("alert removed", "id", a.ID)
	return notice("ok", commands.AlertRemoved(a.ID))
}

// mute silences an alert for a while (rules.Mute): the open incident's
// message is edited to show until when and by whom.
func (s *alertService) mute(ctx context.Context, channel, user string, ac *commands.AlertCommand) alertReply {
	if r, ok := s.mayManage(user, "mute"); !ok {
		return r
	}
	id, d, err := commands.ParseAlertMute(ac.Args)
	if err != nil {
		return failure("bad_query", commands.Explain(err), nil)
	}
	a, r, ok := s.lookup(ctx, channel, id)
	if !ok {
		return r
	}
	now := s.now()
	until := now.Add(d)
	err = s.edit(ctx, a.ID, func(rec *alertRecord) bool {
		st, _ := rules.Mute(rec.State, user, until, now)
		rec.setState(st)
		return true
	})
	if err != nil {
		return failure("store_error", "The alert could not be muted (the state store failed); try again.", err)
	}
	s.log.Info("alert muted", "id", a.ID, "until", until)
	s.settleNow(ctx, a)
	return notice("ok", commands.AlertMuted(a.ID, until, s.cfg.ScheduleLocation()))
}

// unmute ends a silence (rules.Unmute) and a pause: once the bot was
// invited back, unmute lets a paused rule run again.
func (s *alertService) unmute(ctx context.Context, channel, user string, ac *commands.AlertCommand) alertReply {
	if r, ok := s.mayManage(user, "unmute"); !ok {
		return r
	}
	id, err := commands.ParseAlertID("unmute", ac.Args)
	if err != nil {
		return failure("bad_query", commands.Explain(err), nil)
	}
	a, r, ok := s.lookup(ctx, channel, id)
	if !ok {
		return r
	}
	now := s.now()
	err = s.edit(ctx, a.ID, func(rec *alertRecord) bool {
		st, _ := rules.Unmute(rec.State, now)
		rec.setState(st)
		rec.PausedWhy = ""
		return true
	})
	if err != nil {
		return failure("store_error", "The alert could not be unmuted (the state store failed); try again.", err)
	}
	s.log.Info("alert unmuted", "id", a.ID)
	s.settleNow(ctx, a)
	return notice("ok", commands.AlertUnmuted(a.ID))
}

// test evaluates a rule once and shows, ephemerally, what would be posted;
// it posts nothing and saves nothing.
func (s *alertService) test(ctx context.Context, _, user string, ac *commands.AlertCommand) alertReply {
	r, t, err := s.svc.AlertTest(ctx, ac.Args, user, s.eval, s.now())
	if err != nil {
		return failure(failureResult(err), commands.Explain(err), err)
	}
	return alertReply{msg: commands.RenderAlertTest(r, t, s.renderOptions(true)), result: "ok"}
}

// settleNow finishes the Slack side of a rule now (after a command or a
// click), bounded like any store call made for one.
func (s *alertService) settleNow(ctx context.Context, a commands.Alert) {
	ar, err := s.parse(a, s.now())
	if err != nil {
		ar = alertRule{def: a}
	}
	s.settle(ctx, ar)
}

// handleAlert runs `/inbox alert VERB ARGS` and answers the user
// ephemerally when the command has something to say.
func (b *Bot) handleAlert(ctx context.Context, cmd slack.SlashCommand, ac *commands.AlertCommand, out *outcome) {
	out.kind = "alert:" + ac.Verb
	if b.alerts == nil {
		out.result = "unavailable"
		b.respond(ctx, cmd.ResponseURL, commands.RenderNotice("Alerts are not available: the state store is not open."), reply{})
		return
	}
	verbs := map[string]func(context.Context, string, string, *commands.AlertCommand) alertReply{
		"add": b.alerts.add, "list": b.alerts.list, "remove": b.alerts.remove,
		"mute": b.alerts.mute, "unmute": b.alerts.unmute, "test": b.alerts.test,
	}
	run, ok := verbs[ac.Verb]
	if !ok {
		out.kind, out.result = "alert", "help"
		b.respond(ctx, cmd.ResponseURL, helpMessage("alert"), reply{})
		return
	}
	r := run(ctx, cmd.ChannelID, cmd.UserID, ac)
	out.result, out.err = r.result, r.err
	if r.msg.Text != "" || len(r.msg.Blocks) > 0 {
		b.respond(ctx, cmd.ResponseURL, r.msg, reply{})
	}
}

// alertEventType is the event_type of the Slack message metadata on an
// incident's message and an announcement, so tools reading the channel
// can tell which alert and incident a message is.
const alertEventType = "inboxbot_alert"

// alertMetadata is the metadata of an alert's message; incident 0 is an
// announcement of a `new` rule.
func alertMetadata(id string, incident int) *slack.SlackMetadata {
	payload := map[string]any{"alert": id}
	if incident > 0 {
		payload["incident"] = incident
	}
	return &slack.SlackMetadata{EventType: alertEventType, EventPayload: payload}
}

// alertView is what a message of rule r shows for the engine's view v.
func alertView(r alertRule, v rules.IncidentView, lines []string) commands.AlertView {
	return commands.AlertView{
		AlertID: r.def.ID, Rule: r.rule, Mention: r.spec.Notify,
		Incident: v.Incident, Count: v.Count, Capped: v.Capped, Lines: lines,
		FiringSince: v.FiringSince, AckedBy: v.Acked.By, AckedAt: v.Acked.At,
		SilencedUntil: v.SilencedUntil, SilencedBy: v.SilencedBy, ResolvedAt: v.ResolvedAt,
	}
}

// AlertTest evaluates `alert test RULE` once, as ev would in a round, and
// says what would be posted now: a count rule that holds with no `for`
// would post its incident; a `new` rule's matches would be its baseline.
// Slack, the shell and `query` share it.
func (s *Service) AlertTest(ctx context.Context, args, slackUser string, ev *evaluator, now time.Time) (commands.AlertRule, commands.AlertTest, error) {
	env := s.Env(slackUser)
	env.Now = now
	r, err := commands.ParseAlertRule(args, env, s.cfg.ScheduleLocation(), s.cfg.AlertInterval)
	if err != nil {
		return r, commands.AlertTest{}, err
	}
	if ev == nil {
		ev = newEvaluator(s.src, commands.MaxAlertCount, 0)
	}
	ar := alertRule{def: commands.Alert{ID: "test"}, rule: r, spec: rules.AlertSpecOf(r)}
	res := s.evaluateTest(ctx, ev, ar, now)
	if res.Err != nil {
		return r, commands.AlertTest{}, res.Err
	}
	t := commands.AlertTest{Count: res.Count, Capped: res.Capped}
	if r.Kind == commands.AlertNew {
		t.Holds = res.Count > 0
		return r, t, nil
	}
	t.Holds = r.Fires(res.Count) || res.Capped && res.Count >= r.Threshold
	if t.Holds && r.For == 0 {
		o := s.RenderOptions(false)
		o.Now = now
		st, effects := rules.Step(ar.spec, rules.AlertState{}, observation(ar, res), now)
		for _, e := range effects {
			if e.Kind == rules.EffectPost {
				t.Would = commands.RenderAlertIncident(alertView(ar, incidentView(st), commands.AlertSummaryLines(res.Users, o)), o)
			}
		}
	}
	return r, t, nil
}

func (s *Service) evaluateTest(ctx context.Context, ev *evaluator, r alertRule, now time.Time) evalResult {
	req := request(r)
	if r.rule.Kind == commands.AlertNew {
		req.Users = 0 // a test posts no announcement: the ids are enough
	}
	res, _ := ev.round(ctx, []evalRequest{req}, now)
	return res[0]
}

// alertUsers indexes a round's users by id.
func alertUsers(users []inbox.User) map[string]inbox.User {
	m := make(map[string]inbox.User, len(users))
	for _, u := range users {
		m[u.ID] = u
	}
	return m
}
