package impl

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/forkspec/forkspec/abi"
)

// TestRefusalsChangeNothing: refused steps leave the world as it was
// (WORLD-3, conventions "The world").
func TestRefusalsChangeNothing(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 fork -> 2
		2 exit 0 -> exited
		1 vfork -> 3 frozen
	`)
	before, frames, stats := k.View(), k.FramesInUse(), k.Stats()
	for _, s := range []struct {
		tid  int
		sc   abi.Syscall
		want abi.Outcome
	}{
		{9, abi.Getpid{}, abi.OutcomeNoTask},
		{2, abi.Fork{}, abi.OutcomeTaskZombie},
		{1, abi.Store{Addr: initData, Value: 1}, abi.OutcomeTaskFrozen},
		{3, abi.Wait4{Pid: 0}, abi.OutcomeUnsupported},
		{3, abi.Clone{Flags: abi.CLONE_NEWPID}, abi.OutcomeUnsupported},
		{3, abi.Kill{Pid: 3, Sig: abi.SIGSTOP}, abi.OutcomeUnsupported},
		{3, nil, abi.OutcomeUnsupported},
	} {
		if r := k.Step(s.tid, s.sc); r != abi.Refuse(s.want) {
			t.Errorf("step %d %v = %v, want %v", s.tid, s.sc, r, s.want)
		}
	}
	if d := cmp.Diff(before, k.View()); d != "" || frames != k.FramesInUse() || stats != k.Stats() {
		t.Fatalf("refusals changed the world:\n%s", d)
	}
	run(t, k, `
		3 exit 0 -> exited
		1 wait4 2 0 -> 2
		1 wait4 -1 0 -> 3
		1 wait4 -1 0 -> ECHILD
	`)
}

func TestStatsGauges(t *testing.T) {
	k := New(abi.Config{})
	s := k.Stats()
	if s.FramesInUse != initFrames || s.PageTablePages != 5 || k.FramesTotal() != DefaultFrames {
		t.Fatalf("fresh kernel stats %+v total %d", s, k.FramesTotal())
	}
}
