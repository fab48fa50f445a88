package commands

import (
	"testing"
	"time"
)

// TestSameAs: queries built alike are SameAs (and Equal); queries that
// differ in the request body or only in the client-side predicate are not.
func TestSameAs(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	env := Env{Now: now, Location: time.UTC}
	later := Env{Now: now.Add(time.Hour), Location: time.UTC}
	tests := []struct {
		a, b   string
		envB   Env
		same   bool
		reason string
	}{
		{"online tag:vip", "online tag:vip", env, true, "the same text"},
		{"tag:vip  online", "online tag:vip", env, true, "the same query written otherwise"},
		{"online page:3", "online", env, true, "the page aside"},
		{"live unassigned waiting:>10m", "live unassigned waiting:>10m", env, true, "relative predicates"},
		{"online", "offline", env, false, "another body"},
		{"live", "live unassigned", env, false, "the same body, another predicate"},
		{"live -tag:vip", "live -tag:gold", env, false, "predicates that differ in a value"},
		{"seen:7d", "seen:7d", later, false, "dates relative to another now"},
	}
	for _, tt := range tests {
		qa, err := Parse(tt.a, env)
		if err != nil {
			t.Fatal(err)
		}
		qb, err := Parse(tt.b, tt.envB)
		if err != nil {
			t.Fatal(err)
		}
		if got := qa.SameAs(qb); got != tt.same {
			t.Errorf("%q SameAs %q = %v, want %v (%s)", tt.a, tt.b, got, tt.same, tt.reason)
		}
		if got := qb.SameAs(qa); got != tt.same {
			t.Errorf("%q SameAs %q = %v, not symmetric", tt.b, tt.a, got)
		}
		if tt.same && !qa.WithPage(1).Equal(qb.WithPage(1)) {
			t.Errorf("%q SameAs %q but not Equal", tt.a, tt.b)
		}
	}
	var nilQuery *Query
	q, _ := Parse("online", env)
	if nilQuery.SameAs(q) || q.SameAs(nil) || !nilQuery.SameAs(nil) {
		t.Error("nil queries")
	}
}
