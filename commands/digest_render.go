package commands

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/inbox"
)

// DigestReport is one run of a digest, ready to render.
type DigestReport struct {
	Digest  Digest        // Title "" -> the query in words
	Words   string        // the query in words
	Summary DigestSummary // over all matches (bounded)
	First   *Answer       // the first page of contacts, as an answer renders it; nil: none
	RanAt   time.Time     // zero: RenderOptions.Now
	Next    time.Time     // next run (zero when paused / none / a preview)
	Late    bool          // posted late: the context line says "late: scheduled for 09:00"
	Slot    time.Time     // the scheduled time (for the late line)
	Preview bool          // shell/query preview: no id line
}

// Limits of a digest's breakdown table: beyond them (or with a name that
// is long or holds markup characters) the breakdown is compact text.
const (
	maxDigestTableRows = 20 // header rows included
	maxDigestTableCell = 40 // characters of a name
	maxBreakdownItems  = 10 // names per line of the compact text
	maxHeaderText      = 150
	maxListSections    = 45 // digest list: 50 blocks with the head and the "more" line
	maxListQuery       = 200
	maxPausedWhy       = 200
)

// tally is one row of a breakdown, its name not yet escaped.
type tally struct {
	name  string
	count int
}

// RenderDigest renders a digest run as Block Kit (SPEC §7): a header with
// the title and the count ("5,000+" when capped), the query, the oldest
// waiting time, the breakdown by channel and by assignee (a table block
// when it fits, else compact text), the first page of contacts rendered as
// an answer renders them with the same paging buttons, in an actions block
// whose block_id starts with DigestBlockPrefix, and a context line: when it
// ran (late or not), the next run, the digest id. Every Block Kit limit
// holds whatever the data; inbox text is escaped as in answers.
func RenderDigest(r DigestReport, o RenderOptions) Message {
	o, ran := digestRenderOptions(r, o)
	head := digestHeadline(r)
	query := digestQueryLine(r)
	footer := digestFooter(r, ran, o)
	blocks := []slack.Block{
		slack.NewHeaderBlock(plainText(head), slack.HeaderBlockOptionBlockID(blockDigestHead)),
		contextBlock(blockDigestQuery, query),
	}
	used := runes(head) + runes(query) + runes(footer) + 200 // buttons and the "more" line
	if r.Summary.Count > 0 {
		waiting := oldestWaitingLine(r.Summary, ran)
		channels, agents := digestTallies(&r.Summary, o)
		if table, n := breakdownTable(channels, agents); table != nil {
			if waiting != "" {
				blocks = append(blocks, sectionBlock(blockDigestWaiting, waiting))
			}
			blocks = append(blocks, table)
			used += runes(waiting) + n
		} else {
			text := joinNonEmpty("\n", waiting, breakdownText(channels, agents, EscapeMrkdwn, "*By channel:* ", "*By assignee:* "))
			blocks = append(blocks, sectionBlock(blockDigestBreakdown, Truncate(text, maxSectionText)))
			used += runes(text)
		}
	}
	if a := r.First; a != nil && len(a.Users) > 0 {
		blocks = append(blocks, contactBlocks(a, o, maxBlocksText-used)...)
	} else {
		blocks = append(blocks, sectionBlock(blockDigestEmpty, digestEmptyLine(r)))
	}
	blocks = append(blocks, contextBlock(blockDigestFooter, footer))
	if r.First != nil {
		blocks = append(blocks, actionsBlock(blockDigestActions, r.First, o))
	}
	return Message{Text: digestFallback(r, ran), Blocks: blocks}
}

