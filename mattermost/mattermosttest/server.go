package mattermosttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl/internal/httpbody"
	"github.com/ghlkit/ghl/mattermost"
)

// Defaults for the server's time windows, as on a real Mattermost server.
const (
	// DefaultDedupeWindow is how long a pending_post_id is remembered.
	DefaultDedupeWindow = 30 * time.Second
	// DefaultTriggerTTL is how long a trigger_id can open a dialog: the
	// server's integration timeout (ServiceSettings.
	// OutgoingIntegrationRequestsTimeout), 30 seconds by default on current
	// servers. Old servers used a fixed 3 seconds: WithTriggerTTL(3 *
	// time.Second) tests against those.
	DefaultTriggerTTL = 30 * time.Second
	// ResponseURLTTL and ResponseURLUses bound a slash command's
	// response_url.
	ResponseURLTTL  = 30 * time.Minute
	ResponseURLUses = 5
)

// User is an account on the fake server.
type User struct {
	ID       string
	Username string
	IsBot    bool
}

// Team is the server's one team.
type Team struct {
	ID   string
	Name string // the team_domain sent to integrations
}

// Channel is a channel of the team.
type Channel struct {
	ID   string
	Name string
	// Members may post in the channel; an empty set lets everyone post.
	Members []string
}

// EphemeralPost is a post shown to one user only: from POST
// /posts/ephemeral, an ephemeral slash command response, or an action's
// ephemeral_text.
type EphemeralPost struct {
	UserID string // who sees it
	Post   mattermost.Post
}

// OpenedDialog is a dialog opened through POST /actions/dialogs/open.
type OpenedDialog struct {
	TriggerID string
	URL       string
	Dialog    mattermost.Dialog
	// UserID, ChannelID and TeamID come from the trigger: the user the
	// dialog was shown to and where.
	UserID, ChannelID, TeamID string
	// OpenedBy is the user whose token opened it (usually the bot).
	OpenedBy string
}

// Request is one request the server received. The Authorization header's
// credentials are replaced by [REDACTED].
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Fault makes the server misbehave for matching requests.
type Fault struct {
	// Method and Path select requests; empty matches any. A Path ending in
	// "*" matches by prefix.
	Method, Path string
	// Count is how many requests the fault hits: 0 means once, a negative
	// value every matching request until ClearFaults.
	Count int
	// Status answers this status with a Mattermost error body instead of
	// handling the request.
	Status int
	// RetryAfter, with Status, sets a Retry-After header (whole seconds).
	RetryAfter time.Duration
	// Latency delays the request before anything else.
	Latency time.Duration
	// Drop closes the connection without an answer, before handling.
	Drop bool
	// AfterWrite handles the request (a create is applied), then closes the
	// connection without sending the answer: the client cannot know whether
	// it worked.
	AfterWrite bool
	// Hold, for POST /api/v4/posts (other requests ignore it), makes the
	// create slow to save: it reserves its pending_post_id, then waits
	// until Hold is closed (or the request is abandoned) before saving and
	// answering. Meanwhile a create repeating that pending_post_id gets
	// 500 api.post.deduplicate_create_post.pending, as on a real server.
	Hold <-chan struct{}
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock for time windows and timestamps.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithDedupeWindow sets how long pending_post_ids are remembered.
func WithDedupeWindow(d time.Duration) Option { return func(s *Server) { s.dedupe = d } }

// WithTriggerTTL sets how long a trigger_id can open a dialog (the server's
// integration timeout; DefaultTriggerTTL).
func WithTriggerTTL(d time.Duration) Option { return func(s *Server) { s.triggerTTL = d } }

// WithIntegrationClient sets the client the server uses to call
// integrations (slash commands, buttons, dialogs). Default: a client with a
// 30-second timeout.
func WithIntegrationClient(c *http.Client) Option { return func(s *Server) { s.hc = c } }

// Server is a fake Mattermost server on 127.0.0.1 for tests. It serves the
// REST API v4 calls package mattermost makes, incoming webhooks and
// response URLs, stores posts, and acts as users (see As).
type Server struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:41234".
	URL string

	srv        *httptest.Server
	hc         *http.Client
	now        func() time.Time
	dedupe     time.Duration
	triggerTTL time.Duration

	mu         sync.Mutex
	team       Team
	users      map[string]*User
	tokens     map[string]string // token -> user ID
	channels   map[string]*Channel
	posts      map[string]*mattermost.Post
	pending    map[string]pendingEntry
	ephemeral  []EphemeralPost
	dialogs    []OpenedDialog
	hooks      map[string]*hook
	commands   map[string]*command // by trigger, without slash
	responses  map[string]*responseURL
	triggers   map[string]trigger
	faults     []*Fault
	outage     bool
	latency    time.Duration
	requests   []Request
	lastMillis int64
	admins     adminState // system and channel admins (members.go)
}

type pendingEntry struct {
	postID string // empty while the create is being saved
	at     time.Time
}

type hook struct {
	channelID string
	userID    string
}

type command struct {
	trigger string
	url     string
	token   string
}

type responseURL struct {
	userID, channelID string
	expires           time.Time
	uses              int
}

