package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

var tsPattern = regexp.MustCompile(`^\d{10}\.\d{6}$`)

// newAPI is a slack-go Web API client for the fake.
func newAPI(srv *Server) *slack.Client {
	return slack.New(srv.BotToken(), slack.OptionAppLevelToken(srv.AppToken()), slack.OptionAPIURL(srv.APIURL()))
}

// slackError returns the Slack error code of err, or "".
func slackError(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func TestTransportAndAuth(t *testing.T) {
	const bot, app = DefaultBotToken, DefaultAppToken
	tests := []struct {
		name      string
		method    string
		json      bool
		bearer    string
		formToken string
		params    map[string]any
		wantError string // "" for ok
	}{
		{name: "form token", method: "auth.test", formToken: bot},
		{name: "form token via bearer", method: "users.info", bearer: bot, params: map[string]any{"user": "U1"}},
		{name: "json bearer with block array", method: "chat.postMessage", json: true, bearer: bot,
			params: map[string]any{"channel": "C1", "text": "hi", "blocks": []any{map[string]any{"type": "divider"}}}},
		{name: "wrong token", method: "auth.test", formToken: "xoxb-wrong", wantError: "invalid_auth"},
		{name: "no token", method: "auth.test", wantError: "not_authed"},
		{name: "app token for bot method", method: "chat.postMessage", formToken: app, params: map[string]any{"channel": "C1", "text": "x"}, wantError: "not_allowed_token_type"},
		{name: "unknown method", method: "chat.frobnicate", formToken: bot, wantError: "unknown_method"},
		{name: "open with token in body", method: "apps.connections.open", formToken: app, wantError: "not_authed"},
		{name: "open with bot token", method: "apps.connections.open", json: true, bearer: bot, wantError: "not_allowed_token_type"},
		{name: "open", method: "apps.connections.open", json: true, bearer: app},
		{name: "conversations.info", method: "conversations.info", formToken: bot, params: map[string]any{"channel": "C1"}},
		{name: "conversations.info unknown", method: "conversations.info", formToken: bot, params: map[string]any{"channel": "X1"}, wantError: "channel_not_found"},
		{name: "post without text", method: "chat.postMessage", formToken: bot, params: map[string]any{"channel": "C1"}, wantError: "no_text"},
		{name: "malformed blocks", method: "chat.postMessage", formToken: bot, params: map[string]any{"channel": "C1", "text": "x", "blocks": "{"}, wantError: "invalid_blocks_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t)
			ctx := testCtx(t)
			var body io.Reader
			ctype := "application/x-www-form-urlencoded"
			if tt.json {
				b, _ := json.Marshal(tt.params)
				if tt.params == nil {
					b = nil
				}
				body, ctype = strings.NewReader(string(b)), "application/json"
			} else {
				form := url.Values{}
				if tt.formToken != "" {
					form.Set("token", tt.formToken)
				}
				for k, v := range tt.params {
					form.Set(k, fmt.Sprint(v))
				}
				body = strings.NewReader(form.Encode())
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.APIURL()+tt.method, body)
			req.Header.Set("Content-Type", ctype)
			if tt.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, decode %v", resp.StatusCode, err)
			}
			if got.OK != (tt.wantError == "") || got.Error != tt.wantError {
				t.Errorf("got %+v, want error %q", got, tt.wantError)
			}
			calls := srv.Calls(tt.method)
			if len(calls) != 1 || calls[0].Error != tt.wantError || calls[0].JSON != tt.json {
				t.Errorf("calls = %+v", calls)
			}
			if _, leaked := calls[0].Params["token"]; leaked {
				t.Error("token recorded in Params")
			}
		})
	}
}

func TestSlackGoDecodesAnswers(t *testing.T) {
	srv := newTestServer(t, WithUser(User{ID: "U1", Name: "ana", RealName: "Ana", TZ: "Europe/Berlin"}))
	ctx := testCtx(t)
	api := newAPI(srv)
	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.UserID != DefaultBotUserID || auth.TeamID != DefaultTeamID || auth.BotID != DefaultBotID {
		t.Errorf("auth.test = %+v, %v", auth, err)
	}
	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil || u.Name != "ana" || u.TZ != "Europe/Berlin" || u.TZOffset == 0 {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U2"); slackError(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1"})
	if err != nil || ch.ID != "C1" || !ch.IsChannel {
		t.Errorf("conversations.info = %+v, %v", ch, err)
	}
}

