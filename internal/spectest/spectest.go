package spectest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// EnvVar names the environment variable holding the reference directory.
const EnvVar = "GHL_SPEC_DIR"

// specFiles are the specification files loaded, relative to GHL_SPEC_DIR.
var specFiles = []string{"apps/contacts.json", "apps/oauth.json"}

// Spec is a loaded specification. It is safe for concurrent use.
type Spec struct {
	dir    string
	docs   []*openapi3.T
	router []routers.Router
}

// cache shares loaded specifications between the tests of one binary:
// loading and compiling the documents is the slow part.
var cache struct {
	sync.Mutex
	specs map[string]*Spec
}

// Load loads the specification from $GHL_SPEC_DIR. It skips the test when
// the variable is unset and fails it when the files cannot be loaded.
func Load(t testing.TB) *Spec {
	t.Helper()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		t.Skip(EnvVar + " not set: set it to the ghl-api reference directory (CI uses ../shared/reference/ghl-api, relative to the module root) to run the spec conformance tests")
	}
	s, err := loadDir(dir)
	if err != nil {
		t.Fatalf("spectest: %v", err)
	}
	return s
}

func loadDir(dir string) (*Spec, error) {
	if !filepath.IsAbs(dir) {
		root, err := moduleRoot()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(root, dir)
	}
	dir = filepath.Clean(dir)
	cache.Lock()
	defer cache.Unlock()
	if s, ok := cache.specs[dir]; ok {
		return s, nil
	}
	s := &Spec{dir: dir}
	for _, f := range specFiles {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = true // contacts.json refers to ../common/common-schemas.json
		doc, err := loader.LoadFromFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return nil, fmt.Errorf("loading %s from %s=%s: %w", f, EnvVar, dir, err)
		}
		fixQuirks(doc)
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("routing %s: %w", f, err)
		}
		s.docs = append(s.docs, doc)
		s.router = append(s.router, r)
	}
	if cache.specs == nil {
		cache.specs = map[string]*Spec{}
	}
	cache.specs[dir] = s
	return s, nil
}

// moduleRoot walks up from the working directory (the package directory
// under go test) to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory to resolve " + EnvVar + " against")
		}
		dir = parent
	}
}

// fixQuirks relaxes the schemas whose type contradicts their example and
// what HighLevel actually exchanges; see the package documentation.
func fixQuirks(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if s.Type.Is(openapi3.TypeObject) && len(s.Properties) == 0 && s.Example != nil {
			if _, isObject := s.Example.(map[string]any); !isObject {
				s.Type = nil
			}
		}
		if s.Type.Is(openapi3.TypeArray) && s.Items != nil && s.Items.Value != nil && s.Items.Value.Type.Is(openapi3.TypeString) {
			if ex, ok := s.Example.([]any); ok && len(ex) > 0 {
				if _, isObject := ex[0].(map[string]any); isObject {
					// Copy: the items schema may be shared.
					items := *s.Items.Value
					items.Type = nil
					s.Items = &openapi3.SchemaRef{Value: &items}
				}
			}
		}
		for _, p := range s.Properties {
			walk(p.Value)
		}
		if s.Items != nil {
			walk(s.Items.Value)
		}
		for _, l := range [][]*openapi3.SchemaRef{s.AnyOf, s.OneOf, s.AllOf} {
			for _, r := range l {
				walk(r.Value)
			}
		}
	}
	// A custom field's value is typed string in responses, but the input
	// schemas and the webhook-events docs (string, number, array, object)
	// show the other types HighLevel returns for numeric, checkbox and
	// file fields.
	if cf, ok := doc.Components.Schemas["CustomFieldSchema"]; ok && cf.Value != nil {
		if v, ok := cf.Value.Properties["value"]; ok && v.Value != nil {
			relaxed := *v.Value
			relaxed.Type = nil
			cf.Value.Properties["value"] = &openapi3.SchemaRef{Value: &relaxed}
		}
	}
	for _, r := range doc.Components.Schemas {
		walk(r.Value)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.Schema != nil {
					walk(p.Value.Schema.Value)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					if mt.Schema != nil {
						walk(mt.Schema.Value)
					}
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for _, mt := range resp.Value.Content {
					if mt.Schema != nil {
						walk(mt.Schema.Value)
					}
				}
			}
		}
	}
}

