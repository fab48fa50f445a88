package commands

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// Caps on each piece of an entry, in characters after escaping. They keep
// one contact far below a section's 3,000 characters whatever the data.
const (
	capName     = 60
	capTags     = 120
	capAgent    = 40
	capEmail    = 80
	capPhone    = 40
	capStatus   = 30
	capSender   = 20
	capChannel  = 20
	capLinkURL  = 400 // longer links (a huge INBOX_WEB_URL or id) are dropped
	capNameTiny = 30  // the minimal level
)

// contactView is a contact's display pieces, already escaped for the
// target (mrkdwn or terminal) and capped.
type contactView struct {
	name       string
	link       string // "" when there is no link
	online     bool
	channel    string
	status     string
	tags       string
	assignee   string // "" when unassigned
	seen       string // "5 min ago", "" when unknown
	lastBy     string // "the contact", "the bot", "an agent", ""
	email      string
	phone      string
	liveChat   bool
	ordered    bool
	unassigned bool
}

// escapers says how text becomes safe for the target: text for prose,
// code for code spans (mrkdwn) and link for URLs.
type escapers struct {
	text func(string) string
	code func(string) string
	link func(string) string
}

// mrkdwnEscapers escape for mrkdwn text objects.
func mrkdwnEscapers() escapers {
	return escapers{text: EscapeMrkdwn, code: escapeCode, link: escapeEntitiesOnly}
}

// terminalEscapers only strip what could mess up a terminal.
func terminalEscapers() escapers {
	return escapers{text: SanitizeText, code: SanitizeText, link: SanitizeText}
}

func viewOf(u inbox.User, o RenderOptions, esc escapers) contactView {
	v := contactView{
		name:       Truncate(strings.TrimSpace(esc.text(u.Name)), capName),
		online:     u.Online,
		channel:    Truncate(esc.text(channelName(u.Channel())), capChannel),
		status:     Truncate(esc.text(statusName(u.Status)), capStatus),
		tags:       Truncate(esc.text(strings.Join(u.Tags, ", ")), capTags),
		seen:       ago(u.LastSeenAt, o.Now, o.Location),
		lastBy:     Truncate(esc.text(senderName(u.LastMessage.By)), capSender),
		email:      Truncate(esc.code(MaskEmail(u.Email, o.PII)), capEmail),
		phone:      Truncate(esc.code(MaskPhone(u.Phone, o.PII)), capPhone),
		liveChat:   u.LiveChat,
		ordered:    u.Ordered,
		unassigned: !u.Assigned(),
	}
	if v.name == "" {
		v.name = "(no name)"
	}
	if u.Assigned() {
		v.assignee = Truncate(esc.text(agentName(u.AgentID, o.AgentNames)), capAgent)
	}
	if link := inboxLink(o.WebURL, u.ID); link != "" {
		if l := esc.link(link); len(l) <= capLinkURL {
			v.link = l
		}
	}
	return v
}

// linkEscaper keeps a configured base URL from breaking out of a mrkdwn
// link. Built once: a Replacer is immutable and safe for concurrent use.
var linkEscaper = strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20")

// inboxLink is where a contact opens in the inbox's web app:
// WEBURL/inbox?user=ID. The web app's real deep-link path is not
// documented; this one is a plausible guess kept in one place. The id is
// query-escaped, which also keeps "|" and ">" out of a mrkdwn link.
func inboxLink(base, id string) string {
	if base == "" || id == "" {
		return ""
	}
	base = strings.TrimRight(base, "/")
	base = linkEscaper.Replace(base)
	return base + "/inbox?user=" + url.QueryEscape(id)
}

// channelName, statusName and senderName are how a contact's channel,
// status and last sender read in a row: the words of the query's enum
// tables (channelValues, statusValues, senderValues), so that an answer
// and its interpretation say the same thing. An unknown value is shown as
// the API sent it.
func channelName(c inbox.Channel) string { return enumDisplay(channelValues, string(c)) }

func statusName(s inbox.Status) string { return capitalize(enumDisplay(statusValues, string(s))) }

func senderName(s inbox.Sender) string { return enumDisplay(senderValues, string(s)) }

// enumDisplay is the display of the enum value the API calls value, or
// value itself.
func enumDisplay(values []enumValue, value string) string {
	for _, e := range values {
		if e.value == value {
			return e.display
		}
	}
	return value
}

