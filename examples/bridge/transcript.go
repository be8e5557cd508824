package main

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/ghlkit/ghl/mattermost"
	"github.com/ghlkit/ghl/mattermost/mattermosttest"
)

// transcript prints what changes in the fake Mattermost between steps: new
// posts (thread replies indented), edited posts, and ephemeral messages.
type transcript struct {
	out      io.Writer
	mm       *mattermosttest.Server
	channels []mattermosttest.Channel
	users    map[string]string // user ID → username
	seen     map[string]int64  // post ID → UpdateAt printed
	eph      map[string]int    // user ID → ephemeral posts printed
	step     int
}

func newTranscript(out io.Writer, mm *mattermosttest.Server, channels []mattermosttest.Channel, users ...mattermosttest.User) *transcript {
	t := &transcript{out: out, mm: mm, channels: channels, users: map[string]string{}, seen: map[string]int64{}, eph: map[string]int{}}
	for _, u := range users {
		t.users[u.ID] = u.Username
	}
	return t
}

// heading starts a step.
func (t *transcript) heading(format string, args ...any) {
	t.step++
	fmt.Fprintf(t.out, "\n%2d. %s\n", t.step, fmt.Sprintf(format, args...))
}

// note prints a remark of the narrator.
func (t *transcript) note(format string, args ...any) {
	fmt.Fprintf(t.out, "    · %s\n", fmt.Sprintf(format, args...))
}

// typed shows what a user typed.
func (t *transcript) typed(user, channel, line string) {
	fmt.Fprintf(t.out, "    %s in ~%s> %s\n", user, channel, line)
}

// flush prints everything that appeared since the last flush.
func (t *transcript) flush() {
	for _, ch := range t.channels {
		posts := t.mm.Posts(ch.ID)
		for _, p := range posts {
			at, known := t.seen[p.ID]
			switch {
			case !known:
				t.printPost(ch.Name, p, "")
			case p.UpdateAt > at:
				t.printPost(ch.Name, p, " (updated)")
			default:
				continue
			}
			t.seen[p.ID] = p.UpdateAt
		}
	}
	ids := make([]string, 0, len(t.users))
	for id := range t.users {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(t.users[a], t.users[b]) })
	for _, id := range ids {
		eps := t.mm.Ephemeral(id)
		for _, e := range eps[t.eph[id]:] {
			if msg := clean(e.Post.Message); msg != "" {
				fmt.Fprintf(t.out, "    (only %s sees) %s\n", t.users[id], indent(msg, "        "))
			} else {
				fmt.Fprintf(t.out, "    (only %s sees)\n", t.users[id])
			}
			for _, a := range e.Post.Props.Attachments {
				t.printAttachment(a, "        ")
			}
		}
		t.eph[id] = len(eps)
	}
}

func (t *transcript) printPost(channel string, p mattermost.Post, suffix string) {
	author := t.users[p.UserID]
	if author == "" {
		author = "?"
	}
	prefix := "    "
	where := "~" + channel
	if p.RootID != "" {
		prefix = "        ↳ "
		where = "thread in ~" + channel
	}
	fmt.Fprintf(t.out, "%s[%s] %s%s:\n", prefix, where, author, suffix)
	body := strings.Repeat(" ", len([]rune(prefix))+2)
	if p.Message != "" {
		fmt.Fprintf(t.out, "%s%s\n", body, indent(clean(p.Message), body))
	}
	for _, a := range p.Props.Attachments {
		t.printAttachment(a, body)
	}
}

func (t *transcript) printAttachment(a mattermost.Attachment, pad string) {
	line := func(s string) {
		if s = strings.TrimSpace(clean(s)); s != "" {
			fmt.Fprintf(t.out, "%s┆ %s\n", pad, indent(s, pad+"┆ "))
		}
	}
	line(a.Pretext)
	line(a.Title)
	line(a.Text)
	var fields []string
	for _, f := range a.Fields {
		fields = append(fields, f.Title+": "+clean(f.Value))
	}
	if len(fields) > 0 {
		line(strings.Join(fields, " · "))
	}
	var buttons []string
	for _, act := range a.Actions {
		buttons = append(buttons, "["+act.Name+"]")
	}
	line(strings.Join(buttons, " "))
}

var (
	mdLink   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdEscape = regexp.MustCompile("\\\\([!-/:-@\\[-`{-~])")
)

// clean makes Markdown easier to read in a terminal: links show their
// text, backslash escapes and the zero-width spaces that break mentions
// go.
func clean(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdEscape.ReplaceAllString(s, "$1")
	return strings.ReplaceAll(s, "\u200b", "")
}

func indent(s, pad string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}
