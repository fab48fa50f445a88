package inbox

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sethvargo/go-retry"
)

// Defaults of the client; each has an Option.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxAttempts      = 4
	DefaultBackoffBase      = 250 * time.Millisecond
	DefaultBackoffMax       = 5 * time.Second
	DefaultUserAgent        = "inboxbot/dev"
	DefaultMaxResponseBytes = 8 << 20
	DefaultPageSize         = 20
)

// DefaultRetryBudget bounds the time one call spends waiting between its
// attempts (backoff and Retry-After together), so that a confused or busy
// server cannot park a command: a Retry-After longer than what is left
// fails the call at once, saying how long the server asked for.
const DefaultRetryBudget = 30 * time.Second

// MaxRetryAfter is the longest Retry-After the client reads as it is; a
// longer one is taken to be this (it is far beyond any wait we make).
const MaxRetryAfter = 366 * 24 * time.Hour

// usersPath is relative so that a base URL with a path prefix keeps it.
const usersPath = "inbox/users"

// Client calls POST /inbox/users with retries. It is safe for concurrent use.
type Client struct {
	endpoint         string
	host             string // host[:port] of endpoint, for errors
	token            string
	httpClient       *http.Client
	timeout          time.Duration
	maxAttempts      int
	backoffBase      time.Duration
	backoffMax       time.Duration
	userAgent        string
	maxResponseBytes int64
	initialPageSize  int
	observer         Observer
	retryBudget      time.Duration
	now              func() time.Time // the clock: tests set a fake one

	// pageSize is what the client takes a full page to hold (the low 32
	// bits) and whether it is confirmed (confirmedBit): one word, so that
	// both always change together. See PageSize and learnPageSize.
	pageSize atomic.Int64
	// served remembers the lengths of the pages served lately, from which
	// the client confirms the page size (see learnFromNeighbours).
	served servedPages

	// Response buffers and gzip readers are reused: under a burst of
	// commands every in-flight answer holds one of each, and reusing them
	// keeps the bot's peak memory down (see BENCHMARKS.md).
	buffers sync.Pool // *bytes.Buffer
	gzips   sync.Pool // *gzip.Reader
}

// maxPooledBuffer is the largest response buffer kept for reuse; a rare
// huge answer is left to the garbage collector.
const maxPooledBuffer = 1 << 20

func (c *Client) getBuffer() *bytes.Buffer {
	if b, ok := c.buffers.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (c *Client) putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuffer {
		c.buffers.Put(b)
	}
}

