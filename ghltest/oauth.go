package ghltest

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authCodeLifetime is how long an authorization code from Authorize stays
// usable.
const authCodeLifetime = 10 * time.Minute

// Install describes an app installation, from which Authorize issues an
// authorization code.
type Install struct {
	// ClientID is the app; register it first with AddOAuthClient. As in
	// HighLevel, a client ID is the app's ID optionally followed by "-" and
	// a suffix ("64f8c1e2a1b2c3d4e5f6a7b8-lmx0yz1a"): GET
	// /oauth/installedLocations finds the install by that app ID.
	ClientID string
	// UserType is "Location" (the default) for a sub-account install or
	// "Company" for an agency install.
	UserType string
	// LocationID is the installed location (Location installs).
	LocationID string
	// CompanyID is the agency; optional for Location installs.
	CompanyID string
	// UserID is the user who installed the app; generated when empty.
	UserID string
	// Scopes granted, e.g. ScopeContactsReadOnly, ScopeContactsWrite,
	// ScopeOAuthWrite.
	Scopes []string
	// RedirectURI, when set, must be sent again as redirect_uri.
	RedirectURI string
	// ApprovedLocations limits the locations a Company token may get
	// location tokens for. When empty, every location registered with
	// AddLocation under CompanyID is approved.
	ApprovedLocations []string
}

type oauthState struct {
	clients  map[string]string // client_id → client_secret
	codes    map[string]*authCode
	refresh  map[string]*refreshToken
	installs []installRec                 // in the order Authorize recorded them
	ended    map[*Install]bool            // uninstalled as a whole
	removed  map[*Install]map[string]bool // locations a Company install no longer covers
}

// installRec is an install and when it happened.
type installRec struct {
	in *Install
	at time.Time
}

type authCode struct {
	in      *Install
	used    bool
	expires time.Time
}

type refreshToken struct {
	in   *Install
	used bool
}

func newOAuthState() oauthState {
	return oauthState{clients: map[string]string{}, codes: map[string]*authCode{}, refresh: map[string]*refreshToken{},
		ended: map[*Install]bool{}, removed: map[*Install]map[string]bool{}}
}

// AddOAuthClient registers an app's client credentials.
func (s *Server) AddOAuthClient(clientID, clientSecret string) {
	if clientID == "" || clientSecret == "" {
		panic("ghltest: AddOAuthClient: client ID and secret must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.clients[clientID] = clientSecret
}

// Authorize records an install and returns the authorization code the
// marketplace would append to the redirect URI. The code is single-use and
// expires after ten minutes of the server's clock. The install counts for
// GET /oauth/installedLocations from then on, and an INSTALL webhook is
// emitted (see EventInstall) when a webhook target is set.
func (s *Server) Authorize(in Install) string {
	if in.UserType == "" {
		in.UserType = "Location"
	}
	switch {
	case in.UserType != "Location" && in.UserType != "Company":
		panic(fmt.Sprintf("ghltest: Authorize: UserType %q is neither Location nor Company", in.UserType))
	case in.UserType == "Location" && in.LocationID == "":
		panic("ghltest: Authorize: a Location install needs LocationID")
	case in.UserType == "Company" && in.CompanyID == "":
		panic("ghltest: Authorize: a Company install needs CompanyID")
	}
	in.Scopes = slices.Clone(in.Scopes)
	in.ApprovedLocations = slices.Clone(in.ApprovedLocations)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.oauth.clients[in.ClientID]; !ok {
		panic(fmt.Sprintf("ghltest: Authorize: unknown client %q; call AddOAuthClient first", in.ClientID))
	}
	if in.UserID == "" {
		in.UserID = s.secrets.next()
	}
	if in.LocationID != "" {
		ls := s.location(in.LocationID)
		if ls.loc.CompanyID == "" {
			ls.loc.CompanyID = in.CompanyID
		}
	}
	code := s.secrets.nextN(40)
	s.oauth.codes[code] = &authCode{in: &in, expires: s.clock().Add(authCodeLifetime)}
	s.oauth.installs = append(s.oauth.installs, installRec{in: &in, at: s.clock()})
	s.emitInstall(&in)
	return code
}

// TokenRequests returns how many requests POST /oauth/token received,
// failed ones included.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// readForm parses a form-encoded body; it writes 400 when it is not one.
func readForm(w http.ResponseWriter, r *http.Request, body []byte) (url.Values, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		writeError(w, http.StatusBadRequest, "Content-Type must be application/x-www-form-urlencoded")
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed form body")
		return nil, false
	}
	return form, true
}

func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
		return
	}
	s.mu.Lock()
	s.tokenRequests++
	s.mu.Unlock()
	form, ok := readForm(w, r, body)
	if !ok {
		return
	}
	clientID, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	userType := form.Get("user_type")
	if userType != "" && userType != "Location" && userType != "Company" {
		writeError(w, http.StatusUnprocessableEntity, []string{"user_type must be one of the following values: Company, Location"})
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	want, known := s.oauth.clients[clientID]
	if clientID == "" || !known || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		writeError(w, http.StatusUnauthorized, "Invalid client: client credentials are invalid")
		return
	}
	var in *Install
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
		code, ok := s.oauth.codes[form.Get("code")]
		switch {
		case form.Get("code") == "" || !ok || code.used || !s.clock().Before(code.expires) || code.in.ClientID != clientID || s.installEnded(code.in, ""):
			writeError(w, http.StatusBadRequest, "Invalid grant: authorization code is invalid")
			return
		case code.in.RedirectURI != "" && form.Get("redirect_uri") != code.in.RedirectURI:
			writeError(w, http.StatusBadRequest, "Invalid grant: redirect_uri does not match")
			return
		}
		code.used = true
		in = code.in
	case "refresh_token":
		rt, ok := s.oauth.refresh[form.Get("refresh_token")]
		if form.Get("refresh_token") == "" || !ok || rt.used || rt.in.ClientID != clientID {
			writeError(w, http.StatusBadRequest, "Invalid grant: refresh token is invalid")
			return
		}
		rt.used = true // rotation: a refresh token works once
		in = rt.in
	default:
		writeError(w, http.StatusUnprocessableEntity, []string{"grant_type must be one of the following values: authorization_code, refresh_token"})
		return
	}
	if userType != "" && userType != in.UserType {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("user_type %s does not match the %s install", userType, in.UserType))
		return
	}
	tok := s.issueToken(in, in.UserType, in.LocationID)
	refresh := s.secrets.nextN(40)
	s.oauth.refresh[refresh] = &refreshToken{in: in}
	resp := map[string]any{
		"access_token":  tok.value,
		"token_type":    "Bearer",
		"expires_in":    int(s.tokenLifetime.Seconds()),
		"refresh_token": refresh,
		"scope":         tok.scopeString(),
		"userType":      in.UserType,
		"userId":        in.UserID,
	}
	if in.CompanyID != "" {
		resp["companyId"] = in.CompanyID
	}
	if in.UserType == "Location" {
		resp["locationId"] = in.LocationID
	} else {
		resp["isBulkInstallation"] = false
		resp["approvedLocations"] = s.approvedLocations(in)
	}
	writeJSON(w, http.StatusOK, resp)
}

