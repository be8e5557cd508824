package mattermost

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		args  []string
		flags map[string]string
	}{
		{"", nil, map[string]string{}},
		{"   ", nil, map[string]string{}},
		{"task list abc", []string{"task", "list", "abc"}, map[string]string{}},
		{`task add abc "Call John back"`, []string{"task", "add", "abc", "Call John back"}, map[string]string{}},
		{`note 'it is "quoted"'`, []string{"note", `it is "quoted"`}, map[string]string{}},
		{`x "say \"hi\" \\ now"`, []string{"x", `say "hi" \ now`}, map[string]string{}},
		{`x "keep \n as is"`, []string{"x", `keep \n as is`}, map[string]string{}},
		{"x “smart quotes” ‘single’", []string{"x", "smart quotes", "single"}, map[string]string{}},
		{"don't stop", []string{"don't", "stop"}, map[string]string{}},
		{`ab"c d"`, []string{`ab"c`, `d"`}, map[string]string{}},
		{`""`, []string{""}, map[string]string{}},
		{"a\tb\u00a0c", []string{"a", "b", "c"}, map[string]string{}},
		{"add --due 2024-07-01 title", []string{"add", "title"}, map[string]string{"due": "2024-07-01"}}, // spec-free: --due takes the next word
		{"add --due=tomorrow --done", []string{"add"}, map[string]string{"due": "tomorrow", "done": "true"}},
		{`add --title="a b" --x`, []string{"add"}, map[string]string{"title": "a b", "x": "true"}},
		{`add --title "a b" rest`, []string{"add", "rest"}, map[string]string{"title": "a b"}},
		{`add --a --b c`, []string{"add"}, map[string]string{"a": "true", "b": "c"}},
		{`add "--not-a-flag"`, []string{"add", "--not-a-flag"}, map[string]string{}},
		{`add --note "--dash value"`, []string{"add"}, map[string]string{"note": "--dash value"}},
		{"add -- --literal -x", []string{"add", "--literal", "-x"}, map[string]string{}},
		{"-5 -x", []string{"-5", "-x"}, map[string]string{}},
		{"x --eq=a=b", []string{"x"}, map[string]string{"eq": "a=b"}},
		{"x --e= y", []string{"x", "y"}, map[string]string{"e": ""}},
		{`set c1 city="New York" state=NY`, []string{"set", "c1", "city=New York", "state=NY"}, map[string]string{}},
		{`set c1 custom.f1='a b' name=“Ada L”`, []string{"set", "c1", "custom.f1=a b", "name=Ada L"}, map[string]string{}},
		{`set c1 city= x="a"b`, []string{"set", "c1", "city=", "x=ab"}, map[string]string{}},
		{`set 1x="a b"`, []string{"set", `1x="a`, `b"`}, map[string]string{}}, // not a field name: quotes are ordinary
		{`set a=b="c d"`, []string{"set", `a=b="c`, `d"`}, map[string]string{}},
	}
	for _, tt := range tests {
		pc, err := ParseCommand(tt.in)
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", tt.in, err)
			continue
		}
		if !slices.Equal(pc.Args, tt.args) {
			t.Errorf("ParseCommand(%q).Args = %q, want %q", tt.in, pc.Args, tt.args)
		}
		if !maps.Equal(pc.Flags, tt.flags) {
			t.Errorf("ParseCommand(%q).Flags = %q, want %q", tt.in, pc.Flags, tt.flags)
		}
	}
}

func TestParseCommandErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`add "unterminated`,
		`add 'open`,
		"add “open",
		"add --=x",
		"add --bad!name",
		"add ---x",
		"add --x 1 --x 2",
		`add --t="open`,
	} {
		_, err := ParseCommand(in)
		if !errors.Is(err, ErrCommandSyntax) {
			t.Errorf("ParseCommand(%q) error = %v, want ErrCommandSyntax", in, err)
		}
		var se *SyntaxError
		if !errors.As(err, &se) || se.Msg == "" {
			t.Errorf("ParseCommand(%q) error %T has no message", in, err)
		}
	}
}

