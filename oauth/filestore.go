package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EncryptionKey is a 32-byte AES-256 key for a FileStore or a Sealer, with an ID that
// is written into every file it seals so that keys can be rotated: give the
// store the new key as primary and the old ones as older keys.
type EncryptionKey struct {
	ID  byte
	Key []byte // exactly 32 bytes, from a secret manager, never from source code
}

// String keeps the key material out of logs.
func (k EncryptionKey) String() string {
	return fmt.Sprintf("oauth.EncryptionKey{ID:%d Key:[redacted]}", k.ID)
}

// GoString keeps %#v from printing the key.
func (k EncryptionKey) GoString() string { return k.String() }

// FileStore is a TokenStore that keeps one file per key in a directory,
// encrypted with AES-256-GCM; tokens never touch the disk in plain text.
//
// Each file holds one token sealed by a Sealer (see there for the format):
// a file altered, or copied under another key's name, fails to decrypt
// (ErrDecrypt). File names are the hex SHA-256 of the key plus ".token", so
// keys never become paths.
//
// Save writes a temporary file in the same directory with mode 0600, syncs
// it, renames it over the old file and syncs the directory: a crash leaves
// the old token or the new one, never a torn file. Save always seals with the
// primary key; Load opens files sealed with any key the store was given, and
// Rotate re-seals every file with the primary key so old keys can be retired.
//
// Several FileStores (even in several processes) may share a directory.
type FileStore struct {
	dir    string
	sealer *Sealer

	// beforeRename, when set (by tests), runs before the temporary file
	// replaces the real one; an error aborts the save.
	beforeRename func(tmpPath string) error
}

const (
	fileSuffix = ".token"
	tmpPrefix  = ".tmp-"
)

// NewFileStore returns a FileStore over dir, creating it with mode 0700 if
// needed. primary seals new files; older keys only open existing ones. Key IDs
// must be distinct and every key 32 bytes long. The store copies the keys.
func NewFileStore(dir string, primary EncryptionKey, older ...EncryptionKey) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("oauth: NewFileStore: empty directory")
	}
	sealer, err := NewSealer(primary, older...)
	if err != nil {
		return nil, fmt.Errorf("oauth: NewFileStore: %w", err)
	}
	s := &FileStore{dir: dir, sealer: sealer}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("oauth: NewFileStore: %w", err)
	}
	// MkdirAll leaves an existing directory as it was: tokens are
	// encrypted, but who may list, replace or delete them is the
	// directory's mode.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("oauth: NewFileStore: %w", err)
	}
	return s, nil
}

// Load decrypts the token saved under key. A missing file gives an error
// wrapping ErrNotFound; one that fails to decrypt, ErrDecrypt.
func (s *FileStore) Load(ctx context.Context, key string) (*Token, error) {
	if err := checkStoreArgs(ctx, key); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	tok, _, err := s.open(s.path(sum), sum)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("oauth: key %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: loading token for %q: %w", key, err)
	}
	return tok, nil
}

// Save encrypts tok with the primary key and atomically replaces the file
// for key.
func (s *FileStore) Save(ctx context.Context, key string, tok *Token) error {
	if err := checkStoreArgs(ctx, key); err != nil {
		return err
	}
	if tok == nil {
		return errors.New("oauth: FileStore.Save: nil token")
	}
	sum := sha256.Sum256([]byte(key))
	if err := s.seal(s.path(sum), sum, tok); err != nil {
		return fmt.Errorf("oauth: saving token for %q: %w", key, err)
	}
	return nil
}

// Delete removes the file for key. Deleting a missing key is not an error.
func (s *FileStore) Delete(ctx context.Context, key string) error {
	if err := checkStoreArgs(ctx, key); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(key))
	if err := os.Remove(s.path(sum)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("oauth: deleting token for %q: %w", key, err)
	}
	return syncDir(s.dir)
}

// Rotate re-seals with the primary key every file sealed with an older key,
// and returns how many it rewrote. After it succeeds the older keys can be
// dropped from the configuration. It stops at the first file it cannot open.
func (s *FileStore) Rotate(ctx context.Context) (int, error) {
	if ctx == nil {
		return 0, errors.New("oauth: nil Context")
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("oauth: rotating keys: %w", err)
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		name := e.Name()
		hexSum, ok := strings.CutSuffix(name, fileSuffix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		raw, err := hex.DecodeString(hexSum)
		if err != nil || len(raw) != sha256.Size {
			continue
		}
		sum := [sha256.Size]byte(raw)
		path := filepath.Join(s.dir, name)
		tok, primary, err := s.open(path, sum)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("oauth: rotating %s: %w", name, err)
		}
		if primary {
			continue
		}
		if err := s.seal(path, sum, tok); err != nil {
			return n, fmt.Errorf("oauth: rotating %s: %w", name, err)
		}
		n++
	}
	return n, nil
}

func (s *FileStore) path(sum [sha256.Size]byte) string {
	return filepath.Join(s.dir, hex.EncodeToString(sum[:])+fileSuffix)
}

// open reads and decrypts one file; primary reports whether the primary
// key sealed it.
func (s *FileStore) open(path string, sum [sha256.Size]byte) (tok *Token, primary bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSealed+1))
	if err != nil {
		return nil, false, err
	}
	return s.sealer.open(sum, data)
}

// seal encrypts tok with the primary key and replaces path atomically.
func (s *FileStore) seal(path string, sum [sha256.Size]byte, tok *Token) (err error) {
	out, err := s.sealer.seal(sum, tok)
	if err != nil {
		return err
	}
	// CreateTemp makes the file with mode 0600, in the same directory so the
	// rename cannot cross file systems.
	f, err := os.CreateTemp(s.dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(out); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if s.beforeRename != nil {
		if err = s.beforeRename(tmp); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(s.dir)
}

// syncDir makes a rename or removal in dir durable. Windows cannot sync a
// directory; there the rename is all we can do.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
