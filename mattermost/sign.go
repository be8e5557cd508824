package mattermost

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Errors from Signer.Verify, also returned by the action and dialog
// handlers' checks.
var (
	// ErrUnsigned: the context or state carries no signature at all.
	ErrUnsigned = errors.New("mattermost: context is not signed")
	// ErrBadSignature: the signature does not match (the data was altered,
	// signed with an unknown key, or signed for another purpose).
	ErrBadSignature = errors.New("mattermost: bad signature")
	// ErrExpired: the signature is genuine but its time is up.
	ErrExpired = errors.New("mattermost: signature expired")
	// ErrWrongChannel: the token is genuine but bound to another channel
	// (a button's context replayed from elsewhere).
	ErrWrongChannel = errors.New("mattermost: signed for another channel")
	// ErrWrongUser: the token is genuine but bound to another user (a
	// dialog opened by someone else).
	ErrWrongUser = errors.New("mattermost: signed for another user")
	// ErrAlreadyUsed: the token is one-time and was used already (a
	// replayed dialog submission). Token.Check cannot tell: the receiver
	// records nonces (Token.NonceKey) and returns it.
	ErrAlreadyUsed = errors.New("mattermost: already used")
)

// ContextKey is the key under which Signer.Integration puts the signed
// token in a button's integration context.
const ContextKey = "ghlkit_sig"

// Kinds of signed data, bound into the signature so that a token made for
// one use cannot be replayed as another.
const (
	KindAction = "action"
	KindDialog = "dialog"
)

// MinSecretLen is the shortest secret NewSigner accepts (256 bits).
const MinSecretLen = 32

// Signer signs the data an integration hands to Mattermost and gets back
// unchanged but unauthenticated: button contexts and dialog state. Mattermost
// does not sign the requests it sends to integrations, so whatever a handler
// trusts in them (a task ID, a contact ID) must carry the integration's own
// signature. Signatures are HMAC-SHA256 over the kind, name, values and
// expiry.
//
// The values are signed, not encrypted: do not put secrets in them.
type Signer struct {
	keys      [][]byte // keys[0] signs; all verify
	now       func() time.Time
	actionTTL time.Duration
	dialogTTL time.Duration
}

// SignerOption configures a Signer.
type SignerOption func(*Signer) error

// WithPreviousSecrets accepts signatures made with older secrets, so that a
// secret can be rotated without breaking buttons already posted.
func WithPreviousSecrets(secrets ...[]byte) SignerOption {
	return func(s *Signer) error {
		for _, k := range secrets {
			if len(k) < MinSecretLen {
				return invalidParam("WithPreviousSecrets", "every secret needs at least 32 bytes")
			}
			s.keys = append(s.keys, append([]byte(nil), k...))
		}
		return nil
	}
}

// WithSignerClock sets the clock used for expiry (tests).
func WithSignerClock(now func() time.Time) SignerOption {
	return func(s *Signer) error {
		if now == nil {
			return invalidParam("WithSignerClock", "must not be nil")
		}
		s.now = now
		return nil
	}
}

// WithActionTTL sets how long a signed button stays valid (default 7 days).
func WithActionTTL(d time.Duration) SignerOption {
	return func(s *Signer) error {
		if d <= 0 {
			return invalidParam("WithActionTTL", "must be positive")
		}
		s.actionTTL = d
		return nil
	}
}

// WithDialogTTL sets how long a signed dialog state stays valid (default 1
// hour).
func WithDialogTTL(d time.Duration) SignerOption {
	return func(s *Signer) error {
		if d <= 0 {
			return invalidParam("WithDialogTTL", "must be positive")
		}
		s.dialogTTL = d
		return nil
	}
}

