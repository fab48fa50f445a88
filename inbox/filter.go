// Package inbox is the client of the Convertalk (BotPenguin) inbox API: the
// request body of POST /inbox/users (Filter), the contacts it returns (User,
// Page), typed errors, retries and page walking.
package inbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Channel is a messaging platform a contact talks to a bot on.
type Channel string

// The four channels of the API, in the order of the request body's _bot* fields.
const (
	Website  Channel = "website"
	WhatsApp Channel = "whatsapp"
	Telegram Channel = "telegram"
	Facebook Channel = "facebook"
)

// Channels lists every channel in request-body order.
var Channels = []Channel{Website, WhatsApp, Telegram, Facebook}

// ParseChannel returns the channel named s, in any case.
func ParseChannel(s string) (Channel, bool) {
	c := Channel(strings.ToLower(strings.TrimSpace(s)))
	return c, slices.Contains(Channels, c)
}

// Status is a conversation status as the API spells it.
type Status string

// The six conversation statuses (DEPENDANCY is the API's spelling).
const (
	StatusOpen       Status = "OPEN"
	StatusInProgress Status = "INPROGRESS"
	StatusReview     Status = "REVIEW"
	StatusOnHold     Status = "ONHOLD"
	StatusDependancy Status = "DEPENDANCY"
	StatusClosed     Status = "CLOSED"
)

// Statuses lists every status in the API's documented order.
var Statuses = []Status{StatusOpen, StatusInProgress, StatusReview, StatusOnHold, StatusDependancy, StatusClosed}

// Sender is who wrote a message: the contact, the bot or an agent.
type Sender string

// The values of lastMessageBy (inbox-api.md decision 5).
const (
	ByUser  Sender = "user"
	ByBot   Sender = "bot"
	ByAgent Sender = "agent"
)

// Senders lists every sender in canonical order.
var Senders = []Sender{ByUser, ByBot, ByAgent}

// TimeRange bounds a timestamp: From inclusive, Until exclusive; a zero bound
// is open. The zero TimeRange applies no filter.
type TimeRange struct {
	From  time.Time
	Until time.Time
}

// IsZero reports whether the range has no bound at all.
func (r TimeRange) IsZero() bool { return r.From.IsZero() && r.Until.IsZero() }

// Contains reports whether t lies in the range.
func (r TimeRange) Contains(t time.Time) bool {
	if !r.From.IsZero() && t.Before(r.From) {
		return false
	}
	if !r.Until.IsZero() && !t.Before(r.Until) {
		return false
	}
	return true
}

// OrderFilter is the hasOrdered filter: Ordered false means "never ordered";
// Ordered true with a non-zero Since means "last order at or after Since".
type OrderFilter struct {
	Ordered bool
	Since   time.Time
}

// Bots holds bot ids per channel: the _botWebsite, _botWhatsapp, _botTelegram
// and _botFacebook fields of the request body.
type Bots struct {
	Website  []string
	WhatsApp []string
	Telegram []string
	Facebook []string
}

// For returns a pointer to the id list of channel c (nil for an unknown channel).
func (b *Bots) For(c Channel) *[]string {
	switch c {
	case Website:
		return &b.Website
	case WhatsApp:
		return &b.WhatsApp
	case Telegram:
		return &b.Telegram
	case Facebook:
		return &b.Facebook
	}
	return nil
}

// Add appends id to channel c's list unless it is already there.
func (b *Bots) Add(c Channel, id string) {
	if p := b.For(c); p != nil && !slices.Contains(*p, id) {
		*p = append(*p, id)
	}
}

// IsZero reports whether no bot id is set.
func (b Bots) IsZero() bool {
	return len(b.Website)+len(b.WhatsApp)+len(b.Telegram)+len(b.Facebook) == 0
}

// Filter is the request body of POST /inbox/users. Nil pointers and empty
// slices mean "not filtered"; its JSON form always carries every field of the
// contract (inbox-api.md), with applicableFilters derived from what is set.
type Filter struct {
	SearchText     string
	Tags           []string // tag names, any of them
	Status         []Status // any of them
	Online         *bool
	Bots           Bots
	AgentAssigned  []string // agent ids, any of them
	Segments       []string // segment ids, any of them
	LastSeen       TimeRange
	Created        TimeRange
	Interacted     *bool
	LastMessageBy  []Sender
	LiveChatActive *bool
	Ordered        *OrderFilter
	Page           int // 1-based; 0 is sent as 1
}

// Names of the filters listed in applicableFilters, in body order (decision 1).
const (
	applyOnline     = "isOnline"
	applyLastSeen   = "lastSeenAt"
	applyCreated    = "createdAt"
	applyInteracted = "userInteracted"
	applyLive       = "isLiveChatActive"
	applyOrdered    = "hasOrdered"
)

// ApplicableFilters returns the names the API needs in applicableFilters:
// every boolean or object filter that is set, in request-body order.
func (f Filter) ApplicableFilters() []string {
	names := []string{}
	if f.Online != nil {
		names = append(names, applyOnline)
	}
	if !f.LastSeen.IsZero() {
		names = append(names, applyLastSeen)
	}
	if !f.Created.IsZero() {
		names = append(names, applyCreated)
	}
	if f.Interacted != nil {
		names = append(names, applyInteracted)
	}
	if f.LiveChatActive != nil {
		names = append(names, applyLive)
	}
	if f.Ordered != nil {
		names = append(names, applyOrdered)
	}
	return names
}

