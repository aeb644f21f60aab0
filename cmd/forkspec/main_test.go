package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (commit only changes you understand)")

// forkspec runs the command in-process and returns its exit status, stdout
// and stderr.
func forkspec(args ...string) (int, string, string) {
	var out, errw bytes.Buffer
	st := run(args, &out, &errw)
	return st, out.String(), errw.String()
}

// TestExitStatuses: bad usage and bad input exit 2 with a message on
// stderr; help exits 0; a failing replay exits 1.
func TestExitStatuses(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		stderr string // substring of stderr
		stdout string // substring of stdout
	}{
		{nil, 2, "usage: forkspec COMMAND", ""},
		{[]string{"bogus"}, 2, `unknown command "bogus"`, ""},
		{[]string{"help", "bogus"}, 2, `unknown command "bogus"`, ""},
		{[]string{"replay", "-h"}, 0, "usage: forkspec replay [-backend model|impl|linux|both|B,B...]", ""},
		{[]string{"explain", "-h"}, 0, "usage: forkspec explain", ""},
		{[]string{"check", "-h"}, 0, "usage: forkspec check", ""},
		{[]string{"check", "-h"}, 0, "a comma-separated list of model, impl, linux", ""},
		{[]string{"specs", "-dir", "testdata/nowhere"}, 2, "no directory testdata/nowhere here: run it from the repository's root, or give -dir", ""},
		{[]string{"replay"}, 2, "no trace file given", ""},
		{[]string{"replay", "-nosuchflag", "x.trace"}, 2, "flag provided but not defined: -nosuchflag", ""},
		{[]string{"replay", "testdata/missing.trace"}, 2, "testdata/missing.trace: no such file", ""},
		{[]string{"replay", "testdata/explain.trace", "-backend", "model"}, 2, "-backend: not a file; flags go before the trace files", ""},
		{[]string{"replay", "testdata/bad-syntax.trace"}, 2, `testdata/bad-syntax.trace:3:3: unknown syscall "stor"`, ""},
		{[]string{"replay", "-backend", "qemu", "testdata/explain.trace"}, 2, `unknown backend "qemu"`, ""},
		{[]string{"replay", "-backend", "model,impl,model", "testdata/explain.trace"}, 2, `backend "model" named twice`, ""},
		{[]string{"replay", "-backend", "uml,uml", "testdata/explain.trace"}, 2, `backend "uml" named twice`, ""},
		{[]string{"replay", "-backend", "model,", "testdata/explain.trace"}, 2, `unknown backend ""`, ""},
		{[]string{"replay", "-backend", "model", "testdata/wrong.trace"}, 1, "", "testdata/wrong.trace:2: step 1 `1 fork`: unexpected result"},
		{[]string{"replay", "-backend", "model", "testdata/explain.trace"}, 0, "", "ok   7 steps, every result as expected"},
		{[]string{"explain"}, 2, "want exactly one trace file", ""},
		{[]string{"explain", "-format", "svg", "testdata/explain.trace"}, 2, `unknown format "svg"`, ""},
		{[]string{"explain", "-step", "99", "testdata/explain.trace"}, 2, "the trace has 7 steps", ""},
		{[]string{"explain", "-backend", "both", "testdata/explain.trace"}, 2, "must name one backend", ""},
		{[]string{"explain", "testdata/bad-syntax.trace"}, 2, "bad-syntax.trace:3:3", ""},
		{[]string{"explain", "testdata/wrong.trace"}, 1, "unexpected result", ""},
		{[]string{"check", "-n", "0"}, 2, "at least 1", ""},
		{[]string{"check", "-steps", "-3"}, 2, "at least 1", ""},
		{[]string{"check", "-backend", "model"}, 2, "at least two backends", ""},
		{[]string{"check", "-backend", "model,model"}, 2, `backend "model" named twice in "model,model"`, ""},
		{[]string{"check", "extra"}, 2, `unexpected argument "extra"`, ""},
		{[]string{"check", "-reduce", "-1"}, 2, "-reduce -1: want a number of replays, 0 or more", ""},
		{[]string{"check", "-seed", "-1"}, 2, `invalid value "-1" for flag -seed`, ""},
		{[]string{"check", "-seed", "18446744073709551615", "-n", "2"}, 2, "would wrap past 2^64-1; want -seed at most 18446744073709551614", ""},
		{[]string{"check", "-seed", "18446744073709551516", "-n", "101"}, 2, "want -seed at most 18446744073709551515", ""},
		{[]string{"check", "-out", ""}, 2, "-out: want a directory", ""},
		{[]string{"check", "-out", "main.go"}, 2, "-out: main.go exists and is not a directory", ""},
	}
	for _, tt := range tests {
		st, out, errs := forkspec(tt.args...)
		if st != tt.status || !strings.Contains(errs, tt.stderr) || !strings.Contains(out, tt.stdout) {
			t.Errorf("forkspec %q: status %d, want %d\nstdout:\n%s\nstderr:\n%s\nwant stderr ⊇ %q, stdout ⊇ %q",
				tt.args, st, tt.status, out, errs, tt.stderr, tt.stdout)
		}
	}
}