// gunzip returns a gzip reader over r, reusing a pooled one when it can.
func (c *Client) gunzip(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := c.gzips.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

var _ Source = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (transport, proxies, test fakes).
// Its own Timeout, if any, applies on top of WithTimeout. The client uses
// a copy that follows no redirects (see RedirectError); hc is not changed.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// WithRetryBudget bounds the time one call waits between attempts, backoff
// and Retry-After together (default 30s). A wait that does not fit in what
// is left, or in the context's deadline, ends the call with the last error.
func WithRetryBudget(d time.Duration) Option { return func(c *Client) { c.retryBudget = d } }

// WithTimeout bounds each HTTP attempt, body included (default 10s).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithMaxAttempts sets how many attempts a retryable failure gets (default 4).
func WithMaxAttempts(n int) Option { return func(c *Client) { c.maxAttempts = n } }

// WithBackoff sets the exponential backoff between attempts: base doubles
// each retry, with ±20% jitter, never above max (default 250ms, 5s).
func WithBackoff(base, max time.Duration) Option {
	return func(c *Client) { c.backoffBase, c.backoffMax = base, max }
}

// WithUserAgent sets the User-Agent header (default "inboxbot/dev").
func WithUserAgent(s string) Option { return func(c *Client) { c.userAgent = s } }

// WithMaxResponseBytes bounds a response body after decompression (default 8 MiB).
func WithMaxResponseBytes(n int64) Option { return func(c *Client) { c.maxResponseBytes = n } }

// WithPageSize sets the page size the API is assumed to use until the
// client learns the real one (default 20; the API does not document it). A
// shorter page is taken as the last one, but only Inferred: walks look at
// the next page anyway. A bigger page raises the assumption.
func WithPageSize(n int) Option { return func(c *Client) { c.initialPageSize = n } }

// WithObserver receives every HTTP attempt (for metrics). nil disables it.
func WithObserver(o Observer) Option { return func(c *Client) { c.observer = o } }

// Observer is told about every HTTP attempt, successful or not.
type Observer interface {
	Attempt(ctx context.Context, a AttemptInfo)
}

// AttemptInfo describes one HTTP attempt.
type AttemptInfo struct {
	Attempt    int           // 1-based
	StatusCode int           // 0 when no response arrived
	Duration   time.Duration // request sent to body read
	Err        error         // nil on success; the typed error otherwise
	Retrying   bool          // another attempt follows
}

// NewClient returns a client of the inbox API at baseURL (for example
// "https://api.v7.convertalk.com", with or without a trailing slash). An empty
// token sends no Authorization header (fakes that do not check it).
func NewClient(baseURL, token string, opts ...Option) (*Client, error) {
	endpoint, host, err := usersEndpoint(baseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoint:         endpoint,
		host:             host,
		token:            token,
		timeout:          DefaultTimeout,
		maxAttempts:      DefaultMaxAttempts,
		backoffBase:      DefaultBackoffBase,
		backoffMax:       DefaultBackoffMax,
		userAgent:        DefaultUserAgent,
		maxResponseBytes: DefaultMaxResponseBytes,
		initialPageSize:  DefaultPageSize,
		retryBudget:      DefaultRetryBudget,
		now:              time.Now,
	}
	for _, opt := range opts {
		opt(c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.httpClient == nil {
		c.httpClient = defaultHTTPClient()
	}
	c.httpClient = withoutRedirects(c.httpClient)
	c.pageSize.Store(int64(c.initialPageSize))
	c.served = servedPages{seed: maphash.MakeSeed(), recent: map[servedKey]servedPage{}}
	return c, nil
}

// usersEndpoint checks baseURL and returns the absolute URL of /inbox/users
// and its host. The URL is never echoed whole in errors: it may carry
// credentials (the host never does).
func usersEndpoint(baseURL string) (endpoint, host string, err error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return "", "", errors.New("inbox: base URL is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fmt.Errorf("inbox: base URL must be http(s), not %q", u.Scheme)
	}
	if u.Host == "" {
		return "", "", errors.New("inbox: base URL has no host")
	}
	u.RawQuery, u.Fragment = "", ""
	return u.JoinPath(usersPath).String(), u.Host, nil
}

// withoutRedirects returns a copy of hc that never follows a redirect: Do
// returns the 3xx answer itself. An API does not redirect a POST; following
// one would turn it into a GET elsewhere, or (307, 308) send the query and
// the token to another host. hc itself, the caller's, is left as it is.
func withoutRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

func (c *Client) validate() error {
	switch {
	case c.timeout <= 0:
		return fmt.Errorf("inbox: timeout %s must be positive", c.timeout)
	case c.maxAttempts < 1:
		return fmt.Errorf("inbox: max attempts %d must be at least 1", c.maxAttempts)
	case c.backoffBase <= 0 || c.backoffMax < c.backoffBase:
		return fmt.Errorf("inbox: backoff (%s, %s) needs 0 < base <= max", c.backoffBase, c.backoffMax)
	case c.retryBudget <= 0:
		return fmt.Errorf("inbox: retry budget %s must be positive", c.retryBudget)
	case c.maxResponseBytes <= 0:
		return fmt.Errorf("inbox: max response bytes %d must be positive", c.maxResponseBytes)
	case c.initialPageSize < 1 || c.initialPageSize > maxLearnedPageSize:
		return fmt.Errorf("inbox: page size %d must be between 1 and %d", c.initialPageSize, maxLearnedPageSize)
	case strings.ContainsAny(c.token, "\r\n"):
		return errors.New("inbox: token contains a line break")
	}
	return nil
}

// defaultHTTPClient keeps more idle connections per host than Go's default
// of 2: a burst of commands would otherwise open and close one each.
func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr}
}

// confirmedBit marks, in Client.pageSize, a page size the client confirmed.
const confirmedBit = 1 << 32

// maxLearnedPageSize bounds what learnPageSize accepts, far above any real
// page (a page is also bounded by WithMaxResponseBytes).
const maxLearnedPageSize = 1 << 30

// PageSize returns the page size the client currently takes a full page to
// hold: WithPageSize's until the API shows another (see learnPageSize).
// Every page the client returns carries it as Page.Size.
func (c *Client) PageSize() int {
	size, _ := c.pageSizeState()
	return size
}

// pageSizeState returns the page size and whether it is confirmed.
func (c *Client) pageSizeState() (size int, confirmed bool) {
	v := c.pageSize.Load()
	return int(v &^ confirmedBit), v&confirmedBit != 0
}

// learnPageSize records that the API's full pages hold n contacts, as the
// client concluded from a page of n contacts followed by a non-empty page
// of the same query. The size is then confirmed: it may be smaller than
// assumed so far, and a shorter page is the last one for certain
// (Page.Inferred false). Values below 1 are ignored. It is safe for
// concurrent use; the last call wins.
func (c *Client) learnPageSize(n int) {
	if n < 1 {
		return
	}
	c.pageSize.Store(int64(min(n, maxLearnedPageSize)) | confirmedBit)
}

// learnLongerPage raises the assumed page size to n when a page of n
// contacts arrived and n is bigger. A confirmed size that a page exceeds
// was wrong (or the API changed): the new size is only assumed.
func (c *Client) learnLongerPage(n int) {
	n = min(n, maxLearnedPageSize)
	for {
		cur := c.pageSize.Load()
		if int64(n) <= cur&^confirmedBit || c.pageSize.CompareAndSwap(cur, int64(n)) {
			return
		}
	}
}

// Users fetches one page of contacts matching f (page f.Page, 1 if unset),
// retrying 429, 5xx, timeouts and connection errors. Errors are the typed
// ones of errors.go, wrapped with the page number; a cancelled ctx gives an
// error wrapping ctx.Err().
func (c *Client) Users(ctx context.Context, f Filter) (*Page, error) {
	f.Page = max(f.Page, 1)
	if f.Page > MaxPage {
		return nil, fmt.Errorf("inbox: page %d is beyond the limit of %d", f.Page, MaxPage)
	}
	body, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("inbox: page %d: encode filter: %w", f.Page, err)
	}
	cl := &call{c: c, body: body, page: f.Page, backoff: c.newBackoff()}
	p, err := retry.DoValue(ctx, retry.BackoffFunc(cl.nextWait), cl.attempt)
	if err != nil {
		return nil, fmt.Errorf("inbox: page %d: %w", f.Page, cl.final(ctx, err))
	}
	c.learnFromNeighbours(f, body, p)
	return p, nil
}

