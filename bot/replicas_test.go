package bot

// The replica test (SPEC §9, issue 10): three real `inboxbot run` processes
// on one fake Slack (each with its own Socket Mode connection), one fake
// inbox over HTTP and a real Redis this test starts, stops and restarts.
// Commands are served by all three; a digest `every 1m` is posted once per
// slot while a replica is SIGKILLed before a slot and Redis is down over a
// slot and bounced between slots; /readyz follows Redis. It runs on real
// time (a few minutes: slots are wall-clock minutes) and waits by polling
// with deadlines, or with a timer for a wall-clock instant.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// redisServer is a redis-server process of the test's own, on a port of its
// own, with an append-only file fsynced at every write so that a restart
// keeps every write it acknowledged.
type redisServer struct {
	t    *testing.T
	path string
	port int
	dir  string
	cmd  *exec.Cmd
}

// needRedis returns redis-server's path, or skips the test when it is not
// installed and CI is not set (under CI a missing Redis fails the test).
func needRedis(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the replica test needs redis-server on PATH under CI: %v", err)
		}
		t.Skip("skipped: redis-server is not on PATH (install Redis to run the replica test; under CI=true this fails)")
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startRedis(t *testing.T, path string) *redisServer {
	t.Helper()
	r := &redisServer{t: t, path: path, port: freePort(t), dir: t.TempDir()}
	r.start()
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.path, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("redis-server: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pollEvery(r.t, ctx, 20*time.Millisecond, "redis-server answering PING", r.pings)
}

// pings reports whether the server answers PING.
func (r *redisServer) pings() bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", r.port), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// stop ends the server (SIGTERM: it flushes and exits) and waits for it.
func (r *redisServer) stop() {
	if r.cmd == nil || r.cmd.Process == nil || r.cmd.ProcessState != nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	r.cmd.Wait()
}

// replicaProc is one `inboxbot run` process.
type replicaProc struct {
	name string
	cmd  *exec.Cmd
	logs *lockedBuffer
	addr string // HTTP_ADDR as it listens
	done chan struct{}
}

// buildInboxbot builds the real binary once into a temporary directory.
func buildInboxbot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "inboxbot")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/convertalk/inboxbot")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startReplica(t *testing.T, ctx context.Context, bin, name string, env map[string]string) *replicaProc {
	t.Helper()
	p := &replicaProc{name: name, logs: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "run")
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, p.logs.String())
		}
		select {
		case <-p.done:
			return
		default:
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
			t.Errorf("%s did not exit within 30s of SIGTERM", name)
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("%s exited %d after SIGTERM", name, code)
		}
	})
	pollEvery(t, ctx, 20*time.Millisecond, name+"'s start-up log line", func() bool {
		for _, rec := range p.lines("inboxbot starting") {
			p.addr, _ = rec["http"].(string)
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited at start:\n%s", name, p.logs.String())
		default:
		}
		return p.addr != ""
	})
	return p
}

// lines returns the process's JSON log lines with message msg.
func (p *replicaProc) lines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(p.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// readyz returns the status of GET /readyz (0 when it cannot be asked).
func (p *replicaProc) readyz() int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + p.addr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// kill SIGKILLs the process: no drain, no release of anything it holds.
func (p *replicaProc) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Kill()
	<-p.done
}

// posted reports the slots the process logged as posted by it.
func (p *replicaProc) posted(id string) []string {
	var out []string
	for _, rec := range p.lines("digest") {
		if rec["id"] == id && rec["trigger"] == "schedule" && (rec["outcome"] == digestPosted || rec["outcome"] == digestLate) {
			s, _ := rec["slot"].(string)
			out = append(out, s)
		}
	}
	return out
}

// pollEvery is slacktest.Poll with an interval, for conditions that cost a
// request to check.
func pollEvery(tb testing.TB, ctx context.Context, every time.Duration, what string, cond func() bool) {
	tb.Helper()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			tb.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
	}
}

// waitUntil waits for a wall-clock instant (a slot boundary, or just before).
func waitUntil(t *testing.T, ctx context.Context, at time.Time) {
	t.Helper()
	timer := time.NewTimer(time.Until(at))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		t.Fatalf("waiting for %s: %v", at.Format(time.TimeOnly), ctx.Err())
	}
}

