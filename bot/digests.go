package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/store"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/commands/schedule"
)

// Digests in the store (SPEC §7, §9): kind "digest", versioned JSON, ids
// d1, d2 ... from the store's counter, never reused.
const (
	digestKind     = "digest"
	digestVersion  = 1
	digestIDPrefix = "d"
	// storeTimeout bounds one store call made outside a command's context
	// (the scheduler's bookkeeping).
	storeTimeout = 5 * time.Second
)

// errDigestNotFound is a digest that is neither in the store nor in
// RULES_FILE.
var errDigestNotFound = errors.New("digest not found")

// digestService keeps the digests: those made in Slack (in the store) and
// those of RULES_FILE (their definition from the file, their state, such
// as the last slot or a pause, in the store like any other). It runs the
// commands of /inbox digest and feeds the scheduler.
type digestService struct {
	cfg     *Config
	st      store.Store
	svc     *Service
	post    *poster
	now     func() time.Time
	log     *slog.Logger
	metrics *Metrics
	sched   *rules.Scheduler
	// alerts share the store and RULES_FILE (its alerts: load and reload
	// with the digests, all or nothing).
	alerts *alertService

	mu   sync.Mutex
	file []commands.Digest // RULES_FILE's digests, in file order (definitions only)
}

// digestReply is what a digest command answers the user (ephemerally; a
// zero message answers nothing) and its outcome for the log line.
type digestReply struct {
	msg    commands.Message
	result string
	err    error
}

func notice(result, text string) digestReply {
	return digestReply{msg: commands.RenderNotice(text), result: result}
}

// notInChannel is SPEC §7's answer when the bot may not post in the
// channel (mrkdwn: it shows the /invite command as code).
func notInChannel() digestReply {
	return digestReply{msg: commands.RenderMrkdwn(commands.DigestNotInChannel()), result: "not_in_channel"}
}

func failure(result, text string, err error) digestReply {
	return digestReply{msg: commands.RenderError(text), result: result, err: err}
}

// env is the query environment for a digest: that of the user who set it
// up, so that @me in a saved query stays theirs.
func (s *digestService) env(slackUser string) commands.Env {
	env := s.svc.Env(slackUser)
	env.DefaultQuery = s.cfg.InboxDefaultQuery
	return env
}

// mayManage applies ADMIN_USERS to add, remove, pause and resume.
func (s *digestService) mayManage(user, verb string) (digestReply, bool) {
	if len(s.cfg.AdminUsers) == 0 || s.cfg.AdminUsers.Allows(user) {
		return digestReply{}, true
	}
	// The sentence names the admins as mentions: it is mrkdwn.
	return digestReply{msg: commands.RenderMrkdwn(commands.DigestAdminsOnly(verb, s.cfg.AdminUsers)), result: "not_admin"}, false
}

// add validates the schedule and query, posts the confirmation in the
// channel and, only once that post proves the bot may post there, saves
// the digest.
func (s *digestService) add(ctx context.Context, channel, user string, dc *commands.DigestCommand) digestReply {
	if r, ok := s.mayManage(user, "add"); !ok {
		return r
	}
	now := s.now()
	a, err := commands.ParseDigestAdd(dc.Args, s.env(user), s.cfg.ScheduleLocation())
	if err != nil {
		return failure("bad_query", commands.Explain(err), nil)
	}
	n, err := s.st.NextID(ctx, digestIDPrefix)
	if err != nil {
		return failure("store_error", "The digest could not be saved (the state store failed); try again.", err)
	}
	d := commands.NewDigest(a, digestIDPrefix+strconv.FormatInt(n, 10), channel, user, now)
	confirm := commands.RenderDigestAdded(d, a.Schedule.Describe(), a.Schedule.NextN(now, 3), s.svc.RenderOptions(false))
	if _, err := s.post.post(ctx, channel, confirm, nil); err != nil {
		if _, gone := channelGone(err); gone {
			return notInChannel()
		}
		return failure("slack_error", "Slack refused the confirmation ("+slackErrorCode(err)+"), so the digest was not saved; try again.", err)
	}
	if err := store.PutJSON(ctx, s.st, digestKind, d.ID, digestVersion, d); err != nil {
		return failure("store_error", "The digest could not be saved (the state store failed); try again.", err)
	}
	s.reschedule(ctx)
	return digestReply{result: "ok"}
}

