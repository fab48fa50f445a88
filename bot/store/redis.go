package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis is the [Store] on a Redis server, shared by several replicas.
//
// Every key starts with [Options.KeyPrefix] ("inboxbot:" by default):
//
//	inboxbot:schema         the layout version of the keys, like the bolt file's
//	inboxbot:records:KIND   a hash of the records of KIND, id -> value
//	inboxbot:lease:KEY      a lease, "SECONDS NANOS OWNER" (its expiry on the store's clock)
//	inboxbot:ids            a hash of the NextID counters, prefix -> last id
//
// Kinds and id prefixes cannot hold a ':' (see checkName), so no two of these
// can collide. Each operation touches one key, atomically: a single command,
// or a Lua script for the leases (check the expiry and the owner, then write)
// and for Update (compare and set one field of the hash).
//
// The client never retries a command on its own: a command whose reply was
// lost may have run, and running it again could make a won Claim look lost
// or apply an Update twice. A network error is returned to the caller, after
// at most the dial, read or write timeout (a few seconds), so a Redis that
// went away fails calls fast instead of hanging them; the connection pool
// reconnects by itself once the server is back.
type Redis struct {
	client  *redis.Client
	now     func() time.Time
	prefix  string
	loc     Location
	closed  atomic.Bool
	scripts redisScripts
}

var _ Store = (*Redis)(nil)

// DefaultKeyPrefix starts every Redis key when [Options.KeyPrefix] is empty.
const DefaultKeyPrefix = "inboxbot:"

// Timeouts of the Redis client unless the URL sets its own (the go-redis
// query parameters dial_timeout, read_timeout and write_timeout): long enough
// for a busy server across a network, short enough that a dead one shows in
// /readyz and in the logs within seconds.
const (
	RedisDialTimeout  = 3 * time.Second
	RedisReadTimeout  = 3 * time.Second
	RedisWriteTimeout = 3 * time.Second
)

// redisSchema is the layout version of the keys, stored under "schema".
// Keys written by a newer layout are refused rather than misread.
const redisSchema = 1

// maxUpdateAttempts bounds Update's compare-and-set loop, so a record that
// is rewritten without pause cannot keep one caller spinning forever.
const maxUpdateAttempts = 1000

// leaseLua is shared by the lease scripts: holder returns the owner of the
// lease value v if it is still live at (s, ns) on the store's clock, or
// false. Seconds and nanoseconds travel apart because Lua numbers are
// doubles, which cannot hold Unix nanoseconds exactly.
const leaseLua = `
local function holder(v, s, ns)
  if not v then return false end
  local es, ens, owner = string.match(v, '^(%-?%d+) (%d+) (.*)$')
  if not es then return false end
  es, ens = tonumber(es), tonumber(ens)
  if es > s or (es == s and ens > ns) then return owner end
  return false
end
local s, ns = tonumber(ARGV[1]), tonumber(ARGV[2])
`