// issueToken creates an access token for an install. s.mu must be held.
func (s *Server) issueToken(in *Install, userType, locationID string) *token {
	tok := &token{
		value:      s.secrets.nextN(40),
		locationID: locationID,
		companyID:  in.CompanyID,
		userType:   userType,
		userID:     in.UserID,
		clientID:   in.ClientID,
		scopes:     scopeSet(in.Scopes),
		expires:    s.clock().Add(s.tokenLifetime),
		install:    in,
	}
	if userType == "Company" {
		tok.locationID = ""
	}
	s.tokens[tok.value] = tok
	return tok
}

// approvedLocations lists the locations a Company install may get tokens
// for, less those the app was uninstalled from. s.mu must be held.
func (s *Server) approvedLocations(in *Install) []string {
	if s.installEnded(in, "") {
		return []string{}
	}
	ids := in.ApprovedLocations
	if len(ids) == 0 {
		ids = sortedKeys(s.locations)
	}
	out := []string{}
	for _, id := range ids {
		if (len(in.ApprovedLocations) > 0 || s.locations[id].loc.CompanyID == in.CompanyID) && !s.installEnded(in, id) {
			out = append(out, id)
		}
	}
	return out
}

// agencyCall checks a request to an agency endpoint: its method, a valid
// bearer token, the Version header, and a Company token with scope. It
// writes HighLevel's error and returns false when one fails.
func (s *Server) agencyCall(w http.ResponseWriter, r *http.Request, method, scope string) (*token, bool) {
	if r.Method != method {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
		return nil, false
	}
	agency, ok := s.authenticate(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, msgInvalidToken)
		return nil, false
	}
	if !checkVersion(w, r) {
		return nil, false
	}
	if agency.userType != "Company" || !agency.has(scope) {
		writeError(w, http.StatusUnauthorized, msgScope)
		return nil, false
	}
	return agency, true
}

// required reports each of names missing from v with class-validator's
// messages.
func required(v url.Values, names ...string) []string {
	var errs []string
	for _, k := range names {
		if v.Get(k) == "" {
			errs = append(errs, k+" should not be empty", k+" must be a string")
		}
	}
	return errs
}

