package commands

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands/schedule"
	"github.com/convertalk/inboxbot/inbox"
)

// AlertBlockPrefix starts the block_id of every block of an alert message.
const AlertBlockPrefix = "alert_"

// Block ids of the alert messages.
const (
	blockAlertHead     = AlertBlockPrefix + "head"
	blockAlertContacts = AlertBlockPrefix + "contacts"
	blockAlertMore     = AlertBlockPrefix + "more"
	blockAlertStatus   = AlertBlockPrefix + "status"
	blockAlertActions  = AlertBlockPrefix + "actions"
	blockAlertReply    = AlertBlockPrefix + "reply"
	blockAlertList     = AlertBlockPrefix + "list_"
	blockAlertListHead = AlertBlockPrefix + "list_head"
	blockAlertListMore = AlertBlockPrefix + "list_more"
	blockAlertFooter   = AlertBlockPrefix + "footer"
	blockAlertAdded    = AlertBlockPrefix + "added"
	blockAlertTest     = AlertBlockPrefix + "test"
	blockAlertPreview  = AlertBlockPrefix + "preview"
	blockAlertEntries  = AlertBlockPrefix + "entries_"
)

// Bounds of the alert messages.
const (
	// MaxAlertSummaryLines is how many contacts an incident message
	// shows; the bot needs no more users than this for a count rule.
	MaxAlertSummaryLines = 10
	capSummaryLine       = 200 // characters of one summary line
	capSummaryTags       = 40
	maxAlertWords        = 500 // the rule in words
	maxAlertQueryShown   = 500 // the query's code span in alert messages
	maxAnnounceSections  = 44  // an announce: 50 blocks with head, "more" and footer
	maxAlertListSections = 45
)

// AlertView is what an incident's message shows; the bot maps the
// engine's view (rules.IncidentView) to it, so it re-renders without a
// fetch.
type AlertView struct {
	AlertID string
	Rule    AlertRule // condition, query and words
	// Mention is the markup of the rule's notify (AlertMention.Markup:
	// <!here>, <!channel>, <@U..>, <!subteam^S..>), "" for none. Anything
	// else is dropped: it is the one live markup the messages may hold.
	Mention  string
	Incident int
	Count    int
	Capped   bool // the count reached MaxAlertCount: "5,000+"
	// Lines are the first contacts (AlertSummaryLines): escaped, masked
	// and link-free already; at most MaxAlertSummaryLines are shown.
	Lines         []string
	FiringSince   time.Time
	AckedBy       string // Slack user id; "" while not acknowledged
	AckedAt       time.Time
	SilencedUntil time.Time // zero when not snoozed/muted
	SilencedBy    string
	ResolvedAt    time.Time // zero while firing
}

// mentionPattern is every mention an alert may carry (AlertMention.Markup).
var mentionPattern = regexp.MustCompile(`^(<!here>|<!channel>|<@[UW][A-Z0-9]{2,20}>|<!subteam\^[A-Z0-9]{2,20}>)$`)

// safeMention returns the mention if it is one an alert may carry, else "".
func safeMention(m string) string {
	if mentionPattern.MatchString(m) {
		return m
	}
	return ""
}

// alertCount is "7 contacts", "1 contact", "5,000+ contacts".
func alertCount(n int, capped bool) string {
	if capped {
		return thousands(max(n, MaxAlertCount)) + "+ contacts"
	}
	return pluralThousands(max(n, 0), "contact")
}

// alertIDCode is the alert's id in a code span.
func alertIDCode(id string) string {
	if id == "" {
		return "`?`"
	}
	return "`" + Truncate(escapeCode(id), 64) + "`"
}

// thresholdWords is the condition of a count rule in words, "5 or more"
// or "more than 5"; "new contacts" for a new rule.
func thresholdWords(r AlertRule) string {
	switch {
	case r.Kind == AlertNew:
		return "new contacts"
	case r.Op == OpMore:
		return "more than " + thousands(r.Threshold)
	}
	return thousands(r.Threshold) + " or more"
}

