package ghl_test

// Side-by-side benchmarks of ghlkit against the client a Go programmer would
// write by hand with net/http and encoding/json, on one loopback server that
// serves both the same bodies through the same transport settings. ghlkit
// runs as users run it: retries, pacing (at a limit too high to bind) and
// HighLevel's error decoding all on. Each benchmark reports ns/op,
// allocs/op, the 99th percentile latency of one call (p99-ns) and the CPU
// time the process spent per call (cpu-ns/op, the loopback server's share
// included), which a shared machine disturbs far less than the wall clock.
//
// The ratios come from BenchmarkSideBySide, which alternates the clients
// (an iteration of its in-flight case is 500 calls of each):
//
//	go test -run x -bench SideBySide/a -benchtime 100x -count 5 .
//	go test -run x -bench SideBySide/b -benchtime 8x -count 5 .
//	go test -run x -bench 'Bench(TasksList|ContactGet)' -benchmem -benchtime 1000x .

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/tasks"
)

const benchContactID = "lJpzYrWdpkC2hX6t2yue"

// benchTasksBody is GET /contacts/{id}/tasks with 10 tasks, shaped as
// HighLevel answers.
var benchTasksBody = func() []byte {
	var items []string
	for i := range 10 {
		items = append(items, fmt.Sprintf(`{"id":"hxHGVRb1YJUscrCB8eX%d","title":"Call back about the quote %d","body":"Ask whether the pricing works for them","assignedTo":"hxHGVRb1YJUscrCB8eXK","dueDate":"2021-07-08T02:30:00.000Z","completed":false,"contactId":"%s"}`, i, i, benchContactID))
	}
	return []byte(`{"tasks":[` + strings.Join(items, ",") + `]}`)
}()

// benchContactBody is GET /contacts/{id}: a contact with 37 fields.
var benchContactBody = []byte(`{"contact":{"id":"` + benchContactID + `","locationId":"ve9EPM428h8vShlRW1KT","name":"John Deo","firstName":"John","lastName":"Deo",` +
	`"firstNameLowerCase":"john","lastNameLowerCase":"deo","fullNameLowerCase":"john deo","email":"john@deo.com","emailLowerCase":"john@deo.com",` +
	`"phone":"+18888888888","gender":"male","companyName":"DGS VolMAX","website":"https://www.tesla.com","timezone":"America/Chihuahua",` +
	`"address1":"3535 1st St N","city":"Dolomite","state":"AL","country":"US","postalCode":"35061","dnd":false,` +
	`"dndSettings":{"Call":{"status":"active","message":"string","code":"string"},"Email":{"status":"inactive"}},` +
	`"type":"lead","source":"public api","assignedTo":"y0BeYjuRIlDwsDcOHOJo","businessId":"641c094001436dbc2081e642",` +
	`"tags":["nisi sint commodo amet","consequat"],"followers":["y0BeYjuRIlDwsDcOHOJo"],` +
	`"customFields":[{"id":"MgobCB14YMVKuE4Ka8p1","value":"name"},{"id":"MgobCB14YMVKuE4Ka8p2","value":"other"}],` +
	`"attributionSource":{"url":"https://example.com/form","campaign":"spring","utmSource":"google","utmMedium":"cpc","medium":"form","mediumId":"f1"},` +
	`"dateOfBirth":"1990-09-25T00:00:00.000Z","birthMonth":8,"birthDay":25,"dateAdded":"2021-07-02T05:18:26.704Z","dateUpdated":"2021-07-02T05:18:26.704Z",` +
	`"lastActivity":"2021-07-16T11:39:30.564Z","deleted":false}}`)

