package mattermost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrCommandSyntax is matched (errors.Is) by every error ParseCommand and
// CommandSet report for a command line they cannot read.
var ErrCommandSyntax = errors.New("mattermost: bad command syntax")

// SyntaxError reports a command line that cannot be read. Its message is
// meant for the user who typed it.
type SyntaxError struct {
	Msg string
}

// Error returns the message for the user.
func (e *SyntaxError) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrCommandSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrCommandSyntax }

func syntaxErrorf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

// ParsedCommand is a command line split into words and flags.
type ParsedCommand struct {
	// Args are the positional words in order, quotes removed.
	Args []string
	// Flags maps a flag's name (without "--") to its value; a flag given
	// without a value is "true".
	Flags map[string]string
}

// ParseCommand reads the text of a slash command (what follows the trigger
// word) with a small shell-like grammar:
//
//   - Words are separated by white space.
//   - A word that starts with a quote runs to the matching quote: "a b",
//     'a b', and the curly “a b” and ‘a b’ that phone keyboards type.
//     Inside "..." a backslash escapes " and \. A quote inside a word
//     (don't) is an ordinary character.
//   - field="a b" is one word field=a b, so that field=value pairs can
//     hold spaces.
//   - --name value and --name=value (also --name="a b") are flags. A flag
//     followed by another flag or by nothing is a switch with value "true".
//     Quoted words are never flags; a lone -- makes every later word
//     positional.
//
// Without a command's flag list ParseCommand cannot know that a switch takes
// no value, so "--done abc" reads "abc" as the value of --done;
// CommandSet, which knows its flags, does not. Errors match ErrCommandSyntax.
func ParseCommand(text string) (*ParsedCommand, error) {
	toks, err := tokenize(text)
	if err != nil {
		return nil, err
	}
	return parseTokens(toks, nil)
}

// QuoteArg returns s written so that ParseCommand reads it back as one
// positional word: unchanged when that is already so, else in double quotes.
func QuoteArg(s string) string {
	if s != "" && !strings.HasPrefix(s, "--") && !needsQuote(s) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

func needsQuote(s string) bool {
	// field="... would open a quote after the '='.
	if name, v, ok := strings.Cut(s, "="); ok && isFieldName(name) && v != "" {
		if r, _ := utf8.DecodeRuneInString(v); closingQuote(r) != 0 {
			return true
		}
	}
	for i, r := range s {
		if isSpace(r) || r == '\\' {
			return true
		}
		if i == 0 && closingQuote(r) != 0 {
			return true
		}
	}
	return false
}

type token struct {
	text string
	// flag: the word starts with an unquoted "--".
	flag bool
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// closingQuote returns the quote closing one opened by r, or 0.
func closingQuote(r rune) rune {
	switch r {
	case '"':
		return '"'
	case '\'':
		return '\''
	case '“':
		return '”'
	case '‘':
		return '’'
	}
	return 0
}

// tokenize splits text into words. It works on bytes so that invalid UTF-8
// passes through unchanged.
func tokenize(text string) ([]token, error) {
	var toks []token
	var cur strings.Builder
	inWord := false
	unquotedPrefix := 0 // leading bytes of cur that were not quoted
	quotedAny := false
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !inWord && isSpace(r) {
			i += size
			continue
		}
		if isSpace(r) {
			toks = append(toks, finishToken(cur.String(), unquotedPrefix))
			cur.Reset()
			inWord, unquotedPrefix, quotedAny = false, 0, false
			i += size
			continue
		}
		// A quote opens at the start of a word, or right after the first
		// '=' of a --flag= or of a field=, so that city="New York" is one
		// word.
		s := cur.String()
		opensHere := !inWord || (!quotedAny && strings.HasSuffix(s, "=") && strings.Count(s, "=") == 1 && (strings.HasPrefix(s, "--") || isFieldName(s[:len(s)-1])))
		if closer := closingQuote(r); closer != 0 && opensHere {
			start := i
			i += size
			closed := false
			for i < len(text) {
				q, qsize := utf8.DecodeRuneInString(text[i:])
				if r == '"' && q == '\\' && i+1 < len(text) && (text[i+1] == '"' || text[i+1] == '\\') {
					cur.WriteByte(text[i+1])
					i += 2
					continue
				}
				if q == closer || (r == '“' && q == '“') || (r == '‘' && q == '‘') {
					i += qsize
					closed = true
					break
				}
				cur.WriteString(text[i : i+qsize])
				i += qsize
			}
			if !closed {
				return nil, syntaxErrorf("unterminated quote starting at %q", truncateRunes(text[start:], 20))
			}
			if !inWord {
				unquotedPrefix = 0
			}
			inWord, quotedAny = true, true
			continue
		}
		cur.WriteString(text[i : i+size])
		if !quotedAny {
			unquotedPrefix = cur.Len()
		}
		inWord = true
		i += size
	}
	if inWord {
		toks = append(toks, finishToken(cur.String(), unquotedPrefix))
	}
	return toks, nil
}

// isFieldName reports whether s can name a field in field=value: a letter,
// then letters, digits, '_', '.', ':' or '-'.
func isFieldName(s string) bool {
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '_' || r == '.' || r == ':' || r == '-'):
		default:
			return false
		}
	}
	return s != ""
}

