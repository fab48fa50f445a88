package inboxtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// closeTracker is a request body that remembers being closed.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestClientInProcess(t *testing.T) {
	s := newTestServer()
	body := bodyOf(t, inbox.Filter{Tags: []string{"vip"}})
	tests := []struct {
		name           string
		acceptEncoding string
		wantGzipped    bool // the caller sees a gzip body
	}{
		{"transparent gzip", "", false},
		{"caller asks for gzip", "gzip", true},
		{"caller refuses gzip", "identity", false},
	}
	// The same request over a real socket, for comparison.
	srv := httptest.NewServer(s)
	defer closeWithin(t, srv)
	_, overHTTP, err := post(context.Background(), srv.Client(), srv.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracker := &closeTracker{Reader: bytes.NewReader(body)}
			req, err := http.NewRequest(http.MethodPost, "http://demo.invalid"+Path, tracker)
			if err != nil {
				t.Fatal(err)
			}
			authorize(req, DefaultToken)
			if tt.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tt.acceptEncoding)
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if !tracker.closed {
				t.Error("the request body was not closed")
			}
			if resp.StatusCode != 200 || resp.Request != req {
				t.Fatalf("status %d, request %p; want 200 and the request sent", resp.StatusCode, resp.Request)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if gz := resp.Header.Get("Content-Encoding") == "gzip"; gz != tt.wantGzipped {
				t.Fatalf("Content-Encoding gzip = %v, want %v", gz, tt.wantGzipped)
			}
			if tt.wantGzipped {
				zr, err := gzip.NewReader(bytes.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				if got, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if tt.acceptEncoding == "" && !resp.Uncompressed {
				t.Error("transparent gunzip should set Uncompressed, as http.Transport does")
			}
			if !bytes.Equal(got, overHTTP) {
				t.Errorf("in-process answer differs from the HTTP one\n got %s\nwant %s", truncate(string(got), 200), truncate(string(overHTTP), 200))
			}
		})
	}
}

func TestClientInProcessCancel(t *testing.T) {
	s := newTestServer(WithSize(5))
	s.SetFault(Hang())
	body := bodyOf(t, inbox.Filter{})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := post(ctx, s.Client(), "http://demo.invalid", body)
		done <- err
	}()
	waitFor(t, "the request to arrive", func() bool { return s.Count() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}

	client := s.Client()
	client.Timeout = 20 * time.Millisecond
	_, _, err := post(context.Background(), client, "http://demo.invalid", body)
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("error %v, want a timeout", err)
	}

	already, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	before := s.Count()
	if _, _, err := post(already, s.Client(), "http://demo.invalid", body); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v, want context.Canceled", err)
	}
	if s.Count() != before {
		t.Error("a request with a cancelled context reached the server")
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := map[string]bool{
		"":                     false,
		"gzip":                 true,
		"GZIP":                 true,
		"deflate, gzip;q=1.0":  true,
		"br, gzip; q=0.5":      true,
		"gzip;q=0":             false,
		"gzip;q=0.000":         false,
		"identity":             false,
		"x-gzip":               false,
		"deflate, br, *;q=0.1": false,
	}
	for header, want := range tests {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestServeAndShutdown(t *testing.T) {
	s := newTestServer(WithSize(5))
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", s, func(addr string) { addrs <- addr }) }()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	}
	url := "http://" + addr
	resp, b, err := post(context.Background(), http.DefaultClient, url, bodyOf(t, inbox.Filter{}))
	if err != nil || resp.StatusCode != 200 || !strings.Contains(string(b), `"success":true`) {
		t.Fatalf("request: %v %v %s", err, resp, b)
	}
	// A hanging request must not hold up the shutdown.
	s.SetFault(Hang())
	hung := make(chan error, 1)
	go func() {
		_, _, err := post(context.Background(), http.DefaultClient, url, bodyOf(t, inbox.Filter{}))
		hung <- err
	}()
	waitFor(t, "the hanging request", func() bool { return s.Count() == 2 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe returned %v after its context ended, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return after its context ended")
	}
	<-hung // the client sees the connection close; any error is fine
}

func TestListenError(t *testing.T) {
	err := ListenAndServe(context.Background(), "256.0.0.1:bad", newTestServer(WithSize(1)), nil)
	if err == nil || !strings.Contains(err.Error(), "256.0.0.1:bad") {
		t.Errorf("error %v, want one naming the address", err)
	}
}
