package bot

import (
	"context"
	"sync/atomic"
	"time"
)

// inboxWait accumulates the time one answer spends waiting for the inbox, so
// that the bot's own overhead per answer (everything else: parsing,
// rendering, posting, queueing for a CPU) can be measured apart from the
// inbox's latency. Decoding happens inside the inbox call and counts as
// waiting.
type inboxWait struct{ nanos atomic.Int64 }

type inboxWaitKey struct{}

// withInboxWait returns a context that collects inbox waiting time.
func withInboxWait(ctx context.Context) (context.Context, *inboxWait) {
	w := &inboxWait{}
	return context.WithValue(ctx, inboxWaitKey{}, w), w
}

// addInboxWait records d against the answer ctx belongs to, if any.
func addInboxWait(ctx context.Context, d time.Duration) {
	if w, ok := ctx.Value(inboxWaitKey{}).(*inboxWait); ok {
		w.nanos.Add(int64(d))
	}
}

// total returns the waiting time collected so far.
func (w *inboxWait) total() time.Duration { return time.Duration(w.nanos.Load()) }
