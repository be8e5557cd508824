package ghl_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/ghlkit/ghl"
)

// A call to an endpoint through the shared client, and HighLevel's error
// read back with errors.As.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/contacts/c1/tasks" {
			fmt.Fprint(w, `{"tasks":[{"id":"t1","title":"Call back"}]}`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"statusCode":404,"message":"Contact not found"}`)
	}))
	defer srv.Close()

	c, err := ghl.NewClient(ghl.WithToken("pit-example"), ghl.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	path, _ := ghl.Path("/contacts/%s/tasks", "c1")
	var list struct {
		Tasks []struct{ ID, Title string }
	}
	if _, err := c.Do(ctx, &ghl.Request{Method: http.MethodGet, Path: path}, &list); err != nil {
		panic(err)
	}
	fmt.Println(list.Tasks[0].ID, list.Tasks[0].Title)

	path, _ = ghl.Path("/contacts/%s", "missing")
	_, err = c.Do(ctx, &ghl.Request{Path: path}, nil)
	var apiErr *ghl.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message, ghl.IsNotFound(err))
	}
	// Output:
	// t1 Call back
	// 404 Contact not found true
}
