// Command bridge runs the HighLevel ⇄ Mattermost bridge.
//
// With no configuration (neither GHL_TOKEN, OAuth, nor MATTERMOST_URL set) it
// runs a demo instead: a fake HighLevel (ghltest) and a fake Mattermost
// (mattermosttest) start in-process, every flow of the bridge is driven
// through real HTTP, and what appeared in Mattermost is printed as a
// transcript:
//
//	go run ./examples/bridge            # the demo, exits when done
//	go run ./examples/bridge --serve    # the demo, kept running for curl
//
// With configuration (see package bridge's ConfigFromEnv for the
// variables), it serves the bridge on BRIDGE_ADDR until SIGINT or SIGTERM:
// it then stops accepting requests, finishes those in flight, stops the
// deliverer and closes the state file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ghlkit/ghl/bridge"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the program: it returns the exit code (0 done, 1 failed, 2 bad
// usage or configuration).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serve := fs.Bool("serve", false, "demo only: keep the demo running and print its URLs")
	verbose := fs.Bool("v", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}

	if !configured(getenv) {
		// The demo logs only problems unless asked, so the transcript reads
		// clearly.
		if !*verbose {
			level = slog.LevelError
		}
		logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
		if err := runDemo(ctx, stdout, logger, *serve); err != nil {
			fmt.Fprintln(stderr, "demo failed:", err)
			return 1
		}
		return 0
	}
	if *serve {
		fmt.Fprintln(stderr, "bridge: --serve is for the demo; with configuration the bridge always serves")
	}

	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := bridge.ConfigFromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	logger.Info("bridge: starting", "config", cfg)
	b, err := bridge.New(cfg, bridge.WithLogger(logger))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		b.Close()
		fmt.Fprintln(stderr, "bridge:", err)
		return 1
	}
	logger.Info("bridge: listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL)
	if err := serveBridge(ctx, b, ln, logger); err != nil {
		logger.Error("bridge: stopped with an error", "error", err)
		return 1
	}
	logger.Info("bridge: stopped")
	return 0
}

// configured reports whether the environment configures a real bridge.
func configured(getenv func(string) string) bool {
	for _, name := range []string{bridge.EnvGHLToken, bridge.EnvMattermostURL, bridge.EnvClientID} {
		if getenv(name) != "" {
			return true
		}
	}
	return false
}

// maxHeaderBytes caps a request's headers: Mattermost and HighLevel send a
// few hundred bytes; the default (1 MiB) only helps an attacker.
const maxHeaderBytes = 64 << 10

// newServer returns the HTTP server of the bridge: every phase of a request
// is bounded in time and its headers in size.
func newServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serveBridge serves b on ln and runs its deliverer until ctx is done, then
// shuts down gracefully: no new connections, requests in flight finish
// (within 30 s), the deliverer records the attempts under way, and the
// state file is closed.
func serveBridge(ctx context.Context, b *bridge.Bridge, ln net.Listener, logger *slog.Logger) error {
	srv := newServer(b, logger)
	runCtx, stopRun := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- b.Run(runCtx) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("bridge: shutting down")
	case serveErr = <-served:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("bridge: requests still running at shutdown", "error", err)
	}
	stopRun()
	runErr := <-runDone
	closeErr := b.Close()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, runErr, closeErr)
}