// list answers the digests of the channel (of all channels with `all`).
func (s *digestService) list(ctx context.Context, channel, _ string, dc *commands.DigestCommand) digestReply {
	all := strings.EqualFold(strings.TrimSpace(dc.Args), "all")
	ds, err := s.all(ctx)
	if err != nil {
		return failure("store_error", "The digests could not be read (the state store failed); try again.", err)
	}
	now := s.now()
	var items []commands.DigestListItem
	for _, d := range ds {
		if !all && d.Channel != channel {
			continue
		}
		item := commands.DigestListItem{Digest: d}
		if sch, err := schedule.Parse(d.Schedule, s.cfg.ScheduleLocation()); err == nil {
			item.ScheduleWords = sch.Describe()
			if !d.Paused {
				item.Next = sch.Next(now)
			}
		} else {
			item.ScheduleWords = d.Schedule
		}
		items = append(items, item)
	}
	return digestReply{msg: commands.RenderDigestList(items, all, s.svc.RenderOptions(true)), result: "ok"}
}

// lookup reads the digest a run/remove/pause/resume names, in this
// channel.
func (s *digestService) lookup(ctx context.Context, channel string, dc *commands.DigestCommand) (commands.Digest, digestReply, bool) {
	id, err := commands.ParseDigestID(dc.Verb, dc.Args)
	if err != nil {
		return commands.Digest{}, failure("bad_query", commands.Explain(err), nil), false
	}
	d, err := s.get(ctx, id)
	switch {
	case errors.Is(err, errDigestNotFound):
		return d, notice("not_found", commands.DigestNotFound(id)), false
	case err != nil:
		return d, failure("store_error", "The digest could not be read (the state store failed); try again.", err), false
	case d.Channel != channel:
		// Digests are managed from the channel they post to (SPEC §7).
		return d, digestReply{msg: commands.RenderMrkdwn(fmt.Sprintf("%s posts to <#%s>: manage it from there.",
			commands.EscapeMrkdwn(d.ID), commands.EscapeMrkdwn(d.Channel))), result: "other_channel"}, false
	}
	return d, digestReply{}, true
}

// run posts a digest now; it does not consume a slot.
func (s *digestService) run(ctx context.Context, channel, _ string, dc *commands.DigestCommand) digestReply {
	d, r, ok := s.lookup(ctx, channel, dc)
	if !ok {
		return r
	}
	res := s.runDigest(ctx, d, rules.Slot{JobID: d.ID}, false)
	switch {
	case res.outcome == "quiet":
		return notice("quiet", fmt.Sprintf("%s found nobody, and it is quiet: nothing was posted.", d.ID))
	case res.outcome == "paused":
		return notInChannel()
	case res.err != nil && res.reason != "inbox" && res.reason != "query":
		return failure(res.outcome, "Slack refused the digest ("+res.reason+"); try again in a moment.", res.err)
	case res.err != nil:
		return failure(res.outcome, "The digest could not be posted: "+commands.Explain(res.err), res.err)
	}
	return digestReply{result: "ok"}
}

// remove deletes a digest made in Slack; file digests are edited in the
// file.
func (s *digestService) remove(ctx context.Context, channel, user string, dc *commands.DigestCommand) digestReply {
	if r, ok := s.mayManage(user, "remove"); !ok {
		return r
	}
	d, r, ok := s.lookup(ctx, channel, dc)
	if !ok {
		return r
	}
	if d.Source == commands.DigestSourceFile {
		return notice("file_rule", commands.DigestFileRule(d.ID))
	}
	if err := s.st.Delete(ctx, digestKind, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return failure("store_error", "The digest could not be removed (the state store failed); try again.", err)
	}
	s.reschedule(ctx)
	return notice("ok", commands.DigestRemoved(d.ID))
}

// pause stops a digest's schedule.
func (s *digestService) pause(ctx context.Context, channel, user string, dc *commands.DigestCommand) digestReply {
	if r, ok := s.mayManage(user, "pause"); !ok {
		return r
	}
	d, r, ok := s.lookup(ctx, channel, dc)
	if !ok {
		return r
	}
	why := "paused by " + user + " at " + s.now().In(s.cfg.ScheduleLocation()).Format("2006-01-02 15:04")
	if err := s.setPaused(ctx, d, true, why); err != nil {
		return failure("store_error", "The digest could not be paused (the state store failed); try again.", err)
	}
	s.reschedule(ctx)
	return notice("ok", commands.DigestPausedMsg(d.ID))
}

