// Package abi is forkspec's shared vocabulary: syscalls as data, Linux's own
// numbers for flags, signals and errnos, the Result of a step, the canonical
// observable View of a world, and the Kernel interface that the reference
// model, the optimized impl and the Linux oracle implement.
//
// It imports only the standard library, and every other package imports it.
//
// Where to start reading: syscall.go (the steps), result.go (what a step
// returns), view.go (what is observable) and kernel.go (the contract).
// canonical.go and equal.go make and compare canonical Views; observe.go
// is the Observer a backend implements to say what a step touched, for
// the incremental lockstep (traces.Lock.Incremental).
// images.go holds the fixed image table and file set (WORLD-2); refusal.go
// the one list of requests every backend refuses (Refusal, World).
//
// # Trace syntax of a step
//
// Every Syscall prints itself in one line and ParseSyscall reads it back.
// Numbers are Go integer literals (decimal, 0x hex, 0o or leading-0 octal);
// flag words are names joined by '|' with an optional numeric remainder, or 0.
//
//	fork | vfork | getpid | getppid | gettid
//	clone CLONE_VM|CLONE_VFORK|SIGCHLD          legacy: the low byte is the signal
//	clone3 CLONE_VM|CLONE_CLEAR_SIGHAND SIGCHLD  flags, then exit_signal
//	execve sh
//	exit 3 | exit_group 3
//	wait4 -1 WNOHANG|__WALL
//	prctl PR_SET_CHILD_SUBREAPER 1
//	mmap 0x100000400000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS
//	munmap ADDR LEN | mprotect ADDR LEN PROT | madvise ADDR LEN MADV_DONTFORK
//	load 0x100000400000 | store 0x100000400000 0x2a
//	open a O_CLOEXEC | close 3 | dup 3 | fcntl 3 F_SETFD FD_CLOEXEC | fcntl 3 F_GETFD 0
//	write 3 10 | lseek 3 0 SEEK_SET | umask 0o77
//	sigaction SIGCHLD SIG_IGN 0 | sigaction SIGUSR1 handler SA_NOCLDWAIT
//	sigprocmask SIG_BLOCK SIGUSR1|SIGTERM
//	kill 2 SIGTERM
//
// A Result prints as described at Result.String.
//
// # What is deliberately left out
//
// File-backed mappings, blocking waits, process groups, stop/continue, and
// every flag or option outside the catalogue in shared/semantics.md: such
// requests are refused with OutcomeUnsupported rather than half-modelled,
// by the rules of refusal.go. Facts of the machine (Config.Machine) that a
// world leaves unknown make the steps they decide refused too.
package abi
