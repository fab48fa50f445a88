package slacktest

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// socketState is the Socket Mode half of the server; guarded by Server.mu.
type socketState struct {
	openError   string
	opens       int
	tickets     map[string]bool // ticket -> already used
	conns       []*conn         // registered websockets, oldest first
	nextConn    int
	robin       int // round-robin cursor for deliveries
	pings       int
	pongs       int
	rejected    int // websockets refused with too_many_websockets
	deliveries  map[string]*Delivery
	order       []*Delivery
	protoErrors []ProtocolError
}

func (st *socketState) init(openError string) {
	st.openError = openError
	st.tickets = map[string]bool{}
	st.deliveries = map[string]*Delivery{}
}

// stopTimersLocked stops every pending ack deadline.
func (st *socketState) stopTimersLocked() {
	for _, d := range st.order {
		if d.timer != nil {
			d.timer.Stop()
		}
	}
}

// conn is one Socket Mode websocket.
type conn struct {
	id   int
	ws   *websocket.Conn
	done chan struct{} // closed when the reader has ended
	wmu  chanMutex     // serialises data frames (gorilla allows one writer)
	live bool          // false once told to go away or dropped
}

// chanMutex is a mutex whose Lock can give up when a context ends.
type chanMutex chan struct{}

func newChanMutex() chanMutex { return make(chanMutex, 1) }

func (m chanMutex) lock(ctx context.Context) error {
	select {
	case m <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m chanMutex) unlock() { <-m }

// ProtocolError is a frame from the bot that Slack would have ignored or
// rejected: an unknown or duplicate envelope id, an ack of 20 KB or more,
// malformed JSON.
type ProtocolError struct {
	ConnID int
	Reason string
	Frame  string // the first 256 bytes of the frame
	Time   time.Time
}

// SetOpenError makes every following apps.connections.open answer
// {"ok":false,"error":code}; "" restores normal operation.
func (s *Server) SetOpenError(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sock.openError = code
}

// Opens is the number of successful apps.connections.open calls.
func (s *Server) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sock.opens
}

// WaitOpens waits until at least n apps.connections.open calls succeeded.
func (s *Server) WaitOpens(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.sock.opens >= n })
}

// Connected is the number of live websockets (not yet told to disconnect).
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveCountLocked()
}

// WaitConnected waits until at least n websockets are live.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.liveCountLocked() >= n })
}

// Pongs is the number of PONG frames received on all websockets.
func (s *Server) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sock.pongs
}

// WaitPongs waits until at least n PONG frames have arrived.
func (s *Server) WaitPongs(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.sock.pongs >= n })
}

// Rejected is the number of websockets refused with too_many_websockets.
func (s *Server) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sock.rejected
}

// ProtocolErrors returns the bad frames received so far.
func (s *Server) ProtocolErrors() []ProtocolError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sock.protoErrors)
}

func (s *Server) liveCountLocked() int {
	n := 0
	for _, c := range s.sock.conns {
		if c.live {
			n++
		}
	}
	return n
}

// handleOpen serves apps.connections.open; the app token must come in the
// Authorization header, as Slack requires.
func (s *Server) handleOpen(bearer string) apiResult {
	switch {
	case bearer == "":
		return fail("not_authed")
	case bearer == s.cfg.botToken:
		return fail("not_allowed_token_type")
	case bearer != s.cfg.appToken:
		return fail("invalid_auth")
	}
	s.mu.Lock()
	if s.sock.openError != "" {
		defer s.mu.Unlock()
		return fail(s.sock.openError)
	}
	ticket := newUUID()
	s.sock.tickets[ticket] = false
	s.sock.opens++
	s.notifyLocked()
	s.mu.Unlock()
	u := "ws" + s.http.URL[len("http"):] + "/link/?ticket=" + ticket + "&app_id=" + s.cfg.appID
	if s.cfg.socketURL != nil {
		u = s.cfg.socketURL(u)
	}
	return ok(map[string]any{"url": u})
}

