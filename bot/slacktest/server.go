// Package slacktest is a fake Slack for end-to-end tests of a slack-go
// Socket Mode bot. It speaks the real wire protocols over real sockets:
// apps.connections.open with single-use tickets, a Socket Mode websocket
// (hello, WebSocket pings, envelopes, acks, disconnect), the Web API methods
// the bot uses (form or JSON), response_url endpoints and the three-step file
// upload. Every Block Kit payload is validated like Slack does, and
// everything the bot sends is recorded for assertions.
//
// Point slack-go at it with slack.OptionAPIURL(srv.APIURL()) and
// slack.OptionAppLevelToken(srv.AppToken()).
package slacktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults used when an Option or a delivery leaves a value empty.
const (
	DefaultBotToken     = "xoxb-test"
	DefaultAppToken     = "xapp-test"
	DefaultAppID        = "A0INBOXBOT"
	DefaultTeamID       = "T0CONVERT"
	DefaultTeamDomain   = "convertalk"
	DefaultBotUserID    = "U0INBOXBOT"
	DefaultBotID        = "B0INBOXBOT"
	DefaultUserID       = "U0TESTER"
	DefaultChannelID    = "C0INBOX"
	DefaultPingInterval = 5 * time.Second
	DefaultAckTimeout   = 3 * time.Second

	// MaxConnections is Slack's cap of concurrent Socket Mode connections per app.
	MaxConnections = 10
	// MaxAckSize is the frame size at which Slack silently drops an ack.
	MaxAckSize = 20 * 1024
	// MaxResponseURLUses is how often one response_url may be used.
	MaxResponseURLUses = 5
	// ResponseURLMethod is the name RateLimit and Calls use for response_url posts.
	ResponseURLMethod = "response_url"
)

// ErrClosed is returned by waits and deliveries once the server is closed.
var ErrClosed = errors.New("slacktest: server closed")

// Option configures a Server.
type Option func(*config)

type config struct {
	botToken     string
	appToken     string
	appID        string
	teamID       string
	teamDomain   string
	botUserID    string
	botID        string
	pingInterval time.Duration
	ackTimeout   time.Duration
	openError    string
	socketURL    func(issued string) string
	noHello      bool
	users        map[string]User
}

// WithBotToken sets the accepted bot token (default "xoxb-test").
func WithBotToken(token string) Option { return func(c *config) { c.botToken = token } }

// WithAppToken sets the accepted app-level token (default "xapp-test").
func WithAppToken(token string) Option { return func(c *config) { c.appToken = token } }

// WithAppID sets the app id sent in hello, tickets and payloads.
func WithAppID(id string) Option { return func(c *config) { c.appID = id } }

// WithPingInterval sets how often each websocket gets a PING control frame
// (default 5s). Keep it below the client's socketmode.OptionPingInterval.
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// WithAckTimeout sets how long an envelope may stay unacked before it is
// marked dispatch_failed (default 3s, Slack's deadline). Tests shorten it.
func WithAckTimeout(d time.Duration) Option { return func(c *config) { c.ackTimeout = d } }

// WithOpenError makes apps.connections.open answer {"ok":false,"error":code}
// from the start (e.g. "invalid_auth", which slack-go treats as fatal).
func WithOpenError(code string) Option { return func(c *config) { c.openError = code } }

// WithSocketURL makes apps.connections.open answer rewrite(url) instead of
// the ticketed websocket URL it issued: tests point the bot at an
// unreachable address or at a URL whose handshake is refused.
func WithSocketURL(rewrite func(issued string) string) Option {
	return func(c *config) { c.socketURL = rewrite }
}

// WithoutHello makes websockets open without Slack's hello frame (they still
// get pings and envelopes), like a socket that connects but is not served.
func WithoutHello() Option { return func(c *config) { c.noHello = true } }

// WithUser adds a user that users.info knows. Without any WithUser, users.info
// invents a user for every id that starts with U or W.
func WithUser(u User) Option {
	return func(c *config) {
		if c.users == nil {
			c.users = map[string]User{}
		}
		c.users[u.ID] = u
	}
}

// User is what users.info answers for one id.
type User struct {
	ID       string
	Name     string
	RealName string
	TZ       string // IANA name, default "UTC"
	IsBot    bool
}

// Server is a fake Slack. All methods are safe for concurrent use.
type Server struct {
	cfg      config
	http     *httptest.Server
	upgrader websocket.Upgrader
	started  time.Time

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // websocket readers and pingers

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	closed  bool
	seq     int   // source of unique ids
	lastTS  int64 // microseconds of the last message ts handed out
	sock    socketState
	web     webState
}

// New starts a fake Slack on a local httptest server. It is closed by
// tb.Cleanup; calling Close earlier is fine.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	cfg := config{
		botToken:     DefaultBotToken,
		appToken:     DefaultAppToken,
		appID:        DefaultAppID,
		teamID:       DefaultTeamID,
		teamDomain:   DefaultTeamDomain,
		botUserID:    DefaultBotUserID,
		botID:        DefaultBotID,
		pingInterval: DefaultPingInterval,
		ackTimeout:   DefaultAckTimeout,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	s := &Server{
		cfg:     cfg,
		started: time.Now(),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
		// slack-go dials with Origin: https://api.slack.com; accept it.
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
	}
	s.sock.init(cfg.openError)
	s.web.init()

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/link/", s.handleLink)
	mux.HandleFunc("/hooks/", s.handleHook)
	mux.HandleFunc("/upload/v1/", s.handleUpload)
	s.http = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// APIURL is the Web API base for slack.OptionAPIURL: "http://host:port/api/".
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// URL is the server's root, "http://host:port".
func (s *Server) URL() string { return s.http.URL }

// BotToken is the accepted bot token.
func (s *Server) BotToken() string { return s.cfg.botToken }

// AppToken is the accepted app-level token.
func (s *Server) AppToken() string { return s.cfg.appToken }

// AppID is the app id the server announces.
func (s *Server) AppID() string { return s.cfg.appID }

// Close stops ping loops, drops every websocket and shuts the HTTP server
// down; it returns once every goroutine the server started has ended.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		conns := append([]*conn(nil), s.sock.conns...)
		s.sock.stopTimersLocked()
		s.notifyLocked()
		s.mu.Unlock()
		for _, c := range conns {
			_ = c.ws.Close()
		}
		s.wg.Wait()
		s.http.Close()
	})
}

// notifyLocked wakes every waiter; the caller holds s.mu.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until cond (called with s.mu held) is true, ctx ends or the
// server closes. It checks cond only between Web API calls, so every effect
// it reports comes with its recorded Call.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok := s.web.inflight == 0 && cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrClosed
		}
	}
}

// nextSeqLocked returns a fresh positive number; the caller holds s.mu.
func (s *Server) nextSeqLocked() int {
	s.seq++
	return s.seq
}

// nextTSLocked returns a unique, increasing Slack timestamp
// ("1732460000.000100") close to the wall clock; the caller holds s.mu.
func (s *Server) nextTSLocked() string {
	now := time.Now().UnixMicro()
	s.lastTS = max(now, s.lastTS+100)
	return fmt.Sprintf("%d.%06d", s.lastTS/1e6, s.lastTS%1e6)
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomHex returns n random bytes as hex, for secrets in URLs and trigger ids.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
