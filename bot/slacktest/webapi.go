package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/convertalk/inboxbot/commands/blockcheck"
)

// apiResult is a Web API answer: an HTTP status and a JSON object.
type apiResult struct {
	status     int
	body       map[string]any
	retryAfter int // seconds, for 429
}

func ok(fields map[string]any) apiResult {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return apiResult{status: http.StatusOK, body: fields}
}

// fail is Slack's usual error: HTTP 200 with ok false.
func fail(code string) apiResult {
	return apiResult{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

func rateLimited(retryAfter int) apiResult {
	return apiResult{status: http.StatusTooManyRequests, body: map[string]any{"ok": false, "error": "ratelimited"}, retryAfter: retryAfter}
}

func (r apiResult) errorCode() string {
	if r.body["ok"] == true {
		return ""
	}
	code, _ := r.body["error"].(string)
	return code
}

func (r apiResult) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(r.retryAfter))
	}
	w.WriteHeader(r.status)
	_ = json.NewEncoder(w).Encode(r.body)
}

// request is a Web API request with its parameters flattened to strings.
type request struct {
	params     map[string]string
	formToken  string
	bearer     string
	json       bool
	parseError error
}

// readRequest reads form (token in the body, slack-go's way for most
// methods) and JSON (Authorization: Bearer) requests alike.
func readRequest(r *http.Request) request {
	req := request{params: map[string]string{}}
	if v, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
		req.bearer = strings.TrimSpace(v)
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype == "application/json" {
		req.json = true
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err == nil {
			req.params, err = flattenJSON(body)
		}
		req.parseError = err
		for k, v := range r.URL.Query() {
			req.params[k] = v[0]
		}
	} else {
		var err error
		if ctype == "multipart/form-data" {
			err = r.ParseMultipartForm(10 << 20)
		} else {
			err = r.ParseForm()
		}
		req.parseError = err
		for k, v := range r.Form {
			req.params[k] = v[0]
		}
	}
	req.formToken = req.params["token"]
	delete(req.params, "token")
	return req
}

// flattenJSON turns a JSON object into parameters: strings as themselves,
// anything else as its JSON text (blocks may come as an array).
func flattenJSON(body []byte) (map[string]string, error) {
	params := map[string]string{}
	if len(bytes.TrimSpace(body)) == 0 {
		return params, nil // apps.connections.open sends an empty body
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return params, fmt.Errorf("body is not a JSON object: %w", err)
	}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			params[k] = s
			continue
		}
		params[k] = string(v)
	}
	return params, nil
}

// handleAPI serves /api/<method>.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req := readRequest(r)

	s.mu.Lock()
	retryAfter, limited := s.takeRateLimitLocked(method)
	s.web.inflight++
	s.mu.Unlock()

	var res apiResult
	switch {
	case limited:
		res = rateLimited(retryAfter)
	case req.parseError != nil:
		res = fail("invalid_form_data")
	default:
		res = s.dispatch(method, req)
	}

	s.mu.Lock()
	s.web.inflight--
	s.web.calls = append(s.web.calls, Call{
		Method: method, Params: req.params, JSON: req.json,
		Status: res.status, Error: res.errorCode(), Time: time.Now(),
	})
	s.notifyLocked()
	s.mu.Unlock()
	res.write(w)
}

// dispatch authenticates a request and runs the method.
func (s *Server) dispatch(method string, req request) apiResult {
	if method == "apps.connections.open" {
		return s.handleOpen(req.bearer)
	}
	handlers := map[string]func(map[string]string) apiResult{
		"auth.test":                    s.authTest,
		"chat.postMessage":             s.chatPostMessage,
		"chat.postEphemeral":           s.chatPostEphemeral,
		"chat.update":                  s.chatUpdate,
		"chat.delete":                  s.chatDelete,
		"files.getUploadURLExternal":   s.filesGetUploadURL,
		"files.completeUploadExternal": s.filesCompleteUpload,
		"users.info":                   s.usersInfo,
		"conversations.info":           s.conversationsInfo,
	}
	h, known := handlers[method]
	if !known {
		return fail("unknown_method")
	}
	token := req.bearer
	if token == "" {
		token = req.formToken
	}
	switch {
	case token == "":
		return fail("not_authed")
	case token == s.cfg.appToken:
		return fail("not_allowed_token_type")
	case token != s.cfg.botToken:
		return fail("invalid_auth")
	}
	s.mu.Lock()
	code, injected := s.takeInjectedLocked(method)
	s.mu.Unlock()
	if injected {
		return fail(code)
	}
	return h(req.params)
}

