package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/bot/store"
)

// The scheduler's slot log in the store (SPEC §9): kind "digest-slot", one
// versioned JSON record per slot that a replica ran, keyed like the slot's
// lease ("slot:d1:2026-12-02T09:00:00Z"): the intent written just before
// the post, then the outcome. Leases say who works on a slot; these say
// what became of it, and outlive the lease so that a replica taking an
// expired lease sees it.
const (
	digestSlotKind    = "digest-slot"
	digestSlotVersion = 1
	// slotKeep is how long a slot record is kept past the grace: a slot is
	// only planned within the grace of its time, so older records can
	// never be read again; the margin covers clocks that disagree.
	slotKeep = 6 * time.Hour
	// slotPruneEvery spaces the sweeps of old slot records.
	slotPruneEvery = 10 * time.Minute
)

// storeSlots is the scheduler's rules.SlotLog on the bot's store.
type storeSlots struct{ st store.Store }

var _ rules.SlotLog = storeSlots{}

// Get implements rules.SlotLog.
func (s storeSlots) Get(ctx context.Context, key string) (rules.SlotRecord, bool, error) {
	raw, err := s.st.Get(ctx, digestSlotKind, key)
	if errors.Is(err, store.ErrNotFound) {
		return rules.SlotRecord{}, false, nil
	}
	if err != nil {
		return rules.SlotRecord{}, false, err
	}
	var rec rules.SlotRecord
	if _, err := store.Decode(raw, &rec); err != nil {
		return rules.SlotRecord{}, false, fmt.Errorf("slot record %s: %w", key, err)
	}
	return rec, true, nil
}

// Update implements rules.SlotLog with the store's atomic Update.
func (s storeSlots) Update(ctx context.Context, key string, fn func(rules.SlotRecord, bool) (rules.SlotRecord, bool)) error {
	return s.st.Update(ctx, digestSlotKind, key, func(old []byte, found bool) ([]byte, error) {
		var cur rules.SlotRecord
		if found {
			if _, err := store.Decode(old, &cur); err != nil {
				return nil, fmt.Errorf("slot record %s: %w", key, err)
			}
		}
		next, write := fn(cur, found)
		if !write {
			return nil, nil
		}
		return store.Encode(digestSlotVersion, next)
	})
}

// prune deletes the slot records written more than the grace plus slotKeep
// before now. Any replica may do it; a record deleted twice is no error.
func (s storeSlots) prune(ctx context.Context, now time.Time, grace time.Duration) error {
	recs, err := s.st.List(ctx, digestSlotKind)
	if err != nil {
		return err
	}
	cutoff := now.Add(-grace - slotKeep)
	for _, r := range recs {
		var rec rules.SlotRecord
		if _, err := store.Decode(r.Value, &rec); err == nil && !rec.At.Before(cutoff) {
			continue
		}
		if err := s.st.Delete(ctx, digestSlotKind, r.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}
