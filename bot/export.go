package bot

import (
	"bufio"
	"context"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/inbox"
)

const (
	// maxExportRows bounds one export; past it the file says where it stopped.
	maxExportRows = 100000
	// exportConcurrency is how many page requests an export has in flight:
	// the page the CSV writer waits for and two fetched ahead.
	exportConcurrency = 3
)

// export reads the query of an Export button (text), then exports it.
func (b *Bot) export(ctx context.Context, text, channelID, userID, responseURL string, out *outcome) {
	q, err := b.svc.Parse(text, userID)
	if err != nil {
		out.result = "bad_query"
		b.respond(ctx, responseURL, commands.RenderError(commands.Explain(err)), reply{})
		return
	}
	b.exportQuery(ctx, q, channelID, userID, responseURL, out)
}

// exportQuery walks every page of the query (commands.Scan, through the
// service's cached and coalesced source, like answers), streams the
// matching contacts to a temporary CSV file (constant memory whatever the
// size), and uploads it to the channel.
func (b *Bot) exportQuery(ctx context.Context, q *commands.Query, channelID, userID, responseURL string, out *outcome) {
	out.query = logQuery(q)
	canonical := q.WithPage(1).Canonical()
	b.respond(ctx, responseURL, commands.RenderMrkdwn(commands.ExportStarted(canonical)), reply{})

	file, err := os.CreateTemp("", "inboxbot-export-*.csv")
	if err != nil {
		out.result, out.err = "export_error", err
		b.respond(ctx, responseURL, commands.RenderError(commands.ExportNoTempFile), reply{})
		return
	}
	defer os.Remove(file.Name())
	defer file.Close()

	rows, capped, err := b.writeExport(ctx, q, file, responseURL)
	if err != nil {
		out.result, out.err = "inbox_error", err
		b.fail(ctx, responseURL, commands.ExportStopped(err))
		return
	}
	if rows == 0 {
		out.result = "ok"
		b.respond(ctx, responseURL, commands.RenderMrkdwn(commands.ExportEmpty(canonical)), reply{})
		return
	}
	if err := b.upload(ctx, file, rows, capped, canonical, channelID, userID); err != nil {
		out.result, out.err = "slack_error", err
		b.fail(ctx, responseURL, commands.Explain(err))
		return
	}
	out.result = "ok"
	b.metrics.answer.WithLabelValues(out.kind).Observe(b.opts.Now().Sub(out.started).Seconds())
}

// writeExport streams the rows; it reports how many and whether the row cap
// stopped it. A long export tells the user once that it is still going.
func (b *Bot) writeExport(ctx context.Context, q *commands.Query, file *os.File, responseURL string) (int, bool, error) {
	buf := bufio.NewWriterSize(file, 64*1024)
	cw, err := commands.NewCSVWriter(buf, b.svc.RenderOptions(false))
	if err != nil {
		return 0, false, err
	}
	var progress exportProgress
	stop := b.progressNote(ctx, responseURL, &progress)
	defer stop()
	var werr error
	opt := commands.ScanOptions{
		Limit:       maxExportRows,
		Concurrency: exportConcurrency,
		Progress:    func(r commands.ScanResult) { progress.scanned.Store(int64(r.Scanned)) },
	}
	res, err := b.svc.Scan(ctx, q, opt, func(u inbox.User) bool {
		if werr = cw.Write(u); werr != nil {
			return false
		}
		progress.rows.Add(1)
		return true
	})
	switch {
	case err != nil:
		return 0, false, err
	case werr != nil:
		return 0, false, werr
	}
	return cw.Rows(), res.Capped, flushAll(cw, buf)
}

// exportProgress is how far an export got, read by the progress note.
type exportProgress struct {
	rows, scanned atomic.Int64
}

// progressNote posts "still exporting" once if the export is still running
// after ProgressAfter, whether or not rows are arriving (a slow inbox is
// exactly when the user needs it). The returned stop waits for a note being
// posted, so that it never lands after the export's final message.
func (b *Bot) progressNote(ctx context.Context, responseURL string, p *exportProgress) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		timer := time.NewTimer(b.opts.ProgressAfter)
		defer timer.Stop()
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		note := commands.ExportProgress(p.rows.Load(), p.scanned.Load())
		b.respond(ctx, responseURL, commands.RenderNotice(note), reply{})
	})
	return func() {
		close(done)
		wg.Wait()
	}
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
	cappedAt := 0
	if capped {
		cappedAt = maxExportRows
	}
	comment := commands.ExportComment(userID, rows, canonical, cappedAt)
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
	return slackFailure(commands.SlackFilesUpload, err)
}