func (s *Server) authTest(map[string]string) apiResult {
	return ok(map[string]any{
		"url":     "https://" + s.cfg.teamDomain + ".slack.com/",
		"team":    s.cfg.teamDomain,
		"user":    "inboxbot",
		"team_id": s.cfg.teamID,
		"user_id": s.cfg.botUserID,
		"bot_id":  s.cfg.botID,
	})
}

func (s *Server) chatPostMessage(p map[string]string) apiResult {
	ch, text, blocks := p["channel"], p["text"], p["blocks"]
	if ch == "" {
		return fail("channel_not_found")
	}
	if text == "" && noBlocks(blocks) && p["attachments"] == "" {
		return fail("no_text")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, bad := s.checkBlocksLocked("chat.postMessage", ch, text, blocks); bad {
		return res
	}
	m := Message{Method: "chat.postMessage", Channel: ch, TS: s.nextTSLocked(), ThreadTS: p["thread_ts"], Text: text, Blocks: rawBlocks(blocks), Metadata: p["metadata"]}
	s.recordMessageLocked(m)
	return ok(map[string]any{"channel": ch, "ts": m.TS, "message": messageObject(m, s.botMeta())})
}

func (s *Server) chatPostEphemeral(p map[string]string) apiResult {
	ch, user, text, blocks := p["channel"], p["user"], p["text"], p["blocks"]
	switch {
	case ch == "":
		return fail("channel_not_found")
	case user == "":
		return fail("user_not_in_channel")
	case text == "" && noBlocks(blocks) && p["attachments"] == "":
		return fail("no_text")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, bad := s.checkBlocksLocked("chat.postEphemeral", ch, text, blocks); bad {
		return res
	}
	m := Message{Method: "chat.postEphemeral", Channel: ch, TS: s.nextTSLocked(), ThreadTS: p["thread_ts"], Text: text, Blocks: rawBlocks(blocks), User: user, Ephemeral: true}
	s.recordMessageLocked(m)
	return ok(map[string]any{"message_ts": m.TS})
}

// chatUpdate edits a posted message; absent text or blocks keep the old
// ones, blocks=[] removes them. Ephemeral messages cannot be updated.
func (s *Server) chatUpdate(p map[string]string) apiResult {
	ch, ts := p["channel"], p["ts"]
	s.mu.Lock()
	defer s.mu.Unlock()
	old, found := s.web.current[msgKey{ch, ts}]
	if !found || old.Ephemeral || old.Deleted {
		return fail("message_not_found")
	}
	m := old
	m.Method = "chat.update"
	if text, hasText := p["text"]; hasText {
		m.Text = text
	}
	if blocks, hasBlocks := p["blocks"]; hasBlocks {
		if res, bad := s.checkBlocksLocked("chat.update", ch, m.Text, blocks); bad {
			return res
		}
		m.Blocks = rawBlocks(blocks)
	}
	s.recordMessageLocked(m)
	return ok(map[string]any{"channel": ch, "ts": ts, "text": m.Text, "message": messageObject(m, s.botMeta())})
}

func (s *Server) chatDelete(p map[string]string) apiResult {
	ch, ts := p["channel"], p["ts"]
	s.mu.Lock()
	defer s.mu.Unlock()
	old, found := s.web.current[msgKey{ch, ts}]
	if !found || old.Ephemeral || old.Deleted {
		return fail("message_not_found")
	}
	m := old
	m.Method, m.Deleted = "chat.delete", true
	s.recordMessageLocked(m)
	return ok(map[string]any{"channel": ch, "ts": ts})
}

func (s *Server) usersInfo(p map[string]string) apiResult {
	id := p["user"]
	u, known := s.cfg.users[id]
	if !known {
		if s.cfg.users != nil || !(strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W")) {
			return fail("user_not_found")
		}
		u = User{ID: id, Name: strings.ToLower(id), RealName: "User " + id}
	}
	if u.TZ == "" {
		u.TZ = "UTC"
	}
	offset := 0
	if loc, err := time.LoadLocation(u.TZ); err == nil {
		_, offset = time.Now().In(loc).Zone()
	}
	return ok(map[string]any{"user": map[string]any{
		"id": u.ID, "team_id": s.cfg.teamID, "name": u.Name, "real_name": u.RealName,
		"deleted": false, "is_bot": u.IsBot, "tz": u.TZ, "tz_label": u.TZ, "tz_offset": offset,
		"profile": map[string]any{"real_name": u.RealName, "display_name": u.Name},
	}})
}

func (s *Server) conversationsInfo(p map[string]string) apiResult {
	id := p["channel"]
	if id == "" || !strings.ContainsAny(id[:1], "CGD") {
		return fail("channel_not_found")
	}
	return ok(map[string]any{"channel": map[string]any{
		"id": id, "name": channelName(id),
		"is_channel": id[0] == 'C', "is_group": id[0] == 'G', "is_im": id[0] == 'D',
		"is_private": id[0] != 'C', "is_member": true, "is_archived": false,
		"created": s.started.Unix(), "creator": DefaultUserID,
	}})
}

// noBlocks reports whether a blocks parameter carries no block.
func noBlocks(blocks string) bool {
	b := strings.TrimSpace(blocks)
	return b == "" || b == "null" || b == "[]"
}

// rawBlocks keeps a blocks parameter as JSON, nil when there are none.
func rawBlocks(blocks string) json.RawMessage {
	if noBlocks(blocks) {
		return nil
	}
	return json.RawMessage(blocks)
}

// checkBlocksLocked validates blocks like Slack does. On problems it records
// them and returns the invalid_blocks answer (the only errors[] shape slack-go
// can decode: objects with pointer and message).
func (s *Server) checkBlocksLocked(method, channel, text, blocks string) (apiResult, bool) {
	b := strings.TrimSpace(blocks)
	if b == "" || b == "null" {
		return apiResult{}, false
	}
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(b), &list); err != nil {
		s.web.blockErrors = append(s.web.blockErrors, BlockError{Method: method, Channel: channel, Blocks: blocks, Error: "invalid_blocks_format"})
		s.notifyLocked()
		return fail("invalid_blocks_format"), true
	}
	if len(list) == 0 {
		return apiResult{}, false
	}
	problems := blockcheck.CheckMessage(text, []byte(b))
	if len(problems) == 0 {
		return apiResult{}, false
	}
	s.web.blockErrors = append(s.web.blockErrors, BlockError{Method: method, Channel: channel, Blocks: blocks, Problems: problems, Error: "invalid_blocks"})
	s.notifyLocked()
	return invalidBlocks(problems), true
}

// invalidBlocks is Slack's answer to blocks that fail validation.
func invalidBlocks(problems []blockcheck.Problem) apiResult {
	errs := make([]map[string]any, 0, len(problems))
	msgs := make([]string, 0, len(problems))
	for _, p := range problems {
		errs = append(errs, map[string]any{"pointer": p.Pointer, "message": p.Message})
		msgs = append(msgs, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", p.Message, p.Pointer))
	}
	res := fail("invalid_blocks")
	res.body["errors"] = errs
	res.body["response_metadata"] = map[string]any{"messages": msgs}
	return res
}
