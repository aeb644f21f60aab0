package model

import (
	"reflect"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestVFORK1_IsCloneVmVforkSigchld(t *testing.T) {
	a, b := newWorld(t), newWorld(t)
	ra := a.do(1, "vfork")
	rb := b.do(1, "clone CLONE_VM|CLONE_VFORK|SIGCHLD")
	eq(t, "result", ra, rb)
	eq(t, "result", ra, abi.Result{Ret: 2, Outcome: abi.OutcomeFrozen})
	if ca, cb := a.mustTask(2), b.mustTask(2); !reflect.DeepEqual(ca, cb) {
		t.Fatalf("child: vfork gives %+v, clone %+v", ca, cb)
	}
	eq(t, "shares mm", a.mustTask(2).Mm, a.mustTask(1).Mm)
	eq(t, "exit signal", a.mustTask(2).ExitSignal, abi.SIGCHLD)
}

func TestVFORK2_FrozenUntilExecOrExit(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 vfork -> 2 frozen
		1 getpid -> task-frozen
		# a failed exec does not release
		2 execve nope -> ENOENT
		1 getpid -> task-frozen
		2 execve sh -> execed
		1 getpid -> 1
		1 vfork -> 3 frozen
		3 exit 0 -> exited
		1 getpid -> 1
		1 fork -> 4
		4 vfork -> 5 frozen
		5 exit_group 0 -> exited
		4 getpid -> 4
		4 vfork -> 6 frozen
		# killed: a bad access
		6 load 0x10 -> killed(SIGSEGV)
		4 getpid -> 4
	`)
	w.state(1, abi.Running)
}

func TestVFORK3_SharedMemoryNoCow(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 store 0x100000200000 5 -> 0
		1 fork -> 2
		2 vfork -> 3 frozen
		3 store 0x100000200000 9 -> 0
		3 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		3 store 0x100000400000 4 -> 0
	`)
	eq(t, "same frame while shared", w.frame(3, data0), w.frame(2, data0))
	w.run(`
		3 exit 0 -> exited
		2 load 0x100000200000 -> 9
		2 load 0x100000400000 -> 4
	`)
}

func TestVFORK4_RestIsCopied(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 open a 0 -> 0
		1 sigaction SIGUSR1 handler 0 -> 0
		1 vfork -> 2 frozen
		2 open b 0 -> 1
		2 close 0 -> 0
		2 sigaction SIGUSR1 SIG_IGN 0 -> 0
		2 umask 0o77 -> 0o22
		2 exit 0 -> exited
		1 fcntl 0 F_GETFD 0 -> 0
		1 fcntl 1 F_GETFD 0 -> EBADF
	`)
	eq(t, "parent handler", w.action(1, abi.SIGUSR1).Handler, abi.SigHandle)
	eq(t, "parent umask", w.umask(1), int64(0o22))
}

func TestVFORK5_SignalsToFrozenParent(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGUSR1 handler 0 -> 0
		2 vfork -> 3 frozen
		1 kill 2 SIGUSR1 -> 0
	`)
	eq(t, "pending while frozen", w.proc(2).Pending, abi.SigBit(abi.SIGUSR1))
	eq(t, "not handled yet", w.handled(2, abi.SIGUSR1), 0)
	w.run(`3 exit 0 -> exited`)
	eq(t, "handled at release", w.handled(2, abi.SIGUSR1), 1)
	eq(t, "pending after release", w.proc(2).Pending, abi.SigSet(0))
	// A core-dumping default signal waits; SIGKILL (and SIGTERM at default)
	// kill at once and the child runs on.
	w.run(`
		2 vfork -> 4 frozen
		1 kill 2 SIGQUIT -> 0
	`)
	w.state(2, abi.VforkFrozen)
	w.run(`
		1 kill 2 SIGKILL -> 0
		4 getpid -> 4
		4 getppid -> 1
		1 wait4 2 0 -> 2 status=signal(SIGKILL)
	`)
	w.run(`
		4 vfork -> 5 frozen
		1 kill 4 SIGTERM -> 0
		5 getppid -> 1
		1 wait4 4 0 -> 4 status=signal(SIGTERM)
	`)
}

func TestVFORK6_OnlyCallingThreadFrozen(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		3 vfork -> 4 frozen
		3 getpid -> task-frozen
		2 getpid -> 2
		4 store 0x100000200000 0x44 -> 0
		2 load 0x100000200000 -> 0x44
		4 execve true -> execed
		3 getpid -> 2
		4 getppid -> 2
	`)
}

func TestVFORK7_VforkWithoutVm(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 store 0x100000200000 1 -> 0
		2 clone CLONE_VFORK|SIGCHLD -> 3 frozen
		2 getpid -> task-frozen
		3 store 0x100000200000 2 -> 0
		3 exit 0 -> exited
		2 load 0x100000200000 -> 1
	`)
	if w.mustTask(2).Mm == 0 {
		t.Fatal("parent lost its mm")
	}
}

// TestVFORK6_SignalForFrozenThreadWaits: a signal aimed at the frozen
// thread of a multithreaded parent is woken for that thread
// (complete_signal: it wants the signal) and waits for its release; the
// running sibling does not take it (Linux oracle, 6.18).
func TestVFORK6_SignalForFrozenThreadWaits(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGUSR1 handler 0 -> 0
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		2 vfork -> 4 frozen
		3 kill 2 SIGUSR1 -> 0
	`)
	eq(t, "pending while the target is frozen", w.proc(2).Pending, abi.SigBit(abi.SIGUSR1))
	w.run(`4 exit 0 -> exited`)
	eq(t, "taken at release", w.handled(2, abi.SIGUSR1), 1)
	// Aimed at the running thread, it is taken at once.
	w.run(`
		2 vfork -> 5 frozen
		1 kill 3 SIGUSR1 -> 0
	`)
	eq(t, "taken by the running thread", w.handled(2, abi.SIGUSR1), 2)
	// A sibling that forks runs recalc_sigpending and takes a signal that
	// waits for the frozen thread before the fork goes ahead.
	w.run(`
		3 kill 2 SIGUSR1 -> 0
		3 getpid -> 2
	`)
	eq(t, "still waiting", w.proc(2).Pending, abi.SigBit(abi.SIGUSR1))
	w.run(`3 fork -> 6`)
	eq(t, "taken by the forking sibling", w.handled(2, abi.SIGUSR1), 3)
	eq(t, "pending after fork", w.proc(2).Pending, abi.SigSet(0))
}
