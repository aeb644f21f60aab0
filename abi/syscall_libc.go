package abi

// The calls libc makes around process creation (docs/pipes.md,
// docs/libc.md): pipes and descriptor duplication, futexes, thread-directed
// signals and the pending-set query.

// Pipe2 is pipe2(2): a pipe whose read end takes the lowest free fd and
// whose write end the next lowest. Flags may hold O_CLOEXEC; O_NONBLOCK,
// O_DIRECT and O_NOTIFICATION_PIPE are OutcomeUnsupported. Like Linux the
// call returns 0; the two fds are in the View (and the `pipe` assertion).
type Pipe2 struct {
	Flags int64
}

// Read is read(2) of up to N bytes: from a file it advances the shared
// offset up to the file's end; from a pipe it takes what is there, blocking
// while the pipe is empty and has a writer (EOF: 0 once it has none).
type Read struct {
	Fd int
	N  int64
}

// Dup2 is dup2(2): Old's open file description at New, closing what New
// held; close-on-exec off.
type Dup2 struct {
	Old, New int
}

// Dup3 is dup3(2): dup2 with Flags (O_CLOEXEC), and Old == New is EINVAL.
type Dup3 struct {
	Old, New int
	Flags    int64
}

// Futex is futex(2) with FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAIT_BITSET or
// FUTEX_WAKE_BITSET (with FUTEX_PRIVATE_FLAG and, for FUTEX_WAIT_BITSET,
// FUTEX_CLOCK_REALTIME), no timeout, and the bitset FUTEX_BITSET_MATCH_ANY.
// The futex word is the low 32 bits of the word at the start of the page
// that holds Addr (docs/libc.md "The futex word"). FUTEX_WAIT blocks while
// the word equals Val; FUTEX_WAKE wakes up to Val waiters and returns how
// many it woke.
type Futex struct {
	Addr uint64
	Op   int64
	Val  uint64
}

// Tgkill is tgkill(2): Sig to thread Tid of thread group Tgid, queued on
// that thread's own pending set.
type Tgkill struct {
	Tgid, Tid int
	Sig       int
}

// Tkill is tkill(2): tgkill without the group check.
type Tkill struct {
	Tid int
	Sig int
}

// Sigpending is sigpending(2) (rt_sigpending): the Result's Ret is the set
// of signals pending for the caller (its own and its process's) that it
// blocks.
type Sigpending struct{}

func (Pipe2) Name() string      { return "pipe2" }
func (Read) Name() string       { return "read" }
func (Dup2) Name() string       { return "dup2" }
func (Dup3) Name() string       { return "dup3" }
func (Futex) Name() string      { return "futex" }
func (Tgkill) Name() string     { return "tgkill" }
func (Tkill) Name() string      { return "tkill" }
func (Sigpending) Name() string { return "sigpending" }

func (Pipe2) isSyscall()      {}
func (Read) isSyscall()       {}
func (Dup2) isSyscall()       {}
func (Dup3) isSyscall()       {}
func (Futex) isSyscall()      {}
func (Tgkill) isSyscall()     {}
func (Tkill) isSyscall()      {}
func (Sigpending) isSyscall() {}

// OldAction is the Ret of a sigaction with Old: the old disposition in bits
// 32 and up, the old sa_flags (less SA_RESTORER) in the low 32 bits. Trace
// syntax writes it action(DISP|FLAGS), e.g. action(handler|SA_RESTART).
func OldAction(h Disposition, flags uint64) uint64 { return uint64(h)<<32 | flags&0xffffffff }
