package oauth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl/oauth"
)

func testKey(id byte) oauth.EncryptionKey {
	k := make([]byte, 32)
	for i := range k {
		k[i] = id + byte(i)
	}
	return oauth.EncryptionKey{ID: id, Key: k}
}

func sampleToken(n int) *oauth.Token {
	return &oauth.Token{
		AccessToken:  fmt.Sprintf("access-SECRET-%d-eyJhbGciOiJIUzI1NiJ9", n),
		RefreshToken: fmt.Sprintf("refresh-SECRET-%d-0123456789abcdef", n),
		TokenType:    "Bearer",
		Expiry:       time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC),
		IssuedAt:     time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		Scopes:       []string{"contacts.readonly", "contacts.write"},
		UserType:     oauth.UserTypeLocation,
		LocationID:   "loc-1",
		CompanyID:    "co-1",
		UserID:       "user-1",
	}
}

func TestStoresRoundTrip(t *testing.T) {
	t.Parallel()
	fs, err := oauth.NewFileStore(t.TempDir(), testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]interface {
		oauth.TokenStore
		Delete(context.Context, string) error
	}{"memory": oauth.NewMemoryStore(), "file": fs, "memory zero value": new(oauth.MemoryStore)}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := s.Load(ctx, "loc-1"); !errors.Is(err, oauth.ErrNotFound) {
				t.Fatalf("Load of a missing key = %v, want ErrNotFound", err)
			}
			tok := sampleToken(1)
			if err := s.Save(ctx, "loc-1", tok); err != nil {
				t.Fatal(err)
			}
			tok.Scopes[0] = "mutated" // the store keeps its own copy
			got, err := s.Load(ctx, "loc-1")
			if err != nil {
				t.Fatal(err)
			}
			if want := sampleToken(1); !reflect.DeepEqual(got, want) {
				t.Fatalf("Load = %#v\nwant %#v", *got, *want)
			}
			if err := s.Save(ctx, "loc-1", sampleToken(2)); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Load(ctx, "loc-1"); got.AccessToken != sampleToken(2).AccessToken {
				t.Fatal("Save did not replace the token")
			}
			if _, err := s.Load(ctx, "loc-2"); !errors.Is(err, oauth.ErrNotFound) {
				t.Fatalf("other key: %v", err)
			}
			if err := s.Save(ctx, "", tok); err == nil {
				t.Error("empty key accepted")
			}
			if err := s.Save(ctx, "k", nil); err == nil {
				t.Error("nil token accepted")
			}
			canceled, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := s.Load(canceled, "loc-1"); !errors.Is(err, context.Canceled) {
				t.Errorf("Load with a canceled context = %v", err)
			}
			if err := s.Delete(ctx, "loc-1"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "loc-1"); err != nil {
				t.Fatalf("second Delete = %v", err)
			}
			if _, err := s.Load(ctx, "loc-1"); !errors.Is(err, oauth.ErrNotFound) {
				t.Fatalf("Load after Delete = %v", err)
			}
		})
	}
}

func TestNewFileStoreValidates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	short := oauth.EncryptionKey{ID: 1, Key: make([]byte, 16)}
	if _, err := oauth.NewFileStore(dir, short); err == nil || !strings.Contains(err.Error(), "32") {
		t.Errorf("16-byte key: %v", err)
	}
	if _, err := oauth.NewFileStore(dir, testKey(1), testKey(1)); err == nil {
		t.Error("duplicate key IDs accepted")
	}
	if _, err := oauth.NewFileStore(dir, testKey(1), short); err == nil {
		t.Error("short older key accepted")
	}
	if _, err := oauth.NewFileStore("", testKey(1)); err == nil {
		t.Error("empty dir accepted")
	}
}

// TestFileStoreOnDisk: permissions, the file name, and no token in plain
// text (nor base64 or hex of it) anywhere in the bytes.
func TestFileStoreOnDisk(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tokens")
	s, err := oauth.NewFileStore(dir, testKey(7))
	if err != nil {
		t.Fatal(err)
	}
	tok := sampleToken(1)
	if err := s.Save(context.Background(), "loc-1", tok); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("dir holds %d entries, want 1", len(entries))
	}
	name := entries[0].Name()
	if !strings.HasSuffix(name, ".token") || strings.Contains(name, "loc-1") || len(name) != 64+len(".token") {
		t.Errorf("file name = %q; want the hex SHA-256 of the key", name)
	}
	fi, _ := entries[0].Info()
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(filepath.Join(dir, name))
	if !bytes.HasPrefix(data, []byte{'G', 'H', 'L', 'T', 1, 7}) {
		t.Errorf("header = % x; want GHLT, version 1, key ID 7", data[:6])
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, "SECRET", "loc-1", "contacts.write"} {
		for _, enc := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), base64.RawURLEncoding.EncodeToString([]byte(secret)), hex.EncodeToString([]byte(secret))} {
			if bytes.Contains(data, []byte(enc)) {
				t.Errorf("file contains %q in the clear", enc)
			}
		}
	}
	// Same token saved again: a fresh nonce, so different bytes.
	if err := s.Save(context.Background(), "loc-1", tok); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, name))
	if bytes.Equal(data, again) {
		t.Error("two saves of one token gave identical bytes; the nonce is not random")
	}
}

