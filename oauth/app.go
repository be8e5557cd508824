package oauth

import (
	"cmp"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const (
	// DefaultBaseURL is the server of HighLevel's token endpoints.
	DefaultBaseURL = "https://services.leadconnectorhq.com"
	// AuthURLStandard is HighLevel's consent page, where an agency or
	// location admin picks the location to install the app in.
	AuthURLStandard = "https://marketplace.gohighlevel.com/v2/oauth/chooselocation"
	// AuthURLWhiteLabel is the same page on the white-label domain.
	AuthURLWhiteLabel = "https://marketplace.leadconnectorhq.com/v2/oauth/chooselocation"
	// DefaultRefreshBefore is how long before expiry a token is refreshed.
	DefaultRefreshBefore = 5 * time.Minute

	// apiVersion is the Version header /oauth/locationToken requires.
	apiVersion = "2021-07-28"
	// defaultTimeout bounds one token request: a refresh holds its key's lock,
	// and a hung request must not block that location forever.
	defaultTimeout = 30 * time.Second
	maxBody        = 1 << 20
)

// Config describes a HighLevel marketplace app. ClientID, ClientSecret and
// Store are required.
type Config struct {
	ClientID     string
	ClientSecret string
	// RedirectURL is the app's redirect URI, sent with the authorization URL
	// and the code exchange. It must match one registered for the app.
	RedirectURL string
	// Scopes are requested in the authorization URL, e.g.
	// []string{"contacts.readonly", "contacts.write"}.
	Scopes []string
	// WhiteLabel sends installers to AuthURLWhiteLabel instead of
	// AuthURLStandard. AuthURL, when set, overrides both.
	WhiteLabel bool
	AuthURL    string
	// BaseURL is where /oauth/token, /oauth/locationToken and
	// /oauth/installedLocations live (default DefaultBaseURL); point it at a
	// ghltest server in tests.
	BaseURL string
	// Store keeps every token the app obtains, by location or company ID.
	Store TokenStore
	// HTTPClient sends token requests (default: a client with a 30 s
	// timeout). Token requests are never retried: a refresh whose answer is
	// lost may already have spent the refresh token.
	HTTPClient *http.Client
	// RefreshBefore is how long before expiry a token is refreshed (default
	// DefaultRefreshBefore), capped at half the token's lifetime.
	RefreshBefore time.Duration
	// Logger receives refresh failures and failed saves (never secrets).
	// Nil logs nothing.
	Logger *slog.Logger
	// MaxKeys bounds how many locations and companies the App keeps a
	// token and refresh state for in memory (default DefaultMaxKeys): the
	// least recently used beyond it are forgotten, and read from the Store
	// again when next used. A key is never forgotten while a call is using
	// it (so its refreshes stay one at a time) or while it holds a token
	// the Store refused (see TokenSource).
	MaxKeys int
	// Now is the clock of token expiry (default time.Now). Tests of an app
	// against ghltest set it, with ghltest.WithClock, to move both clocks
	// together: testing/synctest's fake clock does not serve there, since
	// ghltest is a real loopback server whose connections a synctest bubble
	// cannot wait on.
	Now func() time.Time
}

// App performs HighLevel's OAuth flows for one marketplace app and keeps
// its tokens fresh. Create one per app with NewApp and share it: it holds the
// per-key state that makes refreshes happen once per location at a time. It
// is safe for concurrent use.
type App struct {
	o2           oauth2.Config
	tokenURL     string
	locationURL  string
	installedURL string
	http         *http.Client
	store        TokenStore
	skew         time.Duration
	logger       *slog.Logger
	now          func() time.Time

	mu      sync.Mutex
	keys    map[string]*keyState
	lru     list.List // of *keyState, the most recently used first
	maxKeys int
}

// DefaultMaxKeys is Config.MaxKeys's default: a state is a token and a few
// fields, about a kilobyte.
const DefaultMaxKeys = 10_000

// NewApp checks cfg and returns an App.
func NewApp(cfg Config) (*App, error) {
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, errors.New("oauth: NewApp: ClientID is empty")
	}
	if strings.TrimSpace(cfg.ClientSecret) == "" {
		return nil, errors.New("oauth: NewApp: ClientSecret is empty")
	}
	if cfg.Store == nil {
		return nil, errors.New("oauth: NewApp: Store is nil; refresh tokens are single-use and must be saved")
	}
	for _, s := range cfg.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			return nil, fmt.Errorf("oauth: NewApp: invalid scope %q", s)
		}
	}
	if cfg.RefreshBefore < 0 {
		return nil, errors.New("oauth: NewApp: RefreshBefore is negative")
	}
	if cfg.MaxKeys < 0 {
		return nil, errors.New("oauth: NewApp: MaxKeys is negative")
	}
	if cfg.RedirectURL != "" {
		if _, err := parseHTTPURL(cfg.RedirectURL); err != nil {
			return nil, fmt.Errorf("oauth: NewApp: RedirectURL: %w", err)
		}
	}
	authURL := cfg.AuthURL
	switch {
	case authURL != "":
		if _, err := parseHTTPURL(authURL); err != nil {
			return nil, fmt.Errorf("oauth: NewApp: AuthURL: %w", err)
		}
	case cfg.WhiteLabel:
		authURL = AuthURLWhiteLabel
	default:
		authURL = AuthURLStandard
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	bu, err := parseHTTPURL(base)
	if err != nil {
		return nil, fmt.Errorf("oauth: NewApp: BaseURL: %w", err)
	}
	base = strings.TrimSuffix(bu.String(), "/")

	a := &App{
		o2: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       slices.Clone(cfg.Scopes),
			Endpoint: oauth2.Endpoint{
				AuthURL:   authURL,
				TokenURL:  base + "/oauth/token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		tokenURL:     base + "/oauth/token",
		locationURL:  base + "/oauth/locationToken",
		installedURL: base + "/oauth/installedLocations",
		http:         cfg.HTTPClient,
		store:        cfg.Store,
		skew:         cfg.RefreshBefore,
		logger:       cfg.Logger,
		now:          cfg.Now,
		keys:         make(map[string]*keyState),
		maxKeys:      cmp.Or(cfg.MaxKeys, DefaultMaxKeys),
	}
	if a.http == nil {
		a.http = &http.Client{Timeout: defaultTimeout}
	}
	if a.skew == 0 {
		a.skew = DefaultRefreshBefore
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return u, nil
}

// LoginInSameTab makes HighLevel open its login page in the same tab when
// the installer is not logged in (loginWindowOpenMode=self); the default is a
// new tab.
func LoginInSameTab() oauth2.AuthCodeOption {
	return oauth2.SetAuthURLParam("loginWindowOpenMode", "self")
}

// AuthCodeURL returns the consent page URL to send an installer to, with
// response_type=code, client_id, redirect_uri, the space-separated scopes and
// state (see NewState). opts add parameters, such as LoginInSameTab() or
// oauth2.SetAuthURLParam("version_id", id).
func (a *App) AuthCodeURL(state string, opts ...oauth2.AuthCodeOption) string {
	return a.o2.AuthCodeURL(state, opts...)
}

// Exchange trades the authorization code from the redirect (its "code"
// query parameter; check "state" first with VerifyState) for a token of
// userType, and saves it in the Store under Token.Key. It sends
// grant_type=authorization_code, code, user_type, redirect_uri, client_id and
// client_secret form-encoded to /oauth/token.
//
// If the Store refuses the token, Exchange returns the token and an error
// wrapping ErrTokenNotSaved: the token is valid and kept in memory, and the
// App saves it again on the key's next Token call or TokenSource.Flush. If
// HighLevel's token names neither a location nor a company, Exchange returns
// it unsaved with an error. HighLevel's errors wrap *oauth2.RetrieveError.
func (a *App) Exchange(ctx context.Context, code string, userType UserType) (*Token, error) {
	if ctx == nil {
		return nil, errors.New("oauth: Exchange: nil Context")
	}
	if strings.TrimSpace(code) == "" {
		return nil, errors.New("oauth: Exchange: authorization code is empty")
	}
	if !userType.valid() {
		return nil, fmt.Errorf("oauth: Exchange: user type %q is not %q or %q", userType, UserTypeLocation, UserTypeCompany)
	}
	issued := a.now()
	ot, err := a.o2.Exchange(a.httpContext(ctx), code, oauth2.SetAuthURLParam("user_type", string(userType)))
	if err != nil {
		readRetrieveError(err)
		return nil, wrapTokenErr(ctx, "exchanging authorization code", err)
	}
	tok := fromOAuth2(ot, issued)
	if tok.UserType == "" {
		tok.UserType = userType
	}
	key := tok.Key()
	if key == "" {
		return tok, errors.New("oauth: Exchange: HighLevel's token names no location or company to store it under")
	}
	if err := a.install(ctx, key, tok); err != nil {
		return tok.clone(), err
	}
	return tok.clone(), nil
}

// LocationToken uses the agency token stored under companyID to get a token
// for one of its locations (POST /oauth/locationToken), saves it under
// locationID and returns it. If HighLevel refuses the agency token (401) the
// agency token is renewed and the request repeated once. Like Exchange, it
// returns the token with an error wrapping ErrTokenNotSaved when the Store
// refuses it.
//
// Location tokens minted this way come without a refresh token of their own;
// TokenSource(ctx, locationID) renews them the same way when they expire.
func (a *App) LocationToken(ctx context.Context, companyID, locationID string) (*Token, error) {
	if ctx == nil {
		return nil, errors.New("oauth: LocationToken: nil Context")
	}
	if companyID == "" || locationID == "" {
		return nil, errors.New("oauth: LocationToken: companyID and locationID must not be empty")
	}
	if companyID == locationID {
		return nil, errors.New("oauth: LocationToken: companyID and locationID are the same")
	}
	tok, err := a.mintLocationToken(ctx, companyID, locationID)
	if err != nil {
		return nil, err
	}
	if err := a.install(ctx, locationID, tok); err != nil {
		return tok.clone(), err
	}
	return tok.clone(), nil
}

func (a *App) httpContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, a.http)
}

