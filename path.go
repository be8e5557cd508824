package ghl

import (
	"fmt"
	"net/url"
	"strings"
)

// Path fills the %s verbs of format with path segments, each escaped, so that
// an ID such as "a/b" or "a?b" stays inside its own segment. Use it to build
// Request.Path when calling an endpoint ghlkit does not cover with Do. Empty, "." and
// ".." segments are refused: they would change which endpoint is reached.
//
//	p, err := ghl.Path("/contacts/%s/tasks/%s", contactID, taskID)
func Path(format string, segments ...string) (string, error) {
	if n := strings.Count(format, "%s"); n != len(segments) {
		return "", fmt.Errorf("ghl: path %q has %d segments, got %d", format, n, len(segments))
	}
	var b strings.Builder
	b.Grow(len(format) + 32*len(segments))
	rest := format
	for _, seg := range segments {
		switch seg {
		case "":
			return "", &ParamError{Param: "path segment", Reason: "must not be empty"}
		case ".", "..":
			return "", &ParamError{Param: "path segment", Reason: fmt.Sprintf("%q is not a valid ID", seg)}
		}
		i := strings.Index(rest, "%s")
		b.WriteString(rest[:i])
		b.WriteString(url.PathEscape(seg))
		rest = rest[i+2:]
	}
	b.WriteString(rest)
	return b.String(), nil
}
