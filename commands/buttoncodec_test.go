package commands

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/convertalk/inboxbot/inbox"
)

// testCursors are marks on the given pages, with varied offsets and
// counts (every third one unknown, as from a v1 button).
func testCursors(pages ...int) []Mark {
	out := make([]Mark, len(pages))
	for i, p := range pages {
		out[i] = Mark{Cursor: inbox.Cursor{Page: p, Offset: i * 7 % 13}, Before: i*20 - 1 + i%3}
		if i%3 == 2 {
			out[i].Before = -1
		}
	}
	return out
}

// mk is a mark without offset.
func mk(page, before int) Mark { return Mark{Cursor: inbox.Cursor{Page: page}, Before: before} }

func TestButtonStateEncode(t *testing.T) {
	tests := []struct {
		name  string
		state ButtonState
		want  string
	}{
		{"first page", ButtonState{Query: "online tag:vip", Cursor: inbox.Cursor{Page: 1}, Page: 1}, "v2|1|1@0||online tag:vip"},
		{"with history", ButtonState{Query: "live", Cursor: inbox.Cursor{Page: 3, Offset: 5}, Page: 3, Before: 40,
			Back: []Mark{mk(1, 0), {Cursor: inbox.Cursor{Page: 2, Offset: 4}, Before: 20}}}, "v2|3|3.5@40|1@0,2.4@20|live"},
		{"query with separators", ButtonState{Query: `"a|b" c,d`, Cursor: inbox.Cursor{Page: 2}, Page: 2, Before: 20, Back: []Mark{mk(1, 0)}}, `v2|2|2@20|1@0|"a|b" c,d`},
		{"empty query", ButtonState{Cursor: inbox.Cursor{Page: 1}, Page: 1}, "v2|1|1@0||"},
		{"unknown counts", ButtonState{Query: "q", Cursor: inbox.Cursor{Page: 2}, Page: 2, Before: -1, Back: []Mark{mk(1, -1)}}, "v2|2|2|1|q"},
		{"out of range numbers are clamped", ButtonState{Query: "q", Page: 0, Before: maxBefore + 1}, "v2|1|1@100000000||q"},
		{"more history than pages keeps the newest", ButtonState{Query: "q", Cursor: inbox.Cursor{Page: 3}, Page: 2, Back: testCursors(1, 2)}, "v2|2|3@0|2.7@20|q"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.state.Encode()
			if got != tt.want {
				t.Errorf("Encode() = %q, want %q", got, tt.want)
			}
			if _, err := DecodeButtonState(got); err != nil {
				t.Errorf("DecodeButtonState(%q): %v", got, err)
			}
		})
	}
}

