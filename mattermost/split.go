package mattermost

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitMessage packs Markdown items (list lines, paragraphs) into messages
// of at most limit characters (runes, as Mattermost counts; limit <= 0 means
// MaxMessageRunes). The first message starts with header, every later one
// with continued (e.g. "_(continued)_"); either may be empty. Items are
// joined with "\n" and never split across messages, except an item too long
// for a message of its own: that one is cut at a line break or space where
// possible, and never inside a character, an escape sequence or a combined
// character sequence.
//
// Post the first message and the rest as replies in its thread (see
// Client.PostMessages), or as separate posts.
func SplitMessage(header, continued string, items []string, limit int) []string {
	if limit <= 0 {
		limit = MaxMessageRunes
	}
	// Prefixes may take at most half a message; a longer header becomes an
	// ordinary (cuttable) item and a longer continuation marker is dropped.
	if utf8.RuneCountInString(continued) > limit/2 {
		continued = ""
	}
	if utf8.RuneCountInString(header) > limit/2 {
		items = append([]string{header}, items...)
		header = ""
	}

	var out []string
	var cur strings.Builder
	curLen := 0      // runes in cur
	hasItem := false // cur holds more than its prefix
	open := func(prefix string) {
		cur.Reset()
		cur.WriteString(prefix)
		curLen = utf8.RuneCountInString(prefix)
		hasItem = false
	}
	emit := func() {
		out = append(out, cur.String())
	}
	// room is how many runes the next item may have.
	room := func() int {
		if curLen == 0 {
			return limit
		}
		return limit - curLen - 1 // the newline before it
	}
	add := func(s string) {
		if curLen > 0 {
			cur.WriteByte('\n')
			curLen++
		}
		cur.WriteString(s)
		curLen += utf8.RuneCountInString(s)
		hasItem = true
	}

	open(header)
	for _, item := range items {
		n := utf8.RuneCountInString(item)
		if n <= room() {
			add(item)
			continue
		}
		if hasItem {
			emit()
			open(continued)
		}
		if n <= room() {
			add(item)
			continue
		}
		// The item alone is too long for a message: cut it.
		rest := item
		for rest != "" {
			r := room()
			if r < 1 {
				open("")
				r = room()
			}
			if utf8.RuneCountInString(rest) <= r {
				add(rest)
				break
			}
			head, tail := cutRunes(rest, r)
			add(head)
			emit()
			open(continued)
			rest = tail
			if limit >= 4 {
				// (With tinier limits the added backslash could keep the
				// loop from making progress.)
				rest = escapeLineStart(tail)
			}
		}
	}
	if hasItem || (len(out) == 0 && curLen > 0) {
		emit()
	}
	return out
}

// cutRunes splits s into a head of at most max runes and the rest. It cuts
// after the last line break in the window if there is one in its second
// half, else at the last space, else at a rune boundary; it never leaves a
// backslash escape or a combined character sequence split.
func cutRunes(s string, max int) (head, tail string) {
	// Byte offset of the end of the window.
	end, count := 0, 0
	for end < len(s) && count < max {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		count++
	}
	cut := end
	window := s[:end]
	if i := strings.LastIndexByte(window, '\n'); i > len(window)/2 {
		head, tail = s[:i], s[i+1:]
		return head, tail
	}
	if i := strings.LastIndexByte(window, ' '); i > len(window)/2 {
		head, tail = s[:i], s[i+1:]
		return head, tail
	}
	// Hard cut: step back over boundaries that must not be split.
	for cut > 0 && !safeCut(s, cut) {
		_, size := utf8.DecodeLastRuneInString(s[:cut])
		cut -= size
	}
	if cut == 0 {
		cut = end // nothing better: a rune boundary is still guaranteed
	}
	return s[:cut], s[cut:]
}

// safeCut reports whether s may be cut at byte offset i (a rune boundary).
func safeCut(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(s[i:])
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	// An odd run of backslashes before the cut would escape across it.
	bs := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		bs++
	}
	if bs%2 == 1 {
		return false
	}
	if unicode.In(next, unicode.Mn, unicode.Me, unicode.Mc) || next == '\u200d' || next == '\u200b' ||
		next == '\ufe0e' || next == '\ufe0f' || prev == '\u200d' || unicode.Is(unicode.Cs, next) {
		return false
	}
	// Keep regional-indicator pairs (flags) together.
	if isRegional(prev) && isRegional(next) {
		n := 0
		for j := i; j > 0; {
			r, size := utf8.DecodeLastRuneInString(s[:j])
			if !isRegional(r) {
				break
			}
			n++
			j -= size
		}
		return n%2 == 0
	}
	return true
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// escapeLineStart escapes a block marker that a cut moved to the start of a
// message, so that the rest of a cut item does not turn into a list or
// heading.
func escapeLineStart(s string) string {
	s = strings.TrimLeft(s, " ")
	if s == "" {
		return s
	}
	switch s[0] {
	case '-', '+', '=':
		return "\\" + s
	}
	if n := leadingDigits(s); n > 0 && n < len(s) && (s[n] == '.' || s[n] == ')') {
		return s[:n] + "\\" + s[n:]
	}
	return s
}
