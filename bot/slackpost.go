package bot

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands"
)

// Bounds of posting through chat.postMessage when Slack answers 429.
const (
	// postAttempts is how many times one message is tried: a 429 means
	// Slack did not post it, so trying again can never double it.
	postAttempts = 4
	// maxRetryAfter bounds one wait for Retry-After; Slack asks for
	// seconds, a minute at most for chat.postMessage.
	maxRetryAfter = time.Minute
)

// digestEventType is the event_type of the Slack message metadata on a
// scheduled digest, so tools reading the channel can tell which digest and
// slot a message is.
const digestEventType = "inboxbot_digest"

// poster posts normal channel messages with chat.postMessage. Its client
// does not retry by itself: the 429s are handled here, bounded, so a post
// is delayed, never dropped or doubled.
type poster struct {
	api     *slack.Client
	metrics *Metrics
	// wait sleeps for d or until ctx ends (tests may shorten it).
	wait func(ctx context.Context, d time.Duration) error
}

func newPoster(cfg *Config, httpClient *http.Client, m *Metrics) *poster {
	api := slack.New(cfg.SlackBotToken, slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(httpClient))
	return &poster{api: api, metrics: m, wait: sleepCtx}
}

// sleepCtx waits for d, or returns ctx's error when it ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// post posts msg to channel, with metadata when meta is not nil, and
// returns the message's ts. Slack's 429 is waited out as Retry-After asks
// (at most maxRetryAfter each, postAttempts in all).
func (p *poster) post(ctx context.Context, channel string, msg commands.Message, meta *slack.SlackMetadata) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...)}
	if meta != nil {
		opts = append(opts, slack.MsgOptionMetadata(*meta))
	}
	return p.postOpts(ctx, channel, opts...)
}

// postOpts is post with the message given as slack-go options (a thread
// reply adds its own).
func (p *poster) postOpts(ctx context.Context, channel string, opts ...slack.MsgOption) (string, error) {
	var err error
	for attempt := 1; ; attempt++ {
		var ts string
		_, ts, err = p.api.PostMessageContext(ctx, channel, opts...)
		if err == nil {
			return ts, nil
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || attempt >= postAttempts {
			break
		}
		p.metrics.slackErrors.WithLabelValues("chat.postMessage", "ratelimited").Inc()
		if werr := p.wait(ctx, min(max(rl.RetryAfter, 0), maxRetryAfter)); werr != nil {
			err = werr
			break
		}
	}
	p.metrics.slackErrors.WithLabelValues("chat.postMessage", slackErrorCode(err)).Inc()
	return "", err
}

// channelGone reports whether err says the bot cannot post in the channel
// at all (SPEC §7): not a member, no such channel, or archived.
func channelGone(err error) (code string, gone bool) {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "not_in_channel", "channel_not_found", "is_archived":
			return se.Err, true
		}
	}
	return "", false
}

// digestMetadata is the metadata of a scheduled digest's message.
func digestMetadata(id string, slot time.Time) *slack.SlackMetadata {
	return &slack.SlackMetadata{
		EventType:    digestEventType,
		EventPayload: map[string]any{"digest": id, "slot": slot.UTC().Format(time.RFC3339)},
	}
}
