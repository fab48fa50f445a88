package commands

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Message is a Slack message: the notification fallback text and the
// blocks. Its JSON is the body Slack expects ({"text","blocks"}).
type Message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks,omitempty"`
}

// Rendering budgets. Slack allows 50 blocks and 3,000 characters a
// section; the undocumented msg_blocks_too_long starts at about 12,000
// characters of text in all blocks (blockcheck.MaxBlocksText), so we stay
// under 11,000 with room to spare.
const (
	maxSections    = 40    // contact sections: 5 other blocks at most, 50 in all
	maxSectionText = 3000  // Slack's section text limit
	maxBlocksText  = 11000 // all text objects of one answer
	maxQueryShown  = 1000  // the canonical query in the echo
	maxWordsShown  = 1000  // the interpretation in words
	maxFallback    = 300   // the query in the notification text
	entrySep       = "\n\n"
)

// Block ids of an answer; contact sections are "inbox_list_1", "_2", ...
const (
	blockHead    = "inbox_head"
	blockQuery   = "inbox_query"
	blockEmpty   = "inbox_empty"
	blockList    = "inbox_list_"
	blockMore    = "inbox_more"
	blockUpdated = "inbox_updated"
	blockActions = "inbox_actions"
	blockNotice  = "inbox_notice"
)

// detail is how much of a contact an entry shows; RenderAnswer falls back
// to less detail when a page would not fit Slack's limits otherwise.
type detail int

const (
	detailFull    detail = iota // three lines: markers, assignee, tags, PII
	detailCompact               // one line, linked
	detailMinimal               // one short line, no link
)

// RenderAnswer renders an answer as Block Kit (SPEC §6): a header with the
// count, the canonical query and its words, one entry per contact, when it
// was made, and the buttons. Every Block Kit limit holds whatever the data:
// text from the inbox is escaped and capped, contacts are packed several to
// a section when there are many, and entries lose detail (then the tail of
// the page is left out, saying how many) when the page is still too big.
func RenderAnswer(a *Answer, o RenderOptions) Message {
	o = o.normalized()
	head := headline(a)
	query := queryLine(a)
	updated := updatedLine(a, o)
	blocks := []slack.Block{
		slack.NewHeaderBlock(plainText(head), slack.HeaderBlockOptionBlockID(blockHead)),
		contextBlock(blockQuery, query),
	}
	if len(a.Users) == 0 {
		blocks = append(blocks, sectionBlock(blockEmpty, emptyLine(a)))
	} else {
		used := runes(head) + runes(query) + runes(updated) + 200 // buttons and the "more" line
		blocks = append(blocks, contactBlocks(a, o, maxBlocksText-used)...)
	}
	if updated != "" {
		blocks = append(blocks, contextBlock(blockUpdated, updated))
	}
	blocks = append(blocks, actionsBlock(blockActions, a, o))
	return Message{Text: fallbackText(a, head), Blocks: blocks}
}

// queryLine echoes what was understood: the canonical query in a code span
// (so it can be copied and run again), its words, and the page.
func queryLine(a *Answer) string {
	var parts []string
	if q := Truncate(escapeCode(a.Canonical), maxQueryShown); q != "" {
		parts = append(parts, "`"+q+"`")
	}
	if w := Truncate(EscapeMrkdwn(a.Words), maxWordsShown); w != "" {
		parts = append(parts, w)
	}
	parts = append(parts, "page "+strconv.Itoa(max(a.Page, 1)))
	return strings.Join(parts, " · ")
}

// emptyLine explains a page without contacts: past the end, a scan that
// stopped at its bound, or nothing matches.
func emptyLine(a *Answer) string {
	if a.PastEnd || a.Truncated {
		return emptyReason(a)
	}
	what := "this query"
	if q := Truncate(escapeCode(a.Canonical), maxQueryShown); q != "" {
		what = "`" + q + "`"
	}
	return "Nothing matches " + what + ". Try removing a qualifier, or `/inbox help`."
}

// fallbackText is the notification text: the count and the query, or, past
// the end, why the page is empty.
func fallbackText(a *Answer, head string) string {
	if a.PastEnd {
		return emptyReason(a) + " (" + CodeSpan(Truncate(a.Canonical, maxFallback)) + ", page " + strconv.Itoa(a.Page) + ")"
	}
	text := head
	if q := Truncate(escapeCode(a.Canonical), maxFallback); q != "" {
		text += " for `" + q + "`"
	}
	if a.Page > 1 {
		text += " (page " + strconv.Itoa(a.Page) + ")"
	}
	return text
}

