package commands

import (
	"strings"
	"unicode/utf8"
)

// maskDots stands for hidden characters in masked PII.
const maskDots = "•••"

// MaskEmail shows an email address as the PII mode allows: unchanged in
// PIIFull, "" in PIIHidden, and otherwise (PIIMasked, or an unknown mode:
// the safe default) the first character of the local part and the domain,
// "j•••@example.com". The result is not escaped for mrkdwn.
func MaskEmail(s string, m PIIMode) string {
	switch {
	case s == "" || m == PIIHidden:
		return ""
	case m == PIIFull:
		return s
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return firstRune(s) + maskDots // not an address: reveal as little
	}
	return firstRune(s[:at]) + maskDots + s[at:]
}

// MaskPhone shows a phone number as the PII mode allows: unchanged in
// PIIFull, "" in PIIHidden, and otherwise the country prefix (when the
// number is written "+CC rest", as inbox.User.Phone is) and the last two
// digits, "+91 •••• ••12". A bare number (a WhatsApp number) has no
// separable prefix and shows as "•••• ••12"; a number with fewer than six
// digits shows no digit at all. The mask has a fixed shape so it does not
// reveal the length of the number.
func MaskPhone(s string, m PIIMode) string {
	switch {
	case strings.TrimSpace(s) == "" || m == PIIHidden:
		return ""
	case m == PIIFull:
		return s
	}
	prefix, rest := "", strings.TrimSpace(s)
	if p, r, ok := strings.Cut(rest, " "); ok && isCountryPrefix(p) {
		prefix, rest = p+" ", r
	}
	digits := onlyDigits(rest)
	if len(digits) < 6 {
		return prefix + "•••• ••••"
	}
	return prefix + "•••• ••" + digits[len(digits)-2:]
}

// isCountryPrefix reports "+" followed by 1-4 digits (ITU calling codes
// have at most 3; some write e.g. "+1 268" style codes with 4).
func isCountryPrefix(p string) bool {
	if len(p) < 2 || len(p) > 5 || p[0] != '+' {
		return false
	}
	return len(onlyDigits(p[1:])) == len(p)-1
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func firstRune(s string) string {
	if s == "" {
		return ""
	}
	_, size := utf8.DecodeRuneInString(s)
	return s[:size]
}
