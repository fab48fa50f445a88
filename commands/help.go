package commands

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"
)

// helpExamples are whole queries shown at the end of the help; a test
// checks that each of them parses.
var helpExamples = []string{
	"online tag:vip unassigned",
	"live unassigned waiting:>10m",
	"mine status:open,inprogress seen:today",
	`channel:whatsapp created:7d -tag:spam "refund request"`,
	"-assigned:bob status:onhold seen:>30d",
}

const (
	helpTitle = "Inbox query syntax"
	helpIntro = "`/inbox QUERY` lists contacts of the Convertalk inbox. Words are searched; qualifiers narrow the search and combine with AND. " +
		"Names and values are case-insensitive; `-` before a qualifier excludes it. A bare `/inbox` runs the default query."
	helpFooter = "Ids are the API's 24-character ids; names come from INBOX_BOTS, INBOX_AGENTS and INBOX_SEGMENTS. " +
		"Every answer repeats the query in its canonical form and in words."
	// maxHelpSection keeps each section under Block Kit's 3,000 characters
	// with room to spare.
	maxHelpSection = 2800
)

// HelpText returns the help as plain terminal text: the sub-commands,
// generated from the command table, then the query language, generated from
// the qualifier table.
func HelpText() string {
	var b strings.Builder
	b.WriteString(helpTitle + "\n\n" + plainHelp(helpIntro) + "\n")
	b.WriteString("\n" + commandsGroup + "\n")
	for _, l := range commandHelpLines(false) {
		b.WriteString(l + "\n")
	}
	for _, g := range helpGroups {
		b.WriteString("\n" + g + "\n")
		for _, q := range qualifierTable {
			if q.group != g {
				continue
			}
			b.WriteString("  " + strings.Join(q.forms, "  ") + "\n")
			b.WriteString("      " + plainHelp(q.desc) + "\n")
			if q.negation != "" {
				b.WriteString("      negated: " + q.negation + "\n")
			}
		}
	}
	b.WriteString("\nExamples\n")
	for _, e := range helpExamples {
		b.WriteString("  /inbox " + e + "\n")
	}
	b.WriteString("\n" + plainHelp(helpFooter) + "\n")
	return b.String()
}

// plainHelp drops the code-span backticks of help text for the terminal.
func plainHelp(s string) string { return strings.ReplaceAll(s, "`", "") }

// HelpBlocks returns the same help as Block Kit: a header, an introduction,
// the sub-commands of the command table, one section per group (split if ever too long) with the forms in code
// spans, the examples and a context line. It stays within Block Kit limits.
func HelpBlocks() []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, helpTitle, false, false), slack.HeaderBlockOptionBlockID("help_title")),
		helpSection("help_intro", escapeHelp(helpIntro)),
	}
	for j, text := range packLines("*"+commandsGroup+"*", commandHelpLines(true)) {
		blocks = append(blocks, helpSection("help_commands_"+strconv.Itoa(j), text))
	}
	for i, g := range helpGroups {
		var lines []string
		for _, q := range qualifierTable {
			if q.group == g {
				lines = append(lines, helpLine(q))
			}
		}
		for j, text := range packLines("*"+escapeHelp(g)+"*", lines) {
			blocks = append(blocks, helpSection("help_"+strconv.Itoa(i)+"_"+strconv.Itoa(j), text))
		}
	}
	examples := make([]string, len(helpExamples))
	for i, e := range helpExamples {
		examples[i] = "`/inbox " + escapeHelp(e) + "`"
	}
	for j, text := range packLines("*Examples*", examples) {
		blocks = append(blocks, helpSection("help_examples_"+strconv.Itoa(j), text))
	}
	blocks = append(blocks, slack.NewContextBlock("help_footer", slack.NewTextBlockObject(slack.MarkdownType, escapeHelp(helpFooter), false, false)))
	return blocks
}

func helpSection(id, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil, slack.SectionBlockOptionBlockID(id))
}

// helpLine writes one qualifier: its forms in code spans, then what it means.
func helpLine(q qualifier) string {
	forms := make([]string, len(q.forms))
	for i, f := range q.forms {
		forms[i] = "`" + escapeHelp(f) + "`"
	}
	line := "• " + strings.Join(forms, " ") + " — " + escapeHelp(q.desc)
	if q.negation != "" {
		line += "; negated: `" + escapeHelp(q.negation) + "`"
	}
	return line
}

// packLines joins a title and lines into as few texts as fit a section.
func packLines(title string, lines []string) []string {
	var texts []string
	cur, empty := title, true
	for _, l := range lines {
		if !empty && len(cur)+1+len(l) > maxHelpSection {
			texts = append(texts, cur)
			cur = title + " (continued)"
		}
		cur += "\n" + truncateRunes(l, maxHelpSection-len(cur)-1)
		empty = false
	}
	return append(texts, cur)
}

// truncateRunes cuts s to at most n bytes without splitting a character.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:max(n, 0)], "")
}

// escapeHelp escapes &, < and > for mrkdwn.
func escapeHelp(s string) string { return slackutilsx.EscapeMessage(s) }
