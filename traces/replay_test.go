package traces

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// fake is a tiny kernel for testing replay itself: fork creates tasks 2, 3,
// …, store/load use one word, getpid returns the tid. Its faults are
// switches, so each kind of divergence can be provoked on purpose.
type fake struct {
	tasks int
	word  uint64
	limit int

	wrongForkAt int  // fork number n (1-based) returns a wrong pid
	viewBug     bool // stores are hidden from the View
	panicOn     bool // a kill step panics
	broken      bool // CheckInvariants fails once a store happened
	forks       int
}

func (f *fake) Step(tid int, sc abi.Syscall) abi.Result {
	if tid < 1 || tid > f.tasks {
		return abi.Refuse(abi.OutcomeNoTask)
	}
	switch c := sc.(type) {
	case abi.Fork:
		if f.tasks >= f.limit {
			return abi.Fail(abi.EAGAIN)
		}
		f.forks++
		f.tasks++
		if f.forks == f.wrongForkAt {
			return abi.Ok(uint64(f.tasks + 100))
		}
		return abi.Ok(uint64(f.tasks))
	case abi.Store:
		f.word = c.Value
		return abi.Ok(0)
	case abi.Load:
		return abi.Ok(f.word)
	case abi.Getpid:
		return abi.Ok(uint64(tid))
	case abi.Kill:
		if f.panicOn {
			panic("fake: kill is not implemented")
		}
	}
	return abi.Refuse(abi.OutcomeUnsupported)
}

func (f *fake) View() abi.View {
	var v abi.View
	for i := 1; i <= f.tasks; i++ {
		v.Tasks = append(v.Tasks, abi.TaskView{Tid: i, Tgid: i, Image: "init", Mm: 1})
	}
	m := abi.MmView{ID: 1}
	if f.word != 0 && !f.viewBug {
		m.Pages = []abi.PageView{{Addr: abi.ArenaStart, Value: f.word, Frame: 1}}
	}
	v.Mms = []abi.MmView{m}
	return abi.Canonicalize(v)
}

type fakeChecked struct{ *fake }

func (f fakeChecked) CheckInvariants() error {
	if f.broken && f.word != 0 {
		return errors.Join(errors.New("frame 1: refcount 2, references 1"), errors.New("frame 7 leaked"))
	}
	return nil
}

func fakeBackend(name string, tweak func(*fake)) Backend {
	return Backend{Name: name, New: func(c abi.Config) abi.Kernel {
		f := &fake{tasks: 1, limit: c.Limit()}
		if tweak != nil {
			tweak(f)
		}
		return fakeChecked{f}
	}}
}

const demo = `# demo
# option: max-tasks=3
1 fork -> 2
1 store 0x100000000000 0x2a -> 0
2 load 0x100000000000 -> 0x2a
1 fork -> 3
1 fork -> EAGAIN
9 getpid -> no-task
`

