package mattermost

import (
	"strings"
	"testing"
)

func BenchmarkEscapeMarkdown(b *testing.B) {
	s := strings.Repeat("Call @here about **pricing** for Jane_Doe — 価格 ", 50)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		EscapeMarkdown(s)
	}
}

func BenchmarkSplitMessage(b *testing.B) {
	items := make([]string, 2000)
	for i := range items {
		items[i] = "- ⬜ **Task " + strings.Repeat("ä", 40) + "** · due Mon 1 Jan 2024 · `t" + strings.Repeat("1", 20) + "`"
	}
	b.ReportAllocs()
	for b.Loop() {
		SplitMessage("**Tasks**\n", "_(continued)_\n", items, 0)
	}
}

func BenchmarkParseCommand(b *testing.B) {
	const text = `task add ct_123 "Call John back about the quote" --due 2024-07-01 --urgent --note 'bring “samples”'`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCommand(text); err != nil {
			b.Fatal(err)
		}
	}
}
