package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/convertalk/inboxbot/inbox"
)

// SlackError is a failed Slack call, as data: the method and Slack's error
// code. The bot builds it from slack-go's errors (it alone knows Slack's
// transport); ErrorCode, Explain and ExplainSlack read it.
type SlackError struct {
	// Method is the Web API method ("files.upload", "auth.test",
	// "apps.connections.open") or "response_url".
	Method string
	// Code is Slack's error code ("missing_scope"), or one of ours for a
	// failure without one: "ratelimited", "http_NNN", "timeout", "error".
	Code string
	Err  error // the underlying error
}

// Error implements error: terse, for logs.
func (e *SlackError) Error() string {
	s := "slack: " + e.Method + ": " + e.Code
	if e.Err != nil && e.Err.Error() != e.Code {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *SlackError) Unwrap() error { return e.Err }

// slackKind is what a Slack error code means for the bot.
type slackKind int

const (
	slackOther         slackKind = iota
	slackTokenRefused            // the token is not (or no longer) one of this app
	slackMissingScope            // the token lacks a scope the method needs
	slackForbiddenTeam           // the app may not run in this workspace
	slackNotInChannel            // the bot cannot post in the channel
	slackRateLimited             // Slack asks to slow down
	slackUnreachable             // no answer from Slack at all (our codes)
)

// slackCodes is the one table of the Slack error codes the bot words.
var slackCodes = map[string]slackKind{
	"invalid_auth":           slackTokenRefused,
	"not_authed":             slackTokenRefused,
	"token_revoked":          slackTokenRefused,
	"token_expired":          slackTokenRefused,
	"account_inactive":       slackTokenRefused,
	"not_allowed_token_type": slackTokenRefused,
	"missing_scope":          slackMissingScope,
	"access_denied":          slackMissingScope,
	"forbidden_team":         slackForbiddenTeam,
	"not_in_channel":         slackNotInChannel,
	"channel_not_found":      slackNotInChannel,
	"ratelimited":            slackRateLimited,
	"timeout":                slackUnreachable,
	"error":                  slackUnreachable,
}

func slackKindOf(code string) slackKind {
	if strings.HasPrefix(code, "http_") {
		return slackUnreachable
	}
	return slackCodes[code]
}

// SlackConfigProblem reports whether a Slack error code means the
// configuration (a token or the app's scopes) is wrong: restarting cannot
// help until someone changes it.
func SlackConfigProblem(code string) bool {
	switch slackKindOf(code) {
	case slackTokenRefused, slackMissingScope, slackForbiddenTeam:
		return true
	}
	return false
}

// The Slack methods whose failures ExplainSlack words in their own way.
// An operator reads the failures of the first two (`check`, `run`'s log
// and exit status), a user in Slack those of the others.
const (
	SlackAuthTest        = "auth.test"             // the bot token (check)
	SlackConnectionsOpen = "apps.connections.open" // the app-level token (Socket Mode)
	SlackFilesUpload     = "files.upload"          // an export's CSV
)

// ExplainSlack words a Slack error code for whoever reads the failure of
// method: the operator for auth.test and apps.connections.open (naming
// the variable to fix), the user in Slack for the rest.
func ExplainSlack(code, method string) string {
	shown := Truncate(SanitizeText(code), 60)
	switch method {
	case SlackAuthTest, SlackConnectionsOpen:
		return explainSlackToOperator(shown, method)
	case SlackFilesUpload:
		return explainSlackUpload(shown)
	}
	switch slackKindOf(code) {
	case slackNotInChannel:
		return "I can't post in this channel. Invite me first (`/invite @inboxbot`), then try again."
	case slackRateLimited:
		return "Slack is rate limiting the bot right now; try again in a minute."
	case slackUnreachable:
		return "Slack did not take the answer; try again in a moment."
	case slackTokenRefused, slackMissingScope, slackForbiddenTeam:
		return "Slack refused the answer (" + shown + "); ask whoever runs inboxbot to run `inboxbot check`."
	}
	return "Slack refused the answer (" + shown + ")."
}

func explainSlackUpload(code string) string {
	switch slackKindOf(code) {
	case slackNotInChannel:
		return "I can't post files in this channel. Invite me first (`/invite @inboxbot`), then export again."
	case slackRateLimited:
		return "Slack is rate limiting uploads right now; try the export again in a minute."
	case slackUnreachable:
		return "The upload to Slack failed; try again in a moment."
	case slackMissingScope:
		return "Slack refused the upload (" + code + "): the app needs the files:write scope. Ask your Slack admin to add it and reinstall the app."
	case slackTokenRefused, slackForbiddenTeam:
		return "Slack refused the upload (" + code + "); ask whoever runs inboxbot to run `inboxbot check`."
	}
	return "Slack refused the upload (" + code + ")."
}

// explainSlackToOperator says what a code of auth.test (the bot token) or
// apps.connections.open (the app-level token) means for the variable
// behind it.
func explainSlackToOperator(code, method string) string {
	variable, token, scope := "SLACK_BOT_TOKEN", "a bot xoxb- token of this app", "the commands and files:write scopes"
	if method == SlackConnectionsOpen {
		variable, token, scope = "SLACK_APP_TOKEN", "an app-level xapp- token of this app", "the connections:write scope"
	}
	switch slackKindOf(code) {
	case slackTokenRefused:
		return "Slack answered " + code + " (" + variable + " must be " + token + ")"
	case slackMissingScope:
		return "Slack answered " + code + " (" + variable + " needs " + scope + ")"
	case slackForbiddenTeam:
		return "Slack answered " + code + " (the app is not allowed in this workspace)"
	case slackNotInChannel:
		return "Slack answered " + code + " (invite the bot to the channel)"
	case slackRateLimited:
		return "Slack rate-limited " + method + "; try again in a minute"
	case slackUnreachable:
		return "could not reach Slack at SLACK_API_URL"
	}
	return "Slack answered " + code
}

// ErrorCode is the short code of an error for the log and metrics, one per
// cause: "bad_query", "inbox_unauthorized", "inbox_timeout",
// "slack_missing_scope", "timeout", "internal"... "" for nil.
func ErrorCode(err error) string {
	var (
		qe           *QueryError
		se           *SlackError
		unauthorized *inbox.UnauthorizedError
		limited      *inbox.RateLimitError
		redirect     *inbox.RedirectError
		apiErr       *inbox.APIError
		timeout      *inbox.TimeoutError
		bad          *inbox.BadResponseError
		conn         *inbox.ConnectionError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &qe):
		return "bad_query"
	case errors.As(err, &se):
		return "slack_" + se.Code
	case errors.As(err, &unauthorized):
		return "inbox_unauthorized"
	case errors.As(err, &limited):
		return "inbox_ratelimited"
	case errors.As(err, &redirect):
		return "inbox_redirect"
	case errors.As(err, &apiErr):
		return apiErrorCode(apiErr)
	case errors.As(err, &timeout):
		return "inbox_timeout"
	case errors.As(err, &bad):
		return "inbox_bad_response"
	case errors.As(err, &conn):
		return "inbox_unreachable"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "internal"
}

func apiErrorCode(e *inbox.APIError) string {
	switch {
	case e.StatusCode >= 200 && e.StatusCode < 300:
		return "inbox_failed"
	case e.StatusCode == 404:
		return "inbox_not_found"
	case e.StatusCode >= 500:
		return "inbox_unavailable"
	}
	return "inbox_refused"
}
