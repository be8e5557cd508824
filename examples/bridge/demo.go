package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/bridge"
	"github.com/ghlkit/ghl/ghltest"
	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
	"github.com/ghlkit/ghl/webhook"
)

// demoLocation is the fake HighLevel location of the demo.
const demoLocation = "demoLocation01"

// demo holds the running pieces of the demo.
type demo struct {
	ctx      context.Context
	out      io.Writer
	hl       *ghltest.Server
	mm       *mattermosttest.Server
	b        *bridge.Bridge
	url      string // the bridge's base URL
	tr       *transcript
	alice    mattermosttest.User
	bob      mattermosttest.User
	crm      mattermosttest.Channel
	sales    mattermosttest.Channel
	ada      ghltest.Contact
	cmdToken string
	ghlToken string
	botToken string
	// adminToken unlocks the details of /healthz.
	adminToken string
	// serving is set once the demo's steps are done and the user may send
	// commands with curl; printMu orders what is printed from then on.
	serving   atomic.Bool
	printMu   sync.Mutex
	httpc     *http.Client
	startedAt time.Time
}

// runDemo runs the demo (see the package documentation) and prints its
// transcript to out. Every step checks its outcome: an error means the
// bridge did not do what the transcript claims. With serve, the demo keeps
// running until ctx is done.
func runDemo(ctx context.Context, out io.Writer, logger *slog.Logger, serve bool) (err error) {
	d := &demo{ctx: ctx, out: out, startedAt: time.Now(), httpc: &http.Client{Timeout: 10 * time.Second}}
	dir, err := os.MkdirTemp("", "ghlkit-bridge-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// A fake HighLevel with one contact, its tasks and notes. Its webhooks
	// are signed with the published test key.
	d.hl = ghltest.NewServer()
	defer d.hl.Close()
	d.ghlToken = "demo-" + randomHex(12)
	d.adminToken = randomHex(20)
	d.hl.AddToken(d.ghlToken, demoLocation, ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	now := time.Now().UTC().Truncate(time.Minute)
	d.ada = d.hl.AddContact(ghltest.Contact{
		LocationID: demoLocation, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Phone: "+14155550100", CompanyName: "Analytical Engines Ltd", Tags: []string{"vip", "lead"},
	})
	d.hl.AddTask(ghltest.Task{ContactID: d.ada.ID, Title: "Call Ada back about the quote", DueDate: now.Add(-2 * time.Hour)})
	d.hl.AddTask(ghltest.Task{ContactID: d.ada.ID, Title: "Send the brochure", DueDate: now.Add(48 * time.Hour)})
	d.hl.AddTask(ghltest.Task{ContactID: d.ada.ID, Title: "Book the first meeting", DueDate: now.Add(-72 * time.Hour), Completed: true})
	d.hl.AddNote(ghltest.Note{ContactID: d.ada.ID, Body: "Met at the Lisbon fair; interested in the premium plan.", DateAdded: now.Add(-72 * time.Hour)})
	d.hl.AddNote(ghltest.Note{ContactID: d.ada.ID, Body: "Asked for a quote for 20 seats. @channel please hurry!", DateAdded: now.Add(-24 * time.Hour)})

	// A fake Mattermost with a bot, two users and two channels.
	d.mm = mattermosttest.NewServer()
	defer d.mm.Close()
	bot, botToken := d.mm.AddBot("ghl-bridge")
	d.botToken = botToken
	d.alice, d.bob = d.mm.AddUser("alice"), d.mm.AddUser("bob")
	d.crm, d.sales = d.mm.AddChannel("crm"), d.mm.AddChannel("sales")
	// Routing changes need a channel admin: alice administers ~sales.
	d.mm.SetChannelAdmin(d.sales.ID, d.alice.ID, true)

	// The bridge, configured from environment variables as in production.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	d.url = "http://" + ln.Addr().String()
	d.cmdToken = d.mm.AddCommand("ghl", d.url+bridge.PathCommand)
	pub, _ := ghltest.WebhookPublicKeys()
	env := map[string]string{
		bridge.EnvGHLToken:        d.ghlToken,
		bridge.EnvLocationID:      demoLocation,
		bridge.EnvGHLBaseURL:      d.hl.URL,
		bridge.EnvWebhookKey:      base64.StdEncoding.EncodeToString(pub),
		bridge.EnvMattermostURL:   d.mm.URL,
		bridge.EnvMattermostToken: botToken,
		bridge.EnvChannelID:       d.crm.ID,
		bridge.EnvCommandTokens:   d.cmdToken,
		bridge.EnvPublicURL:       d.url,
		bridge.EnvSecret:          randomHex(32),
		bridge.EnvAdminToken:      d.adminToken,
		bridge.EnvData:            filepath.Join(dir, "bridge.db"),
	}
	cfg, err := bridge.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	// Clients with short retries, so the demo's outage passes quickly.
	gc, err := ghl.NewClient(ghl.WithToken(d.ghlToken), ghl.WithBaseURL(d.hl.URL), ghl.WithLocationID(demoLocation),
		ghl.WithLogger(logger), ghl.WithRetry(ghl.RetryPolicy{MaxRetries: 2, MinWait: 10 * time.Millisecond, MaxWait: 100 * time.Millisecond}))
	if err != nil {
		return err
	}
	mc, err := mattermost.NewClient(d.mm.URL, botToken, mattermost.WithLogger(logger),
		mattermost.WithRetry(mattermost.RetryPolicy{MaxRetries: 1, MinWait: 10 * time.Millisecond, MaxWait: 50 * time.Millisecond}))
	if err != nil {
		return err
	}
	d.b, err = bridge.New(cfg, bridge.WithGHLClient(gc), bridge.WithMattermostClient(mc), bridge.WithLogger(logger),
		bridge.WithDeliveryPolicy(bridge.DeliveryPolicy{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Poll: 20 * time.Millisecond}))
	if err != nil {
		ln.Close()
		return err
	}
	serveCtx, stopServing := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveBridge(serveCtx, d.b, d.echoCommands(d.b), ln, logger) }()
	defer func() {
		stopServing()
		err = errors.Join(err, <-served)
	}()
	d.hl.SetWebhookTarget(d.url + bridge.PathWebhook)

	d.tr = newTranscript(out, d.mm, []mattermosttest.Channel{d.crm, d.sales}, bot, d.alice, d.bob)
	fmt.Fprintf(out, "ghlkit bridge demo: a fake HighLevel (%s) and a fake Mattermost (%s) talk through the bridge (%s).\n", d.hl.URL, d.mm.URL, d.url)
	fmt.Fprintf(out, "Contact %s (ID %s) has 3 tasks and 2 notes. Every step below goes over real HTTP.\n", "Ada Lovelace", d.ada.ID)

	for _, step := range []func() error{
		d.help, d.contactCard, d.taskList, d.notesThread, d.noteAdd, d.noteFromHighLevel,
		d.taskAdd, d.taskDialog, d.taskDone, d.contactSet, d.subscribe, d.forgedWebhook, d.outage, d.health,
	} {
		if err := step(); err != nil {
			return fmt.Errorf("step %d: %w", d.tr.step, err)
		}
	}
	fmt.Fprintf(out, "\nDone in %v: every flow worked.\n", time.Since(d.startedAt).Round(time.Millisecond))

	if serve {
		d.printServeHelp()
		// Show the effect of the user's curl commands as Mattermost
		// would: new and edited posts, and messages only one user sees.
		fmt.Fprintln(out, "\nWhat appears in the fake Mattermost from now on:")
		d.serving.Store(true)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-tick.C:
				d.printMu.Lock()
				d.tr.flush()
				d.printMu.Unlock()
			}
		}
		fmt.Fprintln(out, "\nStopping.")
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// slash runs a slash command as user in ch and prints what appeared.
func (d *demo) slash(user mattermosttest.User, ch mattermosttest.Channel, line string) (*mattermosttest.CommandResult, error) {
	d.tr.typed(user.Username, ch.Name, line)
	res, err := d.mm.As(user.ID).SlashCommand(d.ctx, ch.ID, line)
	if err != nil {
		return nil, err
	}
	if res.Status != http.StatusOK {
		return res, fmt.Errorf("%s: the bridge answered %d", line, res.Status)
	}
	return res, nil
}

// settle waits until HighLevel's webhooks were delivered to the bridge and
// the bridge's outbox is empty.
func (d *demo) settle() error {
	d.hl.FlushWebhooks()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := d.b.Store().OutboxStats(d.ctx)
		if err != nil {
			return err
		}
		if st.Pending == 0 {
			// Let the deliverer record its last outcomes.
			time.Sleep(20 * time.Millisecond)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d events still waiting in the outbox", st.Pending)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (d *demo) expect(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

func (d *demo) lastPost(ch mattermosttest.Channel) mattermost.Post {
	ps := d.mm.Posts(ch.ID)
	if len(ps) == 0 {
		return mattermost.Post{}
	}
	return ps[len(ps)-1]
}

func (d *demo) help() error {
	d.tr.heading("Help: the command grammar, shown only to the user who asked")
	res, err := d.slash(d.alice, d.crm, "/ghl help")
	if err != nil {
		return err
	}
	d.tr.flush()
	return d.expect(strings.Contains(res.Response.Text, "task add"), "help lacks task add")
}

func (d *demo) contactCard() error {
	d.tr.heading("Look a contact up by email")
	res, err := d.slash(d.alice, d.crm, "/ghl contact ada@example.com")
	if err != nil {
		return err
	}
	d.tr.flush()
	return d.expect(len(res.Response.Attachments) == 1, "no contact card")
}

func (d *demo) taskList() error {
	d.tr.heading("List the tasks in the channel; each open task has a Complete button")
	if _, err := d.slash(d.alice, d.crm, "/ghl tasks "+d.ada.ID); err != nil {
		return err
	}
	d.tr.flush()
	list := d.lastPost(d.crm)
	var first *ghltest.Task
	for _, t := range d.hl.Tasks(d.ada.ID) {
		if !t.Completed {
			first = &t
			break
		}
	}
	if first == nil {
		return errors.New("no open task")
	}

	d.tr.heading("bob clicks Complete on %q", first.Title)
	click, err := d.mm.As(d.bob.ID).ClickButton(d.ctx, list.ID, "complete"+first.ID)
	if err != nil {
		return err
	}
	if err := d.settle(); err != nil {
		return err
	}
	d.tr.flush()
	d.tr.note("HighLevel's TaskComplete webhook came back and was recognised as the bridge's own change: not posted twice.")
	if err := d.expect(d.task(first.ID).Completed, "task not completed in HighLevel"); err != nil {
		return err
	}

	d.tr.heading("alice's screen still shows the old button: her click arrives after bob's")
	replay := *click.Request
	replay.UserID, replay.UserName = d.alice.ID, d.alice.Username
	req, err := mattermosttest.NewActionRequest(d.ctx, d.url+bridge.PathAction, &replay)
	if err != nil {
		return err
	}
	resp, err := d.httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out mattermost.ActionResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return err
	}
	d.tr.note("the bridge answers alice only: %s", clean(out.EphemeralText))
	d.tr.note("HighLevel received %d completion request for the task: the second click wrote nothing.", d.completions(first.ID))
	return d.expect(d.completions(first.ID) == 1 && strings.Contains(out.EphemeralText, "already complete"), "second click: %d writes, %q", d.completions(first.ID), out.EphemeralText)
}

func (d *demo) task(id string) ghltest.Task {
	for _, t := range d.hl.Tasks(d.ada.ID) {
		if t.ID == id {
			return t
		}
	}
	return ghltest.Task{}
}

// completions counts the completion requests HighLevel received for a task.
func (d *demo) completions(taskID string) int {
	n := 0
	for _, r := range d.hl.Requests() {
		if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/tasks/"+taskID+"/completed") {
			n++
		}
	}
	return n
}

func (d *demo) notesThread() error {
	d.tr.heading("Post the notes in the contact's thread")
	if _, err := d.slash(d.alice, d.crm, "/ghl notes ada@example.com"); err != nil {
		return err
	}
	d.tr.flush()
	d.tr.note("the @channel typed in HighLevel is shown but notifies no one.")
	return d.expect(len(d.mm.Posts(d.crm.ID)) >= 4, "no thread")
}

func (d *demo) noteAdd() error {
	d.tr.heading("Add a note from chat: it goes to HighLevel and into the thread")
	if _, err := d.slash(d.bob, d.crm, "/ghl note add "+d.ada.ID+" Called her: the quote is approved."); err != nil {
		return err
	}
	if err := d.settle(); err != nil {
		return err
	}
	d.tr.flush()
	d.tr.note("HighLevel's NoteCreate webhook was recognised as the bridge's own: not posted twice.")
	return d.expect(len(d.hl.Notes(d.ada.ID)) == 3, "note not created")
}

func (d *demo) noteFromHighLevel() error {
	d.tr.heading("Someone adds a note in HighLevel: its signed webhook becomes a reply in the thread")
	d.hl.AddNote(ghltest.Note{ContactID: d.ada.ID, Body: "Contract sent by post."})
	if err := d.settle(); err != nil {
		return err
	}
	d.tr.flush()
	if _, err := d.slash(d.alice, d.crm, "/ghl notes "+d.ada.ID); err != nil {
		return err
	}
	d.tr.flush()
	return d.expect(strings.Contains(d.lastEphemeral(d.alice), "up to date"), "notes not up to date")
}

func (d *demo) lastEphemeral(u mattermosttest.User) string {
	eps := d.mm.Ephemeral(u.ID)
	if len(eps) == 0 {
		return ""
	}
	return eps[len(eps)-1].Post.Message
}

func (d *demo) taskAdd() error {
	d.tr.heading("Create a task with a due date and a description")
	due := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
	before := len(d.hl.Tasks(d.ada.ID))
	if _, err := d.slash(d.alice, d.crm, `/ghl task add `+d.ada.ID+` Prepare the contract --due `+due+` --body "Two copies, signed."`); err != nil {
		return err
	}
	if err := d.settle(); err != nil {
		return err
	}
	d.tr.flush()
	d.tr.note("the TaskCreate webhook of this task was not announced again.")
	if err := d.expect(len(d.hl.Tasks(d.ada.ID)) == before+1, "task not created"); err != nil {
		return err
	}
	d.tr.heading("A bad date is refused before anything is written")
	if _, err := d.slash(d.alice, d.crm, "/ghl task add "+d.ada.ID+" Oops --due next-tuesday"); err != nil {
		return err
	}
	d.tr.flush()
	return d.expect(len(d.hl.Tasks(d.ada.ID)) == before+1, "a task was created for a bad date")
}

func (d *demo) taskDialog() error {
	d.tr.heading("task add without a title opens a form")
	if _, err := d.slash(d.bob, d.crm, "/ghl task add "+d.ada.ID); err != nil {
		return err
	}
	dialogs := d.mm.Dialogs()
	if len(dialogs) == 0 {
		return errors.New("no dialog opened")
	}
	dlg := dialogs[len(dialogs)-1]
	var fields []string
	for _, el := range dlg.Dialog.Elements {
		fields = append(fields, el.DisplayName)
	}
	d.tr.note("Mattermost shows bob the form %q with %s.", dlg.Dialog.Title, strings.Join(fields, ", "))
	d.tr.note("bob types a wrong date first:")
	res, err := d.mm.As(d.bob.ID).SubmitDialog(d.ctx, dlg, map[string]any{"title": "Invoice Ada", "due": "31/12"})
	if err != nil {
		return err
	}
	if res.Closed || res.Response == nil {
		return errors.New("a bad date closed the form")
	}
	d.tr.note("the form stays open: due: %s", res.Response.Errors["due"])
	due := time.Now().AddDate(0, 0, 14).Format("2006-01-02")
	res, err = d.mm.As(d.bob.ID).SubmitDialog(d.ctx, dlg, map[string]any{"title": "Invoice Ada", "due": due, "body": "20 seats, premium plan."})
	if err != nil {
		return err
	}
	if !res.Closed {
		return fmt.Errorf("the form did not close: %+v", res.Response)
	}
	if err := d.settle(); err != nil {
		return err
	}
	d.tr.flush()
	return nil
}

func (d *demo) taskDone() error {
	var id string
	for _, t := range d.hl.Tasks(d.ada.ID) {
		if t.Title == "Prepare the contract" {
			id = t.ID
		}
	}
	d.tr.heading("Complete a task by its ID")
	if _, err := d.slash(d.bob, d.crm, "/ghl task done "+d.ada.ID+" "+id); err != nil {
		return err
	}
	if err := d.settle(); err != nil {
		return err
	}
	d.tr.flush()
	return d.expect(d.task(id).Completed, "task not completed")
}

func (d *demo) subscribe() error {
	d.tr.heading("Route the contact's HighLevel events to ~sales (alice is its channel admin)")
	if _, err := d.slash(d.alice, d.sales, "/ghl subscribe "+d.ada.ID); err != nil {
		return err
	}
	d.tr.flush()
	d.tr.heading("Someone tags the contact in HighLevel")
	c, _ := d.hl.Contact(d.ada.ID)
	c.Tags = append(c.Tags, "customer")
	d.hl.UpdateContact(c)
	if err := d.settle(); err != nil {
		return err
	}
	d.tr.flush()
	return d.expect(len(d.mm.Posts(d.sales.ID)) >= 2, "no event in ~sales")
}

func (d *demo) forgedWebhook() error {
	d.tr.heading("Forged and replayed webhooks are refused")
	body := fmt.Sprintf(`{"type":"TaskCreate","locationId":%q,"id":"forgedTask0000000001","contactId":%q,"title":"Wire money to account 123","dueDate":%q,"timestamp":%q,"webhookId":"forged-1"}`,
		demoLocation, d.ada.ID, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339))
	_, attacker, _ := ed25519.GenerateKey(rand.Reader)
	status, err := d.postWebhook([]byte(body), &webhook.Signer{Ed25519: attacker})
	if err != nil {
		return err
	}
	d.tr.note("a TaskCreate signed with someone else's key: %d %s", status, http.StatusText(status))
	if status != http.StatusUnauthorized {
		return fmt.Errorf("forged webhook answered %d", status)
	}
	status, err = d.postWebhook([]byte(body), nil)
	if err != nil {
		return err
	}
	d.tr.note("the same without any signature: %d %s", status, http.StatusText(status))
	deliveries := d.hl.WebhookDeliveries()
	last := deliveries[len(deliveries)-1]
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, d.url+bridge.PathWebhook, bytes.NewReader(last.Body))
	if err != nil {
		return err
	}
	req.Header = last.Header.Clone()
	resp, err := d.httpc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	d.tr.note("HighLevel's last %s webhook sent again byte for byte: %d (acknowledged as a duplicate, not posted again)", last.Type, resp.StatusCode)
	if err := d.settle(); err != nil {
		return err
	}
	before := len(d.mm.Posts(d.crm.ID)) + len(d.mm.Posts(d.sales.ID))
	d.tr.flush()
	after := len(d.mm.Posts(d.crm.ID)) + len(d.mm.Posts(d.sales.ID))
	return d.expect(before == after && !strings.Contains(postsText(d.mm, d.crm), "Wire money"), "a forged or replayed webhook was posted")
}

