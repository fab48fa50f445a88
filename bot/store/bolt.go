package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bolt is the embedded [Store] on one bbolt file, for a single replica.
// bbolt runs one write transaction at a time, which makes Update, Claim and
// NextID atomic without further locking. The file is locked while open, so
// a second process on it fails at Open with [ErrInUse].
type Bolt struct {
	db   *bolt.DB
	now  func() time.Time
	path string
}

var _ Store = (*Bolt)(nil)

// Top-level buckets of the file. Records live in one nested bucket per kind
// under "records"; leases have an index ordered by expiry so expired ones
// are swept without scanning them all.
var (
	bucketMeta        = []byte("meta")
	bucketRecords     = []byte("records")
	bucketLeases      = []byte("leases")
	bucketLeaseExpiry = []byte("lease_expiry")
	bucketIDs         = []byte("ids")

	keySchema = []byte("schema")
)

// boltSchema is the layout version of the file, stored in "meta". A file
// written by a newer layout is refused rather than misread.
const boltSchema = 1

// sweepBatch bounds how many expired leases one Claim deletes, so a write
// transaction stays short even after a long downtime left many behind.
const sweepBatch = 64

// OpenBolt opens (creating it and its directory if needed) the bolt file at
// path. A new directory gets mode 0700 and a new file 0600: the file holds
// the team's rules and incident state. If another process has the file
// open, OpenBolt fails with an [InUseError] after [Options.LockTimeout] (or
// ctx's deadline, if sooner) instead of waiting for it.
func OpenBolt(ctx context.Context, path string, opts Options) (*Bolt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%w: empty bolt file path", ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create the directory of %s: %w", path, err)
	}
	wait := opts.LockTimeout
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, context.DeadlineExceeded
		}
		wait = min(wait, left)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: wait})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &InUseError{Path: path, Waited: wait}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("store: %s is not an inboxbot store file, or it is damaged: %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := db.Update(initBolt); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return &Bolt{db: db, now: opts.Now, path: path}, nil
}

// initBolt creates the buckets of a new file and checks the layout version
// of an existing one.
func initBolt(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketRecords, bucketLeases, bucketLeaseExpiry, bucketIDs} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if v := meta.Get(keySchema); v != nil {
		if len(v) != 8 {
			return errors.New("malformed layout version")
		}
		if n := binary.BigEndian.Uint64(v); n > boltSchema {
			return fmt.Errorf("written by a newer inboxbot (layout %d, this release reads up to %d)", n, boltSchema)
		}
		return nil
	}
	return meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, boltSchema))
}

// Path is the file the store was opened on.
func (b *Bolt) Path() string { return b.path }

// view and update run fn in a read or write transaction after checking ctx.
// bbolt cannot abandon a transaction half way, so ctx is honoured before it
// starts (and, for writes, again once the write lock is held).
func (b *Bolt) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapClosed(b.db.View(fn))
}

func (b *Bolt) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapClosed(b.db.Update(func(tx *bolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(tx)
	}))
}

func mapClosed(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Get implements [Store].
func (b *Bolt) Get(ctx context.Context, kind, id string) ([]byte, error) {
	if err := checkRecord(kind, id); err != nil {
		return nil, err
	}
	var value []byte
	err := b.view(ctx, func(tx *bolt.Tx) error {
		if bk := tx.Bucket(bucketRecords).Bucket([]byte(kind)); bk != nil {
			value = bytes.Clone(bk.Get([]byte(id)))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if value == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrNotFound, kind, id)
	}
	return value, nil
}

// Put implements [Store].
func (b *Bolt) Put(ctx context.Context, kind, id string, value []byte) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	if len(value) == 0 {
		return fmt.Errorf("%w: empty value for %s %s", ErrInvalid, kind, id)
	}
	return b.update(ctx, func(tx *bolt.Tx) error {
		bk, err := tx.Bucket(bucketRecords).CreateBucketIfNotExists([]byte(kind))
		if err != nil {
			return err
		}
		return bk.Put([]byte(id), value)
	})
}

// Delete implements [Store].
func (b *Bolt) Delete(ctx context.Context, kind, id string) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	return b.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketRecords).Bucket([]byte(kind))
		if bk == nil || bk.Get([]byte(id)) == nil {
			return fmt.Errorf("%w: %s %s", ErrNotFound, kind, id)
		}
		return bk.Delete([]byte(id))
	})
}