// TestHelpStream: help, however asked for, goes to stderr with status 0
// and leaves stdout empty, for the command list and every command.
func TestHelpStream(t *testing.T) {
	asks := [][]string{{"-h"}, {"help"}, {"--help"}}
	for name := range commands {
		asks = append(asks, []string{name, "-h"}, []string{"help", name}, []string{name, "-help"})
	}
	for _, args := range asks {
		st, out, errs := forkspec(args...)
		if st != 0 || out != "" || !strings.HasPrefix(errs, "usage: forkspec ") {
			t.Errorf("forkspec %q: status %d, stdout %q, stderr starts %q; want 0, empty, usage", args, st, out, errs[:min(len(errs), 40)])
		}
	}
}

// TestStdin: replay and explain read a trace named "-" from standard
// input, name it stdin, and refuse one without steps or larger than
// traces.MaxTraceBytes.
func TestStdin(t *testing.T) {
	src, err := os.ReadFile("testdata/explain.trace")
	if err != nil {
		t.Fatal(err)
	}
	defer func(r io.Reader) { stdin = r }(stdin)
	stdin = bytes.NewReader(src)
	if st, out, errs := forkspec("replay", "-backend", "model", "-"); st != 0 || !strings.Contains(out, "== stdin on model") ||
		!strings.Contains(out, "ok   7 steps, every result as expected") {
		t.Errorf("replay -: status %d\n%s%s", st, out, errs)
	}
	stdin = bytes.NewReader(src)
	_, want, _ := forkspec("explain", "-step", "2", "testdata/explain.trace")
	if st, out, errs := forkspec("explain", "-step", "2", "-"); st != 0 || out != want {
		t.Errorf("explain -step 2 -: status %d, output differs from the file's:\n%s%s", st, out, errs)
	}
	stdin = strings.NewReader("1 fork -> 2\n1 stor 0x1 2\n")
	if st, _, errs := forkspec("replay", "-"); st != 2 || !strings.Contains(errs, `stdin:2:3: unknown syscall "stor"`) {
		t.Errorf("replay - with a bad step: status %d, stderr %q", st, errs)
	}
	stdin = strings.NewReader("# only a comment\n")
	if st, _, errs := forkspec("replay", "-"); st != 2 || !strings.Contains(errs, "stdin: no steps") {
		t.Errorf("replay - with no steps: status %d, stderr %q", st, errs)
	}
	stdin = neverEnding('#')
	if st, _, errs := forkspec("explain", "-"); st != 2 || !strings.Contains(errs, "stdin:1:65537: line longer than") {
		t.Errorf("explain - with endless input: status %d, stderr %q", st, errs)
	}
	stdin = neverEnding('\n')
	if st, _, errs := forkspec("explain", "-"); st != 2 || !strings.Contains(errs, "trace longer than") {
		t.Errorf("explain - with endless empty lines: status %d, stderr %q", st, errs)
	}
}