// refresh spends cur's refresh token at /oauth/token.
func (a *App) refresh(ctx context.Context, key string, cur *Token) (*Token, error) {
	params := url.Values{
		// clientcredentials lets grant_type be overridden (for servers such
		// as this one); x/oauth2's own refresher cannot send user_type.
		"grant_type":    {"refresh_token"},
		"refresh_token": {cur.RefreshToken},
	}
	if cur.UserType.valid() {
		params.Set("user_type", string(cur.UserType))
	}
	cc := clientcredentials.Config{
		ClientID:       a.o2.ClientID,
		ClientSecret:   a.o2.ClientSecret,
		TokenURL:       a.tokenURL,
		EndpointParams: params,
		AuthStyle:      oauth2.AuthStyleInParams,
	}
	issued := a.now()
	ot, err := cc.Token(a.httpContext(ctx))
	if err != nil {
		if re := readRetrieveError(err); re != nil && grantGone(re) {
			return nil, fmt.Errorf("oauth: refreshing token for %q: %w: %w", key, ErrReinstallRequired, err)
		}
		return nil, wrapTokenErr(ctx, fmt.Sprintf("refreshing token for %q", key), err)
	}
	next := fromOAuth2(ot, issued)
	next.inherit(cur)
	return next, nil
}

// mintLocationToken asks /oauth/locationToken for a location token with the
// agency token of companyID.
func (a *App) mintLocationToken(ctx context.Context, companyID, locationID string) (*Token, error) {
	what := fmt.Sprintf("getting a token for location %q", locationID)
	form := url.Values{"companyId": {companyID}, "locationId": {locationID}}.Encode()
	body, issued, err := a.agencyRequest(ctx, companyID, what, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.locationURL, strings.NewReader(form))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, err
	})
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("oauth: %s: decoding response: %w", what, err)
	}
	ot := (&oauth2.Token{}).WithExtra(raw)
	ot.AccessToken = extraString(ot, "access_token")
	ot.TokenType = extraString(ot, "token_type")
	ot.RefreshToken = extraString(ot, "refresh_token")
	if ot.AccessToken == "" {
		return nil, fmt.Errorf("oauth: %s: response has no access_token", what)
	}
	tok := fromOAuth2(ot, issued)
	if tok.LocationID == "" {
		tok.LocationID = locationID
	}
	if tok.LocationID != locationID {
		return nil, fmt.Errorf("oauth: asked for a token for location %q, got one for %q", locationID, tok.LocationID)
	}
	if tok.CompanyID == "" {
		tok.CompanyID = companyID
	}
	if tok.UserType == "" {
		tok.UserType = UserTypeLocation
	}
	return tok, nil
}

