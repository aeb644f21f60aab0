package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
)

func TestWORLD1_InitAndPids(t *testing.T) {
	w := newWorld(t)
	tv := w.mustTask(1)
	eq(t, "init image", tv.Image, "init")
	eq(t, "init ppid", tv.Ppid, 0)
	eq(t, "init umask", w.umask(1), int64(abi.DefaultUmask))
	w.run(`
		1 getpid -> 1
		1 getppid -> 0
		1 fork -> 2
		2 exit_group 0 -> exited
		1 wait4 2 0 -> 2
		# pids are never reused
		1 fork -> 3
		# CLONE_PARENT from init fails
		1 clone CLONE_PARENT|SIGCHLD -> EINVAL
		# a failed clone uses no pid
		1 fork -> 4
		# init never exits; signals at SIG_DFL are dropped, SIGKILL included
		1 exit_group 0 -> unsupported
		1 exit 0 -> unsupported
		3 kill 1 SIGKILL -> 0
		3 kill 1 SIGTERM -> 0
	`)
	w.state(1, abi.Running)
	// Orphans go to init.
	w.run(`
		3 fork -> 5
		3 exit_group 0 -> exited
		5 getppid -> 1
	`)
	// Init with a handler does take the signal.
	w.run(`
		1 sigaction SIGUSR1 handler 0 -> 0
		5 kill 1 SIGUSR1 -> 0
	`)
	eq(t, "init handled SIGUSR1", w.handled(1, abi.SIGUSR1), 1)
	// A bad access in init would kill it: refused, nothing changes.
	before := w.k.View()
	w.run(`1 store 0x100000000000 1 -> unsupported`)
	if d := cmp.Diff(before, w.k.View()); d != "" {
		t.Fatalf("refused step changed the world:\n%s", d)
	}
}

func TestWORLD2_ImageTable(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 load 0x100000000000 -> 0x11
		1 load 0x100000200000 -> 0x21
		1 load 0x100000201000 -> 0x22
		1 fork -> 2
		2 execve nope -> ENOENT
		2 execve worker -> execed
		2 load 0x100000000000 -> 0x91
		2 load 0x1000001fe000 -> 0x92
		2 load 0x1000001ff000 -> 0
		2 load 0x100000200000 -> 0x93
		2 load 0x100040000000 -> 0x99
	`)
	eq(t, "image", w.mustTask(2).Image, "worker")
	if _, ok := w.mapping(2, data1+0x1000); ok {
		t.Fatalf("worker has no mapping at %#x", data1+0x1000)
	}
	m, _ := w.mapping(2, abi.ArenaStart+0x40000000)
	eq(t, "worker shared page", m.Shared, true)
}

func TestWORLD3_StepsByTasksThatCannotRun(t *testing.T) {
	w := newWorld(t)
	w.run(`
		9 getpid -> no-task
		1 vfork -> 2 frozen
		1 getpid -> task-frozen
		2 exit 0 -> exited
		2 getpid -> zombie
		1 wait4 2 0 -> 2
		2 getpid -> no-task
		1 fork -> 3
		3 wait4 -1 0 -> ECHILD
		1 wait4 3 0 -> blocked
		1 getpid -> task-blocked
	`)
	// None of the refusals changed anything.
	before := w.k.View()
	for _, s := range []struct {
		tid  int
		call string
	}{{7, "fork"}, {2, "exit 0"}, {1, "wait4 -1 0"}, {3, "wait4 0 WNOHANG"}, {3, "clone CLONE_NEWPID|SIGCHLD"}} {
		if r := w.do(s.tid, s.call); !r.Outcome.Refused() {
			t.Fatalf("%d %s: got %v, want a refusal", s.tid, s.call, r)
		}
		if d := cmp.Diff(before, w.k.View()); d != "" {
			t.Fatalf("refused %s changed the world:\n%s", s.call, d)
		}
	}
}
