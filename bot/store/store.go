package store

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Store is the state store every part of the bot that must survive a restart
// talks to. All methods are safe for concurrent use. Every method returns
// [ErrClosed] after [Store.Close], and the context's error when ctx is done
// before the operation starts.
type Store interface {
	// Get returns the record kind/id, or an error wrapping [ErrNotFound].
	// The returned slice is the caller's own.
	Get(ctx context.Context, kind, id string) ([]byte, error)

	// Put writes the record kind/id, replacing any previous value. The
	// value must not be empty; the store keeps its own copy.
	Put(ctx context.Context, kind, id string, value []byte) error

	// Delete removes the record kind/id, or returns an error wrapping
	// [ErrNotFound] if there was none.
	Delete(ctx context.Context, kind, id string) error

	// List returns every record of kind in ascending byte order of their
	// ids; an empty slice (no error) when there are none.
	List(ctx context.Context, kind string) ([]Record, error)

	// Update atomically replaces the record kind/id with what fn makes of
	// it: no other write to that record can happen between the read that
	// fn sees and the write of its result, so a button click and an alert
	// round editing one incident cannot lose each other's writes.
	//
	// fn gets the current value (its own copy) and whether the record
	// exists. It returns the new value, or nil to leave the record as it
	// is (or absent). An error from fn aborts the update and is returned
	// unchanged. fn may be called more than once (an implementation with
	// optimistic locking retries on conflict), so it must have no side
	// effects beyond computing the new value, and it must not call the
	// store.
	Update(ctx context.Context, kind, id string, fn func(old []byte, found bool) ([]byte, error)) error

	// Claim takes the lease key for owner for ttl. It reports true if the
	// key was free or its lease had expired, and false (with no error) if
	// any owner, owner included, holds a lease on it that has not expired:
	// of many concurrent claims of a free key exactly one wins. A lease is
	// live from the claim until ttl later on the store's clock.
	Claim(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)

	// Renew extends owner's live lease on key to ttl from now. It reports
	// false (no error) if owner does not hold a live lease on key, because
	// it never had one, the lease expired, or another owner took it.
	Renew(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)

	// Release ends owner's live lease on key, so anyone may claim it. It
	// reports false (no error) if owner does not hold a live lease on key;
	// another owner's lease is never touched.
	Release(ctx context.Context, key, owner string) (bool, error)

	// NextID returns the next id for prefix: 1, 2, 3 ... Ids are never
	// handed out twice, whatever happens to the records named after them,
	// across restarts and replicas. Prefixes count independently.
	NextID(ctx context.Context, prefix string) (int64, error)

	// Ping reports whether the store can serve requests (for /readyz).
	Ping(ctx context.Context) error

	// Close releases the store. Closing twice is not an error.
	Close() error
}

// Record is one entry of [Store.List].
type Record struct {
	ID    string
	Value []byte
}

// Options tune a store. The zero value is ready to use.
type Options struct {
	// Now is the clock leases are measured on. Nil means time.Now. Tests
	// pass a fake clock to expire leases without waiting.
	Now func() time.Time

	// LockTimeout bounds how long opening a bolt file waits for another
	// process to let go of it before failing with [ErrInUse]. Zero means
	// [DefaultLockTimeout]; it must not be negative.
	LockTimeout time.Duration

	// KeyPrefix starts every key a Redis store writes, so several bots (or
	// tests) can share one database without seeing each other's state.
	// Empty means [DefaultKeyPrefix]; bolt stores ignore it.
	KeyPrefix string
}

// DefaultLockTimeout is how long [OpenBolt] waits for the file lock when
// [Options.LockTimeout] is zero: long enough for a restarting process to
// let go of the file, short enough that a second instance fails at once.
const DefaultLockTimeout = time.Second

func (o Options) withDefaults() (Options, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.LockTimeout < 0:
		return o, fmt.Errorf("store: negative lock timeout %s", o.LockTimeout)
	case o.LockTimeout == 0:
		o.LockTimeout = DefaultLockTimeout
	}
	return o, nil
}

var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("store: not found")

	// ErrClosed means the store was used after Close.
	ErrClosed = errors.New("store: closed")

	// ErrInvalid means a kind, id, key, owner, prefix, value or duration
	// was malformed: a programming error, not a condition to retry.
	ErrInvalid = errors.New("store: invalid argument")

	// ErrInUse means another process (or another Open in this one) has
	// the store file open. See [InUseError].
	ErrInUse = errors.New("store: in use")

	// ErrBadRecord means a record is not a versioned JSON envelope.
	ErrBadRecord = errors.New("store: malformed record")

	// ErrNewerVersion means a record was written in a newer version than
	// the caller knows. See [VersionError].
	ErrNewerVersion = errors.New("store: record from a newer version")
)

// InUseError is returned by [OpenBolt] when the file is locked by another
// inboxbot process. It matches [ErrInUse] with errors.Is.
type InUseError struct {
	Path   string        // the bolt file
	Waited time.Duration // how long Open waited for the lock
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("store: the store file %s is in use by another inboxbot process (still locked after %s); "+
		"stop the other process, or give each its own STORE_URL (several replicas need redis://)", e.Path, e.Waited)
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Limits on names, so every implementation can build keys from them.
const (
	maxNameLen = 64  // kinds and id prefixes
	maxKeyLen  = 512 // record ids, lease keys and owners
)

// checkName validates a kind or an id prefix: 1 to 64 ASCII letters, digits,
// '_', '-' or '.', so it can be a bucket name or a Redis key segment without
// ever colliding with a separator.
func checkName(what, s string) error {
	if s == "" || len(s) > maxNameLen {
		return fmt.Errorf("%w: %s must be 1 to %d characters, got %d", ErrInvalid, what, maxNameLen, len(s))
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
		if !ok {
			return fmt.Errorf("%w: %s %q: only letters, digits, '_', '-' and '.'", ErrInvalid, what, s)
		}
	}
	return nil
}

// checkKey validates a record id, a lease key or an owner: 1 to 512 bytes of
// UTF-8 without control characters. Ids come from operators (RULES_FILE ids)
// and from the inbox (contact ids), so they are freer than kinds.
func checkKey(what, s string) error {
	if s == "" || len(s) > maxKeyLen {
		return fmt.Errorf("%w: %s must be 1 to %d bytes, got %d", ErrInvalid, what, maxKeyLen, len(s))
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s %q contains a control character", ErrInvalid, what, s)
		}
	}
	return nil
}

func checkRecord(kind, id string) error {
	if err := checkName("kind", kind); err != nil {
		return err
	}
	return checkKey("id", id)
}

func checkLease(key, owner string) error {
	if err := checkKey("lease key", key); err != nil {
		return err
	}
	return checkKey("owner", owner)
}

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: lease ttl must be positive, got %s", ErrInvalid, ttl)
	}
	return nil
}