// NewSigner returns a Signer using secret (at least MinSecretLen random
// bytes; keep it out of source code).
func NewSigner(secret []byte, opts ...SignerOption) (*Signer, error) {
	if len(secret) < MinSecretLen {
		return nil, invalidParam("secret", "needs at least 32 bytes")
	}
	s := &Signer{
		keys:      [][]byte{append([]byte(nil), secret...)},
		now:       time.Now,
		actionTTL: 7 * 24 * time.Hour,
		dialogTTL: time.Hour,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Binding says where, for whom and how often a signed token is valid. A
// token without a binding is a capability anyone who sees it can use any
// number of times, anywhere: bind what can be bound.
type Binding struct {
	// ChannelID, if set, is the only channel the token is valid in: the
	// channel a button is posted in, or a dialog opened from.
	ChannelID string
	// UserID, if set, is the only user who may use the token.
	UserID string
	// OneTime puts a random nonce in the token; the receiver records it
	// when the token is used (Token.NonceKey) and refuses it after.
	OneTime bool
	// Scope, if set, binds the token to a context of the receiver's own
	// that channel and user do not name (the bridge binds the HighLevel
	// location a channel is connected to): the receiver compares
	// Token.Scope with its current one and refuses a token of another.
	Scope string
}

// Token is a verified signed token: what Sign bound into it.
type Token struct {
	Kind      string
	Name      string
	Values    map[string]string
	ChannelID string // "" when not bound to a channel
	UserID    string // "" when not bound to a user
	Scope     string // "" when not bound to a scope (Binding.Scope)
	// Nonce is the token's one-time nonce ("" when it may be used more
	// than once), as decoded from its signed payload.
	Nonce   string
	Expires time.Time
}

// Check reports whether the token may be used in channelID by userID:
// ErrWrongChannel or ErrWrongUser when it is bound elsewhere. One-time
// use is the receiver's to check (NonceKey).
func (t *Token) Check(channelID, userID string) error {
	if t.ChannelID != "" && t.ChannelID != channelID {
		return ErrWrongChannel
	}
	if t.UserID != "" && t.UserID != userID {
		return ErrWrongUser
	}
	return nil
}

// RefusalText tells a user why a genuine token was refused (ErrWrongChannel,
// ErrWrongUser, ErrAlreadyUsed), and "" for other errors.
func RefusalText(err error) string {
	switch {
	case errors.Is(err, ErrWrongChannel):
		return "This button belongs to another channel; use it where it was posted."
	case errors.Is(err, ErrWrongUser):
		return "This was made for another user; only they can use it."
	case errors.Is(err, ErrAlreadyUsed):
		return "This was already used; nothing was done again. Run the command again if you need to."
	}
	return ""
}

// NonceKey is the key under which a receiver records that a one-time
// token was used, until t.Expires; "" when the token is not one-time. It
// comes from the signed payload as decoded, never from the token's text,
// so that two spellings of one token share a key.
func (t *Token) NonceKey() string {
	if t.Nonce == "" {
		return ""
	}
	return t.Kind + "/" + t.Nonce
}

// signedPayload is what a token carries.
type signedPayload struct {
	Kind    string            `json:"k"`
	Name    string            `json:"n"`
	Values  map[string]string `json:"v,omitempty"`
	Channel string            `json:"c,omitempty"`
	User    string            `json:"u,omitempty"`
	Scope   string            `json:"s,omitempty"`
	Nonce   string            `json:"o,omitempty"`
	Expires int64             `json:"e"` // Unix seconds
}

// newNonce returns 128 random bits as text.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

const tokenPrefix = "v1."

// Sign returns a token binding kind, name and values until ttl from now,
// valid anywhere for anyone (SignBound binds it).
// Tokens are URL-safe text: "v1.<payload>.<mac>".
func (s *Signer) Sign(kind, name string, values map[string]string, ttl time.Duration) (string, error) {
	return s.SignBound(kind, name, values, Binding{}, ttl)
}

// SignBound is Sign with the token bound to a channel, a user and one use
// as bind says.
func (s *Signer) SignBound(kind, name string, values map[string]string, bind Binding, ttl time.Duration) (string, error) {
	if kind == "" {
		return "", invalidParam("kind", "must not be empty")
	}
	if ttl <= 0 {
		return "", invalidParam("ttl", "must be positive")
	}
	p := signedPayload{Kind: kind, Name: name, Values: values, Channel: bind.ChannelID, User: bind.UserID, Scope: bind.Scope, Expires: s.now().Add(ttl).Unix()}
	if bind.OneTime {
		p.Nonce = newNonce()
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(raw)
	return tokenPrefix + body + "." + base64.RawURLEncoding.EncodeToString(mac(s.keys[0], body)), nil
}

func mac(key []byte, body string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("ghlkit/mattermost\x00"))
	h.Write([]byte(body))
	return h.Sum(nil)
}

// Verify checks a token made by Sign for kind and returns its name and
// values. The signature is checked before anything in the token is read.
// Errors: ErrUnsigned for an empty token, ErrBadSignature for anything
// altered, malformed or made for another kind, ErrExpired when its time is
// up.
func (s *Signer) Verify(kind, token string) (name string, values map[string]string, err error) {
	t, err := s.VerifyToken(kind, token)
	if err != nil {
		return "", nil, err
	}
	return t.Name, t.Values, nil
}

// VerifyToken is Verify returning all the token binds (see Token.Check).
func (s *Signer) VerifyToken(kind, token string) (*Token, error) {
	if token == "" {
		return nil, ErrUnsigned
	}
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return nil, ErrBadSignature
	}
	body, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, ErrBadSignature
	}
	// Strict: a token has exactly one spelling. The lenient decoder ignores
	// the unused low bits of the last character, so several strings would
	// carry one MAC and anything remembering tokens by their text could be
	// bypassed by re-spelling one.
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		return nil, ErrBadSignature
	}
	valid := false
	for _, k := range s.keys {
		if hmac.Equal(got, mac(k, body)) {
			valid = true
		}
	}
	if !valid {
		return nil, ErrBadSignature
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, ErrBadSignature
	}
	var p signedPayload
	if err := json.Unmarshal(raw, &p); err != nil || p.Kind != kind {
		return nil, ErrBadSignature
	}
	if !s.now().Before(time.Unix(p.Expires, 0)) {
		return nil, ErrExpired
	}
	return &Token{
		Kind: p.Kind, Name: p.Name, Values: p.Values,
		ChannelID: p.Channel, UserID: p.User, Scope: p.Scope, Nonce: p.Nonce,
		Expires: time.Unix(p.Expires, 0),
	}, nil
}

