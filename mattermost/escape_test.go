package mattermost

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// notifyingMention reports the first mention in s that Mattermost would
// act on: an '@' at the start of a word (after nothing, or after a
// non-letter, non-digit) directly followed by a letter, digit or one of the
// characters usernames contain. It is deliberately stricter than
// Mattermost's own parser.
func notifyingMention(s string) (string, bool) {
	var prev rune = -1
	for i, r := range s {
		if r == '@' && (prev < 0 || !(unicode.IsLetter(prev) || unicode.IsDigit(prev))) {
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			if unicode.IsLetter(next) || unicode.IsDigit(next) || strings.ContainsRune("._-", next) {
				end := min(len(s), i+12)
				return s[i:end], true
			}
		}
		prev = r
	}
	return "", false
}

func TestEscapeMarkdownMentions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"@channel", "@\u200bchannel"},
		{"@all please", "@\u200ball please"},
		{"hey @here!", "hey @\u200bhere!"},
		{"ping @alice and @bob.smith", "ping @\u200balice and @\u200bbob.smith"},
		{"(@channel)", "(@\u200bchannel)"},
		{"@@channel", "@\u200b@\u200bchannel"},
		{"@CHANNEL", "@\u200bCHANNEL"},
		{"x\n@here", "x\n@\u200bhere"},
		{"email jane@example.com", "email jane@example.com"}, // inside a word: not a mention
		{"über@all", "über@all"},
		{"1@all", "1@all"},
		{"_@all", "\\_@\u200ball"},
	}
	for _, tt := range tests {
		got := EscapeMarkdown(tt.in)
		if got != tt.want {
			t.Errorf("EscapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if m, ok := notifyingMention(got); ok {
			t.Errorf("EscapeMarkdown(%q) = %q still mentions %q", tt.in, got, m)
		}
		for _, f := range []func(string) string{EscapeInline, PlainText, codeSpan} {
			if m, ok := notifyingMention(f(tt.in)); ok {
				t.Errorf("%q escaped as %q still mentions %q", tt.in, f(tt.in), m)
			}
		}
	}
}

func TestEscapeMarkdownFormatting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Call John back", "Call John back"},
		{"bold", "**urgent**", `\*\*urgent\*\*`},
		{"italic", "_soon_", `\_soon\_`},
		{"code", "`rm -rf`", "\\`rm -rf\\`"},
		{"link", "[click](https://evil.example)", `\[click\](https://evil.example)`},
		{"image", "![x](http://t.example/p.png)", `!\[x\](http://t.example/p.png)`},
		{"heading", "# Big", `\# Big`},
		{"quote", "> quoted", `\> quoted`},
		{"dash list", "- item", `\- item`},
		{"plus list", "+ item", `\+ item`},
		{"ordered", "1. first", `1\. first`},
		{"ordered paren", "12) twelfth", `12\) twelfth`},
		{"setext", "Title\n===", "Title\n\\==="},
		{"mid-line dash kept", "a - b", "a - b"},
		{"mid-line number kept", "call at 3. pm", "call at 3. pm"},
		{"table", "a | b", `a \| b`},
		{"strike", "~~gone~~", `\~\~gone\~\~`},
		{"backslash", `C:\path`, `C:\\path`},
		{"fence", "```\ncode\n```", "\\`\\`\\`\ncode\n\\`\\`\\`"},
		{"indent code", "    code", "\u00a0\u00a0\u00a0\u00a0code"},
		{"tab indent", "\tcode", "\u00a0\u00a0\u00a0\u00a0code"},
		{"crlf", "a\r\nb\rc", "a\nb\nc"},
		{"controls", "a\x00b\x1bc\x7f", "abc"},
		{"invalid utf8", "a\xffb", "ab"},
		{"multibyte", "Grüße 中文 😀", "Grüße 中文 😀"},
		{"html-ish", "<b>x</b>", `<b\>x</b\>`},
	}
	for _, tt := range tests {
		if got := EscapeMarkdown(tt.in); got != tt.want {
			t.Errorf("%s: EscapeMarkdown(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestEscapeInline(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"  Jane\nDoe  ", "Jane Doe"},
		{"Jane\r\n# Doe", `Jane \# Doe`},
		{"- Jane", `\- Jane`},
		{"tab\there", "tab here"},
		{"@here\nnow", "@\u200bhere now"},
		{"a\u2028b", "a b"},
	}
	for _, tt := range tests {
		if got := EscapeInline(tt.in); got != tt.want {
			t.Errorf("EscapeInline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlainText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"**Jane** @all", "**Jane** @\u200ball"},
		{"line\nbreak", "line break"},
		{"a@b.c", "a@b.c"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCodeSpan(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"abc", "`abc`"},
		{"a`b", "``a`b``"},
		{"`x`", "`` `x` ``"},
		{"a``b", "```a``b```"},
		{"", "` `"},
		{"@here", "`@\u200bhere`"},
		{"x\ny", "`x y`"},
	}
	for _, tt := range tests {
		if got := codeSpan(tt.in); got != tt.want {
			t.Errorf("codeSpan(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzEscapeMarkdown checks that no input survives escaping with a working
// mention, a line starting a Markdown block, or invalid UTF-8.
func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{"@channel", "# h\n- l\n1. o", "**b** _i_ `c`", "a\r\n@all", "\xff@here", "  \t@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, fn := range map[string]func(string) string{"EscapeMarkdown": EscapeMarkdown, "EscapeInline": EscapeInline, "PlainText": PlainText} {
			out := fn(s)
			if !utf8.ValidString(out) {
				t.Fatalf("%s(%q) = %q: invalid UTF-8", name, s, out)
			}
			if m, ok := notifyingMention(out); ok {
				t.Fatalf("%s(%q) = %q: mention %q survives", name, s, out, m)
			}
			if name == "PlainText" {
				continue
			}
			for _, line := range strings.Split(out, "\n") {
				line = strings.TrimLeft(line, "\u00a0")
				if line == "" {
					continue
				}
				switch line[0] {
				case '-', '+', '=', '#', '>', '*', '`', '~', '|', ' ', '\t':
					t.Fatalf("%s(%q) = %q: line %q starts a block", name, s, out, line)
				}
				if n := leadingDigits(line); n > 0 && n < len(line) && (line[n] == '.' || line[n] == ')') {
					t.Fatalf("%s(%q) = %q: line %q starts an ordered list", name, s, out, line)
				}
			}
			if name == "EscapeInline" && strings.ContainsAny(out, "\n\r") {
				t.Fatalf("EscapeInline(%q) = %q has a line break", s, out)
			}
		}
	})
}