// RenderDigestText renders a digest run as terminal text, for `digest
// preview` in the shell and `inboxbot query`: the content of RenderDigest
// without mrkdwn, inbox text stripped of control characters.
func RenderDigestText(r DigestReport, o RenderOptions) string {
	o, ran := digestRenderOptions(r, o)
	var b strings.Builder
	b.WriteString(digestHeadline(r) + "\n")
	words := ""
	if r.Digest.Title != "" {
		words = Truncate(SanitizeText(r.Words), maxTextQuery)
	}
	b.WriteString(joinNonEmpty(" · ", Truncate(SanitizeText(r.Digest.Query), maxTextQuery), words) + "\n")
	if r.Summary.Count > 0 {
		channels, agents := digestTallies(&r.Summary, o)
		b.WriteString(joinNonEmpty("\n", oldestWaitingLine(r.Summary, ran),
			breakdownText(channels, agents, SanitizeText, "By channel: ", "By assignee: ")) + "\n")
	}
	b.WriteString("\n")
	if a := r.First; a != nil && len(a.Users) > 0 {
		width := len(rowNumber(a, len(a.Users)-1))
		for i, u := range a.Users {
			writeTextEntry(&b, rowNumber(a, i), width, viewOf(u, o, terminalEscapers()))
		}
	} else {
		b.WriteString("Nothing matches right now.\n\n")
	}
	b.WriteString(digestFooterWith(r, ran, o, func(id string) string { return "digest " + SanitizeText(id) }) + "\n")
	if r.First != nil {
		if nav := textNav(r.First); nav != "" {
			b.WriteString(nav + "\n")
		}
	}
	return b.String()
}

// digestRenderOptions normalises the options for a digest: it is posted in the
// channel (no Share), and "5 min ago" counts from when it ran.
func digestRenderOptions(r DigestReport, o RenderOptions) (RenderOptions, time.Time) {
	o = o.normalized()
	o.Ephemeral = false
	ran := r.RanAt
	if ran.IsZero() {
		ran = o.Now
	}
	if o.Now.IsZero() {
		o.Now = ran
	}
	return o, ran
}

// digestTitleText is the title as plain text: the digest's, else the query
// in words, else the query.
func digestTitleText(r DigestReport) string {
	for _, t := range []string{r.Digest.Title, r.Words, r.Digest.Query} {
		if t = strings.TrimSpace(SanitizeText(t)); t != "" {
			return t
		}
	}
	return "Digest"
}

// digestCount is the count of the header: "12 contacts", "5,000+ contacts".
func digestCount(s DigestSummary) string {
	switch {
	case s.Capped:
		return thousands(s.Count) + "+ contacts"
	case s.Count == 0:
		return "no contacts"
	}
	return pluralThousands(s.Count, "contact")
}

// digestHeadline is the header (plain text, so the title needs no mrkdwn
// escaping): "Morning queue · 12 contacts".
func digestHeadline(r DigestReport) string {
	count := " · " + digestCount(r.Summary)
	return Truncate(digestTitleText(r), maxHeaderText-runes(count)) + count
}

// digestQueryLine is the query in a code span (to copy and run) and, when
// the title is not already the words, the words.
func digestQueryLine(r DigestReport) string {
	q := "everyone"
	if c := Truncate(escapeCode(r.Digest.Query), maxQueryShown); c != "" {
		q = "`" + c + "`"
	}
	if r.Digest.Title == "" {
		return q
	}
	return joinNonEmpty(" · ", q, Truncate(EscapeMrkdwn(r.Words), maxWordsShown))
}

func digestEmptyLine(r DigestReport) string {
	if r.Summary.Count > 0 {
		return "The first page came back empty: the list changed while I counted. Refresh shows it now."
	}
	return "Nobody right now: nothing matches the query."
}

// oldestWaitingLine is "⏳ oldest waiting: 42 min", "" when nobody waits.
func oldestWaitingLine(s DigestSummary, now time.Time) string {
	if s.OldestWaiting.IsZero() {
		return ""
	}
	return "⏳ oldest waiting: " + waitedFor(now.Sub(s.OldestWaiting))
}

// waitedFor says how long someone has waited: "42 min", "3 h 5 min",
// "2 d 4 h".
func waitedFor(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		return strconv.Itoa(h) + " h" + ifThen(m > 0, " "+strconv.Itoa(m)+" min")
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	return strconv.Itoa(days) + " d" + ifThen(h > 0, " "+strconv.Itoa(h)+" h")
}

