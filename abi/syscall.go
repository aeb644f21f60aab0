package abi

// Syscall is one system call with its arguments, as data. A step of a trace is
// a task id and a Syscall. Every Syscall prints itself in trace syntax with
// String, and ParseSyscall reads that text back to an equal value.
//
// The concrete types are the structs below; each is a plain comparable value.
type Syscall interface {
	// Name is the syscall's name in trace syntax ("fork", "clone3", "mmap").
	Name() string
	// String is the syscall in trace syntax: its name and arguments.
	String() string
	isSyscall()
}

// Fork is fork(2): a new process with a copy-on-write copy of the caller's memory.
type Fork struct{}

// Vfork is vfork(2): clone(CLONE_VM|CLONE_VFORK|SIGCHLD).
type Vfork struct{}

// Clone is the legacy clone(2). The low byte of Flags (CSIGNAL) is the
// termination signal; the other bits are CLONE_* flags. Ptid and Ctid are
// the parent_tid and child_tid pointers (0 is NULL): CLONE_PARENT_SETTID
// stores the child's tid at Ptid in the caller's memory, CLONE_CHILD_SETTID
// at Ctid in the child's, and CLONE_CHILD_CLEARTID makes the child's
// mm_release store 0 there and wake a futex (docs/libc.md). Like Load and
// Store they name the word at the start of their page; the tid is its low
// 32 bits. The stack and tls pointers are not modelled: the child runs on
// the caller's stack as with fork, and CLONE_SETTLS sets a TLS base (0 on
// the oracle) nothing observes.
type Clone struct {
	Flags      uint64
	Ptid, Ctid uint64
}

// Clone3 is clone3(2): 64-bit flags (CLONE_CLEAR_SIGHAND is only here) and the
// termination signal in its own field, both validated strictly.
type Clone3 struct {
	Flags      uint64
	ExitSignal uint64
	// Ptid and Ctid are clone_args.parent_tid and child_tid, as in Clone.
	// clone3's pidfd pointer is always NULL.
	Ptid, Ctid uint64
}

// Execve is execve(2) of an image from the fixed image table (Images).
type Execve struct {
	Image string
}

// Exit is the raw exit(2) syscall (SYS_exit): it ends only the calling thread.
type Exit struct {
	Code int
}

// ExitGroup is exit_group(2): it ends every thread of the caller's group.
type ExitGroup struct {
	Code int
}

// Wait4 is wait4(2) without rusage. Pid > 0 or -1; Options are W* bits.
// A wait4 without WNOHANG that finds children but none to reap blocks
// (OutcomeBlocked) until a child's death wakes it or a signal interrupts it.
type Wait4 struct {
	Pid     int
	Options int64
}

// Getpid is getpid(2): the caller's thread-group id.
type Getpid struct{}

// Getppid is getppid(2): the pid of the parent of the caller's group.
type Getppid struct{}

// Gettid is gettid(2): the caller's own task id.
type Gettid struct{}

// Prctl is prctl(2); only PR_SET_CHILD_SUBREAPER and PR_GET_CHILD_SUBREAPER
// are modelled (other options are OutcomeUnsupported). Linux's
// PR_GET_CHILD_SUBREAPER stores the flag through the pointer in arg2; here
// the flag (0 or 1) is the Result's Ret and Arg is ignored.
type Prctl struct {
	Option int64
	Arg    uint64
}

// Mmap is mmap(2) of anonymous memory: Len bytes at Addr (a hint, or exact
// with MAP_FIXED). There is no fd argument: a mapping without MAP_ANONYMOUS
// behaves as mmap with fd -1 (EBADF).
type Mmap struct {
	Addr  uint64
	Len   uint64
	Prot  int64
	Flags int64
}

// Munmap is munmap(2).
type Munmap struct {
	Addr uint64
	Len  uint64
}

// Mprotect is mprotect(2).
type Mprotect struct {
	Addr uint64
	Len  uint64
	Prot int64
}

// Madvise is madvise(2) with MADV_DONTNEED, DONTFORK, DOFORK, WIPEONFORK,
// KEEPONFORK (and MADV_NORMAL, which does nothing).
type Madvise struct {
	Addr   uint64
	Len    uint64
	Advice int64
}

// Load reads the 64-bit word at the start of the page that holds Addr.
// The result's Ret is the value. A load outside a readable mapping is SIGSEGV.
type Load struct {
	Addr uint64
}

// Store writes Value to the 64-bit word at the start of the page that holds
// Addr. A store outside a writable mapping is SIGSEGV.
type Store struct {
	Addr  uint64
	Value uint64
}

// Open is open(2) of one of the fixed files (Files), read-write, created
// empty at world start. Flags may hold O_CLOEXEC; other bits are
// OutcomeUnsupported.
type Open struct {
	Path  string
	Flags int64
}

