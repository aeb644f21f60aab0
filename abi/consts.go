package abi

// Linux's own numbers (x86-64, include/uapi). Traces carry these values so that
// a trace means the same thing on the model, the impl and the real kernel.

// Clone flags (include/uapi/linux/sched.h). The low byte (CSIGNAL) of the
// legacy clone flags is the termination signal.
const (
	CSIGNAL              uint64 = 0x000000ff
	CLONE_NEWTIME        uint64 = 0x00000080
	CLONE_VM             uint64 = 0x00000100
	CLONE_FS             uint64 = 0x00000200
	CLONE_FILES          uint64 = 0x00000400
	CLONE_SIGHAND        uint64 = 0x00000800
	CLONE_PIDFD          uint64 = 0x00001000
	CLONE_PTRACE         uint64 = 0x00002000
	CLONE_VFORK          uint64 = 0x00004000
	CLONE_PARENT         uint64 = 0x00008000
	CLONE_THREAD         uint64 = 0x00010000
	CLONE_NEWNS          uint64 = 0x00020000
	CLONE_SYSVSEM        uint64 = 0x00040000
	CLONE_SETTLS         uint64 = 0x00080000
	CLONE_PARENT_SETTID  uint64 = 0x00100000
	CLONE_CHILD_CLEARTID uint64 = 0x00200000
	CLONE_DETACHED       uint64 = 0x00400000
	CLONE_UNTRACED       uint64 = 0x00800000
	CLONE_CHILD_SETTID   uint64 = 0x01000000
	CLONE_NEWCGROUP      uint64 = 0x02000000
	CLONE_NEWUTS         uint64 = 0x04000000
	CLONE_NEWIPC         uint64 = 0x08000000
	CLONE_NEWUSER        uint64 = 0x10000000
	CLONE_NEWPID         uint64 = 0x20000000
	CLONE_NEWNET         uint64 = 0x40000000
	CLONE_IO             uint64 = 0x80000000
	CLONE_CLEAR_SIGHAND  uint64 = 0x100000000 // clone3 only
	CLONE_INTO_CGROUP    uint64 = 0x200000000 // clone3 only
)

// CloneKnown is every flag bit clone3 accepts (kernel/fork.c clone3_args_valid:
// CLONE_LEGACY_FLAGS | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP, less the bits
// clone3 keeps for reuse: CLONE_DETACHED and the CSIGNAL byte except
// CLONE_NEWTIME). A clone3 flag word with any other bit set fails EINVAL.
const CloneKnown = (0xffffffff &^ CSIGNAL &^ CLONE_DETACHED) | CLONE_NEWTIME | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP

// CloneModelled is the set of flags whose effects forkspec models. A clone or
// clone3 that passes Linux's validation but sets a known bit outside this set
// is refused with OutcomeUnsupported and changes nothing (see Refusal).
const CloneModelled = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
	CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | CLONE_CLEAR_SIGHAND | CloneNoEffect |
	CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID

// CloneNoEffect are the flags Linux accepts that change nothing forkspec can
// observe, given that a step's tls and stack pointers are not modelled:
// CLONE_PTRACE without a tracer, CLONE_UNTRACED, CLONE_IO (the I/O
// context), CLONE_SYSVSEM (no System V semaphores exist, so there is no
// undo list to share), CLONE_SETTLS (the oracle passes a TLS base of 0,
// which its agent never uses) and the legacy clone's ignored
// CLONE_DETACHED. Measured on 6.18: each of them, with SIGCHLD, forks
// normally. The tid flags (CLONE_PARENT_SETTID, CLONE_CHILD_SETTID,
// CLONE_CHILD_CLEARTID) are modelled with their pointers (Clone.Ptid,
// Clone.Ctid); with a NULL pointer they too change nothing.
const CloneNoEffect = CLONE_PTRACE | CLONE_UNTRACED | CLONE_IO | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_DETACHED

// Signals (arch/x86/include/uapi/asm/signal.h). Valid signal numbers are 1..NSIG.
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPWR    = 30
	SIGSYS    = 31
	SIGRTMIN  = 32
	NSIG      = 64
)

