package commands

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// valuePools are values to combine with the table's keys when generating
// queries: canonical and non-canonical spellings, ids, aliases, mentions.
var valuePools = map[string][]string{
	"tag":      {"vip", "b2b", "gold", "VIP", `"high value"`, "spam", "a&amp;b"},
	"status":   {"open", "OPEN", "inprogress", "in-progress", "in_progress", "review", "onhold", "On-Hold", "dependency", "dependancy", "closed"},
	"channel":  {"website", "whatsapp", "telegram", "facebook", "web", "wa", "tg", "fb", "WhatsApp"},
	"bot":      {"sales", "support", "web", "tg", "65f0c1d2e3f4a5b6c7d8e9f3", "SALES"},
	"whatsapp": {"65f0c1d2e3f4a5b6c7d8e9f0", "65f0c1d2e3f4a5b6c7d8e9aa", "65F0C1D2E3F4A5B6C7D8E9F1"},
	"website":  {"65f0c1d2e3f4a5b6c7d8e9f2", "65f0c1d2e3f4a5b6c7d8e9bb"},
	"facebook": {"65f0c1d2e3f4a5b6c7d8e9cc"},
	"telegram": {"65f0c1d2e3f4a5b6c7d8e9f3", "65f0c1d2e3f4a5b6c7d8e9dd"},
	"assigned": {"alice", "bob", "carol", "@me", "me", "<@U0BOB0001>", "<@U024BE7LH|Alice Smith>", "65ab12cd34ef56ab78cd90f1", "65ab12cd34ef56ab78cd9999", "@bob"},
	"segment":  {"returning", "trial", "65cc00000000000000000009", "65CC00000000000000000001"},
	"seen":     dateValues,
	"created":  dateValues,
	"ordered":  {"7d", "<30d", ">=2026-11-01", "2026-11-01..*", ">2026-11-01"},
	"last":     {"user", "bot", "agent", "contact", "AGENT"},
	"waiting":  {">10m", "<2h", ">=1h", "<=30m"},
	"page":     {"1", "2", "5", "100000"},
}

// dateValues are seen: and created: values.
var dateValues = []string{"7d", "<7d", ">30d", "3mo", ">2w", "90m", "<=12h", ">=1w", "2026-11-01", ">2026-11-01", "<2026-11-20",
	">=2026-11-01", "<=2026-11-20", "2026-11-01..2026-11-20", "2026-11-01..*", "*..2026-11-20", "today",
	"Yesterday", "2026-11-01T10:30", ">2026-11-01t10:30+05:30", "2026-11-01T10:30:15Z", "yesterday..today"}

var textPool = []string{"refund", "order", `"late delivery"`, "10:30", "https://x.example/a?b=c", `"online"`, "héllo",
	"tom&amp;jerry", "&lt;b&gt;", `“curly words”`, `"tag:vip"`, "-", "a-b", `"-x"`, "&amp;lt;",
	"<mailto:ann@example.com|ann@example.com>", "<https://x.example/a|x.example/a>", "<http://x.example/?a=1&amp;b=2>",
	"<#C024BE7LR|general>", "<!subteam^SAZ94GDB8|@support>", "<!here>", "&lt;!here&gt;", "&lt;https://x.y|x.y&gt;",
	"„late delivery“", "«refund now»", "‚wrong size‘", "「gift card」", "O’Brien", "‘90s", `"‘quoted’"`, "9:05am"}

// generatedQueries builds n queries from the qualifier table with a fixed
// seed: its forms, negations, is:/has:/no: spellings and keywords, and its
// keys combined with the value pools.
func generatedQueries(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	var atoms []string
	var keys []*qualifier
	for i := range qualifierTable {
		q := &qualifierTable[i]
		if q.name == "text" {
			continue
		}
		atoms = append(atoms, q.forms...)
		atoms = append(atoms, q.words...)
		if q.negation != "" {
			atoms = append(atoms, q.negation)
		}
		for _, f := range q.flags {
			atoms = append(atoms, f.form, "-"+f.form)
		}
		if len(q.keys) > 0 {
			keys = append(keys, q)
		}
	}
	out := make([]string, 0, n)
	for range n {
		tokens := make([]string, 1+r.IntN(6))
		for i := range tokens {
			switch c := r.IntN(10); {
			case c < 3:
				tokens[i] = atoms[r.IntN(len(atoms))]
			case c < 4:
				tokens[i] = textPool[r.IntN(len(textPool))]
			default:
				tokens[i] = generatedKeyValue(r, keys[r.IntN(len(keys))])
			}
		}
		out = append(out, strings.Join(tokens, " "))
	}
	return out
}

func generatedKeyValue(r *rand.Rand, q *qualifier) string {
	key := q.keys[r.IntN(len(q.keys))]
	pool := valuePools[key] // channel:id keys have their own pools
	if pool == nil {
		pool = valuePools[q.name]
	}
	count := 1 + r.IntN(3)
	if singleValued[q.name] {
		count = 1
	}
	values := make([]string, count)
	for i := range values {
		values[i] = strings.Trim(pool[r.IntN(len(pool))], `"`)
	}
	value := strings.Join(values, ",")
	if strings.Contains(value, " ") {
		value = `"` + value + `"`
	}
	if r.IntN(4) == 0 {
		key = strings.ToUpper(key[:1]) + key[1:]
	}
	prefix := ""
	if strings.Contains(q.negation, ":") && r.IntN(4) == 0 {
		prefix = "-"
	}
	return prefix + key + ":" + value
}