type trigger struct {
	userID, channelID string
	expires           time.Time
}

// NewServer starts a fake server. Close it when done (t.Cleanup(srv.Close)).
func NewServer(opts ...Option) *Server {
	s := &Server{
		// A transport of its own: every httptest.Server.Close in the test
		// binary closes http.DefaultTransport's idle connections, which
		// can break a call to the integration that is just reusing one.
		hc:         &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()},
		now:        time.Now,
		dedupe:     DefaultDedupeWindow,
		triggerTTL: DefaultTriggerTTL,
		users:      map[string]*User{},
		tokens:     map[string]string{},
		channels:   map[string]*Channel{},
		posts:      map[string]*mattermost.Post{},
		pending:    map[string]pendingEntry{},
		hooks:      map[string]*hook{},
		commands:   map[string]*command{},
		responses:  map[string]*responseURL{},
		triggers:   map[string]trigger{},
	}
	for _, opt := range opts {
		opt(s)
	}
	s.team = Team{ID: NewID(), Name: "ghlkit"}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() {
	s.srv.Close()
	s.hc.CloseIdleConnections()
}

// NewID returns a random 26-character ID in Mattermost's format.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.NewEncoding("ybndrfg8ejkmcpqxot1uwisza345h769").WithPadding(base32.NoPadding).EncodeToString(b[:]))[:26]
}

// Team returns the server's team.
func (s *Server) Team() Team { return s.team }

// AddUser adds a regular user.
func (s *Server) AddUser(username string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: NewID(), Username: username}
	s.users[u.ID] = u
	return *u
}

// AddBot adds a bot account and returns it with a new access token.
func (s *Server) AddBot(username string) (User, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: NewID(), Username: username, IsBot: true}
	s.users[u.ID] = u
	tok := NewID()
	s.tokens[tok] = u.ID
	return *u, tok
}

// AddToken lets token authenticate as userID.
func (s *Server) AddToken(userID, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = userID
}

// RevokeToken makes token invalid.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// AddChannel adds a channel to the team. With members, only they may post
// in it.
func (s *Server) AddChannel(name string, members ...string) Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Channel{ID: NewID(), Name: name, Members: slices.Clone(members)}
	s.channels[c.ID] = c
	return *c
}

// AddWebhook adds an incoming webhook posting to channelID and returns its
// URL (<server>/hooks/<key>).
func (s *Server) AddWebhook(channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := NewID()
	// Posts come from the webhook's creator, an integration account here.
	s.hooks[key] = &hook{channelID: channelID, userID: NewID()}
	return s.URL + "/hooks/" + key
}

// AddCommand registers a custom slash command: typing "/trigger ..." sends
// a request to url. It returns the command's token.
func (s *Server) AddCommand(trigger, url string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	trigger = strings.TrimPrefix(trigger, "/")
	tok := NewID()
	s.commands[trigger] = &command{trigger: trigger, url: url, token: tok}
	return tok
}

// Fail adds a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Count == 0 {
		f.Count = 1
	}
	s.faults = append(s.faults, &f)
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// SetOutage starts (true) or ends (false) an outage: while it lasts every
// API, webhook and response URL request gets 503.
func (s *Server) SetOutage(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = on
}

// SetLatency delays every request by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Post returns a stored post, with its integrations.
func (s *Server) Post(id string) (mattermost.Post, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.posts[id]
	if !ok {
		return mattermost.Post{}, false
	}
	return clonePost(p), true
}

// Posts returns a channel's posts, oldest first.
func (s *Server) Posts(channelID string) []mattermost.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []mattermost.Post
	for _, p := range s.posts {
		if p.ChannelID == channelID {
			out = append(out, clonePost(p))
		}
	}
	sortPosts(out)
	return out
}

// Thread returns the thread rooted at rootID, root first.
func (s *Server) Thread(rootID string) []mattermost.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.threadLocked(rootID)
}

func (s *Server) threadLocked(rootID string) []mattermost.Post {
	var out []mattermost.Post
	for _, p := range s.posts {
		if p.ID == rootID || p.RootID == rootID {
			out = append(out, clonePost(p))
		}
	}
	sortPosts(out)
	return out
}

// Ephemeral returns the ephemeral posts shown to userID, oldest first.
func (s *Server) Ephemeral(userID string) []EphemeralPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []EphemeralPost
	for _, e := range s.ephemeral {
		if e.UserID == userID {
			e.Post = clonePost(&e.Post)
			out = append(out, e)
		}
	}
	return out
}

