package contacts_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
)

// contactsJSON returns n contacts c<from>..., each with a searchAfter cursor
// when withCursor is set.
func contactsJSON(from, n int, withCursor bool) string {
	var parts []string
	for i := from; i < from+n; i++ {
		after := ""
		if withCursor {
			after = fmt.Sprintf(`,"searchAfter":[%d,"c%d"]`, 1000+i, i)
		}
		parts = append(parts, fmt.Sprintf(`{"id":"c%d","dateAdded":"2024-01-01T00:00:%02d.000Z"%s}`, i, i, after))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func collect(t *testing.T, seq func(func(contacts.Contact, error) bool)) (ids []string, errs []error) {
	t.Helper()
	for c, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, c.ID)
	}
	return ids, errs
}

func TestListAll(t *testing.T) {
	t.Parallel()
	t.Run("follows the meta cursor", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 2, false)+`,"meta":{"total":5,"startAfterId":"c1","startAfter":11}}`).
			reply(200, `{"contacts":`+contactsJSON(2, 2, false)+`,"meta":{"total":5,"startAfterId":"c3","startAfter":33}}`).
			reply(200, `{"contacts":`+contactsJSON(4, 1, false)+`,"meta":{"total":5}}`)
		ids, errs := collect(t, svc.ListAll(t.Context(), contacts.ListOptions{Limit: 2, Query: "x"}))
		if len(errs) != 0 || strings.Join(ids, ",") != "c0,c1,c2,c3,c4" {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
		reqs := m.requests()
		want := []string{
			"/contacts/?limit=2&locationId=loc1&query=x",
			"/contacts/?limit=2&locationId=loc1&query=x&startAfter=11&startAfterId=c1",
			"/contacts/?limit=2&locationId=loc1&query=x&startAfter=33&startAfterId=c3",
		}
		if len(reqs) != len(want) {
			t.Fatalf("sent %d requests, want %d", len(reqs), len(want))
		}
		for i, r := range reqs {
			checkWire(t, r, "GET", want[i], "")
		}
	})
	t.Run("falls back to the last contact", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 2, false)+`}`).reply(200, `{"contacts":[]}`)
		ids, errs := collect(t, svc.ListAll(t.Context(), contacts.ListOptions{Limit: 2}))
		if len(errs) != 0 || len(ids) != 2 {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
		reqs := m.requests()
		if len(reqs) != 2 {
			t.Fatalf("sent %d requests", len(reqs))
		}
		// c1 was added at 2024-01-01T00:00:01Z.
		checkWire(t, reqs[1], "GET", "/contacts/?limit=2&locationId=loc1&startAfter=1704067201000&startAfterId=c1", "")
	})
	t.Run("a cursor that does not move is an error", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		page := `{"contacts":` + contactsJSON(0, 2, false) + `,"meta":{"startAfterId":"c1","startAfter":11}}`
		m.reply(200, page).reply(200, page)
		ids, errs := collect(t, svc.ListAll(t.Context(), contacts.ListOptions{Limit: 2}))
		if len(ids) != 4 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "same cursor") {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
		if n := len(m.requests()); n != 2 {
			t.Errorf("sent %d requests, want 2", n)
		}
	})
	t.Run("stops when the caller stops", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 20, false)+`,"meta":{"startAfterId":"c19","startAfter":1}}`)
		n := 0
		for _, err := range svc.ListAll(t.Context(), contacts.ListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 3 {
				break
			}
		}
		if got := len(m.requests()); got != 1 {
			t.Errorf("sent %d requests after breaking on page 1, want 1", got)
		}
	})
	t.Run("yields an error once and stops", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 2, false)+`,"meta":{"startAfterId":"c1","startAfter":1}}`).
			reply(401, `{"message":"Invalid JWT"}`)
		ids, errs := collect(t, svc.ListAll(t.Context(), contacts.ListOptions{Limit: 2}))
		if len(ids) != 2 || len(errs) != 1 || !ghl.IsUnauthorized(errs[0]) {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
	})
	t.Run("invalid options are the only value", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		ids, errs := collect(t, svc.ListAll(t.Context(), contacts.ListOptions{Limit: 1000}))
		if len(ids) != 0 || len(errs) != 1 || !errors.Is(errs[0], ghl.ErrInvalidParam) {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
		if n := len(m.requests()); n != 0 {
			t.Errorf("sent %d requests", n)
		}
	})
}