func finishToken(s string, unquotedPrefix int) token {
	return token{text: s, flag: unquotedPrefix >= 2 && strings.HasPrefix(s, "--")}
}

func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// flagKind tells parseTokens how a known flag behaves.
type flagKind int

const (
	flagUnknown flagKind = iota
	flagValue
	flagBool
)

// parseTokens turns words into args and flags. kind is nil for the
// spec-free ParseCommand; otherwise it rejects unknown flags and knows
// switches.
func parseTokens(toks []token, kind func(name string) flagKind) (*ParsedCommand, error) {
	pc := &ParsedCommand{Flags: map[string]string{}}
	flagsDone := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if flagsDone || !t.flag {
			pc.Args = append(pc.Args, t.text)
			continue
		}
		if t.text == "--" {
			flagsDone = true
			continue
		}
		name, value, hasValue := strings.Cut(t.text[2:], "=")
		if !validFlagName(name) {
			return nil, syntaxErrorf("bad flag %q", truncateRunes(t.text, 40))
		}
		if _, dup := pc.Flags[name]; dup {
			return nil, syntaxErrorf("flag --%s given twice", name)
		}
		k := flagValue
		if kind != nil {
			k = kind(name)
			if k == flagUnknown {
				return nil, syntaxErrorf("unknown flag --%s", name)
			}
		}
		switch {
		case hasValue:
			if k == flagBool && value != "true" && value != "false" {
				return nil, syntaxErrorf("flag --%s takes no value", name)
			}
		case k == flagBool:
			value = "true"
		case i+1 < len(toks) && (!toks[i+1].flag || flagsDone):
			i++
			value = toks[i].text
		case kind == nil:
			value = "true"
		default:
			return nil, syntaxErrorf("flag --%s needs a value", name)
		}
		pc.Flags[name] = value
	}
	return pc, nil
}

