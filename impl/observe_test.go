package impl

import (
	"errors"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

// corruptLock is a lockstep of the model and an impl whose state the test
// corrupts behind its back (the impl kernel is returned to do so).
func corruptLock(t *testing.T, every int) (*traces.Lock, *Kernel) {
	t.Helper()
	var k *Kernel
	bs := []traces.Backend{
		{Name: "model", New: func(cfg abi.Config) abi.Kernel { return model.New(cfg) }},
		{Name: "impl", New: func(cfg abi.Config) abi.Kernel { k = New(cfg); return k }},
	}
	l, err := traces.NewLock("corrupt", traces.Options{}, bs...)
	if err != nil {
		t.Fatal(err)
	}
	l.Incremental(every)
	if _, err := l.Step(traces.Step{Tid: 1, Call: abi.Fork{}}); err != nil {
		t.Fatal(err)
	}
	return l, k
}

// viewDivergence returns the *traces.Divergence of err, failing the test
// unless it is a View divergence.
func viewDivergence(t *testing.T, err error) *traces.Divergence {
	t.Helper()
	var d *traces.Divergence
	if !errors.As(err, &d) || d.Kind != traces.KindView {
		t.Fatalf("got %v, want a View divergence", err)
	}
	return d
}

// TestIncrementalCatchesCorruptionOutsideTouched: a change to a task no
// step touches (task 2's mask, while only task 1 runs getpid) passes the
// comparison of what each step touched, and the scheduled full check
// reports it — at the every-th step, or at Finish when the sequence ends
// first; without Incremental it is reported at once.
func TestIncrementalCatchesCorruptionOutsideTouched(t *testing.T) {
	getpid := traces.Step{Tid: 1, Call: abi.Getpid{}}

	l, k := corruptLock(t, 8) // step 1 was the fork
	k.tasks[2].blocked |= abi.SigBit(abi.SIGUSR1)
	for i := 2; i < 8; i++ {
		if _, err := l.Step(getpid); err != nil {
			t.Fatalf("step %d: %v: the corruption is outside what the step touched, so only the full check may see it", i, err)
		}
	}
	_, err := l.Step(getpid)
	if d := viewDivergence(t, err); d.Index != 7 {
		t.Fatalf("reported at step index %d, want 7 (the scheduled full check)", d.Index)
	}

	l, k = corruptLock(t, 8)
	k.tasks[2].blocked |= abi.SigBit(abi.SIGUSR1)
	for i := 2; i < 5; i++ {
		if _, err := l.Step(getpid); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if d := viewDivergence(t, l.Finish()); d.Index != 3 {
		t.Fatalf("Finish reported step index %d, want 3 (the last step)", d.Index)
	}

	l, k = corruptLock(t, 1)
	k.tasks[2].blocked |= abi.SigBit(abi.SIGUSR1)
	_, err = l.Step(getpid)
	if d := viewDivergence(t, err); d.Index != 1 {
		t.Fatalf("without Incremental: reported at step index %d, want 1", d.Index)
	}
}

// TestIncrementalCatchesCorruptionInsideTouched: a corruption of the task
// that steps next is reported at that step, with the whole Views' diff.
func TestIncrementalCatchesCorruptionInsideTouched(t *testing.T) {
	l, k := corruptLock(t, 64)
	k.tasks[1].blocked |= abi.SigBit(abi.SIGUSR1)
	_, err := l.Step(traces.Step{Tid: 1, Call: abi.Getpid{}})
	d := viewDivergence(t, err)
	if d.Index != 1 || d.Diff == "" {
		t.Fatalf("reported at step index %d with diff %q, want index 1 and the Views' diff", d.Index, d.Diff)
	}
}

// TestIncrementalChecksInvariantsOnSchedule: a broken internal invariant no
// View shows is reported by the scheduled CheckInvariants.
func TestIncrementalChecksInvariantsOnSchedule(t *testing.T) {
	l, k := corruptLock(t, 4)
	k.nextPid = 2 // task 2 exists: its tid must be below nextPid
	var err error
	for i := 1; i < 4 && err == nil; i++ {
		_, err = l.Step(traces.Step{Tid: 1, Call: abi.Getpid{}})
	}
	var d *traces.Divergence
	if !errors.As(err, &d) || d.Kind != traces.KindInvariant || d.Index != 3 {
		t.Fatalf("got %v, want an invariant violation at step index 3", err)
	}
}
