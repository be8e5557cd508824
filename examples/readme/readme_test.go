package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// snippet returns the first ```go block after the heading.
func snippet(t *testing.T, readme, heading string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	_, code, ok := strings.Cut(after, "```go\n")
	if !ok {
		t.Fatalf("no Go block under %q", heading)
	}
	code, _, ok = strings.Cut(code, "```")
	if !ok {
		t.Fatal("unterminated Go block")
	}
	return code
}

// TestREADMESnippetCompiles builds the SDK snippet as the body of main,
// with the imports it needs, and checks it looks at err before using the
// contact it may not have found.
func TestREADMESnippetCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	code := snippet(t, string(raw), "## The SDK")
	find := strings.Index(code, "FindByEmail(")
	use := strings.Index(code, "contact.ID")
	check := strings.Index(code[max(find, 0):], "if err != nil")
	if find < 0 || use < 0 || check < 0 || find+check > use {
		t.Errorf("the snippet uses the contact before checking FindByEmail's error:\n%s", code)
	}

	src := `package main

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/tasks"
)

func main() {
` + code + `}
`
	// Inside this module, so that the workspace resolves the imports.
	dir, err := os.MkdirTemp(".", "snippet-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "vet", "./"+filepath.Base(dir)).CombinedOutput()
	if err != nil {
		t.Errorf("the README snippet does not build: %v\n%s\n%s", err, out, src)
	}
}
