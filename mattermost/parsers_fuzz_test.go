package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghlkit/ghl/mattermost"
)

// Fuzz tests of the three payloads Mattermost sends an integration: the
// slash command form, the button click and the dialog submission. None may
// panic, each answers a status Mattermost understands, and the integration's
// func runs only for requests that pass the checks.

const fuzzToken = "fuzz-command-token"

var fuzzSecret = []byte("0123456789abcdef0123456789abcdef")

func fuzzCommandSet(ran *atomic.Int32) *mattermost.CommandSet {
	set := mattermost.NewCommandSet("/ghl")
	run := func(_ context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
		ran.Add(1)
		if inv.Request.Token == "" && inv.Request.Command == "" {
			return nil, errors.New("unreachable")
		}
		_, _ = inv.Flag("due")
		_ = inv.Bool("move")
		return mattermost.Ephemeral("ok " + mattermost.EscapeInline(inv.Arg("contact"))), nil
	}
	for _, c := range []mattermost.Command{
		{Name: "contact", Args: []mattermost.ArgSpec{{Name: "contact", Rest: true}}, Run: run},
		{Name: "notes", Args: []mattermost.ArgSpec{{Name: "contact", Rest: true}}, Flags: []mattermost.FlagSpec{{Name: "move", Bool: true}}, Run: run},
		{Name: "task add", Args: []mattermost.ArgSpec{{Name: "contact"}, {Name: "title", Optional: true, Rest: true}},
			Flags: []mattermost.FlagSpec{{Name: "due"}, {Name: "body"}}, Run: run},
	} {
		if err := set.Add(c); err != nil {
			panic(err)
		}
	}
	return set
}

func FuzzSlashCommand(f *testing.F) {
	good := url.Values{"command": {"/ghl"}, "text": {"task add c1 Call back --due 2030-01-02"}, "token": {fuzzToken}, "channel_id": {"ch"}, "user_id": {"u"}}
	f.Add(good.Encode(), "", "")
	f.Add("text=notes+%40here+--move&command=%2Fghl&token="+fuzzToken, "", "")
	f.Add("text=contact&command=%2Fghl", "token="+fuzzToken, "Token "+fuzzToken)
	f.Add("text=contact&command=%2Fghl", "token="+fuzzToken, "") // the query's token is not read
	f.Add("text=task+add+%22unterminated&token="+fuzzToken, "", "")
	f.Add("%zz=&token="+fuzzToken, "", "")
	f.Add(strings.Repeat("text=a&", 50), "token=x", "Bearer x")
	f.Fuzz(func(t *testing.T, body, query, auth string) {
		var ran atomic.Int32
		h, err := mattermost.NewSlashHandler([]string{fuzzToken}, fuzzCommandSet(&ran).Dispatch)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/command", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d", w.Code)
		}
		// The token counts from the body or the header only.
		form, _ := url.ParseQuery(body)
		bodyTok := form.Get("token")
		scheme, rest, _ := strings.Cut(auth, " ")
		headerOK := auth == "" || strings.EqualFold(scheme, "Token") && strings.TrimSpace(rest) == fuzzToken
		authorized := (bodyTok == fuzzToken || bodyTok == "") && headerOK && (bodyTok != "" || auth != "")
		if ran.Load() > 0 && !authorized {
			t.Fatalf("ran with body token %q and header %q", bodyTok, auth)
		}
		if w.Code == http.StatusOK {
			var resp mattermost.CommandResponse
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatalf("200 with a body that is not a command response: %v", err)
			}
		}
	})
}

