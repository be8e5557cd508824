package mattermost

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func checkParts(t *testing.T, parts []string, limit int) {
	t.Helper()
	for i, p := range parts {
		if !utf8.ValidString(p) {
			t.Errorf("part %d is not valid UTF-8 (split inside a character)", i)
		}
		if n := utf8.RuneCountInString(p); n > limit {
			t.Errorf("part %d has %d runes, limit %d", i, n, limit)
		}
	}
}

func TestSplitMessageFits(t *testing.T) {
	t.Parallel()
	got := SplitMessage("Header", "cont", []string{"a", "b"}, 100)
	if len(got) != 1 || got[0] != "Header\na\nb" {
		t.Fatalf("got %q", got)
	}
	if got := SplitMessage("", "", nil, 100); got != nil {
		t.Errorf("no header, no items: got %q, want nil", got)
	}
	if got := SplitMessage("Only", "", nil, 100); len(got) != 1 || got[0] != "Only" {
		t.Errorf("header only: got %q", got)
	}
}

func TestSplitMessageAtItemBoundaries(t *testing.T) {
	t.Parallel()
	// Each item is 10 runes of multi-byte characters (2, 3 and 4 bytes).
	items := []string{
		strings.Repeat("é", 10),
		strings.Repeat("中", 10),
		strings.Repeat("😀", 10),
		strings.Repeat("ü", 10),
	}
	// "H" + "\n" + item + "\n" + item = 23 runes; a third item would make 34.
	parts := SplitMessage("H", "C", items, 25)
	checkParts(t, parts, 25)
	want := []string{
		"H\n" + items[0] + "\n" + items[1],
		"C\n" + items[2] + "\n" + items[3],
	}
	if len(parts) != len(want) {
		t.Fatalf("got %d parts %q, want %d", len(parts), parts, len(want))
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("part %d = %q, want %q", i, parts[i], want[i])
		}
	}
}

func TestSplitMessageExactLimit(t *testing.T) {
	t.Parallel()
	item := strings.Repeat("ß", 10)
	// "ß"*10 + "\n" + "ß"*10 = 21 runes: fits a limit of 21 exactly.
	parts := SplitMessage("", "", []string{item, item}, 21)
	if len(parts) != 1 {
		t.Fatalf("got %d parts, want 1: %q", len(parts), parts)
	}
	parts = SplitMessage("", "", []string{item, item}, 20)
	if len(parts) != 2 || parts[0] != item || parts[1] != item {
		t.Fatalf("limit 20: got %q", parts)
	}
}

func TestSplitMessageOversizedItem(t *testing.T) {
	t.Parallel()
	// One item of 100 four-byte runes with no spaces, between two small ones.
	big := strings.Repeat("😀", 100)
	parts := SplitMessage("", "", []string{"small", big, "tail"}, 30)
	checkParts(t, parts, 30)
	if parts[0] != "small" {
		t.Errorf("first part %q, want the small item alone", parts[0])
	}
	joined := strings.Join(parts[1:], "")
	if !strings.HasPrefix(joined, big) {
		t.Errorf("the oversized item was not kept whole across parts")
	}
	if last := parts[len(parts)-1]; !strings.HasSuffix(last, "tail") {
		t.Errorf("last part %q does not end with the next item", last)
	}
}

func TestSplitMessageOversizedItemCutsAtSpaces(t *testing.T) {
	t.Parallel()
	words := strings.Repeat("wörd ", 40) // 200 runes
	parts := SplitMessage("", "", []string{strings.TrimSpace(words)}, 52)
	checkParts(t, parts, 52)
	for i, p := range parts {
		if strings.HasPrefix(p, " ") || strings.HasSuffix(p, " ") {
			t.Errorf("part %d %q was not cut at a space", i, p)
		}
		for _, w := range strings.Fields(p) {
			if w != "wörd" {
				t.Errorf("part %d cut inside a word: %q", i, w)
			}
		}
	}
}

