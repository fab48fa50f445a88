package commands

import (
	"strconv"
	"strings"
)

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters each cost 1, so the common typo `tga` is one step from `tag`.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rolling rows: two back (for transpositions), previous, current.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// closeEnough is how far a typo may be from what was meant: one edit for
// short words, two for longer ones. More would suggest unrelated words.
func closeEnough(word string) int {
	if len([]rune(word)) <= 4 {
		return 1
	}
	return 2
}

// closest returns the candidate nearest to word (case-insensitively), or ""
// when none is close enough. Ties go to the earlier candidate, so the order
// of the qualifier table decides and the answer is stable.
func closest(word string, candidates []string) string {
	word = strings.ToLower(word)
	best, bestDistance := "", closeEnough(word)+1
	for _, c := range candidates {
		if d := editDistance(word, strings.ToLower(c)); d < bestDistance {
			best, bestDistance = c, d
		}
	}
	return best
}

// listSome writes at most limit names as "a, b, c and 4 more", for messages
// that list what is configured without flooding the reader.
func listSome(all []string, limit int) string {
	if len(all) <= limit {
		return joinOr(all, ", ", " and ")
	}
	shown := append([]string(nil), all[:limit]...)
	return strings.Join(shown, ", ") + " and " + strconv.Itoa(len(all)-limit) + " more"
}

// joinOr joins words as "a, b or c" (with sep and last as given).
func joinOr(words []string, sep, last string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], sep) + last + words[len(words)-1]
}
