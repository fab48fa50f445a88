package commands

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAlertMute(t *testing.T) {
	tests := []struct {
		args string
		id   string
		d    time.Duration
		err  string // a part of the error; "" for none
		sugg string
	}{
		{"a1 1h", "a1", time.Hour, "", ""},
		{"  A12   30m ", "a12", 30 * time.Minute, "", ""},
		{"a1 for 30m", "a1", 30 * time.Minute, "", ""},
		{"a1 1h 30m", "a1", 90 * time.Minute, "", ""},
		{"a1 90 min", "a1", 90 * time.Minute, "", ""},
		{"`a1` 2d", "a1", 48 * time.Hour, "", ""},
		{"queue-too-long 45s", "queue-too-long", 45 * time.Second, "", ""},
		{"", "", 0, "Which alert, and for how long? Usage: `/inbox alert mute ID DURATION`", ""},
		{"a1", "", 0, "For how long?", "mute a1 1h"},
		{"a1 for", "", 0, "For how long?", "mute a1 1h"},
		{"a1 soon", "", 0, "I can't read `soon` as a duration", ""},
		{"a1 10", "", 0, "needs a unit", ""},
		{"a1 -1h", "", 0, "cannot be negative", ""},
		{"a1 0", "", 0, "ends before it starts; `/inbox alert unmute a1`", ""},
		{"a1 400d", "", 0, "I can't read `400d`", ""},
		{"1h a1", "", 0, "Give the id first", "mute a1 1h"},
		{"<!channel> 1h", "", 0, "`&lt;!channel&gt;` is not an alert id", ""},
		{"a1 " + strings.Repeat("1h", 200), "", 0, "characters long", ""},
		{"a1 \xff", "", 0, "not valid UTF-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			id, d, err := ParseAlertMute(tt.args)
			if tt.err == "" {
				if err != nil || id != tt.id || d != tt.d {
					t.Fatalf("ParseAlertMute(%q) = %q, %v, %v; want %q, %v", tt.args, id, d, err, tt.id, tt.d)
				}
				return
			}
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %v (%T), want a *QueryError", err, err)
			}
			if !strings.Contains(Explain(err), tt.err) {
				t.Errorf("Explain = %q, want it to say %q", Explain(err), tt.err)
			}
			if qe.Suggestion != tt.sugg {
				t.Errorf("suggestion %q, want %q", qe.Suggestion, tt.sugg)
			}
			if strings.Contains(err.Error(), "<!") {
				t.Errorf("error %q holds live markup", err)
			}
		})
	}
}

func TestParseAlertID(t *testing.T) {
	tests := []struct {
		args, want, err string
	}{
		{"a1", "a1", ""},
		{" A12 ", "a12", ""},
		{"`a3`", "a3", ""},
		{"queue-too-long", "queue-too-long", ""},
		{"", "", "Which alert? Usage: `/inbox alert remove ID`, e.g. `/inbox alert remove a1`"},
		{"a1 a2", "", "Give one alert id"},
		{"<!channel>", "", "`&lt;!channel&gt;` is not an alert id"},
		{strings.Repeat("a", 65), "", "is not an alert id"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got, err := ParseAlertID("remove", tt.args)
			if tt.err != "" {
				if !errors.As(err, new(*QueryError)) || !strings.Contains(Explain(err), tt.err) {
					t.Fatalf("error %v, want a *QueryError saying %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseAlertID(%q) = %q, %v; want %q", tt.args, got, err, tt.want)
			}
		})
	}
}

func TestAlertSentences(t *testing.T) {
	until := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		got, want string
	}{
		{AlertNotFound("a9"), "There is no alert `a9` here: `/inbox alert list` shows them."},
		{AlertFileRule("queue-too-long"), "`queue-too-long` is declared in RULES_FILE: edit the file to remove it."},
		{AlertRemoved("a1"), "Removed alert `a1`: it posts nothing more."},
		{AlertMuted("a1", until, renderZone), "Muted alert `a1` until Fri 20 Nov 19:30 IST: no posts and no reminders until then (its current message is still updated). `/inbox alert unmute a1` ends it sooner."},
		{AlertMuted("a1", until, nil), "Muted alert `a1` until Fri 20 Nov 14:00 UTC: no posts and no reminders until then (its current message is still updated). `/inbox alert unmute a1` ends it sooner."},
		{AlertUnmuted("a1"), "Unmuted alert `a1`: it posts and reminds again."},
		{AlertAdminsOnly("mute", []string{"U1AAA", "<!channel>", "U2BBB"}), "Only <@U1AAA> and <@U2BBB> may use `/inbox alert mute`: ask one of them."},
		{AlertAdminsOnly("add", nil), "Only the admins (ADMIN_USERS) may use `/inbox alert add`."},
		{AlertOtherChannel("a1", "C0123456789"), "Alert `a1` posts to <#C0123456789>: manage it from there."},
		{AlertOtherChannel("a1", "<!here>"), "Alert `a1` posts to `&lt;!here&gt;`: manage it from there."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %q\nwant %q", tt.got, tt.want)
		}
	}
	if !strings.Contains(AlertIncidentOver, "over") {
		t.Errorf("AlertIncidentOver = %q", AlertIncidentOver)
	}
}

