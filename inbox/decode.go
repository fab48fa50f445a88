package inbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DecodePage reads the body of a successful POST /inbox/users answer for
// server page page, assuming (without having confirmed it) that full pages
// hold pageSize contacts: a Last concluded from that size is Inferred. It
// is tolerant as inbox-api.md asks: unknown fields are ignored, missing
// ones and values of an unexpected type leave zero values, and an item of
// data that is not an object (null, a number...) is skipped and counted in
// Page.Skipped. success:false is an *APIError; a body that is not a JSON
// object, or whose data is missing or not an array, is a *BadResponseError.
func DecodePage(body []byte, page, pageSize int) (*Page, error) {
	return decodePage(body, 200, page, pageSize, false)
}

// decodePage is DecodePage for an answer of HTTP status status; confirmed
// says that a walk has seen the API's page size to be pageSize.
func decodePage(body []byte, status, page, pageSize int, confirmed bool) (*Page, error) {
	page, pageSize = max(page, 1), max(pageSize, 1)
	bad := func(reason string, err error) error {
		return &BadResponseError{StatusCode: status, Reason: reason, Err: err}
	}
	var env envelope
	if err := unmarshalObject(body, &env); err != nil {
		return nil, bad("not a JSON object", err)
	}
	if env.Success != nil && !bool(*env.Success) {
		return nil, &APIError{StatusCode: status, Code: env.Code.int(), Message: string(env.Message)}
	}
	raw := bytes.TrimSpace(env.Data)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, bad("no data", nil)
	}
	if raw[0] != '[' {
		return nil, bad("data is not an array", nil)
	}
	var items []rawJSON
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, bad("data is not an array", err)
	}
	users := make([]User, 0, len(items))
	skipped := 0
	for _, item := range items {
		var wc wireContact
		if err := unmarshalObject(item, &wc); err != nil {
			// One broken contact must not cost the page: skip it, say so.
			skipped++
			continue
		}
		users = append(users, wc.user())
	}
	p := &Page{Number: page, Users: users, Skipped: skipped, Size: max(pageSize, len(items))}
	// The server's page held every item, skipped or not: that is what
	// says whether it was a full page.
	p.Total, p.Last, p.Inferred = env.pageInfo(page, pageSize, confirmed, len(items))
	return p, nil
}

// rawJSON is a JSON value left undecoded. Unlike json.RawMessage it does not
// copy: it aliases the body being decoded, which json.Unmarshal passes in
// place and which outlives every rawJSON of one decodePage call. That
// halves the garbage of a page (it is decoded once per answer, under load).
type rawJSON []byte

// UnmarshalJSON implements json.Unmarshaler.
func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// unmarshalObject decodes a JSON object into v, ignoring values of an
// unexpected type (encoding/json still fills everything else).
func unmarshalObject(data []byte, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return errors.New("not an object")
	}
	err := json.Unmarshal(data, v)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return nil
	}
	return err
}

// envelope is {success, message, code, data} plus optional paging fields,
// at the top level or under meta.
type envelope struct {
	Success *flexBool  `json:"success"`
	Message flexString `json:"message"`
	Code    flexInt    `json:"code"`
	Data    rawJSON    `json:"data"`
	Meta    *paging    `json:"meta"`
	paging
}

type paging struct {
	Total       *flexInt  `json:"total"`
	TotalCount  *flexInt  `json:"totalCount"`
	Count       *flexInt  `json:"count"`
	TotalPages  *flexInt  `json:"totalPages"`
	HasMore     *flexBool `json:"hasMore"`
	HasNextPage *flexBool `json:"hasNextPage"`
}

// total returns the first total the API gave, or -1.
func (p *paging) total() int {
	if p == nil {
		return -1
	}
	for _, v := range []*flexInt{p.Total, p.TotalCount, p.Count} {
		if v != nil && *v >= 0 {
			return v.int()
		}
	}
	return -1
}

func (p *paging) hasMore() *flexBool {
	if p == nil {
		return nil
	}
	if p.HasMore != nil {
		return p.HasMore
	}
	return p.HasNextPage
}

