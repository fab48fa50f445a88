package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// envelope is the versioned form of every record: {"v":1,"data":{...}}.
type envelope struct {
	V    int             `json:"v"`
	Data json.RawMessage `json:"data"`
}

// VersionError is returned by [UpdateJSON] when the stored record has a
// newer version than the caller writes: rewriting it would drop what the
// newer release added. It matches [ErrNewerVersion] with errors.Is.
type VersionError struct {
	Kind, ID string
	Stored   int // the record's version
	Known    int // the newest version the caller knows
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("store: %s %s is version %d, newer than this release's %d: upgrade inboxbot", e.Kind, e.ID, e.Stored, e.Known)
}

// Is makes errors.Is(err, ErrNewerVersion) true.
func (e *VersionError) Is(target error) bool { return target == ErrNewerVersion }

// Encode wraps value, marshalled as JSON, in the envelope of the given
// version (1 or more): the bytes to hand to [Store.Put].
func Encode(version int, value any) ([]byte, error) {
	if version < 1 {
		return nil, fmt.Errorf("%w: record version %d (versions start at 1)", ErrInvalid, version)
	}
	data, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("store: encode record: %w", err)
	}
	if bytes.Equal(data, []byte("null")) {
		return nil, fmt.Errorf("%w: a record cannot be null", ErrInvalid)
	}
	return json.Marshal(envelope{V: version, Data: data})
}

// Decode unwraps an envelope made by [Encode]: it returns the record's
// version and, if value is not nil, unmarshals the data into it. Unknown
// fields are ignored, so a record from a newer release that only added
// fields still reads. Use the version to migrate an older shape: decode
// into the old type when it says so. A record that is not an envelope
// gives an error wrapping [ErrBadRecord].
func Decode(record []byte, value any) (int, error) {
	var env envelope
	if err := json.Unmarshal(record, &env); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if env.V < 1 {
		return 0, fmt.Errorf("%w: no version (\"v\")", ErrBadRecord)
	}
	if len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")) {
		return 0, fmt.Errorf("%w: no data", ErrBadRecord)
	}
	if value != nil {
		if err := json.Unmarshal(env.Data, value); err != nil {
			return 0, fmt.Errorf("%w: version %d: %v", ErrBadRecord, env.V, err)
		}
	}
	return env.V, nil
}

// GetJSON reads the record kind/id into a T and returns it with its
// version. A missing record gives an error wrapping [ErrNotFound].
func GetJSON[T any](ctx context.Context, s Store, kind, id string) (T, int, error) {
	var value T
	record, err := s.Get(ctx, kind, id)
	if err != nil {
		return value, 0, err
	}
	version, err := Decode(record, &value)
	if err != nil {
		var zero T
		return zero, 0, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return value, version, nil
}

// PutJSON writes value as the record kind/id, in the envelope of version.
func PutJSON(ctx context.Context, s Store, kind, id string, version int, value any) error {
	record, err := Encode(version, value)
	if err != nil {
		return err
	}
	return s.Put(ctx, kind, id, record)
}

// Item is one decoded record of [ListJSON].
type Item[T any] struct {
	ID      string
	Version int
	Value   T
}

// ListJSON decodes every record of kind, in id order. One malformed record
// fails the whole list, naming it: state that cannot be read should stop
// the caller, not vanish.
func ListJSON[T any](ctx context.Context, s Store, kind string) ([]Item[T], error) {
	records, err := s.List(ctx, kind)
	if err != nil {
		return nil, err
	}
	items := make([]Item[T], 0, len(records))
	for _, r := range records {
		item := Item[T]{ID: r.ID}
		if item.Version, err = Decode(r.Value, &item.Value); err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind, r.ID, err)
		}
		items = append(items, item)
	}
	return items, nil
}

// UpdateJSON is [Store.Update] on a typed record: fn gets the current value
// decoded (the zero T when found is false), edits it in place, and reports
// whether to write it back, in the envelope of version. Returning false
// leaves the record as it is (or absent); an error from fn is returned
// unchanged. A stored record newer than version fails with a
// [VersionError] before fn runs. As with Update, fn may run more than once
// and must have no side effects.
func UpdateJSON[T any](ctx context.Context, s Store, kind, id string, version int, fn func(value *T, found bool) (write bool, err error)) error {
	if version < 1 {
		return fmt.Errorf("%w: record version %d (versions start at 1)", ErrInvalid, version)
	}
	return s.Update(ctx, kind, id, func(old []byte, found bool) ([]byte, error) {
		var value T // fresh on every call, in case fn runs again
		if found {
			stored, err := Decode(old, &value)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", kind, id, err)
			}
			if stored > version {
				return nil, &VersionError{Kind: kind, ID: id, Stored: stored, Known: version}
			}
		}
		write, err := fn(&value, found)
		if err != nil || !write {
			return nil, err
		}
		return Encode(version, value)
	})
}
