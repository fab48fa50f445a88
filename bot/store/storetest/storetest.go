// Package storetest is the conformance suite every [store.Store]
// implementation must pass, in the shape of testing/fstest.TestFS: an
// implementation's own test calls [Run] with a way to open it, and the suite
// checks the behaviour the bot relies on (records, atomic updates, leases
// under concurrency and expiry, ids that are never reused, versioned JSON,
// closing, cancellation and restarts).
//
// An implementation's test gives each subtest fresh data and a way to open
// it, as many times as the suite wants (a second open is a restart):
//
//	func TestBoltConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Opener {
//			path := filepath.Join(t.TempDir(), "inboxbot.db")
//			return func(now func() time.Time) store.Store {
//				s, err := store.OpenBolt(t.Context(), path, store.Options{Now: now})
//				if err != nil {
//					t.Fatal(err)
//				}
//				return s
//			}
//		})
//	}
//
// Time is a [Clock] the suite moves: an implementation must make every
// lease decision on [store.Options.Now], never on a clock of its own. A
// Redis store, for one, passes now to its script, compares it with the
// expiry kept in the lease's value, and sets a relative PX of the ttl only so
// that Redis drops dead keys by itself (PXAT would not do: the suite's clock
// is not the server's).
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/store"
)

// Opener opens a store on one test's data, reading time from now. Called
// again after the store it returned was closed, it opens the same data
// again: a restart of the process. The suite closes what it opens.
type Opener func(now func() time.Time) store.Store

// Backend gives a test fresh, empty data and returns the Opener for it. It
// may use t for cleanups and t.TempDir, and should fail t if it cannot.
type Backend func(t *testing.T) Opener

// Clock is a fake clock for leases, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that stands at start until advanced.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Goroutines is how many goroutines the concurrency tests race.
const Goroutines = 50

// epoch is where every test's clock starts: a Monday morning in Berlin, far
// from the Unix epoch so no implementation can get away with zero times.
var epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CET", 3600))

// Run runs the conformance suite on the stores newBackend opens, one
// subtest per behaviour, each on fresh data.
func Run(t *testing.T, newBackend Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"Records/GetMissing", testGetMissing},
		{"Records/PutGet", testPutGet},
		{"Records/Overwrite", testOverwrite},
		{"Records/Delete", testDelete},
		{"Records/List", testList},
		{"Records/Copies", testCopies},
		{"Records/Invalid", testRecordsInvalid},
		{"Update/CreateAndModify", testUpdate},
		{"Update/NilKeeps", testUpdateNilKeeps},
		{"Update/FnError", testUpdateFnError},
		{"Update/Concurrent", testUpdateConcurrent},
		{"Leases/Claim", testClaim},
		{"Leases/Expiry", testLeaseExpiry},
		{"Leases/ConcurrentClaims", testConcurrentClaims},
		{"Leases/Renew", testRenew},
		{"Leases/Release", testRelease},
		{"Leases/ManyExpired", testManyExpired},
		{"Leases/ApartFromRecords", testLeasesApart},
		{"Leases/Invalid", testLeasesInvalid},
		{"IDs/Sequence", testIDs},
		{"IDs/NeverReused", testIDsNeverReused},
		{"IDs/Concurrent", testIDsConcurrent},
		{"JSON/RoundTrip", testJSONRoundTrip},
		{"JSON/Envelope", testJSONEnvelope},
		{"JSON/Update", testJSONUpdate},
		{"JSON/BadRecord", testJSONBadRecord},
		{"Ping", testPing},
		{"Canceled", testCanceled},
		{"Closed", testClosed},
		{"Restart", testRestart},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{clock: NewClock(epoch), open: newBackend(t), ctx: t.Context()}
			e.s = e.reopen(t)
			tc.fn(t, e)
		})
	}
}

// env is one test's store, clock and way to restart.
type env struct {
	s     store.Store
	clock *Clock
	open  Opener
	ctx   context.Context
}

