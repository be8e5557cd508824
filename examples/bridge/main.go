// Command bridge runs the HighLevel ⇄ Mattermost bridge.
//
// With no configuration (none of the bridge's variables set), or with
// --demo, it runs a demo instead: a fake HighLevel (ghltest) and a fake Mattermost
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
	"strings"
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
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	demo := fs.Bool("demo", false, "run the demo even though bridge variables are set")
	serve := fs.Bool("serve", false, "demo only: keep the demo running and print its URLs")
	check := fs.Bool("check", false, "check the configuration and probe HighLevel, Mattermost and the store, then exit")
	verbose := fs.Bool("v", false, "log at debug level (overrides BRIDGE_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return 2
	}

	set := bridge.VariablesSet(getenv)
	if *demo || len(set) == 0 && !*check && fs.NArg() == 0 {
		// The demo logs only problems unless asked, so the transcript reads
		// clearly.
		level := slog.LevelError
		if *verbose {
			level = slog.LevelDebug
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

	// Any bridge variable set means a real bridge: the whole configuration
	// is checked, and every problem reported at once.
	cfg, err := bridge.ConfigFromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if len(set) > 0 {
			fmt.Fprintf(stderr, "(the demo runs only when no bridge variable is set; set here: %s; or use --demo)\n", strings.Join(set, ", "))
		}
		return 2
	}
	logger := newLogger(cfg, stderr, *verbose)
	switch {
	case fs.NArg() > 0 && fs.Arg(0) == "dead":
		return runDead(ctx, cfg, fs.Args()[1:], stdout, stderr)
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "bridge: unknown command %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	case *check:
		return runCheck(ctx, cfg, logger, stdout)
	}
	return runBridge(ctx, cfg, logger, stderr)
}

const usage = `usage:
  bridge [-v]                   serve the bridge configured by the environment
  bridge --check                check the configuration and probe every part, then exit
  bridge dead list              list the events Mattermost refused for good
  bridge dead retry <id|all>    put dead events back in the outbox
                                (on the configured store: with BRIDGE_DATABASE_URL the
                                bridge may keep running; with the bbolt file, stop it first)
  bridge [--demo] [--serve]     the demo on embedded fakes (the default with no bridge variable set)

flags:
`

// runBridge serves the bridge until ctx is done. base is the logger
// without a component; the bridge names its own.
func runBridge(ctx context.Context, cfg bridge.Config, base *slog.Logger, stderr io.Writer) int {
	logger := base.With("component", "main")
	logger.Info("bridge: starting", "config", cfg)
	b, err := bridge.New(cfg, bridge.WithLogger(base))
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
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			b.Close()
			fmt.Fprintf(stderr, "bridge: %s: %v\n", bridge.EnvMetricsAddr, err)
			return 1
		}
		logger.Info("bridge: metrics listening", "addr", mln.Addr().String(), "path", bridge.PathMetrics)
		msrv := newServer(http.NewServeMux(), base)
		msrv.Handler.(*http.ServeMux).Handle("GET "+bridge.PathMetrics, b.MetricsHandler())
		go msrv.Serve(mln)
		defer msrv.Close()
	}
	if err := serveBridge(ctx, b, b, ln, base); err != nil {
		logger.Error("bridge: stopped with an error", "error", err)
		return 1
	}
	logger.Info("bridge: stopped")
	return 0
}

// newLogger logs in BRIDGE_LOG_FORMAT at BRIDGE_LOG_LEVEL (debug with -v).
func newLogger(cfg bridge.Config, w io.Writer, verbose bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if verbose {
		opts.Level = slog.LevelDebug
	}
	if cfg.LogFormat == bridge.LogFormatText {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
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
		ErrorLog:          slog.NewLogLogger(logger.With("component", "http").Handler(), slog.LevelWarn),
	}
}

// serveBridge serves h (b, or a wrapper of it) on ln and runs b's deliverer until ctx is done, then
// shuts down gracefully: no new connections, requests in flight finish
// (within 30 s), the deliverer records the attempts under way, and the
// state file is closed.
func serveBridge(ctx context.Context, b *bridge.Bridge, h http.Handler, ln net.Listener, base *slog.Logger) error {
	logger := base.With("component", "main")
	srv := newServer(h, base)
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