// benchServer answers both routes from memory.
func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/contacts/" + benchContactID + "/tasks":
			w.Write(benchTasksBody)
		case "/contacts/" + benchContactID:
			w.Write(benchContactBody)
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"statusCode":404,"message":"Not found"}`))
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchTransport is the transport both clients use: the default one, with
// enough idle connections for 50 calls in flight.
func benchTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

func benchGHL(b *testing.B, srv *httptest.Server) *ghl.Client {
	c, err := ghl.NewClient(ghl.WithToken("t"), ghl.WithBaseURL(srv.URL), ghl.WithTransport(benchTransport()),
		ghl.WithRateLimit(100_000, time.Second)) // paced, never bound here
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// handClient is the hand-written client: one request, status check, decode.
type handClient struct {
	hc   *http.Client
	base string
}

func (h *handClient) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Version", ghl.DefaultAPIVersion)
	req.Header.Set("Accept", "application/json")
	resp, err := h.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// The hand-written client's types: plain structs with the same fields.
type (
	handTask struct {
		ID         string    `json:"id"`
		Title      string    `json:"title"`
		Body       string    `json:"body"`
		AssignedTo string    `json:"assignedTo"`
		DueDate    time.Time `json:"dueDate"`
		Completed  bool      `json:"completed"`
		ContactID  string    `json:"contactId"`
	}
	handDND struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	handContact struct {
		ID                 string `json:"id"`
		LocationID         string `json:"locationId"`
		Name               string `json:"name"`
		FirstName          string `json:"firstName"`
		LastName           string `json:"lastName"`
		FirstNameLowerCase string `json:"firstNameLowerCase"`
		LastNameLowerCase  string `json:"lastNameLowerCase"`
		FullNameLowerCase  string `json:"fullNameLowerCase"`
		Email              string `json:"email"`
		EmailLowerCase     string `json:"emailLowerCase"`
		Phone              string `json:"phone"`
		Gender             string `json:"gender"`
		CompanyName        string `json:"companyName"`
		Website            string `json:"website"`
		Timezone           string `json:"timezone"`
		Address1           string `json:"address1"`
		City               string `json:"city"`
		State              string `json:"state"`
		Country            string `json:"country"`
		PostalCode         string `json:"postalCode"`
		DND                bool   `json:"dnd"`
		DNDSettings        *struct {
			Call, Email, SMS *handDND
		} `json:"dndSettings"`
		Type         string   `json:"type"`
		Source       string   `json:"source"`
		AssignedTo   string   `json:"assignedTo"`
		BusinessID   string   `json:"businessId"`
		Tags         []string `json:"tags"`
		Followers    []string `json:"followers"`
		CustomFields []struct {
			ID    string          `json:"id"`
			Value json.RawMessage `json:"value"`
		} `json:"customFields"`
		AttributionSource *struct {
			URL, Campaign, UTMSource, UTMMedium, Medium, MediumID string
		} `json:"attributionSource"`
		DateOfBirth  time.Time `json:"dateOfBirth"`
		BirthMonth   int       `json:"birthMonth"`
		BirthDay     int       `json:"birthDay"`
		DateAdded    time.Time `json:"dateAdded"`
		DateUpdated  time.Time `json:"dateUpdated"`
		LastActivity time.Time `json:"lastActivity"`
		Deleted      bool      `json:"deleted"`
	}
)

func benchHand(srv *httptest.Server) *handClient {
	return &handClient{hc: &http.Client{Transport: benchTransport()}, base: srv.URL}
}

// latencies collects the duration of every call and reports the 99th
// percentile.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, cpu time.Duration) {
	if b.N > 0 && cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	b.ReportMetric(float64(l.all[len(l.all)*99/100].Nanoseconds()), "p99-ns")
}

// sequential runs call b.N times in a row.
func sequential(b *testing.B, call func(ctx context.Context) error) {
	ctx := context.Background()
	var lat latencies
	own := make([]time.Duration, 0, 4096)
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		start := time.Now()
		if err := call(ctx); err != nil {
			b.Fatal(err)
		}
		own = append(own, time.Since(start))
	}
	cpu = cpuTime() - cpu
	lat.add(own)
	lat.report(b, cpu)
}

// inFlight runs call b.N times with 50 calls in flight.
func inFlight(b *testing.B, call func(ctx context.Context) error) {
	ctx := context.Background()
	var lat latencies
	b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0))) // RunParallel starts parallelism × GOMAXPROCS goroutines
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		own := make([]time.Duration, 0, 1024)
		for pb.Next() {
			start := time.Now()
			if err := call(ctx); err != nil {
				b.Error(err)
				return
			}
			own = append(own, time.Since(start))
		}
		lat.add(own)
	})
	b.StopTimer()
	lat.report(b, cpuTime()-cpu)
}

func listTasksGHL(s *tasks.Service) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		ts, err := s.List(ctx, benchContactID)
		if err == nil && len(ts) != 10 {
			err = fmt.Errorf("%d tasks", len(ts))
		}
		return err
	}
}

func listTasksHand(h *handClient) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		var out struct {
			Tasks []handTask `json:"tasks"`
		}
		err := h.get(ctx, "/contacts/"+benchContactID+"/tasks", &out)
		if err == nil && len(out.Tasks) != 10 {
			err = fmt.Errorf("%d tasks", len(out.Tasks))
		}
		return err
	}
}

// BenchmarkTasksList is workload (a): sequential GET /contacts/{id}/tasks
// with 10 tasks.
func BenchmarkTasksList(b *testing.B) {
	srv := benchServer(b)
	b.Run("ghlkit", func(b *testing.B) { sequential(b, listTasksGHL(tasks.New(benchGHL(b, srv)))) })
	b.Run("handwritten", func(b *testing.B) { sequential(b, listTasksHand(benchHand(srv))) })
}

// BenchmarkTasksListInFlight is workload (b): the same call, 50 in flight.
func BenchmarkTasksListInFlight(b *testing.B) {
	srv := benchServer(b)
	b.Run("ghlkit", func(b *testing.B) { inFlight(b, listTasksGHL(tasks.New(benchGHL(b, srv)))) })
	b.Run("handwritten", func(b *testing.B) { inFlight(b, listTasksHand(benchHand(srv))) })
}

// BenchmarkContactGet is workload (c): sequential GET /contacts/{id} of a
// contact with 37 fields.
func BenchmarkContactGet(b *testing.B) {
	srv := benchServer(b)
	b.Run("ghlkit", func(b *testing.B) {
		s := contacts.New(benchGHL(b, srv))
		sequential(b, func(ctx context.Context) error {
			c, err := s.Get(ctx, benchContactID)
			if err == nil && (c.ID != benchContactID || c.DateOfBirth.IsZero()) {
				err = fmt.Errorf("contact %+v", c)
			}
			return err
		})
	})
	b.Run("handwritten", func(b *testing.B) {
		h := benchHand(srv)
		sequential(b, func(ctx context.Context) error {
			var out struct {
				Contact *handContact `json:"contact"`
			}
			err := h.get(ctx, "/contacts/"+benchContactID, &out)
			if err == nil && (out.Contact == nil || out.Contact.ID != benchContactID || out.Contact.DateOfBirth.IsZero()) {
				err = fmt.Errorf("contact %+v", out.Contact)
			}
			return err
		})
	})
}

// BenchmarkSideBySide runs ghlkit and the hand-written client alternately,
// in blocks of calls small enough that both meet the same load on a shared
// machine, and reports ghlkit's throughput and p99 latency as ratios of the
// hand-written client's: throughput-ratio is hand-written time / ghlkit time
// (1 = as fast, above 0.90 is the target), p99-ratio is ghlkit's p99 /
// hand-written p99 (target at most 1.2).
func BenchmarkSideBySide(b *testing.B) {
	srv := benchServer(b)
	getContactGHL := func(s *contacts.Service) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			c, err := s.Get(ctx, benchContactID)
			if err == nil && c.ID != benchContactID {
				err = fmt.Errorf("contact %+v", c)
			}
			return err
		}
	}
	getContactHand := func(h *handClient) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			var out struct {
				Contact *handContact `json:"contact"`
			}
			err := h.get(ctx, "/contacts/"+benchContactID, &out)
			if err == nil && (out.Contact == nil || out.Contact.ID != benchContactID) {
				err = fmt.Errorf("contact %+v", out.Contact)
			}
			return err
		}
	}
	b.Run("a-tasks-sequential", func(b *testing.B) {
		alternate(b, 1, listTasksGHL(tasks.New(benchGHL(b, srv))), listTasksHand(benchHand(srv)))
	})
	b.Run("b-tasks-50-in-flight", func(b *testing.B) {
		alternate(b, 50, listTasksGHL(tasks.New(benchGHL(b, srv))), listTasksHand(benchHand(srv)))
	})
	b.Run("c-contact-sequential", func(b *testing.B) {
		alternate(b, 1, getContactGHL(contacts.New(benchGHL(b, srv))), getContactHand(benchHand(srv)))
	})
}

// alternate runs, per iteration, a block of calls of each client with
// inFlight calls at a time (10 calls per goroutine), timing every call.
func alternate(b *testing.B, inFlight int, ghlCall, handCall func(ctx context.Context) error) {
	const perWorker = 10
	ctx := context.Background()
	var ghlLat, handLat latencies
	var ghlTotal, handTotal time.Duration
	block := func(call func(ctx context.Context) error, lat *latencies) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for range inFlight {
			wg.Go(func() {
				own := make([]time.Duration, 0, perWorker)
				for range perWorker {
					t := time.Now()
					if err := call(ctx); err != nil {
						b.Error(err)
						return
					}
					own = append(own, time.Since(t))
				}
				lat.add(own)
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	for i := 0; b.Loop(); i++ {
		// Which client goes first alternates too.
		if i%2 == 0 {
			ghlTotal += block(ghlCall, &ghlLat)
			handTotal += block(handCall, &handLat)
		} else {
			handTotal += block(handCall, &handLat)
			ghlTotal += block(ghlCall, &ghlLat)
		}
	}
	if ghlTotal <= 0 || len(ghlLat.all) == 0 || len(handLat.all) == 0 {
		return
	}
	p99 := func(l *latencies) time.Duration {
		slices.Sort(l.all)
		return l.all[len(l.all)*99/100]
	}
	calls := float64(b.N * inFlight * perWorker)
	b.ReportMetric(float64(ghlTotal.Nanoseconds())/calls, "ghlkit-ns/call")
	b.ReportMetric(float64(handTotal.Nanoseconds())/calls, "hand-ns/call")
	b.ReportMetric(float64(handTotal)/float64(ghlTotal), "throughput-ratio")
	b.ReportMetric(float64(p99(&ghlLat))/float64(p99(&handLat)), "p99-ratio")
}
