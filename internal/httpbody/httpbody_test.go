package httpbody

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRead(t *testing.T) {
	body := strings.Repeat("abcdefghij", 300) // 3,000 bytes
	for _, tc := range []struct {
		name        string
		size, limit int64
		want        string
	}{
		{"size as sent", 3000, 1 << 20, body},
		{"size unknown", -1, 1 << 20, body},
		{"size too small", 10, 1 << 20, body},
		{"size too large", 1 << 40, 1 << 20, body},
		{"zero", 0, 1 << 20, body},
		{"limit", 3000, 100, body[:100]},
		{"limit, size unknown", -1, 2999, body[:2999]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte per read: every way the buffer fills.
			got, err := Read(iotest.OneByteReader(strings.NewReader(body)), tc.size, tc.limit)
			if err != nil || string(got) != tc.want {
				t.Fatalf("Read = %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
			}
			if want, _ := io.ReadAll(io.LimitReader(strings.NewReader(body), tc.limit)); !bytes.Equal(got, want) {
				t.Error("Read differs from io.ReadAll of the limited reader")
			}
		})
	}
	if got, err := Read(strings.NewReader(""), 0, 10); err != nil || len(got) != 0 {
		t.Errorf("empty body = %q, %v", got, err)
	}
	boom := errors.New("boom")
	if got, err := Read(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), 3, 10); !errors.Is(err, boom) || string(got) != "abc" {
		t.Errorf("failing body = %q, %v; want what was read and the error", got, err)
	}
}

// TestReadAllocatesOnce: a body of its declared size is read in one
// allocation (io.ReadAll takes several for 3 KB).
func TestReadAllocatesOnce(t *testing.T) {
	body := []byte(strings.Repeat("x", 3000))
	r := bytes.NewReader(body)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(body)
		if b, err := Read(r, int64(len(body)), 1<<20); err != nil || len(b) != len(body) {
			t.Fatal(len(b), err)
		}
	})
	if allocs != 1 {
		t.Errorf("Read allocated %v times; want 1", allocs)
	}
}

func BenchmarkRead(b *testing.B) {
	body := []byte(strings.Repeat("x", 3000))
	r := bytes.NewReader(body)
	b.Run("io.ReadAll", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(body)
			io.ReadAll(io.LimitReader(r, 1<<20))
		}
	})
	b.Run("Read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(body)
			Read(r, int64(len(body)), 1<<20)
		}
	})
}
