package oauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
)

// Sealer encrypts tokens with AES-256-GCM for a TokenStore, in the
// FileStore's format, so that a store of your own (a database row, a
// bucket) keeps no token in plain text and rotates keys the same way.
//
// A sealed token is "GHLT", format version (1), key ID, 12-byte random
// nonce, then the encrypted JSON token. The header and the SHA-256 of the
// store key (location or company ID) are the GCM additional data, so a
// sealed token altered, or moved under another store key, fails to open
// (ErrDecrypt). Seal always uses the primary key; Open takes a token sealed
// with any key the Sealer was given and says whether it should be sealed
// again with the primary key. It is safe for concurrent use.
type Sealer struct {
	primaryID byte
	aeads     map[byte]cipher.AEAD
}

const (
	fileMagic   = "GHLT"
	fileVersion = 1
	headerLen   = len(fileMagic) + 2
	nonceLen    = 12
	maxSealed   = 1 << 20
)

// NewSealer returns a Sealer that seals with primary and opens what
// primary or any of the older keys sealed. Key IDs must be distinct and
// every key 32 bytes long. The Sealer copies the keys.
func NewSealer(primary EncryptionKey, older ...EncryptionKey) (*Sealer, error) {
	s := &Sealer{primaryID: primary.ID, aeads: make(map[byte]cipher.AEAD)}
	for _, k := range append([]EncryptionKey{primary}, older...) {
		if len(k.Key) != 32 {
			return nil, fmt.Errorf("key %d is %d bytes; AES-256 needs 32", k.ID, len(k.Key))
		}
		if _, dup := s.aeads[k.ID]; dup {
			return nil, fmt.Errorf("key ID %d given twice", k.ID)
		}
		block, err := aes.NewCipher(append([]byte(nil), k.Key...))
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.aeads[k.ID] = aead
	}
	return s, nil
}

// Seal encrypts tok, to be stored under key, with the primary key.
func (s *Sealer) Seal(key string, tok *Token) ([]byte, error) {
	return s.seal(sha256.Sum256([]byte(key)), tok)
}

// seal is Seal for the store key whose SHA-256 is sum.
func (s *Sealer) seal(sum [sha256.Size]byte, tok *Token) ([]byte, error) {
	if tok == nil {
		return nil, errors.New("oauth: Seal: nil token")
	}
	plain, err := json.Marshal(tok)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	header := []byte{fileMagic[0], fileMagic[1], fileMagic[2], fileMagic[3], fileVersion, s.primaryID}
	aead := s.aeads[s.primaryID]
	out := make([]byte, headerLen+nonceLen, headerLen+nonceLen+len(plain)+aead.Overhead())
	copy(out, header)
	nonce := out[headerLen:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(out, nonce, plain, additionalData(header, sum)), nil
}

// Open decrypts a token that Seal sealed for key. primary is false when it
// was sealed with an older key: seal it again so the older key can be
// retired. Every failure wraps ErrDecrypt.
func (s *Sealer) Open(key string, sealed []byte) (tok *Token, primary bool, err error) {
	return s.open(sha256.Sum256([]byte(key)), sealed)
}

// open is Open for the store key whose SHA-256 is sum.
func (s *Sealer) open(sum [sha256.Size]byte, sealed []byte) (tok *Token, primary bool, err error) {
	if len(sealed) > maxSealed || len(sealed) < headerLen+nonceLen || string(sealed[:len(fileMagic)]) != fileMagic {
		return nil, false, fmt.Errorf("%w: not a sealed token", ErrDecrypt)
	}
	if v := sealed[len(fileMagic)]; v != fileVersion {
		return nil, false, fmt.Errorf("%w: unknown format version %d", ErrDecrypt, v)
	}
	keyID := sealed[len(fileMagic)+1]
	aead, ok := s.aeads[keyID]
	if !ok {
		return nil, false, fmt.Errorf("%w: sealed with key ID %d, which this store was not given", ErrDecrypt, keyID)
	}
	header, nonce, ciphertext := sealed[:headerLen], sealed[headerLen:headerLen+nonceLen], sealed[headerLen+nonceLen:]
	plain, err := aead.Open(nil, nonce, ciphertext, additionalData(header, sum))
	if err != nil {
		return nil, false, fmt.Errorf("%w: authentication failed (altered, or stored under another key)", ErrDecrypt)
	}
	tok = new(Token)
	err = json.Unmarshal(plain, tok)
	clear(plain)
	if err != nil {
		return nil, false, fmt.Errorf("%w: bad token encoding", ErrDecrypt)
	}
	return tok, keyID == s.primaryID, nil
}

func additionalData(header []byte, sum [sha256.Size]byte) []byte {
	return append(append([]byte(nil), header...), sum[:]...)
}
