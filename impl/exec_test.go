package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestExecReplacesMMAndReleasesVfork(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, "1 vfork -> 2 frozen")
	old := k.tasks[1].mm
	run(t, k, "2 execve worker -> execed")
	if k.tasks[2].mm == old || k.tasks[1].mm != old || old.users != 1 {
		t.Fatal("EXEC-1: the vfork child gets a new mm; the parent keeps the old one")
	}
	if k.tasks[1].state != stateRunning || k.Stats().VforkByExec != 1 {
		t.Fatal("VFORK-2: exec must release the parent")
	}
	if e := pteAt(k, 2, abi.ArenaStart+0x40000000); !e.present() || e&pteShared == 0 {
		t.Fatalf("worker's shared page PTE %#x, want present and shared", e)
	}
}

func TestExecNonLeaderTakesOverPid(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 fork -> 2
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		3 execve true -> execed
		2 gettid -> 2
	`)
	t2 := k.tasks[2]
	if len(k.tasks) != 2 || t2.g.leader != t2 || len(t2.g.threads) != 1 || t2.image != "true" || t2.exitSignal != abi.SIGCHLD {
		t.Fatalf("EXEC-5: after a non-leader exec the group is one leader with tid 2 running true; got %d tasks, %+v", len(k.tasks), *t2)
	}
}

func TestExecFreesOldMemory(t *testing.T) {
	k := New(abi.Config{}, WithOnDemandFork(false))
	run(t, k, "1 fork -> 2")
	before := k.FramesInUse()
	run(t, k, "2 execve true -> execed")
	// The child's copy (5 tables) goes; "true" needs 4 tables + 1 frame.
	if got := k.FramesInUse(); got != before {
		t.Fatalf("frames in use %d -> %d, want unchanged (5 out, 5 in)", before, got)
	}
	if m := k.frames.meta(pteAt(k, 1, initData).frame()); m.ref != 1 {
		t.Fatalf("parent's frame still has %d references after the child's exec", m.ref)
	}
}