func TestChatMessages(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	api := newAPI(srv)
	long := slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", 3001), false, false)
	badBlocks := slack.MsgOptionBlocks(slack.NewSectionBlock(long, nil, nil))

	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("page 1", false), slack.MsgOptionBlocks(pageBlocks(1, "page=2")...))
	if err != nil || ch != "C1" || !tsPattern.MatchString(ts) {
		t.Fatalf("postMessage = %q %q %v", ch, ts, err)
	}

	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("bad", false), badBlocks)
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" || len(se.Errors) == 0 || se.Errors[0].AppsManifestCreateResponseError == nil {
		t.Fatalf("bad blocks: %#v", err)
	}
	if p := se.Errors[0].AppsManifestCreateResponseError.Pointer; !strings.HasPrefix(p, "/blocks/0") {
		t.Errorf("pointer %q", p)
	}
	if be := srv.BlockErrors(); len(be) != 1 || be[0].Method != "chat.postMessage" || len(be[0].Problems) == 0 {
		t.Errorf("BlockErrors = %+v", be)
	}

	_, _, _, err = api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("page 2", false))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := srv.MessageAt("C1", ts)
	if m.Text != "page 2" || len(m.Blocks) == 0 || m.Method != "chat.update" {
		t.Errorf("after text update: %+v", m)
	}
	if _, _, _, err = api.UpdateMessageContext(ctx, "C1", ts, badBlocks); slackError(err) != "invalid_blocks" {
		t.Errorf("update with bad blocks: %v", err)
	}
	if _, _, _, err = api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("plain", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatal(err)
	}
	if m, _ = srv.MessageAt("C1", ts); m.Blocks != nil {
		t.Errorf("blocks=[] did not clear: %s", m.Blocks)
	}

	ets, err := api.PostEphemeralContext(ctx, "C1", "U7", slack.MsgOptionText("only you", false))
	if err != nil || !tsPattern.MatchString(ets) || ets <= ts {
		t.Fatalf("postEphemeral = %q %v", ets, err)
	}
	if _, _, _, err = api.UpdateMessageContext(ctx, "C1", ets, slack.MsgOptionText("x", false)); slackError(err) != "message_not_found" {
		t.Errorf("update ephemeral: %v", err)
	}

	if _, _, err = api.DeleteMessageContext(ctx, "C1", ts); err != nil {
		t.Fatal(err)
	}
	if _, _, err = api.DeleteMessageContext(ctx, "C1", ts); slackError(err) != "message_not_found" {
		t.Errorf("second delete: %v", err)
	}

	var methods []string
	for _, m := range srv.Messages() {
		methods = append(methods, m.Method)
	}
	want := "chat.postMessage chat.update chat.update chat.postEphemeral chat.delete"
	if got := strings.Join(methods, " "); got != want {
		t.Errorf("Messages() methods = %s, want %s", got, want)
	}
	if e := srv.Messages()[3]; !e.Ephemeral || e.User != "U7" {
		t.Errorf("ephemeral record %+v", e)
	}
}

