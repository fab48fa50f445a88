package schedule

import (
	"testing"
	"time"
)

// BenchmarkNext is the scheduler's cost per slot: one Next per digest after
// each run, for a cheap form and the most expensive one (every minute).
func BenchmarkNext(b *testing.B) {
	berlin := mustLoad(b, "Europe/Berlin")
	after := time.Date(2026, 10, 24, 12, 0, 0, 0, berlin)
	for _, text := range []string{"weekdays 09:00", "0 9 * * 1-5", "every 30m", "* * * * *", "0 0 29 2 *"} {
		s := mustParse(b, text, berlin)
		b.Run(text, func(b *testing.B) {
			for b.Loop() {
				_ = s.Next(after)
			}
		})
	}
}
