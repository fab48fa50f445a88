package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
)

// serveInbox serves total contacts, pageSize a page, like the real API: an
// empty data after the last page. It returns the pages requested, in order.
func serveInbox(t *testing.T, mux *http.ServeMux, total, pageSize int) func() []int {
	t.Helper()
	return serveInboxWith(t, mux, total, pageSize, nil)
}

// serveInboxWith is serveInbox adding the top-level fields extra returns
// for a page (extra may be nil).
func serveInboxWith(t *testing.T, mux *http.ServeMux, total, pageSize int, extra func(page int) map[string]any) func() []int {
	t.Helper()
	var mu sync.Mutex
	var pages []int
	handleUsers(mux, func(_ int, w http.ResponseWriter, r *http.Request) {
		var f Filter
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			t.Errorf("request body: %v", err)
		}
		mu.Lock()
		pages = append(pages, f.Page)
		mu.Unlock()
		first := min((f.Page-1)*pageSize, total)
		var fields map[string]any
		if extra != nil {
			fields = extra(f.Page)
		}
		writeJSON(w, 200, pageBody(first, min(pageSize, total-first), fields))
	})
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), pages...)
	}
}

func TestPages(t *testing.T) {
	tests := []struct {
		name         string
		total        int
		start        int
		lookahead    int
		wantPages    []int // yielded, in order
		wantRequests []int // min and max number of requests
	}{
		{"sequential, short last page", 7, 0, 0, []int{1, 2, 3}, []int{3, 3}},
		// The empty page ends the walk but is not yielded (it holds nothing).
		{"sequential, empty page after a full one", 6, 0, 0, []int{1, 2}, []int{3, 3}},
		{"sequential from page 2", 7, 2, 0, []int{2, 3}, []int{2, 2}},
		{"empty inbox", 0, 1, 0, []int{1}, []int{1, 1}},
		// Look-ahead may fetch up to 2 pages past the last one.
		{"look-ahead 2", 7, 0, 2, []int{1, 2, 3}, []int{3, 5}},
		{"look-ahead 8 on a short walk", 4, 0, 8, []int{1, 2}, []int{2, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t, WithPageSize(3))
			requested := serveInbox(t, mux, tt.total, 3)
			var got []int
			var users int
			for p, err := range Pages(context.Background(), c, Filter{Page: tt.start}, tt.lookahead) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.Number)
				users += len(p.Users)
			}
			if !reflect.DeepEqual(got, tt.wantPages) {
				t.Errorf("yielded pages %v, want %v", got, tt.wantPages)
			}
			if wantUsers := max(tt.total-(max(tt.start, 1)-1)*3, 0); users != wantUsers {
				t.Errorf("%d users, want %d", users, wantUsers)
			}
			if n := len(requested()); n < tt.wantRequests[0] || n > tt.wantRequests[1] {
				t.Errorf("%d requests (%v), want %d to %d", n, requested(), tt.wantRequests[0], tt.wantRequests[1])
			}
		})
	}
}