// capitalize upper-cases the first letter of an ASCII label.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// agentName is the alias of an agent, or its id shortened to the last six
// characters (ObjectIds differ most at the end; the start is a timestamp).
func agentName(id string, names map[string]string) string {
	if n := names[id]; n != "" {
		return n
	}
	if len(id) <= 8 {
		return id
	}
	return "agent …" + id[len(id)-6:]
}

// ago says how long before now t was: "just now", "5 min ago", "3 h ago",
// "2 d ago", or the date beyond a year. "" when t is unknown.
func ago(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now" // also a clock slightly ahead of ours
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min ago"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h ago"
	case d < 365*24*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " d ago"
	}
	return "on " + t.In(loc).Format("2006-01-02")
}

// headline is the count: exact when known, "N+" otherwise, where N counts
// this page and the matches before it. A page past the end, or a scan
// that stopped at its bound before finding any, claims no count it does
// not know.
func headline(a *Answer) string {
	switch {
	case a.Total > 0:
		return plural(a.Total, "contact")
	case a.PastEnd:
		return "No more contacts"
	case len(a.Users) == 0 && a.Truncated:
		return "No matches so far"
	case a.Total == 0, a.Total < 0 && len(a.Users) == 0:
		return "No contacts"
	}
	return thousands(a.Before+len(a.Users)) + "+ contacts"
}

// emptyReason says why a page past page 1, or a bounded scan, shows no
// contact, in words shared by Block Kit and the terminal (no mrkdwn).
func emptyReason(a *Answer) string {
	if a.PastEnd {
		if a.Total > 0 && a.Last != nil {
			return fmt.Sprintf("No more contacts: the query has %s, on %s.", thousands(a.Total), pagesUpTo(a.Last.Page))
		}
		return fmt.Sprintf("No more contacts: page %d is past the end of the results.", a.Page)
	}
	scanned := thousands(a.Scanned) + " most recent " + pluralNoun(a.Scanned, "contact")
	if a.Before > 0 || a.Start.Page > 1 || a.Start.Offset > 0 {
		scanned = "next " + pluralThousands(a.Scanned, "contact")
	}
	stop := ""
	if a.TimedOut {
		stop = " before the time limit"
	}
	return "None in the " + scanned + " I scanned" + stop + ". Next ▶ continues the scan."
}

func pagesUpTo(last int) string {
	if last <= 1 {
		return "page 1"
	}
	return "pages 1-" + strconv.Itoa(last)
}

// prevLabel names where the Prev button leads: the previous page, or, past
// the end, the last page or the first one.
func prevLabel(a *Answer) string {
	switch {
	case !a.PastEnd:
		return "Prev"
	case a.Last != nil:
		return "Page " + strconv.Itoa(a.Last.Page)
	}
	return "First page"
}

// rowNumber is the number of row i of a's page in the whole result.
func rowNumber(a *Answer, i int) string {
	return strconv.Itoa(max(a.Before, 0) + i + 1)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func pluralNoun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// pluralThousands is plural with a thousands separator: "1,000 contacts".
func pluralThousands(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// updatedLine is the footer: when the answer was made and, for a bounded
// client-side walk, how much was scanned.
func updatedLine(a *Answer, o RenderOptions) string {
	at := a.At
	if at.IsZero() {
		at = o.Now
	}
	var parts []string
	if !at.IsZero() {
		parts = append(parts, "Updated "+at.In(o.Location).Format("15:04 MST"))
	}
	switch {
	case a.TimedOut:
		parts = append(parts, "scanned "+pluralThousands(a.Scanned, "contact")+" (time limit reached)")
	case a.Truncated:
		parts = append(parts, "scanned "+pluralThousands(a.Scanned, "contact")+" (limit reached)")
	case a.Scanned > 0:
		parts = append(parts, "scanned "+pluralThousands(a.Scanned, "contact"))
	}
	if a.Skipped > 0 {
		parts = append(parts, plural(a.Skipped, "malformed contact")+" skipped")
	}
	return strings.Join(parts, " · ")
}

// normalized fills the options' zero values with safe defaults.
func (o RenderOptions) normalized() RenderOptions {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if _, ok := ParsePIIMode(string(o.PII)); !ok {
		o.PII = PIIMasked
	}
	return o
}
