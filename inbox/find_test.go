package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// memSource is an in-memory inbox of Users, pageSize a page, behaving like
// the API: pages in order, an empty page after the last, Last on a short
// page. It records the pages asked for. With assumed set it behaves like a
// Client that takes pages to hold assumed contacts: a shorter page is the
// last, Inferred, until it confirms a size as a Client does, from a page
// it served followed by a non-empty one.
type memSource struct {
	users     []User
	pageSize  int
	withTotal bool
	failPage  int // answer this page with an error
	asked     []int
	assumed   int         // 0: the source knows pageSize
	confirmed bool        // a size was learnt
	learnt    []int       // the sizes learnt
	served    map[int]int // page -> its length, for the pages served
}

func (s *memSource) Users(_ context.Context, f Filter) (*Page, error) {
	s.asked = append(s.asked, f.Page)
	if f.Page == s.failPage {
		return nil, &APIError{StatusCode: 500, Message: "down"}
	}
	first := min((f.Page-1)*s.pageSize, len(s.users))
	end := min(first+s.pageSize, len(s.users))
	size := s.pageSize
	if s.assumed > 0 {
		size = s.assumed
	}
	n := end - first
	p := &Page{Number: f.Page, Users: s.users[first:end], Total: -1, Last: n < size}
	p.Inferred = p.Last && n > 0 && s.assumed > 0 && !s.confirmed
	s.learnFrom(f.Page, n) // after decoding, as a Client does
	if s.withTotal {
		p.Total = len(s.users)
	}
	return p, nil
}

// learnFrom applies the Client's rule (learnFromNeighbours) to page,
// served with n contacts: a page followed by a non-empty one is full.
func (s *memSource) learnFrom(page, n int) {
	if n == 0 {
		return
	}
	if s.served == nil {
		s.served = map[int]int{}
	}
	full := 0
	if k := s.served[page-1]; k >= n {
		full = k
	} else if m := s.served[page+1]; m > 0 && m <= n {
		full = n
	}
	s.served[page] = n
	if full == 0 {
		return
	}
	s.learnt = append(s.learnt, full)
	if s.assumed > 0 {
		s.assumed, s.confirmed = full, true
	}
}

// numbered returns n users u00..; every third one (0, 3, 6, 9) is online.
func numbered(n int) []User {
	users := make([]User, n)
	for i := range users {
		users[i] = User{ID: fmt.Sprintf("u%02d", i), Online: i%3 == 0}
	}
	return users
}

func indexes(users []User) []int {
	out := []int{}
	for _, u := range users {
		var i int
		_, _ = fmt.Sscanf(u.ID, "u%02d", &i)
		out = append(out, i)
	}
	return out
}

