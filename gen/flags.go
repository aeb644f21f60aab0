package gen

import "github.com/forkspec/forkspec/abi"

// Clone flag words that mean something (CLONE-1 … CLONE-7, VFORK-7, THR-1),
// then the invalid combinations of copy_process and clone3_args_valid, then
// odd exit signals. Legacy clone carries the signal in the low byte.
const (
	threadFlags = abi.CLONE_VM | abi.CLONE_FS | abi.CLONE_FILES | abi.CLONE_SIGHAND | abi.CLONE_THREAD
	vforkFlags  = abi.CLONE_VM | abi.CLONE_VFORK
)

var cloneTable = []choice[uint64]{
	{8, abi.SIGCHLD},              // fork-like
	{4, vforkFlags | abi.SIGCHLD}, // vfork-like (VFORK-1)
	{6, threadFlags},              // a thread, as pthread_create without TLS
	{2, abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}, // a minimal thread
	{3, abi.CLONE_FILES | abi.SIGCHLD},                       // CLONE-2 alone
	{2, abi.CLONE_SIGHAND | abi.CLONE_VM | abi.SIGCHLD},      // CLONE-4 in another process
	{2, abi.CLONE_PARENT | abi.SIGCHLD},                      // CLONE-5
	{1, abi.CLONE_PARENT | abi.SIGUSR1},                      // CLONE-5: signal taken from the leader
	{2, abi.CLONE_VFORK | abi.SIGCHLD},                       // VFORK-7: frozen, COW memory
	{1, abi.CLONE_FS | abi.SIGCHLD},                          // CLONE-3
	{1, abi.CLONE_VM | abi.SIGCHLD},                          // CLONE-1 without a thread
	{1, abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD | abi.CLONE_VFORK},
	{1, abi.SIGUSR1}, // a clone child (CLONE-6)
	{1, 0},           // notifies nobody
	{1, abi.SIGTERM},
	{1, 200},                             // an invalid signal in the low byte: nobody notified
	{1, abi.CLONE_FILES | abi.CLONE_FS},  // FILES, no signal
	{1, abi.CLONE_THREAD | abi.SIGCHLD},  // EINVAL: THREAD without SIGHAND
	{1, abi.CLONE_SIGHAND | abi.SIGCHLD}, // EINVAL: SIGHAND without VM
	{1, abi.CLONE_FS | abi.CLONE_NEWNS},  // EINVAL: FS with NEWNS
	{1, abi.CLONE_SETTLS | abi.SIGCHLD},  // valid: the TLS base is not observable (CLONE-7e, docs/libc.md)
	{1, abi.CLONE_PARENT | abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD},
	// Checks as of Linux 6.18 (CLONE-7d): CLONE_PIDFD with CLONE_THREAD is
	// valid since 6.9 (unsupported: pidfds are not modelled); with
	// CLONE_DETACHED or CLONE_PARENT_SETTID it is EINVAL.
	{1, abi.CLONE_PIDFD | threadFlags},
	{1, abi.CLONE_PIDFD | abi.CLONE_DETACHED | abi.SIGCHLD},
	{1, abi.CLONE_PIDFD | abi.CLONE_PARENT_SETTID | abi.SIGCHLD},
	// Flags that change nothing observable (abi.CloneNoEffect, CLONE-7e).
	{1, abi.CLONE_PTRACE | abi.CLONE_UNTRACED | abi.SIGCHLD},
	{1, abi.CLONE_IO | abi.CLONE_SYSVSEM | abi.CLONE_DETACHED | abi.SIGCHLD},
	{1, threadFlags | abi.CLONE_PARENT_SETTID | abi.CLONE_CHILD_SETTID | abi.CLONE_CHILD_CLEARTID},
}

// clone3Case is one clone3 argument pair.
type clone3Case struct{ flags, sig uint64 }