// resume restarts a digest's schedule from now: slots missed while it was
// paused are not posted late.
func (s *digestService) resume(ctx context.Context, channel, user string, dc *commands.DigestCommand) digestReply {
	if r, ok := s.mayManage(user, "resume"); !ok {
		return r
	}
	d, r, ok := s.lookup(ctx, channel, dc)
	if !ok {
		return r
	}
	if err := s.setPaused(ctx, d, false, ""); err != nil {
		return failure("store_error", "The digest could not be resumed (the state store failed); try again.", err)
	}
	s.reschedule(ctx)
	var next time.Time
	if sch, err := schedule.Parse(d.Schedule, s.cfg.ScheduleLocation()); err == nil {
		next = sch.Next(s.now())
	}
	return notice("ok", commands.DigestResumed(d.ID, next))
}

// setPaused records a pause (with why) or a resume, which restarts the
// slots from now.
func (s *digestService) setPaused(ctx context.Context, d commands.Digest, paused bool, why string) error {
	now := s.now()
	return s.update(ctx, d, func(v *commands.Digest) {
		v.Paused, v.PausedWhy = paused, why
		if !paused && v.LastSlot.Before(now) {
			v.LastSlot = now
		}
	})
}

// all returns every digest: those made in Slack in id order (d2 before
// d10), then RULES_FILE's in file order with their stored state.
func (s *digestService) all(ctx context.Context) ([]commands.Digest, error) {
	items, err := store.ListJSON[commands.Digest](ctx, s.st, digestKind)
	if err != nil {
		return nil, err
	}
	state := map[string]commands.Digest{}
	var out []commands.Digest
	for _, it := range items {
		if it.Value.Source == commands.DigestSourceFile {
			state[it.ID] = it.Value
			continue
		}
		it.Value.ID = it.ID
		out = append(out, it.Value)
	}
	slices.SortFunc(out, func(a, b commands.Digest) int {
		if c := cmp.Compare(len(a.ID), len(b.ID)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for _, def := range s.fileDigests() {
		out = append(out, withState(def, state[def.ID]))
	}
	return out, nil
}

// withState is a file digest's definition with its stored state.
func withState(def, st commands.Digest) commands.Digest {
	d := def
	d.Paused, d.PausedWhy, d.LastSlot = st.Paused, st.PausedWhy, st.LastSlot
	if !st.CreatedAt.IsZero() {
		d.CreatedAt = st.CreatedAt
	}
	return d
}

func (s *digestService) fileDigests() []commands.Digest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.file)
}

func (s *digestService) fileDigest(id string) (commands.Digest, bool) {
	for _, d := range s.fileDigests() {
		if d.ID == id {
			return d, true
		}
	}
	return commands.Digest{}, false
}

// get reads one digest by id.
func (s *digestService) get(ctx context.Context, id string) (commands.Digest, error) {
	if def, ok := s.fileDigest(id); ok {
		st, _, err := store.GetJSON[commands.Digest](ctx, s.st, digestKind, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return def, err
		}
		return withState(def, st), nil
	}
	d, _, err := store.GetJSON[commands.Digest](ctx, s.st, digestKind, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && d.Source == commands.DigestSourceFile {
		return d, errDigestNotFound // a file digest no longer in the file
	}
	d.ID = id
	return d, err
}

// update edits a digest's record atomically. A file digest's record is
// its state, made from the definition the first time; a Slack digest
// removed meanwhile is not brought back.
func (s *digestService) update(ctx context.Context, d commands.Digest, edit func(*commands.Digest)) error {
	return store.UpdateJSON(ctx, s.st, digestKind, d.ID, digestVersion, func(v *commands.Digest, found bool) (bool, error) {
		if !found {
			if d.Source != commands.DigestSourceFile {
				return false, errDigestNotFound
			}
			*v = d
		}
		edit(v)
		return true, nil
	})
}

// reschedule gives the scheduler every digest that is not paused (at
// start, after add/remove/pause/resume and after a reload).
func (s *digestService) reschedule(ctx context.Context) {
	ds, err := s.all(ctx)
	if err != nil {
		s.log.Warn("digests not rescheduled: the store could not list them", "err", err)
		return
	}
	var jobs []rules.Job
	for _, d := range ds {
		if d.Paused {
			continue
		}
		sch, err := schedule.Parse(d.Schedule, s.cfg.ScheduleLocation())
		if err != nil {
			s.log.Warn("digest not scheduled: its schedule cannot be read", "id", d.ID, "err", err)
			continue
		}
		after := d.CreatedAt
		if d.LastSlot.After(after) {
			after = d.LastSlot
		}
		jobs = append(jobs, rules.Job{ID: d.ID, Schedule: sch, After: after})
	}
	s.sched.Set(jobs)
}

// handled keeps a settled slot as the digest's LastSlot, so a restart
// starts after it.
func (s *digestService) handled(id string, slot time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	d, err := s.get(ctx, id)
	if err != nil {
		return // removed meanwhile
	}
	err = s.update(ctx, d, func(v *commands.Digest) {
		if slot.After(v.LastSlot) {
			v.LastSlot = slot
		}
	})
	if err != nil && !errors.Is(err, errDigestNotFound) {
		s.log.Warn("digest slot not recorded: the store failed", "id", id, "slot", slot, "err", err)
	}
}

// loadRules reads RULES_FILE and, when it is valid, replaces the file
// digests (creating the state of new ones). On any error the digests in
// use are kept and the error, "RULES_FILE line N: reason", returned.
func (s *digestService) loadRules(ctx context.Context) error {
	data, err := readRulesFile(s.cfg.RulesFile)
	if err != nil {
		return err
	}
	loc := s.cfg.ScheduleLocation()
	env := commands.RulesEnv{
		Query:    s.env(""),
		Schedule: func(text string) error { _, err := schedule.Parse(text, loc); return err },
	}
	rf, err := commands.ParseRulesFile(data, env)
	if err != nil {
		return err
	}
	now := s.now()
	defs := make([]commands.Digest, 0, len(rf.Digests))
	for _, fd := range rf.Digests {
		sch, err := schedule.Parse(fd.Schedule, loc)
		if err != nil {
			return &commands.RulesFileError{Line: fd.Line, Reason: err.Error()}
		}
		query := fd.Query
		if q, err := commands.Parse(fd.Query, env.Query); err == nil {
			query = q.WithPage(1).Canonical()
		}
		defs = append(defs, commands.Digest{
			ID: fd.ID, Channel: fd.Channel, Schedule: sch.String(), Query: query,
			Title: fd.Title, Quiet: fd.Quiet, CreatedAt: now, Source: commands.DigestSourceFile,
		})
	}
	var alerts []commands.Alert
	if s.alerts != nil {
		if alerts, err = s.alerts.fileDefs(rf.Alerts, now); err != nil {
			return err
		}
	}
	// A new file digest's slots count from its first load, across restarts.
	for _, d := range defs {
		err := store.UpdateJSON(ctx, s.st, digestKind, d.ID, digestVersion, func(v *commands.Digest, found bool) (bool, error) {
			if found && v.Source == commands.DigestSourceFile {
				return false, nil
			}
			*v = d // new, or an old Slack record of that id cannot exist (ids differ in form)
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("RULES_FILE: the state of %s could not be stored: %w", d.ID, err)
		}
	}
	s.mu.Lock()
	s.file = defs
	s.mu.Unlock()
	if s.alerts != nil {
		s.alerts.setFile(alerts)
	}
	return nil
}

// readRulesFile reads RULES_FILE, bounded in size.
func readRulesFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &commands.RulesFileError{Reason: "cannot read " + strconv.Quote(path) + ": " + pathErrorWords(err)}
	}
	defer f.Close()
	// One byte past the limit lets the parser say the file is too big.
	data, err := io.ReadAll(io.LimitReader(f, commands.MaxRulesFileSize+1))
	if err != nil {
		return nil, &commands.RulesFileError{Reason: "cannot read " + strconv.Quote(path) + ": " + pathErrorWords(err)}
	}
	return data, nil
}

// reloadRules is SIGHUP: load RULES_FILE again, keeping the digests in use
// when it has an error (which is logged), and reschedule.
func (s *digestService) reloadRules(ctx context.Context) error {
	if s.cfg.RulesFile == "" {
		return nil
	}
	if err := s.loadRules(ctx); err != nil {
		s.log.Warn("RULES_FILE not reloaded: keeping the rules in use", "err", err.Error())
		return err
	}
	s.log.Info("RULES_FILE reloaded", "digests", len(s.fileDigests()), "alerts", len(s.alerts.fileAlerts()))
	s.reschedule(ctx)
	return nil
}

// startupRulesError makes a RULES_FILE error at start a configuration
// error (exit status 78) that still reads "RULES_FILE line N: reason".
func startupRulesError(err error) error {
	var rfe *commands.RulesFileError
	if !errors.As(err, &rfe) {
		return err
	}
	name := "RULES_FILE"
	if rfe.Line > 0 {
		name += " line " + strconv.Itoa(rfe.Line)
	}
	return &ConfigError{Var: name, Problem: rfe.Reason}
}

// openDigests opens STORE_URL, loads RULES_FILE (an error stops start-up,
// naming its line) and prepares the scheduler with every digest.
func (b *Bot) openDigests(ctx context.Context) (*digestService, error) {
	st, err := store.Open(ctx, b.cfg.StoreURL, store.Options{})
	if err != nil {
		return nil, err
	}
	s := &digestService{
		cfg: b.cfg, st: st, svc: b.svc, now: b.opts.Now, log: b.log, metrics: b.metrics,
		post: newPoster(b.cfg, b.opts.HTTPClient, b.metrics),
	}
	s.alerts = b.newAlerts(st, s.post)
	s.sched, err = rules.NewScheduler(rules.Options{
		Clock:   b.opts.SchedulerClock,
		Claims:  st,
		Slots:   storeSlots{st},
		Owner:   store.NewOwnerID(),
		Grace:   b.cfg.DigestGrace,
		Run:     s.runSlot,
		Handled: s.handled,
		Observe: s.observe,
		Drain:   b.opts.DrainTimeout,
		Log:     b.log,
	})
	if err == nil && b.cfg.RulesFile != "" {
		err = startupRulesError(s.loadRules(ctx))
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	s.reschedule(ctx)
	return s, nil
}

// start runs the scheduler, and reloads RULES_FILE on each signal of
// reload, until the returned stop is called: stop waits for the digests
// being posted (bounded by the scheduler's drain).
func (s *digestService) start(ctx context.Context, reload <-chan os.Signal) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.sched.Run(ctx) })
	wg.Go(func() { s.resync(ctx) })
	if reload != nil {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-reload:
					s.reloadRules(ctx)
				}
			}
		})
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// digestResync is how often a replica re-reads the digests from the store:
// a digest added, resumed or edited through another replica reaches this
// one's schedule within it (removed and paused ones are checked at each
// run), so any replica can post any digest's slot.
const digestResync = 10 * time.Second

