package inboxtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/convertalk/inboxbot/inbox"
)

// bodyFields are the fields of the request body, in the contract's order:
// every one is required and no other is allowed.
var bodyFields = []string{
	"searchText", "tags", "status", "isOnline",
	"_botWebsite", "_botWhatsapp", "_botTelegram", "_botFacebook",
	"_agentAssigned", "segments", "applicableFilters",
	"lastSeenAt", "createdAt", "userInteracted", "lastMessageBy",
	"isLiveChatActive", "hasOrdered", "page", "isExport", "isContact",
}

// applicableNames are the values allowed in applicableFilters (decision 1).
var applicableNames = []string{"isOnline", "userInteracted", "isLiveChatActive", "hasOrdered", "lastSeenAt", "createdAt"}

// member is one key and raw value of a JSON object, in document order.
type member struct {
	key   string
	value json.RawMessage
}

// objectMembers reads a JSON object's members in order. Unlike decoding
// into a map it sees duplicate keys, and it refuses anything after the object.
func objectMembers(data []byte, what string) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s must be a JSON object: %v", what, cleanJSONError(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s must be a JSON object, got %s", what, describeToken(tok))
	}
	var members []member
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s is not valid JSON: %v", what, cleanJSONError(err))
		}
		key, _ := keyTok.(string) // inside an object the decoder only yields string keys
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON: %v", what, cleanJSONError(err))
		}
		members = append(members, member{key, value})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("%s is not valid JSON: %v", what, cleanJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s must hold one JSON object and nothing after it", what)
	}
	return members, nil
}