func TestButtonStateRoundTrip(t *testing.T) {
	states := []ButtonState{
		{Query: "online tag:vip unassigned", Cursor: inbox.Cursor{Page: 1}, Page: 1},
		{Query: "seen:<7d -live", Cursor: inbox.Cursor{Page: 4, Offset: 12}, Page: 5, Back: testCursors(1, 1, 2, 3)},
		{Query: "name:\"José | ünïcode\" 🛒", Cursor: inbox.Cursor{Page: inbox.MaxPage, Offset: 10000}, Page: inbox.MaxPage, Back: testCursors(99999)},
	}
	for _, s := range states {
		got, err := DecodeButtonState(s.Encode())
		if err != nil {
			t.Fatalf("DecodeButtonState(%q): %v", s.Encode(), err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("round trip of %+v gave %+v", s, got)
		}
	}
}

// TestButtonStateFits: the longest canonical query (1000 characters, of
// multi-byte runes) with a deep history still fits, dropping the oldest
// cursors; Prev then walks back what is left and lands on page 1.
func TestButtonStateFits(t *testing.T) {
	query := strings.Repeat("é", 1000)
	back := make([]Mark, 500)
	for i := range back {
		back[i] = Mark{Cursor: inbox.Cursor{Page: 99000 + i, Offset: 9999}, Before: 1980000 + 20*i}
	}
	s := ButtonState{Query: query, Cursor: inbox.Cursor{Page: 99500, Offset: 9999}, Page: 501, Back: back}
	v := s.Encode()
	if n := utf8.RuneCountInString(v); n > MaxButtonValue {
		t.Fatalf("encoded state has %d characters, limit %d", n, MaxButtonValue)
	}
	got, err := DecodeButtonState(v)
	if err != nil {
		t.Fatal(err)
	}
	if got.Query != query || got.Page != 501 || got.Cursor != s.Cursor {
		t.Fatalf("decoded %q page %d cursor %v", got.Query[:10], got.Page, got.Cursor)
	}
	kept := len(got.Back)
	if kept == 0 || kept >= len(back) {
		t.Fatalf("kept %d of %d cursors, want some dropped and some kept", kept, len(back))
	}
	if !reflect.DeepEqual(got.Back, back[len(back)-kept:]) {
		t.Errorf("kept cursors are not the newest ones")
	}
	// Walk Prev from the decoded state: pages count down while history
	// lasts, then Prev jumps to page 1.
	a := &Answer{Canonical: got.Query, Page: got.Page, Start: got.Cursor, Back: got.Back}
	for steps := 0; a.Page > 1; steps++ {
		prev, ok := prevState(a)
		if !ok || steps > kept+1 {
			t.Fatalf("no way back from page %d after %d steps", a.Page, steps)
		}
		a = &Answer{Canonical: prev.Query, Page: prev.Page, Start: prev.Cursor, Back: prev.Back}
	}
	if a.Start != (inbox.Cursor{Page: 1}) {
		t.Errorf("Prev ended at %v, want page 1", a.Start)
	}
}

func TestButtonStateLongQueryIsCut(t *testing.T) {
	s := ButtonState{Query: strings.Repeat("q", 5000), Cursor: inbox.Cursor{Page: 1}, Page: 1}
	if n := utf8.RuneCountInString(s.Encode()); n != MaxButtonValue {
		t.Errorf("encoded %d characters, want exactly %d", n, MaxButtonValue)
	}
}

// Buttons of the v1 format are still in Slack's history: they decode, with
// the counts of earlier matches unknown.
func TestDecodeButtonStateV1(t *testing.T) {
	got, err := DecodeButtonState("v1|3|3.5|1,2.4|live")
	if err != nil {
		t.Fatal(err)
	}
	want := ButtonState{Query: "live", Cursor: inbox.Cursor{Page: 3, Offset: 5}, Page: 3, Before: -1,
		Back: []Mark{mk(1, -1), {Cursor: inbox.Cursor{Page: 2, Offset: 4}, Before: -1}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeButtonState(v1) = %+v, want %+v", got, want)
	}
}

func TestDecodeButtonStateErrors(t *testing.T) {
	tests := []string{
		"",
		"page=2",
		"v3|1|1||q",
		"v2|1|1@x||q",
		"v2|1|1@-1||q",
		"v2|1|1@||q",
		"v2|1|1@100000001||q",
		"v2|2|2|1@x|q",
		"v2|2|2@1@2||q",
		"v1|",
		"v1|1|1|",
		"v1|x|1||q",
		"v1|0|1||q",
		"v1|-1|1||q",
		"v1|100001|1||q",
		"v1|1|0||q",
		"v1|1|1.-1||q",
		"v1|1|1.10001||q",
		"v1|1|abc||q",
		"v1|2|2|1,,|q",
		"v1|2|2|1,2|q", // two earlier pages for page 2
		"v1|1|1||\xff",
		"v1|1|1||" + strings.Repeat("x", 9000),
		"v1|99999999999999999999|1||q",
	}
	for _, v := range tests {
		_, err := DecodeButtonState(v)
		if err == nil {
			t.Errorf("DecodeButtonState(%.40q) succeeded", v)
			continue
		}
		if !errors.Is(err, ErrButtonState) {
			t.Errorf("DecodeButtonState(%.40q) = %v, not an ErrButtonState", v, err)
		}
	}
}

func TestPagingStates(t *testing.T) {
	next := inbox.Cursor{Page: 3, Offset: 4}
	a := &Answer{Canonical: "live", Page: 3, Start: inbox.Cursor{Page: 2, Offset: 9}, Next: &next, Before: 35,
		Users: make([]inbox.User, 20),
		Back:  []Mark{mk(1, 0), {Cursor: inbox.Cursor{Page: 1, Offset: 18}, Before: 20}}}

	gotNext, ok := nextState(a)
	wantNext := ButtonState{Query: "live", Page: 4, Cursor: next, Before: 55,
		Back: []Mark{mk(1, 0), {Cursor: inbox.Cursor{Page: 1, Offset: 18}, Before: 20}, {Cursor: inbox.Cursor{Page: 2, Offset: 9}, Before: 35}}}
	if !ok || !reflect.DeepEqual(gotNext, wantNext) {
		t.Errorf("nextState = %+v, %v; want %+v", gotNext, ok, wantNext)
	}
	gotPrev, ok := prevState(a)
	wantPrev := ButtonState{Query: "live", Page: 2, Cursor: inbox.Cursor{Page: 1, Offset: 18}, Before: 20, Back: []Mark{mk(1, 0)}}
	if !ok || !reflect.DeepEqual(gotPrev, wantPrev) {
		t.Errorf("prevState = %+v, %v; want %+v", gotPrev, ok, wantPrev)
	}
	if here := hereState(a); here.Page != 3 || here.Cursor != a.Start || len(here.Back) != 2 {
		t.Errorf("hereState = %+v", here)
	}
	// nextState must not write into a.Back's spare capacity.
	a.Back = append(make([]Mark, 0, 10), a.Back...)
	s1, _ := nextState(a)
	a.Start = inbox.Cursor{Page: 7}
	s2, _ := nextState(a)
	if s1.Back[2] == s2.Back[2] {
		t.Errorf("nextState states share their Back array")
	}

	first := &Answer{Canonical: "live", Page: 1, Start: inbox.Cursor{Page: 1}}
	if _, ok := prevState(first); ok {
		t.Errorf("prevState on page 1 is ok")
	}
	if _, ok := nextState(first); ok {
		t.Errorf("nextState without Next is ok")
	}
	lost := &Answer{Canonical: "live", Page: 7, Start: inbox.Cursor{Page: 7}}
	if p, ok := prevState(lost); !ok || p.Page != 1 || p.Cursor != (inbox.Cursor{Page: 1}) {
		t.Errorf("prevState without history = %+v, %v; want page 1", p, ok)
	}
}

func FuzzDecodeButtonState(f *testing.F) {
	f.Add("v1|1|1||online tag:vip")
	f.Add("v1|3|3.5|1,2.4|live")
	f.Add(`v1|2|2|1|"a|b" c`)
	f.Add("v1|2|2|1,,|q")
	f.Add("v1|99999999999999999999|1||q")
	f.Add("v2|3|3.5@40|1@0,2.4@20|live")
	f.Add("v2|2|2@20|1|q")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := DecodeButtonState(v)
		if err != nil {
			if !errors.Is(err, ErrButtonState) {
				t.Fatalf("error %v does not wrap ErrButtonState", err)
			}
			return
		}
		enc := s.Encode()
		if utf8.RuneCountInString(enc) > MaxButtonValue && utf8.RuneCountInString(v) <= MaxButtonValue {
			t.Fatalf("re-encoded %q is over the limit", v)
		}
		again, err := DecodeButtonState(enc)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err)
		}
		if utf8.RuneCountInString(v) <= MaxButtonValue && !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip of %q: %+v != %+v", v, again, s)
		}
	})
}
