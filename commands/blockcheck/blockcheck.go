// Package blockcheck checks Block Kit payloads against Slack's limits on the
// raw JSON, the way Slack sees them, so that tests (and the fake Slack) can
// answer invalid_blocks before the real Slack does.
//
// Lengths are counted in characters (Unicode code points), as Slack's
// documentation states them. The limits come from Slack's documentation and
// its @slack/types package (see the project's slack-facts.md §4.1); where
// Slack documents nothing, the check says so in its doc comment.
package blockcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Slack's limits, in characters unless said otherwise.
const (
	MaxBlocks          = 50    // blocks per message
	MaxHeaderText      = 150   // header plain_text
	MaxSectionText     = 3000  // section text
	MaxSectionFields   = 10    // section fields
	MaxFieldText       = 2000  // each section field
	MaxContextElements = 10    // context elements
	MaxContextText     = 3000  // each context text: the generic text object limit (context itself documents none)
	MaxActionElements  = 25    // actions elements
	MaxButtonText      = 75    // button text
	MaxButtonValue     = 2000  // button value
	MaxButtonURL       = 3000  // button url
	MaxAccessibility   = 75    // button accessibility_label
	MaxActionID        = 255   // action_id
	MaxBlockID         = 255   // block_id
	MaxImageAltText    = 2000  // image alt_text and title
	MaxMarkdownTotal   = 12000 // markdown blocks, cumulative per message
	MaxMessageText     = 40000 // top-level text (Slack truncates beyond)
	MaxTableRows       = 100   // table rows
	MaxTableCells      = 20    // cells in each table row
	MaxTableColumns    = 20    // table column_settings
	MaxTables          = 1     // table blocks per message (only_one_table_allowed)
	// MaxBlocksText bounds the text of all text objects of a message
	// together. Slack does not document it; it answers msg_blocks_too_long
	// at about 12,000-13,000 characters (bolt-js#2509, #2867), and Slack
	// staff speak of "12,000 text characters".
	MaxBlocksText = 12000
)

// Problem is one violation: where (a JSON pointer such as
// /blocks/3/text/text) and what.
type Problem struct {
	Pointer string
	Message string
}

// String writes the problem the way Slack's response_metadata does.
func (p Problem) String() string {
	return p.Message + " [json-pointer:" + p.Pointer + "]"
}

// Check checks a JSON array of blocks (the "blocks" of a message; null or
// empty means none). Pointers start with /blocks.
func Check(blocksJSON []byte) []Problem {
	c := newChecker()
	c.checkBlocksJSON(blocksJSON)
	return c.problems
}

// CheckMessage checks a whole message: its top-level text (the notification
// fallback) and its blocks. Slack needs text or blocks; we also require the
// fallback text whenever blocks are present, as Slack recommends.
func CheckMessage(text string, blocksJSON []byte) []Problem {
	c := newChecker()
	n := c.checkBlocksJSON(blocksJSON)
	c.checkText(text, n)
	return c.problems
}

