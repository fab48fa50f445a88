package schedule

import (
	"errors"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"10m", 10 * time.Minute},
		{"4h", 4 * time.Hour},
		{"1d", 24 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"1h 30m", 90 * time.Minute},
		{"2d12h", 60 * time.Hour},
		{"90s", 90 * time.Second},
		{"1.5h", 90 * time.Minute},
		{".5m", 30 * time.Second},
		{"10 min", 10 * time.Minute},
		{"10 Minutes", 10 * time.Minute},
		{"2 hours", 2 * time.Hour},
		{"1 hr", time.Hour},
		{"3 days", 72 * time.Hour},
		{"45 secs", 45 * time.Second},
		{"+5m", 5 * time.Minute},
		{"0", 0},
		{"0s", 0},
		{"365d", 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			again, err := ParseDuration(FormatDuration(got))
			if err != nil || again != got {
				t.Errorf("FormatDuration(%v) = %q reads back as %v, %v", got, FormatDuration(got), again, err)
			}
		})
	}
}

func TestParseDurationErrors(t *testing.T) {
	const forms = " Durations look like: `30s`, `10m`, `4h`, `1d`, `1h30m`."
	tests := []struct{ in, want string }{
		{"", "The duration is empty."},
		{"10", "I can't read the duration `10`: `10` needs a unit: s, m, h or d (e.g. `10m`)."},
		{"1h30", "I can't read the duration `1h30`: `30` needs a unit: s, m, h or d (e.g. `30m`)."},
		{"10ms", "I can't read the duration `10ms`: `ms` is not a unit (s, m, h, d)."},
		{"2w", "I can't read the duration `2w`: `w` is not a unit (s, m, h, d)."},
		{"-5m", "I can't read the duration `-5m`: it cannot be negative."},
		{"0.5s", "I can't read the duration `0.5s`: it must be whole seconds."},
		{"366d", "I can't read the duration `366d`: it is too long (the maximum is 365d)."},
		{"99999999999999999999h", "I can't read the duration `99999999999999999999h`: it is too long (the maximum is 365d)."},
		{"364d48h", "I can't read the duration `364d48h`: it is too long (the maximum is 365d)."},
		{"ten minutes", "I can't read the duration `ten minutes`: `tenminutes` is not a number."},
		{"5m!", "I can't read the duration `5m!`: `!` is not a number."},
		{"1..5h", "I can't read the duration `1..5h`: `.5h` is not a unit (s, m, h, d)."},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseDuration(tt.in)
			if err == nil {
				t.Fatalf("ParseDuration(%q) = nil error", tt.in)
			}
			if got := err.Error(); got != tt.want+forms {
				t.Errorf("message\n got %s\nwant %s", got, tt.want+forms)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindDuration {
				t.Errorf("error %#v is not an *Error of KindDuration", err)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{30 * time.Second, "30s"},
		{10 * time.Minute, "10m"},
		{90 * time.Minute, "1h30m"},
		{36 * time.Hour, "1d12h"},
		{24*time.Hour + time.Second, "1d1s"},
		{-time.Minute, "-1m"},
		{1500 * time.Millisecond, "1s500000000ns"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