// The scripts' arguments: ARGV[1], ARGV[2] are now's seconds and
// nanoseconds; the lease value and PX come last.
const (
	claimLua = leaseLua + `
if holder(redis.call('GET', KEYS[1]), s, ns) then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`

	renewLua = leaseLua + `
if holder(redis.call('GET', KEYS[1]), s, ns) ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
return 1`

	releaseLua = leaseLua + `
if holder(redis.call('GET', KEYS[1]), s, ns) ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
return 1`

	// casLua sets field ARGV[1] of hash KEYS[1] to ARGV[4] if it still is
	// what Update read: ARGV[3] if ARGV[2] is "1", absent if it is "0".
	casLua = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  if cur ~= ARGV[3] then return 0 end
elseif cur then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return 1`
)

type redisScripts struct {
	claim, renew, release, cas *redis.Script
}

// OpenRedis connects to the Redis server a redis:// or rediss:// STORE_URL
// names and checks it: a wrong address, password or database fails here, at
// start, not as a bot that is never ready. It waits at most ctx's deadline or
// the client's timeouts. Errors name the server without its password.
func OpenRedis(ctx context.Context, storeURL string, opts Options) (*Redis, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	loc, err := ParseURL(storeURL)
	if err != nil {
		return nil, err
	}
	if loc.Scheme != SchemeRedis && loc.Scheme != SchemeRediss {
		return nil, fmt.Errorf("%w: OpenRedis of a %s:// STORE_URL", ErrInvalid, loc.Scheme)
	}
	prefix, err := keyPrefix(opts.KeyPrefix)
	if err != nil {
		return nil, err
	}
	ropts, err := redisOptions(loc)
	if err != nil {
		return nil, err
	}
	r := &Redis{
		client: redis.NewClient(ropts),
		now:    opts.Now,
		prefix: prefix,
		loc:    loc,
		scripts: redisScripts{
			claim:   redis.NewScript(claimLua),
			renew:   redis.NewScript(renewLua),
			release: redis.NewScript(releaseLua),
			cas:     redis.NewScript(casLua),
		},
	}
	if err := r.checkSchema(ctx); err != nil {
		_ = r.client.Close()
		return nil, r.redact(fmt.Errorf("store: %s: %w", loc, err))
	}
	return r, nil
}

// redisOptions turns a parsed STORE_URL into client options: go-redis
// reads the URL (TLS for rediss://, user, password, database, query
// parameters), and the store adds its timeouts and turns retries off.
func redisOptions(loc Location) (*redis.Options, error) {
	o, err := redis.ParseURL(loc.URL)
	if err != nil {
		return nil, redactURL(fmt.Errorf("STORE_URL %s: %w", loc, err), loc.URL)
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = RedisDialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = RedisReadTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = RedisWriteTimeout
	}
	o.MaxRetries = -1   // see the Redis doc: a retried command may have run
	o.DialerRetries = 1 // a refused dial fails at once; the next call dials again
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true // CLIENT SETINFO: not in every server the bot may meet
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return o, nil
}

// keyPrefix validates Options.KeyPrefix, or returns the default.
func keyPrefix(p string) (string, error) {
	if p == "" {
		return DefaultKeyPrefix, nil
	}
	if len(p) > maxNameLen*2 || strings.IndexFunc(p, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return "", fmt.Errorf("%w: the Redis key prefix must be 1 to %d bytes without spaces or control characters", ErrInvalid, maxNameLen*2)
	}
	return p, nil
}

// checkSchema writes the layout version into a new database and refuses one
// written by a newer release. It is also Open's connection check.
func (r *Redis) checkSchema(ctx context.Context) error {
	key := r.prefix + "schema"
	if err := r.client.SetNX(ctx, key, redisSchema, 0).Err(); err != nil {
		return err
	}
	v, err := r.client.Get(ctx, key).Result()
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return fmt.Errorf("malformed layout version under %s", key)
	case n > redisSchema:
		return fmt.Errorf("written by a newer inboxbot (layout %d, this release reads up to %d)", n, redisSchema)
	}
	return nil
}

// Location is the STORE_URL the store was opened on; its String hides the
// password.
func (r *Redis) Location() Location { return r.loc }

// Key prefixes of the layout; see the Redis doc comment.
func (r *Redis) recordsKey(kind string) string { return r.prefix + "records:" + kind }
func (r *Redis) leaseKey(key string) string    { return r.prefix + "lease:" + key }
func (r *Redis) idsKey() string                { return r.prefix + "ids" }

// begin is every method's first check: a closed store, then a done context.
func (r *Redis) begin(ctx context.Context) error {
	if r.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// fail gives a client error the store's words: ErrClosed for a client closed
// meanwhile, the operation and the server otherwise, never the password.
func (r *Redis) fail(op string, err error) error {
	if errors.Is(err, redis.ErrClosed) || r.closed.Load() {
		return ErrClosed
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("store: redis %s: %w", op, err)
	}
	return r.redact(fmt.Errorf("store: redis %s on %s: %w", op, r.loc, err))
}

func (r *Redis) redact(err error) error { return redactURL(err, r.loc.URL) }

// redactURL hides the password of rawURL wherever err's message quotes it:
// the client's own errors are not written with secrets in mind.
func redactURL(err error, rawURL string) error {
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		return err
	}
	password, ok := u.User.Password()
	if !ok || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), password, "xxxxx"), err: err}
}

// redactedError is err with a message that does not quote the password; it
// still matches what err matches.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Get implements [Store].
func (r *Redis) Get(ctx context.Context, kind, id string) ([]byte, error) {
	if err := checkRecord(kind, id); err != nil {
		return nil, err
	}
	if err := r.begin(ctx); err != nil {
		return nil, err
	}
	v, err := r.client.HGet(ctx, r.recordsKey(kind), id).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, fmt.Errorf("%w: %s %s", ErrNotFound, kind, id)
	case err != nil:
		return nil, r.fail("get", err)
	}
	return []byte(v), nil
}

// Put implements [Store].
func (r *Redis) Put(ctx context.Context, kind, id string, value []byte) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	if len(value) == 0 {
		return fmt.Errorf("%w: empty value for %s %s", ErrInvalid, kind, id)
	}
	if err := r.begin(ctx); err != nil {
		return err
	}
	if err := r.client.HSet(ctx, r.recordsKey(kind), id, value).Err(); err != nil {
		return r.fail("put", err)
	}
	return nil
}

// Delete implements [Store].
func (r *Redis) Delete(ctx context.Context, kind, id string) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	if err := r.begin(ctx); err != nil {
		return err
	}
	n, err := r.client.HDel(ctx, r.recordsKey(kind), id).Result()
	switch {
	case err != nil:
		return r.fail("delete", err)
	case n == 0:
		return fmt.Errorf("%w: %s %s", ErrNotFound, kind, id)
	}
	return nil
}

// List implements [Store]. One HGETALL reads the kind atomically; the ids
// are sorted here, as Redis keeps a hash in no order.
func (r *Redis) List(ctx context.Context, kind string) ([]Record, error) {
	if err := checkName("kind", kind); err != nil {
		return nil, err
	}
	if err := r.begin(ctx); err != nil {
		return nil, err
	}
	all, err := r.client.HGetAll(ctx, r.recordsKey(kind)).Result()
	if err != nil {
		return nil, r.fail("list", err)
	}
	records := make([]Record, 0, len(all))
	for id, v := range all {
		records = append(records, Record{ID: id, Value: []byte(v)})
	}
	slices.SortFunc(records, func(a, b Record) int { return strings.Compare(a.ID, b.ID) })
	return records, nil
}

// Update implements [Store] with optimistic locking: read the record, let fn
// compute the new value, and write it only if the record is still what was
// read (a compare-and-set script); on a conflict, wait a moment and start
// over, so fn may run more than once.
func (r *Redis) Update(ctx context.Context, kind, id string, fn func(old []byte, found bool) ([]byte, error)) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	key := r.recordsKey(kind)
	for attempt := 1; attempt <= maxUpdateAttempts; attempt++ {
		if err := r.begin(ctx); err != nil {
			return err
		}
		cur, err := r.client.HGet(ctx, key, id).Result()
		found := err == nil
		if err != nil && !errors.Is(err, redis.Nil) {
			return r.fail("update", err)
		}
		var old []byte
		if found {
			old = []byte(cur)
		}
		value, err := fn(old, found)
		switch {
		case err != nil:
			return err
		case value == nil:
			return nil
		case len(value) == 0:
			return fmt.Errorf("%w: empty value for %s %s", ErrInvalid, kind, id)
		}
		wasFound := "0"
		if found {
			wasFound = "1"
		}
		set, err := r.scripts.cas.Run(ctx, r.client, []string{key}, id, wasFound, cur, value).Int()
		if err != nil {
			return r.fail("update", err)
		}
		if set == 1 {
			return nil
		}
		if err := conflictPause(ctx, attempt); err != nil {
			return err
		}
	}
	return fmt.Errorf("store: update %s %s: the record kept changing (%d attempts)", kind, id, maxUpdateAttempts)
}

// conflictPause waits a random moment that grows with the attempts, up to
// 10ms, so writers that conflicted do not all retry in the same instant.
func conflictPause(ctx context.Context, attempt int) error {
	d := rand.N(time.Duration(min(attempt, 10)) * time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// leaseValue is what a lease key holds: its expiry on the store's clock,
// then the owner.
func leaseValue(until time.Time, owner string) string {
	return strconv.FormatInt(until.Unix(), 10) + " " + strconv.Itoa(until.Nanosecond()) + " " + owner
}

// leasePX is the expiry Redis keeps on a lease key so that dead leases go
// away by themselves: the ttl, rounded up to whole milliseconds. It never
// decides anything, the expiry in the value does; and measured from when
// the script runs it ends after that expiry, never before.
func leasePX(ttl time.Duration) int64 {
	return int64((ttl + time.Millisecond - 1) / time.Millisecond)
}

// runLease runs a lease script with now's time first and reports whether it
// returned 1.
func (r *Redis) runLease(ctx context.Context, op string, script *redis.Script, key string, now time.Time, args ...any) (bool, error) {
	if err := r.begin(ctx); err != nil {
		return false, err
	}
	argv := append([]any{now.Unix(), now.Nanosecond()}, args...)
	n, err := script.Run(ctx, r.client, []string{r.leaseKey(key)}, argv...).Int()
	if err != nil {
		return false, r.fail(op, err)
	}
	return n == 1, nil
}

// Claim implements [Store].
func (r *Redis) Claim(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := checkLease(key, owner); err != nil {
		return false, err
	}
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	now := r.now()
	return r.runLease(ctx, "claim", r.scripts.claim, key, now, leaseValue(now.Add(ttl), owner), leasePX(ttl))
}

// Renew implements [Store].
func (r *Redis) Renew(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := checkLease(key, owner); err != nil {
		return false, err
	}
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	now := r.now()
	return r.runLease(ctx, "renew", r.scripts.renew, key, now, owner, leaseValue(now.Add(ttl), owner), leasePX(ttl))
}

// Release implements [Store].
func (r *Redis) Release(ctx context.Context, key, owner string) (bool, error) {
	if err := checkLease(key, owner); err != nil {
		return false, err
	}
	return r.runLease(ctx, "release", r.scripts.release, key, r.now(), owner)
}

// NextID implements [Store] with HINCRBY, which Redis runs atomically.
func (r *Redis) NextID(ctx context.Context, prefix string) (int64, error) {
	if err := checkName("id prefix", prefix); err != nil {
		return 0, err
	}
	if err := r.begin(ctx); err != nil {
		return 0, err
	}
	id, err := r.client.HIncrBy(ctx, r.idsKey(), prefix, 1).Result()
	if err != nil {
		return 0, r.fail("next id", err)
	}
	return id, nil
}

// Ping implements [Store] with a PING to the server.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.begin(ctx); err != nil {
		return err
	}
	if err := r.client.Ping(ctx).Err(); err != nil {
		return r.fail("ping", err)
	}
	return nil
}

// Close implements [Store]: it closes the client's connections. Calls
// running meanwhile fail with [ErrClosed].
func (r *Redis) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if err := r.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("store: close redis: %w", err)
	}
	return nil
}