// handleLink upgrades a ticketed request to a Socket Mode websocket and
// serves it until it closes.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	if !s.redeemTicket(r.URL.Query().Get("ticket")) {
		http.Error(w, "invalid or already used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	ws.SetReadLimit(1 << 20)
	c := &conn{ws: ws, done: make(chan struct{}), wmu: newChanMutex(), live: true}
	// Hold the write lock until hello is out, so that no envelope or
	// disconnect can overtake it.
	_ = c.wmu.lock(context.Background())

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	if len(s.sock.conns) >= MaxConnections {
		s.sock.rejected++
		s.notifyLocked()
		s.mu.Unlock()
		_ = ws.WriteMessage(websocket.TextMessage, disconnectFrame("too_many_websockets"))
		_ = ws.Close()
		return
	}
	s.sock.nextConn++
	c.id = s.sock.nextConn
	s.sock.conns = append(s.sock.conns, c)
	hello := helloFrame(s.liveCountLocked(), s.cfg.appID)
	s.wg.Add(2) // this reader and the pinger; never after Close, which holds mu
	s.notifyLocked()
	s.mu.Unlock()

	if !s.cfg.noHello {
		_ = ws.WriteMessage(websocket.TextMessage, hello)
	}
	c.wmu.unlock()

	go s.pingLoop(c)
	s.readLoop(c)
}

// redeemTicket reports whether ticket was issued and not used before, and
// marks it used.
func (s *Server) redeemTicket(ticket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	used, issued := s.sock.tickets[ticket]
	if !issued || used {
		return false
	}
	s.sock.tickets[ticket] = true
	return true
}

// pingLoop sends WebSocket PING control frames; slack-go reconnects when they
// stop.
func (s *Server) pingLoop(c *conn) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.pingInterval)
	defer t.Stop()
	for seq := 1; ; seq++ {
		select {
		case <-c.done:
			return
		case <-s.done:
			return
		case <-t.C:
		}
		// WriteControl may run concurrently with other writes.
		if err := c.ws.WriteControl(websocket.PingMessage, []byte(strconv.Itoa(seq)), time.Now().Add(time.Second)); err != nil {
			continue // the reader notices a dead socket and closes c.done
		}
		s.mu.Lock()
		s.sock.pings++
		s.mu.Unlock()
	}
}

// readLoop reads acks and control frames until the socket fails, then
// forgets the connection.
func (s *Server) readLoop(c *conn) {
	defer s.wg.Done()
	c.ws.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.sock.pongs++
		s.notifyLocked()
		s.mu.Unlock()
		return nil
	})
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			break
		}
		if mt == websocket.TextMessage {
			s.handleFrame(c, data, time.Now())
		}
	}
	s.mu.Lock()
	c.live = false
	s.sock.conns = slices.DeleteFunc(s.sock.conns, func(x *conn) bool { return x == c })
	s.notifyLocked()
	s.mu.Unlock()
	close(c.done)
	_ = c.ws.Close()
}

// Disconnect sends {"type":"disconnect","reason":reason} to every live
// websocket. Those sockets stop receiving envelopes and no longer count as
// connected; slack-go drops them and reconnects with a new
// apps.connections.open.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	var targets []*conn
	for _, c := range s.sock.conns {
		if c.live {
			c.live = false
			targets = append(targets, c)
		}
	}
	s.notifyLocked()
	s.mu.Unlock()
	frame := disconnectFrame(reason)
	for _, c := range targets {
		s.writeFrame(context.Background(), c, frame)
	}
}

// CloseAbruptly drops every websocket's TCP connection without a close
// frame, like a network failure.
func (s *Server) CloseAbruptly() {
	s.mu.Lock()
	targets := slices.Clone(s.sock.conns)
	for _, c := range targets {
		c.live = false
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range targets {
		_ = c.ws.Close()
	}
}

// writeFrame writes one text frame, serialised with other data frames.
func (s *Server) writeFrame(ctx context.Context, c *conn, frame []byte) error {
	if err := c.wmu.lock(ctx); err != nil {
		return err
	}
	defer c.wmu.unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func helloFrame(numConnections int, appID string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": numConnections,
		"debug_info": map[string]any{
			"host":                        "applink-slacktest",
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": appID},
	})
	return b
}

func disconnectFrame(reason string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "applink-slacktest"},
	})
	return b
}
