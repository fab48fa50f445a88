package bot_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convertalk/inboxbot/bot/slacktest"
	"github.com/convertalk/inboxbot/inbox/inboxtest"
)

// BenchmarkLoad200 is SPEC §11's reference load, rerunnable:
//
//	go test -run '^$' -bench Load200 -benchtime 3x ./bot/
//
// It builds inboxbot, runs `inboxbot run` as its own process against the
// fake Slack and a fake inbox answering every request in 300 ms, sends 200
// distinct /inbox commands at once, and reports ack latency (envelope
// written -> ack received, as Slack sees it), answer latency (envelope
// written -> response_url POST), answers per second, and the bot process's
// idle and peak RSS. The load generator shares the machine, as in SPEC §11.
func BenchmarkLoad200(b *testing.B) {
	const commands = 200
	slack, proc := startLoadRig(b)
	idleRSS := proc.rss("VmRSS")

	var acks, answers []time.Duration
	var elapsed time.Duration
	cpuBefore := proc.cpu()
	b.ResetTimer()
	for round := range b.N {
		a, r, d := fireCommands(b, slack, commands, round)
		acks, answers, elapsed = append(acks, a...), append(answers, r...), elapsed+d
	}
	b.StopTimer()
	cpuPerAnswer := (proc.cpu() - cpuBefore) / time.Duration(len(answers))
	b.ReportMetric(ms(percentile(acks, 50)), "ack-p50-ms")
	b.ReportMetric(ms(percentile(acks, 99)), "ack-p99-ms")
	b.ReportMetric(ms(percentile(answers, 50)), "answer-p50-ms")
	b.ReportMetric(ms(percentile(answers, 99)), "answer-p99-ms")
	b.ReportMetric(float64(len(answers))/elapsed.Seconds(), "answers/s")
	b.ReportMetric(ms(cpuPerAnswer), "bot-cpu-ms/answer")
	b.ReportMetric(proc.overheadQuantile(b, 0.50)*1000, "overhead-p50-ms")
	b.ReportMetric(proc.overheadQuantile(b, 0.99)*1000, "overhead-p99-ms")
	b.ReportMetric(idleRSS/1024, "idle-rss-MB")
	b.ReportMetric(proc.rss("VmHWM")/1024, "peak-rss-MB")
	b.ReportMetric(0, "ns/op") // wall time per round is not the figure of interest
}

// BenchmarkLoadOneAtATime sends commands one after another against the same
// 300 ms inbox: without a burst's queueing for the cores, the overhead
// figures are the bot's own work per answer (parse, render, post).
//
//	go test -run '^$' -bench LoadOneAtATime -benchtime 50x ./bot/
func BenchmarkLoadOneAtATime(b *testing.B) {
	slack, proc := startLoadRig(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var answers []time.Duration
	b.ResetTimer()
	for i := range b.N {
		before := len(slack.Responses())
		d, err := slack.SlashCommand(ctx, slacktest.SlashOptions{
			Command: "/inbox", Text: fmt.Sprintf("live seen:%dd", i+1), UserID: "U0LOAD", ChannelID: "C0LOAD",
		})
		if err != nil {
			b.Fatal(err)
		}
		ack, err := d.WaitAck(ctx)
		if err != nil {
			b.Fatal(err)
		}
		responses, err := slack.WaitResponses(ctx, before+1)
		if err != nil {
			b.Fatal(err)
		}
		answers = append(answers, responses[before].Time.Sub(ack.SentAt))
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(answers, 99)), "answer-p99-ms")
	b.ReportMetric(proc.overheadQuantile(b, 0.50)*1000, "overhead-p50-ms")
	b.ReportMetric(proc.overheadQuantile(b, 0.99)*1000, "overhead-p99-ms")
	b.ReportMetric(0, "ns/op")
}

