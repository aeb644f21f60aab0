package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// The shell's `a | b`: pipe, two forks that dup2 the ends and exec, the
// parent closing its ends and sleeping in wait4 until both are gone.
func TestShellPipeline(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 pipe2 O_CLOEXEC -> 0
		2 fork -> 3
		3 dup2 1 1 -> 1
		3 dup2 1 0x1 -> 1
		3 dup3 1 2 0 -> 2
		3 close 0 -> 0
		3 close 1 -> 0
		3 execve sh -> execed
		2 fork -> 4
		4 dup2 0 3 -> 3
		4 close 1 -> 0
		4 execve true -> execed
		2 close 0 -> 0
		2 close 1 -> 0
		2 wait4 -1 0 -> blocked
		4 read 3 10 -> blocked
		3 write 2 5 -> 5
		4 getpid -> 4
		4 read 3 10 -> blocked
		3 exit_group 0 -> exited
	`)
	if got := w.mustTask(2); got.State != abi.Running || !got.Returned || got.Return.Ret != 3 || got.Call != "wait4 -1 0" {
		t.Fatalf("task 2: %+v", got)
	}
	if got := w.mustTask(4); got.State != abi.Running || !got.Returned || got.Return.Ret != 0 {
		t.Fatalf("task 4 did not see EOF: %+v", got)
	}
}

// pthread_create as glibc 2.36 calls it, pthread_join as a FUTEX_WAIT on
// the tid word, and the thread's exit clearing the tid and waking it.
func TestPthreadJoin(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone3 CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID 0 ptid=0x100000201000 ctid=0x100000201000 -> 3
		2 load 0x100000201000 -> 3
		2 futex 0x100000201000 FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME 3 -> blocked
		3 exit 0 -> exited
		2 load 0x100000201000 -> 0
		2 futex 0x100000201000 FUTEX_WAIT 3 -> EAGAIN
	`)
}
