package inbox

import (
	"context"
	"testing"
)

// pagesSource serves fixed pages by number.
type pagesSource map[int]*Page

func (s pagesSource) Users(_ context.Context, f Filter) (*Page, error) {
	p := *s[max(f.Page, 1)]
	return &p, nil
}

// TestFindCountsSkipped: the malformed items a walk met are counted, and a
// page of nothing but malformed items does not end the walk (it was a full
// page of the API's).
func TestFindCountsSkipped(t *testing.T) {
	src := pagesSource{
		1: {Number: 1, Users: numbered(3), Skipped: 1, Total: -1},
		2: {Number: 2, Skipped: 4, Total: -1},
		3: {Number: 3, Users: numbered(2), Total: -1, Last: true},
	}
	all := func(User) bool { return true }
	found, err := Find(context.Background(), src, Filter{}, Cursor{}, FindOptions{Match: all})
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Users) != 5 || found.Skipped != 5 || found.Requests != 3 || found.Next != nil {
		t.Errorf("got %d users, %d skipped, %d requests, next %v; want 5, 5, 3, nil",
			len(found.Users), found.Skipped, found.Requests, found.Next)
	}
	plain, err := Find(context.Background(), src, Filter{}, Cursor{}, FindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Skipped != 1 {
		t.Errorf("a plain page: %d skipped, want 1", plain.Skipped)
	}
}
