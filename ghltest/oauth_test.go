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
	wantJSON(t, r, 400, `{"statusCode":400,"message":"Invalid grant: authorization code is invalid","error":"Bad Request"}`)

	// Refresh rotates; the used refresh token is rejected afterwards.
	r2 := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("refresh_token", "refresh_token", tok.RefreshToken, "user_type", "Location")))
	if r2.RefreshToken == tok.RefreshToken || r2.AccessToken == tok.AccessToken || r2.LocationID != loc {
		t.Fatalf("refresh did not rotate: %+v", r2)
	}
	r = postForm(t, srv, "/oauth/token", clientForm("refresh_token", "refresh_token", tok.RefreshToken))
	wantJSON(t, r, 400, `{"statusCode":400,"message":"Invalid grant: refresh token is invalid","error":"Bad Request"}`)
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
		name    string
		form    url.Values
		status  int
		message string
	}{
		{"wrong secret", url.Values{"client_id": {"app"}, "client_secret": {"bad"}, "grant_type": {"authorization_code"}, "code": {newCode("")}}, 401, "Invalid client: client credentials are invalid"},
		{"unknown client", url.Values{"client_id": {"nope"}, "client_secret": {"s3cret"}, "grant_type": {"authorization_code"}}, 401, "Invalid client: client credentials are invalid"},
		{"code of another client", url.Values{"client_id": {"other"}, "client_secret": {"x"}, "grant_type": {"authorization_code"}, "code": {newCode("")}}, 400, "Invalid grant: authorization code is invalid"},
		{"unknown code", clientForm("authorization_code", "code", "nope"), 400, "Invalid grant: authorization code is invalid"},
		{"redirect mismatch", clientForm("authorization_code", "code", newCode("https://a/cb"), "redirect_uri", "https://b/cb"), 400, "Invalid grant: redirect_uri does not match"},
		{"unknown refresh", clientForm("refresh_token", "refresh_token", "nope"), 400, "Invalid grant: refresh token is invalid"},
		{"client credentials", clientForm("client_credentials"), 422, "grant_type must be one of the following values: authorization_code, refresh_token"},
		{"no grant", clientForm(""), 422, "grant_type must be one of the following values: authorization_code, refresh_token"},
		{"bad user_type", clientForm("authorization_code", "code", newCode(""), "user_type", "Agency"), 422, "user_type must be one of the following values: Company, Location"},
		{"user_type mismatch", clientForm("authorization_code", "code", newCode(""), "user_type", "Company"), 400, "user_type Company does not match the Location install"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postForm(t, srv, "/oauth/token", tt.form)
			wantStatus(t, r, tt.status)
			// The spec's error shape: {statusCode, message, error}, the
			// message a list for 422.
			obj := r.obj(t)
			msg := obj["message"]
			if list, ok := msg.([]any); ok && tt.status == 422 && len(list) == 1 {
				msg = list[0]
			}
			if obj["statusCode"] != float64(tt.status) || msg != tt.message || obj["error"] != http.StatusText(tt.status) {
				t.Fatalf("body %s, want statusCode %d, message %q", r.body, tt.status, tt.message)
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

func TestOAuthInstalledLocations(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := newServer(t, ghltest.WithClock(clk.Now))
	const app = "64f8c1e2a1b2c3d4e5f6a7b8"
	srv.AddOAuthClient(app+"-lmx0yz1a", "s3cret")
	srv.AddOAuthClient("other-app", "x")
	srv.AddLocation(ghltest.Location{ID: "locA", CompanyID: "co1", Name: "Alpha Dental", Address: "1 Main St"})
	srv.AddLocation(ghltest.Location{ID: "locB", CompanyID: "co1", Name: "Beta Gym", Address: "2 Side St"})
	srv.AddLocation(ghltest.Location{ID: "locC", CompanyID: "co1", Name: "Gamma Dental"})
	srv.AddLocation(ghltest.Location{ID: "locX", CompanyID: "co2", Name: "Other agency"})
	srv.Authorize(ghltest.Install{ClientID: app + "-lmx0yz1a", LocationID: "locA", CompanyID: "co1"})
	clk.Advance(time.Hour)
	srv.Authorize(ghltest.Install{ClientID: "other-app", LocationID: "locB", CompanyID: "co1"})
	srv.AddCompanyToken("agency-ro", "co1", ghltest.ScopeOAuthReadOnly)
	srv.AddCompanyToken("agency-w", "co1", ghltest.ScopeOAuthWrite)

	get := func(tok, query string) result { return do(t, srv, "GET", "/oauth/installedLocations?"+query, tok, nil) }
	base := "companyId=co1&appId=" + app
	wantJSON(t, get("agency-ro", base), 200, `{"locations":[`+
		`{"_id":"locA","name":"Alpha Dental","address":"1 Main St","isInstalled":true,"installedAt":"2024-05-06T07:08:09.000Z"},`+
		`{"_id":"locB","name":"Beta Gym","address":"2 Side St","isInstalled":false},`+
		`{"_id":"locC","name":"Gamma Dental","address":"","isInstalled":false}],`+
		`"count":3,"installToFutureLocations":false}`)
	for query, want := range map[string]string{
		base + "&isInstalled=true":                       `["locA"]`,
		base + "&isInstalled=false":                      `["locB","locC"]`,
		base + "&query=dental":                           `["locA","locC"]`,
		base + "&locationId=locB":                        `["locB"]`,
		base + "&skip=1&limit=1":                         `["locB"]`,
		base + "&onTrial=true":                           `[]`,
		"companyId=co1&appId=other-app":                  `["locA","locB","locC"]`, // installed only in locB
		"companyId=co1&appId=other-app&isInstalled=true": `["locB"]`,
	} {
		r := get("agency-ro", query)
		wantStatus(t, r, 200)
		var body struct {
			Locations []struct {
				ID          string `json:"_id"`
				IsInstalled bool   `json:"isInstalled"`
			} `json:"locations"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range body.Locations {
			if strings.Contains(query, "other-app") && l.IsInstalled != (l.ID == "locB") {
				t.Errorf("%s: %s isInstalled %v", query, l.ID, l.IsInstalled)
			}
			ids = append(ids, l.ID)
		}
		if got, _ := json.Marshal(append([]string{}, ids...)); string(got) != want {
			t.Errorf("%s: locations %s, want %s", query, got, want)
		}
	}
	if c := get("agency-ro", base+"&skip=1&limit=1").obj(t)["count"]; c != float64(3) {
		t.Errorf("count with paging = %v, want the total 3", c)
	}

	wantJSON(t, get("agency-ro", "limit=x&isInstalled=yes"), 422,
		`{"statusCode":422,"message":["appId must be a string","appId should not be empty","companyId must be a string","companyId should not be empty","isInstalled must be a boolean value","limit must be a number string"],"error":"Unprocessable Entity"}`)
	wantStatus(t, get("agency-ro", "companyId=co2&appId="+app), 400)
	const scope = `{"statusCode":401,"message":"The token is not authorized for this scope.","error":"Unauthorized"}`
	wantJSON(t, get("agency-w", base), 401, scope) // oauth.write is not oauth.readonly
	wantJSON(t, get(tokRW, base), 401, scope)      // a location token
	wantStatus(t, get("", base), 401)
	wantStatus(t, do(t, srv, "GET", "/oauth/installedLocations?"+base, "agency-ro", nil, noVersion), 400)
	wantStatus(t, do(t, srv, "POST", "/oauth/installedLocations?"+base, "agency-ro", nil), 404)
}
