package inbox

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// semantic decodes JSON into generic values, for comparisons that ignore
// whitespace and key order.
func semantic(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// TestFilterMatchesSeed: the query `interacted` must send exactly the body
// of the vendor's sample request (inbox-api-seed.txt). The seed is a fixed
// fact, not a golden file: -update does not touch it.
func TestFilterMatchesSeed(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed-interacted.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(Filter{Interacted: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := semantic(t, got), semantic(t, seed); !reflect.DeepEqual(g, w) {
		t.Errorf("body differs from the seed sample:\ngot  %s\nwant %s", got, seed)
	}
}

// typicalFilters are request bodies worth keeping as golden files.
func typicalFilters() map[string]Filter {
	since := time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)
	return map[string]Filter{
		"empty": {},
		"online-vip-page3": {
			Online: ptr(true), Tags: []string{"vip"}, Page: 3,
		},
		"everything": {
			SearchText:     "refund request",
			Tags:           []string{"vip", "b2b"},
			Status:         []Status{StatusOpen, StatusInProgress},
			Online:         ptr(false),
			Bots:           Bots{WhatsApp: []string{"65f0c1d2e3f4a5b6c7d8e9f0"}, Website: []string{"65f0c1d2e3f4a5b6c7d8e9f1"}},
			AgentAssigned:  []string{"65ab12cd34ef56ab78cd90ef"},
			Segments:       []string{"65f0c1d2e3f4a5b6c7d8e9f2"},
			LastSeen:       TimeRange{From: since},
			Created:        TimeRange{From: since.AddDate(0, -1, 0), Until: since},
			Interacted:     ptr(true),
			LastMessageBy:  []Sender{ByUser},
			LiveChatActive: ptr(true),
			Ordered:        &OrderFilter{Ordered: true, Since: since.Add(1500 * time.Millisecond)},
			Page:           2,
		},
		"never-ordered": {Ordered: &OrderFilter{}},
	}
}

func TestFilterGolden(t *testing.T) {
	for name, f := range typicalFilters() {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(f, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "filter-"+name+".golden.json", append(got, '\n'))
		})
	}
}

// TestFilterShape: every field of the contract is always present, arrays
// are [] and never null, and nothing else is sent.
func TestFilterShape(t *testing.T) {
	arrays := []string{"tags", "status", "_botWebsite", "_botWhatsapp", "_botTelegram", "_botFacebook",
		"_agentAssigned", "segments", "applicableFilters", "lastMessageBy"}
	objects := map[string][]string{
		"lastSeenAt": {"endsAt", "startAt"},
		"createdAt":  {"endsAt", "startAt"},
		"hasOrdered": {"lastAt", "status"},
	}
	scalars := []string{"searchText", "isOnline", "userInteracted", "isLiveChatActive", "page", "isExport", "isContact"}
	want := slices.Concat(arrays, scalars)
	for k := range objects {
		want = append(want, k)
	}
	slices.Sort(want)

	filters := typicalFilters()
	filters["nil and empty slices"] = Filter{Tags: []string{}, Status: nil, Bots: Bots{Telegram: []string{}}}
	for name, f := range filters {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatal(err)
			}
			if keys := slices.Sorted(maps.Keys(body)); !slices.Equal(keys, want) {
				t.Errorf("fields %v\nwant   %v", keys, want)
			}
			for _, k := range arrays {
				if _, ok := body[k].([]any); !ok {
					t.Errorf("%s = %#v, want an array", k, body[k])
				}
			}
			for k, fields := range objects {
				obj, ok := body[k].(map[string]any)
				if !ok {
					t.Errorf("%s = %#v, want an object", k, body[k])
					continue
				}
				if keys := slices.Sorted(maps.Keys(obj)); !slices.Equal(keys, fields) {
					t.Errorf("%s fields %v, want %v", k, keys, fields)
				}
			}
			if body["isExport"] != "none" || body["isContact"] != true {
				t.Errorf("isExport %v, isContact %v; want \"none\", true", body["isExport"], body["isContact"])
			}
			if page, _ := body["page"].(float64); page < 1 {
				t.Errorf("page %v, want >= 1", body["page"])
			}
		})
	}
}

// TestFilterRoundTrip: what we send reads back as the same Filter. Inputs
// use non-nil slices, UTC times with millisecond precision and a page >= 1,
// the forms the wire keeps.
func TestFilterRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 30, 15, 123e6, time.UTC)
	empty := Filter{Tags: []string{}, Status: []Status{}, Bots: Bots{[]string{}, []string{}, []string{}, []string{}},
		AgentAssigned: []string{}, Segments: []string{}, LastMessageBy: []Sender{}, Page: 1}
	with := func(change func(*Filter)) Filter {
		f := empty
		change(&f)
		return f
	}
	tests := []struct {
		name string
		f    Filter
	}{
		{"empty", empty},
		{"search", with(func(f *Filter) { f.SearchText = `quote "x" & <y>` })},
		{"offline is not the same as unset", with(func(f *Filter) { f.Online = ptr(false) })},
		{"online", with(func(f *Filter) { f.Online = ptr(true) })},
		{"not interacted", with(func(f *Filter) { f.Interacted = ptr(false) })},
		{"live", with(func(f *Filter) { f.LiveChatActive = ptr(true) })},
		{"tags and statuses", with(func(f *Filter) {
			f.Tags = []string{"vip", "b2b"}
			f.Status = []Status{StatusReview, StatusDependancy}
		})},
		{"bots", with(func(f *Filter) { f.Bots.Telegram = []string{"65f0c1d2e3f4a5b6c7d8e9f0"} })},
		{"agents, segments, senders", with(func(f *Filter) {
			f.AgentAssigned = []string{"65ab12cd34ef56ab78cd90ef"}
			f.Segments = []string{"s1", "s2"}
			f.LastMessageBy = []Sender{ByAgent, ByBot}
		})},
		{"open-ended ranges", with(func(f *Filter) {
			f.LastSeen = TimeRange{From: at}
			f.Created = TimeRange{Until: at}
		})},
		{"closed range", with(func(f *Filter) { f.Created = TimeRange{From: at.AddDate(0, 0, -7), Until: at} })},
		{"ordered since", with(func(f *Filter) { f.Ordered = &OrderFilter{Ordered: true, Since: at} })},
		{"ordered ever", with(func(f *Filter) { f.Ordered = &OrderFilter{Ordered: true} })},
		{"never ordered", with(func(f *Filter) { f.Ordered = &OrderFilter{} })},
		{"page", with(func(f *Filter) { f.Page = MaxPage })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got Filter
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			if !reflect.DeepEqual(got, tt.f) {
				t.Errorf("round trip through %s\ngot  %+v\nwant %+v", b, got, tt.f)
			}
		})
	}
}

func BenchmarkMarshalFilter(b *testing.B) {
	f := Filter{
		Tags:           []string{"vip"},
		Status:         []Status{StatusOpen, StatusInProgress},
		Bots:           Bots{WhatsApp: []string{"65f0c1d2e3f4a5b6c7d8e9f0"}},
		LastSeen:       TimeRange{From: time.Date(2026, 11, 13, 0, 0, 0, 0, time.UTC)},
		LiveChatActive: ptr(true),
		Page:           2,
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(f); err != nil {
			b.Fatal(err)
		}
	}
}