// contactBlocks renders the contacts in at most maxSections sections and
// budget characters, with as much detail as fits.
func contactBlocks(a *Answer, o RenderOptions, budget int) []slack.Block {
	views := make([]contactView, len(a.Users))
	for i, u := range a.Users {
		views[i] = viewOf(u, o, mrkdwnEscapers())
	}
	var sections []string
	shown := 0
	for level := detailFull; level <= detailMinimal; level++ {
		entries := make([]string, len(views))
		for i, v := range views {
			entries[i] = rowNumber(a, i) + ". " + mrkdwnEntry(v, level)
		}
		sections, shown = packEntries(entries, maxSections, budget)
		if shown == len(entries) {
			break
		}
	}
	blocks := make([]slack.Block, 0, len(sections)+1)
	for i, s := range sections {
		blocks = append(blocks, sectionBlock(blockList+strconv.Itoa(i+1), s))
	}
	if left := len(views) - shown; left > 0 {
		blocks = append(blocks, contextBlock(blockMore, "… and "+strconv.Itoa(left)+
			" more on this page, left out to fit Slack's limits: Export CSV has them all."))
	}
	return blocks
}

// packEntries groups entries into sections: evenly, at most maxSections
// sections of at most maxSectionText characters and budget characters in
// all. It returns the sections and how many entries they hold (a prefix).
func packEntries(entries []string, maxSections, budget int) ([]string, int) {
	perSection := (len(entries) + maxSections - 1) / maxSections
	var sections []string
	var cur strings.Builder
	curCount, curRunes, total := 0, 0, 0
	flush := func() {
		sections = append(sections, cur.String())
		cur.Reset()
		curCount, curRunes = 0, 0
	}
	for i, e := range entries {
		n := runes(e)
		if curCount > 0 && (curCount == perSection || curRunes+len(entrySep)+n > maxSectionText) {
			flush()
		}
		if curCount == 0 && len(sections) == maxSections || total+n+len(entrySep) > budget || n > maxSectionText {
			if curCount > 0 {
				flush()
			}
			return sections, i
		}
		if curCount > 0 {
			cur.WriteString(entrySep)
			curRunes += len(entrySep)
		}
		cur.WriteString(e)
		curRunes += n
		total += n + len(entrySep)
		curCount++
	}
	if curCount > 0 {
		flush()
	}
	return sections, len(entries)
}

// mrkdwnEntry writes one contact at the given level of detail.
func mrkdwnEntry(v contactView, level detail) string {
	name := v.name
	if level == detailMinimal {
		name = Truncate(name, capNameTiny)
	}
	title := "*" + name + "*"
	if v.link != "" && level != detailMinimal {
		title = "*<" + v.link + "|" + name + ">*"
	}
	title += " " + onlineDot(v.online)
	assignee := v.assignee
	if v.unassigned {
		assignee = "_Unassigned_"
	}
	if level != detailFull {
		markers := ""
		if v.liveChat {
			markers += "💬"
		}
		if v.ordered {
			markers += "🛒"
		}
		channel := v.channel
		if level == detailMinimal {
			channel = ""
		}
		return title + " " + joinNonEmpty(" · ", channel, v.status, assignee, v.seen, markers)
	}
	line1 := title + " " + joinNonEmpty(" · ", v.channel, v.status, ifThen(v.liveChat, "💬 live chat"), ifThen(v.ordered, "🛒 ordered"))
	line2 := joinNonEmpty(" · ", "👤 "+assignee, prefixed("seen ", v.seen), suffixed(v.lastBy, " wrote last"))
	line3 := joinNonEmpty(" · ", prefixed("🏷 ", v.tags), labeledCode("✉️ ", v.email), labeledCode("📞 ", v.phone))
	return joinNonEmpty("\n", line1, line2, line3)
}

func onlineDot(online bool) string {
	if online {
		return "🟢"
	}
	return "⚪"
}

