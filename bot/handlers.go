package bot

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-retry"
	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands"
)

// allowed applies ALLOWED_CHANNELS and ALLOWED_USERS.
func (b *Bot) allowed(channelID, userID string) bool {
	return b.cfg.AllowedChannels.Allows(channelID) && b.cfg.AllowedUsers.Allows(userID)
}

func (b *Bot) ephemeralAnswers() bool { return b.cfg.ResponseVisibility != "in_channel" }

// handleSlash answers /inbox: the typed command of the text decides.
func (b *Bot) handleSlash(ctx context.Context, cmd slack.SlashCommand, received time.Time) {
	out := outcome{kind: "query", started: received}
	defer func() { b.logOutcome(out) }()
	if !b.allowed(cmd.ChannelID, cmd.UserID) {
		out.result = "refused"
		b.respond(ctx, cmd.ResponseURL, commands.RenderNotice(commands.NotAllowed), reply{})
		return
	}
	c, err := b.svc.ParseCommand(cmd.Text, cmd.UserID)
	if err != nil {
		out.result = "bad_query"
		b.respond(ctx, cmd.ResponseURL, commands.RenderError(commands.Explain(err)), reply{})
		return
	}
	out.kind = c.Name()
	// Digests are built on this side; the table still marks them not ready
	// until the commands side flips its flag at merge.
	if !commands.Ready(c) {
		out.result = "coming_soon"
		b.respond(ctx, cmd.ResponseURL, commands.RenderNotice(commands.ComingSoon(c)), reply{})
		return
	}
	switch c := c.(type) {
	case *commands.QueryCommand:
		out.query = logQuery(c.Query)
		b.answer(ctx, c.Query, commands.Position{}, cmd.ResponseURL, reply{inChannel: !b.ephemeralAnswers()}, b.ephemeralAnswers(), &out)
	case *commands.HelpCommand:
		out.result = "ok"
		b.respond(ctx, cmd.ResponseURL, helpMessage(c.Topic), reply{})
	case *commands.ExportCommand:
		b.exportQuery(ctx, c.Query, cmd.ChannelID, cmd.UserID, cmd.ResponseURL, &out)
	case *commands.DigestCommand:
		b.handleDigest(ctx, cmd, c, &out)
	case *commands.AlertCommand:
		b.handleAlert(ctx, cmd, c, &out)
	default:
		// A command the table marks ready that this bot cannot run yet.
		out.result = "coming_soon"
		b.respond(ctx, cmd.ResponseURL, commands.RenderNotice(commands.ComingSoon(c)), reply{})
	}
}

// handleClick serves a button: Prev, Next, Refresh, Share, Export. The state
// is in the button, so any replica can serve it.
func (b *Bot) handleClick(ctx context.Context, cb slack.InteractionCallback, received time.Time) {
	channelID := cb.Channel.ID
	if channelID == "" {
		channelID = cb.Container.ChannelID
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act == nil {
			continue
		}
		out := outcome{kind: "click:" + act.ActionID, started: received}
		b.click(ctx, cb, act, channelID, &out)
		b.logOutcome(out)
	}
}

func (b *Bot) click(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction, channelID string, out *outcome) {
	if !b.allowed(channelID, cb.User.ID) {
		out.result = "refused"
		b.respond(ctx, cb.ResponseURL, commands.RenderNotice(commands.NotAllowed), reply{})
		return
	}
	if commands.IsAlertAction(act.ActionID) {
		b.alertClick(ctx, cb, act, out)
		return
	}
	switch act.ActionID {
	case commands.ActionPrev, commands.ActionNext, commands.ActionRefresh, commands.ActionShare, commands.ActionExport:
	default:
		out.result = "unknown_action"
		return
	}
	st, err := commands.DecodeButtonState(act.Value)
	if err != nil {
		out.result = "bad_button"
		b.respond(ctx, cb.ResponseURL, commands.RenderError(commands.UnreadableButton), reply{})
		return
	}
	if act.ActionID == commands.ActionExport {
		b.export(ctx, st.Query, channelID, cb.User.ID, cb.ResponseURL, out)
		return
	}
	q, err := b.svc.Parse(st.Query, cb.User.ID)
	if err != nil {
		out.result = "bad_query"
		b.respond(ctx, cb.ResponseURL, commands.RenderError(commands.Explain(err)), reply{})
		return
	}
	out.query = logQuery(q)
	if act.ActionID == commands.ActionShare {
		b.answer(ctx, q, commands.PositionOf(st), cb.ResponseURL, reply{inChannel: true}, false, out)
		return
	}
	if commands.IsDigestBlock(act.BlockID) {
		// A digest is shared: a click answers the clicker alone, ephemerally.
		b.answer(ctx, q, commands.PositionOf(st), cb.ResponseURL, reply{}, true, out)
		return
	}
	b.answer(ctx, q, commands.PositionOf(st), cb.ResponseURL, reply{replace: true}, cb.Container.IsEphemeral, out)
}