// digestTallies names the breakdowns: channels by their display names
// ("Unknown" for none), agents by their aliases ("Unassigned" for none).
func digestTallies(s *DigestSummary, o RenderOptions) (channels, agents []tally) {
	for _, t := range s.ByChannel() {
		name := channelName(inbox.Channel(t.Key))
		if strings.TrimSpace(name) == "" {
			name = "Unknown"
		}
		channels = append(channels, tally{name, t.Count})
	}
	for _, t := range s.ByAgent() {
		name := "Unassigned"
		if t.Key != "" {
			name = agentName(t.Key, o.AgentNames)
		}
		agents = append(agents, tally{name, t.Count})
	}
	return channels, agents
}

// breakdownTable is the breakdown as a table block (a Channel and an
// Assignee part, each with its header row) and the characters it holds,
// or nil when it does not fit: too many rows, or a name that is long or
// not plain (raw_text shows it as it is, so only names that need no
// escaping at all go into a table).
func breakdownTable(channels, agents []tally) (*slack.TableBlock, int) {
	if 2+len(channels)+len(agents) > maxDigestTableRows {
		return nil, 0
	}
	for _, t := range append(append([]tally{}, channels...), agents...) {
		if !tableSafe(t.name) {
			return nil, 0
		}
	}
	table := slack.NewTableBlock(blockDigestBreakdown).WithColumnSettings(
		slack.ColumnSetting{Align: slack.ColumnAlignmentLeft},
		slack.ColumnSetting{Align: slack.ColumnAlignmentRight},
	)
	chars := 0
	add := func(name, count string) {
		table.AddRow(slack.NewTableRawTextCell(name), slack.NewTableRawTextCell(count))
		chars += runes(name) + runes(count)
	}
	for _, part := range []struct {
		head    string
		tallies []tally
	}{{"Channel", channels}, {"Assignee", agents}} {
		if len(part.tallies) == 0 {
			continue
		}
		add(part.head, "Contacts")
		for _, t := range part.tallies {
			add(t.name, thousands(t.count))
		}
	}
	return table, chars
}

// tableSafe reports whether a name can go into a raw_text cell unchanged:
// short, not blank, and nothing that escaping would change.
func tableSafe(s string) bool {
	n := runes(s)
	return n > 0 && n <= maxDigestTableCell && strings.TrimSpace(s) != "" &&
		EscapeMrkdwn(s) == s && SanitizeText(s) == s
}

// breakdownText is the breakdown as two compact lines, names escaped by
// esc and capped, at most maxBreakdownItems of each and a count of the rest.
func breakdownText(channels, agents []tally, esc func(string) string, channelLabel, agentLabel string) string {
	return joinNonEmpty("\n", tallyLine(channelLabel, channels, esc, capChannel), tallyLine(agentLabel, agents, esc, capAgent))
}

func tallyLine(label string, tallies []tally, esc func(string) string, capName int) string {
	if len(tallies) == 0 {
		return ""
	}
	parts := make([]string, 0, min(len(tallies), maxBreakdownItems)+1)
	for i, t := range tallies {
		if i == maxBreakdownItems {
			others := 0
			for _, o := range tallies[i:] {
				others += o.count
			}
			parts = append(parts, "and "+strconv.Itoa(len(tallies)-i)+" more ("+thousands(others)+")")
			break
		}
		name := Truncate(esc(t.name), capName)
		if name == "" {
			name = "?"
		}
		parts = append(parts, name+" "+thousands(t.count))
	}
	return label + strings.Join(parts, " · ")
}

// digestFooter is the context line in mrkdwn.
func digestFooter(r DigestReport, ran time.Time, o RenderOptions) string {
	return digestFooterWith(r, ran, o, func(id string) string { return "digest `" + escapeCode(id) + "`" })
}

