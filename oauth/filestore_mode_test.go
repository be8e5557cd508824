package oauth_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ghlkit/ghl/oauth"
)

func TestNewFileStoreMakesAnExistingDirectoryPrivate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tokens")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := oauth.NewFileStore(dir, oauth.EncryptionKey{ID: 1, Key: make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("token directory mode %o, want 700", got)
	}
}