// alertQueryLine is the query in a code span and its words, escaped.
func alertQueryLine(r AlertRule) string {
	if r.Query == nil {
		return "everyone"
	}
	q := "everyone"
	if c := Truncate(escapeCode(r.Query.Canonical()), maxAlertQueryShown); c != "" {
		q = "`" + c + "`"
	}
	return joinNonEmpty(" · ", q, Truncate(EscapeMrkdwn(r.Query.Words()), maxAlertWords))
}

// alertQueryPlain is the query as plain text, for fallbacks.
func alertQueryPlain(r AlertRule) string {
	if r.Query == nil || r.Query.Canonical() == "" {
		return "everyone"
	}
	return "`" + Truncate(escapeCode(r.Query.Canonical()), maxFallback) + "`"
}

// defuseLine keeps a stored summary line on one line and free of live
// markup: lines from AlertSummaryLines hold no '<' or '>' (they are
// link-free and escaped), so this changes nothing in them, and defuses a
// line that did not come from there.
func defuseLine(s string) string {
	s = sanitize(s, 0)
	s = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
	return Truncate(s, capSummaryLine)
}

// RenderAlertIncident renders an incident's message (SPEC §8): the
// mention and the count with the condition, the query, a link-free summary
// of the first contacts, a status line (firing since, acknowledged by whom
// and when, snoozed until when and by whom) and the buttons Ack, Snooze
// 1h and Snooze 4h. Acknowledged, it has no Ack button; resolved, it says
// *Resolved* and how long it fired, and has no buttons. Times are in
// o.Location. Every Block Kit limit holds whatever the data.
func RenderAlertIncident(v AlertView, o RenderOptions) Message {
	o = o.normalized()
	resolved := !v.ResolvedAt.IsZero()
	mention := safeMention(v.Mention)
	count := alertCount(v.Count, v.Capped)
	id := alertIDCode(v.AlertID)
	var head string
	if resolved {
		head = "✅ *Resolved:* alert " + id + " (" + thresholdWords(v.Rule) + ") · now " + count
	} else {
		head = joinNonEmpty(" ", mention, "🔴 *"+count+"* match alert "+id+" ("+thresholdWords(v.Rule)+")")
	}
	head += "\n" + alertQueryLine(v.Rule)
	blocks := []slack.Block{sectionBlock(blockAlertHead, Truncate(head, maxSectionText))}
	if !resolved {
		if lines := summaryText(v); lines != "" {
			blocks = append(blocks, sectionBlock(blockAlertContacts, lines))
		}
		if more := summaryMore(v); more != "" {
			blocks = append(blocks, contextBlock(blockAlertMore, more))
		}
	}
	blocks = append(blocks, contextBlock(blockAlertStatus, incidentStatus(v, o)))
	if !resolved {
		blocks = append(blocks, alertButtons(v))
	}
	return Message{Text: incidentFallback(v, mention, count, o), Blocks: blocks}
}

