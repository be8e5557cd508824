package mattermost

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// zwsp is U+200B ZERO WIDTH SPACE. Put after an '@' it keeps the text
// looking the same while Mattermost no longer sees a mention.
const zwsp = "\u200b"

// EscapeMarkdown makes untrusted text (from the CRM, from users) safe to put
// in a Mattermost message or attachment text: it reads as written and cannot
// change the formatting around it, and it cannot notify anyone.
//
//   - Markdown punctuation that would format (\ ` * _ [ ] # | ~ >) is
//     backslash-escaped; list, heading and quote markers at the start of a
//     line are escaped; leading indentation (a code block) is kept visible
//     with no-break spaces.
//   - An '@' that could start a mention (@channel, @all, @here, @user) is
//     followed by a zero-width space, so it shows unchanged but notifies no
//     one. An '@' inside a word (an email address) is left alone: Mattermost
//     only sees mentions at the start of a word.
//   - Control characters other than newline and tab are removed, and so
//     are invisible format characters (Unicode category Cf: bidirectional
//     controls such as U+202E, which can display a file name reversed,
//     zero-width characters, U+FEFF, soft hyphens); "\r\n" and "\r" become
//     "\n". The only invisible character in the output is the zero-width
//     space the escaper itself puts after an '@'.
//
// Newlines are kept; use EscapeInline for text that must stay on one line.
func EscapeMarkdown(s string) string {
	s = strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, normalizeNewlines(s))
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		escapeLine(&b, line)
	}
	return b.String()
}

// EscapeInline is EscapeMarkdown for text shown on one line (a name, a
// title, a table cell): newlines and tabs become spaces and surrounding
// spaces are trimmed, so the text cannot start a new Markdown block or break
// out of the **bold** or link it is placed in.
func EscapeInline(s string) string {
	return EscapeMarkdown(oneLine(s))
}

// PlainText prepares untrusted text for places Mattermost shows without
// Markdown (an attachment's fallback, author_name and footer, notification
// text): one line, no control or invisible format characters (as for
// EscapeMarkdown), and no mentions. Nothing is backslash-escaped.
func PlainText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	b.Grow(len(s))
	var prev rune = -1
	for _, r := range s {
		b.WriteRune(r)
		if r == '@' && mentionStart(prev) {
			b.WriteString(zwsp)
		}
		prev = r
	}
	return b.String()
}

// oneLine turns line breaks and tabs into spaces, drops other control
// characters, and trims spaces.
func oneLine(s string) string {
	s = normalizeNewlines(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			return ' '
		case isControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func normalizeNewlines(s string) string {
	if !strings.ContainsAny(s, "\r\u2028\u2029") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.NewReplacer("\r", "\n", "\u2028", "\n", "\u2029", "\n").Replace(s)
}

// isControl reports the characters removed from untrusted text: controls
// (but newline and tab), invalid UTF-8, and invisible format characters
// (category Cf, bidirectional controls included), which could make text
// display otherwise than it reads.
func isControl(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Cf, r)
}

// mentionStart reports whether an '@' after prev could begin a mention:
// at the start of the text or after anything but a letter or digit.
func mentionStart(prev rune) bool {
	return prev < 0 || !(unicode.IsLetter(prev) || unicode.IsDigit(prev))
}

// alwaysEscape lists the characters escaped wherever they appear. All are in
// the set Mattermost's Markdown accepts after a backslash.
const alwaysEscape = "\\`*_[]#|~>"

func escapeLine(b *strings.Builder, line string) {
	// Leading indentation would make a code block: keep it visible as
	// no-break spaces, which Markdown does not count.
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		if line[i] == '\t' {
			b.WriteString("\u00a0\u00a0\u00a0\u00a0")
		} else {
			b.WriteString("\u00a0")
		}
		i++
	}
	line = line[i:]

	// Block markers at the start of a line: "- ", "+ ", "= " (setext
	// heading), "1. " and "1) " (ordered lists). '*', '#', '>' are escaped
	// everywhere below.
	if line != "" {
		switch line[0] {
		case '-', '+', '=':
			b.WriteByte('\\')
		default:
			if n := leadingDigits(line); n > 0 && n < len(line) && (line[n] == '.' || line[n] == ')') {
				b.WriteString(line[:n])
				b.WriteByte('\\')
				line = line[n:]
			}
		}
	}

	var prev rune = -1
	for _, r := range line {
		if r < utf8.RuneSelf && strings.IndexByte(alwaysEscape, byte(r)) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		if r == '@' && mentionStart(prev) {
			b.WriteString(zwsp)
		}
		prev = r
	}
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && n < 10 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