// CheckPayload checks a message body as JSON, such as a response_url POST or
// a chat.postMessage JSON body: {"text": ..., "blocks": [...]}. Other fields
// are ignored.
func CheckPayload(body []byte) []Problem {
	var msg struct {
		Text   *json.RawMessage `json:"text"`
		Blocks json.RawMessage  `json:"blocks"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return []Problem{{Pointer: "", Message: "invalid JSON: " + err.Error()}}
	}
	var text string
	c := newChecker()
	if msg.Text != nil && string(*msg.Text) != "null" {
		if err := json.Unmarshal(*msg.Text, &text); err != nil {
			c.add("/text", "must be a string")
		}
	}
	n := c.checkBlocksJSON(msg.Blocks)
	c.checkText(text, n)
	return c.problems
}

type checker struct {
	problems  []Problem
	blockIDs  map[string]string // block_id -> pointer of its first use
	actionIDs map[string]string // action_id -> pointer of its first use
	textTotal int               // characters of all text objects
	markdown  int               // characters of all markdown blocks
	tables    int               // table blocks seen
}

func newChecker() *checker {
	return &checker{blockIDs: map[string]string{}, actionIDs: map[string]string{}}
}

func (c *checker) add(pointer, format string, args ...any) {
	c.problems = append(c.problems, Problem{Pointer: pointer, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) checkText(text string, blocks int) {
	if n := utf8.RuneCountInString(text); n > MaxMessageText {
		c.add("/text", "must be at most %d characters (got %d)", MaxMessageText, n)
	}
	if strings.TrimSpace(text) != "" {
		return
	}
	if blocks == 0 {
		c.add("/text", "message needs text or blocks (no_text)")
	} else {
		c.add("/text", "a message with blocks needs a non-empty text fallback for notifications")
	}
}

// checkBlocksJSON decodes and checks the blocks array; it returns how many
// blocks there are.
func (c *checker) checkBlocksJSON(raw []byte) int {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		c.add("/blocks", "invalid JSON: %v", err)
		return 0
	}
	blocks, ok := v.([]any)
	if !ok {
		c.add("/blocks", "must be an array of blocks")
		return 0
	}
	if len(blocks) > MaxBlocks {
		c.add("/blocks", "must have at most %d blocks (got %d)", MaxBlocks, len(blocks))
	}
	for i, b := range blocks {
		c.checkBlock(b, "/blocks/"+strconv.Itoa(i))
	}
	if c.textTotal > MaxBlocksText {
		c.add("/blocks", "blocks carry %d characters of text; Slack answers msg_blocks_too_long above about %d", c.textTotal, MaxBlocksText)
	}
	if c.markdown > MaxMarkdownTotal {
		c.add("/blocks", "markdown blocks carry %d characters; at most %d per message", c.markdown, MaxMarkdownTotal)
	}
	return len(blocks)
}

// knownBlocks are the block types Slack accepts in messages; the ones we
// render are checked in depth, the others only for type and block_id.
var knownBlocks = map[string]bool{
	"section": true, "divider": true, "image": true, "actions": true, "context": true,
	"file": true, "input": true, "header": true, "rich_text": true, "video": true,
	"markdown": true, "table": true, "call": true, "context_actions": true,
}

func (c *checker) checkBlock(v any, ptr string) {
	b, ok := v.(map[string]any)
	if !ok {
		c.add(ptr, "must be a block object")
		return
	}
	typ, ok := b["type"].(string)
	if !ok {
		c.add(ptr+"/type", "missing required field: type")
		return
	}
	c.checkBlockID(b, ptr)
	switch typ {
	case "header":
		c.checkTextObject(b, "text", ptr, textRule{required: true, plainOnly: true, max: MaxHeaderText})
	case "section":
		c.checkSection(b, ptr)
	case "context":
		c.checkContext(b, ptr)
	case "actions":
		c.checkActions(b, ptr)
	case "image":
		c.checkImage(b, ptr)
	case "markdown":
		c.checkMarkdown(b, ptr)
	case "table":
		c.checkTable(b, ptr)
	case "rich_text":
		if _, ok := b["elements"].([]any); !ok {
			c.add(ptr+"/elements", "missing required field: elements (array)")
		}
	default:
		if !knownBlocks[typ] {
			c.add(ptr+"/type", "unknown block type %q", typ)
		}
	}
}

func (c *checker) checkBlockID(b map[string]any, ptr string) {
	c.checkUniqueID(b, "block_id", MaxBlockID, c.blockIDs, ptr)
}

// checkUniqueID checks an optional id field (block_id, action_id): a
// non-empty string within max characters, unique among seen.
func (c *checker) checkUniqueID(obj map[string]any, key string, max int, seen map[string]string, ptr string) {
	raw, present := obj[key]
	if !present {
		return
	}
	id, ok := raw.(string)
	switch {
	case !ok:
		c.add(ptr+"/"+key, "must be a string")
	case id == "":
		c.add(ptr+"/"+key, "must not be empty")
	case utf8.RuneCountInString(id) > max:
		c.add(ptr+"/"+key, "must be at most %d characters", max)
	default:
		if first, dup := seen[id]; dup {
			c.add(ptr+"/"+key, "duplicate %s %q (first at %s)", key, id, first)
			return
		}
		seen[id] = ptr
	}
}

// textRule says what a text object field must be.
type textRule struct {
	required  bool
	plainOnly bool
	max       int
}

// checkTextObject checks the text object at parent[key].
func (c *checker) checkTextObject(parent map[string]any, key, ptr string, r textRule) {
	v, present := parent[key]
	if !present || v == nil {
		if r.required {
			c.add(ptr+"/"+key, "missing required field: %s", key)
		}
		return
	}
	c.checkTextValue(v, ptr+"/"+key, r)
}

func (c *checker) checkTextValue(v any, ptr string, r textRule) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.add(ptr, "must be a text object")
		return
	}
	typ, _ := obj["type"].(string)
	switch {
	case typ != "plain_text" && typ != "mrkdwn":
		c.add(ptr+"/type", "text object type must be plain_text or mrkdwn (got %q)", typ)
	case r.plainOnly && typ != "plain_text":
		c.add(ptr+"/type", "must be plain_text")
	}
	if _, has := obj["emoji"]; has {
		if typ == "mrkdwn" {
			c.add(ptr+"/emoji", "emoji is not allowed on mrkdwn text")
		} else if _, ok := obj["emoji"].(bool); !ok {
			c.add(ptr+"/emoji", "must be a boolean")
		}
	}
	if vb, has := obj["verbatim"]; has {
		if _, ok := vb.(bool); !ok {
			c.add(ptr+"/verbatim", "must be a boolean")
		}
	}
	text, ok := obj["text"].(string)
	if !ok {
		c.add(ptr+"/text", "missing required field: text (string)")
		return
	}
	n := utf8.RuneCountInString(text)
	c.textTotal += n
	switch {
	case n == 0:
		c.add(ptr+"/text", "must not be empty")
	case n > r.max:
		c.add(ptr+"/text", "must be at most %d characters (got %d)", r.max, n)
	}
}

func (c *checker) checkSection(b map[string]any, ptr string) {
	_, hasText := b["text"]
	fields, hasFields := b["fields"]
	if !hasText && !hasFields {
		c.add(ptr, "section needs text or fields")
	}
	c.checkTextObject(b, "text", ptr, textRule{max: MaxSectionText})
	if hasFields {
		list, ok := fields.([]any)
		switch {
		case !ok:
			c.add(ptr+"/fields", "must be an array of text objects")
		case len(list) == 0 && !hasText:
			c.add(ptr+"/fields", "must not be empty")
		case len(list) > MaxSectionFields:
			c.add(ptr+"/fields", "must have at most %d items (got %d)", MaxSectionFields, len(list))
		}
		for i, f := range list {
			c.checkTextValue(f, ptr+"/fields/"+strconv.Itoa(i), textRule{max: MaxFieldText})
		}
	}
	if acc, has := b["accessory"]; has {
		c.checkElement(acc, ptr+"/accessory")
	}
}

func (c *checker) checkContext(b map[string]any, ptr string) {
	list, ok := b["elements"].([]any)
	switch {
	case !ok:
		c.add(ptr+"/elements", "missing required field: elements (array)")
		return
	case len(list) == 0:
		c.add(ptr+"/elements", "must not be empty")
	case len(list) > MaxContextElements:
		c.add(ptr+"/elements", "must have at most %d items (got %d)", MaxContextElements, len(list))
	}
	for i, e := range list {
		p := ptr + "/elements/" + strconv.Itoa(i)
		obj, ok := e.(map[string]any)
		if !ok {
			c.add(p, "must be a text or image element")
			continue
		}
		switch obj["type"] {
		case "image":
			c.checkImageElement(obj, p)
		default:
			c.checkTextValue(obj, p, textRule{max: MaxContextText})
		}
	}
}

func (c *checker) checkActions(b map[string]any, ptr string) {
	list, ok := b["elements"].([]any)
	switch {
	case !ok:
		c.add(ptr+"/elements", "missing required field: elements (array)")
		return
	case len(list) == 0:
		c.add(ptr+"/elements", "must not be empty")
	case len(list) > MaxActionElements:
		c.add(ptr+"/elements", "must have at most %d items (got %d)", MaxActionElements, len(list))
	}
	for i, e := range list {
		c.checkElement(e, ptr+"/elements/"+strconv.Itoa(i))
	}
}

// interactiveElements are the element types that carry an action_id.
var interactiveElements = map[string]bool{
	"button": true, "overflow": true, "datepicker": true, "timepicker": true, "datetimepicker": true,
	"checkboxes": true, "radio_buttons": true, "static_select": true, "external_select": true,
	"users_select": true, "conversations_select": true, "channels_select": true,
	"multi_static_select": true, "multi_external_select": true, "multi_users_select": true,
	"multi_conversations_select": true, "multi_channels_select": true, "workflow_button": true,
	"plain_text_input": true, "email_text_input": true, "url_text_input": true, "number_input": true,
	"rich_text_input": true, "file_input": true,
}

func (c *checker) checkElement(v any, ptr string) {
	e, ok := v.(map[string]any)
	if !ok {
		c.add(ptr, "must be an element object")
		return
	}
	typ, _ := e["type"].(string)
	switch {
	case typ == "image":
		c.checkImageElement(e, ptr)
		return
	case !interactiveElements[typ]:
		c.add(ptr+"/type", "unknown element type %q", typ)
		return
	}
	c.checkActionID(e, ptr)
	if typ == "button" {
		c.checkButton(e, ptr)
	}
}

func (c *checker) checkActionID(e map[string]any, ptr string) {
	c.checkUniqueID(e, "action_id", MaxActionID, c.actionIDs, ptr)
}

func (c *checker) checkButton(e map[string]any, ptr string) {
	c.checkTextObject(e, "text", ptr, textRule{required: true, plainOnly: true, max: MaxButtonText})
	c.checkString(e, "value", ptr, MaxButtonValue)
	c.checkString(e, "url", ptr, MaxButtonURL)
	c.checkString(e, "accessibility_label", ptr, MaxAccessibility)
	if s, has := e["style"]; has && s != "primary" && s != "danger" {
		c.add(ptr+"/style", "must be primary or danger")
	}
}

// checkString checks an optional string field of 1..max characters.
func (c *checker) checkString(obj map[string]any, key, ptr string, max int) {
	raw, present := obj[key]
	if !present {
		return
	}
	s, ok := raw.(string)
	switch n := utf8.RuneCountInString(s); {
	case !ok:
		c.add(ptr+"/"+key, "must be a string")
	case n == 0:
		c.add(ptr+"/"+key, "must not be empty")
	case n > max:
		c.add(ptr+"/"+key, "must be at most %d characters (got %d)", max, n)
	}
}

func (c *checker) checkImage(b map[string]any, ptr string) {
	c.checkImageElement(b, ptr)
	c.checkTextObject(b, "title", ptr, textRule{plainOnly: true, max: MaxImageAltText})
}

func (c *checker) checkImageElement(e map[string]any, ptr string) {
	_, hasURL := e["image_url"]
	_, hasFile := e["slack_file"]
	if !hasURL && !hasFile {
		c.add(ptr+"/image_url", "missing required field: image_url or slack_file")
	}
	c.checkString(e, "image_url", ptr, MaxButtonURL)
	if _, has := e["alt_text"]; !has {
		c.add(ptr+"/alt_text", "missing required field: alt_text")
	}
	c.checkString(e, "alt_text", ptr, MaxImageAltText)
}

func (c *checker) checkMarkdown(b map[string]any, ptr string) {
	text, ok := b["text"].(string)
	if !ok || text == "" {
		c.add(ptr+"/text", "missing required field: text (string)")
		return
	}
	n := utf8.RuneCountInString(text)
	c.markdown += n
	c.textTotal += n
}

// checkTable checks a table block: 1 to 100 rows of 1 to 20 cells, each a
// raw_text cell (text, a string), a rich_text cell (elements) or a
// raw_number cell (value, a number); at most 20 column_settings; one table
// per message. Slack documents no limit on a cell's text; its characters
// count towards MaxBlocksText, since Slack does not say they do not.
func (c *checker) checkTable(b map[string]any, ptr string) {
	c.tables++
	if c.tables > MaxTables {
		c.add(ptr, "a message may have at most %d table block (only_one_table_allowed)", MaxTables)
	}
	rows, ok := b["rows"].([]any)
	switch {
	case !ok:
		c.add(ptr+"/rows", "missing required field: rows (array)")
	case len(rows) == 0:
		c.add(ptr+"/rows", "must not be empty")
	case len(rows) > MaxTableRows:
		c.add(ptr+"/rows", "must have at most %d rows (got %d)", MaxTableRows, len(rows))
	}
	for i, r := range rows {
		c.checkTableRow(r, ptr+"/rows/"+strconv.Itoa(i))
	}
	if raw, has := b["column_settings"]; has {
		c.checkColumnSettings(raw, ptr+"/column_settings")
	}
}

func (c *checker) checkTableRow(v any, ptr string) {
	cells, ok := v.([]any)
	switch {
	case !ok:
		c.add(ptr, "must be an array of cells")
		return
	case len(cells) == 0:
		c.add(ptr, "must not be empty")
	case len(cells) > MaxTableCells:
		c.add(ptr, "must have at most %d cells (got %d)", MaxTableCells, len(cells))
	}
	for i, cell := range cells {
		c.checkTableCell(cell, ptr+"/"+strconv.Itoa(i))
	}
}

func (c *checker) checkTableCell(v any, ptr string) {
	cell, ok := v.(map[string]any)
	if !ok {
		c.add(ptr, "must be a cell object (raw_text or rich_text)")
		return
	}
	switch typ, _ := cell["type"].(string); typ {
	case "raw_text":
		text, ok := cell["text"].(string)
		if !ok {
			c.add(ptr+"/text", "missing required field: text (string)")
			return
		}
		c.textTotal += utf8.RuneCountInString(text)
	case "rich_text":
		if _, ok := cell["elements"].([]any); !ok {
			c.add(ptr+"/elements", "missing required field: elements (array)")
		}
	case "raw_number":
		if _, ok := cell["value"].(float64); !ok {
			c.add(ptr+"/value", "missing required field: value (number)")
		}
	default:
		c.add(ptr+"/type", "cell type must be raw_text or rich_text (got %q)", typ)
	}
}

func (c *checker) checkColumnSettings(raw any, ptr string) {
	list, ok := raw.([]any)
	switch {
	case !ok:
		c.add(ptr, "must be an array")
		return
	case len(list) > MaxTableColumns:
		c.add(ptr, "must have at most %d items (got %d)", MaxTableColumns, len(list))
	}
	for i, s := range list {
		p := ptr + "/" + strconv.Itoa(i)
		obj, ok := s.(map[string]any)
		if !ok {
			if s != nil { // Slack accepts null for a column with the defaults
				c.add(p, "must be an object")
			}
			continue
		}
		if a, has := obj["align"]; has && a != "left" && a != "center" && a != "right" {
			c.add(p+"/align", "must be left, center or right")
		}
		if w, has := obj["is_wrapped"]; has {
			if _, ok := w.(bool); !ok {
				c.add(p+"/is_wrapped", "must be a boolean")
			}
		}
	}
}
