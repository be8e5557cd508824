package ghltest_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/ghlkit/ghl/ghltest"
)

// agencyEvents returns the events received so far, without the fields every
// event carries (timestamp, webhookId), after checking they are present and
// the body is signed with the test keys.
func agencyEvents(t *testing.T, srv *ghltest.Server, rc *receiver) []string {
	t.Helper()
	srv.FlushWebhooks()
	evs, raw := rc.events(t)
	var out []string
	for i, e := range evs {
		if ed, rs := verify(raw[i]); !ed || !rs {
			t.Errorf("event %d not signed: ed25519 %v, rsa %v", i, ed, rs)
		}
		if e["webhookId"] == "" || e["timestamp"] == "" {
			t.Errorf("event %d lacks webhookId or timestamp: %s", i, raw[i].body)
		}
		delete(e, "webhookId")
		delete(e, "timestamp")
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events:\n%q\nwant:\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d:\n%s\nwant\n%s", i, got[i], want[i])
		}
	}
}

func TestInstallWebhooks(t *testing.T) {
	t.Parallel()
	const client = "app1-suffix"
	rc := newReceiver(t)
	srv := newServer(t)
	srv.AddOAuthClient(client, "s3cret")
	srv.AddLocation(ghltest.Location{ID: "locA", CompanyID: "co1"})
	srv.AddLocation(ghltest.Location{ID: "locB", CompanyID: "co1"})
	srv.SetWebhookTarget(rc.url)

	srv.Authorize(ghltest.Install{ClientID: client, LocationID: "locZ", CompanyID: "co9", UserID: "u9"})
	srv.Authorize(ghltest.Install{ClientID: client, UserType: "Company", CompanyID: "co1", UserID: "u1"})
	srv.InstallLocation(client, "co1", "locC") // a new sub-account of co1
	wantEvents(t, agencyEvents(t, srv, rc),
		`{"appId":"app1","companyId":"co9","isWhitelabelCompany":false,"locationId":"locZ","type":"INSTALL","userId":"u9","whitelabelDetails":{}}`,
		`{"appId":"app1","companyId":"co1","type":"INSTALL"}`,
		`{"appId":"app1","companyId":"co1","locationId":"locC","type":"INSTALL"}`)
	if l, _ := srv.Location("locC"); l.CompanyID != "co1" {
		t.Fatalf("InstallLocation registered %+v", l)
	}
}

func TestUninstallLocation(t *testing.T) {
	t.Parallel()
	const client = "app1"
	rc := newReceiver(t)
	srv := newServer(t, ghltest.WithClock(newClock().Now))
	srv.AddOAuthClient(client, "s3cret")
	srv.AddLocation(ghltest.Location{ID: "locA", CompanyID: "co1"})
	srv.AddLocation(ghltest.Location{ID: "locB", CompanyID: "co1"})
	scopes := []string{ghltest.ScopeOAuthWrite, ghltest.ScopeOAuthReadOnly, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite}

	// locA: installed by the agency; locZ: installed by itself.
	agency := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("authorization_code", "client_id", client,
		"code", srv.Authorize(ghltest.Install{ClientID: client, UserType: "Company", CompanyID: "co1", Scopes: scopes}))))
	self := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("authorization_code", "client_id", client,
		"code", srv.Authorize(ghltest.Install{ClientID: client, LocationID: "locZ", CompanyID: "co9", Scopes: scopes}))))
	bearer := header("Authorization", "Bearer "+agency.AccessToken)
	version := header("Version", ghltest.APIVersion)
	mint := func(locID string) result {
		return postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}, "locationId": {locID}}, bearer, version)
	}
	tokA := decodeToken(t, mint("locA")).AccessToken
	tokB := decodeToken(t, mint("locB")).AccessToken
	srv.SetWebhookTarget(rc.url)

	if !srv.Uninstall(client, "locA") || !srv.Uninstall(client, "locZ") {
		t.Fatal("Uninstall reported no install")
	}
	if srv.Uninstall(client, "locA") || srv.Uninstall("other", "locB") {
		t.Fatal("Uninstall of an absent install reported one")
	}
	wantEvents(t, agencyEvents(t, srv, rc),
		`{"appId":"app1","locationId":"locA","type":"UNINSTALL"}`,
		`{"appId":"app1","locationId":"locZ","type":"UNINSTALL"}`)

	// The uninstalled locations' tokens are dead; locB is untouched.
	wantJSON(t, do(t, srv, "GET", "/contacts/?locationId=locA", tokA, nil), 401,
		`{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}`)
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=locZ", self.AccessToken, nil), 401)
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=locB", tokB, nil), 200)
	wantJSON(t, postForm(t, srv, "/oauth/token", clientForm("refresh_token", "client_id", client, "refresh_token", self.RefreshToken)), 400,
		`{"statusCode":400,"message":"Invalid grant: refresh token is invalid","error":"Bad Request"}`)
	wantJSON(t, mint("locA"), 400, `{"statusCode":400,"message":"Location is not approved for this app","error":"Bad Request"}`)
	decodeToken(t, mint("locB"))
	wantJSON(t, do(t, srv, "GET", "/oauth/installedLocations?companyId=co1&appId=app1", agency.AccessToken, nil), 200,
		`{"locations":[{"_id":"locA","name":"","address":"","isInstalled":false},`+
			`{"_id":"locB","name":"","address":"","isInstalled":true,"installedAt":"2024-05-06T07:08:09.000Z"}],"count":2,"installToFutureLocations":false}`)

	// Installing it again in locA approves it again.
	srv.InstallLocation(client, "co1", "locA")
	decodeToken(t, mint("locA"))
}

func TestUninstallCompany(t *testing.T) {
	t.Parallel()
	const client = "app1"
	rc := newReceiver(t)
	srv := newServer(t)
	srv.AddOAuthClient(client, "s3cret")
	srv.AddLocation(ghltest.Location{ID: "locA", CompanyID: "co1"})
	scopes := []string{ghltest.ScopeOAuthWrite, ghltest.ScopeContactsReadOnly}
	agency := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("authorization_code", "client_id", client,
		"code", srv.Authorize(ghltest.Install{ClientID: client, UserType: "Company", CompanyID: "co1", Scopes: scopes}))))
	self := decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("authorization_code", "client_id", client,
		"code", srv.Authorize(ghltest.Install{ClientID: client, LocationID: "locS", CompanyID: "co1", Scopes: scopes}))))
	lt := decodeToken(t, postForm(t, srv, "/oauth/locationToken", url.Values{"companyId": {"co1"}, "locationId": {"locA"}},
		header("Authorization", "Bearer "+agency.AccessToken), header("Version", ghltest.APIVersion)))
	srv.SetWebhookTarget(rc.url)

	if !srv.UninstallCompany(client, "co1") || srv.UninstallCompany(client, "co1") {
		t.Fatal("UninstallCompany: wrong report")
	}
	wantEvents(t, agencyEvents(t, srv, rc), `{"appId":"app1","companyId":"co1","type":"UNINSTALL"}`)
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=locA", lt.AccessToken, nil), 401)
	wantStatus(t, postForm(t, srv, "/oauth/token", clientForm("refresh_token", "client_id", client, "refresh_token", agency.RefreshToken)), 400)
	// The location's own install stays.
	wantStatus(t, do(t, srv, "GET", "/contacts/?locationId=locS", self.AccessToken, nil), 200)
	decodeToken(t, postForm(t, srv, "/oauth/token", clientForm("refresh_token", "client_id", client, "refresh_token", self.RefreshToken)))
}
