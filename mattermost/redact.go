package mattermost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

const redacted = "[REDACTED]"

// redactor replaces secrets (a token, a webhook key) in text bound for logs
// and errors.
type redactor []string

func newRedactor(secrets ...string) redactor {
	var r redactor
	for _, s := range secrets {
		if s != "" {
			r = append(r, s)
		}
	}
	return r
}

func (r redactor) contains(s string) bool {
	for _, secret := range r {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

func (r redactor) redact(s string) string {
	for _, secret := range r {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

// error returns err, or an error with the same message minus the secrets
// when err's text would reveal one. The replacement still matches the
// sentinels callers test for (context errors, ErrOutcomeUnknown), but does
// not unwrap to the original, which may hold the secret in a field.
func (r redactor) error(err error) error {
	if err == nil || !r.contains(err.Error()) {
		return err
	}
	return &redactedError{msg: r.redact(err.Error()), orig: err}
}

type redactedError struct {
	msg  string
	orig error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Is(target error) bool {
	switch target {
	case ErrOutcomeUnknown, context.Canceled, context.DeadlineExceeded:
		return errors.Is(e.orig, target)
	}
	return false
}

// logger wraps l so that every message and attribute it logs has the
// secrets replaced. It returns nil for a nil l: nothing is logged then.
func (r redactor) logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return nil
	}
	return slog.New(redactHandler{h: l.Handler(), r: r})
}

type redactHandler struct {
	h slog.Handler
	r redactor
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return redactHandler{h: h.h.WithAttrs(clean), r: h.r}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h: h.h.WithGroup(name), r: h.r}
}

func (h redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.redact(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); h.r.contains(s) {
			return slog.String(a.Key, h.r.redact(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
