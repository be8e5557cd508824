package ghltest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Search limits, as HighLevel documents them for POST /contacts/search.
const (
	searchDefaultPageLimit = 20
	searchMaxPageLimit     = 500
	searchMaxWindow        = 10000 // page * pageLimit; deeper pages need searchAfter
)

type fieldKind int

const (
	kindString fieldKind = iota
	kindList
	kindBool
	kindTime
)

// searchFields maps the filter and sort fields the server understands to
// their kind and accessor.
var searchFields = map[string]struct {
	kind fieldKind
	get  func(*Contact) any
}{
	"id":                 {kindString, func(c *Contact) any { return c.ID }},
	"email":              {kindString, func(c *Contact) any { return c.Email }},
	"phone":              {kindString, func(c *Contact) any { return c.Phone }},
	"firstName":          {kindString, func(c *Contact) any { return c.FirstName }},
	"firstNameLowerCase": {kindString, func(c *Contact) any { return c.FirstName }},
	"lastName":           {kindString, func(c *Contact) any { return c.LastName }},
	"lastNameLowerCase":  {kindString, func(c *Contact) any { return c.LastName }},
	"name":               {kindString, func(c *Contact) any { return c.Name }},
	"fullNameLowerCase":  {kindString, func(c *Contact) any { return c.Name }},
	"companyName":        {kindString, func(c *Contact) any { return c.CompanyName }},
	"source":             {kindString, func(c *Contact) any { return c.Source }},
	"type":               {kindString, func(c *Contact) any { return c.Type }},
	"address1":           {kindString, func(c *Contact) any { return c.Address1 }},
	"city":               {kindString, func(c *Contact) any { return c.City }},
	"state":              {kindString, func(c *Contact) any { return c.State }},
	"country":            {kindString, func(c *Contact) any { return c.Country }},
	"postalCode":         {kindString, func(c *Contact) any { return c.PostalCode }},
	"timezone":           {kindString, func(c *Contact) any { return c.Timezone }},
	"website":            {kindString, func(c *Contact) any { return c.Website }},
	"assignedTo":         {kindString, func(c *Contact) any { return c.AssignedTo }},
	"businessId":         {kindString, func(c *Contact) any { return c.BusinessID }},
	"tags":               {kindList, func(c *Contact) any { return c.Tags }},
	"followers":          {kindList, func(c *Contact) any { return c.Followers }},
	"dnd":                {kindBool, func(c *Contact) any { return c.DND }},
	"dateAdded":          {kindTime, func(c *Contact) any { return c.DateAdded }},
	"dateUpdated":        {kindTime, func(c *Contact) any { return c.DateUpdated }},
}

type pred func(*Contact) bool

type sortKey struct {
	field string
	kind  fieldKind
	get   func(*Contact) any
	desc  bool
}

// keyValue is the comparable value of a sort key: milliseconds for dates,
// lower-cased text for strings. It is what searchAfter carries.
func (k sortKey) value(c *Contact) any {
	switch v := k.get(c).(type) {
	case time.Time:
		return v.UnixMilli()
	case string:
		return strings.ToLower(v)
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	}
	return ""
}

func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case string:
		return cmp.Compare(x, b.(string))
	}
	return 0
}