// reopen opens the test's data (again) and closes it when the test ends.
func (e *env) reopen(t *testing.T) store.Store {
	t.Helper()
	s := e.open(e.clock.Now)
	if s == nil {
		t.Fatal("the backend opened no store")
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func (e *env) put(t *testing.T, kind, id, value string) {
	t.Helper()
	if err := e.s.Put(e.ctx, kind, id, []byte(value)); err != nil {
		t.Fatalf("Put(%s, %s): %v", kind, id, err)
	}
}

func (e *env) get(t *testing.T, kind, id string) string {
	t.Helper()
	v, err := e.s.Get(e.ctx, kind, id)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", kind, id, err)
	}
	return string(v)
}

func (e *env) claim(t *testing.T, key, owner string, ttl time.Duration) bool {
	t.Helper()
	ok, err := e.s.Claim(e.ctx, key, owner, ttl)
	if err != nil {
		t.Fatalf("Claim(%s, %s): %v", key, owner, err)
	}
	return ok
}

func (e *env) nextID(t *testing.T, prefix string) int64 {
	t.Helper()
	id, err := e.s.NextID(e.ctx, prefix)
	if err != nil {
		t.Fatalf("NextID(%s): %v", prefix, err)
	}
	return id
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: got %v, want an error wrapping store.ErrNotFound", what, err)
	}
}

func testGetMissing(t *testing.T, e *env) {
	v, err := e.s.Get(e.ctx, "digest", "d1")
	wantNotFound(t, "Get of a record never written", err)
	if v != nil {
		t.Errorf("Get of a missing record returned %q", v)
	}
	e.put(t, "digest", "d1", "x")
	_, err = e.s.Get(e.ctx, "alert", "d1")
	wantNotFound(t, "Get of the same id in another kind", err)
}

func testPutGet(t *testing.T, e *env) {
	values := map[string]string{
		"d1":                                `{"v":1,"data":{}}`,
		"morning-queue":                     "operator id",
		"65f0c1d2e3f4a5b6c7":                "contact id",
		"slot:d1:2026-03-02T09:00:00+01:00": "a key with separators",
		"ünïcode ∑":                         "and bytes \x00\xff kept as they are",
	}
	for id, v := range values {
		e.put(t, "digest", id, v)
	}
	for id, want := range values {
		if got := e.get(t, "digest", id); got != want {
			t.Errorf("Get(digest, %q) = %q, want %q", id, got, want)
		}
	}
}

func testOverwrite(t *testing.T, e *env) {
	e.put(t, "alert", "a1", "first")
	e.put(t, "alert", "a1", "second, and longer than the first")
	e.put(t, "alert", "a1", "third")
	if got := e.get(t, "alert", "a1"); got != "third" {
		t.Errorf("after three Puts Get = %q, want the last", got)
	}
}

func testDelete(t *testing.T, e *env) {
	e.put(t, "digest", "d1", "one")
	e.put(t, "digest", "d2", "two")
	if err := e.s.Delete(e.ctx, "digest", "d1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := e.s.Get(e.ctx, "digest", "d1")
	wantNotFound(t, "Get after Delete", err)
	if got := e.get(t, "digest", "d2"); got != "two" {
		t.Errorf("Delete of d1 changed d2 to %q", got)
	}
	wantNotFound(t, "Delete of a deleted record", e.s.Delete(e.ctx, "digest", "d1"))
	wantNotFound(t, "Delete in a kind never written", e.s.Delete(e.ctx, "nothing", "x"))
	e.put(t, "digest", "d1", "back")
	if got := e.get(t, "digest", "d1"); got != "back" {
		t.Errorf("Put after Delete: Get = %q", got)
	}
}

func testList(t *testing.T, e *env) {
	list, err := e.s.List(e.ctx, "digest")
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("List of an empty kind = %#v, %v; want an empty slice and no error", list, err)
	}
	for _, id := range []string{"d2", "d10", "d1", "b"} {
		e.put(t, "digest", id, "value of "+id)
	}
	e.put(t, "alert", "a1", "an alert")
	e.put(t, "digest-old", "x", "a kind whose name starts like another")
	if err := e.s.Delete(e.ctx, "digest", "b"); err != nil {
		t.Fatal(err)
	}
	list, err = e.s.List(e.ctx, "digest")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		got = append(got, r.ID+"="+string(r.Value))
	}
	want := []string{"d1=value of d1", "d10=value of d10", "d2=value of d2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("List(digest) = %q, want %q (byte order of ids, deleted ones gone, other kinds apart)", got, want)
	}
}

