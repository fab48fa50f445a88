// STUB: replaced by the real implementation at merge; delete this file.

package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands/schedule"
)

// Digest is a saved digest (store kind "digest", versioned JSON v1).
type Digest struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	Schedule  string    `json:"schedule"`
	Query     string    `json:"query"`
	Title     string    `json:"title,omitempty"`
	Quiet     bool      `json:"quiet,omitempty"`
	Paused    bool      `json:"paused,omitempty"`
	PausedWhy string    `json:"paused_why,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Source    string    `json:"source"`
	LastSlot  time.Time `json:"last_slot,omitempty"`
}

// Digest sources.
const (
	DigestSourceSlack = "slack"
	DigestSourceFile  = "rules file"
)

// DigestBlockPrefix starts the block_id of a digest's actions block.
const DigestBlockPrefix = "digest_"

// DigestAdd is what `digest add` says.
type DigestAdd struct {
	Schedule schedule.Schedule
	Title    string
	Quiet    bool
	Query    *Query
}

// ParseDigestAdd reads the args of `digest add` (stub).
func ParseDigestAdd(args string, env Env, loc *time.Location) (DigestAdd, error) {
	words := strings.Fields(args)
	for n := len(words); n >= 1; n-- {
		s, err := schedule.Parse(strings.Join(words[:n], " "), loc)
		if err != nil {
			continue
		}
		rest := words[n:]
		var a DigestAdd
		a.Schedule = s
		if len(rest) > 0 && rest[0] == "quiet" {
			a.Quiet, rest = true, rest[1:]
		}
		q, err := Parse(strings.Join(rest, " "), env)
		if err != nil {
			return DigestAdd{}, err
		}
		a.Query = q
		return a, nil
	}
	_, err := schedule.Parse(args, loc)
	return DigestAdd{}, &QueryError{Token: args, Message: err.Error()}
}

// ParseDigestPreview reads `digest preview` (stub).
func ParseDigestPreview(args string, env Env) (string, *Query, error) {
	q, err := Parse(args, env)
	return "", q, err
}

// ParseDigestID reads one id (stub).
func ParseDigestID(verb, args string) (string, error) {
	f := strings.Fields(args)
	if len(f) != 1 {
		return "", &QueryError{Message: "Usage: `/inbox digest " + verb + " ID`."}
	}
	return f[0], nil
}

// DigestReport is one run of a digest.
type DigestReport struct {
	Digest  Digest
	Words   string
	Summary DigestSummary
	First   *Answer
	RanAt   time.Time
	Next    time.Time
	Late    bool
	Slot    time.Time
	Preview bool
}

// RenderDigest renders a digest (stub).
func RenderDigest(r DigestReport, o RenderOptions) Message {
	head := fmt.Sprintf("%s: %d", r.Digest.Title, r.Summary.Count)
	if r.Digest.Title == "" {
		head = fmt.Sprintf("%s: %d", r.Words, r.Summary.Count)
	}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, EscapeMrkdwn(head), false, false), nil, nil)}
	if r.First != nil {
		ans := RenderAnswer(r.First, o)
		for _, b := range ans.Blocks {
			if ab, ok := b.(*slack.ActionBlock); ok {
				ab.BlockID = DigestBlockPrefix + "actions"
			}
			if _, ok := b.(*slack.HeaderBlock); ok {
				continue
			}
			blocks = append(blocks, b)
		}
	}
	ctx := "id " + r.Digest.ID
	if r.Late {
		ctx += " · late: scheduled for " + r.Slot.Format("15:04")
	}
	blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, EscapeMrkdwn(ctx), false, false)))
	return Message{Text: head, Blocks: blocks}
}

// RenderDigestText renders a digest as text (stub).
func RenderDigestText(r DigestReport, o RenderOptions) string { return RenderDigest(r, o).Text }

// IsDigestBlock reports whether a block_id belongs to a digest message.
func IsDigestBlock(blockID string) bool { return strings.HasPrefix(blockID, DigestBlockPrefix) }

// RenderDigestAdded is the confirmation posted on add (stub).
func RenderDigestAdded(d Digest, scheduleWords string, next []time.Time, o RenderOptions) Message {
	var times []string
	for _, t := range next {
		times = append(times, t.Format("Mon 15:04"))
	}
	text := fmt.Sprintf("<@%s> set up digest %s: %s (%s); next %s", d.CreatedBy, d.ID, scheduleWords, EscapeMrkdwn(d.Query), strings.Join(times, ", "))
	return RenderMrkdwn(text)
}

// DigestListItem is one line of a list.
type DigestListItem struct {
	Digest        Digest
	ScheduleWords string
	Next          time.Time
}

// RenderDigestList renders a list of digests (stub).
func RenderDigestList(items []DigestListItem, all bool, o RenderOptions) Message {
	if len(items) == 0 {
		return RenderNotice("No digests.")
	}
	var lines []string
	for _, it := range items {
		line := fmt.Sprintf("%s %s %s %s source:%s", it.Digest.ID, it.ScheduleWords, EscapeMrkdwn(it.Digest.Query), it.Next.Format(time.RFC3339), it.Digest.Source)
		if it.Digest.Paused {
			line += " paused: " + EscapeMrkdwn(it.Digest.PausedWhy)
		}
		lines = append(lines, line)
	}
	return RenderMrkdwn(strings.Join(lines, "\n"))
}

// DigestNotInChannel is the answer when the bot cannot post in the channel.
func DigestNotInChannel() string {
	return "I can't post in this channel yet: `/invite @inboxbot`, then try again."
}

// DigestAdminsOnly is the refusal of a verb reserved to admins.
func DigestAdminsOnly(verb string, admins []string) string {
	var m []string
	for _, a := range admins {
		m = append(m, "<@"+a+">")
	}
	return "Only " + strings.Join(m, ", ") + " may " + verb + " digests."
}

// DigestNotFound says there is no such digest.
func DigestNotFound(id string) string { return "There is no digest " + id + "." }

// DigestFileRule says a file digest cannot be removed from Slack.
func DigestFileRule(id string) string {
	return id + " is declared in RULES_FILE: edit the file to remove it"
}

// DigestRemoved confirms a removal.
func DigestRemoved(id string) string { return "Removed " + id + "." }

// DigestPausedMsg confirms a pause.
func DigestPausedMsg(id string) string { return "Paused " + id + "." }

// DigestResumed confirms a resume.
func DigestResumed(id string, next time.Time) string {
	return "Resumed " + id + "; next run " + next.Format(time.RFC3339) + "."
}