// cleanJSONError drops the "json: " prefix some decoder errors carry.
func cleanJSONError(err error) string {
	if errors.Is(err, io.EOF) {
		return "it is empty"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func describeToken(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "something else"
}

// jsonKind names the JSON type of a raw value, for error messages.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// parseBody checks a request body against the contract, field by field, and
// decodes it. Its error names the offending field.
func parseBody(body []byte) (inbox.Filter, error) {
	members, err := objectMembers(body, "the request body")
	if err != nil {
		return inbox.Filter{}, err
	}
	fields := make(map[string]json.RawMessage, len(members))
	for _, m := range members {
		if !slices.Contains(bodyFields, m.key) {
			return inbox.Filter{}, fmt.Errorf("unknown field %q: the body takes exactly the fields %s", m.key, strings.Join(bodyFields, ", "))
		}
		if _, dup := fields[m.key]; dup {
			return inbox.Filter{}, fmt.Errorf("field %q appears twice", m.key)
		}
		fields[m.key] = m.value
	}
	for _, name := range bodyFields {
		raw, ok := fields[name]
		if !ok {
			return inbox.Filter{}, fmt.Errorf("field %q is missing: all fields are required (pass \"\", [] or false for filters you do not apply)", name)
		}
		if err := checkField(name, raw); err != nil {
			return inbox.Filter{}, fmt.Errorf("field %q: %w", name, err)
		}
	}
	if err := checkOrderedConsistency(fields["hasOrdered"]); err != nil {
		return inbox.Filter{}, err
	}
	var f inbox.Filter
	if err := f.UnmarshalJSON(body); err != nil {
		// Our checks are stricter than the decoder's, so this is a bug here.
		return inbox.Filter{}, fmt.Errorf("the request body could not be decoded: %v", err)
	}
	return f, nil
}

// checkField checks one field's JSON type and values.
func checkField(name string, raw json.RawMessage) error {
	switch name {
	case "searchText":
		_, err := stringValue(raw)
		return err
	case "tags":
		return stringArray(raw, nonEmpty)
	case "status":
		return stringArray(raw, oneOf(statusNames()))
	case "_botWebsite", "_botWhatsapp", "_botTelegram", "_botFacebook", "_agentAssigned", "segments":
		return stringArray(raw, hexID)
	case "applicableFilters":
		return stringArray(raw, oneOf(applicableNames))
	case "lastMessageBy":
		return stringArray(raw, oneOf([]string{string(inbox.ByUser), string(inbox.ByBot), string(inbox.ByAgent)}))
	case "isOnline", "userInteracted", "isLiveChatActive":
		_, err := boolValue(raw)
		return err
	case "lastSeenAt", "createdAt":
		return checkRange(raw)
	case "hasOrdered":
		return checkOrdered(raw)
	case "page":
		return checkPage(raw)
	case "isExport":
		s, err := stringValue(raw)
		if err == nil && s != "none" {
			err = fmt.Errorf("must be \"none\", got %q", s)
		}
		return err
	case "isContact":
		b, err := boolValue(raw)
		if err == nil && !b {
			err = errors.New("must be true")
		}
		return err
	}
	return fmt.Errorf("is not a field of the contract")
}

func statusNames() []string {
	names := make([]string, len(inbox.Statuses))
	for i, s := range inbox.Statuses {
		names[i] = string(s)
	}
	return names
}

func stringValue(raw json.RawMessage) (string, error) {
	var s string
	if jsonKind(raw) != "a string" || json.Unmarshal(raw, &s) != nil {
		return "", fmt.Errorf("must be a string, got %s", jsonKind(raw))
	}
	return s, nil
}

func boolValue(raw json.RawMessage) (bool, error) {
	var b bool
	if jsonKind(raw) != "a boolean" || json.Unmarshal(raw, &b) != nil {
		return false, fmt.Errorf("must be true or false, got %s", jsonKind(raw))
	}
	return b, nil
}

// stringArray checks that raw is an array (not null) of strings, each
// accepted by check.
func stringArray(raw json.RawMessage, check func(string) error) error {
	var items []json.RawMessage
	if jsonKind(raw) != "an array" || json.Unmarshal(raw, &items) != nil {
		return fmt.Errorf("must be an array (use [] for no filter), got %s", jsonKind(raw))
	}
	for i, item := range items {
		s, err := stringValue(item)
		if err == nil {
			err = check(s)
		}
		if err != nil {
			return fmt.Errorf("item %d %w", i, err)
		}
	}
	return nil
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func oneOf(allowed []string) func(string) error {
	return func(s string) error {
		if !slices.Contains(allowed, s) {
			return fmt.Errorf("is %q, not one of %s", s, strings.Join(allowed, ", "))
		}
		return nil
	}
}

// hexID accepts the API's ids; the message is the one the real API gives.
func hexID(s string) error {
	if !isHexID(s) {
		return fmt.Errorf("is %q: Argument passed in must be a single String of 12 bytes or a string of 24 hex characters", truncate(s, 40))
	}
	return nil
}

func isHexID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// checkRange checks {"startAt": T, "endsAt": T} with T "" or RFC 3339.
func checkRange(raw json.RawMessage) error {
	return checkObject(raw, `{"startAt": "", "endsAt": ""}`, []string{"startAt", "endsAt"}, func(key string, v json.RawMessage) error {
		return timeValue(v)
	})
}

// checkOrdered checks {"status": bool, "lastAt": T}.
func checkOrdered(raw json.RawMessage) error {
	return checkObject(raw, `{"status": false, "lastAt": ""}`, []string{"status", "lastAt"}, func(key string, v json.RawMessage) error {
		if key == "status" {
			_, err := boolValue(v)
			return err
		}
		return timeValue(v)
	})
}

// checkOrderedConsistency refuses a lastAt with status false: "never
// ordered since T" means nothing (decision 4).
func checkOrderedConsistency(raw json.RawMessage) error {
	var o struct {
		Status bool   `json:"status"`
		LastAt string `json:"lastAt"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return fmt.Errorf("field %q: %v", "hasOrdered", err)
	}
	if !o.Status && o.LastAt != "" {
		return fmt.Errorf("field %q: lastAt must be \"\" when status is false", "hasOrdered")
	}
	return nil
}

// checkObject checks that raw is an object with exactly the given keys, each
// accepted by check.
func checkObject(raw json.RawMessage, shape string, keys []string, check func(string, json.RawMessage) error) error {
	if jsonKind(raw) != "an object" {
		return fmt.Errorf("must be an object %s, got %s", shape, jsonKind(raw))
	}
	members, err := objectMembers(raw, "the value")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, m := range members {
		if !slices.Contains(keys, m.key) {
			return fmt.Errorf("unknown key %q: must be an object %s", m.key, shape)
		}
		if seen[m.key] {
			return fmt.Errorf("key %q appears twice", m.key)
		}
		seen[m.key] = true
		if err := check(m.key, m.value); err != nil {
			return fmt.Errorf("%s %w", m.key, err)
		}
	}
	for _, k := range keys {
		if !seen[k] {
			return fmt.Errorf("key %q is missing: must be an object %s", k, shape)
		}
	}
	return nil
}

// timeValue accepts "" (no bound) or an RFC 3339 time.
func timeValue(raw json.RawMessage) error {
	s, err := stringValue(raw)
	if err != nil || s == "" {
		return err
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Errorf("is %q, not an RFC 3339 time like 2024-06-05T19:05:50.875Z", truncate(s, 40))
	}
	return nil
}

// checkPage accepts a positive integer written as one (not 1.0 or 1e0).
func checkPage(raw json.RawMessage) error {
	if jsonKind(raw) != "a number" {
		return fmt.Errorf("must be a positive integer, got %s", jsonKind(raw))
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
	if err != nil || n < 1 {
		return fmt.Errorf("must be a positive integer, got %s", truncate(string(raw), 40))
	}
	return nil
}
