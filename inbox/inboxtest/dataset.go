package inboxtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// DefaultSeed seeds the demo inbox: the embedded demo of `inboxbot shell` and
// `inboxbot demo-api` both use it, so they serve the same contacts.
const DefaultSeed int64 = 20240605

// DefaultSize is how many contacts the demo inbox holds.
const DefaultSize = 600

// DemoCustomer is the account id (_customer) of every generated contact.
const DemoCustomer = "66e07fd940c43d176eaf0b71"

// pcgStream is the second word of the PCG state; fixed so that a seed alone
// decides the dataset.
const pcgStream = 0x696e626f78626f74 // "inboxbot"

// DemoAnchor returns the anchor the demo uses for "now": now truncated to the
// hour in UTC, so that two processes started within the same hour generate
// byte-identical data.
func DemoAnchor(now time.Time) time.Time { return now.UTC().Truncate(time.Hour) }

// DemoBots holds the demo's bot ids per channel (24 hex characters). It is a
// read-only table: do not modify it.
var DemoBots = map[inbox.Channel][]string{
	inbox.Website:  {"65f0a1b2c3d4e5f6a7b8c9d0", "65f0a1b2c3d4e5f6a7b8c9d1", "65f0a1b2c3d4e5f6a7b8c9d2"},
	inbox.WhatsApp: {"65f0c1d2e3f4a5b6c7d8e9f0", "65f0c1d2e3f4a5b6c7d8e9f1"},
	inbox.Telegram: {"65f0e1f2a3b4c5d6e7f8a9b0", "65f0e1f2a3b4c5d6e7f8a9b1"},
	inbox.Facebook: {"65f0f1a2b3c4d5e6f7a8b9c0", "65f0f1a2b3c4d5e6f7a8b9c1"},
}

// Agent is a demo agent: an alias-friendly name and its 24-hex id.
type Agent struct {
	Name string
	ID   string
}

// DemoAgents are the demo's agents. It is a read-only table.
var DemoAgents = []Agent{
	{"alice", "65ab12cd34ef56ab78cd90ef"},
	{"bob", "65ab12cd34ef56ab78cd90f0"},
	{"chen", "65ab12cd34ef56ab78cd90f1"},
	{"dmitri", "65ab12cd34ef56ab78cd90f2"},
	{"fatima", "65ab12cd34ef56ab78cd90f3"},
	{"priya", "65ab12cd34ef56ab78cd90f4"},
}

// Segment is a demo segment: an alias-friendly name and its 24-hex id.
type Segment struct {
	Name string
	ID   string
}

// DemoSegments are the demo's segments. It is a read-only table.
var DemoSegments = []Segment{
	{"returning", "65cc00aa11bb22cc33dd44e0"},
	{"high-value", "65cc00aa11bb22cc33dd44e1"},
	{"cart-abandoned", "65cc00aa11bb22cc33dd44e2"},
	{"newsletter", "65cc00aa11bb22cc33dd44e3"},
	{"beta-testers", "65cc00aa11bb22cc33dd44e4"},
	{"churn-risk", "65cc00aa11bb22cc33dd44e5"},
}

// NameKey says where a contact's name is written in its JSON.
type NameKey uint8

// The places a name can be: the API uses both keys, and sometimes neither.
const (
	NameInName         NameKey = iota // profile.userDetails.name
	NameInUserProvided                // profile.userDetails.userProvidedName
	NameAbsent                        // no name key at all
)

// Unassigned says how a contact without an agent writes _agentAssigned;
// the client must read every form as "unassigned" (inbox-api.md decision 8).
type Unassigned uint8

// The forms of "no agent".
const (
	UnassignedAbsent     Unassigned = iota // no _agentAssigned key
	UnassignedNull                         // "_agentAssigned": null
	UnassignedEmpty                        // "_agentAssigned": ""
	UnassignedEmptyArray                   // "_agentAssigned": []
)

// Phone is a telephone number as the API splits it.
type Phone struct {
	Prefix string // country calling code, without "+"
	Number string
}

