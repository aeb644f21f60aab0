package traces

import (
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
)

// TestRenumbering: a recorded creation's pid stands for what the step
// creates in the replay, in the actor and in the pid a kill or wait4 names.
func TestRenumbering(t *testing.T) {
	ok := func(pid uint64) *abi.Result { r := abi.Ok(pid); return &r }
	rec := []Step{
		{Tid: 1, Call: abi.Fork{}, Want: ok(3)},
		{Tid: 3, Call: abi.Kill{Pid: 3, Sig: abi.SIGTERM}},
		{Tid: 1, Call: abi.Wait4{Pid: 3}},
		{Tid: 1, Call: abi.Wait4{Pid: -1}},
	}
	r := Renumbering{}
	r.Learn(rec[0], abi.Ok(2)) // the creation of 2 was cut out
	var got []string
	for _, s := range rec[1:] {
		got = append(got, r.Step(s).String())
	}
	if want := "2 kill 2 SIGTERM|1 wait4 2 0|1 wait4 -1 0"; strings.Join(got, "|") != want {
		t.Errorf("renumbered %q, want %q", strings.Join(got, "|"), want)
	}
	r.Learn(Step{Tid: 1, Call: abi.Getpid{}, Want: ok(9)}, abi.Ok(1))
	if r.Step(Step{Tid: 9, Call: abi.Getpid{}}).Tid != 9 {
		t.Error("a getpid's result taken for a creation")
	}
}

// TestShrinkHoistsAndSimplifies: with a question that fails whenever a task
// other than init stores a value of at least 0x10, a chain of creations
// ending in one such store shrinks to one fork and a store of 0x10 by the
// child: the middle tasks are hoisted away, the clone becomes a fork, the
// value gets as small as the failure allows.
func TestShrinkHoistsAndSimplifies(t *testing.T) {
	good := Backend{Name: "model", New: func(c abi.Config) abi.Kernel { return model.New(c) }}
	fails := func(cand []Step) ([]Step, bool) {
		l, err := NewLock("t", Options{}, good)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ren := Renumbering{}
		for _, s := range cand {
			rs := ren.Step(s)
			rs.Want = nil
			r, err := l.Step(rs)
			if err != nil {
				return nil, false
			}
			ren.Learn(s, r)
			if st, ok := rs.Call.(abi.Store); ok && rs.Tid != 1 && st.Value >= 0x10 && r == abi.Ok(0) {
				return l.Trace().Steps, true
			}
		}
		return nil, false
	}
	tr := mustParse(t, "1 fork\n1 getpid\n2 clone SIGCHLD\n3 fork\n4 getpid\n4 store 0x100000200000 0x7777\n1 getpid\n")
	first, ok := fails(tr.Steps)
	if !ok {
		t.Fatal("the trace does not fail")
	}
	got, tries := Shrink(first, fails, 500)
	var lines []string
	for _, s := range got {
		lines = append(lines, Step{Tid: s.Tid, Call: s.Call}.String())
	}
	if want := "1 fork|2 store 0x100000200000 0x10"; strings.Join(lines, "|") != want {
		t.Errorf("shrunk to %q in %d tries, want %q", strings.Join(lines, "|"), tries, want)
	}
}
