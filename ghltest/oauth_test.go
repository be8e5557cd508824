package ghltest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

// postForm posts a form to the server, optionally with a bearer token.
func postForm(t *testing.T, srv *ghltest.Server, path string, form url.Values, opts ...reqOpt) result {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, o := range opts {
		o(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

type tokenResp struct {
	AccessToken       string   `json:"access_token"`
	TokenType         string   `json:"token_type"`
	ExpiresIn         int      `json:"expires_in"`
	RefreshToken      string   `json:"refresh_token"`
	Scope             string   `json:"scope"`
	UserType          string   `json:"userType"`
	LocationID        string   `json:"locationId"`
	CompanyID         string   `json:"companyId"`
	UserID            string   `json:"userId"`
	ApprovedLocations []string `json:"approvedLocations"`
}

func decodeToken(t *testing.T, r result) tokenResp {
	t.Helper()
	wantStatus(t, r, 200)
	var tr tokenResp
	if err := json.Unmarshal(r.body, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func clientForm(grant string, kv ...string) url.Values {
	f := url.Values{"client_id": {"app"}, "client_secret": {"s3cret"}, "grant_type": {grant}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestOAuthAuthorizationCodeAndRefresh(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := newServer(t, ghltest.WithClock(clk.Now), ghltest.WithAccessTokenLifetime(time.Hour))
	srv.AddOAuthClient("app", "s3cret")
	code := srv.Authorize(ghltest.Install{ClientID: "app", LocationID: loc, CompanyID: "co1", UserID: "user1",
		Scopes: []string{ghltest.ScopeContactsReadOnly}, RedirectURI: "https://app.example/cb"})

	tok := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("authorization_code", "code", code, "user_type", "Location", "redirect_uri", "https://app.example/cb")))
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || tok.Scope != "contacts.readonly" || tok.UserType != "Location" ||
		tok.LocationID != loc || tok.CompanyID != "co1" || tok.UserID != "user1" || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token response %+v", tok)
	}
	// The token works on the API, with its scopes enforced.
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=loc1", tok.AccessToken, nil), 200)
	wantStatus(t, do(t, srv, "POST", "/contacts/", tok.AccessToken, map[string]any{"locationId": loc}), 401)

	// The code is single-use.
	r := postForm(t, srv, "/oauth/token", clientForm("authorization_code", "code", code, "redirect_uri", "https://app.example/cb"))
	wantJSON(t, r, 400, `{"error":"invalid_grant","error_description":"Invalid grant: authorization code is invalid"}`)

	// Refresh rotates; the used refresh token is rejected afterwards.
	r2 := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("refresh_token", "refresh_token", tok.RefreshToken, "user_type", "Location")))
	if r2.RefreshToken == tok.RefreshToken || r2.AccessToken == tok.AccessToken || r2.LocationID != loc {
		t.Fatalf("refresh did not rotate: %+v", r2)
	}
	r = postForm(t, srv, "/oauth/token", clientForm("refresh_token", "refresh_token", tok.RefreshToken))
	wantJSON(t, r, 400, `{"error":"invalid_grant","error_description":"Invalid grant: refresh token is invalid"}`)
	decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("refresh_token", "refresh_token", r2.RefreshToken)))

	// Access tokens expire with the clock.
	clk.Advance(time.Hour)
	wantJSON(t, do(t, srv, "GET", "/contacts/?locationId=loc1", r2.AccessToken, nil), 401,
		`{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}`)

	if n := srv.TokenRequests(); n != 5 {
		t.Fatalf("TokenRequests = %d, want 5", n)
	}
	// Secrets never reach the request log.
	for _, req := range srv.Requests() {
		for _, secret := range []string{"s3cret", code, tok.RefreshToken, tok.AccessToken, r2.AccessToken} {
			if strings.Contains(string(req.Body), secret) || strings.Contains(req.Header.Get("Authorization"), secret) {
				t.Fatalf("request log leaks a secret: %s %s %q %v", req.Method, req.Path, req.Body, req.Header)
			}
		}
	}
}

