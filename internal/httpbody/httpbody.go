// Package httpbody reads HTTP bodies whole.
package httpbody

import "io"

// Read reads r to its end, at most limit bytes (more is left unread), as
// io.ReadAll(io.LimitReader(r, limit)) does, but into a buffer sized for
// size bytes (a Content-Length; negative when unknown): one allocation
// where io.ReadAll starts at 512 bytes and grows, copying, several times
// for a body of a few kilobytes. size is only a hint: a body shorter or
// longer than it is read as it is, and no more than limit bytes are ever
// set aside for it.
func Read(r io.Reader, size, limit int64) ([]byte, error) {
	lr := io.LimitedReader{R: r, N: limit} // not io.LimitReader's: one allocation less
	if size < 0 {
		size = 511 // io.ReadAll's start
	}
	// One byte more than the body: the read that finds its end needs room.
	b := make([]byte, 0, min(size, limit)+1)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grows as io.ReadAll does
		}
	}
}
