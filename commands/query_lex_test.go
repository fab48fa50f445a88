package commands

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in      string
		want    []queryToken
		wantErr string
	}{
		{"", []queryToken{}, ""},
		{"  a \t b\n", []queryToken{{raw: "a", text: "a"}, {raw: "b", text: "b"}}, ""},
		{`"refund  request" x`, []queryToken{{raw: `"refund  request"`, text: "refund  request", quoted: true}, {raw: "x", text: "x"}}, ""},
		{`tag:"high value"`, []queryToken{{raw: `tag:"high value"`, text: "tag:high value"}}, ""},
		{`“curly quote”`, []queryToken{{raw: `“curly quote”`, text: "curly quote", quoted: true}}, ""},
		{`a"b c"d`, []queryToken{{raw: `a"b c"d`, text: "ab cd"}}, ""},
		{`""`, []queryToken{{raw: `""`, text: "", quoted: true}}, ""},
		{"assigned:<@U1|Ann Lee> x", []queryToken{{raw: "assigned:<@U1|Ann Lee>", text: "assigned:<@U1|Ann Lee>"}, {raw: "x", text: "x"}}, ""},
		{"<@U1> <b c>", []queryToken{{raw: "<@U1>", text: "<@U1>"}, {raw: "<b", text: "<b"}, {raw: "c>", text: "c>"}}, ""},
		{"<@U1|no end", []queryToken{{raw: "<@U1|no", text: "<@U1|no"}, {raw: "end", text: "end"}}, ""},
		{`"open`, nil, "never closed"},
		{`tag:"a b`, nil, "never closed"},
		// Typographic quotes: double ones anywhere, single ones and brackets
		// at the start of a token or a value, when they close a word.
		{"„late delivery“", []queryToken{{raw: "„late delivery“", text: "late delivery", quoted: true}}, ""},
		{"«a b» ‹c d›", []queryToken{{raw: "«a b»", text: "a b", quoted: true}, {raw: "‹c d›", text: "c d", quoted: true}}, ""},
		{"»a b«", []queryToken{{raw: "»a b«", text: "a b", quoted: true}}, ""},
		{"‚a b‘ ‘c d’", []queryToken{{raw: "‚a b‘", text: "a b", quoted: true}, {raw: "‘c d’", text: "c d", quoted: true}}, ""},
		{"「a b」 『c』", []queryToken{{raw: "「a b」", text: "a b", quoted: true}, {raw: "『c』", text: "c", quoted: true}}, ""},
		{"tag:‚a b‘", []queryToken{{raw: "tag:‚a b‘", text: "tag:a b"}}, ""},
		{"‘don’t stop’", []queryToken{{raw: "‘don’t stop’", text: "don’t stop", quoted: true}}, ""},
		{"O’Brien ‘90s", []queryToken{{raw: "O’Brien", text: "O’Brien"}, {raw: "‘90s", text: "‘90s"}}, ""},
		{`‚say "hi"‘`, []queryToken{{raw: `‚say "hi"‘`, text: "say hi", quoted: true}}, ""},
		{"“a‚b c‘”", []queryToken{{raw: "“a‚b c‘”", text: "a‚b c‘", quoted: true}}, ""},
		{"„open", nil, "never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tokenize(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Message, tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("tokenize(%q) =\n%#v\nwant\n%#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitKey(t *testing.T) {
	tests := []struct {
		raw, text       string
		neg             bool
		key, value      string
		isQualifierForm bool
	}{
		{"tag:vip", "tag:vip", false, "tag", "vip", true},
		{"TAG:VIP", "TAG:VIP", false, "tag", "VIP", true},
		{"-tag:vip", "-tag:vip", true, "tag", "vip", true},
		{`tag:"a b"`, "tag:a b", false, "tag", "a b", true},
		{"10:30", "10:30", false, "", "", false},
		{"ta1:x", "ta1:x", false, "", "", false},
		{":x", ":x", false, "", "", false},
		{"ünï:x", "ünï:x", false, "", "", false},
		{"plain", "plain", false, "", "", false},
	}
	for _, tt := range tests {
		key, value, ok := splitKey(queryToken{raw: tt.raw, text: tt.text}, tt.neg)
		if key != tt.key || value != tt.value || ok != tt.isQualifierForm {
			t.Errorf("splitKey(%q) = %q, %q, %v", tt.raw, key, value, ok)
		}
	}
}

func TestSlackEscaping(t *testing.T) {
	tests := []struct{ in, unescaped string }{
		{"seen:&lt;7d", "seen:<7d"},
		{"a &amp;lt; b", "a &lt; b"},
		{"plain & simple", "plain & simple"},
	}
	for _, tt := range tests {
		if got := unescapeSlack(tt.in); got != tt.unescaped {
			t.Errorf("unescapeSlack(%q) = %q, want %q", tt.in, got, tt.unescaped)
		}
		// Whatever the text, escaping for parse and unescaping is the identity.
		if got := unescapeSlack(escapeForParse(tt.unescaped)); got != tt.unescaped {
			t.Errorf("escape/unescape of %q gives %q", tt.unescaped, got)
		}
	}
}

// TestUnwrapSlack covers every form Slack's formatting documentation gives
// for text sent with should_escape: links with and without a label, emails,
// channels, user groups, special mentions and dates; user mentions and
// anything else stay as they are.
func TestUnwrapSlack(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<mailto:john@example.com|john@example.com>", "john@example.com"},
		{"<https://x.y|x.y>", "x.y"},
		{"<http://www.foo.com|www.foo.com>", "www.foo.com"},
		{"<http://foo.com/>", "http://foo.com/"},
		{"<https://a.example/?q=1&amp;r=2|a.example/?q=1&amp;r=2>", "a.example/?q=1&amp;r=2"}, // entities are undone later
		{"<tel:+15551234567|+1 555 123 4567>", "+1 555 123 4567"},
		{"<#C024BE7LR|general>", "#general"},
		{"<#C024BE7LR>", "#C024BE7LR"},
		{"<#C024BE7LR|>", "#C024BE7LR"},
		{"<!subteam^SAZ94GDB8|@support>", "@support"},
		{"<!subteam^SAZ94GDB8|support>", "@support"},
		{"<!subteam^SAZ94GDB8>", "@SAZ94GDB8"},
		{"<!here>", "@here"},
		{"<!here|here>", "@here"},
		{"<!channel>", "@channel"},
		{"<!everyone>", "@everyone"},
		{"<!group>", "@group"},
		{"<!date^1392734382^{date_short}|Feb 18, 2014>", "Feb 18, 2014"},
		{"tag:<mailto:a@b.co|a@b.co>,vip", "tag:a@b.co,vip"},
		{"a<https://x.y|x.y>b <!here>", "ax.yb @here"},
		// Left alone: user mentions, what a terminal sends, broken markup.
		{"<@U024BE7LH|bob>", "<@U024BE7LH|bob>"},
		{"<@U024BE7LH>", "<@U024BE7LH>"},
		{"seen:<7d waiting:>10m", "seen:<7d waiting:>10m"},
		{"seen:<today waiting:>1h", "seen:<today waiting:>1h"},
		{"<b c>", "<b c>"},
		{"<https://x.y", "<https://x.y"},
		{"<#general>", "<#general>"},
		{"<!foo>", "<!foo>"},
		{"<!date^1392734382^{date}>", "<!date^1392734382^{date}>"},
		{"<<https://x.y|x.y>", "<x.y"},
		{"<>", "<>"},
		{"<|>", "<|>"},
		{"<|x>", "<|x>"},
	}
	for _, tt := range tests {
		if got := unwrapSlack(tt.in); got != tt.want {
			t.Errorf("unwrapSlack(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// What a person typed in Slack arrives entity-escaped, so markup they
	// typed stays text and survives the canonical form.
	for _, typed := range []string{"<https://x.y|x.y>", "<!here>", "a & <b>", "&lt;", "<#C1|x>"} {
		if got := decodeSlack(escapeForParse(typed)); got != typed {
			t.Errorf("decodeSlack(escapeForParse(%q)) = %q", typed, got)
		}
	}
}

func TestSplitAgents(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"alice,bob", []string{"alice", "bob"}},
		{"<@U1|Lee, Ann>,bob", []string{"<@U1|Lee, Ann>", "bob"}},
		{"<@U1>x,bob", []string{"<@U1>x", "bob"}},
		{" , alice ,", []string{"alice"}},
	}
	for _, tt := range tests {
		if got := splitAgents(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitAgents(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDateCond(t *testing.T) {
	now := testNow
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		in          string
		loc         *time.Location
		canon       string
		from, until string // RFC 3339, "" for open
		problem     string
	}{
		{"7d", time.UTC, "7d", "2026-11-17T15:04:05Z", "", ""},
		{"<=7D", time.UTC, "7d", "2026-11-17T15:04:05Z", "", ""},
		{">=30d", time.UTC, ">30d", "", "2026-10-25T15:04:05Z", ""},
		{"1mo", time.UTC, "1mo", "2026-10-24T15:04:05Z", "", ""},
		{"2026-03-29", mustLoad(t, "Europe/Berlin"), "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", ""}, // a 23-hour day
		{"<=2026-11-01", kolkata, "<=2026-11-01", "", "2026-11-01T18:30:00Z", ""},
		{"yesterday..today", kolkata, "yesterday..today", "2026-11-22T18:30:00Z", "2026-11-24T18:30:00Z", ""},
		{"2026-11-01T10:30-03:00", time.UTC, "2026-11-01T10:30-03:00", "2026-11-01T13:30:00Z", "2026-11-01T13:31:00Z", ""},
		{"2026-11-01T10:30+00:00", time.UTC, "2026-11-01T10:30Z", "2026-11-01T10:30:00Z", "2026-11-01T10:31:00Z", ""},
		{"2028-02-29", time.UTC, "2028-02-29", "2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z", ""},
		{"2026-02-29", time.UTC, "", "", "", "has day 29"},
		{"2026-11-01T24:00", time.UTC, "", "", "", "does not exist"},
		{"2026-11-01T10:30+15:00", time.UTC, "", "", "", "is not a date"},
		{"*..*", time.UTC, "", "", "", "no date"},
		{"7d..1d", time.UTC, "", "", "", "is not a date"},
		{"", time.UTC, "", "", "", "needs a date"},
		{"0m", time.UTC, "", "", "", "at least 1"},
		{"1201mo", time.UTC, "", "", "", "too far back"},
		{"5300w", time.UTC, "", "", "", "too far back"},
		{"999999h", time.UTC, "", "", "", "too far back"},
		{"7M", time.UTC, "", "", "", "ambiguous: write `7mo`"},
		{"<=12M", time.UTC, "", "", "", "ambiguous"},
		{"7Mo", time.UTC, "7mo", "2026-04-24T15:04:05Z", "", ""},
		{"90M", time.UTC, "", "", "", "or `90m` for 90 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, problem, _ := parseDateCond(tt.in, now, tt.loc)
			if tt.problem != "" {
				if !strings.Contains(problem, tt.problem) {
					t.Fatalf("problem %q, want %q", problem, tt.problem)
				}
				return
			}
			if problem != "" {
				t.Fatal(problem)
			}
			var from, until time.Time
			if tt.from != "" {
				from = at(tt.from)
			}
			if tt.until != "" {
				until = at(tt.until)
			}
			if c.canon != tt.canon || !c.rng.From.Equal(from) || !c.rng.Until.Equal(until) {
				t.Errorf("got %q [%v, %v), want %q [%v, %v)", c.canon, c.rng.From, c.rng.Until, tt.canon, from, until)
			}
		})
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestSuggestions(t *testing.T) {
	tests := []struct {
		word       string
		candidates []string
		want       string
	}{
		{"tga", []string{"tag", "status"}, "tag"},
		{"stauts", []string{"tag", "status"}, "status"},
		{"STATSU", []string{"tag", "status"}, "status"},
		{"asigned", []string{"assigned", "segment"}, "assigned"},
		{"xyz", []string{"tag", "status"}, ""},
		{"no", []string{"is", "has"}, ""},  // two edits away from "is": too far for a short word
		{"ab", []string{"ax", "ay"}, "ax"}, // ties go to the earlier candidate
	}
	for _, tt := range tests {
		if got := closest(tt.word, tt.candidates); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	distances := []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"abc", "", 3}, {"tga", "tag", 1}, {"kitten", "sitting", 3}, {"ça", "ca", 1},
	}
	for _, tt := range distances {
		if got := editDistance(tt.a, tt.b); got != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
	if got := listSome([]string{"a", "b", "c", "d"}, 2); got != "a, b and 2 more" {
		t.Errorf("listSome = %q", got)
	}
}
