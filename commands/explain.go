package commands

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// maxAPIMessage caps a message from the inbox API in an explanation: it is
// the API's text, and a hostile or broken one could be megabytes long.
const maxAPIMessage = 300

// Explain turns an error into words for the person who asked: the message of
// a query error or of a typed inbox error, and a generic sentence otherwise
// (the details belong in the log, not in Slack). It is shown in Slack and in
// the terminal alike: text that came from the API is stripped of control
// characters and escape sequences, capped, and set in a code span.
func Explain(err error) string {
	var (
		qe           *QueryError
		slackErr     *SlackError
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
		return qe.Error()
	case errors.As(err, &slackErr):
		return ExplainSlack(slackErr.Code, slackErr.Method)
	case errors.As(err, &unauthorized):
		return fmt.Sprintf("Convertalk rejected the API token (%d). Check INBOX_API_TOKEN.", unauthorized.StatusCode)
	case errors.As(err, &limited):
		return explainRateLimit(limited)
	case errors.As(err, &redirect):
		return explainRedirect(redirect)
	case errors.As(err, &apiErr):
		return explainAPIError(apiErr)
	case errors.As(err, &timeout):
		return fmt.Sprintf("Convertalk did not answer in %s after %s.", timeout.PerAttempt, attempts(timeout.Attempts))
	case errors.As(err, &bad):
		return fmt.Sprintf("Convertalk sent an answer we could not read (%s).", Truncate(SanitizeText(bad.Reason), maxAPIMessage))
	case errors.As(err, &conn):
		return fmt.Sprintf("Could not connect to %s: %s (%s).", Truncate(SanitizeText(conn.Host), maxAPIMessage), networkCause(conn.Err), attempts(conn.Attempts))
	case errors.Is(err, context.DeadlineExceeded):
		return "Convertalk took too long to answer. Try again in a moment."
	case errors.Is(err, context.Canceled):
		return "The request was cancelled (the bot is shutting down)."
	}
	return "Something went wrong on our side; the details are in the bot's log."
}

func explainRateLimit(e *inbox.RateLimitError) string {
	switch {
	case e.TooLong:
		return fmt.Sprintf("Convertalk is rate limiting us (429) and asks to wait %s, longer than this answer can wait. Try again later.", waitWords(e.RetryAfter))
	case e.RetryAfter > 0:
		return fmt.Sprintf("Convertalk is rate limiting us (429 after %s); it asks to wait %s.", attempts(e.Attempts), waitWords(e.RetryAfter))
	}
	return fmt.Sprintf("Convertalk is rate limiting us (429 after %s). Try again in a minute.", attempts(e.Attempts))
}

func explainRedirect(e *inbox.RedirectError) string {
	switch {
	case e.StatusCode == 0:
		return "Convertalk answered with a redirect we could not read; check INBOX_API_URL."
	case e.Host == "":
		return fmt.Sprintf("Convertalk answered with a redirect (%d); check INBOX_API_URL.", e.StatusCode)
	}
	return fmt.Sprintf("Convertalk answered with a redirect to %s (%d); check INBOX_API_URL.", Truncate(SanitizeText(e.Host), maxAPIMessage), e.StatusCode)
}

// explainAPIError words an API error. The API's message is a string from
// the inbox: inboxMessage sanitises and quotes it.
func explainAPIError(e *inbox.APIError) string {
	msg := inboxMessage(e.Message)
	switch {
	case e.StatusCode >= 200 && e.StatusCode < 300:
		// HTTP said yes and the envelope said no: not a refusal of ours.
		code := ""
		if e.Code != 0 && e.Code != e.StatusCode {
			code = fmt.Sprintf(" (code %d)", e.Code)
		}
		if msg == "" {
			return "Convertalk reported a failure without saying why" + code + "."
		}
		return "Convertalk reported a failure" + code + ": " + msg
	case e.StatusCode == 404:
		return withMessage("Convertalk has no inbox API at that address (404); check INBOX_API_URL", msg)
	case e.StatusCode >= 500 && e.TooLong:
		return withMessage(fmt.Sprintf("Convertalk is having trouble (%d) and asks to wait %s, longer than this answer can wait", e.StatusCode, waitWords(e.RetryAfter)), msg)
	case e.StatusCode >= 500:
		return withMessage(fmt.Sprintf("Convertalk is having trouble (%d after %s)", e.StatusCode, attempts(e.Attempts)), orNoMessage(msg))
	}
	return withMessage(fmt.Sprintf("Convertalk refused the request (%d)", e.StatusCode), orNoMessage(msg))
}

func withMessage(sentence, msg string) string {
	if msg == "" {
		return sentence + "."
	}
	return sentence + ": " + msg
}

func orNoMessage(msg string) string {
	if msg == "" {
		return "no message"
	}
	return msg
}

// inboxMessage makes a message from the API safe to show: control
// characters and escape sequences go (it must not drive a terminal), the
// length is capped, and it is set in a code span without backticks inside,
// so that in Slack it can neither ping (notices escape &, <, >) nor format
// anything. "" for an empty message.
func inboxMessage(s string) string {
	s = Truncate(strings.TrimSpace(SanitizeText(s)), maxAPIMessage)
	if s == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(s, "`", "'") + "`"
}

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

// networkCause says in a few words why a connection failed.
func networkCause(err error) string {
	var (
		dns    *net.DNSError
		cert   *tls.CertificateVerificationError
		record tls.RecordHeaderError
	)
	switch {
	case err == nil:
		return "network error"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dns) && dns.IsNotFound:
		return "no such host"
	case errors.As(err, &dns):
		return "DNS lookup failed"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host"
	case errors.As(err, &cert):
		return "its TLS certificate is not trusted"
	case errors.As(err, &record):
		return "it does not speak TLS (should INBOX_API_URL be http://?)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection closed without an answer"
	}
	return "network error: " + Truncate(SanitizeText(err.Error()), 120)
}

// waitWords writes a wait the way people say it: "45 s", "2 min 30 s",
// "27 h 47 min", "3 days 4 h"; rounded to what matters at its scale.
func waitWords(d time.Duration) string {
	switch {
	case d >= inbox.MaxRetryAfter:
		return "more than a year"
	case d < time.Minute:
		return strconv.Itoa(max(int(d.Round(time.Second)/time.Second), 1)) + " s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return unitsWords(int(d/time.Minute), "min", int(d%time.Minute/time.Second), "s")
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		return unitsWords(int(d/time.Hour), "h", int(d%time.Hour/time.Minute), "min")
	}
	d = d.Round(time.Hour)
	return unitsWords(int(d/(24*time.Hour)), "days", int(d%(24*time.Hour)/time.Hour), "h")
}

func unitsWords(big int, bigUnit string, small int, smallUnit string) string {
	s := strconv.Itoa(big) + " " + bigUnit
	if small > 0 {
		s += " " + strconv.Itoa(small) + " " + smallUnit
	}
	return s
}
