package bot

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

// BotOptions tune the Slack bot; the zero value means the defaults.
type BotOptions struct {
	Workers      int           // concurrent handlers (default 256: they mostly wait on the inbox)
	Queue        int           // events waiting for a worker before "busy" (default 2048)
	DrainTimeout time.Duration // how long SIGTERM waits for in-flight work (default 20s)
	PingInterval time.Duration // longest gap between Slack's pings before reconnecting (default 30s)
	CacheTTL     time.Duration // how long an inbox answer is reused (default 5s)
	AckTimeout   time.Duration // bound on queuing one ack (default 2s)
	// ProgressAfter is when a long export tells the user it is still going
	// (once: a response_url takes only five posts; default 5s).
	ProgressAfter time.Duration
	Listener      net.Listener // for HTTP_ADDR; tests pass 127.0.0.1:0
	HTTPClient    *http.Client // for Slack and response_url (default: 15s timeout)
	Now           func() time.Time
	Logger        *slog.Logger
	Build         BuildInfo
	// SchedulerClock is the clock of the digest scheduler and of the alerts
	// (their rounds, acks, snoozes and mutes); default: the system clock
	// for the digests, Now on real timers for the alerts. Tests pass a
	// fake one to run schedules and rounds without waiting.
	SchedulerClock rules.Clock
	// Reload delivers SIGHUP: RULES_FILE is read again.
	Reload <-chan os.Signal
}

func (o *BotOptions) defaults() {
	if o.Workers <= 0 {
		o.Workers = 256
	}
	if o.Queue <= 0 {
		o.Queue = 2048
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 20 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 5 * time.Second
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 2 * time.Second
	}
	if o.ProgressAfter <= 0 {
		o.ProgressAfter = 5 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = newSlackHTTPClient()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// newSlackHTTPClient is the client for Slack's Web API and response_urls.
// Go's default transport keeps 2 idle connections per host, so a burst of
// answers would open (and TLS-handshake) one connection each to
// hooks.slack.com; keeping more idle lets the next burst reuse them.
func newSlackHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 128
	return &http.Client{Timeout: 15 * time.Second, Transport: t}
}

// Bot is the Slack bot: a Socket Mode event loop that acks every envelope at
// once and hands the work to a bounded pool of workers.
type Bot struct {
	cfg     *Config
	opts    BotOptions
	log     *slog.Logger
	metrics *Metrics
	svc     *Service // parse, ask (through the cache), render
	cache   *cachingSource
	api     *slack.Client
	sm      *socketmode.Client
	jobs    chan job
	ready   atomic.Bool
	tap     *handshakeTap  // the HTTP status of a refused websocket handshake
	digests *digestService // set by Run: the store, RULES_FILE and the scheduler
	alerts  *alertService  // set by Run: alert rules and rounds, on the digests' store
	inbox   inbox.Source   // the inbox itself, under the cache: alert rounds see it as it is

	// Connection failures, logged with their cause but rate-limited; only
	// the event loop touches them.
	connFails *failureLog    // opening a connection (apps.connections.open, dial)
	readFails *failureLog    // an open connection failing
	connects  *failureLog    // successful connections: a disconnect loop must not flood either
	notes     sync.WaitGroup // notes posted outside the workers (busy)

	// beforeJob, when set (by tests only), runs in the worker before each
	// job: a test blocks the workers or makes a job panic through it.
	beforeJob func(ctx context.Context, kind string)
}

// job is one acked envelope waiting for a worker.
type job struct {
	kind        string
	received    time.Time
	responseURL string // where the user hears about a failure
	run         func(ctx context.Context)
}

// NewBot wires the bot from the configuration. It does not connect yet.
func NewBot(cfg *Config, opts BotOptions) (*Bot, error) {
	if err := cfg.RequireSlack(); err != nil {
		return nil, err
	}
	opts.defaults()
	b := &Bot{cfg: cfg, opts: opts, log: opts.Logger, metrics: NewMetrics()}
	client, err := newInboxClient(cfg, opts.Build, inbox.WithObserver(b.metrics))
	if err != nil {
		return nil, err
	}
	b.inbox = client
	b.cache = newCachingSource(client, opts.CacheTTL, opts.Now)
	b.svc = NewService(cfg, b.cache, opts.Now)
	b.api = slack.New(cfg.SlackBotToken,
		slack.OptionAppLevelToken(cfg.SlackAppToken),
		slack.OptionAPIURL(cfg.SlackAPIURL),
		slack.OptionHTTPClient(opts.HTTPClient),
		slack.OptionRetry(3), // 429s of the Web API, honouring Retry-After
	)
	b.tap = &handshakeTap{}
	b.connFails = newFailureLog(connLogEvery, connWarnAfter)
	b.readFails = newFailureLog(connLogEvery, 0)
	b.connects = newFailureLog(connLogEvery, 0)
	b.sm = socketmode.New(b.api,
		socketmode.OptionPingInterval(opts.PingInterval),
		socketmode.OptionReadLimit(1<<20),
		// Debug output goes to the tap, which keeps only the handshake's HTTP
		// status (slack-go reports it nowhere else) and drops the rest.
		socketmode.OptionDebug(true),
		socketmode.OptionLog(b.tap),
	)
	b.jobs = make(chan job, opts.Queue)
	return b, nil
}

// Ready reports whether Socket Mode is connected.
func (b *Bot) Ready() bool { return b.ready.Load() }

// Run connects to Slack and serves until ctx is done (then drains in-flight
// work, bounded, and returns nil) or a fatal error such as a revoked token.
func (b *Bot) Run(ctx context.Context) error {
	digests, err := b.openDigests(ctx)
	if err != nil {
		return err
	}
	defer digests.close()
	b.digests = digests
	b.alerts = digests.alerts
	httpSrv, err := b.serveHTTP()
	if err != nil {
		return err
	}
	defer httpSrv.Close()

	// Workers outlive ctx so that acked work is answered during the drain.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers sync.WaitGroup
	for range b.opts.Workers {
		workers.Go(func() { b.work(workCtx) })
	}

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	runErr := make(chan error, 1)
	socketDone := make(chan struct{})
	go func() {
		defer close(socketDone)
		runErr <- b.sm.RunContext(runCtx)
	}()

	b.log.Info("inboxbot starting", "version", b.opts.Build.Version, "http", httpSrv.Addr)
	stopDigests := digests.start(ctx, b.opts.Reload)
	stopAlerts := b.alerts.start(ctx)
	err = b.loop(ctx, runErr)
	stopRun()
	b.ready.Store(false)
	// In-flight digests and an alert round in flight finish side by side,
	// each bounded by the drain, so that together they take one drain.
	var scheduled sync.WaitGroup
	scheduled.Go(stopDigests)
	scheduled.Go(stopAlerts)
	scheduled.Wait()
	close(b.jobs)
	b.drain(&workers, stopWork)
	b.cache.Close()
	b.notes.Wait()
	b.waitSocket(socketDone)
	return err
}

// socketCloseTimeout bounds the wait for slack-go to close its socket.
const socketCloseTimeout = 5 * time.Second

// waitSocket waits (bounded) for Socket Mode to stop, so that Run leaves no
// connection behind.
func (b *Bot) waitSocket(done <-chan struct{}) {
	select {
	case <-done:
	case <-time.After(socketCloseTimeout):
		b.log.Warn("slack socket mode did not stop in time", "timeout", socketCloseTimeout)
	}
}

// loop reads Socket Mode events until ctx ends or Socket Mode fails for good.
// It never waits on the inbox: it acks and queues.
func (b *Bot) loop(ctx context.Context, runErr <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			b.log.Info("shutting down: finishing in-flight work", "queued", len(b.jobs))
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return explainSlackFatal(err)
		case evt := <-b.sm.Events:
			if err := b.dispatch(ctx, evt); err != nil {
				return err
			}
		}
	}
}

