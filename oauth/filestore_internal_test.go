package oauth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileStoreSaveIsAtomic fails a save at its last step, after the new
// file was written in full: the old token must still load and no temporary
// file may remain.
func TestFileStoreSaveIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	s, err := NewFileStore(dir, EncryptionKey{ID: 1, Key: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "loc-1", &Token{AccessToken: "old-access", RefreshToken: "old-refresh"}); err != nil {
		t.Fatal(err)
	}
	errCrash := errors.New("crash before rename")
	var sawTmp string
	s.beforeRename = func(tmp string) error {
		sawTmp = tmp
		fi, err := os.Stat(tmp)
		if err != nil {
			t.Errorf("temporary file: %v", err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("temporary file mode = %v, want 0600", fi.Mode().Perm())
		}
		if filepath.Dir(tmp) != dir {
			t.Errorf("temporary file in %s, want the store's directory %s", filepath.Dir(tmp), dir)
		}
		return errCrash
	}
	err = s.Save(ctx, "loc-1", &Token{AccessToken: "new-access", RefreshToken: "new-refresh"})
	if !errors.Is(err, errCrash) {
		t.Fatalf("Save = %v, want the injected failure", err)
	}
	if sawTmp == "" {
		t.Fatal("hook not called")
	}
	got, err := s.Load(ctx, "loc-1")
	if err != nil || got.RefreshToken != "old-refresh" {
		t.Fatalf("after a failed save: %v, %v; want the old token intact", got, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want 1", len(entries))
	}
}