func TestFileStoreRejectsTampering(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s, _ := oauth.NewFileStore(dir, testKey(1))
	_ = s.Save(ctx, "loc-a", sampleToken(1))
	_ = s.Save(ctx, "loc-b", sampleToken(2))
	// The documented layout: the file name is the hex SHA-256 of the key.
	files := map[string]string{}
	for _, key := range []string{"loc-a", "loc-b"} {
		sum := sha256.Sum256([]byte(key))
		files[key] = filepath.Join(dir, hex.EncodeToString(sum[:])+".token")
		if _, err := os.Stat(files[key]); err != nil {
			t.Fatal(err)
		}
	}

	// A file copied under another key's name does not open.
	a, _ := os.ReadFile(files["loc-a"])
	if err := os.WriteFile(files["loc-b"], a, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "loc-b"); !errors.Is(err, oauth.ErrDecrypt) {
		t.Fatalf("swapped file: %v, want ErrDecrypt", err)
	}
	// One flipped bit anywhere does not open.
	for _, i := range []int{5, 6, 20, len(a) - 1} {
		bad := bytes.Clone(a)
		bad[i] ^= 1
		_ = os.WriteFile(files["loc-a"], bad, 0o600)
		if _, err := s.Load(ctx, "loc-a"); !errors.Is(err, oauth.ErrDecrypt) {
			t.Errorf("bit flipped at %d: %v, want ErrDecrypt", i, err)
		}
	}
	for _, junk := range [][]byte{nil, []byte("GHLT"), []byte("{\"access_token\":\"x\"}"), append([]byte{'G', 'H', 'L', 'T', 2, 1}, make([]byte, 40)...)} {
		_ = os.WriteFile(files["loc-a"], junk, 0o600)
		if _, err := s.Load(ctx, "loc-a"); !errors.Is(err, oauth.ErrDecrypt) {
			t.Errorf("junk %q: %v, want ErrDecrypt", junk, err)
		}
	}
	// The wrong key does not open.
	_ = s.Save(ctx, "loc-a", sampleToken(1))
	other, _ := oauth.NewFileStore(dir, oauth.EncryptionKey{ID: 1, Key: testKey(9).Key})
	if _, err := other.Load(ctx, "loc-a"); !errors.Is(err, oauth.ErrDecrypt) {
		t.Errorf("wrong key: %v, want ErrDecrypt", err)
	}
	if _, err := other.Load(ctx, "loc-a"); err != nil && strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error reveals the token: %v", err)
	}
}

func TestFileStoreKeyRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	v1, _ := oauth.NewFileStore(dir, testKey(1))
	for i, key := range []string{"loc-1", "loc-2", "co-1"} {
		if err := v1.Save(ctx, key, sampleToken(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Rotate: key 2 is primary, key 1 still opens old files.
	v2, err := oauth.NewFileStore(dir, testKey(2), testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v2.Load(ctx, "loc-1"); err != nil || got.AccessToken != sampleToken(0).AccessToken {
		t.Fatalf("old file with the older key: %v, %v", got, err)
	}
	// A save re-seals with the primary key.
	if err := v2.Save(ctx, "loc-1", sampleToken(5)); err != nil {
		t.Fatal(err)
	}
	only2, _ := oauth.NewFileStore(dir, testKey(2))
	if _, err := only2.Load(ctx, "loc-1"); err != nil {
		t.Fatalf("re-saved file does not open with key 2 alone: %v", err)
	}
	if _, err := only2.Load(ctx, "loc-2"); !errors.Is(err, oauth.ErrDecrypt) || !strings.Contains(err.Error(), "key ID 1") {
		t.Fatalf("file still sealed with key 1: %v, want ErrDecrypt naming key ID 1", err)
	}
	n, err := v2.Rotate(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Rotate = %d, %v; want 2 files re-sealed", n, err)
	}
	for i, key := range []string{"loc-2", "co-1"} {
		got, err := only2.Load(ctx, key)
		if err != nil || got.AccessToken != sampleToken(i+1).AccessToken {
			t.Fatalf("after Rotate, %s with key 2 alone: %v, %v", key, got, err)
		}
	}
	if n, err := v2.Rotate(ctx); err != nil || n != 0 {
		t.Fatalf("second Rotate = %d, %v; want 0", n, err)
	}
}

// TestFileStoreConcurrent: writers replacing one key and readers loading it
// at the same time; every load sees one whole token, never a torn file.
func TestFileStoreConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	writer, _ := oauth.NewFileStore(dir, testKey(1))
	reader, _ := oauth.NewFileStore(dir, testKey(1)) // another handle, as another process would have
	if err := writer.Save(ctx, "loc-1", sampleToken(0)); err != nil {
		t.Fatal(err)
	}
	valid := map[string]bool{}
	for i := range 20 {
		valid[sampleToken(i).AccessToken] = true
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 20; i += 4 {
				if err := writer.Save(ctx, "loc-1", sampleToken(i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				tok, err := reader.Load(ctx, "loc-1")
				if err != nil {
					errs <- err
					continue
				}
				if !valid[tok.AccessToken] {
					errs <- fmt.Errorf("loaded unknown token")
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("dir holds %v; want one file and no temporary files", names)
	}
}