func (b *Bot) drain(workers *sync.WaitGroup, stopWork context.CancelFunc) {
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-done:
		b.log.Info("drained")
	case <-time.After(b.opts.DrainTimeout):
		b.log.Warn("drain timeout: cancelling what is left", "timeout", b.opts.DrainTimeout)
		stopWork()
		<-done
	}
}

// explainSlackFatal turns the error that ended Socket Mode into words. A
// refused token or a missing scope is a configuration error (exit status
// 78: restarting cannot help until someone changes it).
func explainSlackFatal(err error) error {
	if code := slackErrorCode(err); commands.SlackConfigProblem(code) {
		return &ConfigError{"SLACK_APP_TOKEN", commands.ExplainSlack(code, commands.SlackConnectionsOpen)}
	}
	return fmt.Errorf("slack socket mode stopped: %w", err)
}

func (b *Bot) dispatch(ctx context.Context, evt socketmode.Event) error {
	received := b.opts.Now()
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.ready.Store(false) // a reconnect: not ready until connected again
		b.log.Debug("connecting to Slack")
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		if failed := b.connFails.success(); failed > 0 {
			b.log.Info("connected to Slack after failed attempts", "failed_attempts", failed)
		}
		if !b.ready.Swap(true) {
			if v := b.connects.failure(b.opts.Now()); v.Log {
				b.log.Info("connected to Slack", "connections", v.Streak, "suppressed", v.Suppressed)
			}
		}
	case socketmode.EventTypeConnectionError:
		b.ready.Store(false)
		b.logConnectionError(evt)
	case socketmode.EventTypeIncomingError:
		b.ready.Store(false)
		b.logIncomingError(evt)
	case socketmode.EventTypeInvalidAuth:
		// slack-go reports an HTTP 404 from apps.connections.open so.
		return &ConfigError{"SLACK_API_URL", "apps.connections.open answered 404 Not Found: check SLACK_API_URL (and SLACK_APP_TOKEN)"}
	case socketmode.EventTypeErrorBadMessage:
		b.log.Warn("slack sent a message that could not be read")
	case socketmode.EventTypeSlashCommand:
		b.ack(ctx, evt, received)
		if cmd, ok := evt.Data.(slack.SlashCommand); ok {
			b.enqueue(job{kind: "command", received: received, responseURL: cmd.ResponseURL,
				run: func(ctx context.Context) { b.handleSlash(ctx, cmd, received) }})
		}
	case socketmode.EventTypeInteractive:
		b.ack(ctx, evt, received)
		if cb, ok := evt.Data.(slack.InteractionCallback); ok && cb.Type == slack.InteractionTypeBlockActions {
			b.enqueue(job{kind: "click", received: received, responseURL: cb.ResponseURL,
				run: func(ctx context.Context) { b.handleClick(ctx, cb, received) }})
		}
	default:
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			b.ack(ctx, evt, received) // events we do not use are still acknowledged
		}
	}
	return nil
}

