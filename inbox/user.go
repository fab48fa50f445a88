package inbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User is one contact of the inbox, decoded tolerantly from the API's JSON.
// Zero values mean "the API did not say".
type User struct {
	ID            string
	Name          string // from profile.userDetails.name or userProvidedName
	Email         string // customer PII: mask before showing (see PII modes)
	Phone         string // customer PII: "+<prefix> <number>" or the WhatsApp number
	Country       string
	Platforms     []Channel // lower case; unknown platforms are dropped
	Online        bool
	Interacted    bool
	Status        Status // upper case as the API sends it; may be empty
	Tags          []string
	AgentID       string // the assigned agent's id; "" when unassigned
	Segments      []string
	LiveChat      bool // a live chat with an agent is active
	Ordered       bool
	LastOrderAt   time.Time
	LastMessage   Message
	LastSeenAt    time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	UnreadMessage int
}

// Message is the last message of a conversation.
type Message struct {
	By   Sender // may be empty when the API did not say
	At   time.Time
	Text string
}

// Assigned reports whether an agent is assigned to the contact.
func (u User) Assigned() bool { return u.AgentID != "" }

// Channel returns the contact's primary channel, or "" when unknown.
func (u User) Channel() Channel {
	if len(u.Platforms) == 0 {
		return ""
	}
	return u.Platforms[0]
}

// Page is one page of POST /inbox/users.
type Page struct {
	Number int    // the page asked for, 1-based
	Users  []User // in the API's order (newest createdAt first)
	// Total is the number of matching contacts when the API reported it, or -1.
	Total int
	// Last is true when this page is taken to be the last one: the API said
	// so (hasMore, totalPages, total), the page came back empty, or it was
	// shorter than the client's page size.
	Last bool
	// Inferred is true when Last rests only on the page size the client
	// assumes, which the API never states: the page was shorter than a
	// size no walk has confirmed, or a total was reached only by counting
	// the earlier pages at that size, or a total says more are to come
	// while the page is short. No explicit signal (hasMore, hasNextPage,
	// totalPages, a total reached on page 1) backs it and the page is not
	// empty, so the next page may still hold contacts. Walks (Pages, All,
	// Find across pages) look at the next page rather than stop here; a
	// single page (a plain Find) takes Last as it is.
	Inferred bool
	// Skipped counts the items of the API's page that were not contacts
	// (null, a number, a string...) and were left out of Users. The page's
	// length, for Last and page sizes, counts them.
	Skipped int
	// Size is how many contacts a full page of the server holds, as the
	// client that decoded this page knew it then (what it assumed, or
	// learnt from the pages it served; never less than this page's
	// length), so that whoever holds the page can number its rows
	// ((Number-1)*Size) without asking the client. 0 when the Source did
	// not say (a fake): callers then assume their own default.
	Size int
}

// Cursor is a position in the stream of server results: a server page and an
// offset of raw (unfiltered) contacts within it. Answers with client-side
// predicates resume from a Cursor so that their pages stay full and stable.
type Cursor struct {
	Page   int // 1-based server page
	Offset int // contacts of that page already consumed
}

// String writes the cursor compactly as "PAGE" or "PAGE.OFFSET".
func (c Cursor) String() string {
	if c.Offset == 0 {
		return strconv.Itoa(c.Page)
	}
	return strconv.Itoa(c.Page) + "." + strconv.Itoa(c.Offset)
}

// ParseCursor reads what Cursor.String wrote.
func ParseCursor(s string) (Cursor, error) {
	pageText, offsetText, hasOffset := strings.Cut(s, ".")
	page, err := strconv.Atoi(pageText)
	if err != nil || page < 1 || page > MaxPage {
		return Cursor{}, fmt.Errorf("inbox: cursor %q: bad page", s)
	}
	c := Cursor{Page: page}
	if hasOffset {
		c.Offset, err = strconv.Atoi(offsetText)
		if err != nil || c.Offset < 0 || c.Offset > 10000 {
			return Cursor{}, fmt.Errorf("inbox: cursor %q: bad offset", s)
		}
	}
	return c, nil
}

// MaxPage is the highest page number we ever ask for: a guard against
// hostile button values and runaway walks, far above any real inbox.
const MaxPage = 100000
