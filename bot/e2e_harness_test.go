package bot

// The end-to-end harness: the real Bot, over real sockets, against the fake
// Slack (bot/slacktest) and the fake inbox API (inbox/inboxtest) served by
// httptest. Tests wait on the fakes' records or poll with a deadline; none
// sleeps to synchronise.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// e2eAnchor is the "now" of the generated inbox; the bot's clock starts there.
var e2eAnchor = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)

// e2eWait bounds every wait of one end-to-end test.
const e2eWait = 30 * time.Second

// e2eSetup is what a test may change before the bot starts.
type e2eSetup struct {
	inboxOpts []inboxtest.Option
	slackOpts []slacktest.Option
	config    []func(*Config)
	botOpts   []func(*BotOptions)
	hook      func(ctx context.Context, kind string)
	noReady   bool // do not wait for /readyz (the bot is not expected to connect)
	allowLost bool // envelopes may go unacked (a socket died under them)
}

type e2eOption func(*e2eSetup)

func withInbox(opts ...inboxtest.Option) e2eOption {
	return func(s *e2eSetup) { s.inboxOpts = append(s.inboxOpts, opts...) }
}

func withSlack(opts ...slacktest.Option) e2eOption {
	return func(s *e2eSetup) { s.slackOpts = append(s.slackOpts, opts...) }
}

func withConfig(f func(*Config)) e2eOption {
	return func(s *e2eSetup) { s.config = append(s.config, f) }
}

func withBotOptions(f func(*BotOptions)) e2eOption {
	return func(s *e2eSetup) { s.botOpts = append(s.botOpts, f) }
}

// withHook runs f before every job, in the worker: tests block or panic there.
func withHook(f func(ctx context.Context, kind string)) e2eOption {
	return func(s *e2eSetup) { s.hook = f }
}

// e2e is one running bot and its fakes.
type e2e struct {
	t        *testing.T
	ctx      context.Context
	slack    *slacktest.Server
	inbox    *inboxtest.Server
	inboxURL string
	cfg      *Config
	bot      *Bot
	httpURL  string
	logs     *lockedBuffer
	stop     context.CancelFunc
	runErr   chan error
}

// e2eConfig is a complete configuration pointing at the fakes, with small
// inbox timeouts so failures surface fast.
func e2eConfig(slack *slacktest.Server, inboxURL string) *Config {
	return &Config{
		SlackBotToken:      slack.BotToken(),
		SlackAppToken:      slack.AppToken(),
		SlackAPIURL:        slack.APIURL(),
		InboxAPIURL:        inboxURL,
		InboxAPIToken:      inboxtest.DefaultToken,
		InboxTimeout:       10 * time.Second, // the default; fault tests shorten it
		InboxMaxAttempts:   2,
		InboxWebURL:        "https://app.convertalk.test",
		InboxDefaultQuery:  "live unassigned",
		ResponseVisibility: "ephemeral",
		PIIMode:            PIIMode(commands.PIIMasked),
		StoreURL:           "bolt://unused.db",
		AlertInterval:      time.Minute,
		HTTPAddr:           "127.0.0.1:0",
		LogFormat:          "json",
	}
}