// learnFromNeighbours confirms the page size from the pages of one query
// the client served lately: a page followed by a non-empty page is a full
// one. Whoever walks the pages (Pages, Find, a cache in front, Next
// clicks) thus teaches the client without telling it anything; p.Size
// then says what was learnt.
func (c *Client) learnFromNeighbours(f Filter, body []byte, p *Page) {
	n := rawLen(p)
	if n == 0 {
		return // an empty page says nothing of the size
	}
	key := body
	if f.Page != 1 {
		f.Page = 1 // every page of a query shares one key
		var err error
		if key, err = json.Marshal(f); err != nil {
			return
		}
	}
	query := maphash.Bytes(c.served.seed, key)
	if full := c.served.record(query, p.Number, n, c.now()); full > 0 {
		c.learnPageSize(full)
		p.Size = max(full, n)
	}
}

// Bounds of servedPages: what it remembers, for how long.
const (
	maxServedPages = 256
	servedWindow   = time.Minute
)

// servedPages remembers, for the pages a client served lately, how many
// items each held, keyed by a hash of the query and the page number.
type servedPages struct {
	seed   maphash.Seed
	mu     sync.Mutex
	recent map[servedKey]servedPage
}

type servedKey struct {
	query uint64
	page  int
}

type servedPage struct {
	n  int
	at time.Time
}

