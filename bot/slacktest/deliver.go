package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SlashOptions describes a slash command typed by a user. Empty fields get
// defaults: Command "/inbox", UserID DefaultUserID, ChannelID
// DefaultChannelID, names derived from the ids.
type SlashOptions struct {
	Command     string
	Text        string
	UserID      string
	UserName    string
	ChannelID   string
	ChannelName string
}

// ClickOptions describes a click on a button of a message.
//
// When the message at (ChannelID, MessageTS) was sent through this server,
// the button is looked up in its blocks: it must exist, and BlockID, Value
// and the button text default to the button's own. Clicking a non-ephemeral
// message the server does not know is an error (real clicks carry the
// message); set Ephemeral to click in an ephemeral answer the server has no
// record of.
type ClickOptions struct {
	ActionID    string // required
	BlockID     string
	Value       string
	UserID      string
	UserName    string
	ChannelID   string
	ChannelName string
	MessageTS   string
	ThreadTS    string
	Ephemeral   bool
	ResponseURL string // default: a fresh /hooks/actions/ URL on this server
}

// Delivery is one envelope sent to the bot.
type Delivery struct {
	EnvelopeID  string
	Type        string          // "slash_commands" or "interactive"
	Payload     json.RawMessage // the envelope's payload, as sent
	ResponseURL string

	srv    *Server
	acked  chan struct{} // closed by the first valid ack
	failed chan struct{} // closed when the ack deadline passed unacked

	// guarded by srv.mu
	sentAt   time.Time
	connID   int
	ack      *Ack
	timedOut bool
	timer    *time.Timer
}

// Ack is an acknowledgement received for a Delivery.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the ack had no payload
	Size       int             // bytes in the frame
	ConnID     int
	SentAt     time.Time // when the envelope frame was written
	ReceivedAt time.Time
	Late       bool // arrived after the ack deadline (Slack had given up)
}

// Latency is the time from writing the envelope to receiving its ack.
func (a Ack) Latency() time.Duration { return a.ReceivedAt.Sub(a.SentAt) }

// WaitAck waits for the envelope's ack, late or not.
func (d *Delivery) WaitAck(ctx context.Context) (Ack, error) {
	select {
	case <-d.acked:
		return d.mustAck(), nil
	default:
	}
	select {
	case <-d.acked:
	case <-ctx.Done():
		return Ack{}, fmt.Errorf("envelope %s not acked: %w", d.EnvelopeID, ctx.Err())
	case <-d.srv.done:
		return Ack{}, ErrClosed
	}
	return d.mustAck(), nil
}

// mustAck returns the ack of a delivery whose acked channel is closed.
func (d *Delivery) mustAck() Ack {
	d.srv.mu.Lock()
	defer d.srv.mu.Unlock()
	return *d.ack
}

// Acked returns the ack if one has arrived.
func (d *Delivery) Acked() (Ack, bool) {
	d.srv.mu.Lock()
	defer d.srv.mu.Unlock()
	if d.ack == nil {
		return Ack{}, false
	}
	return *d.ack, true
}

// DispatchFailed reports whether the ack deadline passed without an ack:
// the user saw dispatch_failed (slash command) or a warning icon (click).
func (d *Delivery) DispatchFailed() bool {
	d.srv.mu.Lock()
	defer d.srv.mu.Unlock()
	return d.timedOut
}

// errAckedInTime is returned by WaitDispatchFailed for an envelope that was
// acked before its deadline.
var errAckedInTime = errors.New("slacktest: envelope was acked in time")

// WaitDispatchFailed waits until the envelope is marked dispatch_failed; it
// fails at once if the envelope was acked in time.
func (d *Delivery) WaitDispatchFailed(ctx context.Context) error {
	if d.DispatchFailed() {
		return nil
	}
	select {
	case <-d.failed:
		return nil
	case <-d.acked:
		if d.DispatchFailed() {
			return nil
		}
		return errAckedInTime
	case <-ctx.Done():
		return ctx.Err()
	case <-d.srv.done:
		return ErrClosed
	}
}

