package docs

import (
	"errors"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

// fakeKernel answers every step with Ok(next) (next counts up from 2) and
// shows one task per answered fork. It can name frames, break, or panic.
type fakeKernel struct {
	next    uint64
	frame   uint64 // FrameID's answer; it changes when a store is made
	broken  error
	panicAt string
	closed  *bool
	invalid bool // CheckInvariants fails
}

func (k *fakeKernel) Step(tid int, sc abi.Syscall) abi.Result {
	if sc.Name() == k.panicAt {
		panic("boom")
	}
	if _, ok := sc.(abi.Store); ok {
		k.frame++
	}
	k.next++
	return abi.Ok(k.next)
}

func (k *fakeKernel) View() abi.View {
	return abi.View{Tasks: []abi.TaskView{{Tid: 1, Tgid: 1, Mm: 1}}, Mms: []abi.MmView{{ID: 1}}}
}
func (k *fakeKernel) Err() error { return k.broken }
func (k *fakeKernel) Close() error {
	*k.closed = true
	return nil
}
func (k *fakeKernel) CheckInvariants() error {
	if k.invalid {
		return errors.New("refcount off by one")
	}
	return nil
}

type namingKernel struct{ *fakeKernel }

func (k namingKernel) FrameID(tid int, addr uint64) (uint64, bool) { return k.frame, true }

func spec(t *testing.T, block string) Spec {
	t.Helper()
	specs, err := ParsePage("p.md", []byte("## FORK-1a: t\n\nSource: s\n\n```trace\n"+block+"```\n"))
	if err != nil {
		t.Fatal(err)
	}
	return specs[0]
}

func backend(mk func() abi.Kernel) traces.Backend {
	return traces.Backend{Name: "fake", New: func(abi.Config) abi.Kernel { return mk() }}
}

func TestRunReportsTheFirstFailingLine(t *testing.T) {
	closed := false
	b := backend(func() abi.Kernel { return &fakeKernel{next: 1, closed: &closed} })
	s := spec(t, "1 fork -> 2\n1 fork -> 9\n1 fork -> 7\n")
	o := Run(s, b, false)
	if o.Status != Fail || o.Line != 7 || !strings.Contains(o.Msg, "step `1 fork`: got 3, want 9") {
		t.Errorf("outcome %+v: want a failure at line 7 naming got 3, want 9", o)
	}
	if len(o.History) != 2 || o.History[1] != "7: 1 fork -> 3" {
		t.Errorf("history %q: want the two steps that ran", o.History)
	}
	if len(o.Got) != 2 {
		t.Errorf("ran %d steps after the failure, want it to stop: %v", len(o.Got), o.Got)
	}
	if !closed {
		t.Error("the kernel was not closed")
	}
	o = Run(s, b, true)
	if o.Line != 7 || len(o.Got) != 3 || o.Got[8] != "4" {
		t.Errorf("keepGoing: %+v: want every step run and the first failure kept", o)
	}
}

func TestRunChecksAssertionsAndInvariants(t *testing.T) {
	closed := false
	b := backend(func() abi.Kernel { return &fakeKernel{next: 1, closed: &closed} })
	if o := Run(spec(t, "1 fork -> 2\n# expect: state 2 running\n"), b, false); o.Status != Fail || o.Line != 7 ||
		!strings.Contains(o.Msg, "task 2 is gone") {
		t.Errorf("assertion: %+v", o)
	}
	bad := backend(func() abi.Kernel { return &fakeKernel{next: 1, closed: &closed, invalid: true} })
	if o := Run(spec(t, "1 fork -> 2\n"), bad, false); o.Status != Fail || !strings.Contains(o.Msg, "refcount off by one") {
		t.Errorf("invariants: %+v", o)
	}
}

func TestRunSurvivesBrokenAndPanickingBackends(t *testing.T) {
	closed := false
	broken := backend(func() abi.Kernel { return &fakeKernel{closed: &closed, broken: errors.New("agent died")} })
	o := Run(spec(t, "1 fork\n"), broken, false)
	if o.Status != Fail || !o.BackendBroken || !strings.Contains(o.Msg, "agent died") {
		t.Errorf("broken: %+v", o)
	}
	panicky := backend(func() abi.Kernel { return &fakeKernel{closed: &closed, panicAt: "getpid"} })
	o = Run(spec(t, "1 fork\n1 getpid\n"), panicky, false)
	if o.Status != Fail || !strings.Contains(o.Msg, "panicked during step 1 getpid: boom") {
		t.Errorf("panic: %+v", o)
	}
}

func TestFrameKeptNeedsAFrameNamer(t *testing.T) {
	closed := false
	block := "1 store 0x1000 0x1\n1 load 0x1000\n# expect: frame 1:0x1000 kept\n"
	plain := backend(func() abi.Kernel { return &fakeKernel{closed: &closed} })
	if o := Run(spec(t, block), plain, false); o.Status != PassUnchecked || len(o.Unchecked) != 1 {
		t.Errorf("without FrameID: %+v, want pass* with one unchecked assertion", o)
	}
	// With FrameID the fake changes frames on stores only, but it shows no
	// page in its View, so the assertion fails there, not on identity.
	naming := backend(func() abi.Kernel { return namingKernel{&fakeKernel{closed: &closed}} })
	if o := Run(spec(t, block), naming, false); o.Status != Fail || !strings.Contains(o.Msg, "holds no frame") {
		t.Errorf("with FrameID: %+v", o)
	}
}

func TestRunAllSkipsLinuxMarkedSpecs(t *testing.T) {
	closed := false
	s := spec(t, "# linux: skip not there\n1 fork -> 2\n")
	b := backend(func() abi.Kernel { return &fakeKernel{next: 1, closed: &closed} })
	b.Name = LinuxColumn
	if o := RunAll([]Spec{s}, b)[s.ID]; o.Status != Skipped || o.Msg != "not there" {
		t.Errorf("Linux: %+v", o)
	}
	b.Name = "model"
	if o := RunAll([]Spec{s}, b)[s.ID]; o.Status != Pass {
		t.Errorf("model: %+v", o)
	}
}
