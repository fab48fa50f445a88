package store_test

import (
	"errors"
	"math"
	"testing"

	"github.com/convertalk/inboxbot/bot/store"
)

func TestEncodeDecode(t *testing.T) {
	type v1 struct {
		Channel string `json:"channel"`
	}
	type v2 struct {
		Channel string   `json:"channel"`
		Tags    []string `json:"tags"`
	}
	record, err := store.Encode(2, v2{Channel: "C1", Tags: []string{"vip"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"v":2,"data":{"channel":"C1","tags":["vip"]}}`; string(record) != want {
		t.Errorf("Encode = %s, want %s", record, want)
	}
	// An older reader still reads the fields it knows of a newer record.
	var old v1
	version, err := store.Decode(record, &old)
	if err != nil || version != 2 || old.Channel != "C1" {
		t.Errorf("Decode into the older shape = %+v v%d, %v", old, version, err)
	}
	// The version alone, to pick the shape to decode into.
	if version, err := store.Decode(record, nil); err != nil || version != 2 {
		t.Errorf("Decode(record, nil) = %d, %v", version, err)
	}

	for _, version := range []int{0, -1} {
		if _, err := store.Encode(version, v1{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Encode(%d) = %v, want store.ErrInvalid", version, err)
		}
	}
	if _, err := store.Encode(1, (*v1)(nil)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Encode of a nil pointer = %v, want store.ErrInvalid", err)
	}
	if _, err := store.Encode(1, math.Inf(1)); err == nil {
		t.Error("Encode of a value JSON cannot hold succeeded")
	}
	if _, err := store.Decode([]byte(`{"v":1,"data":{"channel":5}}`), &old); !errors.Is(err, store.ErrBadRecord) {
		t.Errorf("Decode of a mistyped field = %v, want store.ErrBadRecord", err)
	}
}