// record notes that page of query held n > 0 items at now and returns the
// full page size its neighbours show, 0 when they show none: the length
// of the page before it (which this page follows, so it was full), or n
// when the page after it was served non-empty. A neighbour older than
// servedWindow is not trusted (the inbox may have changed since), nor one
// that contradicts a full page (a full page shorter than what follows).
func (s *servedPages) record(query uint64, page, n int, now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := func(p servedPage, ok bool) bool { return ok && now.Sub(p.at) <= servedWindow }
	full := 0
	if before, ok := s.recent[servedKey{query, page - 1}]; fresh(before, ok) && before.n >= n {
		full = before.n
	} else if after, ok := s.recent[servedKey{query, page + 1}]; fresh(after, ok) && after.n <= n {
		full = n
	}
	if len(s.recent) >= maxServedPages {
		clear(s.recent) // many queries at once: start over rather than grow
	}
	s.recent[servedKey{query, page}] = servedPage{n: n, at: now}
	return full
}

func (c *Client) newBackoff() retry.Backoff {
	return retry.WithCappedDuration(c.backoffMax,
		retry.WithJitterPercent(20, retry.NewExponential(c.backoffBase)))
}

// call is the state of one Users call across its attempts.
type call struct {
	c       *Client
	body    []byte
	page    int
	backoff retry.Backoff
	n       int           // attempts made
	wait    time.Duration // before the next attempt, decided by attempt
	waited  time.Duration // the waits so far, against Client.retryBudget
	last    error         // the last attempt's error
}

// nextWait is the retry.Backoff of the call: attempt has already decided,
// knowing Retry-After and the deadline, whether and how long to wait.
func (cl *call) nextWait() (time.Duration, bool) { return cl.wait, false }

// attempt makes one HTTP attempt and tells go-retry whether to go on.
func (cl *call) attempt(ctx context.Context) (*Page, error) {
	cl.n++
	start := time.Now()
	res := cl.c.roundTrip(ctx, cl.body, cl.page, cl.n)
	info := AttemptInfo{Attempt: cl.n, StatusCode: res.status, Duration: time.Since(start), Err: res.err}
	if res.err == nil {
		cl.c.observe(ctx, info)
		return res.page, nil
	}
	if ctx.Err() == nil {
		// Kept for the final error should ctx end during the backoff.
		cl.last = res.err
		if retryable(res.err) && cl.n < cl.c.maxAttempts {
			wait, left, ok := cl.waitBefore(ctx, res.retryAfter)
			switch {
			case ok:
				cl.wait, info.Retrying = wait, true
				cl.waited += wait
			case res.retryAfter > 0:
				waitTooLong(res.err, res.retryAfter, left)
			}
		}
	}
	cl.c.observe(ctx, info)
	if info.Retrying {
		return nil, retry.RetryableError(res.err)
	}
	return nil, res.err
}

// waitBefore returns how long to wait before the next attempt, what the
// call had left to wait (the rest of the retry budget, or of the ctx
// deadline if that is sooner), and false when the wait does not fit in it.
func (cl *call) waitBefore(ctx context.Context, retryAfter time.Duration) (wait, left time.Duration, ok bool) {
	left = cl.c.retryBudget - cl.waited
	if deadline, has := ctx.Deadline(); has {
		left = min(left, deadline.Sub(cl.c.now()))
	}
	var backoff time.Duration
	if retryAfter <= 0 {
		backoff, _ = cl.backoff.Next()
	}
	wait, ok = planWait(retryAfter, backoff, left)
	return wait, left, ok
}

