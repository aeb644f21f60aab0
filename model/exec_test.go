package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
)

func TestEXEC1_FreshMemory(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 store 0x100000400000 3 -> 0
		2 madvise 0x100000200000 0x1000 MADV_DONTFORK -> 0
		2 clone CLONE_VM|SIGCHLD -> 3
		2 execve sh -> execed
		2 getpid -> 2
		2 load 0x100000200000 -> 0x52
		2 load 0x100000201000 -> killed(SIGSEGV)
	`)
	// The CLONE_VM partner keeps the old mm, marks and all.
	w.run(`
		3 load 0x100000400000 -> 3
		3 load 0x100000201000 -> 0x22
	`)
	m, _ := w.mapping(3, data0)
	eq(t, "partner keeps DONTFORK", m.DontFork, true)
}

func TestEXEC1_MarksAndSharedGone(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 madvise 0x100000200000 0x2000 MADV_WIPEONFORK -> 0
		2 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 execve init -> execed
	`)
	for _, m := range w.mm(2).Mappings {
		if m.DontFork || m.WipeOnFork || m.Shared {
			t.Fatalf("mapping survived exec with marks: %+v", m)
		}
	}
	if _, ok := w.mapping(2, fresh); ok {
		t.Fatal("shared mapping survived exec")
	}
}

func TestEXEC2_FailedExecChangesNothing(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 open a O_CLOEXEC -> 0
		2 sigaction SIGUSR1 handler 0 -> 0
		2 store 0x100000200000 8 -> 0
	`)
	before := w.k.View()
	w.run(`2 execve /bin/nope -> ENOENT`)
	if d := cmp.Diff(before, w.k.View()); d != "" {
		t.Fatalf("failed exec changed the world:\n%s", d)
	}
}

func TestEXEC3_Dispositions(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGUSR1 handler SA_RESTART -> 0
		2 sigaction SIGUSR2 SIG_IGN SA_RESTART -> 0
		2 sigaction SIGCHLD SIG_IGN 0 -> 0
		2 sigaction SIGTERM SIG_DFL SA_NOCLDWAIT -> 0
		2 sigprocmask SIG_BLOCK SIGUSR1 -> 0
		1 kill 2 SIGUSR1 -> 0
		2 clone CLONE_VM|CLONE_SIGHAND|SIGCHLD -> 3
		2 execve sh -> execed
	`)
	eq(t, "caught reset", w.action(2, abi.SIGUSR1), abi.ActionView{Sig: abi.SIGUSR1})
	eq(t, "ignored kept, flags cleared", w.action(2, abi.SIGUSR2), abi.ActionView{Sig: abi.SIGUSR2, Handler: abi.SigIgnore})
	eq(t, "SIGCHLD ignored kept", w.action(2, abi.SIGCHLD).Handler, abi.SigIgnore)
	eq(t, "flags cleared", w.action(2, abi.SIGTERM), abi.ActionView{Sig: abi.SIGTERM})
	eq(t, "mask kept", w.mustTask(2).Blocked, abi.SigBit(abi.SIGUSR1))
	eq(t, "pending kept", w.proc(2).Pending, abi.SigBit(abi.SIGUSR1))
	// The partner's table was unshared from, not reset.
	eq(t, "partner keeps handler", w.action(3, abi.SIGUSR1).Handler, abi.SigHandle)
	if w.mustTask(2).Sighand == w.mustTask(3).Sighand {
		t.Fatal("exec did not unshare the disposition table")
	}
	// Unblocking the pending signal now applies the default: death.
	w.run(`
		2 sigprocmask SIG_UNBLOCK SIGUSR1 -> killed(SIGUSR1)
		1 wait4 2 0 -> 2 status=signal(SIGUSR1)
	`)
}

func TestEXEC4_FdTable(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 open a 0 -> 0
		2 open b O_CLOEXEC -> 1
		2 write 0 4 -> 4
		2 clone CLONE_FILES|SIGCHLD -> 3
		2 execve sh -> execed
		2 fcntl 1 F_GETFD 0 -> EBADF
		2 lseek 0 0 SEEK_CUR -> 4
		# the partner keeps the fd the exec'er closed
		3 fcntl 1 F_GETFD 0 -> 1
		3 close 0 -> 0
		2 fcntl 0 F_GETFD 0 -> 0
	`)
}

func TestEXEC5_NonLeaderExec(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 4
		4 fork -> 5
		4 execve true -> execed
		# the exec'er took over the group's pid
		2 getpid -> 2
		2 gettid -> 2
		4 getpid -> no-task
		3 getpid -> no-task
		2 getppid -> 1
		5 getppid -> 2
	`)
	v := w.k.View()
	n := 0
	for _, tv := range v.Tasks {
		if tv.Tgid == 2 {
			n++
		}
	}
	eq(t, "threads left", n, 1)
	eq(t, "image", w.mustTask(2).Image, "true")
	// The old leader vanished without a notification: nothing to wait for,
	// no SIGCHLD pending in init.
	w.run(`1 wait4 2 WNOHANG -> 0`)
	eq(t, "init pending", w.proc(1).Pending, abi.SigSet(0))
	// A leader exec in a multithreaded group kills the others too.
	w.run(`
		5 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 6
		5 execve sh -> execed
		6 getpid -> no-task
		5 gettid -> 5
	`)
}

func TestEXEC6_WhatExecKeeps(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 prctl PR_SET_CHILD_SUBREAPER 1 -> 0
		2 umask 0o77 -> 0o22
		2 clone SIGUSR1 -> 3
		3 execve sh -> execed
		2 vfork -> 4 frozen
		4 execve true -> execed
		2 getpid -> 2
		2 execve sh -> execed
		2 getppid -> 1
		2 prctl PR_GET_CHILD_SUBREAPER 0 -> 1
		2 umask 0o22 -> 0o77
	`)
	eq(t, "exit signal reset", w.mustTask(3).ExitSignal, abi.SIGCHLD)
}