// Contact is one contact of the fake inbox: the values the filters are
// evaluated on, plus how they are spelt in JSON (name key, platform case,
// form of "unassigned"). Times should have millisecond precision: the JSON
// carries milliseconds, filters compare the values held here.
type Contact struct {
	ID                 string
	Channel            inbox.Channel // the primary platform
	UpperPlatform      bool          // written "WHATSAPP" rather than "whatsapp"
	SecondaryPlatforms []inbox.Channel
	BotID              string // the bot the contact talks to, on Channel
	Name               string
	NameKey            NameKey
	Email              string
	Phone              Phone
	Country            string
	Tags               []string
	Status             inbox.Status
	Online             bool
	Interacted         bool
	LiveChat           bool
	AgentID            string     // "" when unassigned
	Unassigned         Unassigned // how "" is written
	Segments           []string
	Ordered            bool
	LastOrderAt        time.Time
	LastMessage        inbox.Message
	Unread             int
	LastSeenAt         time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// WhatsAppNumber is the number the API reports for WhatsApp contacts: prefix
// and number run together; "" for other channels.
func (c Contact) WhatsAppNumber() string {
	if c.Channel != inbox.WhatsApp || c.Phone.Number == "" {
		return ""
	}
	return c.Phone.Prefix + c.Phone.Number
}

type wirePhone struct {
	Number string `json:"number"`
	Prefix string `json:"prefix"`
}

type wireContactInfo struct {
	Email string    `json:"email"`
	Phone wirePhone `json:"phone"`
}

type wireUserDetails struct {
	Contact          wireContactInfo `json:"contact"`
	Name             *string         `json:"name,omitempty"`
	UserProvidedName *string         `json:"userProvidedName,omitempty"`
	Tags             []string        `json:"tags"`
	Attributes       []string        `json:"attributes"`
	Country          string          `json:"country"`
	WhatsAppNumber   string          `json:"whatsAppNumber"`
}

type wireProfile struct {
	UserDetails wireUserDetails `json:"userDetails"`
	Notes       []string        `json:"notes"`
}

type wireMessage struct {
	By   inbox.Sender `json:"by"`
	At   string       `json:"at"`
	Text string       `json:"text"`
}

type wireOrdered struct {
	Status bool   `json:"status"`
	LastAt string `json:"lastAt,omitempty"`
}

// wireContact is a contact in the shape of the recorded sample of
// inbox-api.md, key for key and in its order.
type wireContact struct {
	ID                string          `json:"_id"`
	Customer          string          `json:"_customer"`
	Bot               string          `json:"_bot"`
	Platform          []string        `json:"platform"`
	SecondaryPlatform []string        `json:"secondaryPlatform"`
	IsOnline          bool            `json:"isOnline"`
	UserInteracted    bool            `json:"userInteracted"`
	Profile           wireProfile     `json:"profile"`
	Status            inbox.Status    `json:"status"`
	LastMessage       wireMessage     `json:"lastMessage"`
	IsContact         bool            `json:"isContact"`
	AgentAssigned     json.RawMessage `json:"_agentAssigned,omitempty"`
	Segments          []string        `json:"segments"`
	IsLiveChatActive  bool            `json:"isLiveChatActive"`
	HasOrdered        wireOrdered     `json:"hasOrdered"`
	UnreadMessages    int             `json:"unreadMessages"`
	LastSeenAt        string          `json:"lastSeenAt"`
	CreatedAt         string          `json:"createdAt"`
	UpdatedAt         string          `json:"updatedAt"`
}

// MarshalJSON writes the contact as the API does (see inbox-api.md), with
// HTML characters unescaped as a Node.js server sends them.
func (c Contact) MarshalJSON() ([]byte, error) {
	w := wireContact{
		ID:                c.ID,
		Customer:          DemoCustomer,
		Bot:               c.BotID,
		Platform:          []string{platformName(c.Channel, c.UpperPlatform)},
		SecondaryPlatform: []string{},
		IsOnline:          c.Online,
		UserInteracted:    c.Interacted,
		Profile: wireProfile{
			UserDetails: wireUserDetails{
				Contact:        wireContactInfo{Email: c.Email, Phone: wirePhone{Number: c.Phone.Number, Prefix: c.Phone.Prefix}},
				Tags:           nonNil(c.Tags),
				Attributes:     []string{},
				Country:        c.Country,
				WhatsAppNumber: c.WhatsAppNumber(),
			},
			Notes: []string{},
		},
		Status:           c.Status,
		LastMessage:      wireMessage{By: c.LastMessage.By, At: inbox.FormatTime(c.LastMessage.At), Text: c.LastMessage.Text},
		IsContact:        true,
		AgentAssigned:    agentJSON(c.AgentID, c.Unassigned),
		Segments:         nonNil(c.Segments),
		IsLiveChatActive: c.LiveChat,
		HasOrdered:       wireOrdered{Status: c.Ordered},
		UnreadMessages:   c.Unread,
		LastSeenAt:       inbox.FormatTime(c.LastSeenAt),
		CreatedAt:        inbox.FormatTime(c.CreatedAt),
		UpdatedAt:        inbox.FormatTime(c.UpdatedAt),
	}
	for _, p := range c.SecondaryPlatforms {
		w.SecondaryPlatform = append(w.SecondaryPlatform, string(p))
	}
	if c.Ordered {
		w.HasOrdered.LastAt = inbox.FormatTime(c.LastOrderAt)
	}
	name := c.Name
	switch c.NameKey {
	case NameInName:
		w.Profile.UserDetails.Name = &name
	case NameInUserProvided:
		w.Profile.UserDetails.UserProvidedName = &name
	}
	return marshalNoEscape(w)
}

// marshalNoEscape is json.Marshal without HTML escaping and without the
// encoder's trailing newline.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func platformName(c inbox.Channel, upper bool) string {
	if upper {
		return strings.ToUpper(string(c))
	}
	return string(c)
}

