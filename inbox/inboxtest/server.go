// Package inboxtest is a fake of the Convertalk inbox API (POST
// /inbox/users, as inbox-api.md fixes it) over a generated, deterministic
// dataset, with strict request validation, fault injection and a record of
// the requests it got. Unit tests serve it with httptest, `inboxbot shell`
// uses it in process (Server.Client) and `inboxbot demo-api` over HTTP
// (ListenAndServe).
package inboxtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// DefaultToken is the API token the fake accepts unless WithToken says
// otherwise. It is not a secret: the demo prints it.
const DefaultToken = "demo-token"

// DefaultPageSize is how many contacts a page holds unless WithPageSize
// says otherwise.
const DefaultPageSize = 20

// Path is the one route the fake serves.
const Path = "/inbox/users"

// maxBodyBytes bounds a request body; a real body is well under 10 KiB.
const maxBodyBytes = 1 << 20

// MaxRecorded is how many requests Requests keeps (the newest), so that a
// long-running demo-api or benchmark does not grow without bound.
const MaxRecorded = 10000

// Option configures a Server.
type Option func(*config)

type config struct {
	contacts     []Contact
	haveContacts bool
	seed         int64
	size         int
	anchor       time.Time
	token        string
	pageSize     int
	totals       bool
}

// WithContacts serves cs (copied and sorted newest createdAt first) instead
// of a generated dataset.
func WithContacts(cs []Contact) Option {
	return func(c *config) { c.contacts, c.haveContacts = slices.Clone(cs), true }
}

// WithSeed generates the dataset from seed (default DefaultSeed).
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

// WithSize generates n contacts (default DefaultSize).
func WithSize(n int) Option { return func(c *config) { c.size = n } }

// WithAnchor sets the "now" the generated dataset leads up to (default
// DemoAnchor(time.Now())). Tests should always set it.
func WithAnchor(t time.Time) Option { return func(c *config) { c.anchor = t } }

// WithToken sets the bearer token requests must carry (default DefaultToken).
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithPageSize sets how many contacts a page holds (default 20). It panics
// if n < 1.
func WithPageSize(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("inboxtest: WithPageSize(%d): a page holds at least one contact", n))
	}
	return func(c *config) { c.pageSize = n }
}

// WithTotals adds "total" (the number of matching contacts) to every page
// when on. The API does not document a total, so it is off by default and
// clients must work both ways.
func WithTotals(on bool) Option { return func(c *config) { c.totals = on } }

// Request is one request the server received, as it received it.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Filter is the decoded body when it was valid; BodyError says why it
	// was not ("" when valid). Both are filled even when a fault answered.
	Filter    inbox.Filter
	BodyError string
	// Status is the HTTP status answered; 0 while the request is in flight
	// or when no answer was sent (Hang, or the client gave up first).
	Status int
}

type queuedFault struct {
	fault Fault
	left  int
}

// Server is the fake API. It is an http.Handler, safe for concurrent use;
// its faults and latency can be changed while it serves.
type Server struct {
	// contacts is replaced whole (SetContacts, UpdateContacts), never
	// changed in place: a request works on the slice it read under data.
	data     sync.RWMutex
	contacts []indexed
	anchor   time.Time
	token    string
	pageSize int
	totals   bool

	mu       sync.Mutex
	latency  time.Duration
	queue    []queuedFault
	fault    Fault
	requests []*Request // the newest MaxRecorded
	arrived  int        // since New or Reset
}

var _ http.Handler = (*Server)(nil)

// New returns a fake API serving the generated demo dataset unless options
// say otherwise.
func New(opts ...Option) *Server {
	cfg := config{seed: DefaultSeed, size: DefaultSize, token: DefaultToken, pageSize: DefaultPageSize}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.anchor.IsZero() {
		cfg.anchor = DemoAnchor(time.Now())
	}
	contacts := cfg.contacts
	if cfg.haveContacts {
		SortContacts(contacts)
	} else {
		contacts = Generate(cfg.seed, cfg.size, cfg.anchor)
	}
	s := &Server{
		contacts: make([]indexed, len(contacts)),
		anchor:   cfg.anchor.UTC(),
		token:    cfg.token,
		pageSize: cfg.pageSize,
		totals:   cfg.totals,
	}
	s.contacts = indexAll(contacts)
	return s
}

