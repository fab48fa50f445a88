package bot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands"
)

const (
	// maxExportRows bounds one export; past it the file says where it stopped.
	maxExportRows = 100000
	// exportLookahead is how many pages are fetched ahead of the CSV writer.
	exportLookahead = 2
	// progressAfter is when a long export tells the user it is still going
	// (once: a response_url takes only five posts).
	progressAfter = 5 * time.Second
)

// export walks every page of the query, streams the matching contacts to a
// temporary CSV file (constant memory whatever the size), and uploads it to
// the channel.
func (b *Bot) export(ctx context.Context, text, channelID, userID, responseURL string, out *outcome) {
	q, err := b.svc.Parse(text, userID)
	if err != nil {
		out.result = "bad_query"
		b.respond(ctx, responseURL, commands.RenderError(commands.Explain(err)), reply{})
		return
	}
	out.query = logQuery(q)
	canonical := q.WithPage(1).Canonical()
	b.respond(ctx, responseURL, commands.RenderMrkdwn("Exporting "+commands.CodeSpan(canonical)+"… the CSV will appear in this channel."), reply{})

	file, err := os.CreateTemp("", "inboxbot-export-*.csv")
	if err != nil {
		out.result, out.err = "export_error", err
		b.respond(ctx, responseURL, commands.RenderError("The export could not start (no room for a temporary file)."), reply{})
		return
	}
	defer os.Remove(file.Name())
	defer file.Close()

	rows, capped, err := b.writeExport(ctx, q, file, responseURL)
	if err != nil {
		out.result, out.err = "inbox_error", err
		b.respond(ctx, responseURL, commands.RenderError("The export stopped: "+commands.Explain(err)), reply{})
		return
	}
	if rows == 0 {
		out.result = "ok"
		b.respond(ctx, responseURL, commands.RenderMrkdwn("No contacts match "+commands.CodeSpan(canonical)+"; nothing to export."), reply{})
		return
	}
	if err := b.upload(ctx, file, rows, capped, canonical, channelID, userID); err != nil {
		out.result, out.err = "slack_error", err
		b.respond(ctx, responseURL, commands.RenderError(uploadProblem(err)), reply{})
		return
	}
	out.result = "ok"
	b.metrics.answer.WithLabelValues(out.kind).Observe(b.opts.Now().Sub(out.started).Seconds())
}

// writeExport streams the rows; it reports how many and whether the row cap
// stopped it.
func (b *Bot) writeExport(ctx context.Context, q *commands.Query, file *os.File, responseURL string) (int, bool, error) {
	buf := bufio.NewWriterSize(file, 64*1024)
	cw, err := commands.NewCSVWriter(buf, b.svc.RenderOptions(false))
	if err != nil {
		return 0, false, err
	}
	now := b.opts.Now()
	started := time.Now()
	progressSent := false
	scanned := 0
	for u, err := range b.client.All(ctx, q.WithPage(1).Filter(), exportLookahead) {
		if err != nil {
			return 0, false, err
		}
		scanned++
		if q.HasPredicate() && !q.Match(u, now) {
			continue
		}
		if cw.Rows() >= maxExportRows {
			return cw.Rows(), true, flushAll(cw, buf)
		}
		if err := cw.Write(u); err != nil {
			return 0, false, err
		}
		if !progressSent && time.Since(started) > progressAfter {
			progressSent = true
			b.respond(ctx, responseURL, commands.RenderNotice(fmt.Sprintf("Still exporting: %d contacts so far (%d scanned)…", cw.Rows(), scanned)), reply{})
		}
	}
	return cw.Rows(), false, flushAll(cw, buf)
}

func flushAll(cw *commands.CSVWriter, buf *bufio.Writer) error {
	if err := cw.Flush(); err != nil {
		return err
	}
	return buf.Flush()
}

func (b *Bot) upload(ctx context.Context, file *os.File, rows int, capped bool, canonical, channelID, userID string) error {
	info, err := file.Stat()
	if err != nil {
		return err
	}
	if _, err := file.Seek(0, 0); err != nil {
		return err
	}
	comment := fmt.Sprintf("<@%s> exported %d contacts for %s.", userID, rows, commands.CodeSpan(canonical))
	if capped {
		comment += fmt.Sprintf(" The export stopped at %d rows; narrow the query for the rest.", maxExportRows)
	}
	stamp := b.opts.Now().In(b.cfg.Location()).Format("2006-01-02-1504")
	_, err = b.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader:         file,
		FileSize:       int(info.Size()),
		Filename:       "inbox-export-" + stamp + ".csv",
		Title:          "Inbox export " + stamp,
		InitialComment: comment,
		Channel:        channelID,
	})
	if err != nil {
		b.metrics.slackErrors.WithLabelValues("files.upload", slackErrorCode(err)).Inc()
	}
	return err
}

// uploadProblem says in words why Slack refused the file.
func uploadProblem(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "not_in_channel", "channel_not_found":
			return "I can't post files in this channel. Invite me first (`/invite @inboxbot`), then export again."
		case "ratelimited":
			return "Slack is rate limiting uploads right now; try the export again in a minute."
		}
		return "Slack refused the upload (" + se.Err + ")."
	}
	return "The upload to Slack failed; try again in a moment."
}