func TestSearchAll(t *testing.T) {
	t.Parallel()
	t.Run("follows searchAfter", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 2, true)+`,"total":3}`).
			reply(200, `{"contacts":`+contactsJSON(2, 1, true)+`,"total":3}`)
		params := contacts.SearchParams{PageLimit: 2, Filters: []contacts.Filter{contacts.Where("tags", contacts.OpEq, "vip")}}
		ids, errs := collect(t, svc.SearchAll(t.Context(), params))
		if len(errs) != 0 || strings.Join(ids, ",") != "c0,c1,c2" {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
		reqs := m.requests()
		if len(reqs) != 2 {
			t.Fatalf("sent %d requests", len(reqs))
		}
		filters := `"filters":[{"field":"tags","operator":"eq","value":"vip"}]`
		checkWire(t, reqs[0], "POST", "/contacts/search", `{"locationId":"loc1",`+filters+`,"pageLimit":2}`)
		checkWire(t, reqs[1], "POST", "/contacts/search", `{"locationId":"loc1",`+filters+`,"pageLimit":2,"searchAfter":[1001,"c1"]}`)
		if params.PageLimit != 2 || params.SearchAfter != nil {
			t.Error("SearchAll changed the caller's params")
		}
	})
	t.Run("pages by number without cursors", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 2, false)+`,"total":4}`).
			reply(200, `{"contacts":`+contactsJSON(2, 2, false)+`,"total":4}`)
		ids, errs := collect(t, svc.SearchAll(t.Context(), contacts.SearchParams{PageLimit: 2}))
		if len(errs) != 0 || len(ids) != 4 {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
		reqs := m.requests()
		if len(reqs) != 2 {
			t.Fatalf("sent %d requests, want 2 (the total says there is no third page)", len(reqs))
		}
		checkWire(t, reqs[0], "POST", "/contacts/search", `{"locationId":"loc1","pageLimit":2}`)
		checkWire(t, reqs[1], "POST", "/contacts/search", `{"locationId":"loc1","page":2,"pageLimit":2}`)
	})
	t.Run("a full last page ends on an empty one", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 2, false)+`}`).reply(200, `{"contacts":[]}`)
		ids, errs := collect(t, svc.SearchAll(t.Context(), contacts.SearchParams{PageLimit: 2, Page: 3}))
		if len(errs) != 0 || len(ids) != 2 {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
		reqs := m.requests()
		if len(reqs) != 2 {
			t.Fatalf("sent %d requests", len(reqs))
		}
		checkWire(t, reqs[1], "POST", "/contacts/search", `{"locationId":"loc1","page":4,"pageLimit":2}`)
	})
	t.Run("cursor paging without a new cursor is an error", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 2, false)+`}`)
		ids, errs := collect(t, svc.SearchAll(t.Context(), contacts.SearchParams{PageLimit: 2, SearchAfter: []json.RawMessage{json.RawMessage(`1`)}}))
		if len(ids) != 2 || len(errs) != 1 {
			t.Fatalf("ids = %v, errs = %v", ids, errs)
		}
	})
	t.Run("default page limit", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		m.reply(200, `{"contacts":`+contactsJSON(0, 3, true)+`}`)
		ids, _ := collect(t, svc.SearchAll(t.Context(), contacts.SearchParams{}))
		if len(ids) != 3 {
			t.Fatalf("ids = %v", ids)
		}
		checkWire(t, m.only(t), "POST", "/contacts/search", fmt.Sprintf(`{"locationId":"loc1","pageLimit":%d}`, contacts.DefaultPageLimit))
	})
	t.Run("ranging twice starts over", func(t *testing.T) {
		t.Parallel()
		svc, m := newMock(t)
		page := `{"contacts":` + contactsJSON(0, 1, true) + `}`
		m.reply(200, page).reply(200, page)
		seq := svc.SearchAll(t.Context(), contacts.SearchParams{PageLimit: 5})
		a, _ := collect(t, seq)
		b, _ := collect(t, seq)
		if len(a) != 1 || len(b) != 1 {
			t.Fatalf("got %v then %v", a, b)
		}
		reqs := m.requests()
		if len(reqs) != 2 || reqs[0].Body != reqs[1].Body {
			t.Errorf("second range did not start over: %+v", reqs)
		}
	})
}
