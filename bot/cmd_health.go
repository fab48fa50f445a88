package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"
)

// health is `inboxbot health [--ready] [--timeout 3s]`: it asks a bot
// running on this machine's HTTP_ADDR for /healthz (or /readyz) and exits 0
// on 200, 1 otherwise. It exists for container health checks: the image is
// distroless, with no shell, curl or wget to do it.
func (a *cli) health(ctx context.Context, args []string) error {
	fs := a.newFlags("health")
	ready := fs.Bool("ready", false, "ask /readyz (Socket Mode connected, store reachable) instead of /healthz (process up)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &UsageError{"health: takes no arguments, only --ready and --timeout"}
	}
	addr, ok := os.LookupEnv("HTTP_ADDR")
	if !ok {
		addr = httpAddrDefault()
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	target, err := healthURL(addr, path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: no answer within %s", target, *timeout)
		}
		return fmt.Errorf("%s: %v", target, listenCause(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	words := oneLine(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", target, resp.Status, words)
	}
	_, err = fmt.Fprintf(a.io.Out, "%s: %s\n", target, words)
	return err
}

// httpAddrDefault is HTTP_ADDR's default, read from Config's tag so the
// two cannot differ.
func httpAddrDefault() string {
	f, _ := reflect.TypeFor[Config]().FieldByName("HTTPAddr")
	return f.Tag.Get("default")
}

// healthURL is the URL of path on the bot listening on addr: an
// unspecified host (":8080", "0.0.0.0:8080", "[::]:8080") is asked on the
// loopback address, any other host as given. Port 0 (a random port) cannot
// be asked.
func healthURL(addr, path string) (string, error) {
	if problem := httpAddrProblem(addr); problem != "" {
		return "", &ConfigError{"HTTP_ADDR", problem}
	}
	host, port, _ := net.SplitHostPort(addr)
	if port == "0" || strings.TrimLeft(port, "0") == "" {
		return "", &ConfigError{"HTTP_ADDR", fmt.Sprintf("%q listens on a random port; health needs a fixed one, e.g. :8080", addr)}
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