// TestPagesUnknownPageSize walks servers whose page size the client does
// not know (it assumes DefaultPageSize): every contact comes once, in
// order; the walk makes at most one request beyond what it needs; and the
// client learns the server's page size once it saw two non-empty pages.
func TestPagesUnknownPageSize(t *testing.T) {
	for _, size := range []int{10, 15, 20, 25} {
		for _, total := range []int{0, 7, 15, 20, 25, 45, 50, 60} {
			pages := (total + size - 1) / size // non-empty pages
			// The non-empty pages, plus the empty one when the last is
			// full (nothing says it is the last) or when it is the only
			// one: a single page teaches nothing, so whether it is short
			// is not known (the one extra request this design allows).
			wantRequests := pages
			if pages <= 1 || total%size == 0 {
				wantRequests++
			}
			for _, lookahead := range []int{0, 2} {
				t.Run(fmt.Sprintf("size %d, %d contacts, look-ahead %d", size, total, lookahead), func(t *testing.T) {
					c, mux := setup(t)
					requested := serveInbox(t, mux, total, size)
					var ids []string
					for u, err := range All(context.Background(), c, Filter{}, lookahead) {
						if err != nil {
							t.Fatal(err)
						}
						ids = append(ids, u.ID)
					}
					if len(ids) != total {
						t.Fatalf("%d contacts, want %d", len(ids), total)
					}
					for i, id := range ids {
						if want := fmt.Sprintf("66e07fd940c43d176eaf%04x", i); id != want {
							t.Fatalf("contact %d is %s, want %s", i, id, want)
						}
					}
					n := len(requested())
					if lookahead == 0 && n != wantRequests || n < wantRequests || n > wantRequests+lookahead+1 {
						t.Errorf("%d requests %v, want %d (+ up to %d of look-ahead)", n, requested(), wantRequests, lookahead+1)
					}
					wantSize := DefaultPageSize
					switch {
					case pages >= 2:
						wantSize = size // learnt
					case total > DefaultPageSize:
						wantSize = total // a longer page raised it
					}
					if c.PageSize() != wantSize {
						t.Errorf("page size %d after the walk, want %d", c.PageSize(), wantSize)
					}
				})
			}
		}
	}
}

// TestPagesExplicitLast: a page the API says is the last ends the walk
// without the extra request, however short it is.
func TestPagesExplicitLast(t *testing.T) {
	tests := []struct {
		name  string
		total int
		extra func(page int) map[string]any
		want  int // requests
	}{
		{"hasMore false", 7, func(int) map[string]any { return map[string]any{"hasMore": false} }, 1},
		{"hasNextPage false on page 2", 12, func(p int) map[string]any { return map[string]any{"hasNextPage": p < 2} }, 2},
		{"totalPages", 12, func(int) map[string]any { return map[string]any{"totalPages": 2} }, 2},
		{"total reached on page 1", 7, func(int) map[string]any { return map[string]any{"total": 7} }, 1},
		{"total with a size the walk learnt", 25, func(int) map[string]any { return map[string]any{"total": 25} }, 3},
		{"nothing said: the extra request", 7, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t) // assumes 20 a page; the server sends 10
			requested := serveInboxWith(t, mux, tt.total, 10, tt.extra)
			users := 0
			for p, err := range Pages(context.Background(), c, Filter{}, 0) {
				if err != nil {
					t.Fatal(err)
				}
				users += len(p.Users)
			}
			if users != tt.total || len(requested()) != tt.want {
				t.Errorf("%d users after requests %v; want %d after %d", users, requested(), tt.total, tt.want)
			}
		})
	}
}

// wrapper is a Source in front of another, like the bot's cache, that
// knows nothing of page sizes.
type wrapper struct{ src Source }

func (s wrapper) Users(ctx context.Context, f Filter) (*Page, error) {
	return s.src.Users(ctx, f)
}

