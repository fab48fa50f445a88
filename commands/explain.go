package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/convertalk/inboxbot/inbox"
)

// Explain turns an error into words for the person who asked: the message of
// a query error or of a typed inbox error, and a generic sentence otherwise
// (the details belong in the log, not in Slack).
func Explain(err error) string {
	var (
		qe           *QueryError
		unauthorized *inbox.UnauthorizedError
		limited      *inbox.RateLimitError
		apiErr       *inbox.APIError
		timeout      *inbox.TimeoutError
		bad          *inbox.BadResponseError
		conn         *inbox.ConnectionError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &qe):
		return qe.Error()
	case errors.As(err, &unauthorized):
		return unauthorized.Error()
	case errors.As(err, &limited):
		return limited.Error()
	case errors.As(err, &apiErr):
		return explainAPIError(apiErr)
	case errors.As(err, &timeout):
		return timeout.Error()
	case errors.As(err, &bad):
		return bad.Error()
	case errors.As(err, &conn):
		return conn.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "Convertalk took too long to answer. Try again in a moment."
	case errors.Is(err, context.Canceled):
		return "The request was cancelled (the bot is shutting down)."
	}
	return "Something went wrong on our side; the details are in the bot's log."
}

// explainAPIError words an API error for Slack. The API's message is a
// string from the inbox: it goes in a code span (no backticks inside), so
// it can neither ping (notices escape &, <, >) nor format anything.
func explainAPIError(e *inbox.APIError) string {
	if e.Message == "" {
		return e.Error()
	}
	quoted := *e
	quoted.Message = "`" + strings.ReplaceAll(e.Message, "`", "'") + "`"
	return quoted.Error()
}
