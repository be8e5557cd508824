package main

import (
	"context"
	"io"

	"github.com/ghlkit/ghl/bridge"
)

func runDead(ctx context.Context, cfg bridge.Config, args []string, stdout, stderr io.Writer) int {
	return 2
}
