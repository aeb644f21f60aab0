package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestFORK1_ChildIdentity(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 getpid -> 2
		2 gettid -> 2
		2 getppid -> 1
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		3 fork -> 4
		4 getppid -> 2
		4 getpid -> 4
	`)
	v := w.k.View()
	n := 0
	for _, tv := range v.Tasks {
		if tv.Tgid == 4 {
			n++
		}
	}
	eq(t, "threads in the fork child of a multithreaded process", n, 1)
}

func TestFORK2_MemoryIsACopy(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 store 0x100000200000 0x2a -> 0
		1 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		1 fork -> 2
		2 load 0x100000200000 -> 0x2a
		2 load 0x100000201000 -> 0x22
		2 store 0x100000200000 0x63 -> 0
		1 load 0x100000200000 -> 0x2a
		# mmap, munmap and mprotect in the child do not reach the parent
		2 munmap 0x100000400000 0x1000 -> 0
		1 load 0x100000400000 -> 0
		2 mprotect 0x100000201000 0x1000 PROT_READ -> 0
		1 store 0x100000201000 5 -> 0
		2 mmap 0x100000600000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000600000
	`)
	if _, ok := w.mapping(1, abi.ArenaStart+0x600000); ok {
		t.Fatal("the child's new mapping reached the parent")
	}
	if _, ok := w.mapping(2, fresh); ok {
		t.Fatal("the child's munmap did not take")
	}
	// Same mappings right after fork: compare a fresh fork's layout.
	w.run(`1 fork -> 3`)
	eq(t, "mapping count", len(w.mm(3).Mappings), len(w.mm(1).Mappings))
	for i, m := range w.mm(1).Mappings {
		eq(t, "mapping", w.mm(3).Mappings[i], m)
	}
}

func TestFORK3_SignalStateAcrossFork(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGUSR1 handler 0 -> 0
		2 sigaction SIGUSR2 SIG_IGN 0 -> 0
		2 sigprocmask SIG_BLOCK SIGTERM|SIGUSR1 -> 0
		1 kill 2 SIGUSR1 -> 0
		2 fork -> 3
	`)
	eq(t, "parent pending", w.proc(2).Pending, abi.SigBit(abi.SIGUSR1))
	eq(t, "child pending", w.proc(3).Pending, abi.SigSet(0))
	eq(t, "child mask", w.mustTask(3).Blocked, abi.SigBit(abi.SIGTERM)|abi.SigBit(abi.SIGUSR1))
	eq(t, "child SIGUSR1", w.action(3, abi.SIGUSR1).Handler, abi.SigHandle)
	eq(t, "child SIGUSR2", w.action(3, abi.SIGUSR2).Handler, abi.SigIgnore)
	if w.mustTask(3).Sighand == w.mustTask(2).Sighand {
		t.Fatal("fork shares the disposition table")
	}
	w.run(`3 sigaction SIGUSR1 SIG_DFL 0 -> 0`)
	eq(t, "parent keeps its handler", w.action(2, abi.SIGUSR1).Handler, abi.SigHandle)
}

func TestFORK4_FdTableCopy(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 open a 0 -> 0
		1 open b O_CLOEXEC -> 1
		1 fork -> 2
		2 write 0 5 -> 5
		1 lseek 0 0 SEEK_CUR -> 5
		2 close 1 -> 0
		1 fcntl 1 F_GETFD 0 -> 1
		2 fcntl 1 F_GETFD 0 -> EBADF
	`)
	p, c := w.fds(1), w.fds(2)
	eq(t, "child fds", len(c), 1)
	eq(t, "same open file", c[0].File, p[0].File)
}

func TestFORK5_ExitSignalAndSubreaper(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 prctl PR_SET_CHILD_SUBREAPER 1 -> 0
		2 fork -> 3
		3 prctl PR_GET_CHILD_SUBREAPER 0 -> 0
		2 prctl PR_GET_CHILD_SUBREAPER 0 -> 1
	`)
	eq(t, "exit signal", w.mustTask(3).ExitSignal, abi.SIGCHLD)
	eq(t, "subreaper inherited", w.proc(3).Subreaper, false)
}

func TestFORK6_DontForkAndWipeOnFork(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 mmap 0x100000400000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 store 0x100000400000 7 -> 0
		2 store 0x100000401000 8 -> 0
		2 madvise 0x100000400000 0x1000 MADV_DONTFORK -> 0
		2 madvise 0x100000401000 0x1000 MADV_WIPEONFORK -> 0
		2 fork -> 3
		# the WIPEONFORK page exists and reads zero; the mark stays
		3 load 0x100000401000 -> 0
		3 fork -> 4
		3 store 0x100000401000 9 -> 0
		4 load 0x100000401000 -> 0
		# the parent keeps its contents
		2 load 0x100000400000 -> 7
		2 load 0x100000401000 -> 8
		# the DONTFORK page does not exist in the child; it may map its own there
		3 mmap 0x100000400000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE -> 0x100000400000
		4 load 0x100000400000 -> killed(SIGSEGV)
	`)
	m, _ := w.mapping(3, fresh+0x1000)
	eq(t, "wipeonfork kept in child", m.WipeOnFork, true)
	// DOFORK / KEEPONFORK undo the marks.
	w.run(`
		2 madvise 0x100000400000 0x2000 MADV_DOFORK -> 0
		2 madvise 0x100000400000 0x2000 MADV_KEEPONFORK -> 0
		2 fork -> 5
		5 load 0x100000400000 -> 7
		5 load 0x100000401000 -> 8
	`)
}

func TestFORK7_TaskLimit(t *testing.T) {
	w := newWorldLimit(t, 3)
	w.run(`
		1 fork -> 2
		1 vfork -> 3 frozen
		3 fork -> EAGAIN
		3 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> EAGAIN
		3 exit 0 -> exited
		# a zombie still counts
		1 fork -> EAGAIN
		1 wait4 3 0 -> 3
		# the failed forks used no pid
		1 fork -> 4
	`)
	eq(t, "tasks", len(w.k.View().Tasks), 3)
}
