package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/convertalk/inboxbot/bot/store"
	"github.com/convertalk/inboxbot/bot/store/storetest"
)

// defaultTestRedis is the server the Redis tests use unless
// INBOXBOT_TEST_REDIS names another: database 15, away from the 0 a
// developer's own bot would use. Every test writes under a random key
// prefix, so tests running at once (and other packages) do not meet.
const defaultTestRedis = "redis://127.0.0.1:6379/15"

// needRedis returns the test server's URL once it answers PING. Without
// one a test skips, saying how to run it; with CI set it fails instead, so
// CI cannot pass by skipping the Redis store.
func needRedis(t *testing.T) string {
	t.Helper()
	u := os.Getenv("INBOXBOT_TEST_REDIS")
	if u == "" {
		u = defaultTestRedis
	}
	loc, err := store.ParseURL(u)
	if err != nil {
		t.Fatalf("INBOXBOT_TEST_REDIS: %v", err)
	}
	client := adminClient(t, u)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but no Redis answers at %s (%v); .ci/run starts one", loc, err)
		}
		t.Skipf("no Redis answers at %s (%v): run redis-server, or set INBOXBOT_TEST_REDIS, to test the Redis store", loc, err)
	}
	return u
}

// adminClient is a plain client for looking behind the store's back.
func adminClient(t *testing.T, u string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("parse %s: %v", u, err)
	}
	opts.MaxRetries = -1
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// testPrefix is a key prefix no other test uses; its keys are deleted
// when the test ends.
func testPrefix(t *testing.T, client *redis.Client) string {
	t.Helper()
	var random [8]byte
	_, _ = rand.Read(random[:])
	prefix := "inboxbot-test:" + hex.EncodeToString(random[:]) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = client.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Logf("deleting the test's keys %s*: %v", prefix, err)
		}
	})
	return prefix
}

// redisBackend gives each conformance test its own key prefix on the test
// server; reopening is a restart of the process on the same data.
func redisBackend(u string) storetest.Backend {
	return func(t *testing.T) storetest.Opener {
		prefix := testPrefix(t, adminClient(t, u))
		return func(now func() time.Time) store.Store {
			s, err := store.Open(t.Context(), u, store.Options{Now: now, KeyPrefix: prefix})
			if err != nil {
				t.Fatalf("open %s: %v", u, err)
			}
			return s
		}
	}
}

func TestRedisConformance(t *testing.T) {
	storetest.Run(t, redisBackend(needRedis(t)))
}

