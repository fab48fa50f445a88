package commands

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeMrkdwn(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"Jane Doe", "Jane Doe"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"<@U1> hi", "&lt;@U1&gt; hi"},
		{"<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"Tom & Jerry", "Tom &amp; Jerry"},
		{"&amp;", "&amp;amp;"},
		{"*bold* _it_ ~strike~ `code`", "∗bold∗ ˍitˍ ∼strike∼ ˋcodeˋ"},
		{"> quote", "&gt; quote"},
		{"line1\nline2\r\n\r\nline3\tx", "line1 line2 line3 x"},
		{"\ntrailing\n", "trailing"},
		{"bell\x07 esc\x1b[31mred\x1b[0m del\x7f", "bell esc[31mred[0m del"},
		{"c1\u0085next\u2028sep", "c1 next sep"},
		{"\u202eevil\u202c \u2066iso\u2069", "evil iso"},
		{"مرحبا\u200f", "مرحبا\u200f"}, // a plain RTL mark stays
		{"👩‍👩‍👧‍👦 🇮🇳", "👩‍👩‍👧‍👦 🇮🇳"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := EscapeMrkdwn(tt.in); got != tt.want {
			t.Errorf("EscapeMrkdwn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"online tag:vip_customer", "online tag:vip_customer"}, // copyable: _ kept
		{"name:`x` <!here> a&b", "name:ˋxˋ &lt;!here&gt; a&amp;b"},
		{"a\nb", "a b"},
	}
	for _, tt := range tests {
		if got := escapeCode(tt.in); got != tt.want {
			t.Errorf("escapeCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSanitizeText(t *testing.T) {
	if got, want := SanitizeText("*a* <b>\x1b[2J\nc"), "*a* <b>[2J c"; got != want {
		t.Errorf("SanitizeText = %q, want %q", got, want)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello", 10, "hello"},
		{"hello!", 5, "hell…"},
		{"héllo wörld", 6, "héllo…"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"", 3, ""},
		{"ab&amp;cd", 4, "ab…"},      // would cut "&amp;" in half
		{"ab&amp;cd", 8, "ab&amp;…"}, // the entity fits
		{"ab&lt;", 5, "ab…"},
		{"ab&gt;xy", 7, "ab&gt;…"},
		{"ab&gt;x", 6, "ab…"},
		{"abc&", 3, "ab…"}, // a lone & is not an entity
		{"👩‍👩‍👧", 3, "👩…"}, // no dangling zero-width joiner
		{"日本語テキスト", 4, "日本語…"},
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if tt.n > 0 && utf8.RuneCountInString(got) > tt.n {
			t.Errorf("Truncate(%q, %d) has %d characters", tt.in, tt.n, utf8.RuneCountInString(got))
		}
	}
}

// FuzzEscapeTruncate checks the escaping guarantee on any input: nothing
// that Slack could parse as a mention, link or formatting survives, and
// truncation keeps the limit without splitting an entity.
func FuzzEscapeTruncate(f *testing.F) {
	for _, s := range []string{"<!channel>", "*b*", "a&b", "x\n<@U1>", "\u202e", "日本&lt;"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		e := EscapeMrkdwn(s)
		if strings.ContainsAny(e, "<>*_~`\n\r\t\x1b") {
			t.Fatalf("EscapeMrkdwn(%q) = %q keeps a special character", s, e)
		}
		if !utf8.ValidString(e) {
			t.Fatalf("EscapeMrkdwn(%q) is not UTF-8", s)
		}
		assertEntities(t, e)
		n = n%200 + 1
		if n < 1 {
			n += 200
		}
		tr := Truncate(e, n)
		if utf8.RuneCountInString(tr) > n {
			t.Fatalf("Truncate(%q, %d) = %q is too long", e, n, tr)
		}
		assertEntities(t, strings.TrimSuffix(tr, Ellipsis))
	})
}

// assertEntities fails when an & does not start a whole entity.
func assertEntities(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			continue
		}
		rest := s[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Fatalf("broken entity at %d in %q", i, s)
		}
	}
}
