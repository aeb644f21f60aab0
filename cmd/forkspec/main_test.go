package main

import (
	"bytes"
	"flag"
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
		{[]string{"-h"}, 0, "", "replay"},
		{[]string{"help", "explain"}, 0, "usage: forkspec explain", ""},
		{[]string{"replay", "-h"}, 0, "usage: forkspec replay", ""},
		{[]string{"explain", "-h"}, 0, "usage: forkspec explain", ""},
		{[]string{"check", "-h"}, 0, "usage: forkspec check", ""},
		{[]string{"replay"}, 2, "no trace file given", ""},
		{[]string{"replay", "-nosuchflag", "x.trace"}, 2, "flag provided but not defined: -nosuchflag", ""},
		{[]string{"replay", "testdata/missing.trace"}, 2, "testdata/missing.trace: no such file", ""},
		{[]string{"replay", "testdata/bad-syntax.trace"}, 2, `testdata/bad-syntax.trace:3:3: unknown syscall "stor"`, ""},
		{[]string{"replay", "-backend", "qemu", "testdata/explain.trace"}, 2, `unknown backend "qemu"`, ""},
		{[]string{"replay", "-backend", "model", "testdata/wrong.trace"}, 1, "", "testdata/wrong.trace:2: step 1 `1 fork`: unexpected result"},
		{[]string{"replay", "-backend", "model", "testdata/explain.trace"}, 0, "", "ok   7 steps, every result as expected"},
		{[]string{"explain"}, 2, "want exactly one trace file", ""},
		{[]string{"explain", "-format", "svg", "testdata/explain.trace"}, 2, `unknown format "svg"`, ""},
		{[]string{"explain", "-step", "99", "testdata/explain.trace"}, 2, "the trace has 7 steps", ""},
		{[]string{"explain", "-backend", "both", "testdata/explain.trace"}, 2, "must name one backend", ""},
		{[]string{"explain", "testdata/bad-syntax.trace"}, 2, "bad-syntax.trace:3:3", ""},
		{[]string{"explain", "testdata/wrong.trace"}, 1, "unexpected result", ""},
		{[]string{"check", "-n", "0"}, 2, "at least 1", ""},
		{[]string{"check", "-backend", "model"}, 2, "at least two backends", ""},
		{[]string{"check", "extra"}, 2, `unexpected argument "extra"`, ""},
	}
	for _, tt := range tests {
		st, out, errs := forkspec(tt.args...)
		if st != tt.status || !strings.Contains(errs, tt.stderr) || !strings.Contains(out, tt.stdout) {
			t.Errorf("forkspec %q: status %d, want %d\nstdout:\n%s\nstderr:\n%s\nwant stderr ⊇ %q, stdout ⊇ %q",
				tt.args, st, tt.status, out, errs, tt.stderr, tt.stdout)
		}
	}
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
	st, out, errs := forkspec("check", "-n", "3", "-steps", "50", "-seed", "7", "-backend", "model,model", "-out", dir)
	if st != 0 {
		t.Fatalf("model against itself: status %d\n%s%s", st, out, errs)
	}
	for _, want := range []string{"checked 3 sequences, 150 steps", "seeds 7..9", "events covered:", "PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
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
	if forks != 3 || len(tr.Steps) > 10 {
		t.Errorf("the saved trace was not reduced to the three forks it needs:\n%s", tr.Format())
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
