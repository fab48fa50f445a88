package store_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/bot/store"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    store.Location
		wantErr string // a part of the message; "" means no error
	}{
		{in: "bolt://inboxbot.db", want: store.Location{Scheme: "bolt", Path: "inboxbot.db"}},
		{in: "bolt:///var/lib/inboxbot/state.db", want: store.Location{Scheme: "bolt", Path: "/var/lib/inboxbot/state.db"}},
		{in: "bolt://./data/in box.db", want: store.Location{Scheme: "bolt", Path: "./data/in box.db"}},
		{in: "BOLT://x.db", want: store.Location{Scheme: "bolt", Path: "x.db"}},
		{in: "redis://localhost:6379/0", want: store.Location{Scheme: "redis", URL: "redis://localhost:6379/0"}},
		{in: "redis://user:secret@redis:6379", want: store.Location{Scheme: "redis", URL: "redis://user:secret@redis:6379"}},
		{in: "rediss://redis.internal:6380/2", want: store.Location{Scheme: "rediss", URL: "rediss://redis.internal:6380/2"}},
		{in: "", wantErr: "STORE_URL is empty; expected bolt://PATH"},
		{in: "inboxbot.db", wantErr: `STORE_URL "inboxbot.db" has no scheme; expected bolt://PATH`},
		{in: "bolt:inboxbot.db", wantErr: "has no scheme"},
		{in: "bolt://", wantErr: "names no file; write bolt://PATH"},
		{in: "bolt:///var/lib/inboxbot/", wantErr: "names a directory"},
		{in: "bolt://a\x00b", wantErr: "NUL"},
		{in: "postgres://u:p@db/x", wantErr: `unknown scheme "postgres"; expected bolt://PATH, redis://`},
		{in: "redis:/bot:secret@host:6379", wantErr: "STORE_URL has no scheme"},
		{in: "bot:secret@host://x", wantErr: "STORE_URL has an unknown scheme; expected"},
		{in: "redis://", wantErr: "redis:// names no host"},
		{in: "redis://:secret@/0", wantErr: "names no host"},
		{in: "rediss://host:6379/zero", wantErr: "the database must be a number"},
		{in: "redis://u:secret@host:6379/%zz", wantErr: "not a valid redis:// URL"},
	}
	for _, tc := range tests {
		got, err := store.ParseURL(tc.in)
		if tc.wantErr == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseURL(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseURL(%q) error quotes the password: %v", tc.in, err)
		}
	}
}

func TestLocationStringHidesPassword(t *testing.T) {
	loc, err := store.ParseURL("rediss://bot:secret@redis:6380/1")
	if err != nil {
		t.Fatal(err)
	}
	if s := loc.String(); strings.Contains(s, "secret") || !strings.Contains(s, "redis:6380/1") {
		t.Errorf("String() = %q, want the address without the password", s)
	}
	if s := (store.Location{Scheme: "bolt", Path: "x.db"}).String(); s != "bolt://x.db" {
		t.Errorf("String() of a bolt location = %q", s)
	}
}

func TestOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inboxbot.db")
	s, err := store.Open(t.Context(), "bolt://"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := s.(*store.Bolt); !ok || b.Path() != path {
		t.Errorf("Open(bolt://%s) = %T", path, s)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Nothing listens on port 1: Open tries the server (and fails), where
	// it used to refuse Redis as not supported yet.
	for _, u := range []string{"redis://bot:secret@127.0.0.1:1/0", "rediss://bot:secret@127.0.0.1:1"} {
		s, err := store.Open(t.Context(), u, store.Options{})
		if err == nil {
			_ = s.Close()
			t.Fatalf("Open(%s) succeeded with nothing listening", u)
		}
		if errors.Is(err, errors.ErrUnsupported) || strings.Contains(err.Error(), "not supported") {
			t.Errorf("Open(%s) = %v: Redis is supported now", u, err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("Open(%s) = %v, want an error naming the server", u, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open's error quotes the password: %v", err)
		}
	}
	if _, err := store.Open(t.Context(), "redis://h:6379/0?no_such_option=1", store.Options{}); err == nil ||
		!strings.Contains(err.Error(), "no_such_option") {
		t.Errorf("Open with an unknown query parameter = %v, want an error naming it", err)
	}
	if _, err := store.Open(t.Context(), "ftp://x", store.Options{}); err == nil {
		t.Error("Open of an unknown scheme succeeded")
	}
}

func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{
		"bolt://inboxbot.db", "bolt:///var/lib/x.db", "bolt://", "redis://u:p@h:6379/0", "redis:/u:secret@h", "u:secret@h://x",
		"rediss://h", "redis://:p@/x", "x://", "://", "", "bolt:///", "redis://[::1]:6379/0",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		loc, err := store.ParseURL(in)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "STORE_URL") {
				t.Errorf("error %q does not name STORE_URL", msg)
			}
			if len(msg) > 600 {
				t.Errorf("error is %d bytes long", len(msg))
			}
			isBolt := strings.HasPrefix(strings.ToLower(in), "bolt://") // a path holds no password
			if !isBolt && strings.Contains(in, "@") && strings.Contains(in, "secret") && strings.Contains(msg, "secret") {
				t.Errorf("error %q quotes what may be a password", msg)
			}
			if utf8.ValidString(in) && !utf8.ValidString(msg) {
				t.Errorf("error %q is not valid UTF-8", msg)
			}
			if loc != (store.Location{}) {
				t.Errorf("ParseURL(%q) failed but returned %+v", in, loc)
			}
			return
		}
		switch loc.Scheme {
		case store.SchemeBolt:
			if loc.Path == "" || loc.URL != "" {
				t.Errorf("ParseURL(%q) = %+v", in, loc)
			}
		case store.SchemeRedis, store.SchemeRediss:
			if loc.URL != in || loc.Path != "" {
				t.Errorf("ParseURL(%q) = %+v", in, loc)
			}
		default:
			t.Errorf("ParseURL(%q) accepted scheme %q", in, loc.Scheme)
		}
		_ = loc.String()
	})
}
