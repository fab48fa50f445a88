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
	return title, lines, true
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