func testCopies(t *testing.T, e *env) {
	value := []byte("original")
	if err := e.s.Put(e.ctx, "k", "id", value); err != nil {
		t.Fatal(err)
	}
	copy(value, "CHANGED!")
	got, err := e.s.Get(e.ctx, "k", "id")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "original" {
		t.Fatalf("changing the slice given to Put changed the record to %q", got)
	}
	copy(got, "CHANGED!")
	list, err := e.s.List(e.ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	copy(list[0].Value, "CHANGED!")
	if got := e.get(t, "k", "id"); got != "original" {
		t.Errorf("changing slices from Get and List changed the record to %q", got)
	}
}

func testRecordsInvalid(t *testing.T, e *env) {
	long := strings.Repeat("x", 513)
	cases := []struct{ kind, id, value string }{
		{"", "id", "v"},
		{"digest:x", "id", "v"},
		{"digest x", "id", "v"},
		{strings.Repeat("k", 65), "id", "v"},
		{"digest", "", "v"},
		{"digest", long, "v"},
		{"digest", "line\nbreak", "v"},
		{"digest", "bad\xffutf8", "v"},
		{"digest", "d1", ""},
	}
	for _, c := range cases {
		err := e.s.Put(e.ctx, c.kind, c.id, []byte(c.value))
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put(%q, %q, %q) = %v, want store.ErrInvalid", c.kind, c.id, c.value, err)
		}
		if c.value == "" {
			continue
		}
		if _, err := e.s.Get(e.ctx, c.kind, c.id); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Get(%q, %q) = %v, want store.ErrInvalid", c.kind, c.id, err)
		}
	}
	if _, err := e.s.List(e.ctx, "bad kind"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List(bad kind) = %v, want store.ErrInvalid", err)
	}
	if err := e.s.Delete(e.ctx, "k", ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Delete with an empty id = %v, want store.ErrInvalid", err)
	}
	err := e.s.Update(e.ctx, "k", "id", func([]byte, bool) ([]byte, error) { return []byte{}, nil })
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Update to an empty value = %v, want store.ErrInvalid", err)
	}
	_, err = e.s.Get(e.ctx, "k", "id")
	wantNotFound(t, "Get after a refused Update", err)
}

func testUpdate(t *testing.T, e *env) {
	err := e.s.Update(e.ctx, "incident", "a1", func(old []byte, found bool) ([]byte, error) {
		if found || old != nil {
			t.Errorf("Update of a missing record: fn got %q, found=%v", old, found)
		}
		return []byte("firing"), nil
	})
	if err != nil {
		t.Fatalf("Update creating a record: %v", err)
	}
	err = e.s.Update(e.ctx, "incident", "a1", func(old []byte, found bool) ([]byte, error) {
		if !found || string(old) != "firing" {
			t.Errorf("Update of an existing record: fn got %q, found=%v", old, found)
		}
		old = append(old[:0], "acked"...) // editing what fn is given is fine
		return old, nil
	})
	if err != nil {
		t.Fatalf("Update modifying a record: %v", err)
	}
	if got := e.get(t, "incident", "a1"); got != "acked" {
		t.Errorf("after Update Get = %q, want acked", got)
	}
}

