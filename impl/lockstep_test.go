package impl_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/model"
)

// A scenario is a hand-written trace: one step per line, "TID SYSCALL ARGS",
// optionally "-> RESULT" (what Linux returns, checked on both backends), and
// "#" comments. A = abi.ArenaStart is written as the literal 0x100000000000.
type scenario struct {
	name  string
	cfg   abi.Config
	steps string
}

type step struct {
	line int
	text string
	tid  int
	sc   abi.Syscall
	want *abi.Result
}

func parseSteps(t *testing.T, text string) []step {
	t.Helper()
	var out []step
	for n, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		s := step{line: n + 1, text: line}
		if i := strings.Index(line, "->"); i >= 0 {
			r, err := abi.ParseResult(strings.TrimSpace(line[i+2:]))
			if err != nil {
				t.Fatalf("line %d %q: %v", n+1, line, err)
			}
			s.want = &r
			line = strings.TrimSpace(line[:i])
		}
		tidText, call, _ := strings.Cut(line, " ")
		tid, err := strconv.Atoi(tidText)
		if err != nil {
			t.Fatalf("line %d %q: bad tid: %v", n+1, line, err)
		}
		sc, err := abi.ParseSyscall(call)
		if err != nil {
			t.Fatalf("line %d %q: %v", n+1, line, err)
		}
		s.tid, s.sc = tid, sc
		out = append(out, s)
	}
	return out
}

// runLockstep runs the scenario on model and impl together: after every step
// both results, both Views and both CheckInvariants must agree; it stops at
// the first divergence and shows the step, both results and the View diff.
func runLockstep(t *testing.T, sc scenario) {
	t.Helper()
	m := model.New(sc.cfg)
	k := impl.New(sc.cfg)
	var history []string
	for _, s := range parseSteps(t, sc.steps) {
		rm := m.Step(s.tid, s.sc)
		ri := k.Step(s.tid, s.sc)
		history = append(history, s.text+"   # model "+rm.String()+", impl "+ri.String())
		where := func() string { return "\nhistory:\n  " + strings.Join(history, "\n  ") }
		if d := cmp.Diff(rm, ri); d != "" {
			t.Fatalf("line %d %q: results differ (-model +impl):\n%s%s", s.line, s.text, d, where())
		}
		if s.want != nil && *s.want != ri {
			t.Fatalf("line %d %q: got %v, Linux gives %v%s", s.line, s.text, ri, *s.want, where())
		}
		if d := cmp.Diff(m.View(), k.View()); d != "" {
			t.Fatalf("line %d %q: views differ (-model +impl):\n%s%s", s.line, s.text, d, where())
		}
		if err := k.CheckInvariants(); err != nil {
			t.Fatalf("line %d %q: impl invariants: %v%s", s.line, s.text, err, where())
		}
		if err := m.CheckInvariants(); err != nil {
			t.Fatalf("line %d %q: model invariants: %v%s", s.line, s.text, err, where())
		}
	}
}

func TestLockstep(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runLockstep(t, sc) })
	}
}