// slotPosts counts, per slot, the chat.postMessage calls Slack accepted that
// carry digest id's metadata.
func slotPosts(slack *slacktest.Server, id string) map[string]int {
	out := map[string]int{}
	for _, c := range slack.Calls(postMessage) {
		if c.Status != http.StatusOK || c.Error != "" {
			continue
		}
		var meta struct {
			EventType    string            `json:"event_type"`
			EventPayload map[string]string `json:"event_payload"`
		}
		if json.Unmarshal([]byte(c.Params["metadata"]), &meta) != nil || meta.EventType != digestEventType || meta.EventPayload["digest"] != id {
			continue
		}
		out[meta.EventPayload["slot"]]++
	}
	return out
}

// probeTag is the tag the replica test's alert counts: no generated
// contact has it; the test gives it to one and takes it away.
const probeTag = "h5probe"

func tagProbe(inbox *inboxtest.Server, on bool) {
	inbox.UpdateContacts(func(cs []inboxtest.Contact) []inboxtest.Contact {
		tags := slices.DeleteFunc(slices.Clone(cs[0].Tags), func(tag string) bool { return tag == probeTag })
		if on {
			tags = append(tags, probeTag)
		}
		cs[0].Tags = tags
		return cs
	})
}

// alertPosts returns, by incident, the top-level messages posted for alert id.
func alertPosts(slack *slacktest.Server, id string) map[int][]slacktest.Message {
	out := map[int][]slacktest.Message{}
	for _, m := range slack.Messages() {
		if m.Method != postMessage || m.ThreadTS != "" {
			continue
		}
		var meta struct {
			EventType    string `json:"event_type"`
			EventPayload struct {
				Alert    string `json:"alert"`
				Incident int    `json:"incident"`
			} `json:"event_payload"`
		}
		if json.Unmarshal([]byte(m.Metadata), &meta) != nil || meta.EventType != alertEventType || meta.EventPayload.Alert != id || meta.EventPayload.Incident == 0 {
			continue
		}
		out[meta.EventPayload.Incident] = append(out[meta.EventPayload.Incident], m)
	}
	return out
}

// threadReplies returns the posts in the thread of m.
func threadReplies(slack *slacktest.Server, m slacktest.Message) []slacktest.Message {
	var out []slacktest.Message
	for _, r := range slack.Messages() {
		if r.Method == postMessage && r.Channel == m.Channel && r.ThreadTS == m.TS {
			out = append(out, r)
		}
	}
	return out
}