// digestFooterWith writes the context line: late or not, when it ran, the
// next run (or paused, or preview), the id. All of it is our own text
// but the id, which idText writes for the target.
func digestFooterWith(r DigestReport, ran time.Time, o RenderOptions, idText func(string) string) string {
	var parts []string
	if r.Late && !r.Slot.IsZero() {
		parts = append(parts, "⏰ late: scheduled for "+whenText(r.Slot, ran, o.Location))
	}
	if !ran.IsZero() {
		parts = append(parts, "ran "+whenText(ran, ran, o.Location))
	}
	switch {
	case r.Preview:
		parts = append(parts, "preview, not posted")
	case r.Digest.Paused:
		parts = append(parts, "paused")
	case !r.Next.IsZero():
		parts = append(parts, "next run "+whenText(r.Next, ran, o.Location))
	}
	if !r.Preview && r.Digest.ID != "" {
		parts = append(parts, idText(Truncate(r.Digest.ID, 64)))
	}
	if r.Summary.Capped {
		parts = append(parts, "counted up to "+thousands(MaxDigestCount))
	}
	if len(parts) == 0 {
		return "digest"
	}
	line := strings.Join(parts, " · ")
	if isASCIILower(line[0]) {
		line = strings.ToUpper(line[:1]) + line[1:]
	}
	return line
}

// whenText writes t in loc relative to ref: "09:00 CET" on ref's day,
// "Mon 09:00 CET" within a week, "Mon 2 Jan 09:00 CET" beyond.
func whenText(t, ref time.Time, loc *time.Location) string {
	t, ref = t.In(loc), ref.In(loc)
	ty, tm, td := t.Date()
	ry, rm, rd := ref.Date()
	if ty == ry && tm == rm && td == rd {
		return t.Format("15:04 MST")
	}
	if d := t.Sub(ref); d > -6*24*time.Hour && d < 6*24*time.Hour {
		return t.Format("Mon 15:04 MST")
	}
	return t.Format("Mon 2 Jan 15:04 MST")
}

// digestFallback is the notification text: title, count, oldest waiting.
func digestFallback(r DigestReport, ran time.Time) string {
	text := Truncate(EscapeMrkdwn(digestTitleText(r)), maxFallback) + " · " + digestCount(r.Summary)
	if w := oldestWaitingLine(r.Summary, ran); w != "" {
		text += " (" + strings.TrimPrefix(w, "⏳ ") + ")"
	}
	return text
}

// slackChannelPattern is a conversation id, safe to mention.
var slackChannelPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)

// channelMention is <#C123> for a channel id, else the text in a code span.
func channelMention(id string) string {
	if slackChannelPattern.MatchString(id) {
		return "<#" + id + ">"
	}
	return "`" + Truncate(escapeCode(id), 40) + "`"
}

// userMention is <@U123> for a user id, else "".
func userMention(id string) string {
	if slackUserPattern.MatchString(id) {
		return "<@" + id + ">"
	}
	return ""
}

// RenderDigestAdded is the confirmation posted in the channel on `digest
// add` (no contacts): who set it up, its id, the schedule in words, the
// next runs (in o.Location), the query and its words.
func RenderDigestAdded(d Digest, scheduleWords string, next []time.Time, o RenderOptions) Message {
	o = o.normalized()
	who := userMention(d.CreatedBy)
	if who == "" {
		who = "Someone"
	}
	id := "`" + Truncate(escapeCode(d.ID), 64) + "`"
	first := who + " set up digest " + id + " for this channel"
	if d.Title != "" {
		first += ": *" + Truncate(EscapeMrkdwn(d.Title), MaxDigestTitle) + "*"
	}
	when := "*When:* " + Truncate(EscapeMrkdwn(scheduleWords), 300)
	if len(next) > 0 {
		times := make([]string, 0, 3)
		for _, t := range next[:min(len(next), 3)] {
			times = append(times, t.In(o.Location).Format("Mon 2 Jan 15:04 MST"))
		}
		when += " (next: " + strings.Join(times, ", ") + ")"
	}
	what := "*What:* `" + Truncate(escapeCode(d.Query), maxQueryShown) + "`"
	if w := Truncate(EscapeMrkdwn(d.Words), maxWordsShown); w != "" {
		what += " · " + w
	}
	lines := []string{first + ".", when, what}
	if d.Quiet {
		lines = append(lines, "Quiet: it posts nothing when nobody matches.")
	}
	body := Truncate(strings.Join(lines, "\n"), maxSectionText)
	manage := "`/inbox digest list` shows it; `/inbox digest pause " + escapeCode(Truncate(d.ID, 64)) + "` or `remove " + escapeCode(Truncate(d.ID, 64)) + "` stops it."
	return Message{
		Text: "New digest " + id + ": " + Truncate(EscapeMrkdwn(scheduleWords), 300),
		Blocks: []slack.Block{
			sectionBlock(blockDigestAdded, body),
			contextBlock(blockDigestFooter, manage),
		},
	}
}

