package blockcheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// txt returns a JSON string literal.
func txt(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func plain(s string) string { return `{"type":"plain_text","text":` + txt(s) + `}` }
func mrkdwn(s string) string {
	return `{"type":"mrkdwn","text":` + txt(s) + `}`
}
func section(s string) string { return `{"type":"section","text":` + mrkdwn(s) + `}` }
func button(id, label, value string) string {
	return `{"type":"button","action_id":` + txt(id) + `,"text":` + plain(label) + `,"value":` + txt(value) + `}`
}
func arr(items ...string) string { return "[" + strings.Join(items, ",") + "]" }
func repeat(item string, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = item
	}
	return arr(items...)
}

func TestCheck(t *testing.T) {
	long := strings.Repeat("é", 3001) // 3001 characters, 6002 bytes
	tests := []struct {
		name   string
		blocks string
		want   []string // pointers of the expected problems, in order
	}{
		{"null", `null`, nil},
		{"empty", ``, nil},
		{"empty array", `[]`, nil},
		{"good answer", arr(
			`{"type":"header","block_id":"h","text":{"type":"plain_text","text":"12 contacts","emoji":true}}`,
			`{"type":"context","block_id":"q","elements":[`+mrkdwn("`online` · page 1")+`]}`,
			`{"type":"section","block_id":"u1","text":{"type":"mrkdwn","text":"*Jane*","verbatim":true}}`,
			`{"type":"divider"}`,
			`{"type":"actions","block_id":"pager","elements":[`+button("inbox_next", "Next ▶", "v1|2|2||online")+`,`+button("inbox_refresh", "Refresh", "v1|1|1||online")+`]}`,
		), nil},
		{"section text at limit, in characters not bytes", arr(section(strings.Repeat("é", 3000))), nil},
		{"section fields ok", `[{"type":"section","fields":` + repeat(mrkdwn("a"), 10) + `}]`, nil},
		{"known but unchecked block", `[{"type":"rich_text","elements":[]},{"type":"image","image_url":"https://x/y.png","alt_text":"y"}]`, nil},
		{"exactly 50 blocks", repeat(`{"type":"divider"}`, 50), nil},

		{"invalid json", `[{"type":`, []string{"/blocks"}},
		{"not an array", `{"type":"divider"}`, []string{"/blocks"}},
		{"51 blocks", repeat(`{"type":"divider"}`, 51), []string{"/blocks"}},
		{"block not an object", `["divider"]`, []string{"/blocks/0"}},
		{"missing type", `[{"text":` + mrkdwn("a") + `}]`, []string{"/blocks/0/type"}},
		{"unknown block type", `[{"type":"sektion"}]`, []string{"/blocks/0/type"}},
		{"header too long", `[{"type":"header","text":` + plain(strings.Repeat("x", 151)) + `}]`, []string{"/blocks/0/text/text"}},
		{"header mrkdwn", `[{"type":"header","text":` + mrkdwn("x") + `}]`, []string{"/blocks/0/text/type"}},
		{"header without text", `[{"type":"header"}]`, []string{"/blocks/0/text"}},
		{"section text too long", arr(section("ok"), section(long)), []string{"/blocks/1/text/text"}},
		{"section empty text", arr(section("")), []string{"/blocks/0/text/text"}},
		{"section without text or fields", `[{"type":"section"}]`, []string{"/blocks/0"}},
		{"section 11 fields", `[{"type":"section","fields":` + repeat(mrkdwn("a"), 11) + `}]`, []string{"/blocks/0/fields"}},
		{"section field too long", `[{"type":"section","fields":[` + mrkdwn("a") + `,` + mrkdwn(strings.Repeat("b", 2001)) + `]}]`, []string{"/blocks/0/fields/1/text"}},
		{"bad text type", `[{"type":"section","text":{"type":"markdown","text":"a"}}]`, []string{"/blocks/0/text/type"}},
		{"text not a string", `[{"type":"section","text":{"type":"mrkdwn","text":5}}]`, []string{"/blocks/0/text/text"}},
		{"mrkdwn with emoji", `[{"type":"section","text":{"type":"mrkdwn","text":"a","emoji":false}}]`, []string{"/blocks/0/text/emoji"}},
		{"context 11 elements", `[{"type":"context","elements":` + repeat(mrkdwn("a"), 11) + `}]`, []string{"/blocks/0/elements"}},
		{"context empty", `[{"type":"context","elements":[]}]`, []string{"/blocks/0/elements"}},
		{"context text too long", `[{"type":"context","elements":[` + mrkdwn(long) + `]}]`, []string{"/blocks/0/elements/0/text"}},
		{"context image without alt", `[{"type":"context","elements":[{"type":"image","image_url":"https://x"}]}]`, []string{"/blocks/0/elements/0/alt_text"}},
		{"actions 26 elements", func() string {
			items := make([]string, 26)
			for i := range items {
				items[i] = button(fmt.Sprintf("a%d", i), "b", "v")
			}
			return `[{"type":"actions","elements":` + arr(items...) + `}]`
		}(), []string{"/blocks/0/elements"}},
		{"actions empty", `[{"type":"actions","elements":[]}]`, []string{"/blocks/0/elements"}},
		{"button text too long", `[{"type":"actions","elements":[` + button("a", strings.Repeat("x", 76), "v") + `]}]`, []string{"/blocks/0/elements/0/text/text"}},
		{"button text mrkdwn", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":` + mrkdwn("x") + `}]}]`, []string{"/blocks/0/elements/0/text/type"}},
		{"button without text", `[{"type":"actions","elements":[{"type":"button","action_id":"a"}]}]`, []string{"/blocks/0/elements/0/text"}},
		{"button value too long", `[{"type":"actions","elements":[` + button("a", "x", strings.Repeat("v", 2001)) + `]}]`, []string{"/blocks/0/elements/0/value"}},
		{"button url too long", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":` + plain("x") + `,"url":` + txt("https://"+strings.Repeat("u", 2993)) + `}]}]`, []string{"/blocks/0/elements/0/url"}},
		{"button bad style", `[{"type":"actions","elements":[{"type":"button","text":` + plain("x") + `,"style":"green"}]}]`, []string{"/blocks/0/elements/0/style"}},
		{"action_id too long", `[{"type":"actions","elements":[` + button(strings.Repeat("a", 256), "x", "v") + `]}]`, []string{"/blocks/0/elements/0/action_id"}},
		{"duplicate action_id across blocks", arr(
			`{"type":"actions","elements":[`+button("inbox_next", "x", "v")+`]}`,
			`{"type":"actions","elements":[`+button("inbox_next", "y", "v")+`]}`,
		), []string{"/blocks/1/elements/0/action_id"}},
		{"unknown element", `[{"type":"actions","elements":[{"type":"knob","action_id":"a"}]}]`, []string{"/blocks/0/elements/0/type"}},
		{"block_id too long", `[{"type":"divider","block_id":` + txt(strings.Repeat("b", 256)) + `}]`, []string{"/blocks/0/block_id"}},
		{"duplicate block_id", `[{"type":"divider","block_id":"x"},{"type":"divider","block_id":"y"},{"type":"divider","block_id":"x"}]`, []string{"/blocks/2/block_id"}},
		{"block_id not a string", `[{"type":"divider","block_id":7}]`, []string{"/blocks/0/block_id"}},
		{"too much text in total", repeat(section(strings.Repeat("x", 2500)), 5), []string{"/blocks"}},
		{"markdown blocks over 12000", repeat(`{"type":"markdown","text":`+txt(strings.Repeat("m", 6001))+`}`, 2), []string{"/blocks", "/blocks"}},
		{"several problems in document order", arr(
			`{"type":"header","text":`+plain("")+`}`,
			section(long),
		), []string{"/blocks/0/text/text", "/blocks/1/text/text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pointers(Check([]byte(tt.blocks)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Check problems at %q, want %q\n%v", got, tt.want, Check([]byte(tt.blocks)))
			}
		})
	}
}