// indexAll indexes contacts (already in the API's order) for serving.
func indexAll(contacts []Contact) []indexed {
	out := make([]indexed, len(contacts))
	for i, c := range contacts {
		x, err := newIndexed(c)
		if err != nil {
			// Contact's fields are strings, bools, ints and times: they
			// always marshal.
			panic(fmt.Sprintf("inboxtest: contact %s: %v", c.ID, err))
		}
		out[i] = x
	}
	return out
}

// served returns the contacts being served; the slice is never modified.
func (s *Server) served() []indexed {
	s.data.RLock()
	defer s.data.RUnlock()
	return s.contacts
}

// Contacts returns the served contacts in the order the API serves them.
// The slices inside are shared: do not modify them.
func (s *Server) Contacts() []Contact {
	return unindexed(s.served())
}

func unindexed(xs []indexed) []Contact {
	out := make([]Contact, len(xs))
	for i, x := range xs {
		out[i] = x.contact
	}
	return out
}

// SetContacts replaces the served contacts (sorted into the API's order,
// as WithContacts does) while the server runs, so that a test can make
// contacts start or stop matching. A request that started before the call
// answers from the old contacts, one that starts after it from the new
// ones. Safe for concurrent use with requests.
func (s *Server) SetContacts(contacts []Contact) {
	contacts = slices.Clone(contacts)
	SortContacts(contacts)
	xs := indexAll(contacts)
	s.data.Lock()
	s.contacts = xs
	s.data.Unlock()
}

// UpdateContacts replaces the served contacts with what f returns from a
// copy of the current ones (sorted into the API's order afterwards). Calls
// are serialised, so concurrent updates do not lose each other's changes;
// f must not call the Server. Safe for concurrent use with requests.
func (s *Server) UpdateContacts(f func([]Contact) []Contact) {
	s.data.Lock()
	defer s.data.Unlock()
	contacts := f(unindexed(s.contacts))
	contacts = slices.Clone(contacts)
	SortContacts(contacts)
	s.contacts = indexAll(contacts)
}

// Anchor returns the time the generated dataset leads up to.
func (s *Server) Anchor() time.Time { return s.anchor }

// SetLatency delays every answer by d (0: none). A client that gives up
// first ends the wait.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// FailNext answers the next n requests with f, after any faults queued
// before it.
func (s *Server) FailNext(n int, f Fault) {
	if n < 1 || f.IsZero() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, queuedFault{f, n})
}

// SetFault answers every request with f until it is changed; the zero Fault
// clears it. Faults queued by FailNext come first.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// ClearFaults drops queued faults and the fault set by SetFault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue, s.fault = nil, Fault{}
}

// Requests returns the requests received since New or Reset, oldest first
// (at most the newest MaxRecorded).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
		out[i].Header = r.Header.Clone()
		out[i].Body = slices.Clone(r.Body)
	}
	return out
}

// Count returns how many requests arrived since New or Reset.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.arrived
}

// Reset forgets the recorded requests. Faults and latency stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.arrived = nil, 0
}

// arrive records rec and takes the fault and latency that apply to it.
func (s *Server) arrive(rec *Request) (Fault, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == MaxRecorded {
		s.requests = slices.Delete(s.requests, 0, MaxRecorded/10)
	}
	s.requests = append(s.requests, rec)
	s.arrived++
	if len(s.queue) > 0 {
		f := s.queue[0].fault
		if s.queue[0].left--; s.queue[0].left == 0 {
			s.queue = s.queue[1:]
		}
		return f, s.latency
	}
	return s.fault, s.latency
}

func (s *Server) finish(rec *Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Status = status
}

// ServeHTTP answers POST /inbox/users as the contract says, unless a fault
// is due. When the request's context ends before an answer (Hang, latency)
// it panics with http.ErrAbortHandler, which net/http and Client's transport
// take as "abort the connection".
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	rec := &Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	var filter inbox.Filter
	if err == nil {
		filter, err = parseBody(body)
	}
	if err != nil {
		rec.BodyError = err.Error()
	} else {
		rec.Filter = filter
	}
	fault, latency := s.arrive(rec)
	status := s.answer(w, r, fault, latency, filter, err)
	s.finish(rec, status)
	if status == 0 {
		// The request's context ended before an answer: abort the
		// connection rather than let net/http send an empty 200.
		panic(http.ErrAbortHandler)
	}
}

