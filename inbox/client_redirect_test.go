package inbox

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
)

// TestUsersDoesNotFollowRedirects: a redirect to another host is reported,
// never followed: the other host receives no request, so neither the query
// nor the token reaches it (issue 6, point 4).
func TestUsersDoesNotFollowRedirects(t *testing.T) {
	var elsewhere counter
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.inc()
		writeJSON(w, 200, pageBody(0, 3, nil)) // an answer that would pass for the inbox's
	}))
	t.Cleanup(other.Close)
	otherHost := strings.TrimPrefix(other.URL, "http://")
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			c, mux := setup(t)
			reqs := handleUsers(mux, func(_ int, w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/inbox/users", status)
			})
			before := elsewhere.get()
			page, err := c.Users(context.Background(), Filter{})
			if err == nil {
				t.Fatalf("no error; page of %d users", len(page.Users))
			}
			if got := elsewhere.get() - before; got != 0 {
				t.Errorf("the other host received %d requests", got)
			}
			want := RedirectError{StatusCode: status, Host: otherHost}
			if e := asError[*RedirectError](t, err); *e != want {
				t.Errorf("got %+v, want %+v", e, want)
			}
			if reqs.get() != 1 {
				t.Errorf("%d requests, want 1 (a redirect is not retried)", reqs.get())
			}
		})
	}
}

func TestUsersRedirectHost(t *testing.T) {
	tests := []struct {
		location, want string
		status         int
	}{
		{"https://user:secret@evil.example:8443/x?token=1", "evil.example:8443", 302},
		{"/elsewhere", "", 302}, // the server's own host, filled in below
		{"", "", 302},
		{"http://[::1", "", 0}, // net/http cannot parse it
	}
	for _, tt := range tests {
		c, mux := setup(t)
		handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
			if tt.location != "" {
				w.Header().Set("Location", tt.location)
			}
			w.WriteHeader(http.StatusFound)
		})
		_, err := c.Users(context.Background(), Filter{})
		want := tt.want
		if tt.location == "/elsewhere" {
			want = c.host
		}
		if e := asError[*RedirectError](t, err); e.Host != want || e.StatusCode != tt.status {
			t.Errorf("Location %q: got %+v, want host %q", tt.location, e, want)
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "token=") {
			t.Errorf("error %q repeats the redirect's URL", err)
		}
	}
}

// TestWithHTTPClientIsNotChanged: the caller's http.Client keeps its own
// redirect policy; the inbox client uses a copy.
func TestWithHTTPClientIsNotChanged(t *testing.T) {
	hc := &http.Client{}
	c, err := NewClient("http://inbox.test", "", WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	if hc.CheckRedirect != nil {
		t.Error("NewClient set CheckRedirect on the caller's http.Client")
	}
	if c.httpClient == hc || c.httpClient.CheckRedirect == nil {
		t.Error("the inbox client follows redirects with the caller's policy")
	}
}

// TestUsersConnectionErrorNamesTheHost: a network failure says where and
// why, without the URL (it may carry credentials).
func TestUsersConnectionErrorNamesTheHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	c, err := NewClient("http://user:pa55@"+addr+"/api?key=k", testToken, WithMaxAttempts(2), WithBackoff(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Users(context.Background(), Filter{})
	e := asError[*ConnectionError](t, err)
	if e.Host != addr || e.Attempts != 2 || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("got %+v (%v), want host %s, 2 attempts, connection refused", e, e.Err, addr)
	}
	var ue *url.Error
	if errors.As(err, &ue) || strings.Contains(err.Error(), "pa55") || strings.Contains(err.Error(), "key=") {
		t.Errorf("error %q carries the URL", err)
	}
}