// agencyRequest sends the request build makes, with the agency token of
// companyID and the Version header. If HighLevel refuses the agency token
// (401) it is renewed and the request made once more. It returns a 2xx
// answer's body and when the request was sent; HighLevel's refusals wrap an
// *oauth2.RetrieveError. what names the call in errors.
func (a *App) agencyRequest(ctx context.Context, companyID, what string, build func(context.Context) (*http.Request, error)) ([]byte, time.Time, error) {
	for attempt := 0; ; attempt++ {
		agency, err := a.current(ctx, companyID)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("oauth: agency token for company %q: %w", companyID, err)
		}
		req, err := build(ctx)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("oauth: %s: %w", what, err)
		}
		req.Header.Set("Authorization", "Bearer "+agency.AccessToken)
		req.Header.Set("Version", apiVersion)
		req.Header.Set("Accept", "application/json")
		sent := a.now()
		resp, err := a.http.Do(req)
		if err != nil {
			return nil, time.Time{}, wrapTokenErr(ctx, what, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return nil, time.Time{}, wrapTokenErr(ctx, what, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			a.invalidate(companyID, agency.AccessToken)
			continue
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return nil, time.Time{}, fmt.Errorf("oauth: %s: %w", what, apiRetrieveError(resp, body))
		}
		return body, sent, nil
	}
}