func fuzzSigner(t testing.TB) *mattermost.Signer {
	s, err := mattermost.NewSigner(fuzzSecret, mattermost.WithSignerClock(func() time.Time { return time.Unix(1_700_000_000, 0) }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func FuzzActionRequest(f *testing.F) {
	s := fuzzSigner(f)
	in, err := s.Integration("https://bridge.example/action", "complete", map[string]string{"task": "t1"}, mattermost.Binding{ChannelID: "ch1"})
	if err != nil {
		f.Fatal(err)
	}
	tok := in.Context[mattermost.ContextKey].(string)
	for _, ch := range []string{"ch1", "ch2"} {
		b, _ := json.Marshal(mattermost.ActionRequest{UserID: "u1", ChannelID: ch, PostID: "p1", Context: in.Context})
		f.Add(b)
	}
	f.Add([]byte(`{"context":{"ghlkit_sig":42}}`))
	f.Add([]byte(`{"context":{"ghlkit_sig":"v1.e30.AAAA"},"channel_id":"ch1"}`))
	f.Add([]byte(`{"channel_id":"ch1","context":{"ghlkit_sig":"` + tok[:len(tok)-2] + `"}}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var ran atomic.Int32
		h, err := mattermost.NewActionHandler(s)
		if err != nil {
			t.Fatal(err)
		}
		h.Handle("complete", func(_ context.Context, req *mattermost.ActionRequest) (*mattermost.ActionResponse, error) {
			ran.Add(1)
			if req.Token == nil || req.Token.ChannelID != req.ChannelID || req.Values["task"] != "t1" {
				t.Fatalf("handler ran for an unverified click: %+v", req)
			}
			return &mattermost.ActionResponse{EphemeralText: "done"}, nil
		})
		r := httptest.NewRequest(http.MethodPost, "/action", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d", w.Code)
		}
		var req mattermost.ActionRequest
		if ran.Load() > 0 && (json.Unmarshal(body, &req) != nil || req.Context[mattermost.ContextKey] != tok) {
			t.Fatalf("ran for a context that is not the signed one: %s", body)
		}
	})
}

func FuzzDialogSubmission(f *testing.F) {
	s := fuzzSigner(f)
	state, err := s.DialogState("task_add", map[string]string{"contact_id": "c1"}, mattermost.Binding{ChannelID: "ch1", UserID: "u1"})
	if err != nil {
		f.Fatal(err)
	}
	for _, user := range []string{"u1", "u2"} {
		b, _ := json.Marshal(mattermost.DialogSubmission{Type: mattermost.DialogSubmitted, CallbackID: "task_add", State: state, UserID: user, ChannelID: "ch1",
			Submission: map[string]any{"title": "Call", "due": 3.5, "urgent": true, "n": nil, "o": map[string]any{"x": []any{1.0}}}})
		f.Add(b, "title")
	}
	f.Add([]byte(`{"type":"dialog_submission","callback_id":"task_add","cancelled":true,"state":"`+state+`","user_id":"u1","channel_id":"ch1"}`), "due")
	f.Add([]byte(`{"callback_id":"other","state":"`+state+`"}`), "")
	f.Add([]byte(`{"submission":{"title":["a",{"b":null}]}}`), "title")
	f.Fuzz(func(t *testing.T, body []byte, field string) {
		var ran atomic.Int32
		h, err := mattermost.NewDialogHandler(s)
		if err != nil {
			t.Fatal(err)
		}
		h.Handle("task_add", func(_ context.Context, sub *mattermost.DialogSubmission) (*mattermost.DialogResponse, error) {
			ran.Add(1)
			if sub.Token == nil || sub.UserID != "u1" || sub.ChannelID != "ch1" || sub.Values["contact_id"] != "c1" {
				t.Fatalf("handler ran for an unverified submission: %+v", sub)
			}
			_ = sub.String(field)
			_ = sub.Bool(field)
			return nil, nil
		})
		r := httptest.NewRequest(http.MethodPost, "/dialog", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d", w.Code)
		}
		// (Each fuzz worker signs its own state: a new nonce each time.)
		var sub mattermost.DialogSubmission
		if ran.Load() > 0 {
			if json.Unmarshal(body, &sub) != nil {
				t.Fatalf("ran for a body that does not decode: %s", body)
			}
			tok, err := s.VerifyToken(mattermost.KindDialog, sub.State)
			if err != nil || tok.Name != sub.CallbackID || tok.Check(sub.ChannelID, sub.UserID) != nil {
				t.Fatalf("ran for a state that does not verify here: %v %s", err, body)
			}
		}
	})
}
