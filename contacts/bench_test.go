package contacts_test

import (
	"fmt"
	"iter"
	"runtime"
	"testing"

	"github.com/ghlkit/ghl/contacts"
)

// The iterator benchmarks walk every contact of a seeded ghltest location.
// Besides B/op and allocs/op (which grow with the number of contacts, since
// every page is decoded), they report:
//
//   - peak-live-B: the most heap still in use (sampled after a GC every few
//     pages, minus the heap held before iterating, which includes the fake
//     server's own store) — the iterator's working set. It stays flat from
//     10,000 to 100,000 contacts because one page is held at a time.
//   - B/contact: bytes allocated per contact (client and fake server, which
//     share the process), also flat.
//
// BenchmarkCollect keeps every contact in a slice for contrast: its
// peak-live-B grows with the number of contacts.
//
// Run with: go test -run '^$' -bench . -benchtime 3x ./contacts/

func BenchmarkSearchAll(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			benchIterate(b, n, 500, func(svc *contacts.Service) iter.Seq2[contacts.Contact, error] {
				return svc.SearchAll(b.Context(), contacts.SearchParams{PageLimit: 500})
			}, false)
		})
	}
}

func BenchmarkListAll(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			benchIterate(b, n, 100, func(svc *contacts.Service) iter.Seq2[contacts.Contact, error] {
				return svc.ListAll(b.Context(), contacts.ListOptions{Limit: 100})
			}, false)
		})
	}
}

func BenchmarkCollect(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			benchIterate(b, n, 500, func(svc *contacts.Service) iter.Seq2[contacts.Contact, error] {
				return svc.SearchAll(b.Context(), contacts.SearchParams{PageLimit: 500})
			}, true)
		})
	}
}

func benchIterate(b *testing.B, n, pageSize int, seq func(*contacts.Service) iter.Seq2[contacts.Contact, error], keep bool) {
	svc, srv := newFake(b)
	srv.SeedContacts(fakeLoc, n)
	srv.ResetRequests()
	base := liveHeap()
	var peak uint64
	sample := func() {
		// The fake server logs every request; that log is the server's
		// memory, not the iterator's, so it is emptied before measuring.
		srv.ResetRequests()
		if h := liveHeap(); h > base && h-base > peak {
			peak = h - base
		}
	}
	b.ReportAllocs()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		var kept []contacts.Contact
		count := 0
		for c, err := range seq(svc) {
			if err != nil {
				b.Fatal(err)
			}
			if keep {
				kept = append(kept, c)
			}
			count++
			if count%(10*pageSize) == 0 {
				b.StopTimer()
				sample()
				b.StartTimer()
			}
		}
		if count != n {
			b.Fatalf("iterated %d contacts, want %d", count, n)
		}
		b.StopTimer()
		sample()
		runtime.KeepAlive(kept)
		b.StartTimer()
	}
	b.StopTimer()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(n), "B/contact")
	b.ReportMetric(float64(peak), "peak-live-B")
	b.ReportMetric(float64(n), "contacts/op")
}

// liveHeap returns the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