// Dialogs returns the dialogs opened so far, oldest first.
func (s *Server) Dialogs() []OpenedDialog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dialogs)
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func sortPosts(ps []mattermost.Post) {
	slices.SortFunc(ps, func(a, b mattermost.Post) int {
		if a.CreateAt != b.CreateAt {
			if a.CreateAt < b.CreateAt {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// clonePost returns a deep copy of p as a JSON round trip gives it: what
// the server stores and returns is what it decoded. A post decoded from a
// request (and any copy of one) is copied field by field, which gives the
// same result at a fraction of the cost of encoding it and decoding it
// again; a post holding what only the round trip can settle (text that is
// not UTF-8, an integration context with values of Go types, an
// "attachments" key among the other props) takes the round trip.
func clonePost(p *mattermost.Post) mattermost.Post {
	if !copyable(p) {
		return jsonClone(p)
	}
	out := *p
	out.FileIDs = cloneStrings(p.FileIDs)
	out.Metadata = cloneRaw(p.Metadata)
	out.Props = mattermost.Props{}
	if len(p.Props.Other) > 0 {
		out.Props.Other = make(map[string]json.RawMessage, len(p.Props.Other))
		for k, v := range p.Props.Other {
			out.Props.Other[k] = marshalRaw(v)
		}
	}
	if len(p.Props.Attachments) > 0 {
		out.Props.Attachments = make([]mattermost.Attachment, len(p.Props.Attachments))
		for i, a := range p.Props.Attachments {
			a.Fields = nilIfEmpty(slices.Clone(a.Fields))
			a.Actions = nilIfEmpty(slices.Clone(a.Actions))
			for j := range a.Actions {
				act := &a.Actions[j]
				act.Options = nilIfEmpty(slices.Clone(act.Options))
				if act.Integration != nil {
					in := *act.Integration
					in.Context = nil
					if len(act.Integration.Context) > 0 {
						in.Context = cloneJSONValue(act.Integration.Context).(map[string]any)
					}
					act.Integration = &in
				}
			}
			out.Props.Attachments[i] = a
		}
	}
	return out
}

// jsonClone is the round trip itself.
func jsonClone(p *mattermost.Post) mattermost.Post {
	b, err := json.Marshal(p)
	if err != nil {
		panic("mattermosttest: cloning a post: " + err.Error())
	}
	var out mattermost.Post
	if err := json.Unmarshal(b, &out); err != nil {
		panic("mattermosttest: cloning a post: " + err.Error())
	}
	return out
}

// copyable reports whether copying p field by field gives what its JSON
// round trip gives.
func copyable(p *mattermost.Post) bool {
	if _, ok := p.Props.Other["attachments"]; ok {
		return false
	}
	if !validUTF8(p.ID, p.UserID, p.ChannelID, p.RootID, p.Message, p.Type, p.PendingPostID) || !validUTF8(p.FileIDs...) {
		return false
	}
	for k := range p.Props.Other {
		if !utf8.ValidString(k) {
			return false
		}
	}
	for _, a := range p.Props.Attachments {
		if !validUTF8(a.Fallback, a.Color, a.Pretext, a.AuthorName, a.AuthorLink, a.AuthorIcon, a.Title, a.TitleLink, a.Text, a.ImageURL, a.ThumbURL, a.Footer, a.FooterIcon) {
			return false
		}
		for _, f := range a.Fields {
			if !validUTF8(f.Title, f.Value) {
				return false
			}
		}
		for _, act := range a.Actions {
			if !validUTF8(act.ID, act.Type, act.Name, act.Style, act.DataSource, act.DefaultOption, act.Cookie) {
				return false
			}
			for _, o := range act.Options {
				if !validUTF8(o.Text, o.Value) {
					return false
				}
			}
			if act.Integration != nil && (!utf8.ValidString(act.Integration.URL) || !jsonValue(act.Integration.Context)) {
				return false
			}
		}
	}
	return true
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// jsonValue reports whether v holds only what decoding JSON into an any
// makes (so that copying it is its round trip).
func jsonValue(v any) bool {
	switch v := v.(type) {
	case nil, bool:
		return true
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case string:
		return utf8.ValidString(v)
	case []any:
		for _, e := range v {
			if !jsonValue(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for k, e := range v {
			if !utf8.ValidString(k) || !jsonValue(e) {
				return false
			}
		}
		return true
	}
	return false
}

// cloneJSONValue deep-copies a value jsonValue accepts.
func cloneJSONValue(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSONValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = cloneJSONValue(e)
		}
		return out
	}
	return v
}

// cloneRaw returns raw as encoding/json writes it (compact, HTML escaped),
// in memory of its own; empty stays nil, as "omitempty" leaves it out.
func cloneRaw(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	return marshalRaw(raw)
}

// marshalRaw returns raw as encoding/json writes it (nil as null).
func marshalRaw(raw json.RawMessage) json.RawMessage {
	b, err := json.Marshal(raw)
	if err != nil {
		panic("mattermosttest: cloning a post: " + err.Error())
	}
	return b
}

func cloneStrings(s []string) []string { return nilIfEmpty(slices.Clone(s)) }

// nilIfEmpty: an empty list is left out of the JSON, and so decodes as nil.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// forClient returns p as the API sends it to clients: action integrations
// are removed (Mattermost keeps them server-side). The copy shares only
// what the server never changes in place (raw prop values, options).
func forClient(p *mattermost.Post) mattermost.Post {
	out := *p
	out.Props.Other = maps.Clone(p.Props.Other)
	out.FileIDs = slices.Clone(p.FileIDs)
	out.Props.Attachments = slices.Clone(p.Props.Attachments)
	for i := range out.Props.Attachments {
		a := &out.Props.Attachments[i]
		a.Fields = slices.Clone(a.Fields)
		a.Actions = slices.Clone(a.Actions)
		for j := range a.Actions {
			a.Actions[j].Integration = nil
		}
	}
	return out
}

// millis returns a creation time in Unix ms, strictly increasing so that
// posts keep their order.
func (s *Server) millisLocked() int64 {
	ms := s.now().UnixMilli()
	if ms <= s.lastMillis {
		ms = s.lastMillis + 1
	}
	s.lastMillis = ms
	return ms
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/users/me", s.auth(s.handleMe))
	mux.HandleFunc("POST /api/v4/posts", s.auth(s.handleCreatePost))
	mux.HandleFunc("POST /api/v4/posts/ephemeral", s.auth(s.handleEphemeral))
	mux.HandleFunc("GET /api/v4/posts/{id}", s.auth(s.handleGetPost))
	mux.HandleFunc("PUT /api/v4/posts/{id}/patch", s.auth(s.handlePatchPost))
	mux.HandleFunc("GET /api/v4/posts/{id}/thread", s.auth(s.handleThread))
	mux.HandleFunc("GET /api/v4/channels/{id}/posts", s.auth(s.handleChannelPosts))
	mux.HandleFunc("POST /api/v4/actions/dialogs/open", s.auth(s.handleOpenDialog))
	s.memberRoutes(mux)
	mux.HandleFunc("POST /hooks/commands/{id}", s.handleResponseURL)
	mux.HandleFunc("POST /hooks/{key}", s.handleIncomingWebhook)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		appError(w, http.StatusNotFound, "api.no_route", "There is no API route for "+r.URL.Path+".")
	})
	return s.middleware(mux)
}

// middleware records requests and applies latency, outages and faults.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := httpbody.Read(r.Body, r.ContentLength, 8<<20)
		r.Body = requestBody{bytes.NewReader(body), body}
		hdr := r.Header.Clone()
		if a := hdr.Get("Authorization"); a != "" {
			scheme, _, _ := strings.Cut(a, " ")
			hdr.Set("Authorization", scheme+" [REDACTED]")
		}

		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: hdr, Body: body})
		latency, outage := s.latency, s.outage
		var fault *Fault
		for i, f := range s.faults {
			if f.matches(r) {
				cp := *f
				fault = &cp
				if f.Count > 0 {
					f.Count--
					if f.Count == 0 {
						s.faults = slices.Delete(s.faults, i, i+1)
					}
				}
				break
			}
		}
		s.mu.Unlock()

		if fault != nil {
			latency += fault.Latency
		}
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if outage {
			w.Header().Set("Retry-After", "1")
			appError(w, http.StatusServiceUnavailable, "api.server.outage", "The server is unavailable (test outage).")
			return
		}
		if fault != nil {
			switch {
			case fault.Drop:
				dropConnection(w)
				return
			case fault.AfterWrite:
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				dropConnection(w)
				return
			case fault.Status != 0:
				if fault.RetryAfter > 0 {
					w.Header().Set("Retry-After", strconv.Itoa(int(fault.RetryAfter/time.Second)))
				}
				appError(w, fault.Status, "api.test.fault", "Injected fault.")
				return
			case fault.Hold != nil:
				r = r.WithContext(context.WithValue(r.Context(), holdKey{}, fault.Hold))
			}
		}
		next.ServeHTTP(w, r)
	})
}

