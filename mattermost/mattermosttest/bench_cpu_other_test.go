//go:build !unix

package mattermosttest_test

import "time"

// processCPU is not read on this platform.
func processCPU() (time.Duration, bool) { return 0, false }
