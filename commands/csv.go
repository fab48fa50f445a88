package commands

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// csvHeader names the columns of an export.
var csvHeader = []string{
	"id", "name", "email", "phone", "country", "channel", "status", "online", "live_chat",
	"tags", "assignee", "segments", "last_message_by", "last_message_at", "last_seen_at",
	"created_at", "ordered", "unread", "link",
}

// CSVWriter writes contacts as CSV rows, one at a time, so an export of any
// size streams in constant memory.
type CSVWriter struct {
	w    *csv.Writer
	opts RenderOptions
	rows int
}

// NewCSVWriter writes the header and returns a writer for the rows. Emails
// and phones follow opts.PII; agent ids become names through opts.AgentNames.
func NewCSVWriter(w io.Writer, opts RenderOptions) (*CSVWriter, error) {
	cw := &CSVWriter{w: csv.NewWriter(w), opts: opts}
	if err := cw.w.Write(csvHeader); err != nil {
		return nil, err
	}
	return cw, nil
}

// Write appends one contact.
func (c *CSVWriter) Write(u inbox.User) error {
	c.rows++
	return c.w.Write(c.row(u))
}

// Rows returns the number of contacts written.
func (c *CSVWriter) Rows() int { return c.rows }

// Flush writes buffered rows and reports any write error.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

func (c *CSVWriter) row(u inbox.User) []string {
	loc := c.opts.Location
	if loc == nil {
		loc = time.UTC
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	assignee := u.AgentID
	if name, ok := c.opts.AgentNames[u.AgentID]; ok {
		assignee = name
	}
	link := inboxLink(c.opts.WebURL, u.ID)
	fields := []string{
		u.ID, u.Name, MaskEmail(u.Email, c.opts.PII), MaskPhone(u.Phone, c.opts.PII), u.Country,
		string(u.Channel()), string(u.Status), strconv.FormatBool(u.Online), strconv.FormatBool(u.LiveChat),
		strings.Join(u.Tags, ";"), assignee, strings.Join(u.Segments, ";"), string(u.LastMessage.By),
		at(u.LastMessage.At), at(u.LastSeenAt), at(u.CreatedAt), strconv.FormatBool(u.Ordered),
		strconv.Itoa(u.UnreadMessage), link,
	}
	for i, f := range fields {
		fields[i] = defuseFormula(stripControl(f))
	}
	return fields
}

// defuseFormula keeps a spreadsheet from running a cell as a formula
// (CSV injection): customer-controlled text starting with = + - @ gets a
// leading apostrophe, as OWASP recommends.
func defuseFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
