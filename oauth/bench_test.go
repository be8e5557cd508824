package oauth_test

import (
	"context"
	"testing"

	"github.com/ghlkit/ghl/oauth"
)

// BenchmarkTokenSourceToken measures the hot path: a fresh token handed out
// for every API request.
func BenchmarkTokenSourceToken(b *testing.B) {
	store := oauth.NewMemoryStore()
	tok := sampleToken(1)
	tok.Expiry, tok.IssuedAt = tok.Expiry.AddDate(100, 0, 0), tok.IssuedAt.AddDate(100, 0, 0)
	if err := store.Save(context.Background(), "loc-1", tok); err != nil {
		b.Fatal(err)
	}
	app, err := oauth.NewApp(oauth.Config{ClientID: "id", ClientSecret: "s", Store: store})
	if err != nil {
		b.Fatal(err)
	}
	ts, _ := app.TokenSource(context.Background(), "loc-1")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFileStoreSave measures one encrypted, fsynced, atomic save.
func BenchmarkFileStoreSave(b *testing.B) {
	s, err := oauth.NewFileStore(b.TempDir(), testKey(1))
	if err != nil {
		b.Fatal(err)
	}
	tok := sampleToken(1)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Save(context.Background(), "loc-1", tok); err != nil {
			b.Fatal(err)
		}
	}
}