// TestTheClientLearnsBehindAnySource: walks through a wrapper that forwards
// nothing still teach the client its page size (it learns from the pages
// it serves), and the pages that follow say so in Page.Size.
func TestTheClientLearnsBehindAnySource(t *testing.T) {
	walks := []struct {
		name string
		walk func(Source) error
	}{
		{"Pages", func(src Source) error {
			for _, err := range Pages(context.Background(), src, Filter{}, 1) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
		{"Find", func(src Source) error {
			_, err := Find(context.Background(), src, Filter{}, Cursor{Page: 1},
				FindOptions{Match: func(User) bool { return false }})
			return err
		}},
	}
	for _, w := range walks {
		for _, src := range []func(*Client) Source{
			func(c *Client) Source { return c },
			func(c *Client) Source { return wrapper{c} },
		} {
			c, mux := setup(t)
			serveInbox(t, mux, 35, 10)
			s := src(c)
			t.Run(fmt.Sprintf("%s over %T", w.name, s), func(t *testing.T) {
				if err := w.walk(s); err != nil {
					t.Fatal(err)
				}
				if c.PageSize() != 10 {
					t.Errorf("client page size %d, want 10", c.PageSize())
				}
				p, err := s.Users(context.Background(), Filter{Page: 4})
				if err != nil {
					t.Fatal(err)
				}
				if p.Size != 10 || !p.Last || p.Inferred {
					t.Errorf("page 4 after the walk: size %d, last %v, inferred %v; want 10, the last for certain", p.Size, p.Last, p.Inferred)
				}
			})
		}
	}
}

// gatedSource answers page p only once gate p is opened, and tracks the
// calls in flight.
type gatedSource struct {
	mu       sync.Mutex
	gates    map[int]chan struct{}
	started  int
	inFlight atomic.Int32
	pages    int // pages before the last (empty) one; 0: endless
}

func (s *gatedSource) gate(page int) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gates[page] == nil {
		s.gates[page] = make(chan struct{})
	}
	return s.gates[page]
}

func (s *gatedSource) Users(ctx context.Context, f Filter) (*Page, error) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.mu.Lock()
	s.started++
	s.mu.Unlock()
	select {
	case <-s.gate(f.Page):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	last := s.pages > 0 && f.Page >= s.pages
	return &Page{Number: f.Page, Users: []User{{ID: fmt.Sprint(f.Page)}}, Total: -1, Last: last}, nil
}

func (s *gatedSource) startedCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// TestPagesInOrder answers the look-ahead fetches in reverse order; the
// consumer must still see pages in order.
func TestPagesInOrder(t *testing.T) {
	src := &gatedSource{gates: map[int]chan struct{}{}, pages: 3}
	done := make(chan []int)
	go func() {
		var got []int
		for p, err := range walkPages(context.Background(), src, Filter{}, 2) {
			if err != nil {
				t.Error(err)
				break
			}
			got = append(got, p.Number)
		}
		done <- got
	}()
	waitFor(t, "3 concurrent fetches", func() bool { return src.startedCalls() == 3 })
	for page := 3; page >= 1; page-- {
		close(src.gate(page))
	}
	if got := <-done; !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Errorf("pages %v, want [1 2 3]", got)
	}
	if n := src.inFlight.Load(); n != 0 {
		t.Errorf("%d fetches still running after the walk", n)
	}
}

// TestPagesEarlyStop: when the consumer breaks, fetches in flight are
// cancelled and finished before the loop returns.
func TestPagesEarlyStop(t *testing.T) {
	src := &gatedSource{gates: map[int]chan struct{}{}}
	close(src.gate(1))
	for p, err := range walkPages(context.Background(), src, Filter{}, 3) {
		if err != nil || p.Number != 1 {
			t.Fatalf("first page %v, %v", p, err)
		}
		waitFor(t, "the look-ahead fetches", func() bool { return src.inFlight.Load() == 3 })
		break
	}
	if n := src.inFlight.Load(); n != 0 {
		t.Errorf("%d fetches still running after break: goroutine leak", n)
	}
	if n := src.startedCalls(); n != 4 {
		t.Errorf("%d fetches started, want 4 (1 + look-ahead 3)", n)
	}
}

// TestPagesEarlyStopHTTP: breaking out of Pages cancels the HTTP requests
// of the look-ahead; the server sees their contexts end.
func TestPagesEarlyStopHTTP(t *testing.T) {
	c, mux := setup(t, WithPageSize(2))
	var started, cancelled atomic.Int32
	handleUsers(mux, func(_ int, w http.ResponseWriter, r *http.Request) {
		var f Filter
		_ = json.NewDecoder(r.Body).Decode(&f)
		if f.Page == 1 {
			writeJSON(w, 200, pageBody(0, 2, nil))
			return
		}
		started.Add(1)
		<-r.Context().Done()
		cancelled.Add(1)
	})
	for range Pages(context.Background(), c, Filter{}, 2) {
		waitFor(t, "the look-ahead requests", func() bool { return started.Load() == 2 })
		break
	}
	waitFor(t, "the server to see both requests cancelled", func() bool { return cancelled.Load() == 2 })
}