// specServer is the server URL of the specification; requests are matched
// as if they were sent there.
const specServer = "https://services.leadconnectorhq.com"

var options = &openapi3filter.Options{
	MultiError: true,
	AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		scheme, tok, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return errors.New("no bearer token in the Authorization header")
		}
		return nil
	},
}

// input builds the request validation input of one exchange.
func (s *Spec) input(method, rawURL string, header http.Header, body []byte) (*openapi3filter.RequestValidationInput, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("spectest: bad URL %q: %w", rawURL, err)
	}
	base, _ := url.Parse(specServer)
	u.Scheme, u.Host, u.User = base.Scheme, base.Host, nil
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("spectest: %w", err)
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	route, params, err := s.findRoute(req)
	if err != nil {
		return nil, fmt.Errorf("spectest: %s %s: %w", method, u.Path, err)
	}
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: options}, nil
}

func (s *Spec) findRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	var firstErr error
	try := func(r *http.Request) (*routers.Route, map[string]string, bool) {
		for _, rt := range s.router {
			route, params, err := rt.FindRoute(r)
			if err == nil {
				return route, params, true
			}
			if firstErr == nil || !errors.Is(err, routers.ErrPathNotFound) {
				firstErr = err
			}
		}
		return nil, nil, false
	}
	if route, params, ok := try(req); ok {
		return route, params, nil
	}
	if !strings.HasSuffix(req.URL.Path, "/") {
		// GET /contacts is GET /contacts/ (the spec's spelling).
		r2 := req.Clone(req.Context())
		r2.URL.Path += "/"
		r2.URL.RawPath = ""
		if route, params, ok := try(r2); ok {
			return route, params, nil
		}
	}
	return nil, nil, firstErr
}

// ValidateRequest checks a request (method, URL with query, headers, raw
// body; body may be nil) against the operation the spec declares for it:
// path, query and header parameters (the Version header included), the
// JSON or form body, and the presence of a bearer token.
func (s *Spec) ValidateRequest(method, rawURL string, header http.Header, body []byte) error {
	in, err := s.input(method, rawURL, header, body)
	if err != nil {
		return err
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("spectest: request %s %s does not conform: %w", method, in.Request.URL.Path, err)
	}
	return nil
}

// ValidateResponse checks a response against the operation of its request:
// its status (a 2xx status must be declared) and, when the spec gives one,
// its JSON body schema. The request itself is not validated here.
func (s *Spec) ValidateResponse(method, rawURL string, header http.Header, reqBody []byte, status int, respHeader http.Header, respBody []byte) error {
	in, err := s.input(method, rawURL, header, reqBody)
	if err != nil {
		return err
	}
	responses := in.Route.Operation.Responses
	if status >= 200 && status < 300 && responses.Status(status) == nil && responses.Default() == nil {
		var declared []string
		for code := range responses.Map() {
			declared = append(declared, code)
		}
		return fmt.Errorf("spectest: %s %s answered %d, which the spec does not declare (declared: %s)",
			method, in.Request.URL.Path, status, strings.Join(declared, ", "))
	}
	if respHeader == nil {
		respHeader = http.Header{}
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 respHeader,
		Body:                   io.NopCloser(bytes.NewReader(respBody)),
		Options:                options,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		return fmt.Errorf("spectest: response %s to %s %s does not conform: %w", strconv.Itoa(status), method, in.Request.URL.Path, err)
	}
	return nil
}

// Operations lists the "METHOD /path" of every operation of the loaded
// documents, so a conformance test can check it covers them all.
func (s *Spec) Operations() []string {
	var out []string
	for _, doc := range s.docs {
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				out = append(out, method+" "+path)
			}
		}
	}
	return out
}

// OperationsOf lists the operations of one specification file (for
// example "apps/contacts.json").
func (s *Spec) OperationsOf(file string) []string {
	for i, f := range specFiles {
		if f != file {
			continue
		}
		var out []string
		for path, item := range s.docs[i].Paths.Map() {
			for method := range item.Operations() {
				out = append(out, method+" "+path)
			}
		}
		return out
	}
	return nil
}
