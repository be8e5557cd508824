package mattermost

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// WebhookMessage is the body of an incoming-webhook post.
type WebhookMessage struct {
	// Text is at most MaxMessageRunes long. Mattermost would cut a longer
	// one into several posts wherever the limit falls; Post refuses it, as
	// every call of this package refuses long text: split it yourself with
	// SplitMessage, at places that keep the Markdown whole.
	Text string `json:"text,omitempty"`
	// Channel overrides the webhook's channel, if the webhook allows it.
	Channel     string       `json:"channel,omitempty"`
	Username    string       `json:"username,omitempty"`
	IconURL     string       `json:"icon_url,omitempty"`
	IconEmoji   string       `json:"icon_emoji,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Props       Props        `json:"props,omitzero"`
	Type        string       `json:"type,omitempty"`
}

// WebhookPoster posts to one incoming webhook (POST <server>/hooks/<key>).
// The key in the URL is a secret: it never appears in errors, logs or
// String. It is safe for concurrent use.
//
// Incoming webhooks have no deduplication, so a post whose outcome is
// unknown (connection lost after sending, or a 5xx) is reported with an
// error matching ErrOutcomeUnknown and not retried.
type WebhookPoster struct {
	url    string
	masked string
	s      *sender
}

// NewWebhookPoster returns a poster for hookURL, the full URL Mattermost
// shows for the webhook ("https://chat.example.com/hooks/xxx"). Options
// configure the HTTP client, logger and retries as for NewClient.
func NewWebhookPoster(hookURL string, opts ...Option) (*WebhookPoster, error) {
	masked, key, err := maskHookURL(hookURL)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &WebhookPoster{url: hookURL, masked: masked, s: newSender(cfg, key, hookURL)}, nil
}

// maskHookURL checks a /hooks/<key> URL and returns it with the key masked,
// and the key. Errors never repeat the URL.
func maskHookURL(raw string) (masked, key string, err error) {
	const want = "must be an absolute http(s) URL ending in /hooks/<key>"
	u, perr := url.Parse(raw)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", invalidParam("hookURL", want)
	}
	dir, key, ok := cutLast(u.EscapedPath(), "/")
	if !ok || key == "" || !strings.HasSuffix(dir, "/hooks") {
		return "", "", invalidParam("hookURL", want)
	}
	return u.Scheme + "://" + u.Host + dir + "/" + redacted, key, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// String returns the webhook URL with its key masked.
func (w *WebhookPoster) String() string { return w.masked }

// Post sends msg. Mattermost answers "ok"; anything other than a 2xx is an
// *APIError.
func (w *WebhookPoster) Post(ctx context.Context, msg *WebhookMessage) error {
	if msg == nil {
		return invalidParam("msg", "must not be nil")
	}
	if msg.Text == "" && len(msg.Attachments) == 0 {
		return invalidParam("msg", "needs text or attachments")
	}
	if err := validateMessage("msg.Text", msg.Text); err != nil {
		return err
	}
	props := msg.Props
	if len(msg.Attachments) > 0 {
		// Mattermost puts them in the post's props.
		props.Attachments = msg.Attachments
	}
	if err := validateProps("msg.Props", props); err != nil {
		return err
	}
	_, err := w.s.send(ctx, call{
		method: http.MethodPost,
		url:    w.url,
		path:   w.masked,
		body:   msg,
	})
	return err
}

func validateAbsURL(param, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidParam(param, "must be an absolute http or https URL")
	}
	return nil
}