// resync reschedules from the store every digestResync, and sweeps old slot
// records now and then, until ctx ends.
func (s *digestService) resync(ctx context.Context) {
	t := time.NewTicker(digestResync)
	defer t.Stop()
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.reschedule(ctx)
		if now := s.now(); now.Sub(pruned) >= slotPruneEvery {
			pctx, cancel := context.WithTimeout(ctx, storeTimeout)
			if err := (storeSlots{s.st}).prune(pctx, now, s.cfg.DigestGrace); err != nil {
				s.log.Warn("old digest slot records not swept: the store failed", "err", err)
			} else {
				pruned = now
			}
			cancel()
		}
	}
}

// close closes the store, once nothing uses it any more.
func (s *digestService) close() {
	if err := s.st.Close(); err != nil {
		s.log.Warn("closing the state store failed", "err", err)
	}
}

// handleDigest runs `/inbox digest VERB ARGS` and answers the user
// ephemerally when the command has something to say.
func (b *Bot) handleDigest(ctx context.Context, cmd slack.SlashCommand, dc *commands.DigestCommand, out *outcome) {
	out.kind = "digest:" + dc.Verb
	if b.digests == nil {
		out.result = "unavailable"
		b.respond(ctx, cmd.ResponseURL, commands.RenderNotice("Digests are not available: the state store is not open."), reply{})
		return
	}
	verbs := map[string]func(context.Context, string, string, *commands.DigestCommand) digestReply{
		"add": b.digests.add, "list": b.digests.list, "run": b.digests.run,
		"remove": b.digests.remove, "pause": b.digests.pause, "resume": b.digests.resume,
		"preview": b.digests.preview,
	}
	run, ok := verbs[dc.Verb]
	if !ok {
		out.kind, out.result = "digest", "help"
		b.respond(ctx, cmd.ResponseURL, helpMessage("digest"), reply{})
		return
	}
	r := run(ctx, cmd.ChannelID, cmd.UserID, dc)
	out.result, out.err = r.result, r.err
	if r.msg.Text != "" || len(r.msg.Blocks) > 0 {
		b.respond(ctx, cmd.ResponseURL, r.msg, reply{})
	}
}
