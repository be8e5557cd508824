package api

import (
	"context"
	"iter"
)

// Paginate walks a paged endpoint lazily as an iterator. fetch gets a page
// for opts and returns its items and the options of the next page, or nil on
// the last page. Paginate works on its own copy of opts, keeps one page in
// memory, stops fetching as soon as the caller stops ranging, and yields an
// error at most once, as the last value.
//
// contacts builds its ListAll and SearchAll on it:
//
//	for c, err := range svc.All(ctx, opts) { ... }
func Paginate[T, O any](ctx context.Context, opts O, fetch func(ctx context.Context, opts O) (items []T, next *O, err error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cur := opts
		for {
			if err := ctx.Err(); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			items, next, err := fetch(ctx, cur)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == nil {
				return
			}
			cur = *next
		}
	}
}
