package props

import (
	"errors"
	"fmt"
	"strings"
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

// TestReduceHoistsIntoTheCreator: a failure at the end of a chain of
// creations (a vfork child's fork child marks a page WIPEONFORK and forks)
// reduces to the two steps that matter, performed by init: the reducer
// hands each task's steps to its creator. The old reducer, which could only
// delete steps and lower the tid of one, stopped at all four.
func TestReduceHoistsIntoTheCreator(t *testing.T) {
	keep := func(last abi.Syscall, v *abi.View) {
		if _, ok := last.(abi.Fork); !ok {
			return
		}
		// The newest address space keeps the caller's page values in its
		// WIPEONFORK ranges: a fork that forgot to wipe.
		n := len(v.Mms) - 1
		for _, mp := range v.Mms[n].Mappings {
			if mp.WipeOnFork {
				v.Mms[n].Pages = append(v.Mms[n].Pages, abi.PageView{Addr: mp.Start, Value: 0x21, Frame: 99})
			}
		}
		*v = abi.Canonicalize(*v)
	}
	bent := Backend{Name: "bent", New: func(cfg abi.Config) abi.Kernel { return &viewBender{Kernel: Model.New(cfg), bend: keep} }}
	bs := []Backend{bent}
	long := []traces.Step{
		{Tid: 1, Call: abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_VFORK | abi.SIGCHLD}},
		{Tid: 2, Call: abi.Fork{}},
		{Tid: 3, Call: abi.Getpid{}},
		{Tid: 3, Call: abi.Madvise{Addr: page, Len: abi.PageSize, Advice: abi.MADV_WIPEONFORK}},
		{Tid: 3, Call: abi.Fork{}},
	}
	m, err := Replay(opts, CheckDontForkWipeOnFork, bs, long, nil)
	var f *Failure
	if !errors.As(err, &f) || f.Index != 4 || f.Property != "DontForkWipeOnFork" {
		t.Fatalf("the long run does not fail at its last step: %v", err)
	}
	steps, rf := Reduce(opts, CheckDontForkWipeOnFork, bs, m.Trace("").Steps, nil, f)
	var got []string
	for _, s := range steps {
		got = append(got, fmt.Sprintf("%d %v", s.Tid, s.Call))
	}
	if want := "1 madvise 0x100000200000 0x1000 MADV_WIPEONFORK|1 fork"; strings.Join(got, "|") != want || rf.Property != f.Property {
		t.Errorf("reduced to %q (%v), want %q", strings.Join(got, "|"), rf, want)
	}
}
