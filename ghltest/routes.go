package ghltest

import (
	"net/url"
	"strings"
)

// route is one Contacts API operation of apps/contacts.json.
type route struct {
	method  string
	pattern string // spec path; {name} segments are parameters
	write   bool   // needs contacts.write; reads need contacts.readonly
	handler func(*Server, *call)
}

// routes lists every path and method of apps/contacts.json. Fixed segments
// come before parameters where both could match ("/contacts/search" before
// "/contacts/{contactId}"), so the first match wins.
var routes = []route{
	{"POST", "/contacts/search", false, (*Server).searchContacts}, // a read: needs only contacts.readonly
	{"GET", "/contacts/search/duplicate", false, (*Server).duplicateContact},
	{"GET", "/contacts/business/{businessId}", false, (*Server).contactsByBusiness},
	{"POST", "/contacts/bulk/tags/update/{type}", true, (*Server).bulkTags},
	{"POST", "/contacts/bulk/business", true, (*Server).bulkBusiness},
	{"POST", "/contacts/upsert", true, (*Server).upsertContact},
	{"GET", "/contacts/", false, (*Server).listContacts},
	{"POST", "/contacts/", true, (*Server).createContact},
	{"GET", "/contacts/{contactId}", false, (*Server).getContact},
	{"PUT", "/contacts/{contactId}", true, (*Server).updateContact},
	{"DELETE", "/contacts/{contactId}", true, (*Server).deleteContactRoute},
	{"GET", "/contacts/{contactId}/tasks", false, (*Server).listTasks},
	{"POST", "/contacts/{contactId}/tasks", true, (*Server).createTask},
	{"GET", "/contacts/{contactId}/tasks/{taskId}", false, (*Server).getTask},
	{"PUT", "/contacts/{contactId}/tasks/{taskId}", true, (*Server).updateTask},
	{"DELETE", "/contacts/{contactId}/tasks/{taskId}", true, (*Server).deleteTask},
	{"PUT", "/contacts/{contactId}/tasks/{taskId}/completed", true, (*Server).completeTask},
	{"GET", "/contacts/{contactId}/appointments", false, (*Server).listAppointments},
	{"POST", "/contacts/{contactId}/tags", true, (*Server).addTags},
	{"DELETE", "/contacts/{contactId}/tags", true, (*Server).removeTags},
	{"GET", "/contacts/{contactId}/notes", false, (*Server).listNotes},
	{"POST", "/contacts/{contactId}/notes", true, (*Server).createNote},
	{"GET", "/contacts/{contactId}/notes/{id}", false, (*Server).getNote},
	{"PUT", "/contacts/{contactId}/notes/{id}", true, (*Server).updateNote},
	{"DELETE", "/contacts/{contactId}/notes/{id}", true, (*Server).deleteNote},
	{"POST", "/contacts/{contactId}/followers", true, (*Server).addFollowers},
	{"DELETE", "/contacts/{contactId}/followers", true, (*Server).removeFollowers},
	{"DELETE", "/contacts/{contactId}/campaigns/removeAll", true, (*Server).removeAllCampaigns},
	{"POST", "/contacts/{contactId}/campaigns/{campaignId}", true, (*Server).addCampaign},
	{"DELETE", "/contacts/{contactId}/campaigns/{campaignId}", true, (*Server).removeCampaign},
	{"POST", "/contacts/{contactId}/workflow/{workflowId}", true, (*Server).addWorkflow},
	{"DELETE", "/contacts/{contactId}/workflow/{workflowId}", true, (*Server).removeWorkflow},
}

// splitPath splits an unescaped-or-escaped path into unescaped segments.
// A trailing slash is ignored, as Express (non-strict routing) does, so
// both /contacts and /contacts/ reach GET /contacts/.
func splitPath(escaped string) ([]string, bool) {
	p := strings.TrimSuffix(escaped, "/")
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil, true
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// matchRoute finds the route for method and path and its parameters.
// Parameters never match an empty segment.
func matchRoute(method, path string) (*route, map[string]string, bool) {
	segs, ok := splitPath(path)
	if !ok {
		return nil, nil, false
	}
	for i := range routes {
		rt := &routes[i]
		if rt.method != method {
			continue
		}
		if params, ok := matchSegments(rt.pattern, segs); ok {
			return rt, params, true
		}
	}
	return nil, nil, false
}

func matchSegments(pattern string, segs []string) (map[string]string, bool) {
	pat, _ := splitPath(pattern)
	if len(pat) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pat {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}