func TestAlertActions(t *testing.T) {
	for _, tt := range []struct {
		id     string
		alert  bool
		snooze time.Duration
	}{
		{ActionAlertAck, true, 0},
		{ActionAlertSnooze1h, true, time.Hour},
		{ActionAlertSnooze4h, true, 4 * time.Hour},
		{ActionNext, false, 0},
		{"alert_snooze_99h", false, 0},
		{"", false, 0},
	} {
		if got := IsAlertAction(tt.id); got != tt.alert {
			t.Errorf("IsAlertAction(%q) = %v", tt.id, got)
		}
		d, ok := SnoozeFor(tt.id)
		if d != tt.snooze || ok != (tt.snooze > 0) {
			t.Errorf("SnoozeFor(%q) = %v, %v", tt.id, d, ok)
		}
	}
	for _, id := range []string{ActionAlertAck, ActionAlertSnooze1h, ActionAlertSnooze4h} {
		if !strings.Contains(id, "ack") && !strings.Contains(id, "snooze") {
			t.Errorf("action id %q holds neither ack nor snooze (SPEC §8)", id)
		}
	}
}

func TestAlertButtonRoundTrip(t *testing.T) {
	for _, b := range []AlertButton{
		{"a1", 1}, {"a1234", 0}, {"queue-too-long", 42}, {strings.Repeat("x", 64), maxAlertIncident},
	} {
		v := b.Encode()
		if len(v) > maxAlertButtonValue {
			t.Errorf("%+v encodes to %d bytes", b, len(v))
		}
		got, err := DecodeAlertButton(v)
		if err != nil || got != b {
			t.Errorf("%+v -> %q -> %+v, %v", b, v, got, err)
		}
	}
	// Out of range: clamped, and still a valid value.
	for b, want := range map[AlertButton]AlertButton{
		{"a1", -3}:      {"a1", 0},
		{"a1", 1 << 40}: {"a1", maxAlertIncident},
	} {
		got, err := DecodeAlertButton(b.Encode())
		if err != nil || got != want {
			t.Errorf("%+v -> %+v, %v; want %+v", b, got, err, want)
		}
	}
	for _, v := range []string{
		"", "al1|", "al1|a1", "al1|a1|", "al1|a1|x", "al1|a1|-1", "al1|a1|+1", "al1|a1|01", "al1|a1|1|2",
		"al1|A1|1", "al1|<!here>|1", "al2|a1|1", "v2|1|1|x", "al1|a1|1000000000", "al1|" + strings.Repeat("a", 65) + "|1",
		"al1|a1|" + strings.Repeat("9", 5000),
	} {
		if b, err := DecodeAlertButton(v); !errors.Is(err, ErrAlertButton) {
			t.Errorf("DecodeAlertButton(%.80q) = %+v, %v; want ErrAlertButton", v, b, err)
		}
	}
	// A hostile id encodes to a value that fits and does not decode.
	v := AlertButton{AlertID: strings.Repeat("Ω", 3000), Incident: 1}.Encode()
	if len(v) > maxAlertButtonValue || len(v) > MaxButtonValue {
		t.Errorf("hostile id encodes to %d bytes", len(v))
	}
	if _, err := DecodeAlertButton(v); err == nil {
		t.Errorf("a hostile id decodes")
	}
}

// FuzzDecodeAlertButton: any value decodes without panicking, and one that
// decodes is canonical: encoding it again gives the same value.
func FuzzDecodeAlertButton(f *testing.F) {
	for _, s := range []string{"al1|a1|3", "al1|queue-too-long|0", "al1|a1|", "al1||1", "al1|a1|999999999", "v2|1|1||x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		b, err := DecodeAlertButton(v)
		if err != nil {
			if !errors.Is(err, ErrAlertButton) {
				t.Fatalf("error %v does not wrap ErrAlertButton", err)
			}
			return
		}
		if got := b.Encode(); got != v {
			t.Fatalf("%q decodes to %+v, which encodes to %q", v, b, got)
		}
		if _, err := ParseAlertID("remove", b.AlertID); err != nil {
			t.Fatalf("decoded id %q is not an alert id: %v", b.AlertID, err)
		}
	})
}

// FuzzParseAlertMute: any input parses or fails with a *QueryError, never
// panics, and a parsed mute is a valid id and a positive duration.
func FuzzParseAlertMute(f *testing.F) {
	for _, s := range []string{"a1 1h", "a1 for 30m", "1h a1", "", "a1 0", "a1 1.5h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		id, d, err := ParseAlertMute(args)
		if err != nil {
			if !errors.As(err, new(*QueryError)) {
				t.Fatalf("error %v (%T) is not a *QueryError", err, err)
			}
			return
		}
		if d <= 0 || !digestIDPattern.MatchString(id) {
			t.Fatalf("ParseAlertMute(%q) = %q, %v", args, id, d)
		}
	})
}

// TestAlertHelp: `help alert` explains the conditions and every option.
func TestAlertHelp(t *testing.T) {
	text := TopicHelpText("alert")
	for _, s := range []string{"count>=5, count>5", "new", "for 10m", "keep 5m", "repeat 4h, repeat off", "notify @here", "wait 1m", `hours "Mon-Fri 08:00-18:00"`, "/inbox alert add new wait 1m online tag:vip"} {
		if !strings.Contains(text, s) {
			t.Errorf("help alert lacks %q:\n%s", s, text)
		}
	}
	for _, opt := range alertOptionTable {
		if !strings.Contains(text, "\n  "+opt.name+" ") {
			t.Errorf("help alert does not explain the option %q", opt.name)
		}
	}
	if strings.Contains(TopicHelpText("digest"), "repeat 4h") {
		t.Errorf("the alert notes show in help digest")
	}
}
