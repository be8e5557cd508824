package bridge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ghlkit/ghl/internal/httpretry"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/webhook"
)

// DeliveryPolicy tunes the deliverer that posts outbox events to Mattermost.
// Zero fields take the defaults.
type DeliveryPolicy struct {
	// Workers post events of different contacts in parallel (default 4).
	// Events of one contact are always posted in order.
	Workers int
	// Batch is how many events may be in flight at once (default 64).
	Batch int
	// MinBackoff and MaxBackoff bound the wait before retrying an event
	// Mattermost did not take (defaults 1s and 5m); the wait doubles per
	// attempt, with jitter.
	MinBackoff, MaxBackoff time.Duration
	// Poll is how often the outbox is checked when nothing wakes the
	// deliverer (default 1s).
	Poll time.Duration
	// MaxRejections is how many times Mattermost may reject an event as
	// invalid (400, 404: a deleted channel) before it is moved to the dead
	// letters (default 5). Outages, 401, 403, 429 and 5xx never kill an
	// event: it waits until Mattermost takes it. A destination other than
	// the default channel that answers 403 or 404 is skipped for the event
	// instead, and suspended after repeated refusals (see Suspension).
	MaxRejections int
	// AttemptTimeout bounds one delivery attempt (default 30s).
	AttemptTimeout time.Duration
	// Lease is how long an event taken for delivery stays reserved to
	// this bridge (default 2×AttemptTimeout). When a replica dies with
	// events in hand, another takes them over once their lease ends.
	Lease time.Duration
}

func (p DeliveryPolicy) withDefaults() DeliveryPolicy {
	if p.Workers <= 0 {
		p.Workers = 4
	}
	if p.Batch <= 0 {
		p.Batch = 64
	}
	if p.MinBackoff <= 0 {
		p.MinBackoff = time.Second
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 5 * time.Minute
	}
	if p.MaxBackoff < p.MinBackoff {
		p.MaxBackoff = p.MinBackoff
	}
	if p.Poll <= 0 {
		p.Poll = time.Second
	}
	if p.MaxRejections <= 0 {
		p.MaxRejections = 5
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = 30 * time.Second
	}
	if p.Lease <= 0 {
		p.Lease = 2 * p.AttemptTimeout
	}
	// An attempt must end before its lease does, or another replica could
	// take the event over while it is being posted.
	p.Lease = max(p.Lease, p.AttemptTimeout*3/2)
	return p
}

// backoff returns the wait before attempt n+1 after n failed attempts:
// the SDK's one backoff (exponential from MinBackoff, capped at MaxBackoff,
// jittered so that many events do not retry in lockstep).
func (p DeliveryPolicy) backoff(attempts int) time.Duration {
	return httpretry.Backoff(p.MinBackoff, p.MaxBackoff, attempts-1, nil)
}

// deliverer moves outbox events to Mattermost. It claims due events from
// the store under a lease (Store.Claim), which hands out only a contact's
// earliest event, so a contact's thread reads in order however many
// replicas deliver; up to Workers events are posted at once. The outbox is
// read again whenever an event is stored or an outcome recorded.
type deliverer struct {
	b      *Bridge
	policy DeliveryPolicy
	wake   chan struct{}
	// started is when this deliverer was made: events received before it
	// may have been posted by an earlier process that died before
	// recording it.
	started time.Time

	mu        sync.Mutex
	ctx       context.Context // run's, while it runs: nil otherwise
	reserved  int             // room promised to events being enqueued (reserve)
	inflight  map[uint64]bool // claimed, outcome not yet recorded
	queue     []OutboxEvent   // claimed, waiting for a worker
	active    int             // running workers
	workers   sync.WaitGroup
	reserving sync.WaitGroup       // reservations not yet handed over
	outcomes  groupCommit[Outcome] // recorded in batches (record)
	deferred  atomic.Bool          // an event was deferred: look again soon
	// missed: events may be waiting that this deliverer had no room
	// for (refused a reservation, or its Claim filled the room): it looks
	// when an outcome makes room.
	missed bool

	// Mattermost's state as the deliverer last saw it, for /healthz.
	stateMu     sync.Mutex
	lastOK      time.Time
	lastFail    time.Time
	lastErr     string
	consecutive int
}

func newDeliverer(b *Bridge, p DeliveryPolicy) *deliverer {
	d := &deliverer{b: b, policy: p.withDefaults(), wake: make(chan struct{}, 1), started: b.now(), inflight: make(map[uint64]bool)}
	d.outcomes.write = d.record
	return d
}

