// Package readme holds a test that compiles the Go snippet of the
// repository's README, so that the first code a user copies builds.
package readme