func TestPagesError(t *testing.T) {
	c, mux := setup(t, WithPageSize(2))
	handleUsers(mux, func(_ int, w http.ResponseWriter, r *http.Request) {
		var f Filter
		_ = json.NewDecoder(r.Body).Decode(&f)
		if f.Page == 2 {
			writeJSON(w, 400, []byte(`{"success":false,"message":"bad page"}`))
			return
		}
		writeJSON(w, 200, pageBody(0, 2, nil))
	})
	var pages, errs int
	for p, err := range Pages(context.Background(), c, Filter{}, 1) {
		if err != nil {
			errs++
			if e := asError[*APIError](t, err); e.StatusCode != 400 {
				t.Errorf("error %+v", e)
			}
			continue // the walk must end by itself
		}
		pages++
		if p.Number != 1 {
			t.Errorf("page %d yielded", p.Number)
		}
	}
	if pages != 1 || errs != 1 {
		t.Errorf("%d pages and %d errors, want 1 and 1", pages, errs)
	}
}

func TestPagesStopsAtMaxPage(t *testing.T) {
	c, mux := setup(t, WithPageSize(1))
	reqs := handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, pageBody(0, 1, nil)) // always a full page
	})
	var got []int
	for p, err := range Pages(context.Background(), c, Filter{Page: MaxPage - 1}, 3) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Number)
	}
	if !reflect.DeepEqual(got, []int{MaxPage - 1, MaxPage}) || reqs.get() != 2 {
		t.Errorf("pages %v after %d requests, want [%d %d] after 2", got, reqs.get(), MaxPage-1, MaxPage)
	}
}

func TestAll(t *testing.T) {
	tests := []struct {
		name      string
		stopAfter int // 0: read everything
		wantIDs   int
	}{
		{"everything", 0, 7},
		{"early stop", 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mux := setup(t, WithPageSize(3))
			serveInbox(t, mux, 7, 3)
			var ids []string
			for u, err := range All(context.Background(), c, Filter{}, 1) {
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, u.ID)
				if len(ids) == tt.stopAfter {
					break
				}
			}
			if len(ids) != tt.wantIDs {
				t.Fatalf("%d users, want %d", len(ids), tt.wantIDs)
			}
			for i, id := range ids {
				if want := fmt.Sprintf("66e07fd940c43d176eaf%04x", i); id != want {
					t.Errorf("user %d is %s, want %s", i, id, want)
				}
			}
		})
	}
}

func TestAllError(t *testing.T) {
	c, mux := setup(t)
	handleUsers(mux, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 401, nil)
	})
	var errs int
	for u, err := range All(context.Background(), c, Filter{}, 2) {
		if err == nil || u.ID != "" {
			t.Fatalf("yielded %+v, %v; want only an error", u, err)
		}
		asError[*UnauthorizedError](t, err)
		errs++
	}
	if errs != 1 {
		t.Errorf("%d errors yielded, want 1", errs)
	}
}

// emptySource answers every page with no contacts and flags that do not
// say so; it counts the calls.
type emptySource struct {
	inferred bool
	calls    atomic.Int32
}

func (s *emptySource) Users(context.Context, Filter) (*Page, error) {
	s.calls.Add(1)
	return &Page{Total: -1, Last: s.inferred, Inferred: s.inferred}, nil
}

// TestWalksEndOnAnEmptyPage: an empty page ends a walk whatever its
// Source claims, so that a confused Source cannot run one to MaxPage.
func TestWalksEndOnAnEmptyPage(t *testing.T) {
	for _, inferred := range []bool{false, true} {
		t.Run(fmt.Sprint("inferred ", inferred), func(t *testing.T) {
			src := &emptySource{inferred: inferred}
			pages := 0
			for _, err := range walkPages(context.Background(), src, Filter{}, 0) {
				if err != nil {
					t.Fatal(err)
				}
				pages++
			}
			found, err := Find(context.Background(), src, Filter{}, Cursor{Page: 1}, FindOptions{Match: func(User) bool { return true }})
			if err != nil {
				t.Fatal(err)
			}
			if pages != 1 || found.Next != nil || src.calls.Load() != 2 {
				t.Errorf("%d pages yielded, Find next %v, %d calls; want 1, nil, 2", pages, found.Next, src.calls.Load())
			}
		})
	}
}
