package mattermosttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ghlkit/ghl/mattermost"
)

// The create-post handler as it was before the size limits were checked
// outside the server's lock, kept to compare the current one with, side
// by side in one run.

func (s *Server) formerHandleCreatePost(w http.ResponseWriter, r *http.Request, u User) {
	var p mattermost.Post
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing post in request body.")
		return
	}
	s.mu.Lock()
	now := s.now()
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
	if status, id, msg := s.formerCheckNewPostLocked(&p, u.ID); status != 0 {
		s.mu.Unlock()
		appError(w, status, id, msg)
		return
	}
	stored := s.storePostLocked(p, u.ID)
	if p.PendingPostID != "" {
		s.pending[p.PendingPostID] = pendingEntry{postID: stored.ID, at: now}
	}
	out := forClient(stored)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// formerCheckNewPostLocked is the former check of a create, all under the
// lock, its props encoded HTML-escaped to be counted.
func (s *Server) formerCheckNewPostLocked(p *mattermost.Post, userID string) (status int, id, msg string) {
	if !s.canPostLocked(userID, p.ChannelID) {
		return http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions."
	}
	if status, id, msg := checkPostLimits(p.Message, mattermost.Props{}, p.FileIDs); status != 0 {
		return status, id, msg
	}
	if !p.Props.IsZero() {
		raw, err := json.Marshal(p.Props)
		if err != nil || utf8.RuneCount(raw) > mattermost.MaxPropsRunes {
			return http.StatusBadRequest, "model.post.is_valid.props.app_error", "Invalid props."
		}
	}
	return s.checkRootLocked(p)
}

// taskPostBody is the body of a create the bridge sends for a HighLevel
// TaskCreate event (mattermost's BenchmarkPropsUnmarshal decodes its
// props), up to its pending_post_id, which the caller ends.
func taskPostBody(channelID string) string {
	sig := func(n string) string {
		return "v1.eyJrIjoiYWN0aW9uIiwibiI6I" + n + "iwidiI6eyJjb250YWN0X2lkIjoiOXdxTWFnUGd6THhpVThaSFFYVksiLCJ0YXNrX2lkIjoiYmVuY2gtdGFzazgiLCJ2aWV3IjoidGFzayJ9LCJjIjoiN2V4eXE3ZDNrOXBtZGk5Nnp0dGJzbnFycG8iLCJzIjoibG9jMSIsImUiOjE3OTY4MDA0Nzh9.ytL6Jscg_yXLYqIBau69HJaSNSEttU7sN7NxsU7vfDs"
	}
	return `{"channel_id":"` + channelID + `","message":"➕ New task in HighLevel for [Contact8](https://app.gohighlevel.com/v2/location/loc1/contacts/detail/9wqMagPgzLxiU8ZHQXVK): **Call back about the quote**",` +
		`"props":{"attachments":[{"fallback":"Task: Call back about the quote (Open)","color":"#607D8B","title":"⬜ Call back about the quote","text":"Ask whether the 3-seat option fits; send the PDF after.",` +
		`"fields":[{"title":"Status","value":"Open","short":true},{"title":"Due","value":"Tue 1 Jan 2030 09:00 UTC","short":true},{"title":"Task ID","value":"` + "`bench-task8`" + `","short":true},{"title":"Contact ID","value":"` + "`9wqMagPgzLxiU8ZHQXVK`" + `","short":true}],` +
		`"actions":[{"id":"completebenchtask8","type":"button","name":"Complete","style":"primary","integration":{"url":"https://bridge.example.com/mattermost/action","context":{"ghlkit_sig":"` + sig("mNvbXBsZXRlI") + `"}}},` +
		`{"id":"editbenchtask8","type":"button","name":"Edit","integration":{"url":"https://bridge.example.com/mattermost/action","context":{"ghlkit_sig":"` + sig("nRhc2tfZWRpdC") + `"}}}]}],` +
		`"ghlkit_event":"ghlkit:1796188421990:c379d497609fd87b"},"pending_post_id":"ghlkit:`
}

// BenchmarkCreatePostHandler creates a task post through the fake's HTTP
// handler (its middleware, authentication and the create handler; no
// network), with the former create handler and the current one side by
// side: one create at a time, and creates from every CPU at once (where
// the lock counts). Props decode the current way in both.
func BenchmarkCreatePostHandler(b *testing.B) {
	s := NewServer()
	defer s.Close()
	_, token := s.AddBot("bot")
	ch := s.AddChannel("c")
	body := taskPostBody(ch.ID)
	var seq atomic.Int64 // a new pending_post_id each create
	create := func(b *testing.B, h http.Handler) {
		r := httptest.NewRequest(http.MethodPost, "/api/v4/posts", strings.NewReader(body+strconv.FormatInt(seq.Add(1), 10)+`"}`))
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	// Each run starts from an empty server: what runs before does not
	// grow the heap the next one scans.
	reset := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests, s.posts, s.pending = nil, map[string]*mattermost.Post{}, map[string]pendingEntry{}
	}
	former, current := s.middleware(s.auth(s.formerHandleCreatePost)), s.middleware(s.auth(s.handleCreatePost))
	// Blocks of creates through each handler in turn, so that the
	// machine's load drifting during the run does not favour either: the
	// time of the current one as a fraction of the former's.
	b.Run("serial/ratio", func(b *testing.B) {
		reset()
		const block = 10
		var spent [2]time.Duration
		for b.Loop() {
			for i, h := range []http.Handler{former, current} {
				start := time.Now()
				for range block {
					create(b, h)
				}
				spent[i] += time.Since(start)
			}
		}
		b.ReportMetric(float64(spent[1])/float64(spent[0]), "time-ratio")
	})
	for _, run := range []string{"serial", "parallel"} {
		for _, h := range []struct {
			name string
			h    http.Handler
		}{{"former", former}, {"current", current}} {
			b.Run(run+"/"+h.name, func(b *testing.B) {
				reset()
				b.ReportAllocs()
				if run == "serial" {
					for b.Loop() {
						create(b, h.h)
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						create(b, h.h)
					}
				})
			})
		}
	}
}

// TestTaskPostBody: the benchmark's body is a post that decodes, with the
// task attachment's fields and buttons.
func TestTaskPostBody(t *testing.T) {
	var p mattermost.Post
	if err := json.Unmarshal([]byte(taskPostBody("c")+`1"}`), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Props.Attachments) != 1 || len(p.Props.Attachments[0].Fields) != 4 || len(p.Props.Attachments[0].Actions) != 2 || p.PendingPostID != "ghlkit:1" {
		t.Fatalf("%+v", p)
	}
}