// planWait decides the wait before a retry: the server's Retry-After when
// it gave one, else the backoff; false when that is not shorter than what
// is left (waiting it all would leave the attempt no time). It never caps
// a Retry-After: retrying before the server said would only be refused.
func planWait(retryAfter, backoff, left time.Duration) (time.Duration, bool) {
	wait := backoff
	if retryAfter > 0 {
		wait = retryAfter
	}
	if wait >= left {
		return 0, false
	}
	return wait, true
}

// waitTooLong records on err, a 429 or 5xx, that the call gave up at once
// because the server asked to wait retryAfter with only left to spare.
func waitTooLong(err error, retryAfter, left time.Duration) {
	var (
		rl *RateLimitError
		ae *APIError
	)
	switch {
	case errors.As(err, &rl):
		rl.TooLong, rl.Left = true, max(left, 0)
	case errors.As(err, &ae):
		ae.RetryAfter, ae.TooLong, ae.Left = retryAfter, true, max(left, 0)
	}
}

// final turns what go-retry returned into the error of Users: a ctx error
// keeps the last attempt's typed error alongside, for errors.As.
func (cl *call) final(ctx context.Context, err error) error {
	ctxErr := ctx.Err()
	if ctxErr == nil || !(errors.Is(err, ctxErr) || errors.Is(err, context.Cause(ctx))) {
		return err
	}
	if cl.last == nil {
		return ctxErr
	}
	return fmt.Errorf("%w after %d attempts (last: %w)", ctxErr, cl.n, cl.last)
}

func (c *Client) observe(ctx context.Context, info AttemptInfo) {
	if c.observer != nil {
		c.observer.Attempt(ctx, info)
	}
}

// retryable reports whether an attempt's error is worth another attempt.
func retryable(err error) bool {
	var (
		rl *RateLimitError
		to *TimeoutError
		ce *ConnectionError
		ae *APIError
	)
	switch {
	case errors.As(err, &rl), errors.As(err, &to), errors.As(err, &ce):
		return true
	case errors.As(err, &ae):
		return ae.StatusCode >= 500
	}
	return false
}

// result is the outcome of one HTTP attempt.
type result struct {
	page       *Page
	status     int
	retryAfter time.Duration
	err        error
}

// roundTrip makes attempt n under its own timeout and classifies the outcome.
func (c *Client) roundTrip(ctx context.Context, body []byte, page, n int) result {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return result{err: fmt.Errorf("inbox: build request: %w", err)}
	}
	c.setHeaders(req.Header)
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return result{err: c.transportError(ctx, actx, err, n)}
	}
	defer drainClose(resp.Body)
	buf := c.getBuffer()
	defer c.putBuffer(buf) // interpret copies what it keeps out of data
	data, err := c.readBody(resp, buf)
	if err != nil {
		var bad *BadResponseError
		if !errors.As(err, &bad) {
			return result{status: resp.StatusCode, err: c.transportError(ctx, actx, err, n)}
		}
		if resp.StatusCode/100 == 2 {
			return result{status: resp.StatusCode, err: err}
		}
		data = nil // an unreadable error body: the status says enough
	}
	res := result{status: resp.StatusCode}
	res.page, res.retryAfter, res.err = c.interpret(resp, data, page, n)
	return res
}

func (c *Client) setHeaders(h http.Header) {
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	h.Set("authtype", "Key")
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	// Setting Accept-Encoding ourselves turns off Go's transparent
	// decompression: readBody decodes gzip.
	h.Set("Accept-Encoding", "gzip")
	h.Set("User-Agent", c.userAgent)
}

