package commands

import (
	"strconv"
	"strings"
)

// maxTextQuery caps the query echoed in terminal text.
const maxTextQuery = 200

// RenderText renders an answer as readable terminal text, for `inboxbot
// shell` and `inboxbot query`: the same content as RenderAnswer without
// mrkdwn. Text from the inbox is stripped of control characters (a hostile
// name cannot move the cursor or recolour the terminal) and capped; the PII
// mode is honoured.
func RenderText(a *Answer, o RenderOptions) string {
	o = o.normalized()
	var b strings.Builder
	head := headline(a)
	if q := Truncate(SanitizeText(a.Canonical), maxTextQuery); q != "" {
		head += " — " + q
	}
	b.WriteString(head + "\n")
	b.WriteString(joinNonEmpty(" · ", Truncate(SanitizeText(a.Words), maxTextQuery), "page "+strconv.Itoa(max(a.Page, 1))) + "\n\n")
	switch {
	case len(a.Users) > 0:
	case a.PastEnd || a.Truncated:
		b.WriteString(emptyReason(a) + "\n\n")
	default:
		b.WriteString("Nothing matches. Try removing a qualifier, or /inbox help.\n\n")
	}
	width := len(rowNumber(a, len(a.Users)-1))
	for i, u := range a.Users {
		writeTextEntry(&b, rowNumber(a, i), width, viewOf(u, o, terminalEscapers()))
	}
	if line := updatedLine(a, o); line != "" {
		b.WriteString(line + "\n")
	}
	if nav := textNav(a); nav != "" {
		b.WriteString(nav + "\n")
	}
	return b.String()
}

func writeTextEntry(b *strings.Builder, num string, width int, v contactView) {
	indent := strings.Repeat(" ", width+2)
	b.WriteString(strings.Repeat(" ", width-len(num)) + num + ". ")
	b.WriteString(v.name + " " + onlineDot(v.online) + " " +
		joinNonEmpty(" · ", v.channel, v.status, ifThen(v.liveChat, "live chat"), ifThen(v.ordered, "ordered")) + "\n")
	assignee := v.assignee
	if v.unassigned {
		assignee = "Unassigned"
	}
	b.WriteString(indent + joinNonEmpty(" · ", assignee, prefixed("seen ", v.seen), suffixed(v.lastBy, " wrote last")) + "\n")
	if line := joinNonEmpty(" · ", prefixed("tags: ", v.tags), v.email, v.phone); line != "" {
		b.WriteString(indent + line + "\n")
	}
	if v.link != "" {
		b.WriteString(indent + v.link + "\n")
	}
	b.WriteString("\n")
}

// textNav says which pages the shell's next/prev can reach.
func textNav(a *Answer) string {
	var nav []string
	if _, ok := a.PrevPosition(); ok {
		if a.PastEnd {
			nav = append(nav, "◀ prev ("+strings.ToLower(prevLabel(a))+")")
		} else {
			nav = append(nav, "◀ prev")
		}
	}
	if a.Next != nil {
		nav = append(nav, "next ▶")
	}
	if len(nav) == 0 {
		return ""
	}
	return "More: " + strings.Join(nav, " · ")
}