func TestFind(t *testing.T) {
	online := func(u User) bool { return u.Online }
	none := func(User) bool { return false }
	cur := func(page, offset int) *Cursor { return &Cursor{Page: page, Offset: offset} }
	// 10 users, 4 a page: [0-3] [4-7] [8-9]; online: 0, 3, 6, 9.
	tests := []struct {
		name   string
		users  int
		filter Filter
		from   Cursor
		opt    FindOptions
		want   []int
		next   *Cursor
		found  Found // Scanned, Truncated, Total, Requests
	}{
		{
			name: "plain: the server page as it is", from: Cursor{Page: 1}, opt: FindOptions{Limit: 1 << 20},
			want: []int{0, 1, 2, 3}, next: cur(2, 0), found: Found{Scanned: 4, Total: 10, Requests: 1},
		},
		{
			name: "plain: last page", from: Cursor{Page: 3}, opt: FindOptions{Limit: 20},
			want: []int{8, 9}, found: Found{Scanned: 2, Total: 10, Requests: 1},
		},
		{
			name: "plain: page from the filter when the cursor is zero", filter: Filter{Page: 2},
			want: []int{4, 5, 6, 7}, next: cur(3, 0), found: Found{Scanned: 4, Total: 10, Requests: 1},
		},
		{
			name: "plain: Limit smaller than the page", from: Cursor{Page: 1}, opt: FindOptions{Limit: 3},
			want: []int{0, 1, 2}, next: cur(1, 3), found: Found{Scanned: 3, Total: 10, Requests: 1},
		},
		{
			name: "plain: Limit bigger than the page still makes one request", from: Cursor{Page: 1}, opt: FindOptions{Limit: 6},
			want: []int{0, 1, 2, 3}, next: cur(2, 0), found: Found{Scanned: 4, Total: 10, Requests: 1},
		},
		{
			name: "plain: empty inbox", users: -1, from: Cursor{Page: 1},
			want: []int{}, found: Found{Total: 0, Requests: 1},
		},
		{
			name: "no predicate, with an offset, across pages", from: Cursor{Page: 1, Offset: 2}, opt: FindOptions{Limit: 4},
			want: []int{2, 3, 4, 5}, next: cur(2, 2), found: Found{Scanned: 4, Total: 10, Requests: 2},
		},
		{
			name: "predicate: Limit reached at the end of a page", from: Cursor{Page: 1}, opt: FindOptions{Match: online, Limit: 2},
			want: []int{0, 3}, next: cur(2, 0), found: Found{Scanned: 4, Total: -1, Requests: 1},
		},
		{
			name: "predicate: across pages", from: Cursor{Page: 1}, opt: FindOptions{Match: online, Limit: 3},
			want: []int{0, 3, 6}, next: cur(2, 3), found: Found{Scanned: 7, Total: -1, Requests: 2},
		},
		{
			name: "predicate: resumes from a cursor", from: Cursor{Page: 2, Offset: 3}, opt: FindOptions{Match: online, Limit: 3},
			want: []int{9}, found: Found{Scanned: 3, Total: -1, Requests: 2},
		},
		{
			name: "predicate: the end of the results", from: Cursor{Page: 1}, opt: FindOptions{Match: online, Limit: 20},
			want: []int{0, 3, 6, 9}, found: Found{Scanned: 10, Total: -1, Requests: 3},
		},
		{
			name: "predicate: Limit reached on the very last contact", from: Cursor{Page: 1}, opt: FindOptions{Match: online, Limit: 4},
			want: []int{0, 3, 6, 9}, found: Found{Scanned: 10, Total: -1, Requests: 3},
		},
		{
			name: "predicate: nothing matches", from: Cursor{Page: 1}, opt: FindOptions{Match: none},
			want: []int{}, found: Found{Scanned: 10, Total: -1, Requests: 3},
		},
		{
			name: "MaxScan stops the walk mid-page", from: Cursor{Page: 1}, opt: FindOptions{Match: online, Limit: 20, MaxScan: 5},
			want: []int{0, 3}, next: cur(2, 1), found: Found{Scanned: 5, Truncated: true, Total: -1, Requests: 2},
		},
		{
			name: "MaxScan stops the walk at the end of a page", from: Cursor{Page: 1}, opt: FindOptions{Match: online, Limit: 20, MaxScan: 4},
			want: []int{0, 3}, next: cur(2, 0), found: Found{Scanned: 4, Truncated: true, Total: -1, Requests: 1},
		},
		{
			name: "MaxScan at the end of the results is not a truncation", from: Cursor{Page: 1}, opt: FindOptions{Match: online, Limit: 20, MaxScan: 10},
			want: []int{0, 3, 6, 9}, found: Found{Scanned: 10, Total: -1, Requests: 3},
		},
		{
			name: "offset past the page moves on", from: Cursor{Page: 1, Offset: 9}, opt: FindOptions{Match: online},
			want: []int{6, 9}, found: Found{Scanned: 6, Total: -1, Requests: 3},
		},
		{
			name: "offset at the end of the last page", from: Cursor{Page: 3, Offset: 2}, opt: FindOptions{Match: online},
			want: []int{}, found: Found{Total: -1, Requests: 1},
		},
		{
			name: "full last page, then the empty one", users: 8, from: Cursor{Page: 2}, opt: FindOptions{Match: online},
			want: []int{6}, found: Found{Scanned: 4, Total: -1, Requests: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.users
			switch n {
			case 0:
				n = 10
			case -1:
				n = 0
			}
			src := &memSource{users: numbered(n), pageSize: 4, withTotal: true}
			got, err := Find(context.Background(), src, tt.filter, tt.from, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if g := indexes(got.Users); !reflect.DeepEqual(g, tt.want) {
				t.Errorf("users %v, want %v", g, tt.want)
			}
			if !reflect.DeepEqual(got.Next, tt.next) {
				t.Errorf("next %v, want %v", got.Next, tt.next)
			}
			got.Users, got.Next = nil, nil
			if !reflect.DeepEqual(*got, tt.found) {
				t.Errorf("found %+v, want %+v", *got, tt.found)
			}
			if got.Requests != len(src.asked) {
				t.Errorf("Requests %d, but the source was asked %v", got.Requests, src.asked)
			}
		})
	}
}

// TestFindUnknownPageSize: the source takes pages to hold 6 contacts; the
// server's hold 4, so every page looks like the last until a walk shows
// otherwise (online: every third user).
func TestFindUnknownPageSize(t *testing.T) {
	online := func(u User) bool { return u.Online }
	all := func(User) bool { return true }
	cur := func(page, offset int) *Cursor { return &Cursor{Page: page, Offset: offset} }
	tests := []struct {
		name       string
		users      int
		from       Cursor
		opt        FindOptions
		want       []int
		next       *Cursor
		requests   int
		wantLearnt []int
	}{
		{
			name: "predicate: every page walked, learning the size", users: 10, from: Cursor{Page: 1},
			opt:  FindOptions{Match: online},
			want: []int{0, 3, 6, 9}, requests: 3, wantLearnt: []int{4, 4},
		},
		{
			name: "predicate: a short page after a full one ends the walk", users: 6, from: Cursor{Page: 1},
			opt:  FindOptions{Match: online},
			want: []int{0, 3}, requests: 2, wantLearnt: []int{4},
		},
		{
			name: "predicate: a single short page costs one extra request", users: 3, from: Cursor{Page: 1},
			opt:  FindOptions{Match: online},
			want: []int{0}, requests: 2,
		},
		{
			name: "predicate: Limit on the last contact of a page that only seems last", users: 8, from: Cursor{Page: 1},
			opt:  FindOptions{Match: all, Limit: 4},
			want: []int{0, 1, 2, 3}, next: cur(2, 0), requests: 1,
		},
		{
			name: "no predicate, from an offset, across pages", users: 10, from: Cursor{Page: 1, Offset: 2},
			opt:  FindOptions{Limit: 4},
			want: []int{2, 3, 4, 5}, next: cur(2, 2), requests: 2, wantLearnt: []int{4},
		},
		{
			name: "MaxScan at the end of a page that only seems last", users: 10, from: Cursor{Page: 1},
			opt:  FindOptions{Match: online, MaxScan: 4},
			want: []int{0, 3}, next: cur(2, 0), requests: 1,
		},
		{
			name: "plain: one request, Next from Last as it is", users: 10, from: Cursor{Page: 1},
			opt:  FindOptions{Limit: 1 << 20},
			want: []int{0, 1, 2, 3}, requests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &memSource{users: numbered(tt.users), pageSize: 4, assumed: 6}
			got, err := Find(context.Background(), src, Filter{}, tt.from, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if g := indexes(got.Users); !reflect.DeepEqual(g, tt.want) {
				t.Errorf("users %v, want %v", g, tt.want)
			}
			if !reflect.DeepEqual(got.Next, tt.next) {
				t.Errorf("next %v, want %v", got.Next, tt.next)
			}
			if got.Requests != tt.requests || len(src.asked) != tt.requests {
				t.Errorf("Requests %d, pages asked %v; want %d", got.Requests, src.asked, tt.requests)
			}
			if !reflect.DeepEqual(src.learnt, tt.wantLearnt) {
				t.Errorf("learnt %v, want %v", src.learnt, tt.wantLearnt)
			}
		})
	}
}

// TestFindPlainAfterLearning: once a walk taught the source its page size,
// a plain query (still one request) gets the right Next on every page.
func TestFindPlainAfterLearning(t *testing.T) {
	src := &memSource{users: numbered(10), pageSize: 4, assumed: 6}
	plain := FindOptions{Limit: 1 << 20}
	before, err := Find(context.Background(), src, Filter{}, Cursor{Page: 1}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if before.Next != nil {
		t.Fatalf("next %v before learning; the page looked like the last", before.Next)
	}
	if _, err := Find(context.Background(), src, Filter{}, Cursor{Page: 1}, FindOptions{Match: func(User) bool { return false }}); err != nil {
		t.Fatal(err)
	}
	for page, want := range map[int]*Cursor{1: {Page: 2}, 2: {Page: 3}, 3: nil} {
		src.asked = nil
		got, err := Find(context.Background(), src, Filter{}, Cursor{Page: page}, plain)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Next, want) || got.Requests != 1 || len(src.asked) != 1 {
			t.Errorf("page %d: next %v after %d requests; want %v after 1", page, got.Next, len(src.asked), want)
		}
	}
}

func TestFindPlainKeepsThePage(t *testing.T) {
	src := &memSource{users: numbered(10), pageSize: 4}
	page, _ := src.Users(context.Background(), Filter{Page: 1})
	got, err := Find(context.Background(), src, Filter{}, Cursor{Page: 1}, FindOptions{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if &got.Users[0] != &page.Users[0] || len(got.Users) != len(page.Users) {
		t.Error("a plain query does not hand back the server page as it is")
	}
}

func TestFindError(t *testing.T) {
	src := &memSource{users: numbered(10), pageSize: 4, failPage: 2}
	found, err := Find(context.Background(), src, Filter{}, Cursor{Page: 1},
		FindOptions{Match: func(u User) bool { return false }})
	var api *APIError
	if !errors.As(err, &api) || found != nil {
		t.Errorf("Find = %+v, %v; want nil and the source's *APIError", found, err)
	}
}

// TestFindPlainOneHTTPRequest: SPEC §11, one inbox request per plain query,
// checked at the HTTP level with the real client.
func TestFindPlainOneHTTPRequest(t *testing.T) {
	c, mux := setup(t)
	reqs := handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, pageBody(0, DefaultPageSize, map[string]any{"total": 95}))
	})
	found, err := Find(context.Background(), c, Filter{}, Cursor{Page: 1}, FindOptions{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if reqs.get() != 1 || len(found.Users) != DefaultPageSize || found.Total != 95 ||
		found.Next == nil || *found.Next != (Cursor{Page: 2}) {
		t.Errorf("%d requests; found %d users, total %d, next %v", reqs.get(), len(found.Users), found.Total, found.Next)
	}
}

// clockedSource is a memSource whose every fetch takes step on a fake clock.
type clockedSource struct {
	memSource
	now  time.Time
	step time.Duration
}

func (s *clockedSource) Users(ctx context.Context, f Filter) (*Page, error) {
	s.now = s.now.Add(s.step)
	return s.memSource.Users(ctx, f)
}

// TestFindDeadline: a walk fetches no page after FindOptions.Deadline and
// says so (Truncated, TimedOut, Next where it stopped); the first page is
// always read, and a plain Find ignores the deadline.
func TestFindDeadline(t *testing.T) {
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	none := func(User) bool { return false }
	tests := []struct {
		name      string
		match     func(User) bool
		deadline  time.Duration // from start; 0: none
		wantAsked []int
		wantNext  *Cursor
		timedOut  bool
	}{
		{"no deadline", none, 0, []int{1, 2, 3, 4, 5, 6}, nil, false},
		{"stops after 3 pages", none, 3*time.Second + time.Millisecond, []int{1, 2, 3, 4}, &Cursor{Page: 5}, true},
		{"first page always read", none, -time.Second, []int{1}, &Cursor{Page: 2}, true},
		{"plain ignores it", nil, -time.Second, []int{1}, &Cursor{Page: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &clockedSource{memSource: memSource{users: numbered(50), pageSize: 10}, now: start, step: time.Second}
			opt := FindOptions{Match: tt.match, Limit: 10, MaxScan: 1000, Now: func() time.Time { return src.now }}
			if tt.deadline != 0 {
				opt.Deadline = start.Add(tt.deadline)
			}
			found, err := Find(context.Background(), src, Filter{}, Cursor{Page: 1}, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(src.asked, tt.wantAsked) {
				t.Errorf("asked pages %v, want %v", src.asked, tt.wantAsked)
			}
			if !reflect.DeepEqual(found.Next, tt.wantNext) || found.TimedOut != tt.timedOut || found.Truncated != tt.timedOut {
				t.Errorf("next %v timedOut %v truncated %v; want %v %v", found.Next, found.TimedOut, found.Truncated, tt.wantNext, tt.timedOut)
			}
		})
	}
}

// TestFindDeadlineAbandonsASlowFetch: a fetch still running at the deadline
// is abandoned, and the walk ends there without an error.
func TestFindDeadlineAbandonsASlowFetch(t *testing.T) {
	mem := &memSource{users: numbered(50), pageSize: 10}
	src := sourceFunc(func(ctx context.Context, f Filter) (*Page, error) {
		if f.Page == 2 {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return mem.Users(ctx, f)
	})
	opt := FindOptions{Match: func(User) bool { return false }, Deadline: time.Now().Add(50 * time.Millisecond)}
	found, err := Find(context.Background(), src, Filter{}, Cursor{Page: 1}, opt)
	if err != nil {
		t.Fatalf("Find: %v, want the walk cut at the deadline", err)
	}
	if !found.TimedOut || found.Next == nil || *found.Next != (Cursor{Page: 2}) || found.Scanned != 10 {
		t.Errorf("timedOut %v next %v scanned %d", found.TimedOut, found.Next, found.Scanned)
	}
}

type sourceFunc func(context.Context, Filter) (*Page, error)

func (f sourceFunc) Users(ctx context.Context, fl Filter) (*Page, error) { return f(ctx, fl) }