type holdKey struct{}

// requestBody is a request's body as the middleware read it. decode
// decodes its bytes rather than reading them once more.
type requestBody struct {
	*bytes.Reader
	data []byte
}

func (requestBody) Close() error { return nil }

func (f *Fault) matches(r *http.Request) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	if f.Path == "" {
		return true
	}
	if prefix, ok := strings.CutSuffix(f.Path, "*"); ok {
		return strings.HasPrefix(r.URL.Path, prefix)
	}
	return r.URL.Path == f.Path
}

// dropConnection closes the connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("mattermosttest: cannot hijack the connection")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

// appError writes Mattermost's error body.
func appError(w http.ResponseWriter, status int, id, msg string) {
	writeJSON(w, status, map[string]any{
		"id":             id,
		"message":        msg,
		"detailed_error": "",
		"request_id":     NewID(),
		"status_code":    status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", NewID())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type authedHandler func(w http.ResponseWriter, r *http.Request, user User)

// auth checks "Authorization: Bearer <token>" (or "Token <token>").
func (s *Server) auth(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		s.mu.Lock()
		uid, ok := s.tokens[tok]
		u := s.users[uid]
		s.mu.Unlock()
		if tok == "" || !ok || u == nil || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token")) {
			appError(w, http.StatusUnauthorized, "api.context.session_expired.app_error", "Invalid or expired session, please login again.")
			return
		}
		h(w, r, *u)
	}
}

// decode reads a request's JSON body into v as Mattermost does, with a
// json.Decoder: the first JSON value counts, whatever follows it is
// ignored. A body that is one JSON value (every body in practice) is
// decoded in place, without the Decoder's copy of it; any other goes
// through the Decoder. A body json.Unmarshal refuses is either malformed
// somewhere (it validates before it decodes, so v is untouched) or one
// value that does not fit v, which the Decoder refuses as well.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	rb, ok := r.Body.(requestBody)
	if !ok || json.Unmarshal(rb.data, v) != nil {
		if err := json.NewDecoder(r.Body).Decode(v); err != nil {
			appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing post in request body.")
			return false
		}
	}
	return true
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, u User) {
	writeJSON(w, http.StatusOK, s.apiUser(u))
}

