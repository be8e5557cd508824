package oauth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EncryptionKey is a 32-byte AES-256 key for a FileStore, with an ID that
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
// File layout: "GHLT", format version (1), key ID, 12-byte random nonce,
// then the sealed JSON token. The header and the SHA-256 of the store key are
// the GCM additional data, so a file altered, or copied under another key's
// name, fails to decrypt (ErrDecrypt). File names are the hex SHA-256 of the
// key plus ".token", so keys never become paths.
//
// Save writes a temporary file in the same directory with mode 0600, syncs
// it, renames it over the old file and syncs the directory: a crash leaves
// the old token or the new one, never a torn file. Save always seals with the
// primary key; Load opens files sealed with any key the store was given, and
// Rotate re-seals every file with the primary key so old keys can be retired.
//
// Several FileStores (even in several processes) may share a directory.
type FileStore struct {
	dir       string
	primaryID byte
	aeads     map[byte]cipher.AEAD

	// beforeRename, when set (by tests), runs before the temporary file
	// replaces the real one; an error aborts the save.
	beforeRename func(tmpPath string) error
}

const (
	fileMagic   = "GHLT"
	fileVersion = 1
	headerLen   = len(fileMagic) + 2
	nonceLen    = 12
	fileSuffix  = ".token"
	tmpPrefix   = ".tmp-"
	maxFileSize = 1 << 20
)

// NewFileStore returns a FileStore over dir, creating it with mode 0700 if
// needed. primary seals new files; older keys only open existing ones. Key IDs
// must be distinct and every key 32 bytes long. The store copies the keys.
func NewFileStore(dir string, primary EncryptionKey, older ...EncryptionKey) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("oauth: NewFileStore: empty directory")
	}
	s := &FileStore{dir: dir, primaryID: primary.ID, aeads: make(map[byte]cipher.AEAD)}
	for _, k := range append([]EncryptionKey{primary}, older...) {
		if len(k.Key) != 32 {
			return nil, fmt.Errorf("oauth: NewFileStore: key %d is %d bytes; AES-256 needs 32", k.ID, len(k.Key))
		}
		if _, dup := s.aeads[k.ID]; dup {
			return nil, fmt.Errorf("oauth: NewFileStore: key ID %d given twice", k.ID)
		}
		block, err := aes.NewCipher(append([]byte(nil), k.Key...))
		if err != nil {
			return nil, fmt.Errorf("oauth: NewFileStore: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("oauth: NewFileStore: %w", err)
		}
		s.aeads[k.ID] = aead
	}
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
		tok, keyID, err := s.open(path, sum)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return n, fmt.Errorf("oauth: rotating %s: %w", name, err)
		}
		if keyID == s.primaryID {
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

func additionalData(header []byte, sum [sha256.Size]byte) []byte {
	return append(append([]byte(nil), header...), sum[:]...)
}

// open reads and decrypts one file; it returns the ID of the key that opened it.
func (s *FileStore) open(path string, sum [sha256.Size]byte) (*Token, byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) > maxFileSize || len(data) < headerLen+nonceLen || string(data[:len(fileMagic)]) != fileMagic {
		return nil, 0, fmt.Errorf("%w: not a token file", ErrDecrypt)
	}
	if v := data[len(fileMagic)]; v != fileVersion {
		return nil, 0, fmt.Errorf("%w: unknown format version %d", ErrDecrypt, v)
	}
	keyID := data[len(fileMagic)+1]
	aead, ok := s.aeads[keyID]
	if !ok {
		return nil, 0, fmt.Errorf("%w: sealed with key ID %d, which this store was not given", ErrDecrypt, keyID)
	}
	header, nonce, sealed := data[:headerLen], data[headerLen:headerLen+nonceLen], data[headerLen+nonceLen:]
	plain, err := aead.Open(nil, nonce, sealed, additionalData(header, sum))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: authentication failed (altered, or stored under another key)", ErrDecrypt)
	}
	tok := new(Token)
	err = json.Unmarshal(plain, tok)
	clear(plain)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: bad token encoding", ErrDecrypt)
	}
	return tok, keyID, nil
}

// seal encrypts tok with the primary key and replaces path atomically.
func (s *FileStore) seal(path string, sum [sha256.Size]byte, tok *Token) (err error) {
	plain, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	defer clear(plain)
	header := []byte{fileMagic[0], fileMagic[1], fileMagic[2], fileMagic[3], fileVersion, s.primaryID}
	nonce := make([]byte, nonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	aead := s.aeads[s.primaryID]
	out := make([]byte, 0, headerLen+nonceLen+len(plain)+aead.Overhead())
	out = append(out, header...)
	out = append(out, nonce...)
	out = aead.Seal(out, nonce, plain, additionalData(header, sum))

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
