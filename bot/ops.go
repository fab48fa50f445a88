package bot

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

func (b *Bot) serveHTTP() (*http.Server, error) {
	ln := b.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", b.cfg.HTTPAddr); err != nil {
			// Not a ConfigError: the syntax was checked at load, and a port
			// in use may be free again at the next restart.
			return nil, fmt.Errorf("HTTP_ADDR: cannot listen on %q: %v", b.cfg.HTTPAddr, listenCause(err))
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !b.Ready() {
			http.Error(w, "not connected to Slack", http.StatusServiceUnavailable)
			return
		}
		if b.digests != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := b.digests.st.Ping(ctx); err != nil {
				http.Error(w, "the state store is unreachable", http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", b.metrics.Handler())
	srv := &http.Server{Handler: mux, Addr: ln.Addr().String(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv, nil
}