// running returns run's context while run runs and it is not over. d.mu
// is held.
func (d *deliverer) running() (context.Context, bool) {
	return d.ctx, d.ctx != nil && d.ctx.Err() == nil
}

// poke wakes the deliverer (a new event was stored, an outcome recorded).
func (d *deliverer) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run delivers until ctx is done, then waits for the attempts under way
// and for their outcomes to be recorded.
func (d *deliverer) run(ctx context.Context) error {
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	timer := time.NewTimer(0)
	defer timer.Stop()
	// When it stops: the attempts under way end, the reservations are
	// handed over, and then every outcome is recorded.
	defer d.outcomes.wait()
	defer d.reserving.Wait()
	defer d.workers.Wait()
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
	defer func() {
		// No reservation after this: the waits above then see every
		// hand-over.
		d.mu.Lock()
		d.ctx = nil
		d.mu.Unlock()
	}()
	for {
		if err := d.fill(ctx); err != nil && ctx.Err() == nil {
			d.b.log.LogAttrs(ctx, slog.LevelError, "bridge: reading the outbox failed", slog.String("error", err.Error()))
		}
		wait := d.policy.Poll
		if d.deferred.Swap(false) {
			wait = min(wait, deferFor)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-timer.C:
		case <-sweep.C:
			if err := d.b.store.Sweep(ctx, d.b.now()); err != nil && ctx.Err() == nil {
				d.b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: sweeping expired state failed", slog.String("error", err.Error()))
			}
		}
	}
}

// fill claims due events, up to Batch in flight, and starts workers for
// them.
func (d *deliverer) fill(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	room := d.room()
	if room <= 0 || ctx.Err() != nil {
		d.missed = d.missed || room <= 0
		return nil
	}
	evs, err := d.b.store.Claim(ctx, d.b.now(), room, d.policy.Lease)
	if err != nil {
		return err
	}
	d.missed = len(evs) == room
	d.add(ctx, evs)
	return nil
}

// room is how many more events may be taken. d.mu is held.
func (d *deliverer) room() int {
	return d.policy.Batch - len(d.inflight) - d.reserved
}

// reserve makes room for an event about to be enqueued, so that the store
// may take it for this deliverer (Store.Enqueue's lease): it returns the
// lease's end, or zero when the deliverer is not running or is full. Every
// reservation ends with handOver.
func (d *deliverer) reserve() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, running := d.running(); !running {
		return time.Time{}
	}
	if d.room() <= 0 {
		d.missed = true
		return time.Time{}
	}
	d.reserved++
	d.reserving.Add(1)
	return d.b.now().Add(d.policy.Lease)
}

// handOver ends a reservation: the events the store took go to the
// workers (back to the outbox when the deliverer is stopping); without
// any, the deliverer looks at the outbox.
func (d *deliverer) handOver(taken []OutboxEvent) {
	defer d.reserving.Done()
	d.mu.Lock()
	d.reserved--
	d.mu.Unlock()
	d.take(taken)
	if len(taken) == 0 {
		d.poke()
	}
}

// take gives events the store took for this deliverer to the workers, or
// back to the outbox, due at once, when it has stopped.
func (d *deliverer) take(evs []OutboxEvent) {
	d.mu.Lock()
	ctx, running := d.running()
	if running {
		d.add(ctx, evs)
	}
	d.mu.Unlock()
	if !running {
		for _, ev := range evs {
			d.release(ev)
		}
	}
}

// add queues claimed events for the workers, starting workers as needed.
// d.mu is held.
func (d *deliverer) add(ctx context.Context, evs []OutboxEvent) {
	for _, ev := range evs {
		if d.inflight[ev.Seq] {
			// Its lease ran out while this deliverer still holds it (an
			// attempt far slower than AttemptTimeout): the attempt under
			// way settles it.
			continue
		}
		d.inflight[ev.Seq] = true
		d.queue = append(d.queue, ev)
	}
	for d.active < d.policy.Workers && len(d.queue) > 0 {
		d.active++
		d.workers.Add(1)
		go d.work(ctx)
	}
}

// work posts queued events until the queue is empty.
func (d *deliverer) work(ctx context.Context) {
	defer d.workers.Done()
	for {
		d.mu.Lock()
		if len(d.queue) == 0 || ctx.Err() != nil {
			left := d.queue
			d.queue = nil
			d.active--
			d.mu.Unlock()
			for _, ev := range left { // shutting down: give them back
				d.release(ev)
			}
			return
		}
		ev := d.queue[0]
		d.queue = d.queue[1:]
		d.mu.Unlock()

		o, ok := d.deliver(ctx, ev)
		d.b.ops.metrics.delivery(d.b.now(), ev, o, ok)
		if !ok {
			d.release(ev)
			continue
		}
		d.settle(o)
	}
}

