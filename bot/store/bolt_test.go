package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/store"
	"github.com/convertalk/inboxbot/bot/store/storetest"
)

// boltBackend gives each conformance test its own file in a new directory.
func boltBackend(t *testing.T) storetest.Opener {
	path := filepath.Join(t.TempDir(), "state", "inboxbot.db")
	return func(now func() time.Time) store.Store {
		s, err := store.Open(t.Context(), "bolt://"+path, store.Options{Now: now})
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		return s
	}
}

func TestBoltConformance(t *testing.T) {
	storetest.Run(t, boltBackend)
}

func openBolt(t *testing.T, path string, opts store.Options) *store.Bolt {
	t.Helper()
	s, err := store.OpenBolt(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("OpenBolt(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestBoltCreatesPrivateFileAndDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "dir", "inboxbot.db")
	openBolt(t, path, store.Options{})
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{filepath.Dir(path), 0o700}, {filepath.Dir(filepath.Dir(path)), 0o700}, {path, 0o600}} {
		info, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		// The umask can only take bits away, never add group or other ones.
		if got := info.Mode().Perm(); got&^c.want != 0 || got&0o600 != 0o600 {
			t.Errorf("%s has mode %o, want %o", c.path, got, c.want)
		}
	}
}

func TestBoltSecondOpenIsInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inboxbot.db")
	openBolt(t, path, store.Options{})
	start := time.Now()
	s, err := store.OpenBolt(t.Context(), path, store.Options{LockTimeout: 10 * time.Millisecond})
	if err == nil {
		_ = s.Close()
		t.Fatal("a second OpenBolt of an open file succeeded")
	}
	wantInUse(t, err, path)
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the second OpenBolt took %s to fail; the lock timeout was 10ms", waited)
	}
}

func TestBoltOpenHonoursContextDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inboxbot.db")
	openBolt(t, path, store.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	// The lock timeout is an hour: only the context's deadline ends the wait.
	start := time.Now()
	_, err := store.OpenBolt(ctx, path, store.Options{LockTimeout: time.Hour})
	wantInUse(t, err, path)
	if waited := time.Since(start); waited > time.Minute {
		t.Errorf("OpenBolt with a 20ms deadline waited %s for the lock", waited)
	}
	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := store.OpenBolt(expired, path, store.Options{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("OpenBolt past its deadline = %v, want context.DeadlineExceeded", err)
	}

	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := store.OpenBolt(canceled, path, store.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenBolt with a canceled context = %v, want context.Canceled", err)
	}
}

func wantInUse(t *testing.T, err error, path string) {
	t.Helper()
	var inUse *store.InUseError
	if !errors.Is(err, store.ErrInUse) || !errors.As(err, &inUse) || inUse.Path != path {
		t.Fatalf("error = %v, want an InUseError for %s", err, path)
	}
	if msg := err.Error(); !strings.Contains(msg, "the store file "+path+" is in use by another inboxbot process") {
		t.Errorf("message %q does not say plainly what is wrong", msg)
	}
}

// holderEnv makes the test binary, run again, hold a bolt file open as a
// second process would: TestHelperHoldBolt opens it, prints "ready" and
// waits for its stdin to close.
const holderEnv = "INBOXBOT_STORE_TEST_HOLD"

func TestHelperHoldBolt(t *testing.T) {
	path := os.Getenv(holderEnv)
	if path == "" {
		t.Skip("helper process for TestBoltOtherProcessIsInUse")
	}
	s, err := store.OpenBolt(context.Background(), path, store.Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
	_ = s.Close()
	os.Exit(0)
}

func TestBoltOtherProcessIsInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inboxbot.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperHoldBolt$")
	// GORACE: a -race binary otherwise idles a second at exit.
	cmd.Env = append(os.Environ(), holderEnv+"="+path, "GORACE=atexit_sleep_ms=0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("the holder process said %q, %v", line, err)
	}

	_, err = store.OpenBolt(t.Context(), path, store.Options{LockTimeout: 10 * time.Millisecond})
	wantInUse(t, err, path)

	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the holder process: %v", err)
	}
	// Once the other process has gone the file opens, with what it held.
	openBolt(t, path, store.Options{LockTimeout: 10 * time.Millisecond})
}

func TestBoltRefusesForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a bolt file\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.OpenBolt(t.Context(), path, store.Options{})
	if err == nil || !strings.Contains(err.Error(), path+" is not an inboxbot store file") {
		t.Fatalf("OpenBolt of a text file = %v, want a plain refusal naming it", err)
	}
}

func TestBoltOptions(t *testing.T) {
	dir := t.TempDir()
	if _, err := store.OpenBolt(t.Context(), filepath.Join(dir, "x.db"), store.Options{LockTimeout: -time.Second}); err == nil {
		t.Error("a negative lock timeout was accepted")
	}
	if _, err := store.OpenBolt(t.Context(), "", store.Options{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("OpenBolt(\"\") = %v, want store.ErrInvalid", err)
	}
	s := openBolt(t, filepath.Join(dir, "y.db"), store.Options{})
	if s.Path() != filepath.Join(dir, "y.db") {
		t.Errorf("Path() = %q", s.Path())
	}
}

func TestNewOwnerID(t *testing.T) {
	a, b := store.NewOwnerID(), store.NewOwnerID()
	if a == b {
		t.Errorf("two owner ids are equal: %q", a)
	}
	if !strings.Contains(a, fmt.Sprintf("-%d-", os.Getpid())) {
		t.Errorf("owner id %q does not name the process", a)
	}
	// An owner id must be usable as one.
	s := openBolt(t, filepath.Join(t.TempDir(), "x.db"), store.Options{})
	if ok, err := s.Claim(t.Context(), "k", a, time.Second); !ok || err != nil {
		t.Errorf("Claim with owner %q: %v, %v", a, ok, err)
	}
}
