package commands

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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

// slackEscaper is its inverse, for canonical forms that must survive
// decodeSlack unchanged.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// unescapeSlack undoes Slack's &lt; &gt; &amp; (a no-op for other text).
func unescapeSlack(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return slackUnescaper.Replace(s)
}

// decodeSlack turns slash-command text back into what the person typed:
// Slack's markup for links, emails, channels and group mentions is replaced
// by the text it stands for (unwrapSlack), then the entities are undone.
// User mentions stay: they name a user wherever one is expected. Text typed
// in a terminal has neither, and passes through unchanged.
func decodeSlack(s string) string { return unescapeSlack(unwrapSlack(s)) }

// escapeForParse makes s survive decodeSlack unchanged. Only a text that
// holds an entity or something unwrapSlack would rewrite needs escaping, so
// that the usual canonical form (waiting:<10m) stays readable.
func escapeForParse(s string) string {
	if strings.Contains(s, "&lt;") || strings.Contains(s, "&gt;") || strings.Contains(s, "&amp;") || unwrapSlack(s) != s {
		return slackEscaper.Replace(s)
	}
	return s
}

// unwrapSlack replaces each piece of Slack markup in slash-command text with
// what the person typed. With should_escape on, Slack sends
//
//	<mailto:ann@example.com|ann@example.com>  for ann@example.com
//	<https://x.example/a|x.example/a>         for x.example/a
//	<https://x.example/a>                     for https://x.example/a
//	<#C024BE7LR|general>                      for #general
//	<!subteam^SAZ94GDB8|@support>             for @support
//	<!here>, <!channel>, <!everyone>          for @here, @channel, @everyone
//	<!date^1392734382^{date}|Feb 18, 2014>    for its fallback text
//
// and <@U024BE7LH|name> for a user, which is left for the lexer (mentionLen).
// Markup Slack does not define is left alone: a typed `<` arrives as &lt;,
// so a bare `<` here comes from a terminal (seen:<7d) and is not markup.
func unwrapSlack(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '<')
		if open < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:open])
		s = s[open:]
		end := strings.IndexByte(s, '>')
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		if text, ok := slackMarkupText(s[1:end]); ok {
			b.WriteString(text)
			s = s[end+1:]
			continue
		}
		b.WriteByte('<')
		s = s[1:]
	}
}

// slackMarkupText returns what the inside of <...> stands for, or false when
// it is not markup to unwrap (a user mention, or not Slack's at all).
func slackMarkupText(inner string) (string, bool) {
	if inner == "" || strings.Contains(inner, "<") {
		return "", false
	}
	target, label, labelled := strings.Cut(inner, "|")
	if target == "" {
		return "", false
	}
	switch target[0] {
	case '@': // a user: the lexer reads it
		return "", false
	case '#': // a channel: #name, or #ID when Slack left the name out
		id := target[1:]
		if !isSlackID(id) {
			return "", false
		}
		if label != "" {
			return "#" + label, true
		}
		return "#" + id, true
	case '!':
		return specialMentionText(target[1:], label, labelled)
	}
	if !isURLTarget(target) {
		return "", false
	}
	if label != "" {
		return label, true
	}
	return target, true
}

// specialMentionText reads <!here>, <!subteam^ID|@handle>, <!date^...|text>.
func specialMentionText(command, label string, labelled bool) (string, bool) {
	switch {
	case command == "here" || command == "channel" || command == "everyone" || command == "group":
		return "@" + command, true
	case strings.HasPrefix(command, "subteam^"):
		id := strings.TrimPrefix(command, "subteam^")
		if !isSlackID(id) {
			return "", false
		}
		if label == "" {
			return "@" + id, true
		}
		if !strings.HasPrefix(label, "@") {
			label = "@" + label
		}
		return label, true
	case strings.HasPrefix(command, "date^") && labelled && label != "":
		return label, true
	}
	return "", false
}

// isSlackID reports whether s looks like a Slack id (C024BE7LR, SAZ94GDB8).
func isSlackID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isASCIIUpper(s[i]) && !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}

