package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/commands"
)

// reply posts msg in the thread of ts, broadcast to the channel when
// broadcast (a reminder) or not (the resolved note). 429s are waited out
// as for any post.
func (p *poster) reply(ctx context.Context, channel, ts string, msg commands.Message, broadcast bool) error {
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...), slack.MsgOptionTS(ts)}
	if broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	_, err := p.postOpts(ctx, channel, opts...)
	return err
}

// update edits the message ts with chat.update, once: chat.update is Tier
// 3 (about 50 a minute), and a 429 is not waited out here. The caller
// keeps the message dirty and the next edit, or the next round, sends the
// latest state: edits coalesce instead of queueing behind the limit.
func (p *poster) update(ctx context.Context, channel, ts string, msg commands.Message) error {
	_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...))
	if err != nil {
		p.metrics.slackErrors.WithLabelValues("chat.update", slackErrorCode(err)).Inc()
	}
	return err
}