func testUpdateNilKeeps(t *testing.T, e *env) {
	keep := func([]byte, bool) ([]byte, error) { return nil, nil }
	if err := e.s.Update(e.ctx, "incident", "a1", keep); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.Get(e.ctx, "incident", "a1")
	wantNotFound(t, "Update returning nil for a missing record", err)
	e.put(t, "incident", "a1", "firing")
	if err := e.s.Update(e.ctx, "incident", "a1", keep); err != nil {
		t.Fatal(err)
	}
	if got := e.get(t, "incident", "a1"); got != "firing" {
		t.Errorf("Update returning nil changed the record to %q", got)
	}
}

func testUpdateFnError(t *testing.T, e *env) {
	e.put(t, "incident", "a1", "firing")
	errStop := errors.New("resolved meanwhile")
	err := e.s.Update(e.ctx, "incident", "a1", func([]byte, bool) ([]byte, error) {
		return []byte("acked"), errStop
	})
	if !errors.Is(err, errStop) {
		t.Errorf("Update = %v, want fn's error", err)
	}
	if got := e.get(t, "incident", "a1"); got != "firing" {
		t.Errorf("a failed Update wrote %q", got)
	}
}

func testUpdateConcurrent(t *testing.T, e *env) {
	const each = 4
	increment := func(old []byte, found bool) ([]byte, error) {
		n := 0
		if found {
			var err error
			if n, err = strconv.Atoi(string(old)); err != nil {
				return nil, err
			}
		}
		return []byte(strconv.Itoa(n + 1)), nil
	}
	var wg sync.WaitGroup
	for range Goroutines {
		wg.Go(func() {
			for range each {
				if err := e.s.Update(e.ctx, "counter", "clicks", increment); err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got, want := e.get(t, "counter", "clicks"), strconv.Itoa(Goroutines*each); got != want {
		t.Errorf("%d goroutines incrementing %d times each: counter = %s, want %s (lost updates)", Goroutines, each, got, want)
	}
}

func testClaim(t *testing.T, e *env) {
	if !e.claim(t, "slot:d1:0900", "replica-a", time.Hour) {
		t.Fatal("Claim of a free key failed")
	}
	if e.claim(t, "slot:d1:0900", "replica-b", time.Hour) {
		t.Error("Claim of a key another owner holds succeeded")
	}
	if e.claim(t, "slot:d1:0900", "replica-a", time.Hour) {
		t.Error("a second Claim by the holder succeeded: a claim is won once (use Renew to extend)")
	}
	if !e.claim(t, "slot:d1:1000", "replica-b", time.Hour) {
		t.Error("Claim of another key failed")
	}
}

func testLeaseExpiry(t *testing.T, e *env) {
	if !e.claim(t, "round:a1", "replica-a", time.Minute) {
		t.Fatal("Claim of a free key failed")
	}
	e.clock.Advance(time.Minute - time.Millisecond)
	if e.claim(t, "round:a1", "replica-b", time.Minute) {
		t.Fatal("Claim succeeded 1ms before the lease expired")
	}
	e.clock.Advance(time.Millisecond)
	if !e.claim(t, "round:a1", "replica-b", time.Minute) {
		t.Fatal("Claim failed once the lease had expired (a lease is live for [claim, claim+ttl))")
	}
	if e.claim(t, "round:a1", "replica-a", time.Minute) {
		t.Error("the previous owner took back a key the new owner holds")
	}
	e.clock.Advance(time.Minute)
	if !e.claim(t, "round:a1", "replica-a", time.Minute) {
		t.Error("the previous owner could not claim the key after the new lease expired")
	}
}

func testConcurrentClaims(t *testing.T, e *env) {
	for _, key := range []string{"slot:d1:0900", "slot:d2:0900", "round:a1:42"} {
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []string
		)
		for i := range Goroutines {
			wg.Go(func() {
				owner := fmt.Sprintf("replica-%d", i)
				ok, err := e.s.Claim(e.ctx, key, owner, time.Hour)
				if err != nil {
					t.Errorf("Claim(%s, %s): %v", key, owner, err)
					return
				}
				if ok {
					mu.Lock()
					winners = append(winners, owner)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Errorf("%d goroutines claiming %s: winners %q, want exactly one", Goroutines, key, winners)
			continue
		}
		if ok, err := e.s.Release(e.ctx, key, winners[0]); !ok || err != nil {
			t.Errorf("the winner %s could not release %s: %v, %v", winners[0], key, ok, err)
		}
	}
}

func testRenew(t *testing.T, e *env) {
	renew := func(key, owner string, ttl time.Duration) bool {
		t.Helper()
		ok, err := e.s.Renew(e.ctx, key, owner, ttl)
		if err != nil {
			t.Fatalf("Renew(%s, %s): %v", key, owner, err)
		}
		return ok
	}
	if renew("round:a1", "replica-a", time.Minute) {
		t.Error("Renew of a key never claimed succeeded")
	}
	e.claim(t, "round:a1", "replica-a", time.Minute)
	if renew("round:a1", "replica-b", time.Hour) {
		t.Error("Renew by another owner succeeded")
	}
	e.clock.Advance(50 * time.Second)
	if !renew("round:a1", "replica-a", time.Minute) {
		t.Fatal("Renew by the owner failed")
	}
	e.clock.Advance(50 * time.Second) // 100s after the claim, 50s after the renewal
	if e.claim(t, "round:a1", "replica-b", time.Minute) {
		t.Fatal("the renewal did not extend the lease: another owner claimed it")
	}
	e.clock.Advance(10 * time.Second) // the renewed lease ends now
	if renew("round:a1", "replica-a", time.Minute) {
		t.Error("Renew of an expired lease succeeded")
	}
	if !e.claim(t, "round:a1", "replica-b", time.Minute) {
		t.Error("Claim after the renewed lease expired failed (did the other owner's Renew extend it?)")
	}
	if renew("round:a1", "replica-a", time.Minute) {
		t.Error("the previous owner renewed a lease another owner took over")
	}
}

func testRelease(t *testing.T, e *env) {
	release := func(key, owner string) bool {
		t.Helper()
		ok, err := e.s.Release(e.ctx, key, owner)
		if err != nil {
			t.Fatalf("Release(%s, %s): %v", key, owner, err)
		}
		return ok
	}
	if release("round:a1", "replica-a") {
		t.Error("Release of a key never claimed succeeded")
	}
	e.claim(t, "round:a1", "replica-a", time.Minute)
	if release("round:a1", "replica-b") {
		t.Error("Release by another owner succeeded")
	}
	if e.claim(t, "round:a1", "replica-b", time.Minute) {
		t.Fatal("another owner's Release freed the lease")
	}
	if !release("round:a1", "replica-a") {
		t.Fatal("Release by the owner failed")
	}
	if release("round:a1", "replica-a") {
		t.Error("a second Release succeeded")
	}
	if !e.claim(t, "round:a1", "replica-b", time.Minute) {
		t.Fatal("Claim after Release failed")
	}
	e.clock.Advance(time.Minute)
	if release("round:a1", "replica-b") {
		t.Error("Release of an expired lease succeeded")
	}
}

func testManyExpired(t *testing.T, e *env) {
	const n = 100 // more than the bolt store sweeps in one Claim
	for i := range n {
		if !e.claim(t, fmt.Sprintf("slot:d%d", i), "replica-a", time.Duration(i+1)*time.Second) {
			t.Fatalf("Claim of free key %d failed", i)
		}
	}
	e.clock.Advance(n * time.Second / 2)
	for i := range n {
		key := fmt.Sprintf("slot:d%d", i)
		expired := time.Duration(i+1)*time.Second <= n*time.Second/2
		if got := e.claim(t, key, "replica-b", time.Hour); got != expired {
			t.Errorf("Claim(%s) half way = %v, want %v", key, got, expired)
		}
	}
	e.clock.Advance(n * time.Second / 2)
	for i := range n {
		key := fmt.Sprintf("slot:d%d", i)
		expired := time.Duration(i+1)*time.Second > n*time.Second/2
		if got := e.claim(t, key, "replica-c", time.Hour); got != expired {
			t.Errorf("Claim(%s) at the end = %v, want %v", key, got, expired)
		}
	}
}

func testLeasesApart(t *testing.T, e *env) {
	e.claim(t, "d1", "replica-a", time.Hour)
	_, err := e.s.Get(e.ctx, "digest", "d1")
	wantNotFound(t, "Get of a record named like a lease", err)
	e.put(t, "digest", "d1", "the digest")
	if !e.claim(t, "digest", "replica-a", time.Hour) {
		t.Error("Claim of a key named like a kind failed")
	}
	list, err := e.s.List(e.ctx, "digest")
	if err != nil || len(list) != 1 {
		t.Errorf("List(digest) = %v, %v; leases must not show up as records", list, err)
	}
	if id := e.nextID(t, "d1"); id != 1 {
		t.Errorf("NextID(d1) = %d after leases and records named d1, want 1", id)
	}
}

func testLeasesInvalid(t *testing.T, e *env) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, err := e.s.Claim(e.ctx, "k", "o", ttl); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Claim with ttl %s = %v, want store.ErrInvalid", ttl, err)
		}
		if _, err := e.s.Renew(e.ctx, "k", "o", ttl); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Renew with ttl %s = %v, want store.ErrInvalid", ttl, err)
		}
	}
	for _, c := range []struct{ key, owner string }{{"", "o"}, {"k", ""}, {"k\n", "o"}, {"k", strings.Repeat("o", 513)}} {
		if _, err := e.s.Claim(e.ctx, c.key, c.owner, time.Second); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Claim(%q, %q) = %v, want store.ErrInvalid", c.key, c.owner, err)
		}
		if _, err := e.s.Release(e.ctx, c.key, c.owner); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Release(%q, %q) = %v, want store.ErrInvalid", c.key, c.owner, err)
		}
	}
}

