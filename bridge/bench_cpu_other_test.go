//go:build !unix

package bridge

import "time"

// processCPU is not read on this platform.
func processCPU() (time.Duration, bool) { return 0, false }