// summaryText is the summary lines shown, one per line.
func summaryText(v AlertView) string {
	n := min(len(v.Lines), MaxAlertSummaryLines)
	lines := make([]string, 0, n)
	for _, l := range v.Lines[:n] {
		if l = defuseLine(l); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// summaryMore counts the contacts the summary leaves out: "… and 12 more".
func summaryMore(v AlertView) string {
	shown := min(len(v.Lines), MaxAlertSummaryLines)
	if shown == 0 {
		return ""
	}
	left := v.Count - shown
	switch {
	case v.Capped:
		return "… and more: " + thousands(MaxAlertCount) + "+ in all (counted up to " + thousands(MaxAlertCount) + ")."
	case left > 0:
		return "… and " + thousands(left) + " more."
	}
	return ""
}

// incidentStatus is the status line: firing since, the ack, the silence,
// or resolved with how long it fired; then the incident.
func incidentStatus(v AlertView, o RenderOptions) string {
	var parts []string
	if !v.ResolvedAt.IsZero() {
		fired := "Fired"
		if !v.FiringSince.IsZero() {
			fired += " for " + waitedFor(v.ResolvedAt.Sub(v.FiringSince)) + ", " + whenText(v.FiringSince, o.Now, o.Location) + " to " + whenText(v.ResolvedAt, v.FiringSince, o.Location)
		} else {
			fired = "Resolved " + whenText(v.ResolvedAt, o.Now, o.Location)
		}
		parts = append(parts, fired)
	} else if !v.FiringSince.IsZero() {
		parts = append(parts, "Firing since "+whenText(v.FiringSince, o.Now, o.Location))
	} else {
		parts = append(parts, "Firing")
	}
	if !v.AckedAt.IsZero() || v.AckedBy != "" {
		ack := "✅ acknowledged by " + someone(v.AckedBy)
		if !v.AckedAt.IsZero() {
			ack += " at " + whenText(v.AckedAt, o.Now, o.Location)
		}
		parts = append(parts, ack)
	}
	if v.ResolvedAt.IsZero() && !v.SilencedUntil.IsZero() {
		parts = append(parts, "😴 snoozed until "+whenText(v.SilencedUntil, o.Now, o.Location)+" by "+someone(v.SilencedBy))
	}
	if v.Incident > 0 {
		parts = append(parts, "incident "+strconv.Itoa(v.Incident))
	}
	return strings.Join(parts, " · ")
}

// someone is a user's mention, or "someone" for an id that is not one.
func someone(id string) string {
	if m := userMention(id); m != "" {
		return m
	}
	return "someone"
}

// alertButtons is Ack (while not acknowledged), Snooze 1h and Snooze 4h.
func alertButtons(v AlertView) *slack.ActionBlock {
	value := AlertButton{AlertID: v.AlertID, Incident: v.Incident}.Encode()
	var buttons []slack.BlockElement
	if v.AckedBy == "" && v.AckedAt.IsZero() {
		buttons = append(buttons, button(ActionAlertAck, "Ack", value).WithStyle(slack.StylePrimary))
	}
	buttons = append(buttons, button(ActionAlertSnooze1h, "Snooze 1h", value), button(ActionAlertSnooze4h, "Snooze 4h", value))
	return slack.NewActionBlock(blockAlertActions, buttons...)
}

// incidentFallback is the notification text: the mention (so it pings),
// the count and the query; the state when acknowledged, snoozed or over.
func incidentFallback(v AlertView, mention, count string, o RenderOptions) string {
	id := alertIDCode(v.AlertID)
	if !v.ResolvedAt.IsZero() {
		text := "Resolved: alert " + id
		if !v.FiringSince.IsZero() {
			text += " fired for " + waitedFor(v.ResolvedAt.Sub(v.FiringSince))
		}
		return text + " (" + alertQueryPlain(v.Rule) + ")"
	}
	text := joinNonEmpty(" ", mention, "Alert "+id+": "+count+" ("+thresholdWords(v.Rule)+") for "+alertQueryPlain(v.Rule))
	switch {
	case v.AckedBy != "" || !v.AckedAt.IsZero():
		text += " · acknowledged by " + someone(v.AckedBy)
	case !v.SilencedUntil.IsZero():
		text += " · snoozed until " + whenText(v.SilencedUntil, o.Now, o.Location)
	}
	return text
}

// RenderAlertReminder renders a reminder (SPEC §8): a reply in the
// incident's thread (the bot broadcasts it), starting with the mention,
// saying it still fires, with the count and since when.
func RenderAlertReminder(v AlertView, o RenderOptions) Message {
	o = o.normalized()
	mention := safeMention(v.Mention)
	count := alertCount(v.Count, v.Capped)
	text := "⏰ Still firing: *" + count + "* match alert " + alertIDCode(v.AlertID) + " (" + thresholdWords(v.Rule) + ")"
	if !v.FiringSince.IsZero() {
		text += ", since " + whenText(v.FiringSince, o.Now, o.Location) + " (" + waitedFor(o.Now.Sub(v.FiringSince)) + ")"
	}
	text += ". Nobody has acknowledged it: Ack or Snooze on the message above."
	text = joinNonEmpty(" ", mention, text)
	body := text + "\n" + alertQueryLine(v.Rule)
	fallback := joinNonEmpty(" ", mention, "Still firing: alert "+alertIDCode(v.AlertID)+", "+count+" for "+alertQueryPlain(v.Rule))
	return Message{Text: fallback, Blocks: []slack.Block{sectionBlock(blockAlertReply, Truncate(body, maxSectionText))}}
}

// RenderAlertResolvedReply renders the reply in the incident's thread that
// says it resolved, how long it fired and the count now. It mentions
// nobody.
func RenderAlertResolvedReply(v AlertView, o RenderOptions) Message {
	o = o.normalized()
	at := v.ResolvedAt
	if at.IsZero() {
		at = o.Now
	}
	text := "✅ Resolved: alert " + alertIDCode(v.AlertID) + " is below its condition (" + thresholdWords(v.Rule) + "), now " + alertCount(v.Count, v.Capped)
	fallback := "Resolved: alert " + alertIDCode(v.AlertID)
	if !v.FiringSince.IsZero() {
		d := waitedFor(at.Sub(v.FiringSince))
		text += ". It fired for " + d + ", " + whenText(v.FiringSince, o.Now, o.Location) + " to " + whenText(at, v.FiringSince, o.Location)
		fallback += " after " + d
	}
	return Message{Text: fallback, Blocks: []slack.Block{sectionBlock(blockAlertReply, Truncate(text+".", maxSectionText))}}
}

// AlertSummaryLines writes the contacts of an incident's summary: one
// short line each, escaped for mrkdwn, with no link (the message is
// posted to a channel and edited in place) and no time (so a line changes
// only when the contact does): name (or, without one, the email or phone
// as o.PII shows them), online dot, channel, assignee, tags and markers.
func AlertSummaryLines(users []inbox.User, o RenderOptions) []string {
	o = o.normalized()
	o.WebURL = ""
	lines := make([]string, 0, len(users))
	for _, u := range users {
		v := viewOf(u, o, mrkdwnEscapers())
		name := v.name
		if strings.TrimSpace(u.Name) == "" || strings.TrimSpace(EscapeMrkdwn(u.Name)) == "" {
			for _, alt := range []string{MaskEmail(u.Email, o.PII), MaskPhone(u.Phone, o.PII)} {
				if alt = Truncate(strings.TrimSpace(EscapeMrkdwn(alt)), capName); alt != "" {
					name = alt
					break
				}
			}
		}
		assignee := v.assignee
		if v.unassigned {
			assignee = "_Unassigned_"
		}
		markers := ifThen(v.liveChat, "💬") + ifThen(v.ordered, "🛒")
		line := "• *" + name + "* " + onlineDot(v.online) + " " + joinNonEmpty(" · ", v.channel, assignee,
			prefixed("🏷 ", Truncate(EscapeMrkdwn(strings.Join(u.Tags, ", ")), capSummaryTags)), markers)
		lines = append(lines, Truncate(strings.TrimSpace(line), capSummaryLine))
	}
	return lines
}

// AlertEntryLines writes contacts in the entry format of answers (mrkdwn,
// full detail, linked when o.WebURL is set, PII as o.PII shows it), for a
// `new` alert's announcement.
func AlertEntryLines(users []inbox.User, o RenderOptions) []string {
	o = o.normalized()
	entries := make([]string, len(users))
	for i, u := range users {
		entries[i] = mrkdwnEntry(viewOf(u, o, mrkdwnEscapers()), detailFull)
	}
	return entries
}

// RenderAlertAnnounce renders one batch of a `new` alert (SPEC §8): the
// mention, how many contacts started matching, the query, each contact
// (entries from AlertEntryLines, numbered) as far as Slack's limits allow,
// then "… and N more".
func RenderAlertAnnounce(a Alert, r AlertRule, mention string, entries []string, o RenderOptions) Message {
	o = o.normalized()
	mention = safeMention(mention)
	n := len(entries)
	what := "new contact matches"
	if n != 1 {
		what = "new contacts match"
	}
	head := joinNonEmpty(" ", mention, "🆕 *"+thousands(n)+" "+what+"* alert "+alertIDCode(a.ID)) + "\n" + alertQueryLine(r)
	head = Truncate(head, maxSectionText)
	footer := "Each contact is announced once"
	if !o.Now.IsZero() {
		footer = "Found by " + whenText(o.Now, o.Now, o.Location) + " · " + footer
	}
	if r.Keep > 0 {
		footer += ", again only after it has stopped matching for " + schedule.FormatDuration(r.Keep)
	}
	footer += " · `/inbox alert mute " + escapeCode(Truncate(a.ID, 64)) + " 1h` silences it"
	numbered := make([]string, len(entries))
	for i, e := range entries {
		numbered[i] = strconv.Itoa(i+1) + ". " + e
	}
	blocks := []slack.Block{sectionBlock(blockAlertHead, head)}
	sections, shown := packEntries(numbered, maxAnnounceSections, maxBlocksText-runes(head)-runes(footer)-200)
	for i, s := range sections {
		blocks = append(blocks, sectionBlock(blockAlertEntries+strconv.Itoa(i+1), s))
	}
	if left := n - shown; left > 0 {
		blocks = append(blocks, contextBlock(blockAlertMore, "… and "+thousands(left)+" more, left out to fit Slack's limits: `/inbox "+escapeCode(Truncate(queryText(r), maxQueryShown))+"` lists them."))
	}
	blocks = append(blocks, contextBlock(blockAlertFooter, footer))
	text := joinNonEmpty(" ", mention, thousands(n)+" "+what+" alert "+alertIDCode(a.ID)+" ("+alertQueryPlain(r)+")")
	return Message{Text: text, Blocks: blocks}
}

// queryText is the rule's canonical query, "" for none.
func queryText(r AlertRule) string {
	if r.Query == nil {
		return ""
	}
	return r.Query.Canonical()
}

// RenderAlertAdded is the confirmation of `alert add`, posted in the
// channel (SPEC §8; no contacts and no mention): who set it up, its id,
// the rule in words, the query, and the count now (a count rule, with
// whether it already holds) or the size of the baseline (a new rule).
//
// o is taken for symmetry with the other renderers; nothing in the
// confirmation depends on it yet.
func RenderAlertAdded(a Alert, r AlertRule, count int, capped bool, o RenderOptions) Message {
	who := userMention(a.CreatedBy)
	if who == "" {
		who = "Someone"
	}
	id := alertIDCode(a.ID)
	first := who + " set up alert " + id + " for this channel."
	rule := "*Rule:* " + Truncate(EscapeMrkdwn(r.Describe()), maxAlertWords)
	what := "*Watches:* " + alertQueryLine(r)
	n := alertCount(count, capped)
	var now string
	switch {
	case r.Kind == AlertNew:
		now = "*Baseline:* " + n + " match now; they are not announced, only contacts that start matching from now on."
	case r.Fires(count) || capped:
		now = "*Now:* " + n + " match, so the condition already holds"
		if r.For > 0 {
			now += ": it fires if it still holds in " + schedule.FormatDuration(r.For) + "."
		} else {
			now += ": it fires at the next check."
		}
	default:
		now = "*Now:* " + n + " match; it fires at " + thresholdWords(r) + "."
	}
	body := Truncate(strings.Join([]string{first, rule, what, now}, "\n"), maxSectionText)
	idText := escapeCode(Truncate(a.ID, 64))
	manage := "`/inbox alert list` shows it; `/inbox alert mute " + idText + " 1h` silences it, `/inbox alert remove " + idText + "` deletes it."
	return Message{
		Text: "New alert " + id + ": " + Truncate(EscapeMrkdwn(r.Condition()), 40) + " for " + alertQueryPlain(r),
		Blocks: []slack.Block{
			sectionBlock(blockAlertAdded, body),
			contextBlock(blockAlertFooter, manage),
		},
	}
}

// The states of AlertListItem.
const (
	AlertStateOK      = "ok"
	AlertStatePending = "pending"
	AlertStateFiring  = "firing"
)

// AlertListItem is one row of `alert list`.
type AlertListItem struct {
	Alert Alert
	// Rule is the parsed rule; nil when the stored rule no longer parses
	// (the list shows Alert.Rule as stored and says so).
	Rule          *AlertRule
	State         string    // AlertStateOK, AlertStatePending or AlertStateFiring
	Since         time.Time // pending since / firing since
	AckedBy       string
	SilencedUntil time.Time
	SilencedBy    string
	// Paused says why the rule is paused ("Slack said not_in_channel at
	// ..."): the bot could not post in its channel; "" when running.
	Paused string
}

// RenderAlertList renders `alert list` (ephemeral): per alert its id (and
// channel, with all), the rule in words, the query, its state (ok /
// pending since T / firing since T / acknowledged by / snoozed until T by)
// and its source. A stored rule that no longer parses is shown as stored
// and flagged. What does not fit Slack's limits is counted.
func RenderAlertList(items []AlertListItem, all bool, o RenderOptions) Message {
	o = o.normalized()
	where := "in this channel"
	if all {
		where = "in all channels"
	}
	if len(items) == 0 {
		text := "No alerts " + where + " yet. Add one: `/inbox alert add count>=5 for 10m notify @here live unassigned`."
		return Message{Text: "No alerts " + where, Blocks: []slack.Block{sectionBlock(blockAlertListHead, text)}}
	}
	head := "*" + pluralThousands(len(items), "alert") + " " + where + "*"
	entries := make([]string, len(items))
	for i, it := range items {
		entries[i] = alertListEntry(it, all, o)
	}
	sections, shown := packEntries(entries, maxAlertListSections, maxBlocksText-runes(head)-200)
	blocks := []slack.Block{sectionBlock(blockAlertListHead, head)}
	for i, s := range sections {
		blocks = append(blocks, sectionBlock(blockAlertList+strconv.Itoa(i+1), s))
	}
	if left := len(items) - shown; left > 0 {
		blocks = append(blocks, contextBlock(blockAlertListMore, "… and "+strconv.Itoa(left)+" more, left out to fit Slack's limits."))
	}
	return Message{Text: pluralThousands(len(items), "alert") + " " + where, Blocks: blocks}
}

func alertListEntry(it AlertListItem, all bool, o RenderOptions) string {
	a := it.Alert
	source := a.Source
	if source == "" {
		source = AlertSourceSlack
	}
	first := joinNonEmpty(" · ", alertIDCode(a.ID)+ifThen(all, " in "+channelMention(a.Channel)), Truncate(EscapeMrkdwn(source), 20))
	if it.Rule == nil {
		fix := "remove it and add it again"
		if source == AlertSourceFile {
			fix = "fix it in RULES_FILE"
		}
		return first + "\n⚠️ The stored rule no longer reads, so it is not evaluated: `" + Truncate(escapeCode(a.Rule), maxListQuery) + "` (" + fix + ")."
	}
	r := *it.Rule
	words := Truncate(EscapeMrkdwn(r.Describe()), 300)
	query := "everyone"
	if c := Truncate(escapeCode(queryText(r)), maxListQuery); c != "" {
		query = "`" + c + "`"
	}
	return strings.Join([]string{first, words + " · " + query, alertStateText(it, o)}, "\n")
}

// alertStateText is the state of a list row in words.
func alertStateText(it AlertListItem, o RenderOptions) string {
	since := func(what string) string {
		if it.Since.IsZero() {
			return what
		}
		return what + " since " + whenText(it.Since, o.Now, o.Location)
	}
	var parts []string
	switch it.State {
	case AlertStateFiring:
		parts = append(parts, since("🔴 firing"))
	case AlertStatePending:
		parts = append(parts, since("🟡 pending"))
	default:
		parts = append(parts, "🟢 ok")
	}
	if it.AckedBy != "" {
		parts = append(parts, "✅ acked by "+someone(it.AckedBy))
	}
	if !it.SilencedUntil.IsZero() && it.SilencedUntil.After(o.Now) {
		s := "😴 snoozed until " + whenText(it.SilencedUntil, o.Now, o.Location)
		if it.SilencedBy != "" {
			s += " by " + someone(it.SilencedBy)
		}
		parts = append(parts, s)
	}
	if it.Paused != "" {
		parts = append(parts, "⏸️ paused: "+Truncate(EscapeMrkdwn(it.Paused), 120)+" (`/invite` the bot, then `/inbox alert unmute "+escapeCode(Truncate(it.Alert.ID, 64))+"`)")
	}
	return strings.Join(parts, " · ")
}

// AlertTest is the outcome of `alert test`: the rule evaluated once.
type AlertTest struct {
	Count  int
	Capped bool
	Holds  bool    // the condition holds now (a new rule: some contact matches)
	Would  Message // what would be posted now; the zero Message: nothing
}

// alertTestHead is the verdict of a test, in mrkdwn (mrkdwn) or as plain
// text.
func alertTestHead(r AlertRule, t AlertTest, mrkdwn bool) string {
	bold := func(s string) string {
		if mrkdwn {
			return "*" + s + "*"
		}
		return s
	}
	n := alertCount(t.Count, t.Capped)
	switch {
	case r.Kind == AlertNew:
		return bold(n+" match now") + ": as a new alert they would be its baseline, not announced; contacts that start matching later would be."
	case t.Holds:
		s := bold("The condition holds") + ": " + n + " match (" + thresholdWords(r) + ")"
		if r.For > 0 {
			return s + "; it would fire if it still holds in " + schedule.FormatDuration(r.For) + "."
		}
		return s + "; it would fire now."
	}
	return bold("The condition does not hold") + ": " + n + " match; it fires at " + thresholdWords(r) + "."
}

// AlertTestText renders `alert test` for the shell and `inboxbot query`:
// the rule in words, the query, whether the condition holds with the
// count, and the message that would be posted as plain text.
func AlertTestText(r AlertRule, t AlertTest, o RenderOptions) string {
	var b strings.Builder
	b.WriteString("Rule: " + SanitizeText(r.Describe()) + "\n")
	b.WriteString("Query: " + ifEmpty(SanitizeText(queryText(r)), "everyone") + "\n")
	b.WriteString(alertTestHead(r, t, false) + "\n\n")
	if len(t.Would.Blocks) == 0 && t.Would.Text == "" {
		b.WriteString("Nothing would be posted now.\n")
		return b.String()
	}
	b.WriteString("It would post:\n")
	for _, line := range strings.Split(MessagePlainText(t.Would), "\n") {
		b.WriteString("  | " + line + "\n")
	}
	return b.String()
}

func ifEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// RenderAlertTest renders `alert test` for Slack (ephemeral): the verdict
// and the message that would be posted, quoted as text (its mentions
// written out so that the test pings nobody, and no buttons).
func RenderAlertTest(r AlertRule, t AlertTest, o RenderOptions) Message {
	head := alertTestHead(r, t, true) + "\n*Rule:* " + Truncate(EscapeMrkdwn(r.Describe()), maxAlertWords) + "\n*Watches:* " + alertQueryLine(r)
	blocks := []slack.Block{sectionBlock(blockAlertTest, Truncate(head, maxSectionText))}
	if len(t.Would.Blocks) == 0 && t.Would.Text == "" {
		blocks = append(blocks, contextBlock(blockAlertPreview, "Nothing would be posted now."))
	} else {
		quoted := "*It would post:*\n" + quoteMrkdwn(previewMrkdwn(t.Would))
		blocks = append(blocks, sectionBlock(blockAlertPreview, Truncate(quoted, maxSectionText)))
	}
	return Message{Text: alertTestHead(r, t, false), Blocks: blocks}
}

// livePattern is Slack markup that would notify: special and group
// mentions. A test's preview writes them out instead.
var livePattern = regexp.MustCompile(`<!(here|channel|everyone)(\|[^>]*)?>|<!subteam\^([A-Z0-9]+)(\|[^>]*)?>`)

// previewMrkdwn is a message's text blocks as mrkdwn lines, mentions that
// would notify written out as code (`@here`), buttons as [labels].
func previewMrkdwn(m Message) string {
	lines := messageLines(m, func(s string) string {
		return livePattern.ReplaceAllStringFunc(s, func(x string) string {
			sub := livePattern.FindStringSubmatch(x)
			if sub[1] != "" {
				return "`@" + sub[1] + "`"
			}
			return "`@" + sub[3] + "`"
		})
	}, func(label string) string { return "[" + label + "]" })
	return strings.Join(lines, "\n")
}

// quoteMrkdwn prefixes every line with "> ".
func quoteMrkdwn(s string) string {
	return "> " + strings.ReplaceAll(s, "\n", "\n> ")
}

// messageLines walks a message's blocks: mrkdwn text through text, plain
// labels of buttons through label. A message without blocks is its Text.
func messageLines(m Message, text func(string) string, label func(string) string) []string {
	var lines []string
	add := func(s string) {
		if s != "" {
			lines = append(lines, text(s))
		}
	}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if b.Text != nil {
				add(b.Text.Text)
			}
		case *slack.SectionBlock:
			if b.Text != nil {
				add(b.Text.Text)
			}
			for _, f := range b.Fields {
				add(f.Text)
			}
		case *slack.ContextBlock:
			var parts []string
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok && t.Text != "" {
					parts = append(parts, t.Text)
				}
			}
			add(strings.Join(parts, " · "))
		case *slack.ActionBlock:
			var parts []string
			for _, e := range b.Elements.ElementSet {
				if bt, ok := e.(*slack.ButtonBlockElement); ok && bt.Text != nil {
					parts = append(parts, label(bt.Text.Text))
				}
			}
			if len(parts) > 0 {
				lines = append(lines, strings.Join(parts, " "))
			}
		}
	}
	if len(lines) == 0 && m.Text != "" {
		add(m.Text)
	}
	return lines
}

