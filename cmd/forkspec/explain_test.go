package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainBadArgs: every bad explain flag value or input is an error
// with a message, exit status 2, and nothing on stdout.
func TestExplainBadArgs(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.trace")
	if err := os.WriteFile(empty, []byte("# nothing but a comment\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"-step", "-5", "testdata/explain.trace"}, "-step -5: want 0 (the initial state) to 7"},
		{[]string{"-step", "-1", "testdata/explain.trace"}, "-step -1: want 0"},
		{[]string{"-step", "8", "testdata/explain.trace"}, "the trace has 7 steps"},
		{[]string{"-step", "x", "testdata/explain.trace"}, `invalid value "x" for flag -step`},
		{[]string{"-format", "svg", "testdata/explain.trace"}, `unknown format "svg" (want text or dot)`},
		{[]string{"-format", "", "testdata/explain.trace"}, `unknown format ""`},
		{[]string{"-backend", "qemu", "testdata/explain.trace"}, `unknown backend "qemu"`},
		{[]string{"-backend", "", "testdata/explain.trace"}, `unknown backend ""`},
		{[]string{"-backend", "model,model", "testdata/explain.trace"}, "-backend names model twice"},
		{[]string{"-backend", "both", "testdata/explain.trace"}, "-format text must name one backend"},
		{[]string{"-backend", "model,impl", "-format", "dot", "testdata/explain.trace"}, "-format dot must name one backend"},
		{[]string{empty}, empty + ": no steps"},
		{[]string{"testdata/explain.trace", "testdata/wrong.trace"}, "want exactly one trace file"},
		{[]string{"testdata/missing.trace"}, "no such file"},
	}
	for _, tt := range tests {
		st, out, errs := forkspec(append([]string{"explain"}, tt.args...)...)
		if st != exitBadArgs || !strings.Contains(errs, tt.stderr) || out != "" {
			t.Errorf("explain %q: status %d, want 2, with %q on stderr and nothing on stdout\nstdout:\n%.300s\nstderr:\n%s", tt.args, st, tt.stderr, out, errs)
		}
	}
}

// TestExplainStdin: "-" reads the trace from standard input, named stdin.
func TestExplainStdin(t *testing.T) {
	defer func(r io.Reader) { explainStdin = r }(explainStdin)
	src, err := os.ReadFile("testdata/explain.trace")
	if err != nil {
		t.Fatal(err)
	}
	explainStdin = bytes.NewReader(src)
	st, out, errs := forkspec("explain", "-step", "1", "-")
	if st != 0 || !strings.Contains(out, "== step 1 (line 3): 1 fork -> 2") {
		t.Errorf("explain - : status %d\n%s%s", st, out, errs)
	}
	explainStdin = strings.NewReader("1 fork\n1 stor 0x1 2\n")
	if st, _, errs := forkspec("explain", "-"); st != exitBadArgs || !strings.Contains(errs, "stdin:2:3: unknown syscall") {
		t.Errorf("explain - with a bad trace: status %d, stderr %q", st, errs)
	}
}

// TestExplainHelp: -h documents the formats and the names.
func TestExplainHelp(t *testing.T) {
	st, _, errs := forkspec("explain", "-h")
	for _, want := range []string{"dot -Tsvg -O", "stable", "FILE may be -"} {
		if st != 0 || !strings.Contains(errs, want) {
			t.Errorf("explain -h (status %d) lacks %q:\n%s", st, want, errs)
		}
	}
}