func postsText(mm *mattermosttest.Server, ch mattermosttest.Channel) string {
	var b strings.Builder
	for _, p := range mm.Posts(ch.ID) {
		b.WriteString(p.Message)
		for _, a := range p.Props.Attachments {
			b.WriteString(a.Title + a.Text)
		}
	}
	return b.String()
}

// postWebhook posts body to the bridge signed by s (nil: unsigned).
func (d *demo) postWebhook(body []byte, s *webhook.Signer) (int, error) {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, d.url+bridge.PathWebhook, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if s != nil {
		h, err := s.Sign(body)
		if err != nil {
			return 0, err
		}
		for k, v := range h {
			req.Header[k] = v
		}
	}
	resp, err := d.httpc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (d *demo) outage() error {
	d.tr.heading("Mattermost goes down while HighLevel sends an event")
	d.mm.SetOutage(true)
	d.hl.AddTask(ghltest.Task{ContactID: d.ada.ID, Title: "Renew the support plan", DueDate: time.Now().AddDate(0, 1, 0)})
	d.hl.FlushWebhooks()
	deliveries := d.hl.WebhookDeliveries()
	last := deliveries[len(deliveries)-1]
	d.tr.note("HighLevel's %s webhook: %d (stored in the outbox before the answer)", last.Type, last.StatusCode)
	// Wait until the deliverer has tried and failed.
	deadline := time.Now().Add(5 * time.Second)
	var h bridge.Health
	for {
		h = d.b.Health(d.ctx)
		if h.Mattermost.ConsecutiveFailures >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	pending := 0
	if h.Outbox != nil {
		pending = h.Outbox.Pending
	}
	d.tr.note("/healthz: status %q, Mattermost failing (%d attempts so far), %d event waiting in the outbox", h.Status, h.Mattermost.ConsecutiveFailures, pending)
	if last.StatusCode != http.StatusOK || pending != 1 || h.Mattermost.OK {
		return fmt.Errorf("outage: webhook %d, pending %d, mattermost ok %v", last.StatusCode, pending, h.Mattermost.OK)
	}
	d.tr.note("Mattermost comes back.")
	d.mm.SetOutage(false)
	if err := d.settle(); err != nil {
		return err
	}
	d.tr.flush()
	return d.expect(strings.Contains(postsText(d.mm, d.crm), "Renew the support plan"), "the event was lost")
}

func (d *demo) health() error {
	d.tr.heading("GET /healthz and /readyz")
	get := func(path, auth string, v any) (int, error) {
		req, err := http.NewRequestWithContext(d.ctx, http.MethodGet, d.url+path, nil)
		if err != nil {
			return 0, err
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := d.httpc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(v)
	}
	var status struct{ Status string }
	code, err := get(bridge.PathHealth, "", &status)
	if err != nil {
		return err
	}
	d.tr.note("without credentials: %d: status %q (nothing more)", code, status.Status)
	var h bridge.Health
	if _, err := get(bridge.PathHealth, d.adminToken, &h); err != nil {
		return err
	}
	if h.Outbox == nil {
		return errors.New("the admin token did not unlock the details")
	}
	d.tr.note("with BRIDGE_ADMIN_TOKEN: %d: status %q; HighLevel ok=%v, Mattermost ok=%v, outbox pending=%d", code, h.Status, h.HighLevel.OK, h.Mattermost.OK, h.Outbox.Pending)
	readyCode, err := get(bridge.PathReady, "", &status)
	if err != nil {
		return err
	}
	d.tr.note("%s: %d: %q", bridge.PathReady, readyCode, status.Status)
	return d.expect(code == http.StatusOK && h.Status == "ok" && readyCode == http.StatusOK, "unhealthy: %+v", h)
}

func (d *demo) printServeHelp() {
	fmt.Fprintf(d.out, `
The demo keeps running; press Ctrl+C to stop.

  bridge           %[1]s
    healthz        curl %[1]s%[2]s   (details: add -H 'Authorization: Bearer %[13]s')
    readyz         curl %[1]s%[14]s
    slash command  curl -d 'token=%[3]s&channel_id=%[4]s&user_id=%[5]s&user_name=alice&text=tasks+%[6]s' %[1]s%[7]s
  fake Mattermost  %[8]s   (bot token %[9]s; channel ~crm is %[4]s)
  fake HighLevel   %[10]s   (token %[11]s, location %[12]s)
    a HighLevel change, sent to the bridge as a signed webhook:
                   curl -X POST -H 'Version: 2021-07-28' -H 'Authorization: Bearer %[11]s' -H 'Content-Type: application/json' \
                        -d '{"body":"Hello from curl"}' %[10]s/contacts/%[6]s/notes
`, d.url, bridge.PathHealth, d.cmdToken, d.crm.ID, d.alice.ID, d.ada.ID, bridge.PathCommand, d.mm.URL, d.botToken, d.hl.URL, d.ghlToken, demoLocation, d.adminToken, bridge.PathReady)
}

// echoCommands wraps the bridge: once serving, the answer to a slash
// command sent with curl (which Mattermost never sees) is printed as
// Mattermost would show it, so the user sees the effect of their command.
func (d *demo) echoCommands(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !d.serving.Load() || r.URL.Path != bridge.PathCommand {
			h.ServeHTTP(w, r)
			return
		}
		tee := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tee, r)
		var resp mattermost.CommandResponse
		if json.Unmarshal(tee.body.Bytes(), &resp) != nil {
			return
		}
		d.printMu.Lock()
		defer d.printMu.Unlock()
		d.tr.flush() // what the command posted through the API first
		user := r.FormValue("user_name")
		for _, c := range append([]*mattermost.CommandResponse{&resp}, resp.ExtraResponses...) {
			if c.Text == "" && len(c.Attachments) == 0 {
				continue
			}
			p := mattermost.Post{Message: c.Text, Props: mattermost.Props{Attachments: c.Attachments}}
			if c.ResponseType == mattermost.ResponseInChannel {
				d.tr.printPost(d.crm.Name, p, " (the command's answer)")
			} else {
				d.tr.printPost(d.crm.Name, p, " (the command's answer, only "+user+" sees it)")
			}
		}
	})
}

// teeWriter keeps a copy of the body written.
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.body.Write(b)
	return t.ResponseWriter.Write(b)
}
