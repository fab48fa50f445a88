package commands

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// keyMutations are the characters mutated keys are made with: punctuation,
// digits, an accented letter, a full-width letter and colon, and a letter.
var keyMutations = []rune{'*', '_', '.', '-', '\'', '#', '/', '\\', '@', ',', '(', '<', ':', '0', '9', 'é', 'ｘ', '：', 'x', '·'}

// mutateKey returns a key after one mutation: op 0 inserts r at pos, 1
// replaces the character at pos with r, 2 deletes it, 3 swaps it with the
// next, 4 writes the whole key in full-width letters, 5 writes the colon as
// r. pos is taken modulo the key's length.
func mutateKey(key string, op, pos int, r rune) (mutated, colon string) {
	rs := []rune(key)
	pos %= len(rs) + 1
	colon = ":"
	switch op % 6 {
	case 0:
		rs = append(rs[:pos], append([]rune{r}, rs[pos:]...)...)
	case 1:
		rs[min(pos, len(rs)-1)] = r
	case 2:
		i := min(pos, len(rs)-1)
		rs = append(rs[:i], rs[i+1:]...)
	case 3:
		if i := min(pos, len(rs)-2); i >= 0 {
			rs[i], rs[i+1] = rs[i+1], rs[i]
		}
	case 4:
		for i, c := range rs {
			if c >= 'a' && c <= 'z' {
				rs[i] = c - 'a' + 'ａ'
			}
		}
	case 5:
		colon = string(r)
	}
	return string(rs), colon
}

// checkNotText fails when a query made with a mutated key parses into a
// search for more than the words it began with: every key:value typo must
// be explained.
func checkNotText(t *testing.T, env Env, words, query string) {
	t.Helper()
	q, err := Parse(query, env)
	if err != nil {
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Message == "" {
			t.Fatalf("Parse(%q): error %T %v is not a *QueryError with a message", query, err, err)
		}
		return
	}
	if text := q.Filter().SearchText; text != words {
		t.Fatalf("Parse(%q) searches for %q instead of explaining the key", query, text)
	}
}

// TestMutatedKeysAreNotText is the property of issue 6 point 10: every key
// of the qualifier table, after any one of the mutations, is an error with
// a did-you-mean, another qualifier, or (whitespace aside) never free text.
func TestMutatedKeysAreNotText(t *testing.T) {
	env := testEnv(t)
	seen := map[string]bool{}
	for _, key := range qualifiers.keyNames {
		for op := range 6 {
			for pos := range utf8.RuneCountInString(key) + 1 {
				for _, r := range keyMutations {
					mutated, colon := mutateKey(key, op, pos, r)
					token := mutated + colon + "vip"
					if seen[token] || !isColon(colon) || mutatedIntoURL(mutated) {
						continue
					}
					seen[token] = true
					checkNotText(t, env, "", token)
				}
			}
		}
	}
	if len(seen) < 2000 {
		t.Fatalf("only %d mutated keys checked", len(seen))
	}
	t.Logf("%d mutated keys checked", len(seen))
}

// isColon reports whether s is written as a colon (NFKC).
func isColon(s string) bool { return s == ":" || s == "：" || s == "﹕" }

// mutatedIntoURL reports whether a mutation wrote a URL scheme and its
// colon (tel:egram), which is text on purpose.
func mutatedIntoURL(mutated string) bool {
	scheme, _, ok := strings.Cut(norm.NFKC.String(mutated), ":")
	return ok && looksLikeURL(strings.ToLower(scheme), "")
}

// TestKeyTypoSuggestions checks the did-you-mean of the examples
// and that ordinary text with colons still searches.
func TestKeyTypoSuggestions(t *testing.T) {
	env := testEnv(t)
	for query, want := range map[string]string{
		"chann0el:whatsapp": "channel:whatsapp",
		"status*:open":      "status:open",
		"tag_:vip":          "tag:vip",
		"seen.:7d":          "seen:7d",
		"ｔａｇ:vip":           "tag:vip",
		"assigneéd:alice":   "assigned:alice",
		"tag﹕vip":           "tag:vip",
		"-ｔａｇ:spam":         "-tag:spam",
		"has_:order":        "has:order",
		"refund tag_:vip":   "tag:vip",
	} {
		_, err := Parse(query, env)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Suggestion != want {
			t.Errorf("Parse(%q) = %v, want the suggestion %q", query, err, want)
		}
	}
	for _, text := range []string{"10:30", "9:05am", "3:1", "-10:30", "https://x.example/a:b", "ann@example.com:ref",
		"shop.example:8080", ":tada:", ":)", "::1", `"tag_:vip"`, `x"a:b"`, "10：30"} {
		q, err := Parse(text, env)
		if err != nil || q.Filter().SearchText == "" {
			t.Errorf("Parse(%q) = %v, %v; want a text search", text, q, err)
		}
	}
}

// FuzzMutatedKey extends TestMutatedKeysAreNotText to any character and
// value: a qualifier key with one mutation is never silently free text,
// unless the mutation made it read as text on purpose (a URL, a time, an
// email, an emoji code, a quote or a space).
func FuzzMutatedKey(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(4), '0', "whatsapp")
	f.Add(uint8(5), uint8(1), uint8(6), '*', "open")
	f.Add(uint8(9), uint8(4), uint8(0), 'x', "vip")
	f.Add(uint8(2), uint8(5), uint8(0), '：', "7d")
	env := testEnv(f)
	f.Fuzz(func(t *testing.T, keyIndex, op, pos uint8, r rune, value string) {
		key := qualifiers.keyNames[int(keyIndex)%len(qualifiers.keyNames)]
		if !utf8.ValidRune(r) || !utf8.ValidString(value) {
			return
		}
		mutated, colon := mutateKey(key, int(op), int(pos), r)
		if strings.ContainsFunc(mutated+colon+value, isTextMaker) || !isColon(colon) || mutatedIntoURL(mutated) {
			return
		}
		if value == "" || value[0] == '/' || strings.HasPrefix(mutated, ":") && strings.HasSuffix(value, ":") {
			return // key: alone, a URL's //, an emoji code
		}
		checkNotText(t, env, "", mutated+colon+value)
	})
}

// isTextMaker reports characters that legitimately turn a token into text
// or split it: quotes, spaces, Slack markup and the ones that begin or end
// an email or a URL.
func isTextMaker(r rune) bool {
	return isQuote(r) || hasWeakQuote(string(r)) || r == '<' || r == '>' || r == '&' || r == '@' ||
		r == '\n' || r == '\t' || r == ' ' || r == '\u00a0' || r == '\u3000' || r < ' ' || (r > '~' && r < '\u00a1') ||
		strings.ContainsRune("\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u0085", r)
}