func (p *paging) totalPages() int {
	if p == nil || p.TotalPages == nil || *p.TotalPages < 0 {
		return -1
	}
	return p.TotalPages.int()
}

// pageInfo returns the total (-1 if unknown), whether page, holding n
// contacts, is the last one, and whether that conclusion is only inferred
// from pageSize (see Page.Inferred). An empty page always is the last; an
// explicit hasMore/hasNextPage wins over the rest (it knows the real page
// size); then totalPages; then a page shorter than pageSize, or a total
// reached.
func (e *envelope) pageInfo(page, pageSize int, confirmed bool, n int) (total int, last, inferred bool) {
	total = e.paging.total()
	if total < 0 {
		total = e.Meta.total()
	}
	if n == 0 {
		return total, true, false
	}
	more := e.paging.hasMore()
	if more == nil {
		more = e.Meta.hasMore()
	}
	if more != nil {
		return total, !bool(*more), false
	}
	pages := e.paging.totalPages()
	if pages < 0 {
		pages = e.Meta.totalPages()
	}
	if pages >= 0 {
		return total, page >= pages, false
	}
	// seen counts the contacts up to this page exactly on page 1, or when
	// the page size is confirmed; otherwise it is an estimate.
	seen := (page-1)*pageSize + n
	exact := page == 1 || confirmed
	if total >= 0 && exact && seen >= total {
		return total, true, false
	}
	short := n < pageSize
	last = short || (total >= 0 && seen >= total)
	// A short page against a confirmed size is the end, unless a total
	// says otherwise; anything else rests on a size that may be wrong.
	inferred = last && !(short && confirmed && total < 0)
	return total, last, inferred
}

// wireContact is a contact as the API may send it; see inbox-api.md.
type wireContact struct {
	ID                flexString  `json:"_id"`
	Platform          flexStrings `json:"platform"`
	SecondaryPlatform flexStrings `json:"secondaryPlatform"`
	IsOnline          flexBool    `json:"isOnline"`
	UserInteracted    flexBool    `json:"userInteracted"`
	Profile           wireProfile `json:"profile"`
	Status            flexString  `json:"status"`
	Tags              names       `json:"tags"`
	AgentAssigned     ref         `json:"_agentAssigned"`
	Segments          ids         `json:"segments"`
	IsLiveChatActive  flexBool    `json:"isLiveChatActive"`
	HasOrdered        wireOrder   `json:"hasOrdered"`
	LastMessage       wireLastMsg `json:"lastMessage"`
	UnreadMessages    flexInt     `json:"unreadMessages"`
	LastSeenAt        flexTime    `json:"lastSeenAt"`
	CreatedAt         flexTime    `json:"createdAt"`
	UpdatedAt         flexTime    `json:"updatedAt"`
	Name              flexString  `json:"name"`
	Email             flexString  `json:"email"`
	Phone             wirePhone   `json:"phone"`
	Country           flexString  `json:"country"`
}

type wireProfile struct {
	UserDetails wireDetails `json:"userDetails"`
}

type wireDetails struct {
	Name             flexString      `json:"name"`
	UserProvidedName flexString      `json:"userProvidedName"`
	Contact          wireContactInfo `json:"contact"`
	Email            flexString      `json:"email"`
	Tags             names           `json:"tags"`
	Country          flexString      `json:"country"`
	WhatsAppNumber   flexString      `json:"whatsAppNumber"`
}

// wireContactInfo is profile.userDetails.contact.
type wireContactInfo struct {
	Email flexString `json:"email"`
	Phone wirePhone  `json:"phone"`
}

type wireLastMsg struct {
	By   flexString `json:"by"`
	At   flexTime   `json:"at"`
	Text flexString `json:"text"`
}

