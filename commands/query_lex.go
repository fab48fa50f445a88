package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// queryToken is one whitespace-separated piece of a query.
type queryToken struct {
	raw    string // as typed, for messages
	text   string // with quote characters removed
	quoted bool   // began with a quote: always free text, never a qualifier
}

// slackUnescaper undoes Slack's escaping of slash-command text, in which a
// typed `seen:<7d` arrives as `seen:&lt;7d`. It is safe for concurrent use.
var slackUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// unescapeSlack undoes Slack's &lt; &gt; &amp; (a no-op for other text).
func unescapeSlack(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return slackUnescaper.Replace(s)
}

// escapeForParse makes s survive unescapeSlack unchanged: only a text that
// contains one of the three entities needs its ampersands written as &amp;.
func escapeForParse(s string) string {
	if strings.Contains(s, "&lt;") || strings.Contains(s, "&gt;") || strings.Contains(s, "&amp;") {
		return strings.ReplaceAll(s, "&", "&amp;")
	}
	return s
}

// isQuote accepts straight and curly double quotes: phones substitute the
// latter. Any of them opens and any closes.
func isQuote(r rune) bool { return r == '"' || r == '“' || r == '”' }

// tokenize splits a query on whitespace. A quoted part ("refund request",
// tag:"high value") belongs to the token around it, spaces included; so does a
// Slack mention such as <@U123|Ann Lee>.
func tokenize(s string) ([]queryToken, *QueryError) {
	tokens := make([]queryToken, 0, 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		tok, next, err := scanToken(s, i)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, tok)
		i = next
	}
	return tokens, nil
}

// scanToken reads the token that starts at s[start] and returns it with the
// index just after it. Text without quotes is not copied.
func scanToken(s string, start int) (queryToken, int, *QueryError) {
	var b strings.Builder
	copying, inQuote := false, false
	i := start
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isQuote(r):
			if !copying {
				b.WriteString(s[start:i])
				copying = true
			}
			inQuote = !inQuote
			i += size
			continue
		case inQuote:
		case unicode.IsSpace(r):
			return finishToken(s, start, i, &b, copying), i, nil
		case r == '<':
			if n := mentionLen(s[i:]); n > 0 {
				size = n
			}
		}
		if copying {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	if inQuote {
		raw := s[start:i]
		return queryToken{}, i, &QueryError{Token: raw, Message: "The quote in " + quoteToken(raw) + " is never closed."}
	}
	return finishToken(s, start, i, &b, copying), i, nil
}

func finishToken(s string, start, end int, b *strings.Builder, copied bool) queryToken {
	t := queryToken{raw: s[start:end], text: s[start:end]}
	if copied {
		t.text = b.String()
	}
	r, _ := utf8.DecodeRuneInString(t.raw)
	t.quoted = isQuote(r)
	return t
}

// mentionLen returns the length of the Slack user mention at the start of s
// (<@U123> or <@U123|name>, the name possibly with spaces), or 0.
func mentionLen(s string) int {
	if len(s) < 4 || s[0] != '<' || s[1] != '@' {
		return 0
	}
	j := 2
	for j < len(s) && (isASCIIUpper(s[j]) || isASCIILower(s[j]) || isASCIIDigit(s[j])) {
		j++
	}
	if j == 2 || j == len(s) {
		return 0
	}
	switch s[j] {
	case '>':
		return j + 1
	case '|':
		end := strings.IndexByte(s[j:], '>')
		if end < 0 || strings.ContainsAny(s[j:j+end], "\"“”<") {
			return 0
		}
		return j + end + 1
	}
	return 0
}

// parseMention returns the user id of a whole-token Slack mention.
func parseMention(s string) (string, bool) {
	if n := mentionLen(s); n == 0 || n != len(s) {
		return "", false
	}
	id := s[2 : len(s)-1]
	id, _, _ = strings.Cut(id, "|")
	return strings.ToUpper(id), true
}

// splitKey splits `key:value` (or `-key:value`) when the key is made of ASCII
// letters only. Anything else (10:30, 日本:x, "quoted":x) is not a qualifier.
func splitKey(t queryToken, neg bool) (key, value string, ok bool) {
	raw := t.raw
	if neg {
		raw = raw[1:]
	}
	colon := strings.IndexByte(raw, ':')
	if colon <= 0 {
		return "", "", false
	}
	for i := 0; i < colon; i++ {
		if !isASCIILetter(raw[i]) {
			return "", "", false
		}
	}
	// The key has no quotes, so text and raw agree up to the colon.
	text := t.text
	if neg {
		text = text[1:]
	}
	return strings.ToLower(raw[:colon]), text[colon+1:], true
}

// urlSchemes are keys that make `key:rest` free text, so that pasting a link
// or an address searches for it instead of failing as an unknown qualifier.
var urlSchemes = []string{"http", "https", "ftp", "mailto", "tel"}

// looksLikeURL reports whether an unknown key:value is a URL or address.
func looksLikeURL(key, value string) bool {
	if strings.HasPrefix(value, "//") {
		return true
	}
	for _, s := range urlSchemes {
		if key == s {
			return true
		}
	}
	return false
}

// isNegation reports whether the token is written as an exclusion: a '-'
// followed by a letter or a mention. "-", "-5" and "--" are free text.
func isNegation(t queryToken) bool {
	raw := t.raw
	return !t.quoted && len(raw) >= 2 && raw[0] == '-' && (isASCIILetter(raw[1]) || strings.HasPrefix(raw[1:], "<@"))
}

// collapseSpace trims s and joins its words with single spaces.
func collapseSpace(s string) string {
	if !strings.ContainsFunc(s, unicode.IsSpace) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// splitList splits a comma list, dropping empty elements and extra spaces.
func splitList(value string) []string {
	if !strings.Contains(value, ",") {
		if v := collapseSpace(value); v != "" {
			return []string{v}
		}
		return nil
	}
	var out []string
	for part := range strings.SplitSeq(value, ",") {
		if v := collapseSpace(part); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// splitAgents is splitList for agents: a mention's name may hold a comma.
func splitAgents(value string) []string {
	var out []string
	for value != "" {
		var part string
		if n := mentionLen(value); n > 0 {
			part, value = value[:n], value[n:]
			if rest, ok := strings.CutPrefix(value, ","); ok {
				value = rest
			} else if value != "" {
				// Text glued to a mention: keep it with the mention so the
				// error quotes what was written.
				extra, rest, _ := strings.Cut(value, ",")
				part, value = part+extra, rest
			}
		} else {
			part, value, _ = strings.Cut(value, ",")
		}
		if p := collapseSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// quoteToken writes a token for a message: in backticks, shortened when long.
func quoteToken(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return "`" + s + "`"
}
