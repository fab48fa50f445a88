package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Look-alikes that stand in for mrkdwn's formatting characters in text from
// the inbox. We replace rather than insert a zero-width space after them:
// whether Slack's parser treats U+200B as a word boundary is undocumented,
// while a different code point can never open or close bold, italics,
// strike-through or code. The price is that a copied name has the
// look-alike, which is acceptable for display text.
const (
	lookAlikeAsterisk   = '∗' // U+2217 ASTERISK OPERATOR for *
	lookAlikeUnderscore = 'ˍ' // U+02CD MODIFIER LETTER LOW MACRON for _
	lookAlikeTilde      = '∼' // U+223C TILDE OPERATOR for ~
	lookAlikeBacktick   = 'ˋ' // U+02CB MODIFIER LETTER GRAVE ACCENT for `
)

// Ellipsis marks text cut by Truncate.
const Ellipsis = "…"

// EscapeMrkdwn makes untrusted text (names, tags, queries) safe for a mrkdwn
// text object: &, < and > become &amp; &lt; &gt; (so `<!channel>` or
// `<@U1>` can neither ping nor link), the formatting characters * _ ~ ` are
// replaced by look-alikes (so `*bold*` stays literal), control and
// bidirectional-override characters are removed, and line breaks and tabs
// become single spaces (one entry stays one line, and a leading ">" cannot
// start a quote).
func EscapeMrkdwn(s string) string {
	return sanitize(s, escapeFormatting)
}

// escapeCode makes untrusted text safe inside a `code span`, where mrkdwn
// formatting is off: only &, < and > are escaped and ` (which would close
// the span) is replaced, so a query copied from the span still runs.
func escapeCode(s string) string {
	return sanitize(s, escapeEntities|escapeBacktick)
}

// escapeEntitiesOnly escapes only &, < and >: for URLs inside <url|label>.
func escapeEntitiesOnly(s string) string {
	return sanitize(s, escapeEntities)
}

// SanitizeText strips what could mess up a terminal or a one-line entry
// (control and bidi-override characters, line breaks) without any mrkdwn
// escaping: for plain terminal text.
func SanitizeText(s string) string {
	return sanitize(s, 0)
}

type escapeMode uint8

const (
	escapeEntities escapeMode = 1 << iota
	escapeBacktick
	escapeFormatting = escapeEntities | escapeBacktick | 1<<2
)

// sanitize is the one pass behind every escaper.
func sanitize(s string, mode escapeMode) string {
	if isClean(s, mode) {
		return s // the common case: no allocation
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	pendingSpace := false
	for _, r := range s {
		if isLineBreak(r) {
			pendingSpace = b.Len() > 0
			continue
		}
		if dropRune(r) {
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		writeEscaped(&b, r, mode)
	}
	return b.String()
}

func writeEscaped(b *strings.Builder, r rune, mode escapeMode) {
	if mode&escapeEntities != 0 {
		switch r {
		case '&':
			b.WriteString("&amp;")
			return
		case '<':
			b.WriteString("&lt;")
			return
		case '>':
			b.WriteString("&gt;")
			return
		}
	}
	if mode&escapeBacktick != 0 && r == '`' {
		b.WriteRune(lookAlikeBacktick)
		return
	}
	if mode == escapeFormatting {
		switch r {
		case '*':
			r = lookAlikeAsterisk
		case '_':
			r = lookAlikeUnderscore
		case '~':
			r = lookAlikeTilde
		}
	}
	b.WriteRune(r)
}

// isClean reports whether sanitize would return s unchanged.
func isClean(s string, mode escapeMode) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return isCleanSlow(s[i:], mode)
		case c < 0x20 || c == 0x7f:
			return false
		case mode&escapeEntities != 0 && (c == '&' || c == '<' || c == '>'):
			return false
		case mode&escapeBacktick != 0 && c == '`':
			return false
		case mode == escapeFormatting && (c == '*' || c == '_' || c == '~'):
			return false
		}
	}
	return true
}

func isCleanSlow(s string, mode escapeMode) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if !isClean(string(r), mode) {
				return false
			}
			continue
		}
		if r == utf8.RuneError || isLineBreak(r) || dropRune(r) {
			return false
		}
	}
	return true
}

// isLineBreak reports the characters that end a line or indent: they become
// one space so that an entry stays on its line.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\t', '\v', '\f', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// dropRune reports characters removed outright: C0/C1 controls (terminal
// escape sequences start with ESC) and the bidi embeddings, overrides and
// isolates that could reorder the rest of a line ("Trojan Source"). Plain
// direction marks (U+200E, U+200F) are kept: they only affect neutrals next
// to them and real RTL names use them.
func dropRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Truncate shortens s to at most n characters (runes, as Slack counts),
// ending it with "…" when it had to cut. It is meant for text already
// escaped by EscapeMrkdwn: a cut never splits an escape sequence (&amp;
// &lt; &gt;) or a rune, and never leaves a dangling zero-width joiner.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - 1 // room for the ellipsis
	cut := byteOffsetOfRune(s, keep)
	cut = avoidSplitEntity(s, cut)
	for cut > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:cut])
		if r != '\u200d' && !unicode.Is(unicode.Variation_Selector, r) {
			break
		}
		cut -= size
	}
	return s[:cut] + Ellipsis
}

// byteOffsetOfRune returns the byte offset where rune number i (0-based)
// of s starts, or len(s).
func byteOffsetOfRune(s string, i int) int {
	for off := range s {
		if i == 0 {
			return off
		}
		i--
	}
	return len(s)
}

// avoidSplitEntity moves cut back before an entity that it would split.
func avoidSplitEntity(s string, cut int) int {
	amp := strings.LastIndexByte(s[max(0, cut-4):cut], '&')
	if amp < 0 {
		return cut
	}
	start := max(0, cut-4) + amp
	for _, e := range [...]string{"&amp;", "&lt;", "&gt;"} {
		if strings.HasPrefix(s[start:], e) && start+len(e) > cut {
			return start
		}
	}
	return cut
}