func TestOAuthErrors(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := newServer(t, ghltest.WithClock(clk.Now))
	srv.AddOAuthClient("app", "s3cret")
	srv.AddOAuthClient("other", "x")
	newCode := func(uri string) string {
		return srv.Authorize(ghltest.Install{ClientID: "app", LocationID: loc, Scopes: []string{"contacts.readonly"}, RedirectURI: uri})
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"wrong secret", url.Values{"client_id": {"app"}, "client_secret": {"bad"}, "grant_type": {"authorization_code"}, "code": {newCode("")}}, 401, "invalid_client"},
		{"unknown client", url.Values{"client_id": {"nope"}, "client_secret": {"s3cret"}, "grant_type": {"authorization_code"}}, 401, "invalid_client"},
		{"code of another client", url.Values{"client_id": {"other"}, "client_secret": {"x"}, "grant_type": {"authorization_code"}, "code": {newCode("")}}, 400, "invalid_grant"},
		{"unknown code", clientForm("authorization_code", "code", "nope"), 400, "invalid_grant"},
		{"redirect mismatch", clientForm("authorization_code", "code", newCode("https://a/cb"), "redirect_uri", "https://b/cb"), 400, "invalid_grant"},
		{"unknown refresh", clientForm("refresh_token", "refresh_token", "nope"), 400, "invalid_grant"},
		{"client credentials", clientForm("client_credentials"), 400, "unsupported_grant_type"},
		{"no grant", clientForm(""), 400, "invalid_request"},
		{"bad user_type", clientForm("authorization_code", "code", newCode(""), "user_type", "Agency"), 400, "invalid_request"},
		{"user_type mismatch", clientForm("authorization_code", "code", newCode(""), "user_type", "Company"), 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postForm(t, srv, "/oauth/token", tt.form)
			wantStatus(t, r, tt.status)
			if got := r.obj(t)["error"]; got != tt.code {
				t.Fatalf("error = %v, want %s (%s)", got, tt.code, r.body)
			}
		})
	}
	// Expired code.
	code := newCode("")
	clk.Advance(11 * time.Minute)
	wantStatus(t, postForm(t, srv, "/oauth/token", clientForm("authorization_code", "code", code)), 400)
	// JSON is not accepted.
	r := do(t, srv, "POST", "/oauth/token", "", `{"client_id":"app"}`)
	wantStatus(t, r, 400)
	// HTTP Basic client authentication.
	code = newCode("")
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	decodeToken(t, postForm(t, srv, "/oauth/token", f, func(r *http.Request) { r.SetBasicAuth("app", "s3cret") }))
	// Revoked refresh tokens are rejected.
	code = newCode("")
	tok := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("authorization_code", "code", code)))
	srv.RevokeToken(tok.RefreshToken)
	srv.RevokeToken(tok.AccessToken)
	wantStatus(t, postForm(t, srv, "/oauth/token", clientForm("refresh_token", "refresh_token", tok.RefreshToken)), 400)
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=loc1", tok.AccessToken, nil), 401)
}

func TestOAuthLocationToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddOAuthClient("app", "s3cret")
	srv.AddLocation(ghltest.Location{ID: "locA", CompanyID: "co1"})
	srv.AddLocation(ghltest.Location{ID: "locB", CompanyID: "co1"})
	srv.AddLocation(ghltest.Location{ID: "locX", CompanyID: "co2"})
	code := srv.Authorize(ghltest.Install{ClientID: "app", UserType: "Company", CompanyID: "co1", UserID: "u1",
		Scopes: []string{ghltest.ScopeOAuthWrite, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite}})
	agency := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("authorization_code", "code", code, "user_type", "Company")))
	if agency.UserType != "Company" || agency.CompanyID != "co1" || agency.LocationID != "" || !slices.Equal(agency.ApprovedLocations, []string{"locA", "locB"}) {
		t.Fatalf("agency token %+v", agency)
	}
	// An agency token has no access to contacts.
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=locA", agency.AccessToken, nil), 403)

	bearer := header("Authorization", "Bearer "+agency.AccessToken)
	version := header("Version", ghltest.APIVersion)
	r := postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}, "locationId": {"locA"}}, bearer, version)
	lt := decodeToken(t, r)
	if lt.LocationID != "locA" || lt.UserID != "u1" || lt.Scope != "contacts.readonly contacts.write oauth.write" || lt.AccessToken == "" {
		t.Fatalf("location token %s", r.body)
	}
	wantStatus(t, do(t, srv, "POST", "/contacts/", lt.AccessToken, map[string]any{"locationId": "locA"}), 201)

	wantStatus(t, postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}, "locationId": {"locX"}}, bearer, version), 400)
	wantStatus(t, postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co2"}, "locationId": {"locX"}}, bearer, version), 400)
	wantJSON(t, postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}}, bearer, version), 422,
		`{"statusCode":422,"message":["locationId should not be empty","locationId must be a string"],"error":"Unprocessable Entity"}`)
	wantStatus(t, postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}, "locationId": {"locA"}}, bearer), 400) // no Version
	wantStatus(t, postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}, "locationId": {"locA"}}, version), 401)
	// A location token cannot mint location tokens.
	wantJSON(t, postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}, "locationId": {"locA"}}, header("Authorization", "Bearer "+lt.AccessToken), version), 401,
		`{"statusCode":401,"message":"The token is not authorized for this scope.","error":"Unauthorized"}`)

	// AddCompanyToken works the same way.
	srv.AddCompanyToken("agency-static", "co1", ghltest.ScopeOAuthWrite)
	decodeToken(t, postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}, "locationId": {"locB"}}, header("Authorization", "Bearer agency-static"), version))
	if n := srv.TokenRequests(); n != 1 {
		t.Fatalf("TokenRequests = %d; /oauth/locationToken must not count", n)
	}
}
