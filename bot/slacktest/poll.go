package slacktest

import (
	"context"
	"testing"
	"time"
)

// Poll waits until cond holds, checking every 5ms, and fails the test when
// ctx ends first: for state nothing signals, without sleeping on a guess.
func Poll(tb testing.TB, ctx context.Context, what string, cond func() bool) {
	tb.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			tb.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
	}
}