// answer writes the response and returns its status (0: none).
func (s *Server) answer(w http.ResponseWriter, r *http.Request, fault Fault, latency time.Duration, f inbox.Filter, bodyErr error) int {
	if !wait(r.Context(), latency) {
		return 0
	}
	if !fault.IsZero() {
		return fault.write(w, r)
	}
	if r.URL.Path != Path {
		return writeError(w, r, http.StatusNotFound, "Cannot "+r.Method+" "+r.URL.Path)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return writeError(w, r, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed: use POST "+Path)
	}
	if msg := s.authProblem(r.Header); msg != "" {
		return writeError(w, r, http.StatusUnauthorized, msg)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return writeError(w, r, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
	}
	var tooLarge *http.MaxBytesError
	if errors.As(bodyErr, &tooLarge) {
		return writeError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", maxBodyBytes))
	}
	if bodyErr != nil {
		return writeError(w, r, http.StatusBadRequest, bodyErr.Error())
	}
	return s.writePage(w, r, f)
}

// wait sleeps for d unless ctx ends first; it reports whether to answer.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return body, err
		}
		return body, fmt.Errorf("the request body could not be read: %w", err)
	}
	return body, nil
}

// authProblem checks the headers the API requires (Authorization: Bearer
// TOKEN and authtype: Key) and says what is wrong, never echoing the token.
func (s *Server) authProblem(h http.Header) string {
	auth := h.Get("Authorization")
	if auth == "" {
		return "Unauthorized: the Authorization header is missing (send Authorization: Bearer <API key>)"
	}
	scheme, token, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "Unauthorized: the Authorization header must be Bearer <API key>"
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) != 1 {
		return "Unauthorized: invalid API key"
	}
	if !strings.EqualFold(h.Get("authtype"), "Key") {
		return "Unauthorized: the authtype header must be Key"
	}
	return ""
}

type errorEnvelope struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	Code    int    `json:"code"`
}

type pageEnvelope struct {
	Success bool              `json:"success"`
	Message string            `json:"message"`
	Code    int               `json:"code"`
	Data    []json.RawMessage `json:"data"`
	Total   *int              `json:"total,omitempty"`
}

// writePage answers one page of the contacts f matches.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, f inbox.Filter) int {
	// first is the index of the page's first match; -1 when the page lies
	// beyond any possible match (and page*size could overflow).
	contacts := s.served()
	first := -1
	if p := f.Page - 1; p <= len(contacts)/s.pageSize {
		first = p * s.pageSize
	}
	data := []json.RawMessage{}
	matched := 0
	for i := range contacts {
		if !contacts[i].matches(f) {
			continue
		}
		if first >= 0 && matched >= first && matched < first+s.pageSize {
			data = append(data, contacts[i].json)
		}
		matched++
	}
	env := pageEnvelope{Success: true, Code: http.StatusOK, Data: data}
	if s.totals {
		env.Total = &matched
	}
	return writeEnvelope(w, r, http.StatusOK, env)
}

func writeError(w http.ResponseWriter, r *http.Request, status int, msg string) int {
	return writeEnvelope(w, r, status, errorEnvelope{Success: false, Message: msg, Code: status})
}

// writeEnvelope writes v as JSON, gzipped when the client accepts it.
func writeEnvelope(w http.ResponseWriter, r *http.Request, status int, v any) int {
	body, err := marshalNoEscape(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"success":false,"message":"the fake could not encode its answer","code":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body) // writes to a bytes.Buffer do not fail
		_ = zw.Close()
		body = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client may be gone; nothing to do about it
	return status
}

// acceptsGzip reports whether an Accept-Encoding value lists gzip without
// refusing it (q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return !strings.HasPrefix(q, "q=0") || strings.HasPrefix(q, "q=0.") && strings.Trim(q[4:], "0") != ""
	}
	return false
}