// user converts the wire form to a User.
func (w *wireContact) user() User {
	d := &w.Profile.UserDetails
	u := User{
		ID:            string(w.ID),
		Name:          firstNonEmpty(d.Name, d.UserProvidedName, w.Name),
		Email:         firstNonEmpty(d.Contact.Email, d.Email, w.Email),
		Phone:         firstNonEmpty(d.Contact.Phone.String(), string(d.WhatsAppNumber), w.Phone.String()),
		Country:       firstNonEmpty(d.Country, w.Country),
		Platforms:     channels(w.Platform, w.SecondaryPlatform),
		Online:        bool(w.IsOnline),
		Interacted:    bool(w.UserInteracted),
		Status:        Status(strings.ToUpper(strings.TrimSpace(string(w.Status)))),
		Tags:          []string(d.Tags),
		AgentID:       string(w.AgentAssigned),
		Segments:      []string(w.Segments),
		LiveChat:      bool(w.IsLiveChatActive),
		Ordered:       w.HasOrdered.Status,
		LastOrderAt:   w.HasOrdered.LastAt,
		LastSeenAt:    time.Time(w.LastSeenAt),
		CreatedAt:     time.Time(w.CreatedAt),
		UpdatedAt:     time.Time(w.UpdatedAt),
		UnreadMessage: max(w.UnreadMessages.int(), 0),
		LastMessage: Message{
			By:   Sender(strings.ToLower(strings.TrimSpace(string(w.LastMessage.By)))),
			At:   time.Time(w.LastMessage.At),
			Text: string(w.LastMessage.Text),
		},
	}
	if len(u.Tags) == 0 {
		u.Tags = []string(w.Tags)
	}
	return u
}

func firstNonEmpty[S ~string](values ...S) string {
	for _, v := range values {
		if s := strings.TrimSpace(string(v)); s != "" {
			return s
		}
	}
	return ""
}

// channels lists the known channels of the given platform lists, lower
// case, without repeats, primary platforms first.
func channels(lists ...flexStrings) []Channel {
	var out []Channel
	for _, list := range lists {
		for _, s := range list {
			if c, ok := ParseChannel(s); ok && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// The flex types below accept what a loosely typed API may send and never
// fail: a value of another kind leaves the zero value.

// jsonString returns the value of the JSON string b. Strings without
// escapes, nearly all of them, skip a second pass of encoding/json: the
// decoder calling us has already checked that b is valid JSON.
func jsonString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' {
		return "", false
	}
	if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var v string
	if json.Unmarshal(b, &v) != nil {
		return "", false
	}
	return v, true
}

// flexString is a JSON string; a number is kept as its digits.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
	case b[0] == '"':
		v, _ := jsonString(b)
		*s = flexString(v)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*s = flexString(b)
	}
	return nil
}

// flexBool is true, false, "true"/"false" or a number (non-zero is true).
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if parsed, err := strconv.ParseBool(s); err == nil {
		*v = flexBool(parsed)
	} else if f, err := strconv.ParseFloat(s, 64); err == nil {
		*v = f != 0
	}
	return nil
}

// flexInt is a JSON number or a numeric string, truncated to an integer
// and clamped to the int32 range.
type flexInt int64

func (v *flexInt) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(strings.Trim(string(b), `"`), 64)
	if err == nil && !math.IsNaN(f) {
		*v = flexInt(max(min(f, math.MaxInt32), math.MinInt32))
	}
	return nil
}

func (v flexInt) int() int { return int(v) }

// flexTime is an RFC 3339 string; anything else is the zero time.
type flexTime time.Time

func (t *flexTime) UnmarshalJSON(b []byte) error {
	s, ok := jsonString(b)
	if !ok {
		return nil
	}
	if parsed, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s)); err == nil {
		*t = flexTime(parsed)
	}
	return nil
}

// flexStrings is an array of strings or a single string.
type flexStrings []string

func (l *flexStrings) UnmarshalJSON(b []byte) error {
	var items []flexString
	if json.Unmarshal(b, &items) != nil {
		var one flexString
		_ = one.UnmarshalJSON(b)
		items = []flexString{one}
	}
	*l = (*l)[:0]
	for _, it := range items {
		if it != "" {
			*l = append(*l, string(it))
		}
	}
	return nil
}

