package bot

import (
	"context"
	"errors"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/commands/schedule"
	"github.com/convertalk/inboxbot/inbox"
)

// digestTimeout bounds one digest run: the first page, the walk for the
// count (at most MaxDigestCount contacts) and the post.
const digestTimeout = 5 * time.Minute

// Outcomes of a digest run (the log line and the metrics' label).
const (
	digestPosted = "posted"
	digestLate   = "late"
	digestQuiet  = "quiet"  // a quiet digest with nobody to report: nothing posted
	digestPaused = "paused" // Slack said the bot cannot post there: paused
	digestFailed = "failed"
	digestTaken  = "taken" // another replica began posting the slot first: not posted here
	// digestDeferred: the store failed as the post was about to begin;
	// nothing was posted and the scheduler tries the slot again.
	digestDeferred = "deferred"
)

// runResult is what became of one digest run.
type runResult struct {
	outcome string
	reason  string // why it failed or was paused: a Slack error code, "inbox", "query"
	count   int
	err     error
}

// runFailure marks a run's error so that the scheduler's report of it is
// not counted twice (the run counts itself, with its reason).
type runFailure struct{ err error }

func (e *runFailure) Error() string { return e.err.Error() }
func (e *runFailure) Unwrap() error { return e.err }

// runSlot is the scheduler's Run: post one slot of a digest, unless it was
// removed or paused since the slot was planned.
func (s *digestService) runSlot(ctx context.Context, slot rules.Slot) error {
	getCtx, cancel := context.WithTimeout(ctx, storeTimeout)
	d, err := s.get(getCtx, slot.JobID)
	cancel()
	if errors.Is(err, errDigestNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.Paused {
		return nil
	}
	res := s.runDigest(ctx, d, slot, true)
	if res.err != nil {
		return &runFailure{res.err}
	}
	return nil
}

// runDigest runs a digest once: the first page of its query through the
// bot's cache, the count over every page (bounded by MaxDigestCount), the
// message, and the post to its channel. scheduled runs carry the slot in
// the message's metadata and its late mark. One log line per run.
func (s *digestService) runDigest(ctx context.Context, d commands.Digest, slot rules.Slot, scheduled bool) runResult {
	started := s.now()
	ctx, cancel := context.WithTimeout(ctx, digestTimeout)
	defer cancel()
	res := s.report(ctx, d, slot, scheduled, started)
	s.metrics.digests.WithLabelValues(res.outcome, res.reason).Inc()
	trigger := "command"
	if scheduled {
		trigger = "schedule"
	}
	attrs := []any{"id", d.ID, "trigger", trigger, "count", res.count, "outcome", res.outcome,
		"duration_ms", s.now().Sub(started).Milliseconds()}
	if scheduled {
		attrs = append(attrs, "slot", slot.At)
	}
	if res.reason != "" {
		attrs = append(attrs, "reason", res.reason)
	}
	if res.err != nil {
		attrs = append(attrs, "err", commands.Explain(res.err))
	}
	s.log.Info("digest", attrs...)
	return res
}

func (s *digestService) report(ctx context.Context, d commands.Digest, slot rules.Slot, scheduled bool, now time.Time) runResult {
	q, err := commands.Parse(d.Query, s.env(d.CreatedBy))
	if err != nil {
		return runResult{outcome: digestFailed, reason: "query", err: err}
	}
	first, sum, err := s.gather(ctx, q, now)
	if err != nil {
		return runResult{outcome: digestFailed, reason: "inbox", err: err}
	}
	res := runResult{count: sum.Count}
	if d.Quiet && sum.Count == 0 {
		res.outcome = digestQuiet
		return res
	}
	rep := commands.DigestReport{
		Digest: d, Words: q.Words(), Summary: sum, First: first, RanAt: now,
		Late: scheduled && slot.Late, Slot: slot.At,
	}
	if !d.Paused {
		if sch, err := schedule.Parse(d.Schedule, s.cfg.ScheduleLocation()); err == nil {
			rep.Next = sch.Next(now)
		}
	}
	msg := commands.RenderDigest(rep, s.svc.RenderOptions(false))
	var meta = digestMetadata(d.ID, slot.At)
	if !scheduled {
		meta = nil
	}
	// The intent, right before the post and after everything that may be
	// slow: a replica that dies before it loses nothing (another takes the
	// slot), one that dies after it leaves a slot that is not posted twice.
	if ok, err := slot.Begin(ctx); err != nil {
		res.outcome, res.reason, res.err = digestDeferred, "store", err
		return res
	} else if !ok {
		res.outcome = digestTaken
		return res
	}
	if _, err := s.post.post(ctx, d.Channel, msg, meta); err != nil {
		res.reason, res.err = slackErrorCode(err), err
		if code, gone := channelGone(err); gone {
			res.outcome = digestPaused
			s.pauseGone(d, code)
			return res
		}
		res.outcome = digestFailed
		return res
	}
	res.outcome = digestPosted
	if rep.Late {
		res.outcome = digestLate
	}
	return res
}

// gather asks for the first page of q (as an answer shows it, through
// the bot's cache) and counts every match.
func (s *digestService) gather(ctx context.Context, q *commands.Query, now time.Time) (*commands.Answer, commands.DigestSummary, error) {
	first, err := s.svc.Ask(ctx, q, commands.Position{})
	if err != nil {
		return nil, commands.DigestSummary{}, err
	}
	sum, err := countDigest(ctx, s.svc.src, q, now)
	return first, sum, err
}

// preview shows the user, ephemerally, the digest a query would post.
func (s *digestService) preview(ctx context.Context, channel, user string, dc *commands.DigestCommand) digestReply {
	ctx, cancel := context.WithTimeout(ctx, digestTimeout)
	defer cancel()
	rep, err := s.svc.DigestPreview(ctx, dc.Args, user)
	if err != nil {
		return failure(failureResult(err), commands.Explain(err), err)
	}
	rep.Digest.Channel = channel
	return digestReply{msg: commands.RenderDigest(rep, s.svc.RenderOptions(true)), result: "ok"}
}

// pauseGone pauses a digest whose channel the bot cannot post to, saying
// why (`digest list` shows it), and takes it off the schedule.
func (s *digestService) pauseGone(d commands.Digest, code string) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	why := "Slack said " + code + " at " + s.now().In(s.cfg.ScheduleLocation()).Format("2006-01-02 15:04")
	if err := s.setPaused(ctx, d, true, why); err != nil {
		s.log.Warn("digest not paused: the store failed", "id", d.ID, "err", err)
		return
	}
	s.log.Warn("digest paused: the bot cannot post in its channel", "id", d.ID, "reason", code)
	s.reschedule(ctx)
}