func testIDs(t *testing.T, e *env) {
	for want := int64(1); want <= 3; want++ {
		if got := e.nextID(t, "d"); got != want {
			t.Errorf("NextID(d) = %d, want %d", got, want)
		}
	}
	if got := e.nextID(t, "a"); got != 1 {
		t.Errorf("NextID(a) after three d = %d, want 1 (prefixes count apart)", got)
	}
	if got := e.nextID(t, "d"); got != 4 {
		t.Errorf("NextID(d) after an a = %d, want 4", got)
	}
	for _, prefix := range []string{"", "d:", "with space", strings.Repeat("p", 65)} {
		if _, err := e.s.NextID(e.ctx, prefix); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("NextID(%q) = %v, want store.ErrInvalid", prefix, err)
		}
	}
}

func testIDsNeverReused(t *testing.T, e *env) {
	for range 3 {
		id := "d" + strconv.FormatInt(e.nextID(t, "d"), 10)
		e.put(t, "digest", id, "a digest")
	}
	for _, id := range []string{"d3", "d2", "d1"} {
		if err := e.s.Delete(e.ctx, "digest", id); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.nextID(t, "d"); got != 4 {
		t.Errorf("NextID(d) after deleting d1..d3 = %d, want 4", got)
	}
}

func testIDsConcurrent(t *testing.T, e *env) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int64]int{}
	)
	for range Goroutines {
		wg.Go(func() {
			id, err := e.s.NextID(e.ctx, "a")
			if err != nil {
				t.Errorf("NextID: %v", err)
				return
			}
			mu.Lock()
			seen[id]++
			mu.Unlock()
		})
	}
	wg.Wait()
	for id := int64(1); id <= Goroutines; id++ {
		if seen[id] != 1 {
			t.Errorf("%d concurrent NextID: id %d handed out %d times, want once each of 1..%d", Goroutines, id, seen[id], Goroutines)
		}
	}
}