// singleValued are the qualifiers whose value is not a comma list.
var singleValued = map[string]bool{"seen": true, "created": true, "ordered": true, "waiting": true, "page": true}

// checkCanonical asserts the canonical-form property for a valid query.
func checkCanonical(t *testing.T, s string, q *Query, env Env) {
	t.Helper()
	c := q.Canonical()
	back, err := Parse(c, env)
	if err != nil {
		t.Fatalf("Parse(%q) = %v, but it is the canonical form of %q", c, err, s)
	}
	if !back.Equal(q) {
		t.Fatalf("Parse(Canonical(%q)) is not Equal to it; canonical %q", s, c)
	}
	if again := back.Canonical(); again != c {
		t.Fatalf("Canonical is not idempotent for %q:\n%q\n%q", s, c, again)
	}
	if back.Words() != q.Words() {
		t.Fatalf("Words differ after the canonical round trip of %q:\n%q\n%q", s, q.Words(), back.Words())
	}
	if back.HasPredicate() != q.HasPredicate() {
		t.Fatalf("HasPredicate differs after the canonical round trip of %q", s)
	}
}

func TestCanonicalProperty(t *testing.T) {
	env := testEnv(t)
	valid := 0
	for _, s := range generatedQueries(4000) {
		q, err := Parse(s, env)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Message == "" {
				t.Fatalf("Parse(%q): error %T %v is not a *QueryError with a message", s, err, err)
			}
			continue
		}
		valid++
		checkCanonical(t, s, q, env)
		for _, page := range []int{2, 17, 100000} {
			paged := q.WithPage(page)
			back, err := Parse(paged.Canonical(), env)
			if err != nil || back.Page() != page || !back.Equal(paged) {
				t.Fatalf("page %d of %q: Parse(%q) = %v, %v", page, s, paged.Canonical(), back, err)
			}
		}
	}
	// The generator must mostly produce valid queries, or the property says
	// little; contradictions and unknown values account for the rest.
	if valid < 2000 {
		t.Fatalf("only %d of 4000 generated queries are valid", valid)
	}
	t.Logf("%d valid generated queries", valid)
}

// TestEqual checks that Equal tells different queries apart, not only that
// it holds for equal ones.
func TestEqual(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		a, b  string
		equal bool
	}{
		{"online", "is:online", true},
		{"online", "offline", false},
		{"-online", "offline", true},
		{"tag:vip,gold", "tag:gold,vip", true},
		{"tag:vip,gold", "tag:vip tag:gold", false},
		{"tag:vip", "-tag:vip", false},
		{"seen:7d", "seen:<7d", true},
		{"seen:7d", "seen:8d", false},
		{"assigned:@me", "assigned:alice", true},
		{"mine", "assigned:bob", false},
		{"unassigned", "has:assignee", false},
		{"unassigned", "", false},
		{"channel:facebook", "-channel:facebook", false},
		{"waiting:>10m", "waiting:<10m", false},
		{"waiting:>10m", "last:user", false},
		{"refund request", `"refund request"`, true},
		{"page:2", "page:3", false},
		{"status:in-progress", "status:INPROGRESS", true},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			a, err := Parse(tt.a, env)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse(tt.b, env)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Equal(b); got != tt.equal {
				t.Errorf("Equal = %v, want %v", got, tt.equal)
			}
			if got := b.Equal(a); got != tt.equal {
				t.Errorf("Equal is not symmetric")
			}
		})
	}
	var nilQuery *Query
	if !nilQuery.Equal(nil) || nilQuery.Equal(&Query{}) {
		t.Error("Equal mishandles nil")
	}
}

// goldenQueries returns the queries of the golden files, as fuzz seeds.
func goldenQueries(tb testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "queries", "*.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		input, _, _ := strings.Cut(string(data), goldenSeparator)
		lines := strings.Split(input, "\n")
		for len(lines) > 0 && strings.HasPrefix(lines[0], "# ") {
			lines = lines[1:]
		}
		out = append(out, strings.Join(lines, "\n"))
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range goldenQueries(f) {
		f.Add(s)
	}
	for _, s := range generatedQueries(50) {
		f.Add(s)
	}
	env := testEnv(f)
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s, env)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Message == "" || qe.Error() == "" {
				t.Fatalf("Parse(%q): error %T %q is not a *QueryError with a message", s, err, err)
			}
			return
		}
		checkCanonical(t, s, q, env)
		if _, err := q.Filter().MarshalJSON(); err != nil {
			t.Fatalf("Parse(%q): body does not marshal: %v", s, err)
		}
		if q.Words() == "" {
			t.Fatalf("Parse(%q): no words", s)
		}
	})
}

func BenchmarkParseCanonical(b *testing.B) {
	env := testEnv(b)
	const query = `online tag:vip,gold unassigned seen:7d channel:whatsapp "refund request"`
	b.ReportAllocs()
	for b.Loop() {
		q, err := Parse(query, env)
		if err != nil {
			b.Fatal(err)
		}
		_ = q.Canonical()
	}
}

func BenchmarkParseWordsFilter(b *testing.B) {
	env := testEnv(b)
	const query = `online tag:vip,gold unassigned seen:7d channel:whatsapp "refund request"`
	b.ReportAllocs()
	for b.Loop() {
		q, err := Parse(query, env)
		if err != nil {
			b.Fatal(err)
		}
		_ = q.Words()
		_ = q.Filter()
	}
}
