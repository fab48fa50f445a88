package commands

import "testing"

func TestMaskEmail(t *testing.T) {
	tests := []struct {
		in   string
		mode PIIMode
		want string
	}{
		{"john@example.com", PIIMasked, "j•••@example.com"},
		{"john@example.com", PIIFull, "john@example.com"},
		{"john@example.com", PIIHidden, ""},
		{"john@example.com", "", "j•••@example.com"}, // unknown mode: masked
		{"élodie@exemple.fr", PIIMasked, "é•••@exemple.fr"},
		{"a\"b@c\"@example.com", PIIMasked, "a•••@example.com"},
		{"@example.com", PIIMasked, "•••@example.com"},
		{"not-an-email", PIIMasked, "n•••"},
		{"", PIIMasked, ""},
		{"", PIIFull, ""},
	}
	for _, tt := range tests {
		if got := MaskEmail(tt.in, tt.mode); got != tt.want {
			t.Errorf("MaskEmail(%q, %q) = %q, want %q", tt.in, tt.mode, got, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct {
		in   string
		mode PIIMode
		want string
	}{
		{"+91 9876543212", PIIMasked, "+91 •••• ••12"},
		{"+1 123456789", PIIMasked, "+1 •••• ••89"},
		{"+44 20 7946 0958", PIIMasked, "+44 •••• ••58"},
		{"919876543212", PIIMasked, "•••• ••12"}, // WhatsApp number: no separable prefix
		{"+919876543212", PIIMasked, "•••• ••12"},
		{"+91 1234", PIIMasked, "+91 •••• ••••"}, // too short to show digits
		{"+91 9876543212", PIIFull, "+91 9876543212"},
		{"+91 9876543212", PIIHidden, ""},
		{"+91 9876543212", "bogus", "+91 •••• ••12"},
		{"", PIIMasked, ""},
		{"  ", PIIMasked, ""},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in, tt.mode); got != tt.want {
			t.Errorf("MaskPhone(%q, %q) = %q, want %q", tt.in, tt.mode, got, tt.want)
		}
	}
}
