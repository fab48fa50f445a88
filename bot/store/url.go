package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Schemes STORE_URL may name.
const (
	SchemeBolt   = "bolt"   // bolt://PATH: the embedded file, one replica
	SchemeRedis  = "redis"  // redis://[user:pass@]host:port/db: shared by replicas
	SchemeRediss = "rediss" // rediss://...: Redis over TLS
)

// urlForms is appended to every STORE_URL error so the reader sees what is
// expected.
const urlForms = "expected bolt://PATH, redis://[user:pass@]host:port/db or rediss://[user:pass@]host:port/db"

// Location is a parsed STORE_URL.
type Location struct {
	// Scheme is SchemeBolt, SchemeRedis or SchemeRediss.
	Scheme string
	// Path is the bolt file (relative to the working directory unless
	// absolute); empty for Redis.
	Path string
	// URL is the whole STORE_URL for Redis, credentials included, for the
	// Redis client; empty for bolt. Never log it: use String.
	URL string
}

// String is the location without any password, safe for logs.
func (l Location) String() string {
	if l.Scheme == SchemeBolt {
		return "bolt://" + l.Path
	}
	u, err := url.Parse(l.URL)
	if err != nil {
		return l.Scheme + "://(unparsable)"
	}
	return u.Redacted()
}

// ParseURL parses STORE_URL. Errors name the variable and the accepted
// forms, and never quote a Redis URL (it may carry a password).
func ParseURL(s string) (Location, error) {
	if s == "" {
		return Location{}, fmt.Errorf("STORE_URL is empty; %s", urlForms)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Location{}, fmt.Errorf("STORE_URL%s has no scheme; %s", quoted(s), urlForms)
	}
	switch strings.ToLower(scheme) {
	case SchemeBolt:
		return parseBolt(rest)
	case SchemeRedis, SchemeRediss:
		return parseRedis(strings.ToLower(scheme), s)
	default:
		return Location{}, fmt.Errorf("STORE_URL has an unknown scheme%s; %s", quoted(scheme), urlForms)
	}
}

// parseBolt takes everything after "bolt://" as the path, verbatim:
// bolt://inboxbot.db is a relative file, bolt:///var/lib/inboxbot/state.db
// an absolute one.
func parseBolt(path string) (Location, error) {
	switch {
	case path == "":
		return Location{}, errors.New("STORE_URL bolt:// names no file; write bolt://PATH, e.g. bolt://inboxbot.db or bolt:///var/lib/inboxbot/inboxbot.db")
	case strings.ContainsRune(path, 0):
		return Location{}, errors.New("STORE_URL: the bolt file path contains a NUL byte")
	case strings.HasSuffix(path, "/"):
		return Location{}, fmt.Errorf("STORE_URL bolt://%s names a directory; add a file name, e.g. bolt://%sinboxbot.db", clip(path), clip(path))
	}
	return Location{Scheme: SchemeBolt, Path: path}, nil
}

// parseRedis checks the shape of a Redis URL without quoting it; the Redis
// client validates the rest when it connects.
func parseRedis(scheme, s string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("STORE_URL is not a valid %s:// URL; %s", scheme, urlForms)
	}
	if u.Host == "" {
		return Location{}, fmt.Errorf("STORE_URL %s:// names no host; %s", scheme, urlForms)
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" && strings.Trim(db, "0123456789") != "" {
		return Location{}, fmt.Errorf("STORE_URL %s: the database must be a number (…/0); %s", scheme, urlForms)
	}
	return Location{Scheme: scheme, URL: s}, nil
}

// quoted is " \"s\"" for an error message, or nothing when s may hold a
// password (anything with an '@', like a mistyped redis:/user:pass@host).
func quoted(s string) string {
	if strings.Contains(s, "@") {
		return ""
	}
	return fmt.Sprintf(" %q", clip(s))
}

// clip keeps quoted user input in an error message short.
func clip(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Open opens the store STORE_URL names, with opts: [OpenBolt] for
// bolt://PATH, [OpenRedis] for redis:// and rediss://.
func Open(ctx context.Context, storeURL string, opts Options) (Store, error) {
	loc, err := ParseURL(storeURL)
	if err != nil {
		return nil, err
	}
	if loc.Scheme == SchemeBolt {
		return OpenBolt(ctx, loc.Path, opts)
	}
	return OpenRedis(ctx, loc.URL, opts)
}
