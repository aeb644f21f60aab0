package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// writeTrace writes src to a fresh file and returns its path.
func writeTrace(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// extraBackend makes a backend available to the commands for one test.
func extraBackend(t *testing.T, b traces.Backend) {
	backends[b.Name] = b
	t.Cleanup(func() { delete(backends, b.Name) })
}

const assertingTrace = `# fork, then the child's stores: copy, then reuse
1 fork -> 2
# expect: state 2 running
# expect: differ mm 1 2
2 store 0x100000200000 0x5 -> 0
# expect: frame 2:0x100000200000 alone
2 store 0x100000200000 0x6 -> 0
# expect: frame 2:0x100000200000 kept
`

// TestReplayChecksAssertions: replay checks every `# expect:` line on every
// backend; one that does not hold fails the replay (exit 1) with its
// file:line and what holds instead.
func TestReplayChecksAssertions(t *testing.T) {
	good := writeTrace(t, "good.trace", assertingTrace)
	st, out, errs := forkspec("replay", good)
	if st != 0 || !strings.Contains(out, "ok   3 steps, every result as expected, 4 assertions hold, backends agree") {
		t.Fatalf("status %d\n%s%s", st, out, errs)
	}
	bad := writeTrace(t, "bad.trace", strings.Replace(assertingTrace, "differ mm 1 2", "same mm 1 2", 1))
	st, out, _ = forkspec("replay", bad)
	want := bad + ":4: expect same mm 1 2: assertion failed on model after step 1 `1 fork`"
	if st != 1 || !strings.Contains(out, "FAIL "+want) || !strings.Contains(out, "task 1 has mm #1, task 2 has mm #2") {
		t.Errorf("status %d, want 1 and %q:\n%s", st, want, out)
	}
}

// twoTasks is the model with a View that shows a task too many from the
// start; noStart is a backend that fails as it starts (like the Linux
// oracle without root), with the error method the oracle has.
type twoTasks struct{ *model.Kernel }

func (k twoTasks) View() abi.View {
	v := k.Kernel.View()
	t := v.Tasks[0]
	t.Tid = 99
	v.Tasks = append(v.Tasks, t)
	return v
}

type noStart struct{ *model.Kernel }

func (noStart) Err() error { return errors.New("the oracle needs root") }

// TestReplayInitialDivergence: backends that differ before the first step,
// or one that fails as it starts, are reported as a divergence at step 0
// with exit 1, never a panic.
func TestReplayInitialDivergence(t *testing.T) {
	extraBackend(t, traces.Backend{Name: "twotasks", New: func(c abi.Config) abi.Kernel { return twoTasks{model.New(c)} }})
	extraBackend(t, traces.Backend{Name: "nostart", New: func(c abi.Config) abi.Kernel { return noStart{model.New(c)} }})
	p := writeTrace(t, "x.trace", "1 fork -> 2\n")
	for _, tc := range []struct{ backend, want string }{
		{"model,twotasks", "FAIL " + p + ": step 0 (the initial state): views differ (model vs twotasks)"},
		{"model,nostart", "FAIL " + p + ": step 0 (the initial state): backend failed (nostart)\n  nostart: the oracle needs root"},
	} {
		st, out, errs := forkspec("replay", "-backend", tc.backend, p)
		if st != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("-backend %s: status %d, want 1 and %q:\n%s%s", tc.backend, st, tc.want, out, errs)
		}
	}
}

// TestReplayRefusesBadFiles: an empty file, a negative task id and endless
// input are usage errors (exit 2) with file:line:col, read within bounds.
func TestReplayRefusesBadFiles(t *testing.T) {
	empty := writeTrace(t, "empty.trace", "# nothing to do\n")
	neg := writeTrace(t, "neg.trace", "1 fork -> 2\n  -2 getpid\n")
	cases := []struct{ file, want string }{
		{empty, empty + ": no steps"},
		{neg, neg + ":2:3: task id -2 is negative"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases = append(cases, struct{ file, want string }{"/dev/zero", "/dev/zero:1:65537: line longer than 65536 bytes"})
	}
	for _, tc := range cases {
		st, _, errs := forkspec("replay", tc.file)
		if st != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("replay %s: status %d, want 2 and %q; stderr:\n%s", tc.file, st, tc.want, errs)
		}
	}
}

// TestReplayStreamsLongTraces: a trace of thousands of steps replays to the
// end with a row per step, written a block at a time.
func TestReplayStreamsLongTraces(t *testing.T) {
	var src strings.Builder
	const n = 2*tableRows + 7
	for i := range n {
		fmt.Fprintf(&src, "1 store 0x100000200000 %#x -> 0\n", i)
	}
	p := writeTrace(t, "long.trace", src.String())
	st, out, errs := forkspec("replay", p)
	if st != 0 || !strings.Contains(out, fmt.Sprintf("ok   %d steps", n)) {
		t.Fatalf("status %d\n%.500s%s", st, out, errs)
	}
	if rows := strings.Count(out, " store 0x100000200000 "); rows != n {
		t.Errorf("%d rows for %d steps", rows, n)
	}
}
