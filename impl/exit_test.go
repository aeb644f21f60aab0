package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestExitReleasesObjectsAndReparents(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 fork -> 2
		2 prctl PR_SET_CHILD_SUBREAPER 1 -> 0
		2 fork -> 3
		3 open a 0 -> 0
		3 clone CLONE_FILES|SIGUSR1 -> 4
		3 fork -> 5
		3 exit 0 -> exited
	`)
	t3 := k.tasks[3]
	if t3.state != stateZombie || t3.mm != nil || t3.files != nil || t3.sh != nil || t3.fs != nil {
		t.Fatal("EXIT-3: a zombie holds no objects")
	}
	if k.tasks[4].files.refs != 1 {
		t.Fatalf("fd table refs %d after the partner's exit, want 1", k.tasks[4].files.refs)
	}
	for _, c := range []int{4, 5} {
		if p := k.tasks[c].g.parent; p != k.tasks[2] {
			t.Fatalf("REAP-1: child %d's parent is %v, want the subreaper 2", c, p.tid)
		}
	}
	if k.tasks[4].exitSignal != abi.SIGCHLD {
		t.Fatalf("REAP-2: a reparented clone child's exit signal is %d, want SIGCHLD", k.tasks[4].exitSignal)
	}
}

func TestAutoReapLeavesNothing(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 sigaction SIGCHLD SIG_IGN 0 -> 0
		1 fork -> 2
		2 exit 3 -> exited
		2 getpid -> no-task
	`)
	if len(k.tasks) != 1 || k.FramesInUse() != initFrames {
		t.Fatalf("WAIT-5: %d tasks, %d frames after an auto-reaped exit", len(k.tasks), k.FramesInUse())
	}
}
