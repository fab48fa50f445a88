package slacktest

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

var update = flag.Bool("update", false, "rewrite golden files")

// clientPingTimeout is the slack-go watchdog; the server pings far more often.
const clientPingTimeout = 5 * time.Second

// newTestServer is a server that pings every 50ms so slack-go stays happy.
func newTestServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	return New(t, append([]Option{WithPingInterval(50 * time.Millisecond)}, opts...)...)
}

// testCtx bounds a test's waits.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// bot is a real slack-go Socket Mode client running against the fake.
type bot struct {
	t       *testing.T
	api     *slack.Client
	sm      *socketmode.Client
	events  chan socketmode.Event
	runErr  chan error
	autoAck atomic.Bool
}

// startBot runs socketmode.RunContext in a goroutine and forwards its events;
// with autoAck it acks every slash command and interaction at once.
func startBot(t *testing.T, srv *Server, appToken string, autoAck bool) *bot {
	t.Helper()
	api := slack.New(srv.BotToken(), slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(srv.APIURL()))
	sm := socketmode.New(api, socketmode.OptionPingInterval(clientPingTimeout))
	b := &bot{t: t, api: api, sm: sm, events: make(chan socketmode.Event, 256), runErr: make(chan error, 1)}
	b.autoAck.Store(autoAck)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { b.runErr <- sm.RunContext(ctx) })
	wg.Go(func() { b.consume(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return b
}

func (b *bot) consume(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-b.sm.Events:
			needsAck := evt.Type == socketmode.EventTypeSlashCommand || evt.Type == socketmode.EventTypeInteractive
			if needsAck && evt.Request != nil && b.autoAck.Load() {
				actx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_ = b.sm.AckCtx(actx, evt.Request.EnvelopeID, nil)
				cancel()
			}
			select {
			case b.events <- evt:
			case <-ctx.Done():
				return
			}
		}
	}
}

// waitEvent returns the next event of type typ, skipping others.
func (b *bot) waitEvent(ctx context.Context, typ socketmode.EventType) socketmode.Event {
	b.t.Helper()
	for {
		select {
		case evt := <-b.events:
			if evt.Type == typ {
				return evt
			}
		case <-ctx.Done():
			b.t.Fatalf("no %s event: %v", typ, ctx.Err())
		}
	}
}

// openURL calls apps.connections.open with the app token and returns the
// websocket URL.
func openURL(t *testing.T, ctx context.Context, srv *Server) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.APIURL()+"apps.connections.open", nil)
	req.Header.Set("Authorization", "Bearer "+srv.AppToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		OK    bool   `json:"ok"`
		URL   string `json:"url"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || !body.OK {
		t.Fatalf("apps.connections.open: %v %+v", err, body)
	}
	return body.URL
}

// rawConnect opens a websocket without slack-go, for protocol-level tests.
func rawConnect(t *testing.T, ctx context.Context, srv *Server) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, openURL(t, ctx, srv), http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// readFrame reads the next JSON text frame.
func readFrame(t *testing.T, ws *websocket.Conn) map[string]any {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var m map[string]any
	if err := ws.ReadJSON(&m); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return m
}

// pageBlocks is a small message with a pager button.
func pageBlocks(page int, next string) []slack.Block {
	text := slack.NewTextBlockObject(slack.MarkdownType, "*Page* "+strings.Repeat("I", page), false, false)
	btn := slack.NewButtonBlockElement("inbox_next", next, slack.NewTextBlockObject(slack.PlainTextType, "Next", false, false))
	return []slack.Block{
		slack.NewSectionBlock(text, nil, nil),
		slack.NewActionBlock("pager", btn),
	}
}