// handleLocationToken serves POST /oauth/locationToken: an agency token
// with oauth.write gets a token for one of its approved locations.
func (s *Server) handleLocationToken(w http.ResponseWriter, r *http.Request, body []byte) {
	agency, ok := s.agencyCall(w, r, http.MethodPost, ScopeOAuthWrite)
	if !ok {
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	form, err := url.ParseQuery(string(body))
	if mt != "application/x-www-form-urlencoded" || err != nil {
		writeError(w, http.StatusUnprocessableEntity, []string{"body must be application/x-www-form-urlencoded"})
		return
	}
	if errs := required(form, "companyId", "locationId"); len(errs) > 0 {
		writeError(w, http.StatusUnprocessableEntity, errs)
		return
	}
	companyID, locationID := form.Get("companyId"), form.Get("locationId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if companyID != agency.companyID {
		writeError(w, http.StatusBadRequest, "The companyId does not match the token")
		return
	}
	in := agency.install
	if in == nil {
		in = &Install{CompanyID: agency.companyID, UserID: agency.userID, ClientID: agency.clientID, Scopes: sortedKeys(agency.scopes)}
	}
	if !slices.Contains(s.approvedLocations(in), locationID) {
		writeError(w, http.StatusBadRequest, "Location is not approved for this app")
		return
	}
	if in.UserID == "" {
		in.UserID = s.secrets.next()
	}
	tok := s.issueToken(in, "Location", locationID)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok.value,
		"token_type":   "Bearer",
		"expires_in":   int(s.tokenLifetime.Seconds()),
		"scope":        tok.scopeString(),
		"locationId":   locationID,
		"companyId":    companyID,
		"userId":       in.UserID,
		"userType":     "Location",
	})
}

// redactForm hides the secrets of an OAuth form body in the request log.
func redactForm(contentType string, body []byte) []byte {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt != "application/x-www-form-urlencoded" {
		return body
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return []byte(redacted)
	}
	for _, k := range []string{"client_secret", "code", "refresh_token"} {
		if form.Has(k) {
			form.Set(k, redacted)
		}
	}
	return []byte(form.Encode())
}

// handleInstalledLocations serves GET /oauth/installedLocations: an agency
// token with oauth.readonly lists its company's locations and whether an app
// is installed in each.
func (s *Server) handleInstalledLocations(w http.ResponseWriter, r *http.Request) {
	agency, ok := s.agencyCall(w, r, http.MethodGet, ScopeOAuthReadOnly)
	if !ok {
		return
	}
	q := r.URL.Query()
	errs := required(q, "companyId", "appId")
	skip, limit := 0, 20
	for k, dst := range map[string]*int{"skip": &skip, "limit": &limit} {
		if v, ok := q[k]; ok {
			n, err := strconv.Atoi(first(v))
			if err != nil || n < 0 {
				errs = append(errs, k+" must be a number string")
				continue
			}
			*dst = n
		}
	}
	bools := map[string]*bool{}
	for _, k := range []string{"isInstalled", "onTrial"} {
		if v, ok := q[k]; ok {
			b, err := strconv.ParseBool(first(v))
			if err != nil || (first(v) != "true" && first(v) != "false") {
				errs = append(errs, k+" must be a boolean value")
				continue
			}
			bools[k] = &b
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		writeError(w, http.StatusUnprocessableEntity, errs)
		return
	}
	companyID, appID := q.Get("companyId"), q.Get("appId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if companyID != agency.companyID {
		writeError(w, http.StatusBadRequest, "The companyId does not match the token")
		return
	}
	type location struct {
		ID          string `json:"_id"`
		Name        string `json:"name"`
		Address     string `json:"address"`
		IsInstalled bool   `json:"isInstalled"`
		InstalledAt string `json:"installedAt,omitempty"`
	}
	out := []location{}
	for _, id := range sortedKeys(s.locations) {
		l := s.locations[id].loc
		if l.CompanyID != companyID {
			continue
		}
		at, installed := s.installedAt(appID, l.ID)
		loc := location{ID: l.ID, Name: l.Name, Address: l.Address, IsInstalled: installed}
		if installed {
			loc.InstalledAt = isoTime(at)
		}
		switch {
		case q.Get("locationId") != "" && l.ID != q.Get("locationId"),
			q.Get("query") != "" && !strings.Contains(strings.ToLower(l.Name), strings.ToLower(q.Get("query"))),
			bools["isInstalled"] != nil && *bools["isInstalled"] != installed,
			// The fake has no trials, plans or app versions: asking for
			// them matches no location.
			bools["onTrial"] != nil && *bools["onTrial"],
			q.Get("planId") != "", q.Get("versionId") != "":
			continue
		}
		out = append(out, loc)
	}
	count := len(out)
	out = out[min(skip, len(out)):]
	out = out[:min(limit, len(out))]
	writeJSON(w, http.StatusOK, map[string]any{
		"locations":                out,
		"count":                    count,
		"installToFutureLocations": false,
	})
}

// installedAt reports whether the app appID is installed in locationID, and
// since when: by a Location install there, or a Company install that
// approved it. s.mu must be held.
func (s *Server) installedAt(appID, locationID string) (time.Time, bool) {
	for _, rec := range s.oauth.installs {
		in := rec.in
		if (in.ClientID != appID && !strings.HasPrefix(in.ClientID, appID+"-")) || s.installEnded(in, "") {
			continue
		}
		if (in.UserType == "Location" && in.LocationID == locationID) ||
			(in.UserType == "Company" && slices.Contains(s.approvedLocations(in), locationID)) {
			return rec.at, true
		}
	}
	return time.Time{}, false
}