// ConnID is the id of the websocket the envelope was written to.
func (d *Delivery) ConnID() int {
	d.srv.mu.Lock()
	defer d.srv.mu.Unlock()
	return d.connID
}

// Deliveries returns every envelope sent so far, oldest first.
func (s *Server) Deliveries() []*Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sock.order)
}

// DispatchFailures returns the envelopes whose ack deadline passed unacked.
func (s *Server) DispatchFailures() []*Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Delivery
	for _, d := range s.sock.order {
		if d.timedOut {
			out = append(out, d)
		}
	}
	return out
}

// SlashCommand delivers a slash_commands envelope to one live websocket,
// waiting (until ctx ends) for one to be connected.
func (s *Server) SlashCommand(ctx context.Context, o SlashOptions) (*Delivery, error) {
	o = o.withDefaults()
	s.mu.Lock()
	hookURL := s.newHookLocked("commands", hookSource{channel: o.ChannelID, user: o.UserID})
	meta := s.payloadMetaLocked()
	s.mu.Unlock()
	payload := slashPayload(o, meta, hookURL)
	return s.deliver(ctx, "slash_commands", true, payload, hookURL)
}

// Click delivers an interactive block_actions envelope for a button click.
func (s *Server) Click(ctx context.Context, o ClickOptions) (*Delivery, error) {
	o = o.withDefaults()
	if o.ActionID == "" {
		return nil, errors.New("slacktest: Click needs an ActionID")
	}
	s.mu.Lock()
	msg, found := s.web.current[msgKey{o.ChannelID, o.MessageTS}]
	if found && msg.Deleted {
		found = false
	}
	if found && msg.Ephemeral {
		o.Ephemeral = true
	}
	if !found && !o.Ephemeral {
		s.mu.Unlock()
		return nil, fmt.Errorf("slacktest: no message %s in %s to click (set Ephemeral for an unrecorded ephemeral answer)", o.MessageTS, o.ChannelID)
	}
	var btn button
	if found {
		var err error
		if btn, err = findButton(msg.Blocks, o.ActionID); err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("slacktest: message %s: %w", o.MessageTS, err)
		}
	}
	btn = btn.merge(o)
	if o.MessageTS == "" {
		o.MessageTS = s.nextTSLocked()
	}
	if o.ResponseURL == "" {
		o.ResponseURL = s.newHookLocked("actions", hookSource{channel: o.ChannelID, user: o.UserID, ts: o.MessageTS})
	}
	meta := s.payloadMetaLocked()
	s.mu.Unlock()
	var msgPtr *Message
	if !o.Ephemeral {
		msgPtr = &msg
	}
	payload := clickPayload(o, btn, msgPtr, meta)
	return s.deliver(ctx, "interactive", false, payload, o.ResponseURL)
}

// deliver registers an envelope and writes it to one live websocket,
// retrying on another one if the write fails.
func (s *Server) deliver(ctx context.Context, typ string, acceptsResponse bool, payload json.RawMessage, responseURL string) (*Delivery, error) {
	d := &Delivery{
		EnvelopeID:  newUUID(),
		Type:        typ,
		Payload:     payload,
		ResponseURL: responseURL,
		srv:         s,
		acked:       make(chan struct{}),
		failed:      make(chan struct{}),
	}
	frame, err := json.Marshal(struct {
		EnvelopeID             string          `json:"envelope_id"`
		Payload                json.RawMessage `json:"payload"`
		Type                   string          `json:"type"`
		AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	}{d.EnvelopeID, payload, typ, acceptsResponse})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.sock.deliveries[d.EnvelopeID] = d
	s.sock.order = append(s.sock.order, d)
	s.mu.Unlock()

	for {
		c, err := s.pickConn(ctx)
		if err != nil {
			s.forget(d)
			return nil, fmt.Errorf("slacktest: deliver %s: %w", typ, err)
		}
		s.mu.Lock()
		d.sentAt, d.connID = time.Now(), c.id
		d.timer = time.AfterFunc(s.cfg.ackTimeout, func() { s.ackDeadline(d) })
		s.mu.Unlock()
		err = s.writeFrame(ctx, c, frame)
		if err == nil {
			return d, nil
		}
		s.mu.Lock()
		d.timer.Stop()
		if ctx.Err() == nil {
			// The socket died under us: Slack would route to another one.
			c.live = false
			s.notifyLocked()
		}
		s.mu.Unlock()
		if ctx.Err() != nil {
			s.forget(d)
			return nil, fmt.Errorf("slacktest: deliver %s: %w", typ, ctx.Err())
		}
	}
}