// fireCommands sends n distinct commands at once and waits for every ack and
// answer. Distinct queries defeat coalescing and the cache on purpose.
func fireCommands(b *testing.B, slack *slacktest.Server, n, round int) (acks, answers []time.Duration, elapsed time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	before := len(slack.Responses())
	start := time.Now()
	deliveries := make([]*slacktest.Delivery, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d, err := slack.SlashCommand(ctx, slacktest.SlashOptions{
				Command: "/inbox", Text: fmt.Sprintf("live seen:%dd", round*n+i+1), UserID: "U0LOAD", ChannelID: "C0LOAD",
			})
			if err != nil {
				b.Error(err)
				return
			}
			deliveries[i] = d
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	sent := map[string]time.Time{}
	for _, d := range deliveries {
		ack, err := d.WaitAck(ctx)
		if err != nil {
			b.Fatal(err)
		}
		acks = append(acks, ack.Latency())
		sent[d.ResponseURL] = ack.SentAt
	}
	responses, err := slack.WaitResponses(ctx, before+n)
	if err != nil {
		b.Fatalf("answers: %v", err)
	}
	last := start
	for _, r := range responses[before:] {
		if at, ok := sent[r.URL]; ok {
			answers = append(answers, r.Time.Sub(at))
			if r.Time.After(last) {
				last = r.Time
			}
		}
	}
	if len(answers) != n {
		b.Fatalf("%d answers for %d commands", len(answers), n)
	}
	return acks, answers, last.Sub(start)
}

type botProcess struct {
	cmd  *exec.Cmd
	addr string // HTTP_ADDR
}

// overheadQuantile reads inboxbot_answer_overhead_seconds from the bot's
// /metrics and returns the upper bound of the bucket holding quantile q (in
// seconds): what each answer cost besides waiting for the inbox.
func (p *botProcess) overheadQuantile(b *testing.B, q float64) float64 {
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	type bucket struct{ le, count float64 }
	var buckets []bucket
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, `inboxbot_answer_overhead_seconds_bucket{le="`)
		if !ok {
			continue
		}
		le, count, _ := strings.Cut(rest, `"} `)
		l, _ := strconv.ParseFloat(le, 64)
		c, _ := strconv.ParseFloat(count, 64)
		buckets = append(buckets, bucket{l, c})
	}
	if len(buckets) == 0 {
		b.Fatal("no inboxbot_answer_overhead_seconds in /metrics")
	}
	total := buckets[len(buckets)-1].count
	for _, bk := range buckets {
		if bk.count >= q*total {
			return bk.le
		}
	}
	return buckets[len(buckets)-1].le
}

// rss reads a memory figure (VmRSS, VmHWM) of the bot process, in KiB.
func (p *botProcess) rss(field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb
		}
	}
	return 0
}

// cpu returns the CPU time (user + system) the bot process has used.
func (p *botProcess) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// startLoadRig runs inboxbot against the fake Slack and a fake inbox that
// answers every request in 300 ms (SPEC §11's reference inbox).
func startLoadRig(b *testing.B) (*slacktest.Server, *botProcess) {
	b.Helper()
	binary := buildInboxbot(b)
	inboxSrv := inboxtest.New()
	inboxSrv.SetLatency(300 * time.Millisecond)
	inboxHTTP := httptest.NewServer(inboxSrv)
	b.Cleanup(inboxHTTP.Close)
	slack := slacktest.New(b)
	return slack, startBot(b, binary, slack, inboxHTTP.URL)
}

func buildInboxbot(b *testing.B) string {
	b.Helper()
	binary := filepath.Join(b.TempDir(), "inboxbot")
	build := exec.Command("go", "build", "-o", binary, "..")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return binary
}

// startBot runs `inboxbot run` against the fakes and waits for /readyz.
func startBot(b *testing.B, binary string, slack *slacktest.Server, inboxURL string) *botProcess {
	b.Helper()
	addr := freeAddr(b)
	cmd := exec.Command(binary, "run")
	cmd.Env = append(os.Environ(),
		"SLACK_BOT_TOKEN="+slack.BotToken(), "SLACK_APP_TOKEN="+slack.AppToken(), "SLACK_API_URL="+slack.APIURL(),
		"INBOX_API_URL="+inboxURL, "INBOX_API_TOKEN="+inboxtest.DefaultToken,
		"HTTP_ADDR="+addr, "LOG_LEVEL=warn", "STORE_URL=bolt://"+filepath.Join(b.TempDir(), "load.db"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &botProcess{cmd: cmd, addr: addr}
			}
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline, not synchronising on a guess
	}
	b.Fatal("inboxbot did not become ready in 30s")
	return nil
}

func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