// searchContacts serves POST /contacts/search: filters (field, operator,
// value; AND/OR groups), free-text query, sort, page/pageLimit and
// searchAfter cursors. Sorting by dateAdded (the default, newest first)
// walks the location's index directly.
func (s *Server) searchContacts(c *call) {
	f, ok := c.readBody("locationId", "page", "pageLimit", "searchAfter", "filters", "sort", "query")
	if !ok {
		return
	}
	loc, _ := f.str("locationId", true, false)
	page, pageLimit := 1, searchDefaultPageLimit
	if v, ok := f.number("page"); ok {
		if v < 1 || v != float64(int(v)) {
			f.errs = append(f.errs, "page must not be less than 1")
		}
		page = int(v)
	}
	if v, ok := f.number("pageLimit"); ok {
		switch {
		case v < 1 || v != float64(int(v)):
			f.errs = append(f.errs, "pageLimit must not be less than 1")
		case v > searchMaxPageLimit:
			f.errs = append(f.errs, fmt.Sprintf("pageLimit must not be greater than %d", searchMaxPageLimit))
		}
		pageLimit = int(v)
	}
	query, _ := f.str("query", false, false)
	var after []any
	if f.has("searchAfter") {
		if err := json.Unmarshal(f.m["searchAfter"], &after); err != nil || after == nil {
			f.errs = append(f.errs, "searchAfter must be an array")
		}
	}
	var filter pred
	if f.has("filters") {
		filter = parseFilterList(f.m["filters"], "filters", &f.errs, true)
	}
	sorts := []sortKey{{field: "dateAdded", kind: kindTime, get: searchFields["dateAdded"].get, desc: true}}
	if f.has("sort") {
		sorts = parseSort(f.m["sort"], &f.errs, sorts)
	}
	var cursor []any
	if after != nil {
		cursor = parseCursor(after, sorts, &f.errs)
	} else if page*pageLimit > searchMaxWindow {
		f.errs = append(f.errs, fmt.Sprintf("page * pageLimit must not exceed %d; use searchAfter to go further", searchMaxWindow))
	}
	if !c.valid(f) {
		return
	}
	if loc != c.tok.locationID {
		c.forbidden()
		return
	}
	match := func(ct *Contact) bool {
		return (filter == nil || filter(ct)) && matchesQuery(ct, query)
	}
	ls := s.location(loc)
	skip := (page - 1) * pageLimit
	var found []*contactRec
	total := 0
	if len(sorts) == 1 && sorts[0].field == "dateAdded" {
		found, total = ls.walkByDate(sorts[0].desc, cursor, skip, pageLimit, match, filter == nil && query == "")
	} else {
		found, total = ls.sortedSearch(sorts, cursor, skip, pageLimit, match)
	}
	out := make([]*contactWire, len(found))
	for i, rec := range found {
		w := renderContact(&rec.c)
		for _, k := range sorts {
			w.SearchAfter = append(w.SearchAfter, k.value(&rec.c))
		}
		w.SearchAfter = append(w.SearchAfter, rec.c.ID)
		out[i] = w
	}
	c.json(http.StatusOK, map[string]any{"contacts": out, "total": total})
}

// walkByDate pages through the index in date order without sorting.
func (ls *locationState) walkByDate(desc bool, cursor []any, skip, limit int, match func(*Contact) bool, all bool) ([]*contactRec, int) {
	n := len(ls.index)
	start := 0
	if desc {
		start = n - 1
	}
	if cursor != nil {
		ms, id := cursor[0].(int64), cursor[1].(string)
		pos := ls.position(ms, id) // first element >= cursor
		if desc {
			start = pos - 1
		} else {
			start = pos
			if pos < n && ls.index[pos].c.DateAdded.UnixMilli() == ms && ls.index[pos].c.ID == id {
				start++
			}
		}
		skip = 0
	}
	step := 1
	if desc {
		step = -1
	}
	out := make([]*contactRec, 0, limit)
	for i := start; i >= 0 && i < n && len(out) < limit; i += step {
		rec := ls.index[i]
		if !match(&rec.c) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, rec)
	}
	if all {
		return out, n
	}
	total := 0
	for _, rec := range ls.index {
		if match(&rec.c) {
			total++
		}
	}
	return out, total
}

