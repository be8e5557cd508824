package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/ghlkit/ghl/bridge"
)

func runCheck(ctx context.Context, cfg bridge.Config, logger *slog.Logger, stdout io.Writer) int {
	return 1
}