// TimeLayout is how the API's timestamps are written: RFC 3339 UTC with
// milliseconds (decision 3).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime writes t as the API expects, or "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

type wireRange struct {
	StartAt string `json:"startAt"`
	EndsAt  string `json:"endsAt"`
}

type wireOrdered struct {
	Status bool   `json:"status"`
	LastAt string `json:"lastAt"`
}

// wireFilter is the body exactly as the API takes it; field order is the
// contract's, so marshalled bodies read like the vendor's sample.
type wireFilter struct {
	SearchText        string      `json:"searchText"`
	Tags              []string    `json:"tags"`
	Status            []Status    `json:"status"`
	IsOnline          bool        `json:"isOnline"`
	BotWebsite        []string    `json:"_botWebsite"`
	BotWhatsapp       []string    `json:"_botWhatsapp"`
	BotTelegram       []string    `json:"_botTelegram"`
	BotFacebook       []string    `json:"_botFacebook"`
	AgentAssigned     []string    `json:"_agentAssigned"`
	Segments          []string    `json:"segments"`
	ApplicableFilters []string    `json:"applicableFilters"`
	LastSeenAt        wireRange   `json:"lastSeenAt"`
	CreatedAt         wireRange   `json:"createdAt"`
	UserInteracted    bool        `json:"userInteracted"`
	LastMessageBy     []Sender    `json:"lastMessageBy"`
	IsLiveChatActive  bool        `json:"isLiveChatActive"`
	HasOrdered        wireOrdered `json:"hasOrdered"`
	Page              int         `json:"page"`
	IsExport          string      `json:"isExport"`
	IsContact         bool        `json:"isContact"`
}

// nonNil returns s, or an empty slice so that it marshals as [] and not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func deref(b *bool) bool { return b != nil && *b }

// MarshalJSON writes the full request body of the contract.
func (f Filter) MarshalJSON() ([]byte, error) {
	page := f.Page
	if page < 1 {
		page = 1
	}
	w := wireFilter{
		SearchText:        f.SearchText,
		Tags:              nonNil(f.Tags),
		Status:            nonNil(f.Status),
		IsOnline:          deref(f.Online),
		BotWebsite:        nonNil(f.Bots.Website),
		BotWhatsapp:       nonNil(f.Bots.WhatsApp),
		BotTelegram:       nonNil(f.Bots.Telegram),
		BotFacebook:       nonNil(f.Bots.Facebook),
		AgentAssigned:     nonNil(f.AgentAssigned),
		Segments:          nonNil(f.Segments),
		ApplicableFilters: f.ApplicableFilters(),
		LastSeenAt:        wireRange{FormatTime(f.LastSeen.From), FormatTime(f.LastSeen.Until)},
		CreatedAt:         wireRange{FormatTime(f.Created.From), FormatTime(f.Created.Until)},
		UserInteracted:    deref(f.Interacted),
		LastMessageBy:     nonNil(f.LastMessageBy),
		IsLiveChatActive:  deref(f.LiveChatActive),
		Page:              page,
		IsExport:          "none",
		IsContact:         true,
	}
	if f.Ordered != nil {
		w.HasOrdered = wireOrdered{Status: f.Ordered.Ordered, LastAt: FormatTime(f.Ordered.Since)}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a request body back (the fake API and tests use it).
// Unknown fields are rejected; boolean and object filters are taken as set
// only when applicableFilters names them, as the API does (decision 1).
func (f *Filter) UnmarshalJSON(data []byte) error {
	var w wireFilter
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("inbox: filter: %w", err)
	}
	applied := func(name string) bool { return slices.Contains(w.ApplicableFilters, name) }
	boolIf := func(name string, v bool) *bool {
		if !applied(name) {
			return nil
		}
		return &v
	}
	var err error
	rangeIf := func(name string, r wireRange) TimeRange {
		if !applied(name) {
			return TimeRange{}
		}
		var tr TimeRange
		if tr.From, err = parseOptionalTime(name+".startAt", r.StartAt, err); err != nil {
			return tr
		}
		tr.Until, err = parseOptionalTime(name+".endsAt", r.EndsAt, err)
		return tr
	}
	*f = Filter{
		SearchText:     w.SearchText,
		Tags:           w.Tags,
		Status:         w.Status,
		Online:         boolIf(applyOnline, w.IsOnline),
		Bots:           Bots{w.BotWebsite, w.BotWhatsapp, w.BotTelegram, w.BotFacebook},
		AgentAssigned:  w.AgentAssigned,
		Segments:       w.Segments,
		LastSeen:       rangeIf(applyLastSeen, w.LastSeenAt),
		Created:        rangeIf(applyCreated, w.CreatedAt),
		Interacted:     boolIf(applyInteracted, w.UserInteracted),
		LastMessageBy:  w.LastMessageBy,
		LiveChatActive: boolIf(applyLive, w.IsLiveChatActive),
		Page:           w.Page,
	}
	if applied(applyOrdered) {
		o := &OrderFilter{Ordered: w.HasOrdered.Status}
		o.Since, err = parseOptionalTime("hasOrdered.lastAt", w.HasOrdered.LastAt, err)
		f.Ordered = o
	}
	return err
}

// parseOptionalTime parses an API timestamp ("" is the zero time), keeping the
// first error seen so that a chain of calls reports the earliest problem.
func parseOptionalTime(field, s string, prev error) (time.Time, error) {
	if prev != nil || s == "" {
		return time.Time{}, prev
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("inbox: filter: %s: %q is not an RFC 3339 time", field, s)
	}
	return t, nil
}
