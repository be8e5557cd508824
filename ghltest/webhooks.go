package ghltest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"time"
)

// Webhook event types the server emits (the "type" field).
const (
	EventContactCreate     = "ContactCreate"
	EventContactUpdate     = "ContactUpdate"
	EventContactDelete     = "ContactDelete"
	EventContactTagUpdate  = "ContactTagUpdate"
	EventContactDndUpdate  = "ContactDndUpdate"
	EventTaskCreate        = "TaskCreate"
	EventTaskComplete      = "TaskComplete"
	EventTaskDelete        = "TaskDelete"
	EventNoteCreate        = "NoteCreate"
	EventNoteUpdate        = "NoteUpdate"
	EventNoteDelete        = "NoteDelete"
	EventAppointmentCreate = "AppointmentCreate"
	EventAppointmentDelete = "AppointmentDelete"
)

// Short internal aliases.
const (
	evContactCreate     = EventContactCreate
	evContactDelete     = EventContactDelete
	evTaskCreate        = EventTaskCreate
	evTaskComplete      = EventTaskComplete
	evTaskDelete        = EventTaskDelete
	evNoteCreate        = EventNoteCreate
	evNoteUpdate        = EventNoteUpdate
	evNoteDelete        = EventNoteDelete
	evAppointmentCreate = EventAppointmentCreate
	evAppointmentDelete = EventAppointmentDelete
)

// WebhookSigner signs webhook bodies, returning the signature headers.
// *webhook.Signer implements it.
type WebhookSigner interface {
	Sign(body []byte) (http.Header, error)
}

type hookConfig struct {
	signer WebhookSigner
	set    bool
}

// WithWebhookSigner sets the signer of emitted webhooks (a *webhook.Signer
// with your own test keys, for example). By default webhooks are signed as
// HighLevel does with the published test keys (X-GHL-Signature with Ed25519,
// X-WH-Signature with RSA) of WebhookPrivateKeys, whose public halves
// WebhookPublicKeys returns.
// A nil signer sends webhooks unsigned.
func WithWebhookSigner(sg WebhookSigner) Option {
	return func(c *config) { c.hook = hookConfig{signer: sg, set: true} }
}

// WebhookFault alters the next webhook deliveries; see FailWebhooks.
type WebhookFault struct {
	// Duplicate delivers the event twice: same body, same webhookId, same
	// signature, as a HighLevel retry would.
	Duplicate bool
	// Stale backdates the event's timestamp by this much (it is still
	// signed correctly), to test replay windows.
	Stale time.Duration
	// BadSignature sends signatures that do not match the body.
	BadSignature bool
	// Count is how many events are altered; 0 means every event until
	// ClearWebhookFaults.
	Count int
}

// WebhookDelivery is one POST of an event to the webhook target.
type WebhookDelivery struct {
	Type       string      // event type, e.g. ContactCreate
	WebhookID  string      // the payload's webhookId
	Body       []byte      // the exact bytes sent (and signed)
	Header     http.Header // headers sent, signatures included
	StatusCode int         // the target's status; 0 when the POST failed
	Err        error       // transport error, if any
}

type hookItem struct {
	typ    string
	id     string
	body   []byte
	header http.Header
	times  int // 2 for a duplicate
}

// hookQueue delivers events in order on one goroutine; FlushWebhooks waits
// for it to drain.
type hookQueue struct {
	s      *Server
	signer WebhookSigner
	client *http.Client

	mu        sync.Mutex
	cond      *sync.Cond
	target    string
	items     []hookItem
	busy      bool
	closed    bool
	faults    []*webhookFaultState
	delivered []WebhookDelivery
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
}

type webhookFaultState struct {
	f         WebhookFault
	remaining int // -1: unlimited
}

func newHookQueue(s *Server, cfg hookConfig) *hookQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &hookQueue{
		s:      s,
		signer: cfg.signer,
		client: &http.Client{Timeout: 30 * time.Second},
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	if !cfg.set {
		q.signer = testKeySigner{}
	}
	q.cond = sync.NewCond(&q.mu)
	go q.run()
	return q
}

// SetWebhookTarget sets the URL that receives webhook events; "" stops
// emission. Only changes made after it is set are emitted.
func (s *Server) SetWebhookTarget(url string) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.target = url
}

