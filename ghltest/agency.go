package ghltest

import (
	"fmt"
	"slices"
	"strings"
)

// App install webhook event types (AppInstall.md, AppUninstall.md): HighLevel
// sends them to the app's webhook URL when an agency or a location installs
// or removes the app.
const (
	EventInstall   = "INSTALL"
	EventUninstall = "UNINSTALL"
)

// appID is the marketplace app of a client ID: the part before "-", as
// HighLevel's client IDs are the app's ID with a suffix.
func appID(clientID string) string {
	id, _, _ := strings.Cut(clientID, "-")
	return id
}

// installEnded reports whether an install has been removed, for one
// location (locationID != "") or as a whole. s.mu must be held.
func (s *Server) installEnded(in *Install, locationID string) bool {
	if s.oauth.ended[in] {
		return true
	}
	return locationID != "" && s.oauth.removed[in][locationID]
}

// emitInstall emits the INSTALL event of a new install, in the shapes of
// AppInstall.md: a Location install names its location, company and user;
// a Company install names only the agency. s.mu must be held.
func (s *Server) emitInstall(in *Install) {
	if !s.hooks.active() {
		return
	}
	p := map[string]any{"appId": appID(in.ClientID), "companyId": in.CompanyID}
	if in.UserType == "Location" {
		p["locationId"] = in.LocationID
		p["userId"] = in.UserID
		p["isWhitelabelCompany"] = false
		p["whitelabelDetails"] = map[string]any{}
	}
	s.hooks.enqueue(EventInstall, p)
}

// InstallLocation adds locationID to the agency (Company) install of
// clientID for companyID, as when an agency installs the app in one more of
// its sub-accounts (or HighLevel does so for a new location): the location
// becomes approved for POST /oauth/locationToken and installed for GET
// /oauth/installedLocations, and a location-level INSTALL is emitted with
// companyId and locationId but, as HighLevel documents for such installs,
// no userId. The location is registered under companyID if it is new. It
// panics when there is no active Company install of clientID for
// companyID.
func (s *Server) InstallLocation(clientID, companyID, locationID string) {
	if locationID == "" {
		panic("ghltest: InstallLocation: locationID must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.companyInstall(clientID, companyID)
	if in == nil {
		panic(fmt.Sprintf("ghltest: InstallLocation: no Company install of %q for %q; call Authorize first", clientID, companyID))
	}
	ls := s.location(locationID)
	if ls.loc.CompanyID == "" {
		ls.loc.CompanyID = companyID
	}
	if ls.loc.CompanyID != companyID {
		panic(fmt.Sprintf("ghltest: InstallLocation: location %q belongs to company %q", locationID, ls.loc.CompanyID))
	}
	delete(s.oauth.removed[in], locationID)
	if len(in.ApprovedLocations) > 0 && !slices.Contains(in.ApprovedLocations, locationID) {
		in.ApprovedLocations = append(in.ApprovedLocations, locationID)
	}
	if s.hooks.active() {
		s.hooks.enqueue(EventInstall, map[string]any{"appId": appID(clientID), "companyId": companyID, "locationId": locationID})
	}
}

// companyInstall returns the latest active Company install of clientID for
// companyID, or nil. s.mu must be held.
func (s *Server) companyInstall(clientID, companyID string) *Install {
	for _, rec := range slices.Backward(s.oauth.installs) {
		in := rec.in
		if in.ClientID == clientID && in.UserType == "Company" && in.CompanyID == companyID && !s.oauth.ended[in] {
			return in
		}
	}
	return nil
}

// Uninstall removes the app clientID from locationID, as a location admin
// (or the agency) does in HighLevel: every access token of that app for the
// location stops working (the API answers 401), the refresh tokens of its
// Location installs are refused with invalid_grant, POST
// /oauth/locationToken refuses the location, GET /oauth/installedLocations
// shows it not installed, and a location-level UNINSTALL is emitted
// ({"type":"UNINSTALL","appId","locationId"}). The agency's own token, if
// any, keeps working for its other locations. It reports whether the app
// was installed there.
func (s *Server) Uninstall(clientID, locationID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, rec := range s.oauth.installs {
		in := rec.in
		if in.ClientID != clientID || s.oauth.ended[in] {
			continue
		}
		switch {
		case in.UserType == "Location" && in.LocationID == locationID:
			s.oauth.ended[in] = true
			found = true
		case in.UserType == "Company" && slices.Contains(s.approvedLocations(in), locationID):
			if s.oauth.removed[in] == nil {
				s.oauth.removed[in] = map[string]bool{}
			}
			s.oauth.removed[in][locationID] = true
			found = true
		}
	}
	if !found {
		return false
	}
	s.revoke(func(tok *token) bool { return tok.clientID == clientID && tok.locationID == locationID },
		func(in *Install) bool {
			return in.ClientID == clientID && in.UserType == "Location" && in.LocationID == locationID
		})
	if s.hooks.active() {
		s.hooks.enqueue(EventUninstall, map[string]any{"appId": appID(clientID), "locationId": locationID})
	}
	return true
}

// revoke deletes the access tokens dead reports and spends the refresh
// tokens of the installs gone reports. s.mu must be held.
func (s *Server) revoke(dead func(*token) bool, gone func(*Install) bool) {
	for v, tok := range s.tokens {
		if dead(tok) {
			delete(s.tokens, v)
		}
	}
	for _, rt := range s.oauth.refresh {
		if gone(rt.in) {
			rt.used = true
		}
	}
}

// UninstallCompany removes the agency (Company) install of clientID for
// companyID: the agency's tokens and every location token obtained with them
// stop working, its refresh tokens are refused, and an agency-level
// UNINSTALL is emitted ({"type":"UNINSTALL","appId","companyId"}). Location
// installs made by the locations themselves are not affected. It reports
// whether there was such an install.
func (s *Server) UninstallCompany(clientID, companyID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, rec := range s.oauth.installs {
		in := rec.in
		if in.ClientID == clientID && in.UserType == "Company" && in.CompanyID == companyID && !s.oauth.ended[in] {
			s.oauth.ended[in] = true
			found = true
		}
	}
	if !found {
		return false
	}
	s.revoke(func(tok *token) bool { return tok.install != nil && s.oauth.ended[tok.install] },
		func(in *Install) bool { return s.oauth.ended[in] })
	if s.hooks.active() {
		s.hooks.enqueue(EventUninstall, map[string]any{"appId": appID(clientID), "companyId": companyID})
	}
	return true
}
