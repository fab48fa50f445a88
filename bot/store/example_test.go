package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/convertalk/inboxbot/bot/store"
)

// incident is how an alert's incident might be stored (version 1).
type incident struct {
	State   string `json:"state"`
	AckedBy string `json:"acked_by,omitempty"`
}

// An Ack click and an alert round both edit an incident. With UpdateJSON
// neither can overwrite the other's change: each edit starts from the
// record as the last one left it.
func ExampleUpdateJSON() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := store.Open(ctx, "bolt://"+filepath.Join(dir, "inboxbot.db"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	n, _ := s.NextID(ctx, "a")
	id := fmt.Sprintf("a%d", n)
	_ = store.PutJSON(ctx, s, "incident", id, 1, incident{State: "firing"})

	ack := func(inc *incident, found bool) (bool, error) {
		if !found || inc.State != "firing" {
			return false, nil // nothing to acknowledge: write nothing
		}
		inc.AckedBy = "U024BE7LH"
		return true, nil
	}
	if err := store.UpdateJSON(ctx, s, "incident", id, 1, ack); err != nil {
		log.Fatal(err)
	}
	inc, version, _ := store.GetJSON[incident](ctx, s, "incident", id)
	fmt.Printf("%s v%d: %+v\n", id, version, inc)
	// Output: a1 v1: {State:firing AckedBy:U024BE7LH}
}

// A digest slot is claimed before it is posted, so of the replicas that
// all see 09:00 arrive only one posts it. The lease outlives any chance of
// the slot coming round again.
func ExampleStore_Claim() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := store.OpenBolt(ctx, filepath.Join(dir, "inboxbot.db"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	slot := "slot:d3:2026-03-02T09:00:00+01:00"
	for _, replica := range []string{"replica-a", "replica-b"} {
		won, err := s.Claim(ctx, slot, replica, 48*time.Hour)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(replica, "posts:", won)
	}
	// Output:
	// replica-a posts: true
	// replica-b posts: false
}
