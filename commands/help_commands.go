package commands

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// commandsGroup is the help's section of sub-commands, drawn from
// commandTable.
const commandsGroup = "Commands"

// commandHelpLines lists the sub-commands of the table for the help, as
// mrkdwn (code spans, escaped) or as plain terminal text.
func commandHelpLines(mrkdwn bool) []string {
	lines := make([]string, 0, len(commandTable))
	for _, c := range commandTable {
		summary := c.summary
		if !c.ready {
			summary += " (coming soon)"
		}
		lines = append(lines, helpEntry("/inbox "+c.usage, summary, mrkdwn))
	}
	return lines
}

// helpEntry writes one line of help: a form and what it does.
func helpEntry(form, summary string, mrkdwn bool) string {
	if !mrkdwn {
		return "  " + form + "\n      " + plainHelp(summary)
	}
	return "• `" + escapeHelp(form) + "` — " + escapeHelp(summary)
}

// topicHelp returns the title and lines of `help TOPIC` for a command with
// verbs (digest, alert) or export; ok is false for any other topic.
func topicHelp(topic string, mrkdwn bool) (title string, lines []string, ok bool) {
	spec := lookupCommand(topic)
	if spec == nil || spec.name == "help" {
		return "", nil, false
	}
	title = "/inbox " + spec.name + ": " + spec.summary
	if !spec.ready {
		title += " (coming soon)"
	}
	if len(spec.verbs) == 0 {
		return title, []string{helpEntry("/inbox "+spec.usage, spec.summary, mrkdwn)}, true
	}
	for _, v := range spec.verbs {
		lines = append(lines, helpEntry("/inbox "+spec.name+" "+v.usage, v.summary, mrkdwn))
	}
	for _, n := range topicNotes[spec.name] {
		lines = append(lines, helpEntry(n.form, n.summary, mrkdwn))
	}
	return title, lines, true
}

// topicNotes are the forms a topic's verbs take, after the verbs: the
// conditions and options of an alert rule (SPEC §8), with examples.
var topicNotes = map[string][]helpNote{
	"alert": {
		{"count>=5, count>5", "the condition: fires when at least (more than) 5 contacts match; counted up to 5,000"},
		{"new", "the condition: announces each contact that starts matching, once"},
		{"for 10m", "count: fires only when the condition has held that long (default 0)"},
		{"keep 5m", "resolves (count) or announces a contact again (new) only after that long (default 2 × ALERT_INTERVAL)"},
		{"repeat 4h, repeat off", "count: reminds in the thread while firing and not acknowledged (default 4h)"},
		{"notify @here", "mentions `@here`, `@channel`, a person or a user group (picked from the @ menu) in the first post and the reminders"},
		{"wait 1m", "new: batches the contacts found within that long into one message (default 30s)"},
		{"hours \"Mon-Fri 08:00-18:00\"", "active hours (DIGEST_TZ); outside them the rule is not evaluated"},
		{"/inbox alert add count>=5 for 10m notify @here live unassigned", "example: a queue that is too long"},
		{"/inbox alert add new wait 1m online tag:vip", "example: VIPs coming online"},
	},
}

// TopicHelpText returns the help of one command as terminal text; the
// whole help (HelpText) for "" or an unknown topic.
func TopicHelpText(topic string) string {
	title, lines, ok := topicHelp(topic, false)
	if !ok {
		return HelpText()
	}
	return title + "\n\n" + strings.Join(lines, "\n") + "\n"
}

// TopicHelpBlocks returns the help of one command as Block Kit; the whole
// help (HelpBlocks) for "" or an unknown topic.
func TopicHelpBlocks(topic string) []slack.Block {
	title, lines, ok := topicHelp(topic, true)
	if !ok {
		return HelpBlocks()
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncateRunes(title, 150), false, false), slack.HeaderBlockOptionBlockID("help_title")),
	}
	for j, text := range packLines("*Commands*", lines) {
		blocks = append(blocks, helpSection("help_topic_"+strconv.Itoa(j), text))
	}
	return blocks
}

// helpNote is one line of a topic's notes: a form and what it does.
type helpNote struct {
	form, summary string
}
