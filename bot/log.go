package bot

import (
	"io"
	"log/slog"

	"github.com/convertalk/inboxbot/commands"
)

// NewLogger returns the slog logger LOG_LEVEL and LOG_FORMAT ask for.
func NewLogger(cfg *Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel.Level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// logQuery is the canonical query as it may be logged at info level: free
// text is replaced, since people search for customers by name or phone.
func logQuery(q *commands.Query) string {
	return q.WithPage(1).Redacted()
}