func TestQuoteArg(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"two words", `"two words"`},
		{"", `""`},
		{"--flag", `"--flag"`},
		{`say "hi"`, `"say \"hi\""`},
		{`back\slash`, `"back\\slash"`},
		{"'quoted", `"'quoted"`},
		{"don't", "don't"},
		{"“x", `"“x"`},
		{`city="x`, `"city=\"x"`},
		{`city=x"`, `city=x"`},
		{"city=", "city="},
	}
	for _, tt := range tests {
		if got := QuoteArg(tt.in); got != tt.want {
			t.Errorf("QuoteArg(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseCommand checks that the parser never panics, and that whatever
// it reads can be written back with QuoteArg and read again unchanged.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		`task add abc "Call John" --due 2024-01-01 --done`,
		`a 'b c' “d e” -- --f`,
		`--x="y z" \ "\\\""`,
		"\xff\xfe “‘’”",
		`""''`,
		"--a=--b --c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pc, err := ParseCommand(s)
		if err != nil {
			if !errors.Is(err, ErrCommandSyntax) {
				t.Fatalf("ParseCommand(%q): error %v does not match ErrCommandSyntax", s, err)
			}
			return
		}
		var b strings.Builder
		for _, a := range pc.Args {
			b.WriteString(QuoteArg(a) + " ")
		}
		for _, k := range slices.Sorted(maps.Keys(pc.Flags)) {
			b.WriteString("--" + k + "=" + QuoteArg(pc.Flags[k]) + " ")
		}
		// Positional words come first above, so no flag can take one as
		// its value.
		again, err := ParseCommand(b.String())
		if err != nil {
			t.Fatalf("re-parsing %q (from %q): %v", b.String(), s, err)
		}
		if !reflect.DeepEqual(again.Args, pc.Args) && !(len(again.Args) == 0 && len(pc.Args) == 0) {
			t.Fatalf("args: %q -> %q -> %q", s, pc.Args, again.Args)
		}
		if !maps.Equal(again.Flags, pc.Flags) {
			t.Fatalf("flags: %q -> %q -> %q", s, pc.Flags, again.Flags)
		}
		if utf8.ValidString(s) {
			for _, a := range pc.Args {
				if !utf8.ValidString(a) {
					t.Fatalf("valid input %q gave invalid arg %q", s, a)
				}
			}
		}
	})
}

func newTestSet(t *testing.T, calls *[]string) *CommandSet {
	t.Helper()
	set := NewCommandSet("ghl")
	record := func(ctx context.Context, inv *Invocation) (*CommandResponse, error) {
		var b strings.Builder
		b.WriteString(inv.Command.Name)
		for _, a := range inv.Command.Args {
			b.WriteString("|" + a.Name + "=" + inv.Arg(a.Name))
		}
		for _, k := range slices.Sorted(maps.Keys(inv.flags)) {
			v, _ := inv.Flag(k)
			b.WriteString("|--" + k + "=" + v)
		}
		if inv.Bool("urgent") {
			b.WriteString("|URGENT")
		}
		*calls = append(*calls, b.String())
		return Ephemeral("ok"), nil
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(set.Add(Command{Name: "task", Help: "Show one task.", Args: []ArgSpec{{Name: "task-id"}}, Run: record}))
	must(set.Add(Command{Name: "task add", Help: "Create a task.",
		Args:  []ArgSpec{{Name: "contact-id"}, {Name: "title", Rest: true}},
		Flags: []FlagSpec{{Name: "due", Help: "Due date (YYYY-MM-DD).", Placeholder: "date"}, {Name: "urgent", Bool: true, Help: "Mark urgent."}},
		Run:   record}))
	must(set.Add(Command{Name: "contact", Help: "Show a contact.", Args: []ArgSpec{{Name: "contact-id"}, {Name: "view", Optional: true}}, Run: record}))
	return set
}

func TestCommandSetDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		call string
	}{
		{"task abc", "task|task-id=abc"},
		{"TASK Add c1 Call John back", "task add|contact-id=c1|title=Call John back"},
		{`task add c1 "Call John" --due 2024-07-01`, "task add|contact-id=c1|title=Call John|--due=2024-07-01"},
		{`task add c1 --urgent Call John`, "task add|contact-id=c1|title=Call John|--urgent=true|URGENT"},
		{`task add c1 --urgent=false Call John`, "task add|contact-id=c1|title=Call John|--urgent=false"},
		{`task add c1 Call --due=tomorrow John`, "task add|contact-id=c1|title=Call John|--due=tomorrow"},
		{"contact c1", "contact|contact-id=c1|view="},
		{"contact c1 full", "contact|contact-id=c1|view=full"},
	}
	for _, tt := range tests {
		var calls []string
		set := newTestSet(t, &calls)
		resp, err := set.Dispatch(context.Background(), &SlashCommand{Text: tt.text})
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		if resp.Text != "ok" || len(calls) != 1 || calls[0] != tt.call {
			t.Errorf("%q: calls %q, response %q; want call %q", tt.text, calls, resp.Text, tt.call)
		}
	}
}

func TestCommandSetErrorsAndHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text     string
		contains []string
	}{
		{"", []string{"**/ghl** commands:", "`/ghl task add <contact-id> <title...> [--due <date>] [--urgent]` — Create a task.", "`--due`: Due date (YYYY-MM-DD).", "`/ghl help [command]`"}},
		{"help", []string{"`/ghl contact <contact-id> [view]` — Show a contact."}},
		{"help task", []string{"`/ghl task <task-id>`", "`/ghl task add"}},
		{"help nope", []string{"Unknown command `nope`."}},
		{"frobnicate now", []string{"Unknown command `frobnicate`.", "**/ghl** commands:"}},
		{"task", []string{"missing <task-id\\>", "Usage: `/ghl task <task-id>`"}},
		{"task a b", []string{`unexpected argument "b"`}},
		{"task add c1 t --due", []string{"flag --due needs a value"}},
		{"task add c1 t --nope 1", []string{"unknown flag --nope"}},
		{"task add c1 t --urgent=maybe", []string{"flag --urgent takes no value"}},
		{`task add c1 "open`, []string{"unterminated quote"}},
		{"@channel", []string{"Unknown command `@\u200bchannel`."}},
		{`task "@all"`, nil},
	}
	for _, tt := range tests {
		var calls []string
		set := newTestSet(t, &calls)
		resp, err := set.Dispatch(context.Background(), &SlashCommand{Text: tt.text})
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		if tt.contains == nil {
			continue
		}
		if len(calls) != 0 {
			t.Errorf("%q: command ran: %q", tt.text, calls)
		}
		if resp.ResponseType != ResponseEphemeral {
			t.Errorf("%q: response type %q, want ephemeral", tt.text, resp.ResponseType)
		}
		for _, c := range tt.contains {
			if !strings.Contains(resp.Text, c) {
				t.Errorf("%q: response\n%s\ndoes not contain %q", tt.text, resp.Text, c)
			}
		}
		if m, ok := notifyingMention(resp.Text); ok {
			t.Errorf("%q: response mentions %q", tt.text, m)
		}
	}
}

func TestCommandSetAddRejects(t *testing.T) {
	t.Parallel()
	run := func(context.Context, *Invocation) (*CommandResponse, error) { return nil, nil }
	set := NewCommandSet("/ghl")
	if err := set.Add(Command{Name: "x", Run: run}); err != nil {
		t.Fatal(err)
	}
	for name, cmd := range map[string]Command{
		"empty name":    {Name: " ", Run: run},
		"no run":        {Name: "y"},
		"duplicate":     {Name: "X", Run: run},
		"help":          {Name: "help", Run: run},
		"rest not last": {Name: "z", Args: []ArgSpec{{Name: "a", Rest: true}, {Name: "b"}}, Run: run},
		"unnamed arg":   {Name: "z", Args: []ArgSpec{{}}, Run: run},
		"bad flag name": {Name: "z", Flags: []FlagSpec{{Name: "bad name"}}, Run: run},
	} {
		if err := set.Add(cmd); !errors.Is(err, ErrInvalidParam) {
			t.Errorf("%s: Add error = %v, want ErrInvalidParam", name, err)
		}
	}
}

func TestInvocationWords(t *testing.T) {
	t.Parallel()
	set := NewCommandSet("ghl")
	var got []string
	var joined string
	err := set.Add(Command{Name: "tag add", Args: []ArgSpec{{Name: "contact"}, {Name: "tags", Rest: true}}, Run: func(ctx context.Context, inv *Invocation) (*CommandResponse, error) {
		got, joined = inv.Words("tags"), inv.Arg("tags")
		return nil, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Dispatch(context.Background(), &SlashCommand{Text: `tag add c1 hot "trade show" city="New York"`}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"hot", "trade show", "city=New York"}; !slices.Equal(got, want) {
		t.Errorf("Words = %q, want %q", got, want)
	}
	if joined != "hot trade show city=New York" {
		t.Errorf("Arg = %q", joined)
	}
	if _, err := set.Dispatch(context.Background(), &SlashCommand{Text: `tag add c1`}); err != nil {
		t.Fatal(err)
	}
}

func TestHelpShowsExamples(t *testing.T) {
	t.Parallel()
	set := NewCommandSet("ghl")
	run := func(context.Context, *Invocation) (*CommandResponse, error) { return nil, nil }
	if err := set.Add(Command{Name: "tag add", Help: "Add tags.", Example: `/ghl tag add ada "trade show"`, Args: []ArgSpec{{Name: "contact"}, {Name: "tag", Rest: true}}, Run: run}); err != nil {
		t.Fatal(err)
	}
	want := "- `/ghl tag add <contact> <tag...>` — Add tags.\n  - e.g. `/ghl tag add ada \"trade show\"`\n"
	if got := set.Help(); !strings.Contains(got, want) {
		t.Errorf("help:\n%s\nwant it to contain:\n%s", got, want)
	}
}
