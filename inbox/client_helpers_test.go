package inbox

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	// testToken must never show up in an error or a log.
	testToken = "tok-SECRET-5f0c1d2e3f4a5b6c7d8e9f00"
	// basePath mounts the fake API under a prefix, so that a request to an
	// absolute path instead of one relative to the base URL fails loudly.
	basePath = "/api-v7"
)

// setup returns a client of a test server whose API mux is mounted under
// basePath. Backoff is tiny so that retries do not slow the tests down.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	root := http.NewServeMux()
	root.Handle(basePath+"/", http.StripPrefix(basePath, mux))
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL.Path)
		http.Error(w, "outside the base path", http.StatusNotFound)
	})
	srv := httptest.NewServer(root)
	t.Cleanup(srv.Close)
	all := append([]Option{WithBackoff(time.Millisecond, 2*time.Millisecond)}, opts...)
	c, err := NewClient(srv.URL+basePath+"/", testToken, all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, mux
}

// counter counts the requests a handler saw; safe for concurrent handlers.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// handleUsers mounts h on POST /inbox/users, numbering the requests (1-based).
// It reads the request body first: net/http notices a client hanging up
// (and cancels r.Context()) only once the body was read to the end.
func handleUsers(mux *http.ServeMux, h func(n int, w http.ResponseWriter, r *http.Request)) *counter {
	var c counter
	mux.HandleFunc("POST /inbox/users", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(c.inc(), w, r)
	})
	return &c
}

// writeJSON answers status with body as it is.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// gzipped compresses b.
func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// contact returns a realistic contact as the API sends it, varied by i.
func contact(i int) map[string]any {
	platforms := []string{"WHATSAPP", "website", "TELEGRAM", "facebook"}
	statuses := []string{"OPEN", "INPROGRESS", "ONHOLD", "CLOSED"}
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Add(-time.Duration(i) * 37 * time.Minute)
	c := map[string]any{
		"_id":               fmt.Sprintf("66e07fd940c43d176eaf%04x", i),
		"_customer":         "66e07fd940c43d176eaf0b71",
		"platform":          []string{platforms[i%len(platforms)]},
		"secondaryPlatform": []string{"website"},
		"isOnline":          i%3 == 0,
		"userInteracted":    i%2 == 0,
		"profile": map[string]any{
			"userDetails": map[string]any{
				"contact": map[string]any{
					"email": fmt.Sprintf("customer%d@example.com", i),
					"phone": map[string]any{"number": fmt.Sprintf("98765%05d", i), "prefix": "91"},
				},
				"userProvidedName": fmt.Sprintf("Customer %d", i),
				"tags":             []any{"vip", map[string]any{"_id": "t1", "name": "b2b"}},
				"attributes":       []any{},
				"country":          "IN",
				"whatsAppNumber":   fmt.Sprintf("9198765%05d", i),
			},
			"notes": []any{},
		},
		"status":           statuses[i%len(statuses)],
		"lastMessage":      map[string]any{"by": "user", "at": at.Format(TimeLayout), "text": "Where is my order?"},
		"isContact":        true,
		"segments":         []any{"65f0c1d2e3f4a5b6c7d8e9f0"},
		"isLiveChatActive": i%4 == 0,
		"hasOrdered":       map[string]any{"status": i%5 == 0, "lastAt": at.Add(-48 * time.Hour).Format(TimeLayout)},
		"unreadMessages":   i % 7,
		"lastSeenAt":       at.Format(TimeLayout),
		"createdAt":        at.Add(-240 * time.Hour).Format(TimeLayout),
		"updatedAt":        at.Format(TimeLayout),
	}
	if i%2 == 1 {
		c["_agentAssigned"] = "65ab12cd34ef56ab78cd90ef"
	}
	return c
}

// pageBody returns an envelope holding contacts first..first+n-1, with the
// extra top-level fields given.
func pageBody(first, n int, extra map[string]any) []byte {
	data := make([]map[string]any, 0, n)
	for i := range n {
		data = append(data, contact(first+i))
	}
	env := map[string]any{"success": true, "message": "", "code": 200, "data": data}
	for k, v := range extra {
		env[k] = v
	}
	b, err := json.Marshal(env)
	if err != nil {
		panic(err)
	}
	return b
}

// asError finds an error of type T in err's chain, or fails the test.
func asError[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T) has no %T in its chain", err, err, target)
	}
	return target
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}