func openRedis(t *testing.T, u string, opts store.Options) *store.Redis {
	t.Helper()
	s, err := store.OpenRedis(t.Context(), u, opts)
	if err != nil {
		t.Fatalf("OpenRedis: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestRedisKeys checks the layout behind the store's back: every key under
// the prefix, leases with a Redis expiry of their ttl (so dead ones go away
// by themselves) and none on records or ids.
func TestRedisKeys(t *testing.T) {
	u := needRedis(t)
	client := adminClient(t, u)
	prefix := testPrefix(t, client)
	s := openRedis(t, u, store.Options{KeyPrefix: prefix})
	ctx := t.Context()
	if err := s.Put(ctx, "digest", "d1", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Claim(ctx, "slot:d1:0900", "replica-a", time.Hour); !ok || err != nil {
		t.Fatalf("Claim = %v, %v", ok, err)
	}
	if _, err := s.NextID(ctx, "d"); err != nil {
		t.Fatal(err)
	}

	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{prefix + "schema": true, prefix + "records:digest": true, prefix + "lease:slot:d1:0900": true, prefix + "ids": true}
	if len(keys) != len(want) {
		t.Errorf("keys = %q, want %d", keys, len(want))
	}
	for _, k := range keys {
		if !want[k] {
			t.Errorf("unexpected key %q", k)
		}
	}
	for k := range want {
		ttl, err := client.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		isLease := strings.Contains(k, ":lease:")
		switch {
		case isLease && (ttl <= 59*time.Minute || ttl > time.Hour):
			t.Errorf("PTTL(%s) = %s, want about the lease's hour", k, ttl)
		case !isLease && ttl != -1:
			t.Errorf("PTTL(%s) = %s, want none: only leases expire", k, ttl)
		}
	}

	other := openRedis(t, u, store.Options{KeyPrefix: testPrefix(t, client)})
	if _, err := other.Get(ctx, "digest", "d1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a store with another prefix sees the record: %v", err)
	}
}

func TestRedisRefusesNewerLayout(t *testing.T) {
	u := needRedis(t)
	client := adminClient(t, u)
	prefix := testPrefix(t, client)
	if err := client.Set(t.Context(), prefix+"schema", "2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenRedis(t.Context(), u, store.Options{KeyPrefix: prefix})
	if err == nil {
		_ = s.Close()
		t.Fatal("OpenRedis of keys of layout 2 succeeded")
	}
	if !strings.Contains(err.Error(), "newer inboxbot (layout 2") {
		t.Errorf("error = %v, want one naming the newer layout", err)
	}
}

func TestRedisInvalidKeyPrefix(t *testing.T) {
	for _, p := range []string{"with space:", "tab\t", strings.Repeat("p", 129)} {
		_, err := store.OpenRedis(t.Context(), "redis://127.0.0.1:1/0", store.Options{KeyPrefix: p})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("OpenRedis with key prefix %q = %v, want store.ErrInvalid", p, err)
		}
	}
}

// TestRedisWrongPassword needs a server without a password: AUTH fails,
// and the error does not repeat the password.
func TestRedisWrongPassword(t *testing.T) {
	u := needRedis(t)
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Password != "" {
		t.Skip("the test server has a password")
	}
	bad := fmt.Sprintf("redis://bot:s3cr3t-pw@%s/%d", opts.Addr, opts.DB)
	s, err := store.Open(t.Context(), bad, store.Options{})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open with a password the server does not have succeeded")
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("the error quotes the password: %v", err)
	}
	if !strings.Contains(err.Error(), opts.Addr) {
		t.Errorf("error = %v, want one naming the server %s", err, opts.Addr)
	}
}

// freePort returns a local TCP port nothing listens on (at the moment).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

// TestRedisOpenFailsFast: a server that refuses the connection, or accepts
// it and never answers, fails Open within seconds, with an error naming
// the server and not the password.
func TestRedisOpenFailsFast(t *testing.T) {
	blackhole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := blackhole.Accept()
			if err != nil {
				return
			}
			held <- c // keep it open, answer nothing
		}
	}()
	t.Cleanup(func() {
		_ = blackhole.Close()
		for {
			select {
			case c := <-held:
				_ = c.Close()
			default:
				return
			}
		}
	})

	for _, tc := range []struct {
		name, url string
		within    time.Duration
	}{
		{"refused", fmt.Sprintf("redis://bot:s3cr3t-pw@127.0.0.1:%d/0", freePort(t)), 2 * time.Second},
		{"refused over TLS", fmt.Sprintf("rediss://bot:s3cr3t-pw@127.0.0.1:%d/0", freePort(t)), 2 * time.Second},
		{"never answers", "redis://bot:s3cr3t-pw@" + blackhole.Addr().String() + "/0", store.RedisReadTimeout + 3*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The deadline is a backstop, far beyond the client's timeouts
			// that must end Open first.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			s, err := store.Open(ctx, tc.url, store.Options{})
			took := time.Since(start)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if took > tc.within {
				t.Errorf("Open took %s to fail, want under %s", took, tc.within)
			}
			if msg := err.Error(); strings.Contains(msg, "s3cr3t-pw") || !strings.Contains(msg, "127.0.0.1") {
				t.Errorf("error = %q, want one naming the server and not the password", msg)
			}
		})
	}
}

// redisServer is a redis-server of the test's own, to stop and start.
type redisServer struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
	out  bytes.Buffer
}

// startRedisServer runs redis-server on a free port, without persistence,
// and waits until it answers. It skips the test without the binary, unless
// CI is set.
func startRedisServer(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but redis-server is not installed: %v", err)
		}
		t.Skip("redis-server is not installed: this test starts and kills its own")
	}
	srv := &redisServer{t: t, port: freePort(t)}
	srv.start()
	t.Cleanup(srv.stop)
	return srv
}

func (s *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

func (s *redisServer) start() {
	s.t.Helper()
	s.out.Reset()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	client := adminClient(s.t, s.url())
	waitFor(s.t, 10*time.Second, "redis-server to answer", func() error {
		return client.Ping(s.t.Context()).Err()
	})
}

// stop kills the server (SIGKILL: it goes away without a word to its
// clients) and waits for it to exit.
func (s *redisServer) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// signal sends sig to the running server.
func (s *redisServer) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %s: %v", sig, err)
	}
}

// waitFor polls fn until it returns nil, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s: %v", timeout, what, err)
		}
		<-tick.C
	}
}