// digest is a record shape for the JSON tests.
type digest struct {
	Channel  string    `json:"channel"`
	Schedule string    `json:"schedule"`
	Paused   bool      `json:"paused,omitempty"`
	Added    time.Time `json:"added"`
}

func testJSONRoundTrip(t *testing.T, e *env) {
	want := digest{Channel: "C0123", Schedule: "weekdays 09:00", Added: epoch}
	if err := store.PutJSON(e.ctx, e.s, "digest", "d1", 1, want); err != nil {
		t.Fatal(err)
	}
	got, version, err := store.GetJSON[digest](e.ctx, e.s, "digest", "d1")
	if err != nil {
		t.Fatal(err)
	}
	if version != 1 || got.Channel != want.Channel || got.Schedule != want.Schedule || !got.Added.Equal(want.Added) {
		t.Errorf("GetJSON = %+v (v%d), want %+v (v1)", got, version, want)
	}
	if err := store.PutJSON(e.ctx, e.s, "digest", "d2", 2, digest{Channel: "C2"}); err != nil {
		t.Fatal(err)
	}
	items, err := store.ListJSON[digest](e.ctx, e.s, "digest")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ID != "d1" || items[0].Version != 1 || items[1].ID != "d2" ||
		items[1].Version != 2 || items[1].Value.Channel != "C2" {
		t.Errorf("ListJSON = %+v", items)
	}
	_, _, err = store.GetJSON[digest](e.ctx, e.s, "digest", "d9")
	wantNotFound(t, "GetJSON of a missing record", err)
}