// DigestListItem is one row of `digest list`.
type DigestListItem struct {
	Digest        Digest
	ScheduleWords string
	Next          time.Time // zero: none (paused)
}

// RenderDigestList renders `digest list`: per digest its id, title, schedule
// in words, query, next run, source, quiet, the channel (with all), and
// whether it is paused and why. Many digests are packed into sections; what
// does not fit Slack's limits is counted.
func RenderDigestList(items []DigestListItem, all bool, o RenderOptions) Message {
	o = o.normalized()
	where := "in this channel"
	if all {
		where = "in all channels"
	}
	if len(items) == 0 {
		text := "No digests " + where + " yet. Add one: `/inbox digest add weekdays 09:00 live unassigned`."
		return Message{Text: "No digests " + where, Blocks: []slack.Block{sectionBlock(blockDigestListHead, text)}}
	}
	head := "*" + pluralThousands(len(items), "digest") + " " + where + "*"
	entries := make([]string, len(items))
	for i, it := range items {
		entries[i] = digestListEntry(it, all, o)
	}
	sections, shown := packEntries(entries, maxListSections, maxBlocksText-runes(head)-200)
	blocks := []slack.Block{sectionBlock(blockDigestListHead, head)}
	for i, s := range sections {
		blocks = append(blocks, sectionBlock(blockDigestList+strconv.Itoa(i+1), s))
	}
	if left := len(items) - shown; left > 0 {
		blocks = append(blocks, contextBlock(blockDigestListMore, "… and "+strconv.Itoa(left)+" more, left out to fit Slack's limits."))
	}
	return Message{Text: pluralThousands(len(items), "digest") + " " + where, Blocks: blocks}
}

func digestListEntry(it DigestListItem, all bool, o RenderOptions) string {
	d := it.Digest
	first := "`" + Truncate(escapeCode(d.ID), 64) + "`"
	if d.Title != "" {
		first += " *" + Truncate(EscapeMrkdwn(d.Title), MaxDigestTitle) + "*"
	}
	if all {
		first += " in " + channelMention(d.Channel)
	}
	next := ""
	if !it.Next.IsZero() && !d.Paused {
		next = "next run " + whenText(it.Next, o.Now, o.Location)
	}
	source := d.Source
	if source == "" {
		source = DigestSourceSlack
	}
	line2 := joinNonEmpty(" · ", Truncate(EscapeMrkdwn(it.ScheduleWords), 200),
		"`"+Truncate(escapeCode(d.Query), maxListQuery)+"`", next, Truncate(EscapeMrkdwn(source), 20), ifThen(d.Quiet, "quiet"))
	lines := []string{first, line2}
	if d.Paused {
		paused := "⏸ paused"
		if why := Truncate(escapeEntitiesOnly(SanitizeText(d.PausedWhy)), maxPausedWhy); why != "" {
			paused += ": " + why
		}
		lines = append(lines, paused+" (`/inbox digest resume "+escapeCode(Truncate(d.ID, 64))+"`)")
	}
	return strings.Join(lines, "\n")
}