// release gives an event that was not attempted back to the outbox, due at
// once, for this or another replica. An event whose route, read with the
// write that took it, says it is the bridge's own change is done instead:
// its own-change mark is taken, and read again the event would be posted.
func (d *deliverer) release(ev OutboxEvent) {
	if ev.Route != nil && ev.Route.Own {
		d.settle(Outcome{Seq: ev.Seq, Claims: ev.Claims, Delivered: true})
		return
	}
	d.settle(Outcome{Seq: ev.Seq, Claims: ev.Claims, Deferred: true, NextTry: ev.NextTry})
}

// settle records an outcome without making the worker wait for the
// store, then lets the contact's next event be claimed. Outcomes that come
// while others are being recorded are recorded together (groupCommit), in
// one SettleTake: one transaction, and one commit, for all of them; the
// store may hand over the contacts' next events in it, and they go to the
// workers without a Claim.
func (d *deliverer) settle(o Outcome) {
	// No longer in flight before the store lets go of its lease: the
	// lease keeps the event from being claimed until then, and a claim
	// right after would otherwise find it still in flight and drop it,
	// leaving it leased, and stalled, for a whole lease.
	d.mu.Lock()
	delete(d.inflight, o.Seq)
	d.mu.Unlock()
	d.outcomes.submit(o)
}

// record records a batch of outcomes, even when the deliverer has stopped
// (the posts were made). Events the store hands over go to the workers,
// or back when the deliverer has stopped.
func (d *deliverer) record(batch []Outcome) {
	ctx := context.Background()
	d.mu.Lock()
	room := 0
	if _, running := d.running(); running {
		room = d.room()
	}
	missed := d.missed
	d.mu.Unlock()
	taken, err := d.b.store.SettleTake(ctx, batch, d.b.now(), room, d.policy.Lease)
	if err != nil && len(batch) > 1 {
		// One outcome the store refuses must not cost the others
		// theirs: record them one by one.
		for _, o := range batch {
			d.recordOne(ctx, o)
		}
	} else if err != nil {
		d.failedRecording(ctx, err)
	}
	d.take(taken)
	removing := 0
	for _, o := range batch {
		if o.Delivered || o.Dead {
			removing++
		}
	}
	if err != nil || missed || removing > room {
		// The store hands over the event each of the first room
		// outcomes let go (Store.SettleTake): others may be waiting
		// only when there were more, or when it did not.
		d.poke()
	}
}

func (d *deliverer) recordOne(ctx context.Context, o Outcome) {
	if err := d.b.store.Settle(ctx, []Outcome{o}); err != nil {
		d.failedRecording(ctx, err)
	}
}

func (d *deliverer) failedRecording(ctx context.Context, err error) {
	d.b.log.LogAttrs(ctx, slog.LevelError, "bridge: recording a delivery outcome failed; the event is tried again when its lease ends", slog.String("error", err.Error()))
}

// deliver makes one attempt at ev. ok is false when ctx ended first, and the
// attempt is then not counted.
func (d *deliverer) deliver(ctx context.Context, ev OutboxEvent) (Outcome, bool) {
	if ctx.Err() != nil {
		return Outcome{}, false
	}
	actx, cancel := context.WithTimeout(ctx, d.policy.AttemptTimeout)
	defer cancel()
	posted, err := d.b.deliverEvent(actx, ev)
	o := Outcome{Seq: ev.Seq, Claims: ev.Claims, Posted: posted}
	now := d.b.now()
	switch {
	case errors.Is(err, errDeferred):
		o.Deferred, o.NextTry = true, now.Add(deferFor)
		d.deferred.Store(true)
		return o, true
	case err == nil:
		o.Delivered = true
		d.observe(now, nil)
		return o, true
	case ctx.Err() != nil:
		return Outcome{}, false
	}
	o.Err = err.Error()
	var perm *permanentError
	switch {
	case errors.As(err, &perm):
		o.Dead = true
	case rejected(err):
		o.Dead = ev.Attempts+1 >= d.policy.MaxRejections
		d.observe(now, err)
	default:
		d.observe(now, err)
	}
	o.NextTry = now.Add(d.policy.backoff(ev.Attempts + 1))
	level := slog.LevelWarn
	if o.Dead {
		level = slog.LevelError
	}
	d.b.log.LogAttrs(ctx, level, "bridge: posting a HighLevel event to Mattermost failed",
		slog.String("webhookId", ev.WebhookID), slog.String("type", ev.Type),
		slog.Int("attempt", ev.Attempts+1), slog.Bool("dead", o.Dead),
		slog.Time("next_try", o.NextTry), slog.String("error", o.Err))
	return o, true
}

