package linux

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// Hand-written step sequences, each run in lockstep with the reference
// model (compare_test.go). Clause IDs are from shared/semantics.md.

const (
	ro      = abi.ArenaStart            // init's read-only page
	data    = abi.ArenaStart + 0x200000 // init's two read-write pages
	scratch = abi.ArenaStart + 0x10000000
	rw      = abi.PROT_READ | abi.PROT_WRITE
	anonP   = abi.MAP_PRIVATE | abi.MAP_ANONYMOUS
	anonS   = abi.MAP_SHARED | abi.MAP_ANONYMOUS
)

var scenarios = map[string][]step{
	// FORK-1..4, MEM-1, COW-1..3
	"fork-cow": {
		{1, abi.Fork{}},
		{2, abi.Store{Addr: data, Value: 0x55}},
		{1, abi.Load{Addr: data}},
		{1, abi.Store{Addr: data + 4096, Value: 0x66}},
		{2, abi.Load{Addr: data + 4096}},
		{2, abi.ExitGroup{Code: 0}},
		{1, abi.Store{Addr: data, Value: 0x77}},
		{1, abi.Wait4{Pid: 2}},
		{1, abi.Wait4{Pid: 2}},
	},
	// VFORK-1..3, EXEC-2, EXEC-6
	"vfork": {
		{1, abi.Vfork{}},
		{1, abi.Getpid{}},
		{2, abi.Store{Addr: data, Value: 0x99}},
		{2, abi.Execve{Image: "nosuch"}},
		{2, abi.Getppid{}},
		{2, abi.Execve{Image: "sh"}},
		{1, abi.Load{Addr: data}},
		{2, abi.Store{Addr: data, Value: 1}},
		{1, abi.Load{Addr: data}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
	},
	// VFORK-5: signals to a frozen parent
	"vfork-signals": {
		{1, abi.Fork{}},
		{2, abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle}},
		{2, abi.Vfork{}},
		{1, abi.Kill{Pid: 2, Sig: abi.SIGUSR1}},
		{3, abi.Exit{Code: 0}},
		{2, abi.Sigprocmask{How: abi.SIG_BLOCK, Set: abi.SigBit(abi.SIGUSR1)}},
		{2, abi.Vfork{}},
		{1, abi.Kill{Pid: 2, Sig: abi.SIGUSR1}},
		{4, abi.Execve{Image: "true"}},
		{2, abi.Sigprocmask{How: abi.SIG_UNBLOCK, Set: abi.SigBit(abi.SIGUSR1)}},
	},
	// VFORK-5: a default-fatal signal kills a frozen parent at once; the
	// child runs on under init; the zombie keeps the signal pending
	"vfork-kill": {
		{1, abi.Fork{}},
		{2, abi.Vfork{}},
		{1, abi.Kill{Pid: 2, Sig: abi.SIGTERM}},
		{3, abi.Getppid{}},
		{1, abi.Wait4{Pid: 2}},
		{3, abi.Exit{Code: 0}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
	},
	// VFORK-7: CLONE_VFORK without CLONE_VM
	"vfork-no-vm": {
		{1, abi.Clone{Flags: abi.CLONE_VFORK | abi.SIGCHLD}},
		{2, abi.Store{Addr: data, Value: 3}},
		{2, abi.ExitGroup{Code: 2}},
		{1, abi.Load{Addr: data}},
	},
	// THR-1..3, EXIT-2, WAIT-4
	"threads": {
		{1, abi.Fork{}},
		{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD | abi.CLONE_FS | abi.CLONE_FILES}},
		{3, abi.Getpid{}},
		{3, abi.Gettid{}},
		{3, abi.Getppid{}},
		{3, abi.Store{Addr: data, Value: 4}},
		{2, abi.Load{Addr: data}},
		{3, abi.Fork{}},
		{2, abi.Exit{Code: 1}},
		{4, abi.Getppid{}},
		{3, abi.Wait4{Pid: 4, Options: abi.WNOHANG}},
		{4, abi.Exit{Code: 0}},
		{3, abi.Wait4{Pid: 4, Options: abi.WNOHANG}},
		{1, abi.Wait4{Pid: 2, Options: abi.WNOHANG}},
		{3, abi.Exit{Code: 9}},
		{1, abi.Wait4{Pid: 2, Options: abi.WNOHANG}},
	},
	// EXIT-1, THR-4 (EXIT-4 by kill: known_test.go)
	"exit-group": {
		{1, abi.Fork{}},
		{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}},
		{3, abi.ExitGroup{Code: 0x107}},
		{1, abi.Wait4{Pid: -1}},
		{1, abi.Fork{}},
		{4, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}},
		{5, abi.Exit{Code: 1}},
		{4, abi.ExitGroup{Code: 2}},
		{1, abi.Wait4{Pid: -1}},
	},
	// WAIT-1..3, WAIT-5, CLONE-6, SIG-4
	"wait": {
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
		{1, abi.Wait4{Pid: -1, Options: 0x10}},
		{1, abi.Clone{Flags: 0}},
		{1, abi.Clone{Flags: abi.SIGUSR1}},
		{1, abi.Wait4{Pid: -1}},
		{2, abi.Exit{Code: 2}},
		{3, abi.Exit{Code: 3}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG | wclone}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG | wall}},
		{1, abi.Sigaction{Sig: abi.SIGCHLD, Handler: abi.SigIgnore}},
		{1, abi.Fork{}},
		{4, abi.Exit{Code: 0}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG | wall}},
	},
	// REAP-1, REAP-2: orphans go to the nearest subreaper, else init
	"reparent": {
		{1, abi.Fork{}},
		{2, abi.Prctl{Option: abi.PR_SET_CHILD_SUBREAPER, Arg: 1}},
		{2, abi.Prctl{Option: abi.PR_GET_CHILD_SUBREAPER}},
		{2, abi.Fork{}},
		{3, abi.Fork{}},
		{3, abi.Fork{}},
		{5, abi.Exit{Code: 5}},
		{3, abi.Exit{Code: 0}},
		{4, abi.Getppid{}},
		{2, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
		{2, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
		{2, abi.ExitGroup{Code: 0}},
		{4, abi.Getppid{}},
	},
	// CLONE-1..7
	"clone-flags": {
		{1, abi.Clone{Flags: abi.CLONE_THREAD | abi.CLONE_VM}},
		{1, abi.Clone{Flags: abi.CLONE_SIGHAND}},
		{1, abi.Clone{Flags: abi.CLONE_PARENT | abi.SIGCHLD}},
		{1, abi.Clone3{Flags: abi.CLONE_SIGHAND | abi.CLONE_CLEAR_SIGHAND | abi.CLONE_VM}},
		{1, abi.Clone3{Flags: 0, ExitSignal: 65}},
		{1, abi.Clone3{Flags: abi.CLONE_THREAD | abi.CLONE_SIGHAND | abi.CLONE_VM, ExitSignal: abi.SIGCHLD}},
		{1, abi.Clone3{Flags: 1 << 40}},
		{1, abi.Clone{Flags: abi.CLONE_NEWNET | abi.SIGCHLD}},
		{1, abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle}},
		{1, abi.Sigaction{Sig: abi.SIGUSR2, Handler: abi.SigIgnore}},
		{1, abi.Clone3{Flags: abi.CLONE_CLEAR_SIGHAND, ExitSignal: abi.SIGCHLD}},
		{1, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_FILES | abi.CLONE_FS | abi.SIGCHLD}},
		{3, abi.Umask{Mask: 0o77}},
		{3, abi.Open{Path: "a"}},
		{3, abi.Sigaction{Sig: abi.SIGTERM, Handler: abi.SigIgnore}},
		{3, abi.Store{Addr: data, Value: 12}},
		{1, abi.Load{Addr: data}},
		{3, abi.Clone{Flags: abi.CLONE_PARENT | abi.SIGUSR1}},
		{4, abi.Getppid{}},
	},
	// EXEC-1, EXEC-3, EXEC-4, EXEC-5
	"exec": {
		{1, abi.Fork{}},
		{2, abi.Open{Path: "a"}},
		{2, abi.Open{Path: "b", Flags: abi.O_CLOEXEC}},
		{2, abi.Write{Fd: 0, N: 10}},
		{2, abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle, Flags: abi.SA_RESTART}},
		{2, abi.Sigaction{Sig: abi.SIGUSR2, Handler: abi.SigIgnore}},
		{2, abi.Sigprocmask{How: abi.SIG_BLOCK, Set: abi.SigBit(abi.SIGTERM)}},
		{2, abi.Mmap{Addr: scratch, Len: 0x2000, Prot: rw, Flags: anonS | abi.MAP_FIXED}},
		{2, abi.Store{Addr: scratch, Value: 1}},
		{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}},
		{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}},
		{4, abi.Execve{Image: "worker"}},
		{2, abi.Getpid{}},
		{3, abi.Getpid{}},
		{2, abi.Lseek{Fd: 0, Offset: 0, Whence: abi.SEEK_CUR}},
		{2, abi.Fcntl{Fd: 1, Cmd: abi.F_GETFD}},
	},
	// MEM-2..6, FORK-6, COW-4
	"memory": {
		{1, abi.Mmap{Addr: scratch, Len: 0x4000, Prot: rw, Flags: anonP | abi.MAP_FIXED}},
		{1, abi.Mmap{Addr: scratch + 0x10000, Len: 0x2000, Prot: rw, Flags: anonS | abi.MAP_FIXED}},
		{1, abi.Store{Addr: scratch, Value: 1}},
		{1, abi.Store{Addr: scratch + 0x1000, Value: 2}},
		{1, abi.Store{Addr: scratch + 0x3000, Value: 4}},
		{1, abi.Load{Addr: scratch + 0x11000}},
		{1, abi.Madvise{Addr: scratch + 0x1000, Len: 0x1000, Advice: abi.MADV_DONTFORK}},
		{1, abi.Madvise{Addr: scratch + 0x3000, Len: 0x1000, Advice: abi.MADV_WIPEONFORK}},
		{1, abi.Madvise{Addr: scratch + 0x10000, Len: 0x1000, Advice: abi.MADV_WIPEONFORK}},
		{1, abi.Fork{}},
		{2, abi.Load{Addr: scratch + 0x3000}},
		{2, abi.Store{Addr: scratch + 0x10000, Value: 8}},
		{1, abi.Load{Addr: scratch + 0x10000}},
		{1, abi.Mprotect{Addr: scratch, Len: 0x1000, Prot: abi.PROT_READ}},
		{1, abi.Mprotect{Addr: scratch + 0x3000, Len: 0x3000, Prot: abi.PROT_READ}},
		{1, abi.Munmap{Addr: scratch + 0x2000, Len: 0x1000}},
		{1, abi.Munmap{Addr: scratch + 1, Len: 0x1000}},
		{1, abi.Madvise{Addr: scratch, Len: 0x1000, Advice: abi.MADV_DONTNEED}},
		{1, abi.Mmap{Addr: 0, Len: 0x1000, Prot: abi.PROT_READ, Flags: anonP}},
		{1, abi.Mmap{Addr: scratch, Len: 0x1000, Prot: rw, Flags: anonP | abi.MAP_FIXED_NOREPLACE}},
		{1, abi.Mmap{Addr: scratch, Len: 0, Prot: rw, Flags: anonP}},
		{2, abi.Load{Addr: scratch + 0x1000}},
		{1, abi.Wait4{Pid: 2}},
		{1, abi.Store{Addr: ro, Value: 1}},
	},
	// The reservation above the arena is free space for the trace, also
	// from a thread whose leader has exited.
	"above-arena": {
		{1, abi.Fork{}},
		{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}},
		{2, abi.Exit{Code: 0}},
		{3, abi.Mmap{Addr: abi.ArenaEnd - 0x1000, Len: 0x3000, Prot: rw, Flags: anonP | abi.MAP_FIXED}},
		{3, abi.Store{Addr: abi.ArenaEnd + 0x1000, Value: 6}},
		{3, abi.Mprotect{Addr: abi.ArenaEnd - 0x1000, Len: 0x4000, Prot: abi.PROT_READ}},
		{3, abi.Madvise{Addr: abi.ArenaEnd, Len: 0x1000, Advice: abi.MADV_DONTFORK}},
		{3, abi.Fork{}},
		{4, abi.Load{Addr: abi.ArenaEnd}},
		{3, abi.Munmap{Addr: abi.ArenaEnd - 0x1000, Len: 0x3000}},
		{3, abi.Mmap{Addr: 0, Len: 0x1000, Prot: rw, Flags: anonP}},
		{3, abi.Mmap{Addr: abi.ArenaEnd + 0x5000, Len: 0x1000, Prot: rw, Flags: anonS}},
		{3, abi.Mmap{Addr: abi.ArenaEnd + 0x5000, Len: 0x1000, Prot: rw, Flags: anonP | abi.MAP_FIXED_NOREPLACE}},
		{3, abi.Mmap{Addr: abi.ArenaEnd + 0x5000, Len: 0x1000, Prot: rw, Flags: anonP | abi.MAP_FIXED_NOREPLACE}},
		{3, abi.Mmap{Addr: 0x0, Len: 0x0, Prot: rw, Flags: anonP | abi.MAP_FIXED}},
		{3, abi.Load{Addr: abi.ArenaEnd + 0x9000}},
	},
	// The agent's own memory (code at 0x400000, stacks, reservation) is
	// unmapped space for the trace: calls over it act on the trace's part.
	"agent-is-a-hole": {
		{1, abi.Mmap{Addr: 0x10000000, Len: 0x2000, Prot: rw, Flags: anonP | abi.MAP_FIXED}},
		{1, abi.Store{Addr: 0x10000000, Value: 3}},
		{1, abi.Madvise{Addr: 0x1000, Len: 0x40000000, Advice: abi.MADV_DONTFORK}},
		{1, abi.Madvise{Addr: 0x1000, Len: 0x40000000, Advice: abi.MADV_DOFORK}},
		{1, abi.Mprotect{Addr: 0x1000, Len: 0x40000000, Prot: abi.PROT_READ}},
		{1, abi.Mprotect{Addr: 0x10000000, Len: 0x40000000, Prot: abi.PROT_READ}},
		{1, abi.Fork{}},
		{2, abi.Munmap{Addr: 0x1000, Len: 0x40000000}},
		{2, abi.Getpid{}},
		{1, abi.Munmap{Addr: 0x10000000, Len: 0x7fff00000000}},
		{1, abi.Fork{}},
		{3, abi.Load{Addr: 0x401000}},
		{1, abi.Fork{}},
		{4, abi.Store{Addr: abi.ArenaEnd + 0x1000, Value: 1}},
		{1, abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
	},
	// FD-1..4, FORK-4, CLONE-2
	"fds": {
		{1, abi.Open{Path: "a"}},
		{1, abi.Open{Path: "zz"}},
		{1, abi.Dup{Fd: 0}},
		{1, abi.Fcntl{Fd: 1, Cmd: abi.F_SETFD, Arg: abi.FD_CLOEXEC}},
		{1, abi.Fork{}},
		{2, abi.Write{Fd: 0, N: 5}},
		{1, abi.Lseek{Fd: 1, Offset: 0, Whence: abi.SEEK_CUR}},
		{2, abi.Close{Fd: 0}},
		{1, abi.Write{Fd: 0, N: 3}},
		{1, abi.Close{Fd: 7}},
		{1, abi.Lseek{Fd: 0, Offset: -100, Whence: abi.SEEK_SET}},
		{1, abi.Lseek{Fd: 0, Offset: 2, Whence: 9}},
		{1, abi.Clone{Flags: abi.CLONE_FILES | abi.SIGCHLD}},
		{3, abi.Close{Fd: 0}},
		{1, abi.Open{Path: "c", Flags: abi.O_CLOEXEC}},
		{2, abi.Write{Fd: -1, N: 1}},
		{2, abi.Write{Fd: 1, N: -1}},
	},
	// SIG-1..3
	"signals": {
		{1, abi.Fork{}},
		{2, abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle, Flags: abi.SA_SIGINFO}},
		{2, abi.Sigaction{Sig: abi.SIGKILL, Handler: abi.SigIgnore}},
		{2, abi.Sigaction{Sig: 65, Handler: abi.SigIgnore}},
		{1, abi.Kill{Pid: 2, Sig: abi.SIGUSR1}},
		{2, abi.Sigprocmask{How: abi.SIG_BLOCK, Set: abi.SigBit(abi.SIGUSR1) | abi.SigBit(abi.SIGTERM) | abi.SigBit(abi.SIGKILL)}},
		{1, abi.Kill{Pid: 2, Sig: abi.SIGUSR1}},
		{1, abi.Kill{Pid: 2, Sig: abi.SIGTERM}},
		{1, abi.Kill{Pid: 2, Sig: 0}},
		{1, abi.Kill{Pid: 99, Sig: abi.SIGTERM}},
		{2, abi.Sigprocmask{How: abi.SIG_UNBLOCK, Set: abi.SigBit(abi.SIGUSR1)}},
		{2, abi.Sigprocmask{How: 7, Set: 0}},
		{1, abi.Kill{Pid: 1, Sig: abi.SIGTERM}},
		{1, abi.Kill{Pid: 1, Sig: abi.SIGKILL}},
		{2, abi.Sigprocmask{How: abi.SIG_SETMASK, Set: 0}},
		{1, abi.Wait4{Pid: 2}},
	},
	// FORK-7: the task limit is RLIMIT_NPROC of the agents' dedicated uid
	"limit": {
		{1, abi.Fork{}},
		{1, abi.Fork{}},
		{1, abi.Fork{}},
		{2, abi.Exit{Code: 0}},
		{1, abi.Vfork{}},
		{1, abi.Wait4{Pid: 2}},
		{1, abi.Vfork{}},
	},
}

func TestScenarios(t *testing.T) {
	for name, steps := range scenarios {
		t.Run(name, func(t *testing.T) {
			cfg := abi.Config{}
			if name == "limit" {
				cfg.MaxTasks = 3
			}
			lockstep(t, cfg, steps)
		})
	}
}

const (
	wclone = int64(-0x80000000) & 0xffffffff // __WCLONE
	wall   = 0x40000000                      // __WALL
)
