package slacktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// hook is one response_url.
type hook struct {
	kind   string // "commands" or "actions"
	src    hookSource
	uses   int
	lastTS string // message this URL created last (for replace_original)
}

// hookSource is where the command or click happened.
type hookSource struct {
	channel, user string
	ts            string // clicked message; empty for commands
}

// newHookLocked registers a fresh response_url and returns it.
func (s *Server) newHookLocked(kind string, src hookSource) string {
	path := fmt.Sprintf("/hooks/%s/%s/%d/%s", kind, s.cfg.teamID, s.nextSeqLocked(), randomHex(12))
	s.web.hooks[path] = &hook{kind: kind, src: src}
	return s.http.URL + path
}

// responseBody is what a bot POSTs to a response_url. slack-go also sends
// "metadata" and "blocks":null, which are tolerated.
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal flexBool        `json:"replace_original"`
	DeleteOriginal  flexBool        `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// flexBool accepts true, false, "true" and "false".
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(string(data), `"`) {
	case "true":
		*b = true
	case "false", "null", "":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %s", data)
	}
	return nil
}

// parseResponseBody decodes a response_url body.
func parseResponseBody(body []byte) (responseBody, error) {
	var rb responseBody
	if err := json.Unmarshal(body, &rb); err != nil {
		return rb, fmt.Errorf("invalid JSON body: %w", err)
	}
	if t := bytes.TrimSpace(rb.Blocks); bytes.Equal(t, []byte("null")) || len(t) == 0 {
		rb.Blocks = nil
	}
	switch rb.ResponseType {
	case "", "ephemeral", "in_channel":
	default:
		return rb, errors.New("unknown response_type " + rb.ResponseType)
	}
	return rb, nil
}

// handleHook serves response_url POSTs.
func (s *Server) handleHook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	resp := Response{URL: s.http.URL + r.URL.Path, Body: body, Time: time.Now()}
	res := s.answerHookLocked(r.URL.Path, body, &resp)
	resp.Status, resp.Error = res.status, res.errorCode()
	s.web.responses = append(s.web.responses, resp)
	s.web.calls = append(s.web.calls, Call{
		Method: ResponseURLMethod, Params: map[string]string{"url": resp.URL}, JSON: true,
		Status: res.status, Error: resp.Error, Time: resp.Time,
	})
	s.notifyLocked()
	s.mu.Unlock()
	res.write(w)
}

// answerHookLocked validates and applies one response_url POST, filling
// the parsed fields of resp.
func (s *Server) answerHookLocked(path string, body []byte, resp *Response) apiResult {
	if retryAfter, limited := s.takeRateLimitLocked(ResponseURLMethod); limited {
		return rateLimited(retryAfter)
	}
	h := s.web.hooks[path]
	if h == nil {
		return apiResult{status: http.StatusNotFound, body: map[string]any{"ok": false, "error": "expired_url"}}
	}
	h.uses++
	resp.Kind, resp.Use = h.kind, h.uses
	if h.uses > MaxResponseURLUses {
		return apiResult{status: http.StatusNotFound, body: map[string]any{"ok": false, "error": "used_url"}}
	}
	rb, err := parseResponseBody(body)
	if err != nil {
		return apiResult{status: http.StatusBadRequest, body: map[string]any{"ok": false, "error": "invalid_payload"}}
	}
	resp.Text, resp.Blocks, resp.ResponseType = rb.Text, rb.Blocks, rb.ResponseType
	resp.ReplaceOriginal, resp.DeleteOriginal, resp.ThreadTS = bool(rb.ReplaceOriginal), bool(rb.DeleteOriginal), rb.ThreadTS
	if !resp.DeleteOriginal && rb.Text == "" && noBlocks(string(rb.Blocks)) {
		return apiResult{status: http.StatusBadRequest, body: map[string]any{"ok": false, "error": "no_text"}}
	}
	if res, bad := s.checkBlocksLocked(ResponseURLMethod, h.src.channel, rb.Text, string(rb.Blocks)); bad {
		return res
	}
	s.applyResponseLocked(h, rb)
	return ok(nil)
}

// applyResponseLocked turns an accepted response into message state:
// delete or replace the original when asked and known, else a new message
// (ephemeral unless in_channel).
func (s *Server) applyResponseLocked(h *hook, rb responseBody) {
	origTS := h.src.ts
	if h.kind == "commands" {
		origTS = h.lastTS
	}
	orig, hasOrig := s.web.current[msgKey{h.src.channel, origTS}]
	hasOrig = hasOrig && !orig.Deleted
	deleteOrig, replaceOrig := bool(rb.DeleteOriginal), bool(rb.ReplaceOriginal)
	switch {
	case deleteOrig && hasOrig:
		orig.Method, orig.Deleted = ResponseURLMethod, true
		s.recordMessageLocked(orig)
	case deleteOrig:
		// Nothing we know of to delete; Slack answers ok as well.
	case replaceOrig && hasOrig:
		orig.Method, orig.Text, orig.Blocks = ResponseURLMethod, rb.Text, rb.Blocks
		s.recordMessageLocked(orig)
	default:
		ephemeral := rb.ResponseType != "in_channel"
		m := Message{Method: ResponseURLMethod, Channel: h.src.channel, TS: s.nextTSLocked(), ThreadTS: rb.ThreadTS, Text: rb.Text, Blocks: rb.Blocks, Ephemeral: ephemeral}
		if ephemeral {
			m.User = h.src.user
		}
		h.lastTS = m.TS
		s.recordMessageLocked(m)
	}
}
