package inboxtest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/inbox"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

var anchor = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// TestInboxClientInProcess runs the real client against the fake without a
// port, as `inboxbot shell` does, and checks that every spelling the fake
// uses (name keys, platform case, forms of "unassigned") decodes.
func TestInboxClientInProcess(t *testing.T) {
	s := inboxtest.New(inboxtest.WithAnchor(anchor))
	client, err := inbox.NewClient("http://demo.invalid", inboxtest.DefaultToken,
		inbox.WithHTTPClient(s.Client()), inbox.WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	want := s.Contacts()
	var got []inbox.User
	for page := 1; ; page++ {
		p, err := client.Users(context.Background(), inbox.Filter{Page: page})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		got = append(got, p.Users...)
		if len(p.Users) == 0 || p.Last {
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the client read %d contacts, want %d", len(got), len(want))
	}
	for i, u := range got {
		c := want[i]
		if u.ID != c.ID || u.Name != c.Name || u.AgentID != c.AgentID || u.Channel() != c.Channel ||
			u.Status != c.Status || !slices.Equal(u.Tags, c.Tags) || !u.CreatedAt.Equal(c.CreatedAt) ||
			!u.LastSeenAt.Equal(c.LastSeenAt) || u.LastMessage.By != c.LastMessage.By || u.LiveChat != c.LiveChat {
			t.Fatalf("contact %d (%s) decoded as %.300v\nfrom %.300v", i, c.ID, fmt.Sprintf("%+v", u), fmt.Sprintf("%+v", c))
		}
	}

	s.FailNext(1, inboxtest.Status(503))
	if _, err := client.Users(context.Background(), inbox.Filter{}); err != nil {
		t.Errorf("one 503 should be retried: %v", err)
	}
	s.SetFault(inboxtest.Unauthorized())
	var unauthorized *inbox.UnauthorizedError
	if _, err := client.Users(context.Background(), inbox.Filter{}); !errors.As(err, &unauthorized) {
		t.Errorf("error %v, want an UnauthorizedError", err)
	}
}
