package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestHelloAndPings(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	b := startBot(t, srv, srv.AppToken(), true)

	evt := b.waitEvent(ctx, socketmode.EventTypeHello)
	if evt.Request == nil || evt.Request.NumConnections != 1 || evt.Request.ConnectionInfo.AppID != srv.AppID() || evt.Request.DebugInfo.Host == "" {
		t.Fatalf("hello = %+v", evt.Request)
	}
	if err := srv.WaitPongs(ctx, 2); err != nil {
		t.Fatalf("pongs: %v", err)
	}
	if got := srv.Opens(); got != 1 {
		t.Errorf("Opens() = %d, want 1", got)
	}
	if got := srv.Connected(); got != 1 {
		t.Errorf("Connected() = %d, want 1", got)
	}
}

func TestSlashCommand(t *testing.T) {
	tests := []struct {
		name        string
		ackPayload  any
		wantPayload string
	}{
		{name: "empty ack", ackPayload: nil},
		{name: "ack with payload", ackPayload: map[string]any{"response_type": "ephemeral", "text": "Searching…"}, wantPayload: "Searching…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t)
			ctx := testCtx(t)
			b := startBot(t, srv, srv.AppToken(), false)

			d, err := srv.SlashCommand(ctx, SlashOptions{Text: "live unassigned", UserID: "U123", ChannelID: "C456"})
			if err != nil {
				t.Fatal(err)
			}
			evt := b.waitEvent(ctx, socketmode.EventTypeSlashCommand)
			cmd, isCmd := evt.Data.(slack.SlashCommand)
			if !isCmd {
				t.Fatalf("data = %T", evt.Data)
			}
			want := slack.SlashCommand{
				Token: cmd.Token, TeamID: DefaultTeamID, TeamDomain: DefaultTeamDomain,
				ChannelID: "C456", ChannelName: "chan-c456", UserID: "U123", UserName: "u123",
				Command: "/inbox", Text: "live unassigned", ResponseURL: d.ResponseURL,
				TriggerID: cmd.TriggerID, APIAppID: srv.AppID(),
			}
			if cmd != want {
				t.Errorf("command =\n%+v\nwant\n%+v", cmd, want)
			}
			if !strings.HasPrefix(cmd.ResponseURL, srv.URL()+"/hooks/commands/") || cmd.TriggerID == "" {
				t.Errorf("response_url %q trigger_id %q", cmd.ResponseURL, cmd.TriggerID)
			}
			if !evt.Request.AcceptsResponsePayload || evt.Request.EnvelopeID != d.EnvelopeID {
				t.Errorf("envelope = %+v", evt.Request)
			}
			var raw map[string]any
			_ = json.Unmarshal(d.Payload, &raw)
			if raw["is_enterprise_install"] != "false" {
				t.Errorf("is_enterprise_install = %#v, want the string \"false\"", raw["is_enterprise_install"])
			}

			if err := b.sm.AckCtx(ctx, evt.Request.EnvelopeID, tt.ackPayload); err != nil {
				t.Fatal(err)
			}
			ack, err := d.WaitAck(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ack.Late || d.DispatchFailed() || ack.Latency() <= 0 || ack.EnvelopeID != d.EnvelopeID {
				t.Errorf("ack = %+v (latency %v), dispatch failed %v", ack, ack.Latency(), d.DispatchFailed())
			}
			if tt.wantPayload == "" && ack.Payload != nil {
				t.Errorf("payload = %s, want none", ack.Payload)
			}
			if !strings.Contains(string(ack.Payload), tt.wantPayload) {
				t.Errorf("payload = %s, want %q in it", ack.Payload, tt.wantPayload)
			}
			if err := d.WaitDispatchFailed(ctx); !errors.Is(err, errAckedInTime) {
				t.Errorf("WaitDispatchFailed = %v, want errAckedInTime", err)
			}
			if pe := srv.ProtocolErrors(); len(pe) != 0 {
				t.Errorf("protocol errors: %+v", pe)
			}
		})
	}
}