// List implements [Store].
func (b *Bolt) List(ctx context.Context, kind string) ([]Record, error) {
	if err := checkName("kind", kind); err != nil {
		return nil, err
	}
	records := []Record{}
	err := b.view(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketRecords).Bucket([]byte(kind))
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(k, v []byte) error {
			records = append(records, Record{ID: string(k), Value: bytes.Clone(v)})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return records, nil
}

// Update implements [Store]. fn runs once, inside the write transaction.
func (b *Bolt) Update(ctx context.Context, kind, id string, fn func(old []byte, found bool) ([]byte, error)) error {
	if err := checkRecord(kind, id); err != nil {
		return err
	}
	return b.update(ctx, func(tx *bolt.Tx) error {
		bk, err := tx.Bucket(bucketRecords).CreateBucketIfNotExists([]byte(kind))
		if err != nil {
			return err
		}
		// The copy matters: bbolt's value lives in a read-only mmap, and
		// fn may well edit or append to what it is given.
		old := bytes.Clone(bk.Get([]byte(id)))
		value, err := fn(old, old != nil)
		switch {
		case err != nil:
			return err
		case value == nil:
			return nil
		case len(value) == 0:
			return fmt.Errorf("%w: empty value for %s %s", ErrInvalid, kind, id)
		}
		return bk.Put([]byte(id), value)
	})
}

// A lease is stored as 8 bytes of expiry followed by the owner; the expiry
// index key is the same 8 bytes followed by the lease key, so index order is
// expiry order.
func encodeExpiry(t time.Time) []byte {
	// Flipping the sign bit makes unsigned byte order match signed order.
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
}

func decodeLease(v []byte) (expiry []byte, owner string, ok bool) {
	if len(v) < 8 {
		return nil, "", false
	}
	return v[:8], string(v[8:]), true
}

// liveLease returns the lease on key if one exists and has not expired.
func liveLease(tx *bolt.Tx, key string, now time.Time) (expiry []byte, owner string, ok bool) {
	expiry, owner, ok = decodeLease(tx.Bucket(bucketLeases).Get([]byte(key)))
	if !ok || bytes.Compare(expiry, encodeExpiry(now)) <= 0 {
		return nil, "", false
	}
	return expiry, owner, true
}

func putLease(tx *bolt.Tx, key, owner string, until time.Time) error {
	if err := deleteLease(tx, key); err != nil {
		return err
	}
	expiry := encodeExpiry(until)
	if err := tx.Bucket(bucketLeases).Put([]byte(key), append(bytes.Clone(expiry), owner...)); err != nil {
		return err
	}
	return tx.Bucket(bucketLeaseExpiry).Put(append(expiry, key...), []byte{})
}

func deleteLease(tx *bolt.Tx, key string) error {
	leases := tx.Bucket(bucketLeases)
	expiry, _, ok := decodeLease(leases.Get([]byte(key)))
	if !ok {
		return nil
	}
	if err := tx.Bucket(bucketLeaseExpiry).Delete(append(bytes.Clone(expiry), key...)); err != nil {
		return err
	}
	return leases.Delete([]byte(key))
}

// sweep deletes up to sweepBatch leases that expired by now, oldest first,
// so a file does not grow by one lease per digest slot forever.
func sweep(tx *bolt.Tx, now time.Time) error {
	cutoff := encodeExpiry(now)
	var keys []string
	c := tx.Bucket(bucketLeaseExpiry).Cursor()
	for k, _ := c.First(); len(k) > 8 && len(keys) < sweepBatch && bytes.Compare(k[:8], cutoff) <= 0; k, _ = c.Next() {
		keys = append(keys, string(k[8:]))
	}
	for _, key := range keys {
		if err := deleteLease(tx, key); err != nil {
			return err
		}
	}
	return nil
}

// Claim implements [Store].
func (b *Bolt) Claim(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := checkLease(key, owner); err != nil {
		return false, err
	}
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	won := false
	err := b.update(ctx, func(tx *bolt.Tx) error {
		now := b.now()
		if err := sweep(tx, now); err != nil {
			return err
		}
		if _, _, held := liveLease(tx, key, now); held {
			return nil
		}
		won = true
		return putLease(tx, key, owner, now.Add(ttl))
	})
	return won && err == nil, err
}

// Renew implements [Store].
func (b *Bolt) Renew(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := checkLease(key, owner); err != nil {
		return false, err
	}
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	renewed := false
	err := b.update(ctx, func(tx *bolt.Tx) error {
		now := b.now()
		if _, holder, held := liveLease(tx, key, now); !held || holder != owner {
			return nil
		}
		renewed = true
		return putLease(tx, key, owner, now.Add(ttl))
	})
	return renewed && err == nil, err
}

// Release implements [Store].
func (b *Bolt) Release(ctx context.Context, key, owner string) (bool, error) {
	if err := checkLease(key, owner); err != nil {
		return false, err
	}
	released := false
	err := b.update(ctx, func(tx *bolt.Tx) error {
		if _, holder, held := liveLease(tx, key, b.now()); !held || holder != owner {
			return nil
		}
		released = true
		return deleteLease(tx, key)
	})
	return released && err == nil, err
}

// NextID implements [Store].
func (b *Bolt) NextID(ctx context.Context, prefix string) (int64, error) {
	if err := checkName("id prefix", prefix); err != nil {
		return 0, err
	}
	var id uint64
	err := b.update(ctx, func(tx *bolt.Tx) error {
		ids := tx.Bucket(bucketIDs)
		if v := ids.Get([]byte(prefix)); len(v) == 8 {
			id = binary.BigEndian.Uint64(v)
		}
		id++
		return ids.Put([]byte(prefix), binary.BigEndian.AppendUint64(nil, id))
	})
	if err != nil {
		return 0, err
	}
	return int64(id), nil
}

// Ping implements [Store]: it reads the file's layout version, which fails
// once the store is closed.
func (b *Bolt) Ping(ctx context.Context) error {
	return b.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(keySchema) == nil {
			return errors.New("store: the store file has no layout version")
		}
		return nil
	})
}

// Close implements [Store]: it waits for running transactions and unlocks
// the file for the next process.
func (b *Bolt) Close() error {
	return b.db.Close()
}