// agentJSON is the value of _agentAssigned: the id, or one of the forms of
// "nobody" (nil omits the key).
func agentJSON(id string, form Unassigned) json.RawMessage {
	if id != "" {
		b, _ := json.Marshal(id) // a string always marshals
		return b
	}
	switch form {
	case UnassignedNull:
		return json.RawMessage("null")
	case UnassignedEmpty:
		return json.RawMessage(`""`)
	case UnassignedEmptyArray:
		return json.RawMessage("[]")
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Generate returns n realistic contacts, deterministically: the same seed,
// n and anchor give byte-identical JSON. Their times lie within the 90 days
// before anchor (a good share within the last hour); they are sorted as the
// API serves them, newest createdAt first.
func Generate(seed int64, n int, anchor time.Time) []Contact {
	g := &generator{
		rng:    rand.New(rand.NewPCG(uint64(seed), pcgStream)),
		anchor: anchor.UTC().Truncate(time.Millisecond),
	}
	contacts := make([]Contact, max(n, 0))
	for i := range contacts {
		contacts[i] = g.contact()
	}
	g.addHostile(contacts)
	g.assignIDs(contacts)
	SortContacts(contacts)
	return contacts
}

// SortContacts sorts contacts in the API's order: newest createdAt first,
// ties broken by _id, so that paging is stable.
func SortContacts(cs []Contact) {
	slices.SortStableFunc(cs, func(a, b Contact) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

type generator struct {
	rng    *rand.Rand
	anchor time.Time
}

const (
	day      = 24 * time.Hour
	horizon  = 90 * day
	waitUnit = time.Millisecond
)

// chance returns true with the given probability in percent.
func (g *generator) chance(percent int) bool { return g.rng.IntN(100) < percent }

func pick[T any](g *generator, s []T) T { return s[g.rng.IntN(len(s))] }

// between returns a random duration in [lo, hi), in whole milliseconds.
func (g *generator) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(int64((hi-lo)/waitUnit)))*waitUnit
}

// weighted returns an index into weights, chosen in proportion to them.
func (g *generator) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := g.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

func (g *generator) contact() Contact {
	var c Contact
	g.person(&c)
	g.platform(&c)
	g.times(&c)
	g.conversation(&c)
	g.labels(&c)
	return c
}

// person sets name, e-mail, phone and country.
func (g *generator) person(c *Contact) {
	weights := make([]int, len(scripts))
	for i, s := range scripts {
		weights[i] = s.weight
	}
	s := scripts[g.weighted(weights)]
	given := pick(g, s.givens)
	name, handle := given.native, given.ascii
	if len(s.families) > 0 {
		family := pick(g, s.families)
		if s.familyFirst {
			name = family.native + s.sep + given.native
		} else {
			name = given.native + s.sep + family.native
		}
		handle = given.ascii + pick(g, []string{".", "_", ""}) + family.ascii
	}
	c.Name = name
	c.NameKey = NameInName
	switch r := g.rng.IntN(100); {
	case r < 3:
		c.Name, c.NameKey = "", NameAbsent
	case r < 50:
		c.NameKey = NameInUserProvided
	}
	home := pick(g, s.places)
	c.Country = home.country
	if g.chance(70) {
		if g.chance(40) {
			handle += fmt.Sprint(g.rng.IntN(100))
		}
		c.Email = handle + "@" + pick(g, emailDomains)
	}
	if g.chance(60) {
		c.Phone = Phone{Prefix: home.prefix, Number: g.digits(9 + g.rng.IntN(2))}
	}
}

func (g *generator) digits(n int) string {
	b := make([]byte, n)
	b[0] = byte('2' + g.rng.IntN(8))
	for i := 1; i < n; i++ {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

// platform sets channel, bot and how the platform is spelt.
func (g *generator) platform(c *Contact) {
	c.Channel = inbox.Channels[g.weighted([]int{40, 30, 15, 15})]
	c.BotID = pick(g, DemoBots[c.Channel])
	if c.Channel == inbox.WhatsApp {
		c.UpperPlatform = g.chance(70) // the recorded sample says "WHATSAPP"
		if c.Phone.Number == "" {
			c.Phone = Phone{Prefix: "91", Number: g.digits(10)}
		}
	} else {
		c.UpperPlatform = g.chance(25)
		if c.Channel != inbox.Website && g.chance(20) {
			c.SecondaryPlatforms = []inbox.Channel{inbox.Website}
		}
	}
}

// times sets lastSeenAt, createdAt and presence, skewed to recent activity.
func (g *generator) times(c *Contact) {
	var seenAge time.Duration
	switch g.weighted([]int{20, 18, 25, 37}) {
	case 0:
		seenAge = g.between(0, time.Hour)
	case 1:
		seenAge = g.between(time.Hour, day)
	case 2:
		seenAge = g.between(day, 7*day)
	default:
		seenAge = g.between(7*day, horizon)
	}
	createdAge := g.between(seenAge, horizon)
	if g.chance(30) {
		createdAge = min(seenAge+g.between(0, 6*time.Hour), horizon)
	}
	c.LastSeenAt = g.anchor.Add(-seenAge)
	c.CreatedAt = g.anchor.Add(-createdAge)
	switch {
	case seenAge < 10*time.Minute:
		c.Online = g.chance(80)
	case seenAge < time.Hour:
		c.Online = g.chance(50)
	case seenAge < day:
		c.Online = g.chance(6)
	}
	switch {
	case seenAge < time.Hour:
		c.LiveChat = g.chance(45)
	case seenAge < day:
		c.LiveChat = g.chance(10)
	default:
		c.LiveChat = g.chance(2)
	}
}

// conversation sets status, agent, last message and order history.
func (g *generator) conversation(c *Contact) {
	c.Status = inbox.Statuses[g.weighted([]int{30, 20, 8, 10, 5, 27})]
	if c.LiveChat && c.Status == inbox.StatusClosed {
		c.Status = inbox.StatusOpen
	}
	assignedPercent := 85 // work in progress mostly has an owner
	switch {
	case c.LiveChat:
		assignedPercent = 50
	case c.Status == inbox.StatusOpen:
		assignedPercent = 40
	case c.Status == inbox.StatusClosed:
		assignedPercent = 70
	}
	if g.chance(assignedPercent) {
		c.AgentID = pick(g, DemoAgents).ID
	} else {
		c.Unassigned = Unassigned(g.weighted([]int{40, 20, 20, 20}))
	}
	c.Interacted = g.chance(85)
	g.lastMessage(c)
	if g.chance(25) {
		c.Ordered = true
		c.LastOrderAt = c.CreatedAt.Add(g.between(0, c.LastSeenAt.Sub(c.CreatedAt)+waitUnit))
	}
	updated := c.LastSeenAt
	if c.LastMessage.At.After(updated) {
		updated = c.LastMessage.At
	}
	c.UpdatedAt = minTime(updated.Add(g.between(0, 10*time.Minute)), g.anchor)
}

func (g *generator) lastMessage(c *Contact) {
	by := inbox.ByBot
	if c.Interacted {
		by = inbox.Senders[g.weighted([]int{55, 25, 20})]
		if by == inbox.ByAgent && c.AgentID == "" {
			by = inbox.ByUser
		}
	}
	m := inbox.Message{By: by}
	switch by {
	case inbox.ByUser:
		m.At = maxTime(c.LastSeenAt.Add(-g.between(0, 2*time.Minute)), c.CreatedAt)
		m.Text = pick(g, userTexts)
		c.Unread = 1 + g.rng.IntN(5)
	case inbox.ByBot:
		m.At = c.LastSeenAt
		m.Text = pick(g, botTexts)
	case inbox.ByAgent:
		m.At = minTime(c.LastSeenAt.Add(g.between(0, 20*time.Minute)), g.anchor)
		m.Text = pick(g, agentTexts)
	}
	c.LastMessage = m
}

// labels sets tags and segments.
func (g *generator) labels(c *Contact) {
	for _, t := range tagWeights {
		if g.chance(t.percent) {
			c.Tags = append(c.Tags, t.name)
		}
	}
	for _, s := range DemoSegments {
		if g.chance(12) {
			c.Segments = append(c.Segments, s.ID)
		}
	}
}

// addHostile gives some contacts names and texts that break careless
// renderers. The first ones are made recent, live and unassigned, so that
// the demo's default query (live unassigned) shows them on its first page.
func (g *generator) addHostile(cs []Contact) {
	if len(cs) == 0 {
		return
	}
	long := longName(3000)
	names := append(slices.Clone(hostileNames), long)
	for k, name := range names {
		c := &cs[(k*len(cs))/len(names)]
		c.Name, c.NameKey = name, NameInName
		if k < 3 {
			g.makeWaiting(c)
		}
	}
	tagged := &cs[len(cs)/2]
	tagged.Tags = append(tagged.Tags, longTag(500))
	texts := &cs[len(cs)/3]
	texts.LastMessage.By = inbox.ByUser
	texts.LastMessage.Text = "<!here> *urgent* call me at <tel:+15550100|+1 555 0100> " + strings.Repeat("please ", 570)
}

// makeWaiting turns c into a live chat nobody answered, from the last hour.
func (g *generator) makeWaiting(c *Contact) {
	c.LastSeenAt = g.anchor.Add(-g.between(11*time.Minute, time.Hour))
	c.CreatedAt = c.LastSeenAt.Add(-g.between(0, 30*time.Minute))
	c.LiveChat, c.Online, c.Interacted = true, true, true
	c.Status = inbox.StatusOpen
	c.AgentID = ""
	c.LastMessage = inbox.Message{By: inbox.ByUser, At: c.LastSeenAt, Text: pick(g, userTexts)}
	c.Ordered, c.LastOrderAt = false, time.Time{}
	c.UpdatedAt = c.LastSeenAt
}

// longName is a name of n characters mixing scripts, so that truncation by
// bytes rather than characters shows.
func longName(n int) string {
	unit := []rune("Ünïcødé 名前 Long ")
	name := make([]rune, n)
	for i := range name {
		name[i] = unit[i%len(unit)]
	}
	if n > 0 && name[n-1] == ' ' {
		name[n-1] = 'Z' // clients trim names; keep exactly n characters
	}
	return string(name)
}

func longTag(n int) string {
	return "tag-" + strings.Repeat("x", n-4)
}

// assignIDs gives every contact a unique ObjectId-like id: the creation time
// in seconds, then random bytes, as MongoDB does.
func (g *generator) assignIDs(cs []Contact) {
	seen := make(map[string]bool, len(cs))
	for i := range cs {
		for {
			id := fmt.Sprintf("%08x%016x", uint32(cs[i].CreatedAt.Unix()), g.rng.Uint64())
			if !seen[id] {
				seen[id] = true
				cs[i].ID = id
				break
			}
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