// startE2E starts the fakes and the bot and waits until /readyz says the bot
// is connected. Cleanup stops the bot (Run must return nil) and checks that
// the fake Slack saw no Block Kit error and no bad frame.
func startE2E(t *testing.T, opts ...e2eOption) *e2e {
	t.Helper()
	var setup e2eSetup
	for _, o := range opts {
		o(&setup)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	t.Cleanup(cancel)

	h := &e2e{t: t, ctx: ctx, logs: &lockedBuffer{}}
	h.slack = slacktest.New(t, append([]slacktest.Option{slacktest.WithPingInterval(100 * time.Millisecond)}, setup.slackOpts...)...)
	h.inbox = inboxtest.New(append([]inboxtest.Option{inboxtest.WithAnchor(e2eAnchor)}, setup.inboxOpts...)...)
	inboxHTTP := httptest.NewServer(h.inbox)
	t.Cleanup(inboxHTTP.Close)
	h.inboxURL = inboxHTTP.URL
	t.Cleanup(func() { h.checkSlackSaw(setup.allowLost) })

	h.cfg = e2eConfig(h.slack, h.inboxURL)
	h.cfg.StoreURL = "bolt://" + filepath.Join(t.TempDir(), "inboxbot.db")
	for _, f := range setup.config {
		f(h.cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.httpURL = "http://" + ln.Addr().String()
	start := time.Now()
	bo := BotOptions{
		Listener:     ln,
		PingInterval: 5 * time.Second,
		DrainTimeout: 10 * time.Second,
		Logger:       slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:          func() time.Time { return e2eAnchor.Add(time.Since(start)) },
		Build:        BuildInfo{Version: "e2e"},
	}
	for _, f := range setup.botOpts {
		f(&bo)
	}
	h.bot, err = NewBot(h.cfg, bo)
	if err != nil {
		t.Fatal(err)
	}
	h.bot.beforeJob = setup.hook

	runCtx, stop := context.WithCancel(context.Background())
	h.stop = stop
	h.runErr = make(chan error, 1)
	go func() { h.runErr <- h.bot.Run(runCtx) }()
	t.Cleanup(h.shutdown)
	if !setup.noReady {
		h.waitStatus("/readyz", http.StatusOK)
	}
	return h
}

// shutdown cancels Run like SIGTERM does and expects nil within the drain bound.
func (h *e2e) shutdown() {
	h.stop()
	select {
	case err := <-h.runErr:
		if err != nil {
			h.t.Errorf("Run after shutdown: %v", err)
		}
		h.runErr <- err // later callers see it too
	case <-time.After(e2eWait):
		h.t.Errorf("Run did not return %s after shutdown", e2eWait)
	}
}

// checkSlackSaw asserts what must hold in every test: no Block Kit error,
// no malformed or duplicate ack and, unless sockets were killed under
// envelopes, every envelope acked in time.
func (h *e2e) checkSlackSaw(allowLost bool) {
	for _, be := range h.slack.BlockErrors() {
		h.t.Errorf("Block Kit error on %s: %s %+v\nblocks: %.500s", be.Method, be.Error, be.Problems, be.Blocks)
	}
	for _, pe := range h.slack.ProtocolErrors() {
		h.t.Errorf("protocol error: %s (frame %q)", pe.Reason, pe.Frame)
	}
	if allowLost {
		return
	}
	for _, d := range h.slack.DispatchFailures() {
		h.t.Errorf("envelope %s (%s) was not acked in time", d.EnvelopeID, d.Type)
	}
}

// waitStatus polls an HTTP endpoint of the bot until it answers status.
func (h *e2e) waitStatus(path string, status int) {
	h.t.Helper()
	got := 0
	slacktest.Poll(h.t, h.ctx, fmt.Sprintf("%s to answer %d", path, status), func() bool {
		got, _ = h.get(path)
		return got == status
	})
}

// get fetches an endpoint of the bot's HTTP server.
func (h *e2e) get(path string) (int, string) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, h.httpURL+path, nil)
	if err != nil {
		return 0, ""
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// command types /inbox text in the default channel as the default user and
// waits for the ack.
func (h *e2e) command(text string) *slacktest.Delivery {
	h.t.Helper()
	return h.commandAs(slacktest.SlashOptions{Text: text})
}

func (h *e2e) commandAs(o slacktest.SlashOptions) *slacktest.Delivery {
	h.t.Helper()
	d, err := h.slack.SlashCommand(h.ctx, o)
	if err != nil {
		h.t.Fatal(err)
	}
	h.waitAck(d)
	return d
}

// commandsAtOnce sends one command per options value, all at once, and
// returns their deliveries in the same order.
func (h *e2e) commandsAtOnce(opts []slacktest.SlashOptions) []*slacktest.Delivery {
	h.t.Helper()
	ds := make([]*slacktest.Delivery, len(opts))
	var wg sync.WaitGroup
	for i, o := range opts {
		wg.Go(func() {
			d, err := h.slack.SlashCommand(h.ctx, o)
			if err != nil {
				h.t.Error(err)
				return
			}
			ds[i] = d
		})
	}
	wg.Wait()
	if h.t.Failed() {
		h.t.FailNow()
	}
	return ds
}

// waitRun waits for Run to return after h.stop and fails unless it
// returned nil.
func (h *e2e) waitRun(notReturned string) {
	h.t.Helper()
	select {
	case err := <-h.runErr:
		h.runErr <- err
		if err != nil {
			h.t.Fatalf("Run after SIGTERM: %v", err)
		}
	case <-h.ctx.Done():
		h.t.Fatal(notReturned)
	}
}

func (h *e2e) waitAck(d *slacktest.Delivery) slacktest.Ack {
	h.t.Helper()
	ack, err := d.WaitAck(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if ack.Late {
		h.t.Errorf("envelope %s acked late (%s)", d.EnvelopeID, ack.Latency())
	}
	return ack
}

// click presses a button of the message a response created (found by its
// blocks) and waits for the ack.
func (h *e2e) click(from slacktest.Response, actionID string, o slacktest.ClickOptions) *slacktest.Delivery {
	h.t.Helper()
	msg := h.messageOf(from)
	o.ActionID, o.MessageTS = actionID, msg.TS
	if o.ChannelID == "" {
		o.ChannelID = msg.Channel
	}
	d, err := h.slack.Click(h.ctx, o)
	if err != nil {
		h.t.Fatal(err)
	}
	h.waitAck(d)
	return d
}

// messageOf finds the message a response_url answer wrote.
func (h *e2e) messageOf(r slacktest.Response) slacktest.Message {
	h.t.Helper()
	msgs := h.slack.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if bytes.Equal(msgs[i].Blocks, r.Blocks) {
			if cur, ok := h.slack.MessageAt(msgs[i].Channel, msgs[i].TS); ok {
				return cur
			}
		}
	}
	h.t.Fatalf("no message holds the answer %q", r.Text)
	return slacktest.Message{}
}

// answers waits for n accepted response_url POSTs to d's URL.
func (h *e2e) answers(d *slacktest.Delivery, n int) []slacktest.Response {
	h.t.Helper()
	for {
		all := h.slack.Responses()
		var mine []slacktest.Response
		for _, r := range all {
			if r.URL == d.ResponseURL && r.Error == "" {
				mine = append(mine, r)
			}
		}
		if len(mine) >= n {
			return mine
		}
		if _, err := h.slack.WaitResponses(h.ctx, len(all)+1); err != nil {
			h.t.Fatalf("waiting for %d answers to %q (have %d): %v", n, d.Type, len(mine), err)
		}
	}
}

// answer waits for the first accepted answer to d.
func (h *e2e) answer(d *slacktest.Delivery) slacktest.Response {
	h.t.Helper()
	return h.answers(d, 1)[0]
}

// metric returns the sum of the samples of a metric family whose labels
// contain every label="value" pair given.
func (h *e2e) metric(name string, labels ...string) float64 {
	h.t.Helper()
	_, body := h.get("/metrics")
	total := 0.0
	for _, line := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		if !containsAll(rest, labels) {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(rest[strings.LastIndexByte(rest, ' ')+1:], &v); err == nil {
			total += v
		}
	}
	return total
}

// waitMetric waits until metric (summed over the labels given) is want.
func (h *e2e) waitMetric(want float64, name string, labels ...string) {
	h.t.Helper()
	got := 0.0
	slacktest.Poll(h.t, h.ctx, fmt.Sprintf("%s%v to be %v", name, labels, want), func() bool {
		got = h.metric(name, labels...)
		return got == want
	})
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// logLines returns the bot's JSON log records with msg.
func (h *e2e) logLines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(h.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// linkedID finds the contact ids in the "Open in inbox" links of an answer.
var linkedID = regexp.MustCompile(`/inbox\?user=([0-9a-f]{24})`)

// contactIDs lists the contacts an answer shows, in order.
func contactIDs(t *testing.T, r slacktest.Response) []string {
	t.Helper()
	var ids []string
	for _, s := range payloadStrings(t, r.Blocks) {
		for _, m := range linkedID.FindAllStringSubmatch(s, -1) {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// payloadStrings returns every string in a JSON document, decoded.
func payloadStrings(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	return jsonStrings(t, raw, func(string) bool { return true })
}

// shownStrings returns the strings of a Block Kit payload that Slack
// renders: everything but button values, which only come back to the bot.
func shownStrings(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	return jsonStrings(t, raw, func(key string) bool { return key != "value" })
}

// jsonStrings returns the strings in a JSON document whose object key
// passes keep, decoded.
func jsonStrings(t *testing.T, raw json.RawMessage, keep func(key string) bool) []string {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				if keep(k) {
					walk(e)
				}
			}
		}
	}
	walk(v)
	return out
}

// answerText is the fallback text and every string of the blocks, joined.
func answerText(t *testing.T, r slacktest.Response) string {
	t.Helper()
	return r.Text + "\n" + strings.Join(payloadStrings(t, r.Blocks), "\n")
}

// buttonValue returns the value of the button actionID of an answer, or
// false when the answer has no such button.
func buttonValue(t *testing.T, r slacktest.Response, actionID string) (string, bool) {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(r.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return e.Value, true
			}
		}
	}
	return "", false
}

// matching lists, in the API's order, the ids of the served contacts that
// keep: what the fake inbox would return for that filter.
func matching(srv *inboxtest.Server, keep func(inboxtest.Contact) bool) []string {
	var ids []string
	for _, c := range srv.Contacts() {
		if keep(c) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// page returns page n (1-based) of ids in pages of size.
func page(ids []string, n, size int) []string {
	from := min((n-1)*size, len(ids))
	return ids[from:min(from+size, len(ids))]
}

func assertIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: contacts\n got %v\nwant %v", what, got, want)
	}
}

func assertContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not say %q:\n%.1500s", what, sub, s)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the logger and the test at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// clickUnrecorded presses a button of an ephemeral answer the fake has no
// record of (e.g. in another channel) and waits for the ack.
func (h *e2e) clickUnrecorded(actionID, value, channelID, userID string) *slacktest.Delivery {
	h.t.Helper()
	d, err := h.slack.Click(h.ctx, slacktest.ClickOptions{
		ActionID: actionID, BlockID: "inbox_actions", Value: value,
		ChannelID: channelID, UserID: userID, Ephemeral: true,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.waitAck(d)
	return d
}
