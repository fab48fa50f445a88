package commands

import (
	"fmt"
	"slices"
	"strings"

	"github.com/convertalk/inboxbot/inbox"
)

// BotAlias is one bot of INBOX_BOTS: the channel it serves and its id.
type BotAlias struct {
	Channel inbox.Channel
	ID      string // 24 hex characters, lower case
}

// AgentAlias is one agent of INBOX_AGENTS: its id and, optionally, the Slack
// user it is, which is what makes `@me` and `mine` work for that person.
type AgentAlias struct {
	ID        string // 24 hex characters, lower case
	SlackUser string // a Slack user id such as U024BE7LH, or ""
}

// Aliases are the names the query language accepts instead of the API's
// 24-hex ids. Map keys are lower case.
type Aliases struct {
	Bots     map[string]BotAlias   // name -> bot
	Agents   map[string]AgentAlias // name -> agent
	Segments map[string]string     // name -> segment id
}

// maxAliasName bounds alias names so that canonical queries stay short.
const maxAliasName = 40

// ParseBots reads INBOX_BOTS: "name=channel:id,..." e.g.
// "sales=whatsapp:65f0c1d2e3f4a5b6c7d8e9f0,web=website:65f0c1d2e3f4a5b6c7d8e9f1".
// An empty string is no aliases.
func ParseBots(s string) (map[string]BotAlias, error) {
	bots := map[string]BotAlias{}
	err := eachAlias(s, "", func(name, value string) error {
		channelText, id, ok := strings.Cut(value, ":")
		if !ok {
			return fmt.Errorf("%q is not channel:id", value)
		}
		channel, ok := inbox.ParseChannel(channelText)
		if !ok {
			return fmt.Errorf("%q is not a channel (website, whatsapp, telegram or facebook)", channelText)
		}
		if !isHexID(id) {
			return fmt.Errorf("%q is not a bot id (24 hex characters)", id)
		}
		bots[name] = BotAlias{Channel: channel, ID: strings.ToLower(id)}
		return nil
	})
	return bots, err
}

// ParseAgents reads INBOX_AGENTS: "name=agentId[@SlackUserID],..." e.g.
// "alice=65ab12cd34ef56ab78cd90ef@U024BE7LH,bob=65ab12cd34ef56ab78cd90f0".
// The name "me" is reserved (assigned:me means the invoking user), and one
// Slack user may stand for one agent only, so that @me is never ambiguous.
func ParseAgents(s string) (map[string]AgentAlias, error) {
	agents := map[string]AgentAlias{}
	slackUsers := map[string]string{}
	err := eachAlias(s, "me", func(name, value string) error {
		id, user, hasUser := strings.Cut(value, "@")
		if !isHexID(id) {
			return fmt.Errorf("%q is not an agent id (24 hex characters)", id)
		}
		a := AgentAlias{ID: strings.ToLower(id)}
		if hasUser {
			a.SlackUser = strings.ToUpper(strings.TrimSpace(user))
			if !isSlackUserID(a.SlackUser) {
				return fmt.Errorf("%q is not a Slack user id (like U024BE7LH)", user)
			}
			if other, dup := slackUsers[a.SlackUser]; dup {
				return fmt.Errorf("Slack user %s is already agent %q", a.SlackUser, other)
			}
			slackUsers[a.SlackUser] = name
		}
		agents[name] = a
		return nil
	})
	return agents, err
}

// ParseSegments reads INBOX_SEGMENTS: "name=segmentId,..." e.g.
// "returning=65ab12cd34ef56ab78cd90ef".
func ParseSegments(s string) (map[string]string, error) {
	segments := map[string]string{}
	err := eachAlias(s, "", func(name, value string) error {
		if !isHexID(value) {
			return fmt.Errorf("%q is not a segment id (24 hex characters)", value)
		}
		segments[name] = strings.ToLower(value)
		return nil
	})
	return segments, err
}

