// Command webhook-receiver verifies HighLevel's webhooks and prints each
// event once.
//
//	GHL_WEBHOOK_PUBLIC_KEY="$(cat highlevel-ed25519.pem)" go run ./examples/webhook-receiver
//
// It listens on ADDR (default :8081) at POST /ghl/webhook. Deliveries with a
// missing or wrong signature get 401, stale ones 400, and a replayed
// webhookId is acknowledged without being processed again.
// GHL_WEBHOOK_LEGACY_RSA=true also accepts the deprecated X-WH-Signature.
//
// Without GHL_WEBHOOK_PUBLIC_KEY it runs a demo: an in-process ghltest server
// sends signed webhooks to the receiver, followed by a forged delivery.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/bridge"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/notes"
	"github.com/ghlkit/ghl/tasks"
	"github.com/ghlkit/ghl/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "webhook-receiver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	key := getenv("GHL_WEBHOOK_PUBLIC_KEY")
	if key == "" {
		return demo(ctx, out)
	}
	var problems []string
	if _, err := webhook.ParseEd25519PublicKey(key); err != nil {
		// The parser's error speaks of ASN.1; the user needs the variable.
		problems = append(problems, "GHL_WEBHOOK_PUBLIC_KEY is not an Ed25519 public key in PEM or base64 form (copy it from HighLevel's webhook documentation)")
	}
	opts := []webhook.Option{webhook.WithPublicKeys(key)}
	if v := getenv("GHL_WEBHOOK_LEGACY_RSA"); v != "" {
		legacy, err := bridge.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("GHL_WEBHOOK_LEGACY_RSA=%q %v", v, err))
		}
		if legacy {
			opts = append(opts, webhook.WithLegacyRSA())
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	v, err := webhook.NewVerifier(opts...)
	if err != nil {
		return err
	}
	addr := getenv("ADDR")
	if addr == "" {
		addr = ":8081"
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	mux, err := newMux(v, out, logger)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	logger.Info("listening", "addr", addr, "path", "/ghl/webhook")
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newMux routes POST /ghl/webhook to the verifying handler, which prints
// every event it accepts.
func newMux(v *webhook.Verifier, out io.Writer, logger *slog.Logger) (*http.ServeMux, error) {
	var mu sync.Mutex
	h, err := webhook.NewHandler(v, func(ctx context.Context, e webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(out, describe(e))
		return nil
	}, webhook.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/ghl/webhook", h)
	return mux, nil
}

func describe(e webhook.Event) string {
	switch e := e.(type) {
	case *webhook.ContactCreate:
		return fmt.Sprintf("ContactCreate  %s %s <%s>", e.Contact.FirstName, e.Contact.LastName, e.Contact.Email)
	case *webhook.TaskCreate:
		return fmt.Sprintf("TaskCreate     %q due %s", e.Task.Title, e.Task.DueDate.Format("2006-01-02"))
	case *webhook.TaskComplete:
		return fmt.Sprintf("TaskComplete   %q", e.Task.Title)
	case *webhook.NoteCreate:
		return fmt.Sprintf("NoteCreate     %q", e.Note.Body)
	default:
		m := e.EventMeta()
		return fmt.Sprintf("%-14s webhookId %s", m.Type, m.WebhookID)
	}
}

// demo drives the receiver with ghltest's signed webhooks, then a forgery.
func demo(ctx context.Context, out io.Writer) error {
	fmt.Fprintln(out, "(demo: no GHL_WEBHOOK_PUBLIC_KEY set; ghltest sends webhooks signed with its published test key)")
	edPub, _ := ghltest.WebhookPublicKeys()
	v, err := webhook.NewVerifier(webhook.WithPublicKeys(base64.StdEncoding.EncodeToString(edPub)))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux, err := newMux(v, out, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	receiver := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go receiver.Serve(ln)
	defer receiver.Close()
	target := "http://" + ln.Addr().String() + "/ghl/webhook"

	hl := ghltest.NewServer()
	defer hl.Close()
	hl.AddToken("demo-token", "demo-location", ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	hl.SetWebhookTarget(target)
	contact := hl.AddContact(ghltest.Contact{LocationID: "demo-location", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"})
	client, err := ghl.NewClient(ghl.WithToken("demo-token"), ghl.WithBaseURL(hl.URL))
	if err != nil {
		return err
	}
	task, err := tasks.New(client).Create(ctx, contact.ID, tasks.CreateParams{Title: "Send the quote", DueDate: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	if _, err := tasks.New(client).SetCompleted(ctx, contact.ID, task.ID, true); err != nil {
		return err
	}
	if _, err := notes.New(client).Create(ctx, contact.ID, notes.CreateParams{Body: "Prefers email"}); err != nil {
		return err
	}
	hl.FlushWebhooks()

	// A forged delivery: right shape, no valid signature.
	body := []byte(`{"type":"TaskComplete","webhookId":"forged-1","timestamp":"` + time.Now().UTC().Format(time.RFC3339) + `","id":"x","title":"Wire money"}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set(webhook.HeaderSignature, base64.StdEncoding.EncodeToString(make([]byte, 64)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Fprintf(out, "forged delivery answered %d\n", resp.StatusCode)
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("forged delivery was answered %d, want 401", resp.StatusCode)
	}
	return nil
}