// FailWebhooks registers a fault for the next webhook events.
func (s *Server) FailWebhooks(f WebhookFault) {
	if f.Count < 0 || f.Stale < 0 {
		panic("ghltest: FailWebhooks: negative Count or Stale")
	}
	if !f.Duplicate && !f.BadSignature && f.Stale == 0 {
		panic("ghltest: FailWebhooks: the fault does nothing")
	}
	st := &webhookFaultState{f: f, remaining: f.Count}
	if f.Count == 0 {
		st.remaining = -1
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.faults = append(s.hooks.faults, st)
}

// ClearWebhookFaults removes every webhook fault.
func (s *Server) ClearWebhookFaults() {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.faults = nil
}

// FlushWebhooks blocks until every event emitted so far has been delivered
// (or its delivery failed). Delivery is asynchronous, so tests call it
// before looking at what the target received.
func (s *Server) FlushWebhooks() {
	q := s.hooks
	q.mu.Lock()
	defer q.mu.Unlock()
	for (len(q.items) > 0 || q.busy) && !q.closed {
		q.cond.Wait()
	}
}

// WebhookDeliveries returns the deliveries made so far, oldest first.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	q := s.hooks
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]WebhookDelivery, len(q.delivered))
	for i, d := range q.delivered {
		d.Body = slices.Clone(d.Body)
		d.Header = d.Header.Clone()
		out[i] = d
	}
	return out
}

func (q *hookQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.items = nil
	q.cond.Broadcast()
	q.mu.Unlock()
	q.cancel()
	<-q.done
}

// enqueue builds and signs one event. It runs with Server.mu held, so the
// payload is a snapshot and IDs stay in order.
func (q *hookQueue) enqueue(typ string, payload map[string]any) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.target == "" || q.closed {
		return
	}
	var f WebhookFault
	if len(q.faults) > 0 { // the oldest fault applies first
		st := q.faults[0]
		f = st.f
		if st.remaining > 0 {
			st.remaining--
			if st.remaining == 0 {
				q.faults = q.faults[1:]
			}
		}
	}
	id := q.s.secrets.next()
	ts := q.s.now().UTC().Add(-f.Stale)
	payload["type"] = typ
	payload["timestamp"] = ts.Format(time.RFC3339)
	payload["webhookId"] = id
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(payload); err != nil {
		panic(fmt.Sprintf("ghltest: encoding webhook: %v", err))
	}
	body := bytes.TrimRight(buf.Bytes(), "\n")
	h := http.Header{}
	if q.signer != nil {
		sig, err := q.signer.Sign(body)
		if err != nil {
			panic(fmt.Sprintf("ghltest: signing webhook: %v", err))
		}
		for k, v := range sig {
			if f.BadSignature {
				v = []string{corrupt(v[0])}
			}
			h[k] = v
		}
	}
	h.Set("Content-Type", "application/json")
	times := 1
	if f.Duplicate {
		times = 2
	}
	q.items = append(q.items, hookItem{typ: typ, id: id, body: body, header: h, times: times})
	q.cond.Broadcast()
}