// rejected reports a Mattermost answer that says the post itself is wrong
// (bad request, a channel or thread that is gone), as opposed to an outage
// or a permission that an admin can still fix.
func rejected(err error) bool {
	var apiErr *mattermost.APIError
	if !errors.As(err, &apiErr) {
		return errors.Is(err, mattermost.ErrInvalidParam)
	}
	switch apiErr.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// errDeferred: the event waits for a write of the bridge to the same
// contact; it is tried again after deferFor (or when the write ends).
var errDeferred = errors.New("bridge: waiting for the bridge's own write")

const deferFor = 50 * time.Millisecond

// permanentError marks an event that can never be posted (it does not
// decode): no retry.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func (d *deliverer) observe(now time.Time, err error) {
	d.stateMu.Lock()
	defer d.stateMu.Unlock()
	if err == nil {
		d.lastOK, d.consecutive = now, 0
		return
	}
	d.lastFail, d.lastErr = now, err.Error()
	d.consecutive++
}

// MattermostHealth is Mattermost's part of Health, from the outcome of the
// deliverer's latest posts.
type MattermostHealth struct {
	OK                  bool      `json:"ok"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	LastFailure         time.Time `json:"last_failure,omitzero"`
	LastError           string    `json:"last_error,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
}

func (d *deliverer) state() MattermostHealth {
	d.stateMu.Lock()
	defer d.stateMu.Unlock()
	return MattermostHealth{
		OK:                  d.consecutive == 0,
		LastSuccess:         d.lastOK,
		LastFailure:         d.lastFail,
		LastError:           d.lastErr,
		ConsecutiveFailures: d.consecutive,
	}
}

// pendingPostID derives the pending_post_id of an event's post to one
// target from the webhookId, so that every attempt at the same post, in this
// process or after a restart, carries the same id and Mattermost can
// recognise a repeat. It keeps the shape of mattermost.NewPendingPostID.
func pendingPostID(ev OutboxEvent, target string) string {
	sum := sha256.Sum256([]byte(ev.WebhookID + "\x00" + target))
	return "ghlkit:" + strconv.FormatInt(ev.Received.UnixMilli(), 10) + ":" + hex.EncodeToString(sum[:8])
}

// eventProp marks each event post with its pending_post_id, so that an
// attempt in doubt can find a post an earlier attempt made.
const eventProp = "ghlkit_event"

// postOnce creates p unless an earlier attempt at ev may have created it
// already and it is there: Mattermost deduplicates a pending_post_id only
// for about 30 seconds, so after a failed attempt, or for an event left by a
// process that stopped before recording its outcome (claimed before, or
// received before this process started), every post created in the
// channel since the event arrived is searched for the marker first.
// (Mattermost's "posts since" answer stops at 1,000 changed posts;
// PostsCreatedSince pages past that, so a busy channel cannot hide the
// earlier post.)
func (b *Bridge) postOnce(ctx context.Context, ev OutboxEvent, p *mattermost.Post) (*mattermost.Post, error) {
	if ev.Attempts > 0 || ev.Claims > 1 || ev.Received.Before(b.deliver.started) {
		want, _ := json.Marshal(p.PendingPostID)
		// A minute of margin for clocks that disagree.
		for got, err := range b.mm.PostsCreatedSince(ctx, p.ChannelID, ev.Received.Add(-time.Minute)) {
			if err != nil {
				return nil, err
			}
			if got.RootID == p.RootID && bytes.Equal(got.Props.Other[eventProp], want) {
				b.log.LogAttrs(ctx, slog.LevelInfo, "bridge: an earlier attempt had posted the event; not posting it again",
					slog.String("webhookId", ev.WebhookID), slog.String("postId", got.ID))
				return &got, nil
			}
		}
	}
	return b.mm.CreatePost(ctx, p)
}