func TestReplicas(t *testing.T) {
	redisPath := needRedis(t)
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("skipped in -short: the replica test runs for a few minutes of wall-clock slots")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()

	bin := buildInboxbot(t)
	redis := startRedis(t, redisPath)
	slack := slacktest.New(t)
	inbox := inboxtest.New(inboxtest.WithAnchor(e2eAnchor))
	inboxHTTP := httptest.NewServer(inbox)
	t.Cleanup(inboxHTTP.Close)

	env := mainEnv(slack, inboxHTTP.URL)
	env["STORE_URL"] = redis.url()
	env["DIGEST_TZ"] = "UTC"
	env["DIGEST_GRACE"] = "15m"
	env["ALERT_INTERVAL"] = "1s"
	var reps []*replicaProc
	for i := 1; i <= 3; i++ {
		reps = append(reps, startReplica(t, ctx, bin, fmt.Sprintf("replica-%d", i), env))
	}
	live := func() []*replicaProc {
		var out []*replicaProc
		for _, p := range reps {
			select {
			case <-p.done:
			default:
				out = append(out, p)
			}
		}
		return out
	}
	waitReady := func(want int) {
		t.Helper()
		for _, p := range live() {
			pollEvery(t, ctx, 50*time.Millisecond, p.name+" /readyz "+fmt.Sprint(want), func() bool { return p.readyz() == want })
		}
	}
	waitReady(http.StatusOK)
	if err := slack.WaitConnected(ctx, 3); err != nil {
		t.Fatalf("three Socket Mode connections: %v", err)
	}

	// Commands: spread over the three connections, each acked and answered once.
	t.Run("commands", func(t *testing.T) {
		var ds []*slacktest.Delivery
		for range 9 {
			d, err := slack.SlashCommand(ctx, slacktest.SlashOptions{Text: "online"})
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		}
		conns := map[int]int{}
		for _, d := range ds {
			if _, err := d.WaitAck(ctx); err != nil {
				t.Fatalf("envelope %s: %v", d.EnvelopeID, err)
			}
			conns[d.ConnID()]++
		}
		if len(conns) != 3 {
			t.Errorf("acks by connection %v: want all three connections", conns)
		}
		slacktest.Poll(t, ctx, "an answer to each command", func() bool {
			n := 0
			for _, r := range slack.Responses() {
				for _, d := range ds {
					if r.URL == d.ResponseURL {
						n++
					}
				}
			}
			return n >= len(ds)
		})
		for _, d := range ds {
			n := 0
			for _, r := range slack.Responses() {
				if r.URL == d.ResponseURL {
					n++
				}
			}
			if n != 1 {
				t.Errorf("command %s answered %d times", d.EnvelopeID, n)
			}
		}
		logged, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		for _, p := range reps { // the log line follows the answer
			pollEvery(t, logged, 20*time.Millisecond, p.name+" serving a command", func() bool { return len(p.lines("command")) > 0 })
		}
	})

	// An alert that fires while a contact has a tag nobody has yet: its
	// incident is posted once, whichever replica runs the round.
	command := func(text string) {
		t.Helper()
		d, err := slack.SlashCommand(ctx, slacktest.SlashOptions{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.WaitAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	command("alert add count>=1 repeat off tag:" + probeTag)
	pollEvery(t, ctx, 20*time.Millisecond, "the alert's confirmation", func() bool {
		for _, m := range slack.Messages() {
			if m.Method == postMessage && strings.Contains(m.Text+string(m.Blocks), "a1") {
				return true
			}
		}
		return false
	})
	tagProbe(inbox, true)
	pollEvery(t, ctx, 20*time.Millisecond, "incident 1 posted", func() bool { return len(alertPosts(slack, "a1")[1]) > 0 })

	// The digest, added through whichever replica gets the envelope, not
	// within two seconds of a minute: its first slot is the next minute.
	if next := time.Now().Truncate(time.Minute).Add(time.Minute); time.Until(next) < 2*time.Second {
		waitUntil(t, ctx, next)
	}
	sent := time.Now()
	first := sent.Truncate(time.Minute).Add(time.Minute)
	d, err := slack.SlashCommand(ctx, slacktest.SlashOptions{Text: "digest add every 1m online"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitAck(ctx); err != nil {
		t.Fatal(err)
	}
	pollEvery(t, ctx, 20*time.Millisecond, "the digest's confirmation", func() bool {
		for _, m := range slack.Messages() {
			if m.Method == postMessage && strings.Contains(m.Text+string(m.Blocks), "d1") {
				return true
			}
		}
		return false
	})
	added := time.Now()
	slot := func(at time.Time) string { return at.UTC().Format(time.RFC3339) }
	// waitSlot waits until slot s has been posted, then a little more for a
	// double to show, and checks it was posted exactly once.
	waitSlot := func(s time.Time, settle time.Duration) {
		t.Helper()
		t.Logf("%s waiting for slot %s", time.Now().Format(time.TimeOnly), slot(s))
		pollEvery(t, ctx, 20*time.Millisecond, "slot "+slot(s)+" posted", func() bool { return slotPosts(slack, "d1")[slot(s)] > 0 })
		waitUntil(t, ctx, time.Now().Add(settle))
		if n := slotPosts(slack, "d1")[slot(s)]; n != 1 {
			t.Errorf("slot %s posted %d times", slot(s), n)
		}
	}
	// Every replica knows the digest within the resync period; the first
	// slot is at least that far after the add, so any of them may post it.
	s1 := added.Add(digestResync + time.Second).Truncate(time.Minute).Add(time.Minute)
	waitUntil(t, ctx, s1)
	waitSlot(s1, 3*time.Second)

	// SIGKILL the replica that posted the last slot just before the next:
	// the slot is still posted once, by another.
	s2 := s1.Add(time.Minute)
	waitUntil(t, ctx, s2.Add(-3*time.Second))
	var victim *replicaProc
	for _, p := range live() {
		if slices.Contains(p.posted("d1"), slot(s1)) {
			victim = p
		}
	}
	if victim == nil {
		t.Fatalf("no replica logged posting slot %s", slot(s1))
	}
	victim.kill(t)
	t.Logf("killed %s before %s", victim.name, slot(s2))
	waitSlot(s2, 3*time.Second)
	if slices.Contains(victim.posted("d1"), slot(s2)) {
		t.Errorf("the killed %s posted %s", victim.name, slot(s2))
	}
	// A replacement starts and joins without posting anything again.
	reps = append(reps, startReplica(t, ctx, bin, "replica-4", env))
	waitReady(http.StatusOK)

	// Redis down over a slot: /readyz fails on every replica, nothing is
	// posted meanwhile; Redis back within the grace: the slot is posted
	// once, and /readyz recovers.
	s3 := s2.Add(time.Minute)
	waitUntil(t, ctx, s3.Add(-4*time.Second))
	redis.stop()
	waitReady(http.StatusServiceUnavailable)
	waitUntil(t, ctx, s3.Add(4*time.Second))
	if n := slotPosts(slack, "d1")[slot(s3)]; n != 0 {
		t.Errorf("slot %s posted %d times while Redis was down", slot(s3), n)
	}
	redis.start()
	waitReady(http.StatusOK)
	waitSlot(s3, 3*time.Second)

	// Redis bounced between slots: the next slot is posted once.
	s4 := s3.Add(time.Minute)
	waitUntil(t, ctx, s3.Add(20*time.Second))
	redis.stop()
	waitReady(http.StatusServiceUnavailable)
	redis.start()
	waitReady(http.StatusOK)
	waitUntil(t, ctx, s4)
	waitSlot(s4, 5*time.Second)

	// Overall: every slot from the first after the add once, none twice,
	// none lost; and no slot was left as "maybe posted".
	got := slotPosts(slack, "d1")
	want := 0
	for s := first; !s.After(s4); s = s.Add(time.Minute) {
		want++
		if got[slot(s)] != 1 {
			t.Errorf("slot %s posted %d times", slot(s), got[slot(s)])
		}
	}
	if len(got) != want {
		t.Errorf("posts by slot %v: want the %d slots %s to %s, once each", got, want, slot(first), slot(s4))
	}
	// The alert's incident kept one message through the SIGKILL and the
	// Redis restarts; the condition clears: it is resolved in place (the
	// same message edited, one reply in its thread). A second incident
	// gets a message of its own, once, and resolves the same way.
	for inc := 1; inc <= 2; inc++ {
		if inc == 2 {
			tagProbe(inbox, true)
			pollEvery(t, ctx, 20*time.Millisecond, "incident 2 posted", func() bool { return len(alertPosts(slack, "a1")[2]) > 0 })
			waitUntil(t, ctx, time.Now().Add(3*time.Second)) // rounds on every replica
		}
		msgs := alertPosts(slack, "a1")[inc]
		if len(msgs) != 1 {
			t.Fatalf("incident %d has %d messages, want one", inc, len(msgs))
		}
		m := msgs[0]
		tagProbe(inbox, false)
		pollEvery(t, ctx, 20*time.Millisecond, fmt.Sprintf("incident %d resolved in place", inc), func() bool {
			cur, ok := slack.MessageAt(m.Channel, m.TS)
			return ok && cur.Method == "chat.update" && strings.Contains(cur.Text+string(cur.Blocks), "Resolved") && len(threadReplies(slack, m)) > 0
		})
		waitUntil(t, ctx, time.Now().Add(3*time.Second)) // rounds on every replica
		if n := len(threadReplies(slack, m)); n != 1 {
			t.Errorf("incident %d: %d replies in its thread, want the one saying it resolved", inc, n)
		}
		if n := len(alertPosts(slack, "a1")[inc]); n != 1 {
			t.Errorf("incident %d has %d messages after it resolved", inc, n)
		}
	}
	if n := len(alertPosts(slack, "a1")); n != 2 {
		t.Errorf("%d incidents posted, want 2", n)
	}

	for _, p := range reps {
		if n := len(p.lines("digest slot maybe posted: the replica posting it stopped before recording the outcome; not posted again")); n > 0 {
			t.Errorf("%s found %d slots maybe posted", p.name, n)
		}
	}
	if errs := slack.ProtocolErrors(); len(errs) > 0 {
		t.Errorf("Socket Mode protocol errors: %+v", errs)
	}
	if errs := slack.BlockErrors(); len(errs) > 0 {
		t.Errorf("Block Kit errors: %+v", errs)
	}
}