// neverEnding reads as an endless run of one byte.
type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestExplainGolden compares explain's text and dot pictures with the golden
// files; -update rewrites them.
func TestExplainGolden(t *testing.T) {
	for _, format := range []string{"text", "dot"} {
		st, out, errs := forkspec("explain", "-format", format, "testdata/explain.trace")
		if st != 0 {
			t.Fatalf("explain -format %s: status %d: %s", format, st, errs)
		}
		golden := filepath.Join("testdata", "explain."+format+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if out != string(want) {
			t.Errorf("explain -format %s differs from %s (go test -update rewrites it)\ngot:\n%s", format, golden, out)
		}
	}
}

// TestExplainPicture checks the facts the picture must show after a fork and
// a store, independently of the golden file's layout.
func TestExplainPicture(t *testing.T) {
	_, out, _ := forkspec("explain", "-step", "1", "testdata/explain.trace")
	for _, want := range []string{
		"step 1 (line 3): 1 fork -> 2",
		"└─ pid 2 init",
		"0x100000200000 = 0x21   frame 2 refs 2  COW",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("after the fork the picture lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = forkspec("explain", "-step", "2", "testdata/explain.trace")
	for _, want := range []string{
		"0x100000200000 = 0x21   frame 2 refs 1\n",      // the parent's frame, now its own
		"0x100000200000 = 0x99   frame 4 refs 1  new\n", // the child's fresh copy
		"0x100000201000 = 0x22   frame 3 refs 2  COW",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("after the child's store the picture lacks %q:\n%s", want, out)
		}
	}
}

// lying is the model with one lie: its third fork returns a wrong pid, so a
// check against it must find, reduce and save a divergence.
type lying struct {
	*model.Kernel
	forks int
}

func (l *lying) Step(tid int, sc abi.Syscall) abi.Result {
	r := l.Kernel.Step(tid, sc)
	if _, ok := sc.(abi.Fork); ok && r.Err == 0 && r.Outcome == abi.OutcomeOK {
		if l.forks++; l.forks == 3 {
			r.Ret += 1000
		}
	}
	return r
}

func init() {
	backends["lying"] = traces.Backend{Name: "lying", New: func(c abi.Config) abi.Kernel { return &lying{Kernel: model.New(c)} }}
}

// TestCheck: agreeing backends pass with a summary; a lying backend is
// caught, its failure saved as a trace that replays to the same divergence.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	st, out, errs := forkspec("check", "-n", "3", "-steps", "50", "-seed", "7", "-out", dir)
	if st != 0 {
		t.Fatalf("model against impl: status %d\n%s%s", st, out, errs)
	}
	if first := "check: seed 7; this run again: forkspec check -seed 7 -n 3 -steps 50 -max-tasks 12 -full-every 32 -backend model,impl\n"; !strings.HasPrefix(out, first) {
		t.Errorf("stdout does not start with %q:\n%s", first, out)
	}
	for _, want := range []string{"checked 3 sequences, 150 steps", "seeds 7..9", "events covered:", "PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// Progress is on stderr only: ten lines, one per tenth of the steps.
	if strings.Contains(out, "progress:") || strings.Count(errs, "progress: ") != 10 ||
		!strings.Contains(errs, "progress: 3/3 sequences, 150 steps (100%)") {
		t.Errorf("progress belongs on stderr, ten lines\nstdout:\n%s\nstderr:\n%s", out, errs)
	}

	st, out, errs = forkspec("check", "-n", "5", "-steps", "200", "-seed", "1", "-backend", "model,lying", "-out", dir)
	if st != 1 {
		t.Fatalf("model against a liar: status %d, want 1\n%s%s", st, out, errs)
	}
	saved, _ := filepath.Glob(filepath.Join(dir, "*.trace"))
	if len(saved) != 1 {
		t.Fatalf("saved %d traces, want 1: %v\n%s", len(saved), saved, out)
	}
	if !strings.Contains(out, "FAIL: 1 divergent sequence(s)\n     1  results differ in fork\n") {
		t.Errorf("summary lacks the failure classes:\n%s", out)
	}
	if !strings.Contains(out, "replay: forkspec replay -backend model,lying "+saved[0]) {
		t.Errorf("output lacks the replay command:\n%s", out)
	}
	tr, err := traces.ParseFile(saved[0])
	if err != nil {
		t.Fatal(err)
	}
	forks := 0
	for _, s := range tr.Steps {
		if _, ok := s.Call.(abi.Fork); ok {
			forks++
		}
	}
	if forks != 3 || len(tr.Steps) != 3 {
		t.Errorf("the saved trace was not reduced to the three forks it needs, and nothing else:\n%s", tr.Format())
	}
	if st, out, _ := forkspec("replay", "-backend", "model", saved[0]); st != 0 {
		t.Errorf("the saved trace fails on the reference:\n%s", out)
	}
	if st, out, _ := forkspec("replay", "-backend", "model,lying", saved[0]); st != 1 || !strings.Contains(out, "results differ") {
		t.Errorf("the saved trace does not reproduce the divergence (status %d):\n%s", st, out)
	}
}

// TestPictureParentCycle: a View whose parents form a cycle (a backend bug)
// is still drawn, every process once, without hanging.
func TestPictureParentCycle(t *testing.T) {
	v := abi.View{Tasks: []abi.TaskView{
		{Tid: 1, Tgid: 1, Image: "init"},
		{Tid: 2, Tgid: 2, Ppid: 3, Image: "sh"},
		{Tid: 3, Tgid: 3, Ppid: 2, Image: "sh"},
	}}
	var b bytes.Buffer
	newPicture(v).writeText(&b)
	for _, want := range []string{"pid 1 init", "(parent cycle) pid 2 sh", "pid 3 sh"} {
		if strings.Count(b.String(), want) != 1 {
			t.Errorf("picture should show %q once:\n%s", want, b.String())
		}
	}
}