func TestSplitMessageKeepsEscapesAndClusters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		item  string
		limit int
	}{
		// A cut at 5 would leave "abcd\" and "*...": the escape split.
		{"escape", "abcd\\*efgh\\*ijkl", 5},
		// A mention breaker must stay after its '@'.
		{"zwsp", "abcd@\u200bhereandmore", 5},
		// A combining accent stays with its letter.
		{"combining", "abcde\u0301fghij", 5},
		// A flag is two regional indicators.
		{"flag", "abcd🇩🇪🇫🇷xyz", 5},
		// Emoji joined by ZWJ.
		{"zwj", "abcd👩\u200d💻xyz", 5},
	}
	for _, tt := range tests {
		parts := SplitMessage("", "", []string{tt.item}, tt.limit)
		checkParts(t, parts, tt.limit)
		if strings.Join(parts, "") != tt.item {
			t.Errorf("%s: parts %q do not rejoin to %q", tt.name, parts, tt.item)
		}
		for i, p := range parts {
			if strings.HasSuffix(p, "\\") && !strings.HasSuffix(p, "\\\\") {
				t.Errorf("%s: part %d %q ends inside an escape", tt.name, i, p)
			}
			first, _ := utf8.DecodeRuneInString(p)
			last, _ := utf8.DecodeLastRuneInString(p)
			if i > 0 && (first == '\u200b' || first == '\u0301' || first == '\u200d') {
				t.Errorf("%s: part %d %q starts with a joining character", tt.name, i, p)
			}
			if last == '\u200d' {
				t.Errorf("%s: part %d %q ends with a joiner", tt.name, i, p)
			}
		}
		if tt.name == "flag" {
			for _, p := range parts {
				if n := strings.Count(p, "🇩") + strings.Count(p, "🇪") + strings.Count(p, "🇫") + strings.Count(p, "🇷"); n%2 != 0 {
					t.Errorf("flag split: part %q", p)
				}
			}
		}
	}
}

func TestSplitMessageCutDoesNotStartList(t *testing.T) {
	t.Parallel()
	parts := SplitMessage("", "", []string{"aaaaaaaa - bbbb"}, 10)
	checkParts(t, parts, 10)
	for i, p := range parts[1:] {
		if strings.HasPrefix(strings.TrimLeft(p, " "), "- ") {
			t.Errorf("part %d %q starts a list", i+1, p)
		}
	}
}

func TestSplitMessageMattermostLimit(t *testing.T) {
	t.Parallel()
	var items []string
	for i := 0; i < 1000; i++ {
		items = append(items, "- ⬜ **Task "+strings.Repeat("ä", 40)+"** · due Mon 1 Jan 2024")
	}
	parts := SplitMessage("**Tasks**\n", "_(continued)_\n", items, 0)
	checkParts(t, parts, MaxMessageRunes)
	if len(parts) < 4 {
		t.Fatalf("got %d parts, want at least 4", len(parts))
	}
	n := 0
	for i, p := range parts {
		lines := strings.Split(p, "\n")
		if i == 0 && lines[0] != "**Tasks**" {
			t.Errorf("first part starts %q", lines[0])
		}
		if i > 0 && lines[0] != "_(continued)_" {
			t.Errorf("part %d starts %q", i, lines[0])
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "- ") {
				if l != items[0] {
					t.Fatalf("item changed: %q", l)
				}
				n++
			}
		}
	}
	if n != len(items) {
		t.Errorf("got %d items across parts, want %d", n, len(items))
	}
}

func FuzzSplitMessage(f *testing.F) {
	f.Add("head", "cont", "a\nb c", "dd", 5)
	f.Add("", "", "😀😀😀😀😀😀", "é", 3)
	f.Add("h", "", "a\\*b\\*c", "", 2)
	f.Fuzz(func(t *testing.T, header, continued, a, b string, limit int) {
		valid := utf8.ValidString(header) && utf8.ValidString(continued) && utf8.ValidString(a) && utf8.ValidString(b)
		if limit < 1 || limit > 200 || !valid {
			t.Skip()
		}
		parts := SplitMessage(header, continued, []string{a, b}, limit)
		for i, p := range parts {
			if !utf8.ValidString(p) {
				t.Fatalf("part %d invalid UTF-8", i)
			}
			if n := utf8.RuneCountInString(p); n > limit {
				t.Fatalf("part %d %q has %d runes > %d", i, p, n, limit)
			}
		}
	})
}