// plainMarkup is the Slack markup of mrkdwn in plain words: mentions
// (<!here>, <@U1>, <!subteam^S1>, <#C1>) and links (<url|label>).
var plainMarkup = regexp.MustCompile(`<([!@#])([^>|]*)(?:\|([^>]*))?>|<([^>|]+)\|([^>]*)>|<([^>]+)>`)

// MessagePlainText is a message as terminal text: its blocks' text with
// mrkdwn markup written out (@here, @U1, "label (url)"), entities
// unescaped, control characters removed, buttons as [labels].
func MessagePlainText(m Message) string {
	unescape := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	lines := messageLines(m, func(s string) string {
		s = plainMarkup.ReplaceAllStringFunc(s, func(x string) string {
			sub := plainMarkup.FindStringSubmatch(x)
			switch {
			case sub[1] != "":
				name := strings.TrimPrefix(sub[2], "subteam^")
				if sub[3] != "" {
					name = strings.TrimPrefix(sub[3], "@")
				}
				if sub[1] == "#" {
					return "#" + name
				}
				return "@" + name
			case sub[4] != "":
				return sub[5] + " (" + sub[4] + ")"
			}
			return sub[6]
		})
		var out []string
		for _, l := range strings.Split(unescape.Replace(s), "\n") {
			out = append(out, SanitizeText(stripFormatting(l)))
		}
		return strings.Join(out, "\n")
	}, func(label string) string { return "[" + SanitizeText(label) + "]" })
	return strings.Join(lines, "\n")
}

// stripFormatting drops mrkdwn's bold, italics and strike markers outside
// code spans: in our messages only our own formatting uses them (text from
// the inbox has look-alikes instead, see EscapeMrkdwn), and code spans
// hold queries as typed.
func stripFormatting(s string) string {
	var b strings.Builder
	inCode := false
	for _, r := range s {
		switch {
		case r == '`':
			inCode = !inCode
		case !inCode && (r == '*' || r == '_' || r == '~'):
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
