package api_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/internal/api"
)

func TestPaginate(t *testing.T) {
	t.Parallel()
	type opts struct{ Page int }
	pages := [][]int{{1, 2}, {3, 4}, {5}}
	var fetched []int
	fetch := func(_ context.Context, o opts) ([]int, *opts, error) {
		fetched = append(fetched, o.Page)
		var next *opts
		if o.Page+1 < len(pages) {
			next = &opts{Page: o.Page + 1}
		}
		return pages[o.Page], next, nil
	}
	start := opts{}
	var got []int
	for v, err := range api.Paginate(context.Background(), start, fetch) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if len(got) != 5 || got[4] != 5 || start.Page != 0 {
		t.Fatalf("got %v start %+v", got, start)
	}

	// Breaking early stops fetching.
	fetched = nil
	for v := range api.Paginate(context.Background(), opts{}, fetch) {
		if v == 2 {
			break
		}
	}
	if len(fetched) != 1 {
		t.Errorf("fetched pages %v after break on the first page", fetched)
	}

	// An error is yielded once, last.
	boom := errors.New("boom")
	var seen []error
	failing := func(_ context.Context, o opts) ([]int, *opts, error) {
		if o.Page == 1 {
			return nil, nil, boom
		}
		return []int{1}, &opts{Page: 1}, nil
	}
	for _, err := range api.Paginate(context.Background(), opts{}, failing) {
		seen = append(seen, err)
	}
	if len(seen) != 2 || seen[0] != nil || seen[1] != boom {
		t.Errorf("seen %v", seen)
	}

	// A cancelled context ends the walk with its error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range api.Paginate(ctx, opts{}, fetch) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	}
}

func TestCheckIDNamesTheParameter(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "  ", ".", ".."} {
		err := api.CheckID("taskID", bad)
		var pe *ghl.ParamError
		if !errors.As(err, &pe) || pe.Param != "taskID" || !errors.Is(err, ghl.ErrInvalidParam) {
			t.Errorf("CheckID(%q) = %v", bad, err)
		}
	}
	for _, ok := range []string{"a", "a/b", "...", "x.y"} {
		if err := api.CheckID("taskID", ok); err != nil {
			t.Errorf("CheckID(%q) = %v", ok, err)
		}
	}
}