// apiRetrieveError describes a failed answer of an agency call the way
// x/oauth2 describes token endpoint failures, so callers need one
// errors.As.
func apiRetrieveError(resp *http.Response, body []byte) *oauth2.RetrieveError {
	re := &oauth2.RetrieveError{Response: resp, Body: body}
	re.ErrorCode, re.ErrorDescription = apiMessage(body)
	if re.ErrorCode == "" {
		re.ErrorCode = http.StatusText(resp.StatusCode)
	}
	return re
}

// apiMessage reads HighLevel's error body, which has the spec's shape
// {"statusCode", "message", "error"}: message is a string, or a list of
// strings (422), joined with "; ".
func apiMessage(body []byte) (errName, message string) {
	var e struct {
		Error   string          `json:"error"`
		Message json.RawMessage `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	var list []string
	if json.Unmarshal(e.Message, &message) != nil && json.Unmarshal(e.Message, &list) == nil {
		message = strings.Join(list, "; ")
	}
	return e.Error, message
}

// readRetrieveError completes the *oauth2.RetrieveError in err, if any.
// x/oauth2 reads RFC 6749's {"error", "error_description"}; HighLevel's
// token endpoint answers with the spec's {"statusCode", "message",
// "error"}, whose message would otherwise be lost: it becomes
// ErrorDescription, and so part of the error's text.
func readRetrieveError(err error) *oauth2.RetrieveError {
	re, ok := errors.AsType[*oauth2.RetrieveError](err)
	if !ok {
		return nil
	}
	if re.ErrorDescription == "" {
		_, re.ErrorDescription = apiMessage(re.Body)
	}
	return re
}

// grantGone reports whether HighLevel refused a refresh because the grant
// no longer exists (the refresh token was spent, revoked or expired, or the
// app was uninstalled), so that only a new install helps: RFC 6749's
// invalid_grant, or a 400 or 401 whose message speaks of an invalid grant
// or of the refresh token ("Invalid grant: refresh token is invalid"). A
// refusal of the client credentials, or any other answer, is not.
func grantGone(re *oauth2.RetrieveError) bool {
	if re.ErrorCode == "invalid_grant" {
		return true
	}
	if re.Response == nil || (re.Response.StatusCode != http.StatusBadRequest && re.Response.StatusCode != http.StatusUnauthorized) {
		return false
	}
	msg := strings.ToLower(re.ErrorDescription)
	return strings.Contains(msg, "invalid grant") || strings.Contains(msg, "refresh token")
}

// wrapTokenErr returns ctx.Err() when the context ended, else err with context.
func wrapTokenErr(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("oauth: %s: %w", what, err)
}

func (a *App) log(level slog.Level, msg, key string, err error) {
	if a.logger == nil {
		return
	}
	a.logger.LogAttrs(context.Background(), level, "oauth: "+msg, slog.String("key", key), slog.String("error", err.Error()))
}