func validFlagName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case (r == '-' || r == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// CommandFunc runs one command. Return an ephemeral or in-channel
// response, Defer(...) for slow work, or an error: a *UserError's message is
// shown to the user, any other error is logged and the user sees a generic
// apology.
type CommandFunc func(ctx context.Context, inv *Invocation) (*CommandResponse, error)

// Command describes one subcommand of a slash command, e.g. "task add".
type Command struct {
	// Name is one or more words ("contact", "task add"), matched
	// case-insensitively against the start of the text.
	Name string
	// Help is one line for the generated help.
	Help string
	// Example, if set, is one complete command line the help shows.
	Example string
	// Args are the positional arguments in order.
	Args []ArgSpec
	// Flags are the accepted --flags.
	Flags []FlagSpec
	Run   CommandFunc
}

// ArgSpec describes a positional argument.
type ArgSpec struct {
	Name     string
	Optional bool
	// Rest takes all remaining words, joined by single spaces, so that a
	// title can be typed without quotes. Only the last argument may be Rest.
	Rest bool
}

// FlagSpec describes a --flag.
type FlagSpec struct {
	Name string
	Help string
	// Bool makes a switch: --name alone means true and takes no value.
	Bool bool
	// Placeholder names the value in help ("date"); default "value".
	Placeholder string
}

// Invocation is a parsed command ready to run.
type Invocation struct {
	// Request is the slash command as Mattermost sent it (already
	// authenticated).
	Request *SlashCommand
	Command *Command
	args    map[string]string
	words   map[string][]string
	flags   map[string]string
}

// Words returns the words of a Rest argument one by one, as typed (quotes
// removed), for arguments that are lists ("hot" "trade show") rather than
// text; nil when it was not given.
func (inv *Invocation) Words(name string) []string { return slices.Clone(inv.words[name]) }

// Arg returns the positional argument called name ("" when an optional one
// was not given).
func (inv *Invocation) Arg(name string) string { return inv.args[name] }

// Flag returns a flag's value and whether it was given.
func (inv *Invocation) Flag(name string) (string, bool) {
	v, ok := inv.flags[name]
	return v, ok
}

// Bool reports whether a switch was given (and not as --name=false).
func (inv *Invocation) Bool(name string) bool { return inv.flags[name] == "true" }

// CommandSet routes a slash command's text to Commands and answers "help"
// (and an empty text) with generated help. Its Dispatch method is a
// SlashFunc, so NewSlashHandler(tokens, set.Dispatch) serves it.
type CommandSet struct {
	// trigger is the slash command as typed ("/ghl"), for help texts.
	trigger string
	cmds    []*Command
}

// NewCommandSet returns an empty set for the slash command trigger ("/ghl").
func NewCommandSet(trigger string) *CommandSet {
	if !strings.HasPrefix(trigger, "/") {
		trigger = "/" + trigger
	}
	return &CommandSet{trigger: trigger}
}

// Add registers cmd. It fails for an empty or duplicate name, a missing
// Run, or a Rest argument that is not last.
func (s *CommandSet) Add(cmd Command) error {
	words := strings.Fields(strings.ToLower(cmd.Name))
	if len(words) == 0 {
		return invalidParam("Command.Name", "must not be empty")
	}
	if cmd.Run == nil {
		return invalidParam("Command.Run", "must not be nil")
	}
	name := strings.Join(words, " ")
	if name == "help" {
		return invalidParam("Command.Name", `"help" is generated`)
	}
	for _, c := range s.cmds {
		if c.Name == name {
			return invalidParam("Command.Name", "duplicate command "+quote(name))
		}
	}
	for i, a := range cmd.Args {
		if a.Name == "" {
			return invalidParam("Command.Args", "every argument needs a name")
		}
		if a.Rest && i != len(cmd.Args)-1 {
			return invalidParam("Command.Args", "only the last argument may be Rest")
		}
	}
	for _, f := range cmd.Flags {
		if !validFlagName(f.Name) {
			return invalidParam("Command.Flags", "bad flag name "+quote(f.Name))
		}
	}
	c := cmd
	c.Name = name
	s.cmds = append(s.cmds, &c)
	// Longest names first, so "task add" wins over "task".
	slices.SortStableFunc(s.cmds, func(a, b *Command) int {
		return len(strings.Fields(b.Name)) - len(strings.Fields(a.Name))
	})
	return nil
}

// Dispatch parses cmd.Text, runs the matching command, and answers help,
// unknown commands and syntax errors itself (ephemeral, with usage).
func (s *CommandSet) Dispatch(ctx context.Context, sc *SlashCommand) (*CommandResponse, error) {
	toks, err := tokenize(sc.Text)
	if err != nil {
		return Ephemeral(errorText(err) + "\n\n" + s.Help()), nil
	}
	if len(toks) == 0 || (!toks[0].flag && strings.EqualFold(toks[0].text, "help")) {
		if len(toks) > 1 {
			var words []string
			for _, t := range toks[1:] {
				words = append(words, t.text)
			}
			return Ephemeral(s.helpFor(strings.ToLower(strings.Join(words, " ")))), nil
		}
		return Ephemeral(s.Help()), nil
	}
	cmd, rest := s.match(toks)
	if cmd == nil {
		return Ephemeral("Unknown command " + codeSpan(toks[0].text) + ".\n\n" + s.Help()), nil
	}
	inv, err := s.bind(cmd, rest)
	if err != nil {
		return Ephemeral(errorText(err) + "\n\nUsage: " + codeSpan(s.usage(cmd))), nil
	}
	inv.Request = sc
	return cmd.Run(ctx, inv)
}

func (s *CommandSet) match(toks []token) (*Command, []token) {
	for _, c := range s.cmds {
		words := strings.Fields(c.Name)
		if len(words) > len(toks) {
			continue
		}
		ok := true
		for i, w := range words {
			if toks[i].flag || !strings.EqualFold(toks[i].text, w) {
				ok = false
				break
			}
		}
		if ok {
			return c, toks[len(words):]
		}
	}
	return nil, nil
}

func (s *CommandSet) bind(cmd *Command, toks []token) (*Invocation, error) {
	pc, err := parseTokens(toks, func(name string) flagKind {
		for _, f := range cmd.Flags {
			if f.Name == name {
				if f.Bool {
					return flagBool
				}
				return flagValue
			}
		}
		return flagUnknown
	})
	if err != nil {
		return nil, err
	}
	inv := &Invocation{Command: cmd, args: map[string]string{}, words: map[string][]string{}, flags: pc.Flags}
	args := pc.Args
	for _, a := range cmd.Args {
		switch {
		case a.Rest && len(args) > 0:
			inv.args[a.Name] = strings.Join(args, " ")
			inv.words[a.Name] = args
			args = nil
		case len(args) > 0:
			inv.args[a.Name] = args[0]
			args = args[1:]
		case !a.Optional:
			return nil, syntaxErrorf("missing <%s>", a.Name)
		}
	}
	if len(args) > 0 {
		return nil, syntaxErrorf("unexpected argument %q", truncateRunes(args[0], 40))
	}
	return inv, nil
}

// Help returns the generated help: every command with its usage.
func (s *CommandSet) Help() string {
	return s.helpFor("")
}

func (s *CommandSet) helpFor(prefix string) string {
	var b strings.Builder
	var listed []*Command
	for _, c := range s.sorted() {
		if prefix == "" || c.Name == prefix || strings.HasPrefix(c.Name, prefix+" ") {
			listed = append(listed, c)
		}
	}
	if len(listed) == 0 {
		b.WriteString("Unknown command " + codeSpan(prefix) + ".\n\n")
		listed = s.sorted()
	}
	b.WriteString("**" + s.trigger + "** commands:\n")
	for _, c := range listed {
		b.WriteString("- " + codeSpan(s.usage(c)))
		if c.Help != "" {
			b.WriteString(" — " + c.Help)
		}
		b.WriteByte('\n')
		if c.Example != "" {
			b.WriteString("  - e.g. " + codeSpan(c.Example) + "\n")
		}
		for _, f := range c.Flags {
			if f.Help != "" {
				b.WriteString("  - " + codeSpan("--"+f.Name) + ": " + f.Help + "\n")
			}
		}
	}
	b.WriteString("- " + codeSpan(s.trigger+" help [command]") + " — Show this help.")
	return b.String()
}

func (s *CommandSet) sorted() []*Command {
	out := slices.Clone(s.cmds)
	slices.SortFunc(out, func(a, b *Command) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (s *CommandSet) usage(c *Command) string {
	parts := []string{s.trigger, c.Name}
	for _, a := range c.Args {
		n := a.Name
		if a.Rest {
			n += "..."
		}
		if a.Optional {
			parts = append(parts, "["+n+"]")
		} else {
			parts = append(parts, "<"+n+">")
		}
	}
	for _, f := range c.Flags {
		if f.Bool {
			parts = append(parts, "[--"+f.Name+"]")
			continue
		}
		ph := f.Placeholder
		if ph == "" {
			ph = "value"
		}
		parts = append(parts, "[--"+f.Name+" <"+ph+">]")
	}
	return strings.Join(parts, " ")
}

// codeSpan puts s in an inline code span that s cannot break out of. Mentions
// in it are broken too: Mattermost's server finds code spans with a simpler
// pattern than its renderer, so code alone does not reliably silence them.
// Newlines become spaces.
func codeSpan(s string) string {
	s = PlainText(s)
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	switch {
	case s == "":
		s = " "
	case strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`"):
		s = " " + s + " "
	}
	return fence + s + fence
}