// actionsBlock is the buttons, in a block with the given block_id (a
// digest's buttons are told apart by theirs, see IsDigestBlock). Past the
// end there is only the way back (and Refresh when the page has a start to
// show again): nothing to share or export from a page that holds nothing.
func actionsBlock(blockID string, a *Answer, o RenderOptions) *slack.ActionBlock {
	var buttons []slack.BlockElement
	if s, ok := prevState(a); ok {
		buttons = append(buttons, button(ActionPrev, "◀ "+prevLabel(a), s.Encode()))
	}
	if s, ok := nextState(a); ok {
		buttons = append(buttons, button(ActionNext, "Next ▶", s.Encode()).WithStyle(slack.StylePrimary))
	}
	here := hereState(a).Encode()
	if a.PastEnd {
		if a.Start.Page >= 1 {
			buttons = append(buttons, button(ActionRefresh, "Refresh", here))
		}
		return slack.NewActionBlock(blockID, buttons...)
	}
	buttons = append(buttons, button(ActionRefresh, "Refresh", here))
	if o.Ephemeral {
		buttons = append(buttons, button(ActionShare, "Share in channel", here))
	}
	if a.Total != 0 { // nothing to export from an empty result
		buttons = append(buttons, button(ActionExport, "Export CSV", here))
	}
	return slack.NewActionBlock(blockID, buttons...)
}

func button(actionID, label, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plainText(label))
}

// RenderError renders a short error for the user (an ephemeral answer).
// msg is one of our sentences (commands.Explain): &, < and > are escaped so
// nothing in it can ping or link; its `code spans` are kept.
func RenderError(msg string) Message {
	if strings.TrimSpace(msg) == "" {
		msg = "Something went wrong."
	}
	return notice("⚠️ ", msg)
}

// RenderNotice renders a short message of ours for the user (an ephemeral
// answer), escaped as RenderError is.
func RenderNotice(text string) Message {
	if strings.TrimSpace(text) == "" {
		text = "(no message)"
	}
	return notice("", text)
}

// RenderMrkdwn renders a short message whose mrkdwn the caller built from
// fixed text and untrusted parts passed through EscapeMrkdwn or CodeSpan,
// e.g. RenderMrkdwn("Exporting " + CodeSpan(query) + "…"). Use RenderNotice
// for text that is not mrkdwn. Too long text is cut, never an entity.
func RenderMrkdwn(mrkdwn string) Message {
	if strings.TrimSpace(mrkdwn) == "" {
		mrkdwn = "(no message)"
	}
	return noticeBlock("", Truncate(mrkdwn, maxSectionText))
}

// CodeSpan writes untrusted text (a query) as a mrkdwn code span: escaped
// (&, <, >) and with backticks replaced, but otherwise as typed, so that it
// can be copied and run again. Long text is cut to 1,000 characters.
func CodeSpan(s string) string {
	return "`" + Truncate(escapeCode(s), maxQueryShown) + "`"
}

// notice renders one of our own sentences. Only &, < and > are escaped: that
// is what keeps a quoted token (a query typed as `<!channel>`) from pinging
// or linking, while our code spans and names like INBOX_API_TOKEN stay as
// written (the full EscapeMrkdwn is for customer text).
func notice(prefix, text string) Message {
	return noticeBlock(prefix, Truncate(escapeEntitiesOnly(text), maxSectionText-runes(prefix)))
}

func noticeBlock(prefix, body string) Message {
	return Message{
		Text:   body,
		Blocks: []slack.Block{sectionBlock(blockNotice, prefix+body)},
	}
}

// plainText is a plain_text object for our own fixed labels.
func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// mrkdwnText is a mrkdwn object; verbatim stops Slack from auto-linking
// URLs and channel names found in (escaped) customer text.
func mrkdwnText(s string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: s, Verbatim: true}
}

func sectionBlock(id, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwnText(text), nil, nil, slack.SectionBlockOptionBlockID(id))
}

func contextBlock(id, text string) *slack.ContextBlock {
	return slack.NewContextBlock(id, mrkdwnText(text))
}

func joinNonEmpty(sep string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return b.String()
}

func ifThen(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func suffixed(s, suffix string) string {
	if s == "" {
		return ""
	}
	return s + suffix
}

func labeledCode(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + "`" + s + "`"
}

func runes(s string) int { return utf8.RuneCountInString(s) }
