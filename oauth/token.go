package oauth

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// UserType is the kind of account a token acts for, sent as user_type to
// /oauth/token.
type UserType string

const (
	// UserTypeLocation is a sub-account (location) token; the Contacts API
	// needs one.
	UserTypeLocation UserType = "Location"
	// UserTypeCompany is an agency (company) token; App.LocationToken turns
	// it into location tokens.
	UserTypeCompany UserType = "Company"
)

func (u UserType) valid() bool { return u == UserTypeLocation || u == UserTypeCompany }

// Token is a HighLevel OAuth token with the metadata HighLevel returns with
// it. It holds secrets: its String, GoString and LogValue methods redact
// them, but encoding it as JSON (as the stores do, under encryption) does not.
type Token struct {
	AccessToken string `json:"access_token"`
	// RefreshToken is single-use: each refresh returns a new one and the old
	// one stops working. Tokens minted from an agency token may have none;
	// they are renewed through the agency token instead.
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type,omitempty"`
	// Expiry is when the access token stops working (zero: unknown, treated
	// as never).
	Expiry time.Time `json:"expiry,omitzero"`
	// IssuedAt is when the token was requested, by the App's clock. With
	// Expiry it gives the token's lifetime, which bounds how early the
	// TokenSource refreshes.
	IssuedAt time.Time `json:"issued_at,omitzero"`
	// Scopes are the granted scopes, such as "contacts.write".
	Scopes   []string `json:"scopes,omitempty"`
	UserType UserType `json:"user_type,omitempty"`
	// LocationID is set for location (sub-account) tokens.
	LocationID string `json:"location_id,omitempty"`
	CompanyID  string `json:"company_id,omitempty"`
	// UserID is the user who installed the app.
	UserID string `json:"user_id,omitempty"`
	// PlanID is the plan of a paid app.
	PlanID string `json:"plan_id,omitempty"`
	// ApprovedLocations lists the locations an agency token may mint
	// location tokens for (bulk installations).
	ApprovedLocations  []string `json:"approved_locations,omitempty"`
	IsBulkInstallation bool     `json:"is_bulk_installation,omitempty"`
	AppID              string   `json:"app_id,omitempty"`
	VersionID          string   `json:"version_id,omitempty"`
}

// Key is the TokenStore key the token belongs under: LocationID for a
// location token, CompanyID for an agency token. It is "" when HighLevel
// named neither.
func (t *Token) Key() string {
	switch {
	case t.UserType == UserTypeCompany && t.CompanyID != "":
		return t.CompanyID
	case t.LocationID != "":
		return t.LocationID
	case t.UserType != UserTypeLocation:
		return t.CompanyID
	}
	return ""
}

// HasScope reports whether scope was granted. For Contacts API writes,
// "contacts.write" is needed.
func (t *Token) HasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// OAuth2 converts t for golang.org/x/oauth2 and ghl.WithTokenSource. The
// result carries the extra fields "scope" (space-separated, as HighLevel
// sends it; the ghl client checks write scopes with it), "userType",
// "locationId", "companyId" and "userId". It deliberately has no refresh
// token: HighLevel's refresh tokens are single-use, so only the TokenSource,
// which saves each new one, may spend them.
func (t *Token) OAuth2() *oauth2.Token {
	tt := t.TokenType
	if tt == "" {
		tt = "Bearer"
	}
	ot := &oauth2.Token{AccessToken: t.AccessToken, TokenType: tt, Expiry: t.Expiry}
	return ot.WithExtra(map[string]any{
		"scope":      strings.Join(t.Scopes, " "),
		"userType":   string(t.UserType),
		"locationId": t.LocationID,
		"companyId":  t.CompanyID,
		"userId":     t.UserID,
	})
}

// String describes t without its secrets.
func (t Token) String() string {
	exp := "none"
	if !t.Expiry.IsZero() {
		exp = t.Expiry.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("oauth.Token{UserType:%s LocationID:%q CompanyID:%q Scopes:%q Expiry:%s AccessToken:%s RefreshToken:%s}",
		t.UserType, t.LocationID, t.CompanyID, t.Scopes, exp, redact(t.AccessToken), redact(t.RefreshToken))
}

// GoString keeps %#v from printing secrets.
func (t Token) GoString() string { return t.String() }

// LogValue keeps slog from printing secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("user_type", string(t.UserType)),
		slog.String("location_id", t.LocationID),
		slog.String("company_id", t.CompanyID),
		slog.Time("expiry", t.Expiry),
		slog.String("access_token", redact(t.AccessToken)),
		slog.String("refresh_token", redact(t.RefreshToken)),
	)
}

func redact(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

func (t *Token) clone() *Token {
	if t == nil {
		return nil
	}
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	c.ApprovedLocations = slices.Clone(t.ApprovedLocations)
	return &c
}

// inherit fills what a refresh response left out from the token it replaced.
func (t *Token) inherit(prev *Token) {
	t.UserType = cmp.Or(t.UserType, prev.UserType)
	t.LocationID = cmp.Or(t.LocationID, prev.LocationID)
	t.CompanyID = cmp.Or(t.CompanyID, prev.CompanyID)
	t.UserID = cmp.Or(t.UserID, prev.UserID)
	t.PlanID = cmp.Or(t.PlanID, prev.PlanID)
	t.AppID = cmp.Or(t.AppID, prev.AppID)
	t.VersionID = cmp.Or(t.VersionID, prev.VersionID)
	if len(t.Scopes) == 0 {
		t.Scopes = slices.Clone(prev.Scopes)
	}
}

// fromOAuth2 reads HighLevel's fields from a token that x/oauth2 parsed.
// issued is the App clock's time just before the request, so the expiry is
// never later than HighLevel's.
func fromOAuth2(ot *oauth2.Token, issued time.Time) *Token {
	t := &Token{
		AccessToken:        ot.AccessToken,
		RefreshToken:       ot.RefreshToken,
		TokenType:          ot.TokenType,
		IssuedAt:           issued,
		Scopes:             strings.Fields(extraString(ot, "scope")),
		UserType:           UserType(extraString(ot, "userType")),
		LocationID:         extraString(ot, "locationId"),
		CompanyID:          extraString(ot, "companyId"),
		UserID:             extraString(ot, "userId"),
		PlanID:             extraString(ot, "planId"),
		ApprovedLocations:  extraStrings(ot, "approvedLocations"),
		IsBulkInstallation: ot.Extra("isBulkInstallation") == true,
		AppID:              extraString(ot, "appId"),
		VersionID:          extraString(ot, "versionId"),
	}
	if secs := extraSeconds(ot, "expires_in"); secs > 0 {
		t.Expiry = issued.Add(time.Duration(secs) * time.Second)
	} else if !ot.Expiry.IsZero() {
		t.Expiry = ot.Expiry
	}
	return t
}

func extraString(ot *oauth2.Token, key string) string {
	s, _ := ot.Extra(key).(string)
	return s
}

func extraStrings(ot *oauth2.Token, key string) []string {
	var out []string
	switch v := ot.Extra(key).(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = slices.Clone(v)
	}
	return out
}

func extraSeconds(ot *oauth2.Token, key string) int64 {
	switch v := ot.Extra(key).(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case string:
		n, _ := strconv.ParseFloat(v, 64)
		return int64(n)
	}
	return 0
}