func TestCheckMessage(t *testing.T) {
	blocks := arr(section("hi"))
	tests := []struct {
		name   string
		text   string
		blocks string
		want   []string
	}{
		{"text and blocks", "hi", blocks, nil},
		{"text only", "hi", "", nil},
		{"text only, null blocks", "hi", "null", nil},
		{"nothing", "", "", []string{"/text"}},
		{"blocks without fallback", "", blocks, []string{"/text"}},
		{"blank fallback", " \n", blocks, []string{"/text"}},
		{"text at limit", strings.Repeat("ü", 40000), "", nil},
		{"text too long", strings.Repeat("x", 40001), blocks, []string{"/text"}},
		{"block problem and text problem", "", arr(section("")), []string{"/blocks/0/text/text", "/text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pointers(CheckMessage(tt.text, []byte(tt.blocks)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("CheckMessage problems at %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckPayload(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"good", `{"text":"hi","blocks":` + arr(section("x")) + `,"replace_original":true}`, nil},
		{"slack-go null blocks", `{"text":"replaced","replace_original":true,"metadata":{"event_type":"","event_payload":null},"blocks":null}`, nil},
		{"no text", `{"blocks":` + arr(section("x")) + `}`, []string{"/text"}},
		{"text not a string", `{"text":3,"blocks":` + arr(section("x")) + `}`, []string{"/text", "/text"}},
		{"bad block", `{"text":"x","blocks":[{"type":"header","text":` + mrkdwn("h") + `}]}`, []string{"/blocks/0/text/type"}},
		{"not json", `text=hi`, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pointers(CheckPayload([]byte(tt.body)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("CheckPayload problems at %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCheckSlackGoBlocks checks what slack-go marshals, as the bot sends it.
func TestCheckSlackGoBlocks(t *testing.T) {
	good := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "3 contacts", true, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*x*", false, true), nil, nil),
		slack.NewContextBlock("c", slack.NewTextBlockObject(slack.MarkdownType, "ctx", false, false)),
		slack.NewActionBlock("pager", slack.NewButtonBlockElement("inbox_next", "v", slack.NewTextBlockObject(slack.PlainTextType, "Next", true, false))),
	}
	raw, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	if p := CheckMessage("fallback", raw); len(p) != 0 {
		t.Errorf("slack-go blocks: %v", p)
	}
	// A mrkdwn text object built by hand with emoji set is what Slack rejects.
	emoji := true
	bad := []slack.Block{slack.NewSectionBlock(&slack.TextBlockObject{Type: slack.MarkdownType, Text: "x", Emoji: &emoji}, nil, nil)}
	raw, err = json.Marshal(bad)
	if err != nil {
		t.Fatal(err)
	}
	if got := pointers(Check(raw)); !slices.Equal(got, []string{"/blocks/0/text/emoji"}) {
		t.Errorf("mrkdwn with emoji: problems at %q", got)
	}
}

// table returns a table block of rows x cells raw_text cells.
func table(rows, cells int) string {
	row := repeat(`{"type":"raw_text","text":"c"}`, cells)
	return `{"type":"table","rows":` + repeat(row, rows) + `}`
}

func TestCheckTable(t *testing.T) {
	tests := []struct {
		name   string
		blocks string
		want   []string
	}{
		{"small table", arr(table(3, 2)), nil},
		{"100 rows of 20 cells", arr(table(100, 20)), nil},
		{"column settings and rich text", `[{"type":"table","column_settings":[{"align":"right","is_wrapped":true},null],"rows":[[{"type":"raw_text","text":"a"},{"type":"rich_text","elements":[]}]]}]`, nil},
		{"101 rows", arr(table(101, 2)), []string{"/blocks/0/rows"}},
		{"21 cells", arr(table(2, 21)), []string{"/blocks/0/rows/0", "/blocks/0/rows/1"}},
		{"two tables", arr(table(1, 1), table(1, 1)), []string{"/blocks/1"}},
		{"no rows", `[{"type":"table"}]`, []string{"/blocks/0/rows"}},
		{"empty rows", `[{"type":"table","rows":[]}]`, []string{"/blocks/0/rows"}},
		{"empty row", `[{"type":"table","rows":[[]]}]`, []string{"/blocks/0/rows/0"}},
		{"row not an array", `[{"type":"table","rows":[{"type":"raw_text","text":"a"}]}]`, []string{"/blocks/0/rows/0"}},
		{"null cell", `[{"type":"table","rows":[[null]]}]`, []string{"/blocks/0/rows/0/0"}},
		{"cell without text", `[{"type":"table","rows":[[{"type":"raw_text"}]]}]`, []string{"/blocks/0/rows/0/0/text"}},
		{"mrkdwn cell", `[{"type":"table","rows":[[{"type":"mrkdwn","text":"a"}]]}]`, []string{"/blocks/0/rows/0/0/type"}},
		{"bad align", `[{"type":"table","column_settings":[{"align":"middle"}],"rows":[[{"type":"raw_text","text":"a"}]]}]`, []string{"/blocks/0/column_settings/0/align"}},
		{"21 column settings", `[{"type":"table","column_settings":` + repeat(`{"align":"left"}`, 21) + `,"rows":[[{"type":"raw_text","text":"a"}]]}]`, []string{"/blocks/0/column_settings"}},
		{"cell text counts towards the total", arr(section(strings.Repeat("x", 2900)), section(strings.Repeat("x", 2900)), section(strings.Repeat("x", 2900)), section(strings.Repeat("x", 2900)),
			`{"type":"table","rows":[[{"type":"raw_text","text":`+txt(strings.Repeat("t", 500))+`}]]}`), []string{"/blocks"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pointers(Check([]byte(tt.blocks))); !slices.Equal(got, tt.want) {
				t.Errorf("Check problems at %q, want %q\n%v", got, tt.want, Check([]byte(tt.blocks)))
			}
		})
	}
}

// TestCheckSlackGoTable checks the table block as slack-go marshals it.
func TestCheckSlackGoTable(t *testing.T) {
	tb := slack.NewTableBlock("digest_breakdown").WithColumnSettings(slack.ColumnSetting{Align: slack.ColumnAlignmentLeft}, slack.ColumnSetting{Align: slack.ColumnAlignmentRight})
	tb.AddRow(slack.NewTableRawTextCell("Channel"), slack.NewTableRawTextCell("Contacts"))
	tb.AddRow(slack.NewTableRawTextCell("WhatsApp"), slack.NewTableRawTextCell("12"))
	raw, err := json.Marshal([]slack.Block{tb})
	if err != nil {
		t.Fatal(err)
	}
	if p := Check(raw); len(p) != 0 {
		t.Errorf("slack-go table: %v", p)
	}
	for range 100 {
		tb.AddRow(slack.NewTableRawTextCell("x"), slack.NewTableRawTextCell("1"))
	}
	raw, err = json.Marshal([]slack.Block{tb})
	if err != nil {
		t.Fatal(err)
	}
	if got := pointers(Check(raw)); !slices.Equal(got, []string{"/blocks/0/rows"}) {
		t.Errorf("102-row table: problems at %q", got)
	}
}

func TestProblemString(t *testing.T) {
	p := Problem{Pointer: "/blocks/0/text/text", Message: "must not be empty"}
	if got, want := p.String(), "must not be empty [json-pointer:/blocks/0/text/text]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(arr(section("x"), `{"type":"actions","elements":[`+button("a", "b", "c")+`]}`)))
	f.Add([]byte(`[{"type":"context","elements":[{"type":"image"}]},{"type":"section","fields":[1]}]`))
	f.Add([]byte(`{"text":null}`))
	f.Add([]byte(arr(table(2, 2), `{"type":"table","rows":[[null,{"type":"rich_text"}]],"column_settings":[1]}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range Check(data) {
			if p.Pointer != "" && !strings.HasPrefix(p.Pointer, "/blocks") {
				t.Errorf("pointer %q outside /blocks", p.Pointer)
			}
		}
		CheckPayload(data)
	})
}

func pointers(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Pointer)
	}
	return out
}
