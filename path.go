package ghl

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckID refuses an ID that is empty, blank, "." or "..", naming param in
// the *ParamError. Service packages check every ID with it before building a
// path, so that the error says which argument was wrong.
func CheckID(param, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return &ParamError{Param: param, Reason: "must not be empty"}
	case id == "." || id == "..":
		return &ParamError{Param: param, Reason: fmt.Sprintf("%q is not a valid ID", id)}
	}
	return nil
}

// Path fills the %s verbs of format with path segments, each escaped, so that
// an ID such as "a/b" or "a?b" stays inside its own segment. Empty, "." and
// ".." segments are refused: they would change which endpoint is reached.
//
//	p, err := ghl.Path("/contacts/%s/tasks/%s", contactID, taskID)
func Path(format string, segments ...string) (string, error) {
	if n := strings.Count(format, "%s"); n != len(segments) {
		return "", fmt.Errorf("ghl: path %q has %d segments, got %d", format, n, len(segments))
	}
	escaped := make([]any, len(segments))
	for i, s := range segments {
		switch s {
		case "":
			return "", &ParamError{Param: "path segment", Reason: "must not be empty"}
		case ".", "..":
			return "", &ParamError{Param: "path segment", Reason: fmt.Sprintf("%q is not a valid ID", s)}
		}
		escaped[i] = url.PathEscape(s)
	}
	return fmt.Sprintf(format, escaped...), nil
}