func testJSONEnvelope(t *testing.T, e *env) {
	if err := store.PutJSON(e.ctx, e.s, "digest", "d1", 3, digest{Channel: "C1", Schedule: "@daily", Added: epoch}); err != nil {
		t.Fatal(err)
	}
	raw, err := e.s.Get(e.ctx, "digest", "d1")
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("the record is not JSON: %q", raw)
	}
	if len(env) != 2 || string(env["v"]) != "3" || !bytes.HasPrefix(env["data"], []byte(`{"channel":"C1"`)) {
		t.Errorf("record = %s, want exactly {\"v\":3,\"data\":{\"channel\":\"C1\",...}}", raw)
	}
}

func testJSONUpdate(t *testing.T, e *env) {
	pause := func(d *digest, found bool) (bool, error) {
		if !found {
			return false, nil
		}
		d.Paused = true
		return true, nil
	}
	if err := store.UpdateJSON(e.ctx, e.s, "digest", "d1", 1, pause); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.Get(e.ctx, "digest", "d1")
	wantNotFound(t, "UpdateJSON that chose not to write", err)

	if err := store.PutJSON(e.ctx, e.s, "digest", "d1", 1, digest{Channel: "C1"}); err != nil {
		t.Fatal(err)
	}
	if err := store.UpdateJSON(e.ctx, e.s, "digest", "d1", 2, pause); err != nil {
		t.Fatal(err)
	}
	got, version, err := store.GetJSON[digest](e.ctx, e.s, "digest", "d1")
	if err != nil || !got.Paused || got.Channel != "C1" || version != 2 {
		t.Errorf("after UpdateJSON: %+v v%d, %v; want C1 paused, v2", got, version, err)
	}
	err = store.UpdateJSON(e.ctx, e.s, "digest", "d1", 1, func(*digest, bool) (bool, error) {
		t.Error("fn ran on a record newer than it knows")
		return true, nil
	})
	var verr *store.VersionError
	if !errors.Is(err, store.ErrNewerVersion) || !errors.As(err, &verr) || verr.Stored != 2 || verr.Known != 1 {
		t.Errorf("UpdateJSON v1 of a v2 record = %v, want a VersionError (stored 2, known 1)", err)
	}
	if _, version, _ := store.GetJSON[digest](e.ctx, e.s, "digest", "d1"); version != 2 {
		t.Errorf("a refused UpdateJSON rewrote the record as v%d", version)
	}
}

