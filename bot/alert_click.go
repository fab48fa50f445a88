package bot

import (
	"context"
	"errors"

	"github.com/slack-go/slack"

	"github.com/convertalk/inboxbot/bot/rules"
	"github.com/convertalk/inboxbot/commands"
)

// errIncidentOver is a click on the buttons of an incident that is not
// the open one any more (resolved, or replaced by a newer one).
var errIncidentOver = errors.New("the incident is over")

// alertClick serves an incident's Ack, Snooze 1h and Snooze 4h (SPEC §8):
// anyone allowed may press them (ADMIN_USERS is not needed; click has
// already applied ALLOWED_CHANNELS and ALLOWED_USERS). The change is made
// inside one store update, and the message is edited to show who and
// when (or until when); a click on an old incident's message answers the
// clicker alone.
func (b *Bot) alertClick(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction, out *outcome) {
	if b.alerts == nil {
		out.result = "unavailable"
		b.respond(ctx, cb.ResponseURL, commands.RenderNotice("Alerts are not available: the state store is not open."), reply{})
		return
	}
	btn, err := commands.DecodeAlertButton(act.Value)
	if err != nil {
		out.result = "bad_button"
		b.respond(ctx, cb.ResponseURL, commands.RenderError(commands.UnreadableButton), reply{})
		return
	}
	s := b.alerts
	a, err := s.get(ctx, btn.AlertID)
	switch {
	case errors.Is(err, errAlertNotFound):
		out.result = "incident_over"
		b.respond(ctx, cb.ResponseURL, commands.RenderNotice(commands.AlertIncidentOver), reply{})
		return
	case err != nil:
		out.result, out.err = "store_error", err
		b.respond(ctx, cb.ResponseURL, commands.RenderError("The alert could not be read (the state store failed); try again."), reply{})
		return
	}
	user, now := cb.User.ID, s.now()
	snooze, isSnooze := commands.SnoozeFor(act.ActionID)
	applied := false
	err = s.edit(ctx, a.ID, func(rec *alertRecord) bool {
		applied = false // fn may run again: decide afresh
		st := rec.State
		if st.Phase != rules.PhaseFiring || st.Incident != btn.Incident {
			return false
		}
		if isSnooze {
			st, _ = rules.Snooze(st, user, now.Add(snooze), now)
		} else {
			var ackErr error
			if st, _, ackErr = rules.Ack(st, btn.Incident, user, now); ackErr != nil {
				return false
			}
		}
		rec.setState(st)
		applied = true
		return true
	})
	if err == nil && !applied {
		err = errIncidentOver
	}
	switch {
	case errors.Is(err, errIncidentOver) || errors.Is(err, rules.ErrNotFiring):
		out.result = "incident_over"
		b.respond(ctx, cb.ResponseURL, commands.RenderNotice(commands.AlertIncidentOver), reply{})
		return
	case err != nil:
		out.result, out.err = "store_error", err
		b.respond(ctx, cb.ResponseURL, commands.RenderError("The alert could not be changed (the state store failed); try again."), reply{})
		return
	}
	out.result = "ok"
	b.log.Info("alert button", "id", a.ID, "incident", btn.Incident, "action", act.ActionID)
	s.settleNow(ctx, a)
}