// sortedSearch collects every match, sorts it and cuts the page.
func (ls *locationState) sortedSearch(sorts []sortKey, cursor []any, skip, limit int, match func(*Contact) bool) ([]*contactRec, int) {
	var all []*contactRec
	for _, rec := range ls.index {
		if match(&rec.c) {
			all = append(all, rec)
		}
	}
	compare := func(a *Contact, keys []any) int {
		for i, k := range sorts {
			r := compareValues(k.value(a), keys[i])
			if k.desc {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		r := cmp.Compare(a.ID, keys[len(sorts)].(string))
		if sorts[0].desc {
			r = -r
		}
		return r
	}
	keysOf := func(c *Contact) []any {
		keys := make([]any, 0, len(sorts)+1)
		for _, k := range sorts {
			keys = append(keys, k.value(c))
		}
		return append(keys, c.ID)
	}
	slices.SortFunc(all, func(a, b *contactRec) int { return compare(&a.c, keysOf(&b.c)) })
	pos := skip
	if cursor != nil {
		pos, _ = slices.BinarySearchFunc(all, cursor, func(r *contactRec, cur []any) int {
			if compare(&r.c, cur) <= 0 {
				return -1
			}
			return 1
		})
	}
	pos = min(pos, len(all))
	end := min(pos+limit, len(all))
	return slices.Clone(all[pos:end]), len(all)
}

func parseSort(raw json.RawMessage, errs *[]string, def []sortKey) []sortKey {
	var items []struct {
		Field     string `json:"field"`
		Direction string `json:"direction"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		*errs = append(*errs, "sort must be an array")
		return def
	}
	if len(items) == 0 {
		return def
	}
	var out []sortKey
	for i, it := range items {
		fd, ok := searchFields[it.Field]
		if !ok || fd.kind == kindList {
			*errs = append(*errs, fmt.Sprintf("sort.%d.field %q is not supported", i, it.Field))
			continue
		}
		if it.Direction != "asc" && it.Direction != "desc" {
			*errs = append(*errs, fmt.Sprintf("sort.%d.direction must be one of the following values: asc, desc", i))
			continue
		}
		out = append(out, sortKey{field: it.Field, kind: fd.kind, get: fd.get, desc: it.Direction == "desc"})
	}
	if len(out) == 0 {
		return def
	}
	return out
}

// parseCursor converts searchAfter ([sort values..., id]) to typed keys.
func parseCursor(after []any, sorts []sortKey, errs *[]string) []any {
	bad := func() []any {
		*errs = append(*errs, "searchAfter must hold the searchAfter value of a contact from the previous page")
		return nil
	}
	if len(after) != len(sorts)+1 {
		return bad()
	}
	out := make([]any, len(after))
	for i, k := range sorts {
		switch k.kind {
		case kindTime, kindBool:
			n, ok := after[i].(float64)
			if !ok {
				return bad()
			}
			out[i] = int64(n)
		default:
			s, ok := after[i].(string)
			if !ok {
				return bad()
			}
			out[i] = strings.ToLower(s)
		}
	}
	id, ok := after[len(sorts)].(string)
	if !ok {
		return bad()
	}
	out[len(sorts)] = id
	return out
}

// parseFilterList parses a list of filters or groups, ANDed together.
func parseFilterList(raw json.RawMessage, path string, errs *[]string, and bool) pred {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		*errs = append(*errs, path+" must be an array")
		return nil
	}
	var preds []pred
	for i, it := range items {
		if p := parseFilter(it, fmt.Sprintf("%s.%d", path, i), errs); p != nil {
			preds = append(preds, p)
		}
	}
	if and {
		return func(c *Contact) bool {
			for _, p := range preds {
				if !p(c) {
					return false
				}
			}
			return true
		}
	}
	return func(c *Contact) bool {
		for _, p := range preds {
			if p(c) {
				return true
			}
		}
		return len(preds) == 0
	}
}

func parseFilter(raw json.RawMessage, path string, errs *[]string) pred {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		*errs = append(*errs, path+" must be an object")
		return nil
	}
	if g, ok := m["group"]; ok {
		var group string
		_ = json.Unmarshal(g, &group)
		switch group {
		case "AND", "OR":
			return parseFilterList(m["filters"], path+".filters", errs, group == "AND")
		default:
			*errs = append(*errs, path+".group must be one of the following values: AND, OR")
			return nil
		}
	}
	var field, op string
	_ = json.Unmarshal(m["field"], &field)
	_ = json.Unmarshal(m["operator"], &op)
	fd, ok := searchFields[field]
	if !ok {
		*errs = append(*errs, fmt.Sprintf("%s.field %q is not supported", path, field))
		return nil
	}
	unsupported := func() pred {
		*errs = append(*errs, fmt.Sprintf("%s.operator %q is not supported for field %s", path, op, field))
		return nil
	}
	badValue := func() pred {
		*errs = append(*errs, fmt.Sprintf("%s.value is invalid for field %s and operator %s", path, field, op))
		return nil
	}
	switch op {
	case "exists", "not_exists":
		want := op == "exists"
		return func(c *Contact) bool { return present(fd.get(c)) == want }
	}
	value := m["value"]
	switch fd.kind {
	case kindString:
		vals, ok := stringValues(value)
		if !ok {
			return badValue()
		}
		norm := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
		if field == "phone" {
			norm = normalizePhone
		}
		for i := range vals {
			vals[i] = norm(vals[i])
		}
		eq := func(c *Contact) bool { return slices.Contains(vals, norm(fd.get(c).(string))) }
		contains := func(c *Contact) bool {
			v := strings.ToLower(fd.get(c).(string))
			for _, x := range vals {
				if strings.Contains(v, strings.ToLower(x)) {
					return true
				}
			}
			return false
		}
		switch op {
		case "eq":
			return eq
		case "not_eq":
			return func(c *Contact) bool { return !eq(c) }
		case "contains":
			return contains
		case "not_contains":
			return func(c *Contact) bool { return !contains(c) }
		}
		return unsupported()
	case kindList:
		vals, ok := stringValues(value)
		if !ok {
			return badValue()
		}
		for i := range vals {
			vals[i] = strings.ToLower(strings.TrimSpace(vals[i]))
		}
		hasAny := func(c *Contact) bool {
			for _, t := range fd.get(c).([]string) {
				if slices.Contains(vals, strings.ToLower(t)) {
					return true
				}
			}
			return false
		}
		switch op {
		case "eq", "contains":
			return hasAny
		case "not_eq", "not_contains":
			return func(c *Contact) bool { return !hasAny(c) }
		}
		return unsupported()
	case kindBool:
		var want bool
		if err := json.Unmarshal(value, &want); err != nil {
			return badValue()
		}
		switch op {
		case "eq":
			return func(c *Contact) bool { return fd.get(c).(bool) == want }
		case "not_eq":
			return func(c *Contact) bool { return fd.get(c).(bool) != want }
		}
		return unsupported()
	case kindTime:
		if op != "range" {
			return unsupported()
		}
		var r map[string]json.RawMessage
		if err := json.Unmarshal(value, &r); err != nil || len(r) == 0 {
			return badValue()
		}
		type bound struct {
			ms int64
			op string
		}
		var bounds []bound
		for _, k := range sortedKeys(r) {
			ms, ok := timeValue(r[k])
			if !ok || !slices.Contains([]string{"gt", "gte", "lt", "lte"}, k) {
				return badValue()
			}
			bounds = append(bounds, bound{ms, k})
		}
		return func(c *Contact) bool {
			v := fd.get(c).(time.Time).UnixMilli()
			for _, b := range bounds {
				ok := map[string]bool{"gt": v > b.ms, "gte": v >= b.ms, "lt": v < b.ms, "lte": v <= b.ms}[b.op]
				if !ok {
					return false
				}
			}
			return true
		}
	}
	return unsupported()
}

func present(v any) bool {
	switch x := v.(type) {
	case string:
		return x != ""
	case []string:
		return len(x) > 0
	case time.Time:
		return !x.IsZero()
	case bool:
		return true
	}
	return false
}

// stringValues reads a filter value that is a string or a list of strings.
func stringValues(raw json.RawMessage) ([]string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && !isJSONNull(raw) {
		return []string{s}, true
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err == nil && l != nil {
		return l, true
	}
	return nil, false
}

// timeValue reads a date bound: milliseconds since the epoch, or an ISO
// 8601 string.
func timeValue(raw json.RawMessage) (int64, bool) {
	var n float64
	if err := json.Unmarshal(raw, &n); err == nil {
		return int64(n), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, false
	}
	t, err := parseISO(s)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}
