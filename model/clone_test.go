package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestCLONE1_SharedAddressSpace(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone CLONE_VM|SIGCHLD -> 3
		3 store 0x100000200000 0x33 -> 0
		2 load 0x100000200000 -> 0x33
		2 mmap 0x100000400000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		3 load 0x100000400000 -> 0
		3 mprotect 0x100000400000 0x1000 PROT_NONE -> 0
		2 load 0x100000400000 -> killed(SIGSEGV)
		# without CLONE_VM: a COW copy
		3 clone SIGCHLD -> 4
		4 store 0x100000201000 0x44 -> 0
		3 load 0x100000201000 -> 0x22
	`)
	if w.mustTask(4).Mm == w.mustTask(3).Mm {
		t.Fatal("clone without CLONE_VM shares the mm")
	}
}

func TestCLONE2_SharedFdTable(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone CLONE_FILES|SIGCHLD -> 3
		3 open a 0 -> 0
		2 fcntl 0 F_GETFD 0 -> 0
		2 fcntl 0 F_SETFD FD_CLOEXEC -> 0
		3 fcntl 0 F_GETFD 0 -> 1
		3 dup 0 -> 1
		2 close 1 -> 0
		3 close 1 -> EBADF
		2 clone SIGCHLD -> 4
		4 close 0 -> 0
		3 fcntl 0 F_GETFD 0 -> 1
	`)
	eq(t, "shared table", w.mustTask(3).FdTable, w.mustTask(2).FdTable)
}

func TestCLONE3_SharedUmask(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone CLONE_FS|SIGCHLD -> 3
		3 umask 0o77 -> 0o22
		2 umask 0o27 -> 0o77
		2 clone SIGCHLD -> 4
		4 umask 0o1 -> 0o27
		3 umask 0o27 -> 0o27
	`)
	eq(t, "umask masked", w.umask(4), int64(0o1))
}

func TestCLONE4_Sighand(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGUSR1 handler SA_RESTART -> 0
		2 sigaction SIGUSR2 SIG_IGN 0 -> 0
		2 clone CLONE_VM|CLONE_SIGHAND|SIGCHLD -> 3
		3 sigaction SIGTERM SIG_IGN 0 -> 0
		3 sigprocmask SIG_BLOCK SIGUSR1 -> 0
	`)
	eq(t, "shared table sees SIGTERM", w.action(2, abi.SIGTERM).Handler, abi.SigIgnore)
	eq(t, "mask is per task", w.mustTask(2).Blocked, abi.SigSet(0))
	w.run(`
		1 kill 3 SIGUSR1 -> 0
	`)
	eq(t, "pending per process", w.proc(3).Pending, abi.SigBit(abi.SIGUSR1))
	eq(t, "other process", w.proc(2).Pending, abi.SigSet(0))
	// CLONE_CLEAR_SIGHAND: caught → default (flags cleared), ignored kept.
	w.run(`
		2 clone3 CLONE_CLEAR_SIGHAND SIGCHLD -> 4
		2 clone3 CLONE_VM|CLONE_SIGHAND|CLONE_CLEAR_SIGHAND SIGCHLD -> EINVAL
	`)
	eq(t, "caught reset", w.action(4, abi.SIGUSR1), abi.ActionView{Sig: abi.SIGUSR1})
	eq(t, "ignored kept", w.action(4, abi.SIGUSR2).Handler, abi.SigIgnore)
	eq(t, "parent keeps handler", w.action(2, abi.SIGUSR1).Handler, abi.SigHandle)
}

func TestCLONE5_CloneParent(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 clone SIGUSR1 -> 2
		2 clone CLONE_PARENT|SIGUSR2 -> 3
		3 getppid -> 1
		2 fork -> 4
		4 clone CLONE_PARENT|SIGTERM -> 5
		5 getppid -> 2
		1 clone3 CLONE_PARENT 0 -> EINVAL
		2 clone3 CLONE_PARENT SIGCHLD -> EINVAL
	`)
	// The exit signal is the caller's leader's, not the flags'.
	eq(t, "3's exit signal", w.mustTask(3).ExitSignal, abi.SIGUSR1)
	eq(t, "5's exit signal", w.mustTask(5).ExitSignal, abi.SIGCHLD)
	// The caller's parent is the one notified.
	w.run(`
		5 exit 0 -> exited
		4 wait4 5 WNOHANG -> ECHILD
		2 wait4 5 WNOHANG -> 5
	`)
}

func TestCLONE6_TerminationSignal(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGUSR1 handler 0 -> 0
		2 clone SIGUSR1 -> 3
		2 clone 0 -> 4
		2 clone3 0 SIGUSR2 -> 5
		2 sigaction SIGUSR2 handler 0 -> 0
		3 exit 0 -> exited
		4 exit 0 -> exited
		5 exit 0 -> exited
		2 wait4 -1 WNOHANG -> ECHILD
		2 wait4 3 WNOHANG|__WCLONE -> 3
		2 wait4 -1 WNOHANG|__WALL -> 4
		2 wait4 -1 __WCLONE -> 5 status=exit(0)
	`)
	eq(t, "SIGUSR1 handled", w.handled(2, abi.SIGUSR1), 1)
	eq(t, "SIGUSR2 handled", w.handled(2, abi.SIGUSR2), 1)
	// A child's exit signal that kills the parent arrives after the
	// parent's own call returned: the kill reports 0, the parent is dead.
	w.run(`
		1 fork -> 6
		6 clone SIGUSR1 -> 7
		6 kill 7 SIGKILL -> 0
		6 getpid -> zombie
		1 wait4 6 0 -> 6 status=signal(SIGUSR1)
	`)
	// Legacy clone: any low byte; an invalid signal notifies nobody.
	w.run(`
		2 clone 0x50 -> 8
		8 exit 7 -> exited
		2 wait4 8 __WCLONE -> 8 status=exit(7)
	`)
}

func TestCLONE7_Validation(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone CLONE_THREAD|CLONE_VM -> EINVAL
		2 clone CLONE_SIGHAND|SIGCHLD -> EINVAL
		2 clone CLONE_FS|CLONE_NEWNS|SIGCHLD -> EINVAL
		2 clone3 CLONE_SIGHAND|CLONE_CLEAR_SIGHAND|CLONE_VM 0 -> EINVAL
		2 clone3 CLONE_THREAD|CLONE_SIGHAND|CLONE_VM SIGCHLD -> EINVAL
		2 clone3 0 65 -> EINVAL
		2 clone3 0x400000000 SIGCHLD -> EINVAL
		2 clone3 CLONE_DETACHED SIGCHLD -> EINVAL
		# first failure wins: THREAD without SIGHAND is checked before
		# CLONE_PARENT from init
		1 clone CLONE_THREAD|CLONE_PARENT -> EINVAL
		# valid for Linux but not modelled
		2 clone CLONE_NEWPID|SIGCHLD -> unsupported
		2 clone3 CLONE_PIDFD SIGCHLD -> unsupported
		# nothing was created: the next pid is 3
		2 fork -> 3
	`)
	// Legacy clone drops the high 32 bits (CLONE_CLEAR_SIGHAND is ignored).
	w.run(`
		2 sigaction SIGUSR1 handler 0 -> 0
		2 clone CLONE_CLEAR_SIGHAND|SIGCHLD -> 4
	`)
	eq(t, "legacy clone ignores high bits", w.action(4, abi.SIGUSR1).Handler, abi.SigHandle)
}