// isURLTarget reports whether s is a link target as Slack writes one:
// scheme:rest (https://..., mailto:..., tel:...) with no spaces.
func isURLTarget(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || colon == len(s)-1 || !isASCIILetter(s[0]) || strings.ContainsFunc(s, unicode.IsSpace) {
		return false
	}
	for i := 1; i < colon; i++ {
		c := s[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) && c != '+' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// Quotes. Double quotes of every typography ("…", “…”, „…“, «…», ＂…＂,
// 〝…〞) are strong: any of them opens a quote anywhere in a token and any
// closes it, as straight quotes do. Single quotes and brackets (‚…‘, ‘…’,
// ‹…›, 「…」, 『…』) are weak: the same characters serve as apostrophes
// (O’Brien) and inside words, so one opens a quote only at the start of a
// token or of a value (tag:‚a b‘) and only when a matching closer follows
// that ends a word; otherwise it is an ordinary character.
const strongQuotes = "\"“”„‟«»＂〝〞〟"

// weakQuotes maps each weak opener to the characters that close it.
var weakQuotes = map[rune]string{
	'‚': "‘’", // German ‚…‘ (often typed ‚…’)
	'‘': "’‘", // English ‘…’
	'‹': "›‹", // French ‹…›, Danish ›…‹
	'›': "‹›",
	'「': "」",
	'『': "』",
}

// isQuote reports whether r is a strong quote.
func isQuote(r rune) bool { return strings.ContainsRune(strongQuotes, r) }

// hasWeakQuote reports whether s holds a weak quote character, which the
// canonical form must then put inside strong quotes.
func hasWeakQuote(s string) bool { return strings.ContainsAny(s, "‚‘’‹›「」『』") }

// weakCloseAt reports whether s (the text after a weak closer) lets it close:
// at the end, before a space or before the comma of a list.
func weakCloseAt(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s == "" || r == ',' || unicode.IsSpace(r)
}

// weakCloserAhead reports whether s holds one of closers that can close.
func weakCloserAhead(s, closers string) bool {
	for i, r := range s {
		if strings.ContainsRune(closers, r) && weakCloseAt(s[i+utf8.RuneLen(r):]) {
			return true
		}
	}
	return false
}

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
// index just after it. Text without quotes is not copied. Inside a weak
// quote, strong quote characters are dropped, so that no text ever holds one
// and the canonical form can always quote it.
func scanToken(s string, start int) (queryToken, int, *QueryError) {
	var b strings.Builder
	copying, inQuote, quotedAtStart := false, false, false
	closers := "" // of the open weak quote; "" for a strong one
	startCopy := func(i int) {
		if !copying {
			b.WriteString(s[start:i])
			copying = true
		}
	}
	i := start
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case inQuote && closers == "" && isQuote(r),
			inQuote && closers != "" && strings.ContainsRune(closers, r) && weakCloseAt(s[i+size:]):
			inQuote, closers = false, ""
			i += size
			continue
		case inQuote && closers != "" && isQuote(r):
			startCopy(i)
			i += size
			continue
		case inQuote:
		case isQuote(r):
			startCopy(i)
			inQuote, quotedAtStart = true, quotedAtStart || i == start
			i += size
			continue
		case weakQuotes[r] != "" && (i == start || s[i-1] == ':') && weakCloserAhead(s[i+size:], weakQuotes[r]):
			startCopy(i)
			inQuote, closers, quotedAtStart = true, weakQuotes[r], quotedAtStart || i == start
			i += size
			continue
		case unicode.IsSpace(r):
			return finishToken(s, start, i, &b, copying, quotedAtStart), i, nil
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
	return finishToken(s, start, i, &b, copying, quotedAtStart), i, nil
}

func finishToken(s string, start, end int, b *strings.Builder, copied, quoted bool) queryToken {
	t := queryToken{raw: s[start:end], text: s[start:end], quoted: quoted}
	if copied {
		t.text = b.String()
	}
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
		if end < 0 || strings.ContainsAny(s[j:j+end], strongQuotes+"<") {
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

// colonKey splits a token that is written like key:value although its key
// is not plain ASCII letters (chann0el:x, ｔａｇ:vip, tag：vip, status*:open,
// 10:30): at the first colon outside quotes and mentions, a full-width or
// other compatibility colon counting as one (NFKC). The value is
// NFKC-normalised and loses its quote characters, for a suggestion; colon
// is the colon as written. ok is false when there is no such colon.
func colonKey(raw string) (key, colon, value string, ok bool) {
	inQuote := false
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		switch {
		case isQuote(r):
			inQuote = !inQuote
		case inQuote:
		case r == '<':
			if n := mentionLen(raw[i:]); n > 0 {
				size = n
			}
		case r == ':' || (r >= utf8.RuneSelf && norm.NFKC.String(string(r)) == ":"):
			value = strings.Map(func(r rune) rune {
				if isQuote(r) || hasWeakQuote(string(r)) {
					return -1
				}
				return r
			}, norm.NFKC.String(raw[i+size:]))
			return raw[:i], raw[i : i+size], value, true
		}
		i += size
	}
	return "", "", "", false
}

// foldKey reduces a key to what a person meant to type: NFKC (full-width
// ｔａｇ is tag), lower case, letters and digits only (status* is status).
func foldKey(key string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, norm.NFKC.String(key))
}

// isEmojiCode reports whether s is a Slack emoji code such as :tada: or
// :wave::skin-tone-2:, which is text, not a key.
func isEmojiCode(s string) bool {
	if len(s) < 3 || s[0] != ':' || s[len(s)-1] != ':' {
		return false
	}
	for name := range strings.SplitSeq(s[1:len(s)-1], "::") {
		if name == "" || strings.ContainsFunc(name, func(r rune) bool {
			return !isASCIILetter(byte(r)) && !isASCIIDigit(byte(r)) && !strings.ContainsRune("_+-'", r) || r >= utf8.RuneSelf
		}) {
			return false
		}
	}
	return true
}

// colonIsText reports whether an unknown key:value written with other than
// plain letters is ordinary text to search for: a number or time (10:30,
// 9:05am, 3:1), a URL (https://..., host.example:8080) or an email address.
func colonIsText(key, value string) bool {
	switch {
	case key != "" && strings.Trim(key, "0123456789") == "" && value != "" && isASCIIDigit(value[0]):
		return true
	case looksLikeURL(strings.ToLower(key), value), strings.Contains(key, "@"):
		return true
	case strings.Contains(key, ".") && value != "" && isASCIIDigit(value[0]):
		port, _, _ := strings.Cut(value, "/")
		return strings.Trim(port, "0123456789") == ""
	}
	return false
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
