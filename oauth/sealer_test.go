package oauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ghlkit/ghl/oauth"
)

// TestSealerIsTheFileStoreFormat: a Sealer opens what a FileStore wrote and
// writes what a FileStore opens, so other stores share its format and keys.
func TestSealerIsTheFileStoreFormat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	fs, err := oauth.NewFileStore(dir, testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Save(ctx, "loc-a", sampleToken(1)); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("loc-a"))
	path := filepath.Join(dir, hex.EncodeToString(sum[:])+".token")
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	s1, err := oauth.NewSealer(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	tok, primary, err := s1.Open("loc-a", file)
	if err != nil || !primary || !reflect.DeepEqual(tok, sampleToken(1)) {
		t.Fatalf("Open(FileStore file) = %+v, %v, %v", tok, primary, err)
	}
	if _, _, err := s1.Open("loc-b", file); !errors.Is(err, oauth.ErrDecrypt) {
		t.Errorf("opened under another key: %v, want ErrDecrypt", err)
	}

	// Key 2 primary, key 1 older: key 1's token opens and asks for a reseal.
	s21, err := oauth.NewSealer(testKey(2), testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, primary, err := s21.Open("loc-a", file); err != nil || primary {
		t.Fatalf("Open with key 1 as older = primary %v, %v; want false, nil", primary, err)
	}
	sealed, err := s21.Seal("loc-a", sampleToken(2))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sealed, []byte("GHLT\x01\x02")) || bytes.Contains(sealed, []byte("SECRET")) {
		t.Fatalf("sealed = %q, want key 2's header and no plain text", sealed)
	}
	if _, _, err := s1.Open("loc-a", sealed); !errors.Is(err, oauth.ErrDecrypt) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("opened without key 2: %v, want ErrDecrypt", err)
	}
	// What the Sealer seals, a FileStore with key 2 loads.
	if err := os.WriteFile(path, sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	fs2, _ := oauth.NewFileStore(dir, testKey(2))
	if got, err := fs2.Load(ctx, "loc-a"); err != nil || !reflect.DeepEqual(got, sampleToken(2)) {
		t.Fatalf("FileStore.Load(Sealer's output) = %+v, %v", got, err)
	}
	if _, err := s1.Seal("loc-a", nil); err == nil {
		t.Error("sealed a nil token")
	}
}

func TestNewSealerValidates(t *testing.T) {
	t.Parallel()
	for name, keys := range map[string][]oauth.EncryptionKey{
		"short key":     {{ID: 1, Key: make([]byte, 16)}},
		"duplicate IDs": {testKey(1), {ID: 1, Key: testKey(2).Key}},
	} {
		if _, err := oauth.NewSealer(keys[0], keys[1:]...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