// interpret maps a complete response to a page or a typed error.
func (c *Client) interpret(resp *http.Response, data []byte, page, n int) (*Page, time.Duration, error) {
	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300:
		size, confirmed := c.pageSizeState()
		p, err := decodePage(data, status, page, size, confirmed)
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) {
				ae.Attempts = n
			}
			return nil, 0, err
		}
		c.learnLongerPage(rawLen(p))
		return p, 0, nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		msg, _ := errorEnvelope(data)
		return nil, 0, &UnauthorizedError{StatusCode: status, Message: msg}
	case status >= 300 && status < 400:
		return nil, 0, &RedirectError{StatusCode: status, Host: redirectHost(resp)}
	case status == http.StatusTooManyRequests:
		ra := parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		return nil, ra, &RateLimitError{RetryAfter: ra, Attempts: n}
	default:
		var ra time.Duration
		if status >= 500 { // a 503 may say when to come back, too
			ra = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		}
		msg, code := errorEnvelope(data)
		return nil, ra, &APIError{StatusCode: status, Code: code, Message: msg, Attempts: n}
	}
}

// transportError classifies a failure to get or read a response: the
// caller's cancellation, this attempt's timeout, or a connection problem.
func (c *Client) transportError(ctx, actx context.Context, err error, n int) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var ne net.Error
	if errors.Is(actx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &TimeoutError{PerAttempt: c.timeout, Attempts: n}
	}
	// A *url.Error repeats the whole URL, which may carry credentials;
	// the host says where, and the inner error why.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	// net/http refuses a redirect whose Location it cannot parse before
	// asking CheckRedirect: that is a redirect too, not a network error.
	if strings.HasPrefix(err.Error(), "failed to parse Location header") {
		return &RedirectError{}
	}
	return &ConnectionError{Host: c.host, Attempts: n, Err: err}
}

// redirectHost returns the host a redirect answer points to: its Location
// resolved against the request's URL; "" without a readable one.
func redirectHost(resp *http.Response) string {
	loc := strings.TrimSpace(resp.Header.Get("Location"))
	if loc == "" || resp.Request == nil || resp.Request.URL == nil {
		return ""
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return ""
	}
	return u.Host
}

// readBody reads the whole body, gunzipping it when the server compressed
// it, up to maxResponseBytes after decompression (a gzip bomb is refused).
// Decoding problems are *BadResponseError; anything else is a read error.
func (c *Client) readBody(resp *http.Response, buf *bytes.Buffer) ([]byte, error) {
	limit := c.maxResponseBytes
	tooLarge := &BadResponseError{StatusCode: resp.StatusCode, Reason: "larger than " + byteSize(limit)}
	var r io.Reader = resp.Body
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if resp.ContentLength > limit {
			return nil, tooLarge
		}
	case "gzip", "x-gzip":
		zr, err := c.gunzip(resp.Body)
		if err != nil {
			return nil, gzipError(resp.StatusCode, err)
		}
		defer func() {
			zr.Close()
			c.gzips.Put(zr)
		}()
		r = zr
	default:
		return nil, &BadResponseError{StatusCode: resp.StatusCode, Reason: "unknown content encoding " + strconv.Quote(enc)}
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, gzipError(resp.StatusCode, err)
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	return data, nil
}

// gzipError is a *BadResponseError for corrupt gzip data, and err as it is
// for anything else (a network failure while reading).
func gzipError(status int, err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt) {
		return &BadResponseError{StatusCode: status, Reason: "corrupt gzip", Err: err}
	}
	return err
}

// drainClose reads a little of what is left so the connection can be reused.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// parseRetryAfter reads a Retry-After value, delta-seconds or HTTP-date, as
// a duration from now; 0 when absent, past or unreadable. Values are
// clamped to MaxRetryAfter so that arithmetic on them cannot overflow.
func parseRetryAfter(v string, now time.Time) time.Duration {
	const ceiling = MaxRetryAfter
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(min(secs, int64(ceiling/time.Second)))*time.Second, ceiling)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), ceiling)
	}
	return 0
}