// Integration returns a button integration that sends clicks to url with
// the action name and values signed into its context (valid for the action
// TTL), bound as bind says: set bind.ChannelID to the channel the button is
// posted in. ActionHandler verifies it and routes by action.
func (s *Signer) Integration(url, action string, values map[string]string, bind Binding) (*Integration, error) {
	if err := validateAbsURL("url", url); err != nil {
		return nil, err
	}
	if action == "" {
		return nil, invalidParam("action", "must not be empty")
	}
	tok, err := s.SignBound(KindAction, action, values, bind, s.actionTTL)
	if err != nil {
		return nil, err
	}
	return &Integration{URL: url, Context: map[string]any{ContextKey: tok}}, nil
}

// VerifyContext checks an integration context made by Integration and
// returns the signed token (its Name is the action).
func (s *Signer) VerifyContext(ctx map[string]any) (*Token, error) {
	raw, present := ctx[ContextKey]
	if !present {
		return nil, ErrUnsigned
	}
	tok, ok := raw.(string)
	if !ok {
		return nil, ErrBadSignature
	}
	return s.VerifyToken(KindAction, tok)
}

// DialogState returns a dialog state that binds values to the dialog's
// callbackID (valid for the dialog TTL) and to bind; a dialog state is
// always one-time (bind.OneTime is implied): a submission is a write, and
// the receiver records its nonce. DialogHandler verifies it.
func (s *Signer) DialogState(callbackID string, values map[string]string, bind Binding) (string, error) {
	if callbackID == "" {
		return "", invalidParam("callbackID", "must not be empty")
	}
	bind.OneTime = true
	return s.SignBound(KindDialog, callbackID, values, bind, s.dialogTTL)
}