// answer asks the inbox and posts the rendered answer, or the failure in words.
func (b *Bot) answer(ctx context.Context, q *commands.Query, pos commands.Position, responseURL string, r reply, ephemeral bool, out *outcome) {
	ctx, cancel := context.WithTimeout(ctx, b.answerTimeout())
	defer cancel()
	ctx, wait := withInboxWait(ctx)
	ans, err := b.svc.Ask(ctx, q, pos)
	if err != nil {
		out.result, out.err = failureResult(err), err
		b.fail(ctx, responseURL, commands.Explain(err))
		return
	}
	if err := b.respond(ctx, responseURL, b.svc.Render(ans, ephemeral), r); err != nil {
		out.result, out.err = "slack_error", err
		return
	}
	out.result = "ok"
	took := b.opts.Now().Sub(out.started)
	b.metrics.answer.WithLabelValues(out.kind).Observe(took.Seconds())
	b.metrics.overhead.Observe((took - wait.total()).Seconds())
}

// noticeTimeout bounds a failure notice posted after the job's own context
// ended (its deadline, or the drain on shutdown cancelled it).
const noticeTimeout = 3 * time.Second

// fail tells the user what went wrong. It posts even when ctx has ended,
// since that is often why the job failed, within noticeTimeout.
func (b *Bot) fail(ctx context.Context, responseURL, problem string) {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), noticeTimeout)
		defer cancel()
	}
	b.respond(ctx, responseURL, commands.RenderError(problem), reply{})
}

// reply says how a response_url message is posted.
type reply struct {
	inChannel bool // visible to the channel (else ephemeral)
	replace   bool // replace the message the click came from
}

// respond posts to a response_url (at most 5 uses in 30 minutes, so callers
// post sparingly), retrying Slack's 429s as Retry-After asks.
func (b *Bot) respond(ctx context.Context, responseURL string, msg commands.Message, r reply) error {
	if !b.trustedResponseURL(responseURL) {
		b.log.Warn("refusing to post to an unexpected response_url host")
		return errors.New("untrusted response_url")
	}
	wm := &slack.WebhookMessage{Text: msg.Text, Blocks: &slack.Blocks{BlockSet: msg.Blocks}, ReplaceOriginal: r.replace}
	if r.inChannel {
		wm.ResponseType = slack.ResponseTypeInChannel
	} else if !r.replace {
		wm.ResponseType = slack.ResponseTypeEphemeral
	}
	backoff := retry.WithMaxRetries(3, retry.NewExponential(200*time.Millisecond))
	err := retry.Do(ctx, backoff, func(ctx context.Context) error {
		err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, b.opts.HTTPClient, wm)
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			b.metrics.slackErrors.WithLabelValues("response_url", "ratelimited").Inc()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(min(rl.RetryAfter, 30*time.Second)):
			}
			return retry.RetryableError(err)
		}
		var sc slack.StatusCodeError
		if errors.As(err, &sc) && sc.Retryable() {
			return retry.RetryableError(err)
		}
		return err
	})
	if err != nil {
		b.metrics.slackErrors.WithLabelValues("response_url", slackErrorCode(err)).Inc()
		b.log.Warn("posting to response_url failed", "err", err)
	}
	return err
}

// trustedResponseURL accepts Slack's hooks host, or the host of
// SLACK_API_URL (a proxy or a test fake): a hostile payload cannot make the
// bot post customer data elsewhere.
func (b *Bot) trustedResponseURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" && (u.Host == "hooks.slack.com" || strings.HasSuffix(u.Host, ".slack.com")) {
		return true
	}
	api, err := url.Parse(b.cfg.SlackAPIURL)
	return err == nil && api.Scheme == u.Scheme && api.Host == u.Host
}

// slackErrorCode is the one reading of slack-go's errors: Slack's error
// code, or ours for a failure without one ("ratelimited", "http_503",
// "timeout", "error"). commands words each code (ExplainSlack).
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	var rl *slack.RateLimitedError
	switch {
	case errors.As(err, &se):
		return se.Err
	case errors.As(err, &rl):
		return "ratelimited"
	case errors.As(err, &sc):
		return "http_" + strconv.Itoa(sc.Code)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// slackFailure turns a slack-go error of method into data that commands
// words (Explain) and codes (ErrorCode); nil stays nil.
func slackFailure(method string, err error) error {
	if err == nil {
		return nil
	}
	var se *commands.SlackError
	if errors.As(err, &se) {
		return err
	}
	return &commands.SlackError{Method: method, Code: slackErrorCode(err), Err: err}
}

// outcome is the one log line of a command or click.
type outcome struct {
	kind    string
	query   string
	result  string
	err     error
	started time.Time
}

func (b *Bot) logOutcome(o outcome) {
	if o.result == "" {
		o.result = "unknown"
	}
	b.metrics.commands.WithLabelValues(o.kind, o.result).Inc()
	attrs := []any{"kind", o.kind, "query", o.query, "outcome", o.result,
		"duration_ms", b.opts.Now().Sub(o.started).Milliseconds()}
	if o.err != nil {
		// The error itself and its code, not the user's sentence: the log
		// is read to find the cause. Errors carry no contact data (an
		// inbox API's own message may appear: it is the API's).
		attrs = append(attrs, "err", o.err.Error(), "error_code", commands.ErrorCode(o.err))
	}
	b.log.Info("command", attrs...)
}

// failureResult is the outcome label of a failed answer: a query the
// bot refuses to run as asked (a page further than it scans) is the
// query's fault, anything else the inbox's.
func failureResult(err error) string {
	var qe *commands.QueryError
	if errors.As(err, &qe) {
		return "bad_query"
	}
	return "inbox_error"
}