// forget drops a delivery that never reached a websocket.
func (s *Server) forget(d *Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sock.deliveries, d.EnvelopeID)
	s.sock.order = slices.DeleteFunc(s.sock.order, func(x *Delivery) bool { return x == d })
}

// pickConn waits for a live websocket and picks one round-robin.
func (s *Server) pickConn(ctx context.Context) (*conn, error) {
	var picked *conn
	err := s.waitFor(ctx, func() bool {
		var live []*conn
		for _, c := range s.sock.conns {
			if c.live {
				live = append(live, c)
			}
		}
		if len(live) == 0 {
			return false
		}
		s.sock.robin++
		picked = live[s.sock.robin%len(live)]
		return true
	})
	return picked, err
}

// ackDeadline marks an envelope dispatch_failed if it is still unacked.
func (s *Server) ackDeadline(d *Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.ack != nil || d.timedOut {
		return
	}
	d.timedOut = true
	close(d.failed)
	s.notifyLocked()
}

// ackFrame is what a bot writes back on the websocket.
type ackFrame struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when absent or null
}

// parseAck decodes an ack frame.
func parseAck(data []byte) (ackFrame, error) {
	var raw struct {
		EnvelopeID *string         `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return ackFrame{}, fmt.Errorf("malformed ack: %w", err)
	}
	if raw.EnvelopeID == nil || *raw.EnvelopeID == "" {
		return ackFrame{}, errors.New("ack without envelope_id")
	}
	a := ackFrame{EnvelopeID: *raw.EnvelopeID}
	if p := bytes.TrimSpace(raw.Payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		if p[0] != '{' {
			return ackFrame{}, errors.New("ack payload is not an object")
		}
		a.Payload = slices.Clone(raw.Payload)
	}
	return a, nil
}

// handleFrame records an ack from the bot.
func (s *Server) handleFrame(c *conn, data []byte, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	protoErr := func(reason string) {
		frame := data[:min(len(data), 256)]
		s.sock.protoErrors = append(s.sock.protoErrors, ProtocolError{ConnID: c.id, Reason: reason, Frame: string(frame), Time: at})
		s.notifyLocked()
	}
	if len(data) >= MaxAckSize {
		protoErr(fmt.Sprintf("ack of %d bytes (>= %d): Slack drops it", len(data), MaxAckSize))
		return
	}
	a, err := parseAck(data)
	if err != nil {
		protoErr(err.Error())
		return
	}
	d := s.sock.deliveries[a.EnvelopeID]
	switch {
	case d == nil:
		protoErr("ack for unknown envelope " + a.EnvelopeID)
		return
	case d.ack != nil:
		protoErr("duplicate ack for envelope " + a.EnvelopeID)
		return
	}
	d.ack = &Ack{
		EnvelopeID: a.EnvelopeID,
		Payload:    a.Payload,
		Size:       len(data),
		ConnID:     c.id,
		SentAt:     d.sentAt,
		ReceivedAt: at,
		Late:       d.timedOut || at.Sub(d.sentAt) > s.cfg.ackTimeout,
	}
	if d.ack.Late && !d.timedOut {
		d.timedOut = true
		close(d.failed)
	}
	if d.timer != nil {
		d.timer.Stop()
	}
	close(d.acked)
	if a.Payload != nil {
		s.checkAckPayloadLocked(d, a.Payload)
	}
	s.notifyLocked()
}

// checkAckPayloadLocked validates the blocks of an ack payload, which Slack
// shows like a response to the command.
func (s *Server) checkAckPayloadLocked(d *Delivery, payload json.RawMessage) {
	var p struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return
	}
	s.checkBlocksLocked("ack", "", p.Text, string(p.Blocks))
}

// payloadMeta is what every payload says about the workspace and app.
type payloadMeta struct {
	TeamID, TeamDomain, AppID, BotID, BotUserID string
	TriggerID, ActionTS                         string
}

// payloadMetaLocked describes the workspace plus a fresh trigger id and
// action_ts; the caller holds s.mu.
func (s *Server) payloadMetaLocked() payloadMeta {
	m := s.botMeta()
	m.ActionTS = s.nextTSLocked()
	m.TriggerID = fmt.Sprintf("%s.%d.%s", strings.Replace(m.ActionTS, ".", "", 1), s.nextSeqLocked(), randomHex(16))
	return m
}

// botMeta describes the workspace, the app and its bot user.
func (s *Server) botMeta() payloadMeta {
	return payloadMeta{
		TeamID:     s.cfg.teamID,
		TeamDomain: s.cfg.teamDomain,
		AppID:      s.cfg.appID,
		BotID:      s.cfg.botID,
		BotUserID:  s.cfg.botUserID,
	}
}

func (o SlashOptions) withDefaults() SlashOptions {
	if o.Command == "" {
		o.Command = "/inbox"
	}
	if o.UserID == "" {
		o.UserID = DefaultUserID
	}
	if o.UserName == "" {
		o.UserName = strings.ToLower(o.UserID)
	}
	if o.ChannelID == "" {
		o.ChannelID = DefaultChannelID
	}
	if o.ChannelName == "" {
		o.ChannelName = channelName(o.ChannelID)
	}
	return o
}

func (o ClickOptions) withDefaults() ClickOptions {
	if o.UserID == "" {
		o.UserID = DefaultUserID
	}
	if o.UserName == "" {
		o.UserName = strings.ToLower(o.UserID)
	}
	if o.ChannelID == "" {
		o.ChannelID = DefaultChannelID
	}
	if o.ChannelName == "" {
		o.ChannelName = channelName(o.ChannelID)
	}
	return o
}

// channelName invents a stable channel name for an id.
func channelName(id string) string {
	switch {
	case strings.HasPrefix(id, "D"):
		return "directmessage"
	case strings.HasPrefix(id, "G"):
		return "privategroup"
	}
	return "chan-" + strings.ToLower(id)
}

// slashPayload builds the payload Slack sends for a slash command in Socket
// Mode: the HTTP form fields as a JSON object, is_enterprise_install as the
// string "false".
func slashPayload(o SlashOptions, m payloadMeta, responseURL string) json.RawMessage {
	b, _ := json.Marshal(struct {
		Token               string `json:"token"`
		TeamID              string `json:"team_id"`
		TeamDomain          string `json:"team_domain"`
		ChannelID           string `json:"channel_id"`
		ChannelName         string `json:"channel_name"`
		UserID              string `json:"user_id"`
		UserName            string `json:"user_name"`
		Command             string `json:"command"`
		Text                string `json:"text"`
		APIAppID            string `json:"api_app_id"`
		IsEnterpriseInstall string `json:"is_enterprise_install"`
		ResponseURL         string `json:"response_url"`
		TriggerID           string `json:"trigger_id"`
	}{
		Token: "verification-token-deprecated", TeamID: m.TeamID, TeamDomain: m.TeamDomain,
		ChannelID: o.ChannelID, ChannelName: o.ChannelName, UserID: o.UserID, UserName: o.UserName,
		Command: o.Command, Text: o.Text, APIAppID: m.AppID, IsEnterpriseInstall: "false",
		ResponseURL: responseURL, TriggerID: m.TriggerID,
	})
	return b
}

// clickPayload builds a block_actions payload; msg is nil for ephemeral
// messages, which Slack does not echo.
func clickPayload(o ClickOptions, btn button, msg *Message, m payloadMeta) json.RawMessage {
	type idName struct {
		ID   string `json:"id"`
		Name string `json:"name,omitempty"`
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": o.UserID, "username": o.UserName, "name": o.UserName, "team_id": m.TeamID},
		"api_app_id":            m.AppID,
		"token":                 "verification-token-deprecated",
		"container":             clickContainer(o),
		"trigger_id":            m.TriggerID,
		"team":                  map[string]any{"id": m.TeamID, "domain": m.TeamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               idName{o.ChannelID, o.ChannelName},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          o.ResponseURL,
		"actions": []any{map[string]any{
			"action_id": o.ActionID,
			"block_id":  btn.BlockID,
			"text":      btn.Text,
			"value":     btn.Value,
			"type":      btn.Type,
			"action_ts": m.ActionTS,
		}},
	}
	if msg != nil {
		payload["message"] = messageObject(*msg, m)
	}
	b, _ := json.Marshal(payload)
	return b
}

func clickContainer(o ClickOptions) map[string]any {
	c := map[string]any{
		"type":         "message",
		"message_ts":   o.MessageTS,
		"channel_id":   o.ChannelID,
		"is_ephemeral": o.Ephemeral,
	}
	if o.ThreadTS != "" {
		c["thread_ts"] = o.ThreadTS
	}
	return c
}

// messageObject is a recorded message as Slack shows it in payloads and
// chat.* responses.
func messageObject(msg Message, m payloadMeta) map[string]any {
	obj := map[string]any{
		"type":   "message",
		"text":   msg.Text,
		"user":   m.BotUserID,
		"bot_id": m.BotID,
		"app_id": m.AppID,
		"team":   m.TeamID,
		"ts":     msg.TS,
	}
	if msg.ThreadTS != "" {
		obj["thread_ts"] = msg.ThreadTS
	}
	if len(msg.Blocks) > 0 {
		obj["blocks"] = msg.Blocks
	}
	return obj
}

// button is the clicked element as the payload describes it.
type button struct {
	BlockID string
	Type    string
	Value   string
	Text    json.RawMessage
}

// merge fills what the message did not say from the click options.
func (b button) merge(o ClickOptions) button {
	if o.BlockID != "" {
		b.BlockID = o.BlockID
	}
	if b.BlockID == "" {
		b.BlockID = "blk-" + randomHex(3) // Slack invents one too
	}
	if o.Value != "" {
		b.Value = o.Value
	}
	if b.Type == "" {
		b.Type = "button"
	}
	if b.Text == nil {
		b.Text = json.RawMessage(`{"type":"plain_text","text":"Button","emoji":true}`)
	}
	return b
}

// findButton looks for the interactive element with actionID in an actions
// block, a section accessory or an input block.
func findButton(blocks json.RawMessage, actionID string) (button, error) {
	var bs []struct {
		Type      string            `json:"type"`
		BlockID   string            `json:"block_id"`
		Elements  []json.RawMessage `json:"elements"`
		Accessory json.RawMessage   `json:"accessory"`
		Element   json.RawMessage   `json:"element"`
	}
	if len(blocks) > 0 {
		if err := json.Unmarshal(blocks, &bs); err != nil {
			return button{}, fmt.Errorf("unreadable blocks: %w", err)
		}
	}
	for i, b := range bs {
		candidates := slices.Clone(b.Elements)
		candidates = append(candidates, b.Accessory, b.Element)
		for _, raw := range candidates {
			var el struct {
				ActionID string          `json:"action_id"`
				Type     string          `json:"type"`
				Value    string          `json:"value"`
				Text     json.RawMessage `json:"text"`
			}
			if len(raw) == 0 || json.Unmarshal(raw, &el) != nil || el.ActionID != actionID {
				continue
			}
			blockID := b.BlockID
			if blockID == "" {
				blockID = fmt.Sprintf("auto-%d", i)
			}
			return button{BlockID: blockID, Type: el.Type, Value: el.Value, Text: el.Text}, nil
		}
	}
	return button{}, fmt.Errorf("no element with action_id %q", actionID)
}