// logConnectionError logs why a connection attempt failed, rate-limited
// (see failureLog), and after connWarnAfter failures in a row says what to
// check.
func (b *Bot) logConnectionError(evt socketmode.Event) {
	status := b.tap.take()
	v := b.connFails.failure(b.opts.Now())
	ce, _ := evt.Data.(*slack.ConnectionErrorEvent)
	if ce == nil {
		ce = &slack.ConnectionErrorEvent{}
	}
	if v.Log {
		b.log.Warn("cannot connect to Slack; retrying",
			"cause", connectionCause(ce.ErrorObj, status),
			"attempt", ce.Attempt, "retry_in", ce.Backoff.String(),
			"failures_in_a_row", v.Streak, "suppressed", v.Suppressed)
	}
	if v.Warn {
		b.log.Warn(connAdviceMsg, "check", connAdvice, "failures_in_a_row", v.Streak)
	}
}

// logIncomingError logs why an open connection failed (slack-go reconnects),
// rate-limited like connection failures.
func (b *Bot) logIncomingError(evt socketmode.Event) {
	v := b.readFails.failure(b.opts.Now())
	if !v.Log {
		return
	}
	cause := "unknown"
	if ie, ok := evt.Data.(*slack.IncomingEventError); ok && ie.ErrorObj != nil {
		cause = redactTicket(ie.ErrorObj.Error())
	}
	b.log.Warn("the Slack connection failed; reconnecting", "cause", cause, "suppressed", v.Suppressed)
}

// ack acknowledges an envelope with a bounded wait: slack-go's Ack would
// block forever while disconnected.
func (b *Bot) ack(ctx context.Context, evt socketmode.Event, received time.Time) {
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		return
	}
	ackCtx, cancel := context.WithTimeout(ctx, b.opts.AckTimeout)
	defer cancel()
	if err := b.sm.AckCtx(ackCtx, evt.Request.EnvelopeID, nil); err != nil {
		b.log.Warn("ack failed", "err", err)
		return
	}
	b.metrics.ackLatency.Observe(b.opts.Now().Sub(received).Seconds())
}

// enqueue hands a job to the workers, or tells the user we are too busy.
func (b *Bot) enqueue(j job) {
	select {
	case b.jobs <- j:
	default:
		// Turned away: its one log line says so, and the user is told.
		b.metrics.busy.Inc()
		b.logOutcome(outcome{kind: j.kind, result: "busy", started: j.received})
		b.notes.Go(func() { b.tellUser(j.responseURL, commands.RenderNotice(commands.Busy)) })
	}
}

// tellUser posts a short note outside any job (the job could not run or
// failed), bounded in time.
func (b *Bot) tellUser(responseURL string, msg commands.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.respond(ctx, responseURL, msg, reply{})
}

func (b *Bot) work(ctx context.Context) {
	for j := range b.jobs {
		b.runJob(ctx, j)
	}
}

// runJob runs one job with its own deadline and a recover, so one bad event
// can neither hang nor crash the bot; a panic is logged, counted and told
// to the user.
func (b *Bot) runJob(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(ctx, exportTimeout) // the longest job; answers bound themselves tighter
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			b.metrics.panics.Inc()
			b.log.Error("panic while handling an event", "kind", j.kind, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			b.tellUser(j.responseURL, commands.RenderError(commands.Crashed))
		}
	}()
	if b.beforeJob != nil {
		b.beforeJob(ctx, j.kind)
	}
	j.run(ctx)
}

// exportTimeout bounds a job as a whole: an export of many pages is the
// longest (10,000 contacts take under a minute against a 300 ms inbox).
const exportTimeout = 15 * time.Minute

// answerTimeout bounds one answer: every inbox attempt, with room for
// backoff and for a few pages of a client-side walk.
func (b *Bot) answerTimeout() time.Duration {
	return time.Duration(b.cfg.InboxMaxAttempts)*b.cfg.InboxTimeout*2 + 30*time.Second
}