// digestConcurrency bounds the page requests in flight for one digest's
// count: the page being read and three ahead of it.
const digestConcurrency = 4

// countDigest walks every page of q's results (through src, the bot's
// cache, so the first page the answer fetched is not fetched again) with
// bounded page concurrency and counts the matches into a summary, stopping
// past MaxDigestCount ("5,000+"). Only the summary is kept: memory stays
// flat whatever the count.
func countDigest(ctx context.Context, src inbox.Source, q *commands.Query, now time.Time) (commands.DigestSummary, error) {
	var sum commands.DigestSummary
	opt := commands.ScanOptions{Limit: commands.MaxDigestCount, Concurrency: digestConcurrency}
	res, err := commands.Scan(ctx, src, q, now, opt, func(u inbox.User) bool { return sum.Add(u) })
	if err != nil {
		return commands.DigestSummary{}, err
	}
	sum.Capped = sum.Capped || res.Capped
	return sum, nil
}

// observe turns the scheduler's outcomes into metrics: missed slots,
// claims lost to another replica, the lag of each post, and failures the
// run did not count itself (the store could not claim the slot).
func (s *digestService) observe(o rules.Outcome) {
	switch o.Kind {
	case rules.OutcomeSkipped:
		s.metrics.digests.WithLabelValues("skipped", "missed").Inc()
	case rules.OutcomeConflict:
		s.metrics.slotConflicts.Inc()
	case rules.OutcomeUncertain:
		// The window no lease closes (README "Several replicas"): counted
		// so an alert can ask someone to look at the channel.
		s.metrics.digests.WithLabelValues("uncertain", "outcome_lost").Inc()
	case rules.OutcomeFailed:
		var rf *runFailure
		if !errors.As(o.Err, &rf) && o.Err != nil {
			s.metrics.digests.WithLabelValues(digestFailed, "store").Inc()
		}
	case rules.OutcomePosted, rules.OutcomeLate:
		s.metrics.schedulerLag.Observe(max(o.Lag, 0).Seconds())
	}
}