func TestClick(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	b := startBot(t, srv, srv.AppToken(), true)

	_, ts, err := b.api.PostMessageContext(ctx, "C1", slack.MsgOptionText("page 1", false), slack.MsgOptionBlocks(pageBlocks(1, "page=2")...))
	if err != nil {
		t.Fatal(err)
	}
	d, err := srv.Click(ctx, ClickOptions{ActionID: "inbox_next", ChannelID: "C1", MessageTS: ts, UserID: "U9"})
	if err != nil {
		t.Fatal(err)
	}
	cb := b.waitEvent(ctx, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback type %q, block actions %d (attachment actions %d)", cb.Type, len(cb.ActionCallback.BlockActions), len(cb.ActionCallback.AttachmentActions))
	}
	act := cb.ActionCallback.BlockActions[0]
	if act.ActionID != "inbox_next" || act.BlockID != "pager" || act.Value != "page=2" || act.ActionTs == "" || act.Text.Text != "Next" {
		t.Errorf("action = %+v", act)
	}
	if cb.Container.MessageTs != ts || cb.Container.ChannelID != "C1" || cb.Container.IsEphemeral || cb.Channel.ID != "C1" || cb.User.ID != "U9" {
		t.Errorf("container %+v channel %+v user %+v", cb.Container, cb.Channel, cb.User.ID)
	}
	if cb.Message.Timestamp != ts || len(cb.Message.Blocks.BlockSet) != 2 || !strings.HasPrefix(cb.ResponseURL, srv.URL()+"/hooks/actions/") {
		t.Errorf("message ts %q blocks %d response_url %q", cb.Message.Timestamp, len(cb.Message.Blocks.BlockSet), cb.ResponseURL)
	}
	if _, err := d.WaitAck(ctx); err != nil {
		t.Fatal(err)
	}

	// Replace the message in place; the next click sees the new button.
	_, _, err = b.api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL),
		slack.MsgOptionText("page 2", false), slack.MsgOptionBlocks(pageBlocks(2, "page=3")...))
	if err != nil {
		t.Fatalf("replace_original: %v", err)
	}
	if m, _ := srv.MessageAt("C1", ts); m.Text != "page 2" || m.Method != ResponseURLMethod {
		t.Errorf("after replace: %+v", m)
	}
	if _, err := srv.Click(ctx, ClickOptions{ActionID: "inbox_next", ChannelID: "C1", MessageTS: ts}); err != nil {
		t.Fatal(err)
	}
	cb = b.waitEvent(ctx, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if got := cb.ActionCallback.BlockActions[0].Value; got != "page=3" {
		t.Errorf("second click value = %q, want page=3", got)
	}

	// An ephemeral answer is not echoed, but the action still has a block_id.
	if _, err := srv.Click(ctx, ClickOptions{ActionID: "share", Value: "q", ChannelID: "C1", Ephemeral: true}); err != nil {
		t.Fatal(err)
	}
	cb = b.waitEvent(ctx, socketmode.EventTypeInteractive).Data.(slack.InteractionCallback)
	if !cb.Container.IsEphemeral || cb.Message.Timestamp != "" || len(cb.ActionCallback.BlockActions) != 1 || cb.ActionCallback.BlockActions[0].BlockID == "" {
		t.Errorf("ephemeral click: container %+v message ts %q actions %+v", cb.Container, cb.Message.Timestamp, cb.ActionCallback.BlockActions)
	}
}

func TestClickRejectsImpossibleClicks(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("page 1", false), slack.MsgOptionBlocks(pageBlocks(1, "page=2")...))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts ClickOptions
	}{
		{"no action id", ClickOptions{ChannelID: "C1", MessageTS: ts}},
		{"unknown action", ClickOptions{ActionID: "nope", ChannelID: "C1", MessageTS: ts}},
		{"unknown message", ClickOptions{ActionID: "inbox_next", ChannelID: "C1", MessageTS: "1.000001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := srv.Click(ctx, tt.opts); err == nil {
				t.Error("Click succeeded")
			}
		})
	}
}