// names is a list of tags: strings, or objects with a name (or tagName).
type names []string

func (n *names) UnmarshalJSON(b []byte) error {
	*n = collect(b, func(o *refObject) flexString { return firstOf(o.Name, o.TagName, o.Title) })
	return nil
}

// ids is a list of segments: strings, or objects with an _id (or id).
type ids []string

func (l *ids) UnmarshalJSON(b []byte) error {
	*l = collect(b, func(o *refObject) flexString { return firstOf(o.ID, o.PlainID) })
	return nil
}

// refObject is what an object in a list of references may carry.
type refObject struct {
	ID      flexString `json:"_id"`
	PlainID flexString `json:"id"`
	Name    flexString `json:"name"`
	TagName flexString `json:"tagName"`
	Title   flexString `json:"title"`
}

func firstOf(values ...flexString) flexString {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// collect reads an array whose items are strings or objects (pick chooses
// the object's value); empty values are dropped. A single string or object
// is a list of one; null, "" and anything else are an empty (nil) list.
func collect(b []byte, pick func(*refObject) flexString) []string {
	var items []json.RawMessage
	if json.Unmarshal(b, &items) != nil {
		if len(b) == 0 || (b[0] != '"' && b[0] != '{') {
			return nil
		}
		items = []json.RawMessage{b}
	}
	var out []string
	for _, it := range items {
		var v flexString
		if len(it) > 0 && it[0] == '{' {
			var o refObject
			_ = unmarshalObject(it, &o)
			v = pick(&o)
		} else {
			_ = v.UnmarshalJSON(it)
		}
		if s := strings.TrimSpace(string(v)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ref is _agentAssigned: an id string, an object with an _id, or an array
// of those (the first non-empty one counts); absent, null, "" and [] are "".
type ref string

func (r *ref) UnmarshalJSON(b []byte) error {
	all := collect(b, func(o *refObject) flexString { return firstOf(o.ID, o.PlainID) })
	*r = ""
	if len(all) > 0 {
		*r = ref(all[0])
	}
	return nil
}

// wireOrder is hasOrdered: {status, lastAt}, or a bare boolean.
type wireOrder struct {
	Status bool
	LastAt time.Time
}

func (o *wireOrder) UnmarshalJSON(b []byte) error {
	var w struct {
		Status flexBool `json:"status"`
		LastAt flexTime `json:"lastAt"`
	}
	if unmarshalObject(b, &w) != nil {
		var v flexBool
		_ = v.UnmarshalJSON(b)
		*o = wireOrder{Status: bool(v)}
		return nil
	}
	*o = wireOrder{Status: bool(w.Status), LastAt: time.Time(w.LastAt)}
	return nil
}

// wirePhone is {prefix, number}, or a plain string.
type wirePhone struct {
	Prefix flexString
	Number flexString
}

func (p *wirePhone) UnmarshalJSON(b []byte) error {
	var w struct {
		Prefix flexString `json:"prefix"`
		Number flexString `json:"number"`
	}
	if unmarshalObject(b, &w) != nil {
		var s flexString
		_ = s.UnmarshalJSON(b)
		*p = wirePhone{Number: s}
		return nil
	}
	*p = wirePhone{Prefix: w.Prefix, Number: w.Number}
	return nil
}

// String writes the phone as "+PREFIX NUMBER", or the number alone when
// there is no prefix; "" without a number.
func (p wirePhone) String() string {
	number := strings.TrimSpace(string(p.Number))
	if number == "" {
		return ""
	}
	prefix := strings.TrimLeft(strings.TrimSpace(string(p.Prefix)), "+")
	if prefix == "" {
		return number
	}
	return "+" + prefix + " " + number
}

// errorEnvelope reads message and code from an error body, if it has them.
func errorEnvelope(body []byte) (message string, code int) {
	var env struct {
		Message flexString `json:"message"`
		Code    flexInt    `json:"code"`
	}
	if unmarshalObject(body, &env) != nil {
		return "", 0
	}
	return strings.TrimSpace(string(env.Message)), env.Code.int()
}