// Errnos (include/uapi/asm-generic/errno-base.h, errno.h).
const (
	EPERM  Errno = 1
	ENOENT Errno = 2
	ESRCH  Errno = 3
	EINTR  Errno = 4
	EBADF  Errno = 9
	ECHILD Errno = 10
	EAGAIN Errno = 11
	ENOMEM Errno = 12
	EACCES Errno = 13
	EFAULT Errno = 14
	EBUSY  Errno = 16
	EEXIST Errno = 17
	EINVAL Errno = 22
	EMFILE Errno = 24
	ENXIO  Errno = 6
	EFBIG  Errno = 27
	ENOSYS Errno = 38
	// EOVERFLOW is 75 on x86-64 (errno.h).
	EOVERFLOW Errno = 75
)

// wait4 options (include/uapi/linux/wait.h).
const (
	WNOHANG    int64 = 0x00000001
	WUNTRACED  int64 = 0x00000002
	WEXITED    int64 = 0x00000004
	WCONTINUED int64 = 0x00000008
	WNOWAIT    int64 = 0x01000000
	// Linux spells the next three __WNOTHREAD, __WALL and __WCLONE; a Go name
	// starting with '_' would not be exported. Trace syntax uses Linux's spelling.
	WNOTHREAD int64 = 0x20000000
	WALL      int64 = 0x40000000
	WCLONE    int64 = 0x80000000
)

// Wait4Valid is the set of options wait4 accepts (kernel/exit.c kernel_wait4);
// any other bit is EINVAL.
const Wait4Valid = WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WCLONE | WALL

// WaitExited is the wait status of a process that exited with code: the low
// byte of the code in bits 8..15 (wait(2), WEXITSTATUS).
func WaitExited(code int) int { return (code & 0xff) << 8 }

// WaitSignaled is the wait status of a process killed by sig without a core
// dump (wait(2), WTERMSIG). The Linux oracle runs with RLIMIT_CORE 0 so that
// core-dumping signals report this status too.
func WaitSignaled(sig int) int { return sig & 0x7f }

// Memory protection, mmap flags and madvise advice (include/uapi/asm-generic/mman*.h).
const (
	PROT_NONE  int64 = 0x0
	PROT_READ  int64 = 0x1
	PROT_WRITE int64 = 0x2
	PROT_EXEC  int64 = 0x4
	// PROT_SEM is accepted by mmap and mprotect and has no effect on
	// anonymous memory; PROT_GROWSDOWN/UP ask mprotect to extend to the
	// stack's end (not modelled).
	PROT_SEM       int64 = 0x8
	PROT_GROWSDOWN int64 = 0x01000000
	PROT_GROWSUP   int64 = 0x02000000

	MAP_SHARED          int64 = 0x01
	MAP_PRIVATE         int64 = 0x02
	MAP_SHARED_VALIDATE int64 = 0x03
	MAP_DROPPABLE       int64 = 0x08
	// MAP_TYPE is the mapping-type field: for anonymous memory only
	// MAP_SHARED, MAP_PRIVATE and MAP_DROPPABLE are types, every other value
	// is EINVAL (do_mmap's switch).
	MAP_TYPE            int64 = 0x0f
	MAP_FIXED           int64 = 0x10
	MAP_ANONYMOUS       int64 = 0x20
	MAP_32BIT           int64 = 0x40 // x86: place below 2 GiB
	MAP_ABOVE4G         int64 = 0x80 // x86: place at or above 4 GiB
	MAP_GROWSDOWN       int64 = 0x100
	MAP_DENYWRITE       int64 = 0x800  // ignored
	MAP_EXECUTABLE      int64 = 0x1000 // ignored
	MAP_LOCKED          int64 = 0x2000
	MAP_NORESERVE       int64 = 0x4000
	MAP_POPULATE        int64 = 0x8000
	MAP_NONBLOCK        int64 = 0x10000
	MAP_STACK           int64 = 0x20000
	MAP_HUGETLB         int64 = 0x40000
	MAP_SYNC            int64 = 0x80000
	MAP_FIXED_NOREPLACE int64 = 0x100000
	MAP_UNINITIALIZED   int64 = 0x4000000 // ignored on MMU kernels

	MADV_NORMAL     int64 = 0
	MADV_DONTNEED   int64 = 4
	MADV_DONTFORK   int64 = 10
	MADV_DOFORK     int64 = 11
	MADV_WIPEONFORK int64 = 18
	MADV_KEEPONFORK int64 = 19
)

