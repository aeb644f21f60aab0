package props

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

// execLiar reports a wrong return value for every successful execve by a
// task whose tid is at least 2.
type execLiar struct{ abi.Kernel }

func (k *execLiar) Step(tid int, sc abi.Syscall) abi.Result {
	r := k.Kernel.Step(tid, sc)
	if _, ok := sc.(abi.Execve); ok && tid >= 2 && r.Outcome == abi.OutcomeExeced {
		r.Ret = 7
	}
	return r
}

// TestReduceRenumbersTids: the reducer cuts a failing run to its essential
// steps even when that means renumbering the tasks later steps name.
func TestReduceRenumbersTids(t *testing.T) {
	liar := Backend{Name: "liar", New: func(cfg abi.Config) abi.Kernel { return &execLiar{Model.New(cfg)} }}
	bs := []Backend{Model, liar}
	m, err := NewMachine(opts, CheckAll, bs...)
	if err != nil {
		t.Fatal(err)
	}
	var f *Failure
	for _, s := range []traces.Step{
		{Tid: 1, Call: abi.Fork{}}, {Tid: 1, Call: abi.Fork{}}, {Tid: 2, Call: abi.Getpid{}},
		{Tid: 1, Call: abi.Fork{}}, {Tid: 3, Call: abi.Fork{}}, {Tid: 5, Call: abi.Open{Path: "a"}},
		{Tid: 1, Call: abi.Wait4{Pid: 4, Options: abi.WNOHANG}}, {Tid: 5, Call: abi.Execve{Image: "sh"}},
	} {
		if _, err := m.Step(s.Tid, s.Call); err != nil {
			f = err.(*Failure)
			break
		}
	}
	if f == nil || f.Index != 7 {
		t.Fatalf("the liar was not caught at step 8: %v", f)
	}
	steps, rf := Reduce(opts, CheckAll, bs, m.Trace("").Steps, nil, f)
	if len(steps) != 2 || rf.Kind != "result" || rf.Backend != "liar" {
		t.Fatalf("reduced to %d steps %v (%v), want 2: a fork and the child's exec", len(steps), steps, rf)
	}
	if steps[0].Tid != 1 || steps[1].Tid != 2 {
		t.Errorf("reduced steps %v: want the exec renumbered to task 2", steps)
	}
}
