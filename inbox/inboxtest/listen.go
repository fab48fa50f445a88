package inboxtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownGrace bounds how long a graceful shutdown waits for answers in
// flight; requests waiting on latency or Hang end at once.
const shutdownGrace = 5 * time.Second

// ListenAndServe serves s over HTTP on addr (for `inboxbot demo-api`) until
// ctx ends, then shuts down gracefully and returns nil. ready, if not nil,
// is called once with the address actually listened on (useful with port 0).
func ListenAndServe(ctx context.Context, addr string, s *Server, ready func(addr string)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("inboxtest: listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	return Serve(ctx, ln, s)
}

// Serve serves s on ln until ctx ends, then shuts down gracefully and
// returns nil. It closes ln.
func Serve(ctx context.Context, ln net.Listener, s *Server) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Handlers see ctx, so latency and Hang end when the server stops
		// instead of holding up the shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("inboxtest: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("inboxtest: shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("inboxtest: serve: %w", err)
	}
	return nil
}