// eachAlias splits a "name=value,..." list, checks the names (unique, usable
// in a query, not reserved) and hands each entry to fn. Errors name the entry.
func eachAlias(s, reserved string, fn func(name, value string) error) error {
	seen := map[string]bool{}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue // tolerate "a=x," and stray commas
		}
		nameText, value, ok := strings.Cut(entry, "=")
		name := strings.ToLower(strings.TrimSpace(nameText))
		value = strings.TrimSpace(value)
		var err error
		switch {
		case !ok:
			err = fmt.Errorf("no %q", "=")
		case !isAliasName(name):
			err = fmt.Errorf("%q is not a usable name (a letter, then letters, digits, - or _; at most %d)", nameText, maxAliasName)
		case isHexID(name):
			err = fmt.Errorf("%q looks like an id, not a name", nameText)
		case name == reserved:
			err = fmt.Errorf("%q is reserved", nameText)
		case seen[name]:
			err = fmt.Errorf("%q is defined twice", name)
		default:
			err = fn(name, value)
		}
		if err != nil {
			return fmt.Errorf("bad entry %q: %w", entry, err)
		}
		seen[name] = true
	}
	return nil
}

func isAliasName(s string) bool {
	if s == "" || len(s) > maxAliasName || !isASCIILower(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isASCIILower(c) && !isASCIIDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// isID reports whether s is one of the API's ids: 24 hex characters.
func isHexID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isASCIIHex(s[i]) {
			return false
		}
	}
	return true
}

// isSlackUserID accepts Slack user ids (U… or W… for Enterprise Grid).
func isSlackUserID(s string) bool {
	if len(s) < 3 || len(s) > 20 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isASCIIUpper(s[i]) && !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}

func isASCIILower(c byte) bool  { return 'a' <= c && c <= 'z' }
func isASCIIUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isASCIIDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isASCIILetter(c byte) bool { return isASCIILower(c) || isASCIIUpper(c) }
func isASCIIHex(c byte) bool {
	return isASCIIDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// agentName returns the alias of agent id (the first name in order when
// several share it), or "" when it has none.
func (a Aliases) agentName(id string) string {
	var best string
	for name, agent := range a.Agents {
		if agent.ID == id && (best == "" || name < best) {
			best = name
		}
	}
	return best
}

// agentForSlackUser returns the alias of the agent that Slack user is.
func (a Aliases) agentForSlackUser(user string) (string, AgentAlias, bool) {
	var best string
	for name, agent := range a.Agents {
		if agent.SlackUser != "" && strings.EqualFold(agent.SlackUser, user) && (best == "" || name < best) {
			best = name
		}
	}
	if best == "" {
		return "", AgentAlias{}, false
	}
	return best, a.Agents[best], true
}

// segmentName returns the alias of segment id, or "".
func (a Aliases) segmentName(id string) string {
	var best string
	for name, seg := range a.Segments {
		if seg == id && (best == "" || name < best) {
			best = name
		}
	}
	return best
}

// botName returns the alias of the bot with that channel and id, or "".
func (a Aliases) botName(ch inbox.Channel, id string) string {
	var best string
	for name, bot := range a.Bots {
		if bot.Channel == ch && bot.ID == id && (best == "" || name < best) {
			best = name
		}
	}
	return best
}

// botByID finds a configured bot by id alone.
func (a Aliases) botByID(id string) (string, BotAlias, bool) {
	var best string
	for name, bot := range a.Bots {
		if bot.ID == id && (best == "" || name < best) {
			best = name
		}
	}
	if best == "" {
		return "", BotAlias{}, false
	}
	return best, a.Bots[best], true
}

// botIDs returns the ids of every configured bot of channel ch, sorted.
func (a Aliases) botIDs(ch inbox.Channel) []string {
	var ids []string
	for _, bot := range a.Bots {
		if bot.Channel == ch && !slices.Contains(ids, bot.ID) {
			ids = append(ids, bot.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// names returns the sorted keys of an alias map, for error messages.
func aliasNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for name := range m {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