func TestInjectError(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	api := newAPI(srv)
	srv.InjectError("chat.postEphemeral", "not_in_channel", 1)
	if _, err := api.PostEphemeralContext(ctx, "D1", "U1", slack.MsgOptionText("x", false)); slackError(err) != "not_in_channel" {
		t.Errorf("first: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, "D1", "U1", slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("second: %v", err)
	}
}

// commandHook delivers a slash command and returns its response_url.
func commandHook(t *testing.T, ctx context.Context, srv *Server) (*bot, string) {
	t.Helper()
	b := startBot(t, srv, srv.AppToken(), true)
	d, err := srv.SlashCommand(ctx, SlashOptions{ChannelID: "C1", UserID: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitAck(ctx); err != nil {
		t.Fatal(err)
	}
	return b, d.ResponseURL
}

func TestResponseURL(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	b, hook := commandHook(t, ctx, srv)

	// 1: ephemeral answer (slack-go sends blocks:null and an empty metadata object).
	if _, _, err := b.api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(hook, slack.ResponseTypeEphemeral), slack.MsgOptionText("answer", false)); err != nil {
		t.Fatal(err)
	}
	// 2: replace it with blocks.
	if _, _, err := b.api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(hook), slack.MsgOptionText("page 1", false), slack.MsgOptionBlocks(pageBlocks(1, "p2")...)); err != nil {
		t.Fatal(err)
	}
	// 3: in channel, through the webhook helper.
	if err := slack.PostWebhookContext(ctx, hook, &slack.WebhookMessage{Text: "shared", ResponseType: "in_channel"}); err != nil {
		t.Fatal(err)
	}
	// 4: bad blocks are refused and recorded.
	long := slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("y", 3001), false, false)
	_, _, err := b.api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(hook), slack.MsgOptionText("bad", false), slack.MsgOptionBlocks(slack.NewSectionBlock(long, nil, nil)))
	if slackError(err) != "invalid_blocks" {
		t.Errorf("bad blocks: %v", err)
	}
	// 5: delete the last message of this command.
	if _, _, err := b.api.PostMessageContext(ctx, "", slack.MsgOptionDeleteOriginal(hook)); err != nil {
		t.Fatal(err)
	}
	// 6: one use too many.
	_, _, err = b.api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(hook, slack.ResponseTypeEphemeral), slack.MsgOptionText("sixth", false))
	var sce slack.StatusCodeError
	if !errors.As(err, &sce) || sce.Code != http.StatusNotFound {
		t.Errorf("sixth use: %#v", err)
	}

	rs, err := srv.WaitResponses(ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		Use             int
		Kind, Error     string
		Type            string
		Replace, Delete bool
		Text            string
		HasBlocks       bool
	}
	want := []summary{
		{1, "commands", "", "ephemeral", false, false, "answer", false},
		{2, "commands", "", "", true, false, "page 1", true},
		{3, "commands", "", "in_channel", false, false, "shared", false},
		{4, "commands", "invalid_blocks", "", true, false, "bad", true},
		{5, "commands", "", "", false, true, "", false},
		{6, "commands", "used_url", "", false, false, "", false},
	}
	for i, r := range rs {
		got := summary{r.Use, r.Kind, r.Error, r.ResponseType, r.ReplaceOriginal, r.DeleteOriginal, r.Text, r.Blocks != nil}
		if got != want[i] {
			t.Errorf("response %d = %+v, want %+v", i+1, got, want[i])
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 4 {
		t.Fatalf("messages = %+v", msgs)
	}
	if m := msgs[0]; !m.Ephemeral || m.User != "U1" || m.Channel != "C1" {
		t.Errorf("ephemeral answer %+v", m)
	}
	if msgs[1].TS != msgs[0].TS || msgs[1].Text != "page 1" {
		t.Errorf("replace did not update in place: %+v", msgs[1])
	}
	if m := msgs[2]; m.Ephemeral || m.Text != "shared" {
		t.Errorf("in_channel answer %+v", m)
	}
	if m := msgs[3]; !m.Deleted || m.TS != msgs[2].TS {
		t.Errorf("delete_original %+v", m)
	}
	if be := srv.BlockErrors(); len(be) != 1 || be[0].Method != ResponseURLMethod {
		t.Errorf("BlockErrors = %+v", be)
	}
}

func TestUploadFile(t *testing.T) {
	srv := newTestServer(t)
	ctx := testCtx(t)
	api := newAPI(srv)
	csv := "name,email\nAna,a@example.com\n"
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: "inbox.csv", FileSize: len(csv), Reader: strings.NewReader(csv),
		Title: "Inbox export", Channel: "C1", InitialComment: "12 contacts",
	})
	if err != nil {
		t.Fatal(err)
	}
	ups, err := srv.WaitUploads(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := Upload{FileID: sum.ID, Filename: "inbox.csv", Title: "Inbox export", Length: len(csv), Channel: "C1", InitialComment: "12 contacts"}
	got := ups[0]
	if string(got.Content) != csv {
		t.Errorf("content %q", got.Content)
	}
	got.Content = nil
	if !reflect.DeepEqual(got, want) || sum.Title != "Inbox export" {
		t.Errorf("upload = %+v\nwant %+v (summary %+v)", got, want, sum)
	}
	for _, m := range []string{"files.getUploadURLExternal", "upload", "files.completeUploadExternal"} {
		if c := srv.Calls(m); len(c) != 1 || c[0].Status != http.StatusOK || c[0].Error != "" {
			t.Errorf("calls of %s = %+v", m, c)
		}
	}

	_, err = api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: "F404"}}, Channel: "C1"})
	if slackError(err) != "file_not_found" {
		t.Errorf("complete without upload: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		method string
		call   func(ctx context.Context, api *slack.Client, hook string) error
	}{
		{"chat.postMessage", func(ctx context.Context, api *slack.Client, _ string) error {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
			return err
		}},
		{"auth.test", func(ctx context.Context, api *slack.Client, _ string) error {
			_, err := api.AuthTestContext(ctx)
			return err
		}},
		{ResponseURLMethod, func(ctx context.Context, api *slack.Client, hook string) error {
			_, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(hook, slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			srv := newTestServer(t)
			ctx := testCtx(t)
			b, hook := commandHook(t, ctx, srv)
			srv.RateLimit(tt.method, 1, 2)
			err := tt.call(ctx, b.api, hook)
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
				t.Fatalf("first call: %#v, want RateLimitedError 2s", err)
			}
			if err := tt.call(ctx, b.api, hook); err != nil {
				t.Fatalf("second call: %v", err)
			}
			var statuses []int
			for _, c := range srv.Calls(tt.method) {
				statuses = append(statuses, c.Status)
			}
			if fmt.Sprint(statuses) != "[429 200]" {
				t.Errorf("statuses %v", statuses)
			}
		})
	}
}

func TestTimestampsIncrease(t *testing.T) {
	srv := newTestServer(t)
	prev := ""
	for range 1000 {
		srv.mu.Lock()
		ts := srv.nextTSLocked()
		srv.mu.Unlock()
		if !tsPattern.MatchString(ts) || ts <= prev {
			t.Fatalf("ts %q after %q", ts, prev)
		}
		prev = ts
	}
}
