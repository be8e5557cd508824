package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-querystring/query"

	"github.com/ghlkit/ghl"
)

// InstalledLocationsParams selects the locations of GET
// /oauth/installedLocations. CompanyID and AppID are required.
type InstalledLocationsParams struct {
	// CompanyID is the agency; its token, stored under this ID, is used.
	CompanyID string `url:"companyId"`
	// AppID is the marketplace app: its ID, which is the client ID without
	// the suffix after "-".
	AppID string `url:"appId"`
	// Skip and Limit page the list (HighLevel's defaults: 0 and 20).
	Skip  int `url:"skip,omitempty"`
	Limit int `url:"limit,omitempty"`
	// Query finds locations by name.
	Query string `url:"query,omitempty"`
	// IsInstalled, when set, keeps only the locations where the app is (or
	// is not) installed.
	IsInstalled *bool `url:"isInstalled,omitempty"`
	// OnTrial, when set, keeps only the locations where the app is (or is
	// not) installed in trial mode.
	OnTrial *bool `url:"onTrial,omitempty"`
	// VersionID, PlanID and LocationID narrow the list to one app version,
	// one plan or one location.
	VersionID  string `url:"versionId,omitempty"`
	PlanID     string `url:"planId,omitempty"`
	LocationID string `url:"locationId,omitempty"`
}

// InstalledLocation is one location of an agency, as GET
// /oauth/installedLocations describes it.
type InstalledLocation struct {
	ID          string    `json:"_id"`
	Name        string    `json:"name"`
	Address     string    `json:"address"`
	IsInstalled bool      `json:"isInstalled"`
	VersionID   string    `json:"versionId,omitempty"`  // of the installed app version
	InstalledAt time.Time `json:"installedAt,omitzero"` // zero when not installed
}

// InstalledLocations is one page of GET /oauth/installedLocations.
type InstalledLocations struct {
	Locations []InstalledLocation `json:"locations"`
	// Count is the number of locations that match, all pages together.
	Count int `json:"count"`
	// InstallToFutureLocations is true when the app is installed
	// automatically in the agency's new locations.
	InstallToFutureLocations bool `json:"installToFutureLocations"`
}

// InstalledLocations lists an agency's locations and whether the app is
// installed in each (GET /oauth/installedLocations), with the agency token
// stored under p.CompanyID, which needs the oauth.readonly scope. If
// HighLevel refuses the agency token (401) it is renewed and the request
// repeated once. Bad parameters are refused before anything is sent, with a
// *ghl.ParamError; HighLevel's refusals wrap *oauth2.RetrieveError.
func (a *App) InstalledLocations(ctx context.Context, p InstalledLocationsParams) (*InstalledLocations, error) {
	switch {
	case ctx == nil:
		return nil, &ghl.ParamError{Param: "ctx", Reason: "nil Context"}
	case strings.TrimSpace(p.CompanyID) == "":
		return nil, &ghl.ParamError{Param: "CompanyID", Reason: "must not be empty"}
	case strings.TrimSpace(p.AppID) == "":
		return nil, &ghl.ParamError{Param: "AppID", Reason: "must not be empty"}
	case p.Skip < 0:
		return nil, &ghl.ParamError{Param: "Skip", Reason: "must not be negative"}
	case p.Limit < 0:
		return nil, &ghl.ParamError{Param: "Limit", Reason: "must not be negative"}
	}
	q, err := query.Values(p)
	if err != nil {
		return nil, fmt.Errorf("oauth: installed locations: %w", err)
	}
	u := a.installedURL + "?" + q.Encode()
	what := fmt.Sprintf("listing the installed locations of company %q", p.CompanyID)
	body, _, err := a.agencyRequest(ctx, p.CompanyID, what, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	})
	if err != nil {
		return nil, err
	}
	var out InstalledLocations
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("oauth: %s: decoding response: %w", what, err)
	}
	return &out, nil
}
