package bot

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/store"
)

// The slot log on the store: a record is created once (the intent), read
// back, replaced only when fn says so, and swept once it is old.
func TestStoreSlots(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "bolt://"+filepath.Join(t.TempDir(), "slots.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := storeSlots{st}
	key := "slot:d1:2026-12-02T09:00:00Z"
	if _, found, err := log.Get(ctx, key); err != nil || found {
		t.Fatalf("Get of a new slot: found %v, %v", found, err)
	}
	at := time.Date(2026, 12, 2, 9, 0, 1, 0, time.UTC)
	begin := func(owner string) bool {
		ok := false
		err := log.Update(ctx, key, func(_ rules.SlotRecord, found bool) (rules.SlotRecord, bool) {
			ok = !found
			return rules.SlotRecord{State: rules.SlotPosting, Owner: owner, At: at}, !found
		})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !begin("r1") {
		t.Fatal("the first intent was refused")
	}
	if begin("r2") {
		t.Fatal("a second intent was let through")
	}
	rec, found, err := log.Get(ctx, key)
	if err != nil || !found || rec.State != rules.SlotPosting || rec.Owner != "r1" || !rec.At.Equal(at) {
		t.Fatalf("Get: %+v %v %v", rec, found, err)
	}

	other := "slot:d1:2026-12-03T09:00:00Z"
	later := at.Add(24 * time.Hour)
	log.Update(ctx, other, func(rules.SlotRecord, bool) (rules.SlotRecord, bool) {
		return rules.SlotRecord{State: rules.SlotPosted, Owner: "r1", At: later}, true
	})
	if err := log.prune(ctx, later, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := log.Get(ctx, key); found {
		t.Error("a record a day old survived the sweep")
	}
	if _, found, _ := log.Get(ctx, other); !found {
		t.Error("a fresh record was swept")
	}
}