var clone3Table = []choice[clone3Case]{
	{5, clone3Case{0, abi.SIGCHLD}},
	{2, clone3Case{vforkFlags, abi.SIGCHLD}},
	{3, clone3Case{threadFlags, 0}},
	{4, clone3Case{abi.CLONE_CLEAR_SIGHAND, abi.SIGCHLD}}, // CLONE-4: caught signals reset
	{1, clone3Case{abi.CLONE_CLEAR_SIGHAND | abi.CLONE_VM | abi.CLONE_VFORK, abi.SIGCHLD}},
	{1, clone3Case{abi.CLONE_FILES, abi.SIGUSR1}},
	{1, clone3Case{0, 0}},
	{1, clone3Case{0, abi.NSIG}},
	{1, clone3Case{abi.CLONE_PARENT, 0}},
	{1, clone3Case{abi.CLONE_CLEAR_SIGHAND | abi.CLONE_SIGHAND | abi.CLONE_VM, abi.SIGCHLD}}, // EINVAL
	{1, clone3Case{threadFlags, abi.SIGCHLD}},                                                // EINVAL: thread with a signal
	{1, clone3Case{abi.CLONE_PARENT, abi.SIGCHLD}},                                           // EINVAL: parent with a signal
	{1, clone3Case{0, 65}},                                                                   // EINVAL: bad exit_signal
	{1, clone3Case{1 << 40, abi.SIGCHLD}},                                                    // EINVAL: unknown bit
	{1, clone3Case{abi.CSIGNAL & 0x11, abi.SIGCHLD}},                                         // EINVAL: CSIGNAL bits
	{1, clone3Case{abi.CLONE_THREAD, 0}},                                                     // EINVAL: no SIGHAND
	// As of Linux 6.18: no flag above CLONE_INTO_CGROUP exists (later
	// kernels add CLONE_AUTOREAP there); exit_signal's upper bits are
	// checked; CLONE_PIDFD rules as for clone (CLONE-7d).
	{1, clone3Case{0x400000000, abi.SIGCHLD}},                               // EINVAL
	{1, clone3Case{0x800000000, abi.SIGCHLD}},                               // EINVAL
	{1, clone3Case{0, 1<<32 | abi.SIGCHLD}},                                 // EINVAL
	{1, clone3Case{abi.CLONE_PIDFD | threadFlags, 0}},                       // unsupported
	{1, clone3Case{abi.CLONE_PIDFD | abi.CLONE_PARENT_SETTID, abi.SIGCHLD}}, // EINVAL
	{1, clone3Case{abi.CLONE_INTO_CGROUP, abi.SIGCHLD}},                     // unsupported
	{1, clone3Case{abi.CLONE_PTRACE | abi.CLONE_IO | abi.CLONE_SYSVSEM, abi.SIGCHLD}},
}

// randomBits returns a flag word with a few random CLONE_* bits (and, for
// legacy clone, a random low byte): the low-rate noise that finds the
// combinations nobody listed.
func randomBits(src Source, legacy bool) uint64 {
	var f uint64
	for n := intn(src, 4, "nbits") + 1; n > 0; n-- {
		f |= 1 << (8 + intn(src, 26, "bit"))
	}
	if legacy {
		f |= uint64(intn(src, 256, "lowbyte"))
	}
	return f
}

// cloneFlags returns a legacy clone flag word.
func cloneFlags(src Source) uint64 {
	if chance(src, 1, 20, "random-clone?") {
		return randomBits(src, true)
	}
	if chance(src, oneBitChance, 100, "one-bit-clone?") {
		return pickFrom(src, "one-bit-clone", oneBitCloneTable)
	}
	return pickFrom(src, "clone-flags", cloneTable)
}

// clone3Args returns clone3 flags and exit signal.
func clone3Args(src Source) (uint64, uint64) {
	if chance(src, 1, 20, "random-clone3?") {
		return randomBits(src, false) | uint64(intn(src, 2, "clear"))*abi.CLONE_CLEAR_SIGHAND, uint64(intn(src, 66, "sig"))
	}
	table := clone3Table
	if chance(src, oneBitChance, 100, "one-bit-clone3?") {
		table = oneBitClone3Table
	}
	c := pickFrom(src, "clone3-args", table)
	return c.flags, c.sig
}
