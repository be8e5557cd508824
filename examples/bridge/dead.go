package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ghlkit/ghl/bridge"
)

// runDead runs "dead list" and "dead retry <id|all>" on the bridge's
// store.
func runDead(ctx context.Context, cfg bridge.Config, args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "usage: bridge dead list | bridge dead retry <id|all>")
		fmt.Fprintln(stderr, "(on the configured store: with BRIDGE_DATABASE_URL the bridge may keep running; with the bbolt file, stop it first)")
		return 2
	}
	if len(args) == 0 || args[0] == "list" && len(args) != 1 || args[0] == "retry" && len(args) != 2 {
		return usage()
	}
	var seq uint64 // 0: all
	switch args[0] {
	case "list":
	case "retry":
		if args[1] != "all" {
			n, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil || n == 0 {
				fmt.Fprintf(stderr, "bridge: %q is not a dead event's id (a number from `dead list`) or all\n", args[1])
				return 2
			}
			seq = n
		}
	default:
		return usage()
	}

	// The configured store: with PostgreSQL the bridge's replicas may keep
	// running (RetryDead is one transaction); the bbolt file is held by one
	// process, so the bridge must be stopped first.
	store, err := bridge.OpenStore(ctx, cfg, nil)
	if err != nil {
		fmt.Fprintln(stderr, "bridge: opening the store:", err)
		if cfg.DatabaseURL == "" {
			fmt.Fprintln(stderr, "(with the bbolt state file, stop the bridge before running this command)")
		}
		return 1
	}
	defer store.Close()
	dl, ok := store.(bridge.DeadLetters)
	if !ok {
		fmt.Fprintf(stderr, "bridge: the store (%T) does not keep dead letters\n", store)
		return 1
	}

	if args[0] == "list" {
		events, err := dl.DeadEvents(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "bridge: reading the dead events:", err)
			return 1
		}
		if len(events) == 0 {
			fmt.Fprintln(stdout, "no dead events")
			return 0
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tRECEIVED\tTYPE\tCONTACT\tATTEMPTS\tLAST ERROR")
		for _, ev := range events {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", ev.Seq, ev.Received.UTC().Format(time.RFC3339), ev.Type, ev.ContactID, ev.Attempts, ev.LastError)
		}
		tw.Flush()
		fmt.Fprintf(stdout, "%d dead events; put them back with: bridge dead retry <id|all>\n", len(events))
		return 0
	}

	n, err := dl.RetryDead(ctx, seq, time.Now())
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "bridge: moving dead events back:", err)
		return 1
	case n == 0 && seq != 0:
		fmt.Fprintf(stderr, "bridge: no dead event %d (see bridge dead list)\n", seq)
		return 1
	}
	fmt.Fprintf(stdout, "%d events back in the outbox; the bridge posts them when it runs\n", n)
	return 0
}