func mustParse(t *testing.T, src string) *Trace {
	t.Helper()
	tr, err := Parse("demo.trace", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestRunMeetsExpectations: a correct backend replays the whole trace, the
// option reaches the backend (EAGAIN at the limit), and the History has one
// result and View per step.
func TestRunMeetsExpectations(t *testing.T) {
	tr := mustParse(t, demo)
	h, err := Run(tr, fakeBackend("fake", nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Results) != len(tr.Steps) || len(h.Views) != len(tr.Steps) {
		t.Fatalf("history has %d results, %d views for %d steps", len(h.Results), len(h.Views), len(tr.Steps))
	}
	if got := len(h.Views[3].Tasks); got != 3 {
		t.Errorf("after the second fork the View has %d tasks, want 3", got)
	}
	if len(h.Start.Tasks) != 1 {
		t.Errorf("initial View has %d tasks, want 1", len(h.Start.Tasks))
	}
}

// TestRunUnmetExpectation: a wrong result stops the replay at that step with
// the step's line, want and got, and what the step changed.
func TestRunUnmetExpectation(t *testing.T) {
	tr := mustParse(t, demo)
	h, err := Run(tr, fakeBackend("fake", func(f *fake) { f.wrongForkAt = 2 }))
	var d *Divergence
	if !errors.As(err, &d) {
		t.Fatalf("Run error = %v, want a *Divergence", err)
	}
	if d.Kind != KindExpectation || d.Index != 3 || d.Step.Line != 6 || d.ResultA != abi.Ok(3) || d.ResultB != abi.Ok(103) {
		t.Errorf("divergence = %+v", d)
	}
	if len(h.Results) != 4 {
		t.Errorf("history has %d results, want 4 (stopped at the failing step)", len(h.Results))
	}
	msg := err.Error()
	for _, want := range []string{"demo.trace:6: step 4 `1 fork`: unexpected result", "want:  3", "fake:  103", "-before +after", "history:", "1 fork -> 2"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

// TestLockstepDivergences provokes each kind of divergence between two
// backends and checks it is reported as that kind, at the right step.
func TestLockstepDivergences(t *testing.T) {
	noWant := mustParse(t, "1 fork\n1 store 0x100000000000 0x2a\n1 kill 2 SIGTERM\n")
	tests := []struct {
		name  string
		tweak func(*fake)
		kind  Kind
		index int
		text  string
	}{
		{"result", func(f *fake) { f.wrongForkAt = 1 }, KindResult, 0, "results differ"},
		{"view", func(f *fake) { f.viewBug = true }, KindView, 1, "view diff (-good +bad)"},
		{"invariant", func(f *fake) { f.broken = true }, KindInvariant, 1, "frame 7 leaked"},
		{"panic", func(f *fake) { f.panicOn = true }, KindPanic, 2, "bad panicked in Step: fake: kill is not implemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Lockstep(noWant, fakeBackend("good", nil), fakeBackend("bad", tt.tweak))
			var d *Divergence
			if !errors.As(err, &d) {
				t.Fatalf("Lockstep error = %v, want a *Divergence", err)
			}
			if d.Kind != tt.kind || d.Index != tt.index {
				t.Errorf("got %v at step %d, want %v at step %d", d.Kind, d.Index, tt.kind, tt.index)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("message lacks %q:\n%s", tt.text, err)
			}
		})
	}
	if err := Lockstep(noWant, fakeBackend("a", nil), fakeBackend("b", nil)); err != nil {
		t.Errorf("two equal backends diverge: %v", err)
	}
}

// TestLockTrace: the trace a Lock records replays cleanly on the reference
// and shows the divergence on the other backend, including the failing step.
func TestLockTrace(t *testing.T) {
	good, bad := fakeBackend("good", nil), fakeBackend("bad", func(f *fake) { f.wrongForkAt = 2 })
	l, err := NewLock("search", Options{MaxTasks: 5}, good, bad)
	if err != nil {
		t.Fatal(err)
	}
	var stepErr error
	for _, s := range []Step{{Tid: 1, Call: abi.Fork{}}, {Tid: 2, Call: abi.Getpid{}}, {Tid: 1, Call: abi.Fork{}}} {
		if _, stepErr = l.Step(s); stepErr != nil {
			break
		}
	}
	if stepErr == nil {
		t.Fatal("no divergence at the second fork")
	}
	tr := l.Trace()
	if len(tr.Steps) != 3 || tr.Options.MaxTasks != 5 || *tr.Steps[2].Want != abi.Ok(3) {
		t.Fatalf("recorded trace:\n%s", tr.Format())
	}
	back, err := Parse("again", []byte(tr.Format()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(back, good); err != nil {
		t.Errorf("recorded trace fails on the reference: %v", err)
	}
	if _, err := Run(back, bad); err == nil {
		t.Error("recorded trace passes on the diverging backend")
	}
}

// TestRecordAndWriteFailure: Record fills expectations from the kernel, and
// WriteFailure writes a parseable file whose name is stable.
func TestRecordAndWriteFailure(t *testing.T) {
	steps := []Step{{Tid: 1, Call: abi.Fork{}, Comment: "first"}, {Tid: 2, Call: abi.Getpid{}}}
	tr := Record("prop/Lockstep", steps, fakeBackend("m", nil).New(abi.Config{}))
	if tr.Steps[0].Want == nil || *tr.Steps[1].Want != abi.Ok(2) || tr.Steps[0].Comment != "first" {
		t.Fatalf("Record:\n%s", tr.Format())
	}
	dir := t.TempDir()
	p1, err := WriteFailure(filepath.Join(dir, "fail"), tr)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := WriteFailure(filepath.Join(dir, "fail"), tr)
	if err != nil || p1 != p2 {
		t.Errorf("same trace written twice: %q, %q, %v", p1, p2, err)
	}
	if !strings.HasPrefix(filepath.Base(p1), "Lockstep-") {
		t.Errorf("file name %q does not come from the trace name", p1)
	}
	back, err := ParseFile(p1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(back, fakeBackend("m", nil)); err != nil {
		t.Errorf("written failure does not replay: %v", err)
	}
	if _, err := os.Stat(p1); err != nil {
		t.Error(err)
	}
}

// TestReduce: a long trace whose second fork diverges shrinks to the two
// forks, with expectations from the reference; a passing trace is kept.
func TestReduce(t *testing.T) {
	var src strings.Builder
	for i := 0; i < 30; i++ {
		src.WriteString("1 getpid\n1 store 0x100000000000 0x7\n")
		if i == 10 || i == 20 {
			src.WriteString("1 fork\n")
		}
	}
	tr := mustParse(t, src.String())
	good, bad := fakeBackend("good", nil), fakeBackend("bad", func(f *fake) { f.wrongForkAt = 2 })
	red, ok := Reduce(tr, 0, good, bad)
	if !ok {
		t.Fatal("Reduce found no divergence")
	}
	if len(red.Steps) != 2 {
		t.Fatalf("reduced to %d steps, want the 2 forks:\n%s", len(red.Steps), red.Format())
	}
	if *red.Steps[1].Want != abi.Ok(3) {
		t.Errorf("expectation not from the reference:\n%s", red.Format())
	}
	if err := Lockstep(red, good, bad); err == nil {
		t.Error("the reduced trace no longer diverges")
	}
	if same, ok := Reduce(tr, 0, good, good); ok || same != tr {
		t.Error("Reduce changed a trace that does not diverge")
	}
}