// storeCalls is every method of s once, each failing unless it reached a
// working server.
func storeCalls(s store.Store) map[string]func(context.Context) error {
	lease := func(ok bool, err error) error {
		if err == nil && !ok {
			return errors.New("false")
		}
		return err
	}
	return map[string]func(context.Context) error{
		"Put": func(ctx context.Context) error { return s.Put(ctx, "k", "id", []byte("v")) },
		"Get": func(ctx context.Context) error { _, err := s.Get(ctx, "k", "id"); return err },
		"List": func(ctx context.Context) error {
			l, err := s.List(ctx, "k")
			if err == nil && len(l) != 1 {
				return fmt.Errorf("%d records", len(l))
			}
			return err
		},
		"Update": func(ctx context.Context) error {
			return s.Update(ctx, "k", "id", func([]byte, bool) ([]byte, error) { return []byte("w"), nil })
		},
		"Claim":   func(ctx context.Context) error { return lease(s.Claim(ctx, "key", "o", time.Hour)) },
		"Renew":   func(ctx context.Context) error { return lease(s.Renew(ctx, "key", "o", time.Hour)) },
		"Release": func(ctx context.Context) error { return lease(s.Release(ctx, "key", "o")) },
		"NextID":  func(ctx context.Context) error { _, err := s.NextID(ctx, "d"); return err },
		"Ping":    func(ctx context.Context) error { return s.Ping(ctx) },
		"Delete":  func(ctx context.Context) error { return s.Delete(ctx, "k", "id") },
	}
}

// callOrder runs the calls so that each finds what the one before left.
var callOrder = []string{"Put", "Get", "List", "Update", "Claim", "Renew", "Release", "NextID", "Ping", "Delete"}

// TestRedisGoesAwayAndComesBack kills the store's Redis: every call fails
// fast with an error (Ping included) instead of hanging; once a server is
// back on the address, the same store works again without being reopened.
// A server that hangs (SIGSTOP) fails calls after the read timeout.
func TestRedisGoesAwayAndComesBack(t *testing.T) {
	srv := startRedisServer(t)
	s := openRedis(t, srv.url(), store.Options{})
	// A backstop far beyond the store's timeouts, which must bound every call.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runAll := func(wantErr bool, within time.Duration) {
		t.Helper()
		calls := storeCalls(s)
		for _, name := range callOrder {
			start := time.Now()
			err := calls[name](ctx)
			took := time.Since(start)
			switch {
			case wantErr && err == nil:
				t.Errorf("%s succeeded with Redis down", name)
			case wantErr && (errors.Is(err, store.ErrClosed) || errors.Is(err, store.ErrNotFound)):
				t.Errorf("%s with Redis down = %v, want a connection error", name, err)
			case !wantErr && err != nil:
				t.Errorf("%s: %v", name, err)
			}
			if took > within {
				t.Errorf("%s took %s, want under %s", name, took, within)
			}
		}
	}
	runAll(false, time.Second)

	srv.stop()
	runAll(true, 2*time.Second)
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(srv.port)) {
		t.Errorf("Ping with Redis down = %v, want an error naming the server", err)
	}

	srv.start() // an empty server: --save "" kept nothing
	waitFor(t, 10*time.Second, "the store to reconnect", func() error { return s.Ping(ctx) })
	runAll(false, time.Second)

	srv.signal(syscall.SIGSTOP)
	start := time.Now()
	err := s.Ping(ctx)
	took := time.Since(start)
	srv.signal(syscall.SIGCONT)
	if err == nil {
		t.Error("Ping of a stopped server succeeded")
	}
	if took > store.RedisReadTimeout+2*time.Second {
		t.Errorf("Ping of a stopped server took %s, want about the read timeout %s", took, store.RedisReadTimeout)
	}
	waitFor(t, 10*time.Second, "the store to work after SIGCONT", func() error { return s.Ping(ctx) })
	runAll(false, time.Second)
}

func TestOpenRedisReturnsRedis(t *testing.T) {
	u := needRedis(t)
	prefix := testPrefix(t, adminClient(t, u))
	s, err := store.Open(t.Context(), u, store.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, ok := s.(*store.Redis)
	if !ok {
		t.Fatalf("Open(%s) = %T, want *store.Redis", u, s)
	}
	if got, want := r.Location().URL, u; got != want {
		t.Errorf("Location().URL = %q, want %q", got, want)
	}
}