func TestDispatchFailed(t *testing.T) {
	srv := newTestServer(t, WithAckTimeout(100*time.Millisecond))
	ctx := testCtx(t)
	b := startBot(t, srv, srv.AppToken(), false)

	d, err := srv.SlashCommand(ctx, SlashOptions{Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	evt := b.waitEvent(ctx, socketmode.EventTypeSlashCommand)
	if err := d.WaitDispatchFailed(ctx); err != nil {
		t.Fatal(err)
	}
	if !d.DispatchFailed() {
		t.Error("DispatchFailed() = false")
	}
	if err := b.sm.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
		t.Fatal(err)
	}
	ack, err := d.WaitAck(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ack.Late {
		t.Errorf("late ack not marked late: %+v", ack)
	}
}

func TestReconnect(t *testing.T) {
	tests := []struct {
		name string
		cut  func(*Server)
	}{
		{"refresh_requested", func(s *Server) { s.Disconnect("refresh_requested") }},
		{"warning", func(s *Server) { s.Disconnect("warning") }},
		{"link_disabled", func(s *Server) { s.Disconnect("link_disabled") }},
		{"abrupt close", func(s *Server) { s.CloseAbruptly() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t)
			ctx := testCtx(t)
			b := startBot(t, srv, srv.AppToken(), true)
			first, err := srv.SlashCommand(ctx, SlashOptions{Text: "one"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := first.WaitAck(ctx); err != nil {
				t.Fatal(err)
			}

			tt.cut(srv)
			if err := srv.WaitOpens(ctx, 2); err != nil {
				t.Fatalf("no new apps.connections.open: %v", err)
			}
			// Sent right away: waits for the new connection.
			second, err := srv.SlashCommand(ctx, SlashOptions{Text: "two"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := second.WaitAck(ctx); err != nil {
				t.Fatal(err)
			}
			if first.ConnID() == second.ConnID() {
				t.Errorf("both envelopes went to connection %d", first.ConnID())
			}
			cmd := b.waitEvent(ctx, socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand)
			if cmd.Text != "one" {
				t.Errorf("first command text %q", cmd.Text)
			}
			if cmd = b.waitEvent(ctx, socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand); cmd.Text != "two" {
				t.Errorf("second command text %q", cmd.Text)
			}
			Poll(t, ctx, "old socket gone", func() bool { return srv.Connected() == 1 })
		})
	}
}

func TestInvalidAuthIsFatal(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		appToken string
	}{
		{"wrong app token", nil, "xapp-wrong"},
		{"open fails", []Option{WithOpenError("invalid_auth")}, DefaultAppToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, tt.opts...)
			ctx := testCtx(t)
			b := startBot(t, srv, tt.appToken, true)
			select {
			case err := <-b.runErr:
				var se slack.SlackErrorResponse
				if !errors.As(err, &se) || se.Err != "invalid_auth" {
					t.Fatalf("RunContext = %#v, want invalid_auth", err)
				}
			case <-ctx.Done():
				t.Fatal("RunContext did not return")
			}
			if srv.Opens() != 0 {
				t.Errorf("Opens() = %d", srv.Opens())
			}
		})
	}
}

func TestTicketIsSingleUse(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	u := openURL(t, ctx, srv)
	if !strings.HasPrefix(u, "ws://") || !strings.Contains(u, "/link/?ticket=") || !strings.Contains(u, "&app_id="+srv.AppID()) {
		t.Errorf("url = %q", u)
	}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if typ := readFrame(t, ws)["type"]; typ != "hello" {
		t.Errorf("first frame type %v", typ)
	}
	_, resp, err := websocket.DefaultDialer.DialContext(ctx, u, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reused ticket: err %v resp %v", err, resp)
	}
}

func TestTooManyWebsockets(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	for i := range MaxConnections {
		ws := rawConnect(t, ctx, srv)
		if hello := readFrame(t, ws); hello["type"] != "hello" || hello["num_connections"] != float64(i+1) {
			t.Fatalf("connection %d: %v", i+1, hello)
		}
	}
	ws := rawConnect(t, ctx, srv)
	if f := readFrame(t, ws); f["type"] != "disconnect" || f["reason"] != "too_many_websockets" {
		t.Errorf("11th connection got %v", f)
	}
	if srv.Connected() != MaxConnections || srv.Rejected() != 1 {
		t.Errorf("Connected %d Rejected %d", srv.Connected(), srv.Rejected())
	}
}

func TestRawAcks(t *testing.T) {
	tests := []struct {
		name      string
		frame     func(id string) string
		wantAck   bool
		wantError string
	}{
		{"no payload", func(id string) string { return `{"envelope_id":"` + id + `"}` }, true, ""},
		{"empty payload like node", func(id string) string { return `{"envelope_id":"` + id + `","payload":{}}` }, true, ""},
		{"null payload", func(id string) string { return `{"envelope_id":"` + id + `","payload":null}` }, true, ""},
		{"too large", func(id string) string {
			return `{"envelope_id":"` + id + `","payload":{"text":"` + strings.Repeat("x", MaxAckSize) + `"}}`
		}, false, "Slack drops it"},
		{"unknown envelope", func(string) string { return `{"envelope_id":"nope"}` }, false, "unknown envelope"},
		{"malformed", func(string) string { return `{"envelope_id":` }, false, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t)
			ctx := testCtx(t)
			ws := rawConnect(t, ctx, srv)
			readFrame(t, ws) // hello
			d, err := srv.SlashCommand(ctx, SlashOptions{})
			if err != nil {
				t.Fatal(err)
			}
			env := readFrame(t, ws)
			if env["type"] != "slash_commands" || env["envelope_id"] != d.EnvelopeID || env["accepts_response_payload"] != true {
				t.Fatalf("envelope %v", env)
			}
			if err := ws.WriteMessage(websocket.TextMessage, []byte(tt.frame(d.EnvelopeID))); err != nil {
				t.Fatal(err)
			}
			if tt.wantAck {
				ack, err := d.WaitAck(ctx)
				if err != nil || ack.Payload != nil && string(ack.Payload) != "{}" {
					t.Errorf("ack %+v err %v", ack, err)
				}
				// A second ack is a protocol error.
				_ = ws.WriteMessage(websocket.TextMessage, []byte(tt.frame(d.EnvelopeID)))
				tt.wantError = "duplicate"
			}
			Poll(t, ctx, "protocol error", func() bool { return len(srv.ProtocolErrors()) == 1 })
			if pe := srv.ProtocolErrors()[0]; !strings.Contains(pe.Reason, tt.wantError) {
				t.Errorf("protocol error %q, want %q", pe.Reason, tt.wantError)
			}
			if _, acked := d.Acked(); acked != tt.wantAck {
				t.Errorf("acked = %v", acked)
			}
		})
	}
}

func TestCloseEndsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := New(t, WithPingInterval(10*time.Millisecond))
	ctx := testCtx(t)
	client := &http.Client{Transport: &http.Transport{}}
	var conns []*websocket.Conn
	for range 2 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.APIURL()+"apps.connections.open", nil)
		req.Header.Set("Authorization", "Bearer "+srv.AppToken())
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ URL string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, body.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, ws)
	}
	if err := srv.WaitConnected(ctx, 2); err != nil {
		t.Fatal(err)
	}
	srv.Disconnect("warning") // no live socket left: the next delivery waits

	waiting := make(chan error, 1)
	go func() {
		_, err := srv.SlashCommand(context.Background(), SlashOptions{})
		waiting <- err
	}()
	srv.Close()
	if err := <-waiting; !errors.Is(err, ErrClosed) {
		t.Errorf("pending delivery: %v, want ErrClosed", err)
	}
	for _, ws := range conns {
		ws.Close()
	}
	client.CloseIdleConnections()
	Poll(t, ctx, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestDeliveryWaitsForConnection(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := srv.SlashCommand(short, SlashOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("without a connection: %v", err)
	}
	delivered := make(chan error, 1)
	go func() {
		d, err := srv.SlashCommand(ctx, SlashOptions{Text: "later"})
		if err == nil {
			_, err = d.WaitAck(ctx)
		}
		delivered <- err
	}()
	b := startBot(t, srv, srv.AppToken(), true)
	if err := <-delivered; err != nil {
		t.Fatal(err)
	}
	if cmd := b.waitEvent(ctx, socketmode.EventTypeSlashCommand).Data.(slack.SlashCommand); cmd.Text != "later" {
		t.Errorf("text %q", cmd.Text)
	}
}
