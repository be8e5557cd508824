//go:build unix

package ghl_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user and system, all
// threads: the loopback server's included, which both clients share). On a
// shared machine it measures a client's cost far more steadily than the
// wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
