package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ghlkit/ghl/mattermost"
)

// A genuine token used elsewhere than it is bound to is refused by the
// handlers themselves, with the reason, and the func never runs.
func TestHandlersRefuseTokensBoundElsewhere(t *testing.T) {
	t.Parallel()
	s := fuzzSigner(t)
	in, _ := s.Integration("https://b.example/a", "complete", nil, mattermost.Binding{ChannelID: "ch1", UserID: "u1"})
	actions, _ := mattermost.NewActionHandler(s)
	ran := 0
	actions.Handle("complete", func(context.Context, *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
		ran++
		return nil, nil
	})
	for _, tt := range []struct {
		channel, user string
		want          string
	}{
		{"ch2", "u1", mattermost.RefusalText(mattermost.ErrWrongChannel)},
		{"ch1", "u2", mattermost.RefusalText(mattermost.ErrWrongUser)},
		{"ch1", "u1", ""},
	} {
		body, _ := json.Marshal(mattermost.ActionRequest{ChannelID: tt.channel, UserID: tt.user, Context: in.Context})
		w := httptest.NewRecorder()
		actions.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/a", bytes.NewReader(body)))
		var resp mattermost.ActionResponse
		_ = json.Unmarshal(w.Body.Bytes(), &resp)
		if w.Code != http.StatusOK || resp.EphemeralText != tt.want {
			t.Errorf("click in %s by %s: %d %+v, want %q", tt.channel, tt.user, w.Code, resp, tt.want)
		}
	}
	if ran != 1 {
		t.Errorf("func ran %d times, want 1", ran)
	}

	state, _ := s.DialogState("cb", nil, mattermost.Binding{ChannelID: "ch1", UserID: "u1"})
	dialogs, _ := mattermost.NewDialogHandler(s)
	ran = 0
	dialogs.Handle("cb", func(context.Context, *mattermost.DialogSubmission) (*mattermost.DialogResponse, error) {
		ran++
		return nil, nil
	})
	body, _ := json.Marshal(mattermost.DialogSubmission{Type: mattermost.DialogSubmitted, CallbackID: "cb", State: state, ChannelID: "ch1", UserID: "u2"})
	w := httptest.NewRecorder()
	dialogs.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/d", bytes.NewReader(body)))
	var resp mattermost.DialogResponse
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	if w.Code != http.StatusOK || resp.Error != mattermost.RefusalText(mattermost.ErrWrongUser) || ran != 0 {
		t.Errorf("submission by another user: %d %+v (ran %d)", w.Code, resp, ran)
	}
}