// corrupt flips one bit of a base64 signature so it no longer verifies.
func corrupt(sig string) string {
	b, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(b) == 0 {
		return "AAAA" + sig
	}
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

func (q *hookQueue) run() {
	defer close(q.done)
	q.mu.Lock()
	for {
		for len(q.items) == 0 && !q.closed {
			q.cond.Wait()
		}
		if q.closed {
			q.mu.Unlock()
			return
		}
		it := q.items[0]
		q.items = q.items[1:]
		q.busy = true
		target := q.target
		q.mu.Unlock()
		var ds []WebhookDelivery
		for range it.times {
			ds = append(ds, q.deliver(target, it))
		}
		q.mu.Lock()
		q.delivered = append(q.delivered, ds...)
		q.busy = false
		q.cond.Broadcast()
	}
}

func (q *hookQueue) deliver(target string, it hookItem) WebhookDelivery {
	d := WebhookDelivery{Type: it.typ, WebhookID: it.id, Body: it.body, Header: it.header.Clone()}
	if target == "" {
		d.Err = fmt.Errorf("ghltest: no webhook target")
		return d
	}
	req, err := http.NewRequestWithContext(q.ctx, http.MethodPost, target, bytes.NewReader(it.body))
	if err != nil {
		d.Err = err
		return d
	}
	req.Header = it.header.Clone()
	resp, err := q.client.Do(req)
	if err != nil {
		d.Err = err
		return d
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	d.StatusCode = resp.StatusCode
	return d
}

// Event payloads, as documented in webhook-events/*.md.

func contactPayload(c *Contact, withDND bool) map[string]any {
	p := map[string]any{
		"locationId":   c.LocationID,
		"id":           c.ID,
		"dateAdded":    isoTime(c.DateAdded),
		"dnd":          c.DND,
		"tags":         nonNil(slices.Clone(c.Tags)),
		"attachments":  []any{},
		"customFields": renderCustomFields(c.CustomFields),
	}
	for k, v := range map[string]string{
		"address1": c.Address1, "city": c.City, "state": c.State, "companyName": c.CompanyName,
		"country": c.Country, "source": c.Source, "dateOfBirth": c.DateOfBirth, "email": c.Email,
		"name": c.Name, "firstName": c.FirstName, "lastName": c.LastName, "phone": c.Phone,
		"postalCode": c.PostalCode, "website": c.Website, "assignedTo": c.AssignedTo,
	} {
		if v != "" {
			p[k] = v
		}
	}
	if withDND && c.DNDSettings != nil {
		p["dndSettings"] = maps.Clone(c.DNDSettings)
	}
	return p
}

// active reports whether events are being emitted, to skip building
// payloads nobody receives.
func (q *hookQueue) active() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.target != "" && !q.closed
}

// emitContact emits a contact event. s.mu must be held.
func (s *Server) emitContact(typ string, rec *contactRec) {
	if s.hooks.active() {
		s.hooks.enqueue(typ, contactPayload(&rec.c, false))
	}
}

// emitContactChanges emits the events for what changed between old and
// the contact now: ContactTagUpdate for tags, ContactDndUpdate for DND,
// ContactUpdate for anything else. s.mu must be held.
func (s *Server) emitContactChanges(old Contact, rec *contactRec) {
	if !s.hooks.active() {
		return
	}
	cur := rec.c
	if !slices.Equal(old.Tags, cur.Tags) {
		s.hooks.enqueue(EventContactTagUpdate, contactPayload(&cur, false))
	}
	if old.DND != cur.DND || !reflect.DeepEqual(old.DNDSettings, cur.DNDSettings) || !reflect.DeepEqual(old.InboundDNDSettings, cur.InboundDNDSettings) {
		s.hooks.enqueue(EventContactDndUpdate, contactPayload(&cur, true))
	}
	a, b := copyContact(old), copyContact(cur)
	for _, c := range []*Contact{&a, &b} {
		c.Tags, c.DND, c.DNDSettings, c.InboundDNDSettings, c.DateUpdated = nil, false, nil, nil, time.Time{}
	}
	if !reflect.DeepEqual(a, b) {
		s.hooks.enqueue(EventContactUpdate, contactPayload(&cur, false))
	}
}

func (s *Server) emitTask(typ string, rec *contactRec, t *Task) {
	if !s.hooks.active() {
		return
	}
	p := map[string]any{
		"locationId": rec.c.LocationID,
		"id":         t.ID,
		"contactId":  t.ContactID,
		"title":      t.Title,
		"dateAdded":  isoTime(t.DateAdded),
		"dueDate":    isoTime(t.DueDate),
	}
	if t.Body != "" {
		p["body"] = t.Body
	}
	if t.AssignedTo != "" {
		p["assignedTo"] = t.AssignedTo
	}
	s.hooks.enqueue(typ, p)
}

func (s *Server) emitNote(typ string, rec *contactRec, n *Note) {
	if !s.hooks.active() {
		return
	}
	s.hooks.enqueue(typ, map[string]any{
		"locationId": rec.c.LocationID,
		"id":         n.ID,
		"body":       n.Body,
		"contactId":  n.ContactID,
		"dateAdded":  isoTime(n.DateAdded),
	})
}

func (s *Server) emitAppointment(typ string, a *Appointment) {
	if !s.hooks.active() {
		return
	}
	w := renderAppointment(a)
	s.hooks.enqueue(typ, map[string]any{"locationId": a.LocationID, "appointment": w})
}