// canPostLocked reports whether userID may post in channelID.
func (s *Server) canPostLocked(userID, channelID string) bool {
	c, ok := s.channels[channelID]
	if !ok {
		return false
	}
	return len(c.Members) == 0 || slices.Contains(c.Members, userID)
}

func (s *Server) handleCreatePost(w http.ResponseWriter, r *http.Request, u User) {
	var p mattermost.Post
	if !decode(w, r, &p) {
		return
	}
	// The size limits need no shared state: checked before taking the
	// lock, answered where Mattermost answers them (after the dedupe and
	// the permission check).
	status, id, msg := checkPostLimits(p.Message, p.Props, p.FileIDs)
	s.mu.Lock()
	now := s.now()
	// Deduplication, as Mattermost does it: a repeated pending_post_id
	// within the window gets a 500 while the first create is still being
	// saved, then the first post, unless the user may not read it (then
	// the id is ignored).
	if p.PendingPostID != "" {
		if e, ok := s.pending[p.PendingPostID]; ok && now.Sub(e.at) < s.dedupe {
			if e.postID == "" {
				s.mu.Unlock()
				appError(w, http.StatusInternalServerError, "api.post.deduplicate_create_post.pending", "Rejected post since another client is making the same request.")
				return
			}
			if first, ok := s.posts[e.postID]; ok && s.canPostLocked(u.ID, first.ChannelID) {
				out := forClient(first)
				s.mu.Unlock()
				writeJSON(w, http.StatusCreated, out)
				return
			}
		}
	}
	if !s.canPostLocked(u.ID, p.ChannelID) {
		status, id, msg = http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions."
	} else if status == 0 {
		status, id, msg = s.checkRootLocked(&p)
	}
	if status != 0 {
		s.mu.Unlock()
		appError(w, status, id, msg)
		return
	}
	if hold, _ := r.Context().Value(holdKey{}).(<-chan struct{}); hold != nil && p.PendingPostID != "" {
		s.pending[p.PendingPostID] = pendingEntry{at: now} // no post yet: being saved
		s.mu.Unlock()
		select {
		case <-hold:
		case <-r.Context().Done():
			// A failed create forgets its pending_post_id, so that a
			// retry can go through.
			s.mu.Lock()
			delete(s.pending, p.PendingPostID)
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
	}
	stored := s.storePostLocked(p, u.ID)
	if p.PendingPostID != "" {
		s.pending[p.PendingPostID] = pendingEntry{postID: stored.ID, at: now}
	}
	out := forClient(stored)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// checkRootLocked checks a reply's root post as Mattermost does before
// storing it.
func (s *Server) checkRootLocked(p *mattermost.Post) (status int, id, msg string) {
	if p.RootID != "" {
		root, ok := s.posts[p.RootID]
		if !ok || root.RootID != "" || root.ChannelID != p.ChannelID || root.DeleteAt != 0 {
			return http.StatusBadRequest, "api.post.create_post.root_id.app_error", "Invalid RootId parameter."
		}
	}
	return 0, "", ""
}

// checkPostLimits applies the size limits of Mattermost's Post.IsValid.
func checkPostLimits(message string, props mattermost.Props, fileIDs []string) (status int, id, msg string) {
	if utf8.RuneCountInString(message) > mattermost.MaxMessageRunes {
		return http.StatusBadRequest, "model.post.is_valid.msg.app_error", "Invalid message."
	}
	if len(fileIDs) > mattermost.MaxFileIDs {
		return http.StatusBadRequest, "model.post.is_valid.file_ids.app_error", "Invalid file ids."
	}
	if !props.IsZero() && !propsWithinLimit(props) {
		return http.StatusBadRequest, "model.post.is_valid.props.app_error", "Invalid props."
	}
	return 0, "", ""
}

// propsWithinLimit reports whether props encode within MaxPropsRunes as
// the server measures them: as encoding/json writes them, HTML escaping
// included (json.Marshal escapes a Marshaler's output). That writes each
// byte of their own encoding (compact, not escaped) as at most six
// characters ('<' as \u003c): props of at most MaxPropsRunes/6 bytes there
// are within the limit without counting.
func propsWithinLimit(props mattermost.Props) bool {
	raw, err := props.MarshalJSON()
	if err != nil {
		return false
	}
	if len(raw) <= mattermost.MaxPropsRunes/6 {
		return true
	}
	raw, err = json.Marshal(props)
	return err == nil && utf8.RuneCount(raw) <= mattermost.MaxPropsRunes
}

func (s *Server) storePostLocked(p mattermost.Post, userID string) *mattermost.Post {
	p.ID = NewID()
	p.UserID = userID
	p.CreateAt = s.millisLocked()
	p.UpdateAt = p.CreateAt
	p.EditAt, p.DeleteAt = 0, 0
	generateActionIDs(&p.Props)
	cp := clonePost(&p)
	s.posts[cp.ID] = &cp
	return &cp
}

// generateActionIDs gives actions without an ID one, as Mattermost does.
func generateActionIDs(props *mattermost.Props) {
	for i := range props.Attachments {
		for j := range props.Attachments[i].Actions {
			if props.Attachments[i].Actions[j].ID == "" {
				props.Attachments[i].Actions[j].ID = NewID()
			}
		}
	}
}

func (s *Server) handleEphemeral(w http.ResponseWriter, r *http.Request, u User) {
	var body struct {
		UserID string           `json:"user_id"`
		Post   *mattermost.Post `json:"post"`
	}
	if !decode(w, r, &body) {
		return
	}
	if body.UserID == "" || body.Post == nil || body.Post.ChannelID == "" {
		appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing post in request body.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[body.Post.ChannelID]; !ok {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	p := *body.Post
	p.ID = NewID()
	p.UserID = u.ID
	p.CreateAt = s.millisLocked()
	p.Type = "system_ephemeral"
	s.ephemeral = append(s.ephemeral, EphemeralPost{UserID: body.UserID, Post: clonePost(&p)})
	writeJSON(w, http.StatusCreated, forClient(&p))
}

// livePostLocked returns the stored post id unless it is missing or
// deleted: a deleted post stays stored for "since" queries only.
func (s *Server) livePostLocked(id string) (*mattermost.Post, bool) {
	p, ok := s.posts[id]
	if !ok || p.DeleteAt != 0 {
		return nil, false
	}
	return p, true
}

// readPostLocked returns the live post of the path's {id}, or answers 404
// as Mattermost does for a missing or deleted post.
func (s *Server) readPostLocked(w http.ResponseWriter, r *http.Request) (*mattermost.Post, bool) {
	p, ok := s.livePostLocked(r.PathValue("id"))
	if !ok {
		appError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
	}
	return p, ok
}

func (s *Server) handleGetPost(w http.ResponseWriter, r *http.Request, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.readPostLocked(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, forClient(p))
}

// MaxPostsSince is the most posts the server returns for a "since" query,
// as Mattermost does (mattermost.MaxPostsSince).
const MaxPostsSince = mattermost.MaxPostsSince

// Paging defaults of GET /channels/{id}/posts, as on Mattermost.
const (
	defaultPerPage = 60
	maxPerPage     = mattermost.MaxPerPage
)

// handleChannelPosts serves GET /channels/{id}/posts as Mattermost does.
//
// With since (Unix ms): the posts whose update_at is strictly after it,
// deleted ones included, at most MaxPostsSince of them; like the server's
// index scan, it takes the ones changed first when more changed. Order
// lists them newest first by creation and Posts adds the roots of replies;
// next_post_id and prev_post_id are empty.
//
// Otherwise: page (from 0) of per_page (default 60, at most 200) posts,
// newest first by creation, deleted posts left out (include_deleted is for
// system admins only: 403), with the cursor IDs of the posts just newer and
// just older than the page. before and after are not served (501).
func (s *Server) handleChannelPosts(w http.ResponseWriter, r *http.Request, u User) {
	q := r.URL.Query()
	var since int64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			appError(w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "Invalid or missing since parameter in request URL.")
			return
		}
		since = n
	}
	if b, _ := strconv.ParseBool(q.Get("include_deleted")); b {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	if since <= 0 && (q.Get("before") != "" || q.Get("after") != "") {
		appError(w, http.StatusNotImplemented, "mattermosttest.not_implemented", "mattermosttest does not serve before/after.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	channelID := r.PathValue("id")
	var found []*mattermost.Post
	if since > 0 {
		for _, p := range s.posts {
			if p.ChannelID == channelID && p.UpdateAt > since {
				found = append(found, p)
			}
		}
		slices.SortFunc(found, func(a, b *mattermost.Post) int {
			if a.UpdateAt != b.UpdateAt {
				return cmpInt(a.UpdateAt, b.UpdateAt)
			}
			return strings.Compare(a.ID, b.ID)
		})
		found = found[:min(len(found), MaxPostsSince)]
		sortNewestFirst(found)
		writeJSON(w, http.StatusOK, s.postListLocked(found, false))
		return
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 0 {
		page = 0
	}
	perPage, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage < 0 {
		perPage = defaultPerPage
	}
	perPage = min(perPage, maxPerPage)
	for _, p := range s.posts {
		if p.ChannelID == channelID && p.DeleteAt == 0 {
			found = append(found, p)
		}
	}
	sortNewestFirst(found)
	start := min(page*perPage, len(found))
	end := min(start+perPage, len(found))
	list := s.postListLocked(found[start:end], true)
	// The cursors name the live posts next to the page, as the server's
	// AddCursorIdsForPostList does.
	if start > 0 && end > start {
		list.NextPostID = found[start-1].ID
	}
	if end < len(found) && end > start {
		list.PrevPostID = found[end].ID
	}
	writeJSON(w, http.StatusOK, list)
}

// sortNewestFirst orders posts by creation time, newest first (ties by ID).
func sortNewestFirst(ps []*mattermost.Post) {
	slices.SortFunc(ps, func(a, b *mattermost.Post) int {
		if a.CreateAt != b.CreateAt {
			return cmpInt(b.CreateAt, a.CreateAt)
		}
		return strings.Compare(b.ID, a.ID)
	})
}

// postListLocked builds a PostList of ps (in that order) with the root posts
// of replies added to Posts, as the server adds them.
func (s *Server) postListLocked(ps []*mattermost.Post, liveRootsOnly bool) mattermost.PostList {
	list := mattermost.PostList{Order: []string{}, Posts: map[string]mattermost.Post{}}
	for _, p := range ps {
		list.Order = append(list.Order, p.ID)
		list.Posts[p.ID] = forClient(p)
	}
	for i := range ps {
		if ps[i].RootID == "" {
			continue
		}
		if _, ok := list.Posts[ps[i].RootID]; ok {
			continue
		}
		if root, ok := s.posts[ps[i].RootID]; ok && (!liveRootsOnly || root.DeleteAt == 0) {
			list.Posts[root.ID] = forClient(root)
		}
	}
	return list
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AddPost stores p as made by userID now, as a create through the API would
// (new ID, timestamps, action IDs), but without its checks: for tests that
// need a busy channel. It returns the stored post.
func (s *Server) AddPost(userID string, p mattermost.Post) mattermost.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clonePost(s.storePostLocked(p, userID))
}

// DeletePost deletes a post as a user deleting it in Mattermost does: the
// post stays stored with delete_at and update_at set to now, so a "since"
// query still returns it, while reads and pages leave it out. It reports
// whether the post existed and was not deleted yet.
func (s *Server) DeletePost(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.livePostLocked(id)
	if !ok {
		return false
	}
	now := s.millisLocked()
	p.DeleteAt, p.UpdateAt = now, now
	return true
}

func (s *Server) handleThread(w http.ResponseWriter, r *http.Request, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.readPostLocked(w, r)
	if !ok {
		return
	}
	root := p.ID
	if p.RootID != "" {
		root = p.RootID
	}
	thread := s.threadLocked(root)
	list := mattermost.PostList{Posts: map[string]mattermost.Post{}}
	for i := len(thread) - 1; i >= 0; i-- { // newest first, as Mattermost orders
		list.Order = append(list.Order, thread[i].ID)
		list.Posts[thread[i].ID] = forClient(&thread[i])
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) handlePatchPost(w http.ResponseWriter, r *http.Request, u User) {
	var patch mattermost.PostPatch
	if !decode(w, r, &patch) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.livePostLocked(r.PathValue("id"))
	if !ok {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	if p.UserID != u.ID {
		appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
		return
	}
	after := *p
	if patch.Message != nil {
		after.Message = *patch.Message
	}
	if patch.Props != nil {
		after.Props = *patch.Props
	}
	if patch.FileIDs != nil {
		after.FileIDs = *patch.FileIDs
	}
	if status, id, msg := checkPostLimits(after.Message, after.Props, after.FileIDs); status != 0 {
		appError(w, status, id, msg)
		return
	}
	now := s.millisLocked()
	if patch.Message != nil && *patch.Message != p.Message {
		p.Message = *patch.Message
		p.EditAt = now
	}
	if patch.Props != nil {
		p.Props = *patch.Props
		generateActionIDs(&p.Props)
	}
	if patch.IsPinned != nil {
		p.IsPinned = *patch.IsPinned
	}
	if patch.FileIDs != nil {
		p.FileIDs = slices.Clone(*patch.FileIDs)
	}
	p.UpdateAt = now
	writeJSON(w, http.StatusOK, forClient(p))
}

func (s *Server) handleOpenDialog(w http.ResponseWriter, r *http.Request, u User) {
	var req mattermost.OpenDialogRequest
	if !decode(w, r, &req) {
		return
	}
	if req.URL == "" {
		appError(w, http.StatusBadRequest, "interactive_message.generate_trigger_id.url.app_error", "Invalid URL.")
		return
	}
	// A real server opens a dialog that breaks its limits anyway, logging
	// "Interactive dialog is invalid", and its clients may then fail to
	// show it; the fake refuses it so that a test notices.
	if err := mattermost.ValidateDialog(&req.Dialog); err != nil {
		appError(w, http.StatusBadRequest, "api.interactive_dialog.invalid.app_error", "Interactive dialog is invalid: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tr, ok := s.triggers[req.TriggerID]
	if !ok {
		appError(w, http.StatusBadRequest, "interactive_message.decode_trigger_id.base64_decode_failed", "Failed to decode trigger ID for interactive dialog.")
		return
	}
	if s.now().After(tr.expires) {
		appError(w, http.StatusBadRequest, "interactive_message.decode_trigger_id.expired", "Trigger ID for interactive dialog is expired.")
		return
	}
	s.dialogs = append(s.dialogs, OpenedDialog{
		TriggerID: req.TriggerID, URL: req.URL, Dialog: req.Dialog,
		UserID: tr.userID, ChannelID: tr.channelID, TeamID: s.team.ID, OpenedBy: u.ID,
	})
	writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
}

func (s *Server) handleIncomingWebhook(w http.ResponseWriter, r *http.Request) {
	var msg mattermost.WebhookMessage
	body, _ := io.ReadAll(r.Body)
	// Mattermost accepts JSON, or a form with the JSON in "payload".
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, _ := url.ParseQuery(string(body))
		body = []byte(form.Get("payload"))
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		appError(w, http.StatusBadRequest, "api.webhook.incoming.decode.app_error", "Unable to parse incoming data.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[r.PathValue("key")]
	if !ok {
		appError(w, http.StatusBadRequest, "web.incoming_webhook.invalid.app_error", "Invalid webhook.")
		return
	}
	if msg.Text == "" && len(msg.Attachments) == 0 {
		appError(w, http.StatusBadRequest, "web.incoming_webhook.text.app_error", "No text specified.")
		return
	}
	channelID := h.channelID
	if msg.Channel != "" {
		found := false
		for _, c := range s.channels {
			if c.Name == strings.TrimPrefix(msg.Channel, "#") || c.ID == msg.Channel {
				channelID, found = c.ID, true
				break
			}
		}
		if !found {
			appError(w, http.StatusBadRequest, "web.incoming_webhook.channel.app_error", "Couldn't find the channel.")
			return
		}
	}
	// Like Mattermost, a text over the message limit becomes several posts,
	// cut every MaxMessageRunes characters wherever that falls; the
	// attachments go on the last one.
	base := mattermost.Post{ChannelID: channelID, Props: msg.Props, Type: msg.Type}
	base.Props.Attachments = nil
	_ = base.Props.Set("from_webhook", "true")
	if msg.Username != "" {
		_ = base.Props.Set("override_username", msg.Username)
	}
	if msg.IconURL != "" {
		_ = base.Props.Set("override_icon_url", msg.IconURL)
	}
	parts := cutEvery(msg.Text, mattermost.MaxMessageRunes)
	last := base
	last.Message = parts[len(parts)-1]
	last.Props.Attachments = msg.Attachments
	for _, p := range []mattermost.Post{base, last} {
		if status, id, m := checkPostLimits(p.Message, p.Props, nil); status != 0 {
			appError(w, status, id, m)
			return
		}
	}
	for _, part := range parts[:len(parts)-1] {
		p := base
		p.Message = part
		s.storePostLocked(p, h.userID)
	}
	s.storePostLocked(last, h.userID)
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
}

// cutEvery cuts s into pieces of n characters (the last may be shorter);
// an empty s is one empty piece.
func cutEvery(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		i, count := 0, 0
		for i = range s {
			if count == n {
				break
			}
			count++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return append(out, s)
}

func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	var resp mattermost.CommandResponse
	if err := json.NewDecoder(r.Body).Decode(&resp); err != nil {
		appError(w, http.StatusBadRequest, "api.command.execute_command.failed_body.app_error", "Unable to parse the response.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ru, ok := s.responses[r.PathValue("id")]
	if !ok || !s.now().Before(ru.expires) || ru.uses >= ResponseURLUses {
		appError(w, http.StatusBadRequest, "web.command_webhook.invalid.app_error", "Invalid webhook.")
		return
	}
	ru.uses++
	if err := s.applyCommandResponseLocked(&resp, ru.userID, ru.channelID); err != "" {
		appError(w, http.StatusBadRequest, "api.command.execute_command.create_post_failed.app_error", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
}

// applyCommandResponseLocked does what Mattermost does with a command
// response: posts it in the channel (in_channel) or shows it to the user
// (ephemeral), and the same for each extra response.
func (s *Server) applyCommandResponseLocked(resp *mattermost.CommandResponse, userID, channelID string) string {
	all := append([]*mattermost.CommandResponse{resp}, resp.ExtraResponses...)
	for _, cr := range all {
		if cr == nil || (cr.Text == "" && len(cr.Attachments) == 0) {
			continue
		}
		ch := channelID
		if cr.ChannelID != "" {
			ch = cr.ChannelID
		}
		p := mattermost.Post{ChannelID: ch, Message: cr.Text, Props: cr.Props, Type: cr.Type}
		if len(cr.Attachments) > 0 {
			p.Props.Attachments = cr.Attachments
		}
		if status, _, msg := checkPostLimits(p.Message, p.Props, nil); status != 0 {
			return msg
		}
		if cr.ResponseType == mattermost.ResponseInChannel {
			if cr.Username != "" {
				_ = p.Props.Set("override_username", cr.Username)
			}
			_ = p.Props.Set("from_webhook", "true")
			s.storePostLocked(p, userID)
			continue
		}
		p.ID = NewID()
		p.UserID = userID
		p.CreateAt = s.millisLocked()
		p.Type = "system_ephemeral"
		s.ephemeral = append(s.ephemeral, EphemeralPost{UserID: userID, Post: clonePost(&p)})
	}
	return ""
}