// route is ev's route: read with the write that took it, when the store
// did (the accepting replica's Enqueue), or now.
func (b *Bridge) route(ctx context.Context, ev OutboxEvent, e webhook.Event) (Route, error) {
	if ev.Route != nil {
		return *ev.Route, nil
	}
	return b.store.Route(ctx, ev.ContactID, b.routeLocation(e), ownKeyFor(e))
}

// deliverEvent posts ev to every target it routes to that it was not posted
// to yet, and returns the targets done (including earlier attempts').
func (b *Bridge) deliverEvent(ctx context.Context, ev OutboxEvent) ([]string, error) {
	done := slices.Clone(ev.Posted)
	e := ev.event
	if e == nil {
		var err error
		if e, err = webhook.Parse(ev.Payload); err != nil {
			return done, &permanentError{fmt.Errorf("decoding stored event: %w", err)}
		}
	}
	// A change the bridge is making right now may be this one: come back
	// when it is known (and marked). The mark is in the store, so a write
	// made through another replica holds the event here too. The own mark
	// is taken, not just read: it hides this one webhook, and a later
	// genuine change of the same kind is posted. The event's route says
	// both (read with the write that took the event, or now: one store
	// call at most).
	r, err := b.route(ctx, ev, e)
	if err != nil {
		return done, err
	}
	if r.Writing {
		return done, errDeferred
	}
	if r.Own {
		b.log.LogAttrs(ctx, slog.LevelDebug, "bridge: not announcing the bridge's own change",
			slog.String("type", ev.Type), slog.String("webhookId", ev.WebhookID))
		return done, nil
	}
	if tc, ok := e.(*webhook.TaskComplete); ok {
		// Remember it, so a Complete click on an old list says so. A
		// completion in HighLevel replaces one recorded from chat: the
		// task was reopened and completed again there.
		if err := b.store.ReplaceCompletion(ctx, Completion{TaskID: tc.Task.ID, ContactID: tc.Task.ContactID, At: tc.Timestamp}); err != nil {
			return done, err
		}
	}
	if b.apps != nil {
		// Contact names are looked up with the event's own location's
		// client, its own pacing and pause; none when it has no token.
		if s, err := b.apps.services(ctx, e.EventMeta().LocationID); err == nil {
			ctx = withServices(ctx, s)
		}
	}
	posts := b.eventPosts(ctx, e, r)
	if len(posts) == 0 {
		b.log.LogAttrs(ctx, slog.LevelInfo, "bridge: HighLevel event has no channel to go to (no thread, subscription or default channel)",
			slog.String("type", ev.Type), slog.String("webhookId", ev.WebhookID))
		return done, nil
	}
	// Destinations are isolated: one that refuses the bot's posts (403,
	// 404) is given up for this event, and counted towards its
	// suspension, without holding back the others or the contact's later
	// events. When every destination refused, the default channel has it.
	refused := 0
	for i := 0; i < len(posts); i++ {
		p := posts[i]
		target := p.ChannelID + "/" + p.RootID
		if slices.Contains(done, target) {
			continue
		}
		p.PendingPostID = pendingPostID(ev, target)
		if err := p.Props.Set(eventProp, p.PendingPostID); err != nil {
			return done, &permanentError{err}
		}
		created, err := b.postOnce(ctx, ev, p)
		if err != nil && p.RootID != "" && badRoot(err) {
			// The contact's thread is gone: forget it, so the retry goes
			// to the contact's channel instead.
			if serr := b.store.SaveThread(ctx, ev.ContactID, Thread{}); serr != nil {
				return done, serr
			}
			b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: a contact's thread is gone; posting to its channel instead", slog.String("contactId", ev.ContactID))
			return done, err
		}
		if err != nil && destinationRefused(err) && p.ChannelID != b.cfg.ChannelID {
			b.destinationFailed(ctx, p.ChannelID, err)
			done = append(done, target)
			if refused++; refused == len(posts) && b.cfg.ChannelID != "" {
				if fp, ok := b.eventPost(ctx, e, b.cfg.ChannelID); ok {
					posts = append(posts, fp)
				}
			}
			continue
		}
		if err != nil {
			return done, err
		}
		b.destFail.ok(p.ChannelID)
		done = append(done, target)
		if n, ok := e.(*webhook.NoteCreate); ok && p.RootID != "" {
			if err := b.store.AddThreadNotes(ctx, n.Note.ContactID, p.RootID, map[string]string{n.Note.ID: created.ID}); err != nil {
				b.log.LogAttrs(ctx, slog.LevelWarn, "bridge: recording a note posted in its thread failed", slog.String("error", err.Error()))
			}
		}
	}
	return done, nil
}