// Page geometry: x86-64, 4 KiB pages, 48-bit virtual addresses.
const (
	PageSize = 4096
	// TaskSize is the end of user address space (x86-64 TASK_SIZE_MAX with
	// 4-level paging): mappings must end at or below it.
	TaskSize uint64 = 0x7ffffffff000
	// MmapMinAddr is the kernel's mmap_min_addr with the usual
	// CONFIG_LSM_MMAP_MIN_ADDR (65536): placements never go below it and a
	// hint below it is raised to it (round_hint_to_min). Whether MAP_FIXED
	// may map below it depends on capabilities and the LSM, so forkspec
	// refuses that (Refusal).
	MmapMinAddr uint64 = 0x10000
	// THPSize is the PMD size on x86-64: hint-less private anonymous
	// mappings whose length is a multiple of it are placed on a multiple of
	// it (__get_unmapped_area → thp_get_unmapped_area_vmflags).
	THPSize uint64 = 0x200000
)

// The arena is the part of the address space that traces use. The Linux
// oracle's agent keeps its own mappings out of it, so every address a trace
// names means the same on all backends. Images are laid out inside it, and a
// mmap without MAP_FIXED whose hint is unusable is placed top-down from
// ArenaEnd (see Mmap).
const (
	ArenaStart uint64 = 0x100000000000 // 16 TiB
	ArenaEnd   uint64 = 0x200000000000 // 32 TiB
)

// File descriptor operations (include/uapi/asm-generic/fcntl.h, linux/fs.h).
const (
	O_CLOEXEC  int64 = 0x80000
	F_GETFD    int64 = 1
	F_SETFD    int64 = 2
	FD_CLOEXEC int64 = 1
	SEEK_SET   int64 = 0
	SEEK_CUR   int64 = 1
	SEEK_END   int64 = 2
	SEEK_DATA  int64 = 3
	SEEK_HOLE  int64 = 4
)

// MaxRWCount is the most bytes one read or write transfers
// (include/linux/fs.h MAX_RW_COUNT: INT_MAX rounded down to a page); vfs_write
// truncates a larger count to it.
const MaxRWCount = 0x7ffff000

// WriteMax is the largest count forkspec models for write(2): the oracle
// really writes the bytes, so larger writes are refused (Refusal).
const WriteMax = 16 << 20

// FileMax is the largest file offset forkspec models. Linux's limit is the
// file system's s_maxbytes (16 TiB less 4 KiB on ext4 with 4 KiB blocks,
// 2^63-1 on tmpfs), which the world does not fix: an lseek whose result
// would pass FileMax is refused (Refusal). 1 TiB is below every limit the
// oracle's file systems have.
const FileMax int64 = 1 << 40

// Signal masks and actions (include/uapi/asm-generic/signal-defs.h, x86 signal.h).
const (
	SIG_BLOCK   int64 = 0
	SIG_UNBLOCK int64 = 1
	SIG_SETMASK int64 = 2

	SA_NOCLDSTOP uint64 = 0x00000001
	SA_NOCLDWAIT uint64 = 0x00000002
	SA_SIGINFO   uint64 = 0x00000004
	SA_RESTART   uint64 = 0x10000000
	SA_NODEFER   uint64 = 0x40000000
	SA_RESETHAND uint64 = 0x80000000
)

// prctl options (include/uapi/linux/prctl.h).
const (
	PR_SET_CHILD_SUBREAPER int64 = 36
	PR_GET_CHILD_SUBREAPER int64 = 37
)

// DefaultUmask is task 1's umask at start.
const DefaultUmask = 0o022

// StopSignal reports whether sig's default action stops the process
// (signal(7): SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU). Stopping is not modelled,
// so every backend refuses the steps that would send one (docs/conventions.md).
func StopSignal(sig int) bool {
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU
}
