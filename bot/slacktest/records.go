package slacktest

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/convertalk/inboxbot/commands/blockcheck"
)

// webState is the Web API half of the server; guarded by Server.mu.
type webState struct {
	calls []Call
	// inflight counts Web API calls whose effects may be visible but whose
	// Call is not yet recorded; waits hold off until it is zero, so that a
	// test that saw an effect also sees the call that made it.
	inflight    int
	messages    []Message
	current     map[msgKey]Message
	uploads     []Upload
	pending     map[string]*pendingFile
	responses   []Response
	hooks       map[string]*hook // by URL path
	blockErrors []BlockError
	rateLimits  map[string]rateLimit
	injected    map[string]injectedError
}

func (w *webState) init() {
	w.current = map[msgKey]Message{}
	w.pending = map[string]*pendingFile{}
	w.hooks = map[string]*hook{}
	w.rateLimits = map[string]rateLimit{}
	w.injected = map[string]injectedError{}
}

type msgKey struct{ channel, ts string }

// Call is one Web API (or response_url) request, as received.
type Call struct {
	Method string
	// Params are the request's parameters without the token; JSON values
	// that are not strings keep their JSON text.
	Params map[string]string
	JSON   bool // the body was JSON rather than a form
	Status int  // HTTP status answered
	Error  string
	Time   time.Time
}

// Message is one message write: a post, an update, a delete or a
// response_url answer. MessageAt gives the current state of a message.
type Message struct {
	Method    string // chat.postMessage, chat.postEphemeral, chat.update, chat.delete, response_url
	Channel   string
	TS        string
	ThreadTS  string
	Text      string
	Blocks    json.RawMessage // nil when the message has no blocks
	User      string          // recipient of an ephemeral message
	Ephemeral bool
	Deleted   bool
	Time      time.Time
	// Metadata is the message metadata a post carried, as its JSON text
	// ("" for none), so a test can tell which digest slot or alert
	// incident a message is.
	Metadata string
}

// Upload is a file shared by files.completeUploadExternal.
type Upload struct {
	FileID         string
	Filename       string
	Title          string
	Length         int // as declared to files.getUploadURLExternal
	Channel        string
	InitialComment string
	ThreadTS       string
	Content        []byte
}

// Response is one POST to a response_url.
type Response struct {
	URL             string
	Kind            string // "commands" or "actions"
	Use             int    // 1 for the first POST to this URL
	Status          int
	Error           string // "" when accepted
	Body            []byte
	Text            string
	Blocks          json.RawMessage // nil for absent or null
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	Time            time.Time
}

// BlockError is a payload rejected (or, for acks, flagged) by Block Kit
// validation.
type BlockError struct {
	Method   string // chat.postMessage, ..., response_url, ack
	Channel  string
	Blocks   string
	Problems []blockcheck.Problem // empty for invalid_blocks_format
	Error    string               // invalid_blocks or invalid_blocks_format
}

// Calls returns the recorded calls of method, or of every method for "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.web.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until method has been called at least n times.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	err := s.waitFor(ctx, func() bool {
		k := 0
		for _, c := range s.web.calls {
			if c.Method == method {
				k++
			}
		}
		return k >= n
	})
	return s.Calls(method), err
}

// Messages returns every message write so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.web.messages)
}

// WaitMessages waits until at least n message writes were recorded.
func (s *Server) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	err := s.waitFor(ctx, func() bool { return len(s.web.messages) >= n })
	return s.Messages(), err
}

// MessageAt returns the current state of the message ts in channel.
func (s *Server) MessageAt(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.web.current[msgKey{channel, ts}]
	return m, ok
}

// Uploads returns the files shared so far.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.web.uploads)
}

// WaitUploads waits until at least n files were shared.
func (s *Server) WaitUploads(ctx context.Context, n int) ([]Upload, error) {
	err := s.waitFor(ctx, func() bool { return len(s.web.uploads) >= n })
	return s.Uploads(), err
}

// Responses returns every response_url POST so far, accepted or not.
func (s *Server) Responses() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.web.responses)
}

// WaitResponses waits until at least n response_url POSTs were recorded.
func (s *Server) WaitResponses(ctx context.Context, n int) ([]Response, error) {
	err := s.waitFor(ctx, func() bool { return len(s.web.responses) >= n })
	return s.Responses(), err
}

// BlockErrors returns the payloads that failed Block Kit validation.
func (s *Server) BlockErrors() []BlockError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.web.blockErrors)
}

// rateLimit is a pending 429 injection.
type rateLimit struct{ n, retryAfter int }

// RateLimit makes the next n calls of method (a Web API method, or
// ResponseURLMethod) answer HTTP 429 with Retry-After: retryAfter and
// {"ok":false,"error":"ratelimited"}.
func (s *Server) RateLimit(method string, n, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.web.rateLimits[method] = rateLimit{n: n, retryAfter: retryAfter}
}

// takeRateLimitLocked consumes one injected 429 for method.
func (s *Server) takeRateLimitLocked(method string) (retryAfter int, limited bool) {
	rl, ok := s.web.rateLimits[method]
	if !ok || rl.n <= 0 {
		return 0, false
	}
	rl.n--
	s.web.rateLimits[method] = rl
	return rl.retryAfter, true
}

// injectedError is a pending error injection.
type injectedError struct {
	code string
	n    int
}

// InjectError makes the next n calls of a Web API method answer
// {"ok":false,"error":code} (e.g. "not_in_channel", "channel_not_found").
func (s *Server) InjectError(method, code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.web.injected[method] = injectedError{code: code, n: n}
}

func (s *Server) takeInjectedLocked(method string) (string, bool) {
	ie, ok := s.web.injected[method]
	if !ok || ie.n <= 0 {
		return "", false
	}
	ie.n--
	s.web.injected[method] = ie
	return ie.code, true
}

// recordMessageLocked logs a message write and updates its current state.
func (s *Server) recordMessageLocked(m Message) {
	m.Time = time.Now()
	s.web.messages = append(s.web.messages, m)
	s.web.current[msgKey{m.Channel, m.TS}] = m
	s.notifyLocked()
}
