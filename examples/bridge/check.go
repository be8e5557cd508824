package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/ghlkit/ghl/bridge"
)

// runCheck builds the bridge from cfg (opening its store) without serving,
// probes every part and prints one line per check. It returns 0 only when
// every check passed.
func runCheck(ctx context.Context, cfg bridge.Config, logger *slog.Logger, stdout io.Writer) int {
	fmt.Fprintf(stdout, "%v\n", bridge.ProbeResult{Name: "configuration", OK: true, Detail: "every variable is valid"})
	b, err := bridge.New(cfg, bridge.WithLogger(logger))
	if err != nil {
		fmt.Fprintf(stdout, "%v\n", bridge.ProbeResult{Name: "start", Detail: err.Error(), Hint: "fix the above and run --check again"})
		return 1
	}
	defer b.Close()
	results := b.Probe(ctx)
	for _, r := range results {
		fmt.Fprintf(stdout, "%v\n", r)
	}
	if n := bridge.ProbeSummary(results); n > 0 {
		fmt.Fprintf(stdout, "%d of %d checks failed\n", n, len(results)+1)
		return 1
	}
	fmt.Fprintf(stdout, "all %d checks passed\n", len(results)+1)
	return 0
}