// Close is close(2).
type Close struct {
	Fd int
}

// Dup is dup(2).
type Dup struct {
	Fd int
}

// Fcntl is fcntl(2) with F_GETFD, F_SETFD, F_DUPFD, F_DUPFD_CLOEXEC or
// F_GETPIPE_SZ (other commands are OutcomeUnsupported).
type Fcntl struct {
	Fd  int
	Cmd int64
	Arg int64
}

// Write is write(2) of N bytes: to a file it advances the open file
// description's shared offset by N and grows the file past its end; to a
// pipe it adds N bytes, blocking while the pipe is full (docs/pipes.md).
// The bytes themselves are not modelled.
type Write struct {
	Fd int
	N  int64
}

// Lseek is lseek(2).
type Lseek struct {
	Fd     int
	Offset int64
	Whence int64
}

// Umask is umask(2); it returns the previous mask.
type Umask struct {
	Mask int64
}

// Disposition is what a signal does when delivered (sigaction(2) sa_handler).
type Disposition int

const (
	SigDefault Disposition = iota // SIG_DFL
	SigIgnore                     // SIG_IGN
	SigHandle                     // a handler: the process counts the delivery and runs on
)

// Sigaction is sigaction(2) setting a disposition and sa_flags for Sig
// (SA_NOCLDWAIT and SA_RESTART have modelled effects). With Old the call
// passes an oldact pointer, and the Result's Ret carries the old action
// (OldAction); without, oldact is NULL and Ret is 0.
type Sigaction struct {
	Sig     int
	Handler Disposition
	Flags   uint64
	Old     bool
}

// Sigprocmask is sigprocmask(2) (rt_sigprocmask) on the calling thread. Set
// is a SigSet. With Old the call passes an oldset pointer and the Result's
// Ret is the old mask (a SigSet); without, oldset is NULL and Ret is 0.
type Sigprocmask struct {
	How int64
	Set SigSet
	Old bool
}

// Kill is kill(2) to a process (Pid > 0). Process groups are not modelled
// (Pid <= 0 is OutcomeUnsupported).
type Kill struct {
	Pid int
	Sig int
}

func (Fork) Name() string        { return "fork" }
func (Vfork) Name() string       { return "vfork" }
func (Clone) Name() string       { return "clone" }
func (Clone3) Name() string      { return "clone3" }
func (Execve) Name() string      { return "execve" }
func (Exit) Name() string        { return "exit" }
func (ExitGroup) Name() string   { return "exit_group" }
func (Wait4) Name() string       { return "wait4" }
func (Getpid) Name() string      { return "getpid" }
func (Getppid) Name() string     { return "getppid" }
func (Gettid) Name() string      { return "gettid" }
func (Prctl) Name() string       { return "prctl" }
func (Mmap) Name() string        { return "mmap" }
func (Munmap) Name() string      { return "munmap" }
func (Mprotect) Name() string    { return "mprotect" }
func (Madvise) Name() string     { return "madvise" }
func (Load) Name() string        { return "load" }
func (Store) Name() string       { return "store" }
func (Open) Name() string        { return "open" }
func (Close) Name() string       { return "close" }
func (Dup) Name() string         { return "dup" }
func (Fcntl) Name() string       { return "fcntl" }
func (Write) Name() string       { return "write" }
func (Lseek) Name() string       { return "lseek" }
func (Umask) Name() string       { return "umask" }
func (Sigaction) Name() string   { return "sigaction" }
func (Sigprocmask) Name() string { return "sigprocmask" }
func (Kill) Name() string        { return "kill" }

func (Fork) isSyscall()        {}
func (Vfork) isSyscall()       {}
func (Clone) isSyscall()       {}
func (Clone3) isSyscall()      {}
func (Execve) isSyscall()      {}
func (Exit) isSyscall()        {}
func (ExitGroup) isSyscall()   {}
func (Wait4) isSyscall()       {}
func (Getpid) isSyscall()      {}
func (Getppid) isSyscall()     {}
func (Gettid) isSyscall()      {}
func (Prctl) isSyscall()       {}
func (Mmap) isSyscall()        {}
func (Munmap) isSyscall()      {}
func (Mprotect) isSyscall()    {}
func (Madvise) isSyscall()     {}
func (Load) isSyscall()        {}
func (Store) isSyscall()       {}
func (Open) isSyscall()        {}
func (Close) isSyscall()       {}
func (Dup) isSyscall()         {}
func (Fcntl) isSyscall()       {}
func (Write) isSyscall()       {}
func (Lseek) isSyscall()       {}
func (Umask) isSyscall()       {}
func (Sigaction) isSyscall()   {}
func (Sigprocmask) isSyscall() {}
func (Kill) isSyscall()        {}