func testJSONBadRecord(t *testing.T, e *env) {
	for i, raw := range []string{"not json", `{"data":{}}`, `{"v":0,"data":{}}`, `{"v":1}`, `{"v":1,"data":null}`, `{"v":1,"data":"a string"}`} {
		id := fmt.Sprintf("r%d", i)
		e.put(t, "digest", id, raw)
		if _, _, err := store.GetJSON[digest](e.ctx, e.s, "digest", id); !errors.Is(err, store.ErrBadRecord) {
			t.Errorf("GetJSON of %s = %v, want store.ErrBadRecord", raw, err)
		}
	}
	if _, err := store.ListJSON[digest](e.ctx, e.s, "digest"); !errors.Is(err, store.ErrBadRecord) {
		t.Errorf("ListJSON over malformed records = %v, want store.ErrBadRecord", err)
	}
}

func testPing(t *testing.T, e *env) {
	if err := e.s.Ping(e.ctx); err != nil {
		t.Errorf("Ping of an open store: %v", err)
	}
}

// calls exercises every method once, for the cancellation and closed tests.
func calls(s store.Store) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"Get":    func(ctx context.Context) error { _, err := s.Get(ctx, "k", "id"); return err },
		"Put":    func(ctx context.Context) error { return s.Put(ctx, "k", "id", []byte("v")) },
		"Delete": func(ctx context.Context) error { return s.Delete(ctx, "k", "id") },
		"List":   func(ctx context.Context) error { _, err := s.List(ctx, "k"); return err },
		"Update": func(ctx context.Context) error {
			return s.Update(ctx, "k", "id", func([]byte, bool) ([]byte, error) { return []byte("v"), nil })
		},
		"Claim":   func(ctx context.Context) error { _, err := s.Claim(ctx, "key", "o", time.Hour); return err },
		"Renew":   func(ctx context.Context) error { _, err := s.Renew(ctx, "key", "o", time.Hour); return err },
		"Release": func(ctx context.Context) error { _, err := s.Release(ctx, "key", "o"); return err },
		"NextID":  func(ctx context.Context) error { _, err := s.NextID(ctx, "d"); return err },
		"Ping":    func(ctx context.Context) error { return s.Ping(ctx) },
	}
}

func testCanceled(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	for name, call := range calls(e.s) {
		if err := call(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context = %v, want context.Canceled", name, err)
		}
	}
	if _, err := e.s.Get(e.ctx, "k", "id"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a canceled Put or Update wrote the record (Get = %v)", err)
	}
	if id := e.nextID(t, "d"); id != 1 {
		t.Errorf("a canceled NextID used up an id: next is %d", id)
	}
}

func testClosed(t *testing.T, e *env) {
	if err := e.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for name, call := range calls(e.s) {
		if err := call(e.ctx); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close = %v, want store.ErrClosed", name, err)
		}
	}
	if err := e.s.Close(); err != nil {
		t.Errorf("a second Close = %v, want nil", err)
	}
}

func testRestart(t *testing.T, e *env) {
	e.put(t, "digest", "d1", "a digest")
	e.put(t, "digest", "d2", "deleted before the restart")
	if err := e.s.Delete(e.ctx, "digest", "d2"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		e.nextID(t, "d")
	}
	e.claim(t, "slot:d1:0900", "replica-a", time.Hour)
	if err := e.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	e.clock.Advance(time.Minute)
	e.s = e.reopen(t)
	if got := e.get(t, "digest", "d1"); got != "a digest" {
		t.Errorf("after a restart Get(d1) = %q", got)
	}
	_, err := e.s.Get(e.ctx, "digest", "d2")
	wantNotFound(t, "after a restart, Get of a record deleted before it", err)
	if got := e.nextID(t, "d"); got != 3 {
		t.Errorf("after a restart NextID(d) = %d, want 3", got)
	}
	if e.claim(t, "slot:d1:0900", "replica-b", time.Hour) {
		t.Error("after a restart a lease held before it could be claimed by another owner")
	}
	if ok, err := e.s.Renew(e.ctx, "slot:d1:0900", "replica-a", time.Hour); !ok || err != nil {
		t.Errorf("after a restart the owner could not renew its lease: %v, %v", ok, err)
	}
}
