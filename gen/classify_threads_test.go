package gen

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
)

// TestLargeGroupEvents: each way a group of three or more threads ends is
// named at the step that ends it, and a two-thread group's end is not.
func TestLargeGroupEvents(t *testing.T) {
	evs := runEvents(t, `
		1 fork
		2 sigaction SIGUSR1 handler 0
		2 `+thr+`
		2 `+thr+`
		3 sigprocmask SIG_BLOCK SIGUSR1
		1 kill 3 SIGUSR1
		4 vfork
		5 exit_group 0
		3 exit_group 1
		1 fork
		6 `+thr+`
		6 `+thr+`
		8 load 0x10000
		1 fork
		9 `+thr+`
		9 `+thr+`
		1 kill 11 SIGTERM
		1 fork
		12 `+thr+`
		13 exit_group 2`)
	for line, want := range map[string]Event{
		"1 kill 3 SIGUSR1":  SiblingTookBlocked,
		"4 vfork":           VforkInLargeGroup,
		"3 exit_group 1":    LargeGroupExitGroup,
		"8 load 0x10000":    LargeGroupSIGSEGV,
		"1 kill 11 SIGTERM": LargeGroupFatalSignal,
	} {
		if !has(evs[line], want) {
			t.Errorf("%s: events %v, want %v", line, evs[line], want)
		}
	}
	for _, e := range []Event{LargeGroupExitGroup, LargeGroupFatalSignal, LargeGroupSIGSEGV} {
		if has(evs["13 exit_group 2"], e) {
			t.Errorf("a two-thread group's exit_group: %v, want no %v", evs["13 exit_group 2"], e)
		}
	}
	if has(evs["5 exit_group 0"], LargeGroupExitGroup) {
		t.Errorf("the vfork child's exit: %v, want no large-group event", evs["5 exit_group 0"])
	}
}

// TestEdgeCOWEvents: a store that copies a page at slot 511 or slot 0 of a
// leaf table, or at a 1 GiB or 512 GiB edge, is named; the same store
// before the fork (no copy) is not.
func TestEdgeCOWEvents(t *testing.T) {
	evs := runEvents(t, `
		1 mmap 0x107fffffe000 0x4000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		1 store 0x107ffffff000 1
		1 store 0x108000000000 2
		1 store 0x1000001fe000 3
		1 fork
		2 store 0x107ffffff000 4
		2 store 0x108000000000 5
		2 store 0x1000001fe000 6`)
	for line, want := range map[string][]Event{
		"1 store 0x107ffffff000 1": nil,
		"2 store 0x107ffffff000 4": {COWLeafSlot511, COWAt1GiB, COWAt512GiB},
		"2 store 0x108000000000 5": {COWLeafSlot0, COWAt1GiB, COWAt512GiB},
		"2 store 0x1000001fe000 6": nil,
	} {
		var got []Event
		for _, e := range evs[line] {
			if e >= COWLeafSlot0 && e <= COWAt512GiB {
				got = append(got, e)
			}
		}
		if !sameEvents(got, want) {
			t.Errorf("%s: edge events %v, want %v", line, got, want)
		}
	}
}

// TestOneBitTables: every word of the one-bit tables fails EINVAL on the
// model and is named as one bit from valid; a valid word and a word two
// conditions away are not.
func TestOneBitTables(t *testing.T) {
	k := model.New(abi.Config{})
	if r := k.Step(1, abi.Fork{}); r.Ret != 2 {
		t.Fatalf("fork: %v", r)
	}
	for _, c := range oneBitCloneTable {
		if r := k.Step(2, abi.Clone{Flags: c.v}); r.Err != abi.EINVAL {
			t.Errorf("clone %#x: %v, want EINVAL", c.v, r)
		}
		if !oneBitFromValidClone(c.v, false) {
			t.Errorf("clone %#x: not one bit from valid", c.v)
		}
	}
	for _, c := range oneBitClone3Table {
		s := abi.Clone3{Flags: c.v.flags, ExitSignal: c.v.sig}
		if r := k.Step(2, s); r.Err != abi.EINVAL {
			t.Errorf("%v: %v, want EINVAL", s, r)
		}
		if !oneBitFromValidClone3(s, false) {
			t.Errorf("%v: not one bit from valid", s)
		}
	}
	if !oneBitFromValidClone(abi.CLONE_PARENT|abi.SIGCHLD, true) || abi.CloneInvalid(abi.CLONE_PARENT, false) {
		t.Error("CLONE_PARENT: invalid one bit away only from init")
	}
	// CLONE_THREAD with CLONE_NEWNS|CLONE_FS and no CLONE_SIGHAND: two
	// checks fail, and no single bit fixes both.
	if oneBitFromValidClone(abi.CLONE_THREAD|abi.CLONE_VM|abi.CLONE_FS|abi.CLONE_NEWNS, false) {
		t.Error("a word two checks away counted as one bit from valid")
	}
}

// TestLargeGroupMacroFitsTheLimit: the large-group pattern builds groups of
// three to eight threads, never asks init for a thread, and never needs
// more tasks than the limit leaves.
func TestLargeGroupMacroFitsTheLimit(t *testing.T) {
	sizes := map[int]bool{}
	for seed := uint64(0); seed < 300; seed++ {
		cfg := abi.Config{MaxTasks: 12}
		k, g, src := model.New(cfg), New(cfg), FromRand(seed)
		w := newWorld(k.View())
		t1, _ := w.task(1)
		g.roles[rT] = 1
		g.script = largeGroupMacro(g, src, w, t1)
		biggest := 0
		for len(g.script) > 0 {
			v := k.View()
			g.observe(newWorld(v))
			step := g.script[0]
			g.script = g.script[1:]
			tid, sc, ok := step(g, src, newWorld(v))
			if !ok {
				break
			}
			r := k.Step(tid, sc)
			if r.Err == abi.EAGAIN || r.Outcome.Refused() {
				t.Fatalf("seed %d: %d %v: %v (task limit or refusal)", seed, tid, sc, r)
			}
			if c, ok := sc.(abi.Clone); ok && c.Flags&abi.CLONE_THREAD != 0 {
				if tt, _ := (newWorld(v)).task(tid); tt.Tgid == 1 {
					t.Fatalf("seed %d: a thread asked of init's group", seed)
				}
			}
			for _, p := range k.View().Procs {
				biggest = max(biggest, liveThreads(newWorld(k.View()), p.Tgid))
			}
		}
		sizes[biggest] = true
	}
	for n := largeGroup; n <= 8; n++ {
		if !sizes[n] {
			t.Errorf("no seed built a group of %d threads (sizes seen %v)", n, sizes)
		}
	}
}
