package abi

// Linux's numbers for the calls of syscall_libc.go (x86-64).

// Open and pipe2 flags (include/uapi/asm-generic/fcntl.h).
const (
	O_EXCL     int64 = 0x80   // pipe2: O_NOTIFICATION_PIPE
	O_NONBLOCK int64 = 0x800  // not modelled
	O_DIRECT   int64 = 0x4000 // pipe2: packet mode, not modelled
)

// More fcntl commands (include/uapi/linux/fcntl.h).
const (
	F_DUPFD         int64 = 0
	F_DUPFD_CLOEXEC int64 = 1030
	F_SETPIPE_SZ    int64 = 1031
	F_GETPIPE_SZ    int64 = 1032
)

// More errnos.
const (
	ESPIPE Errno = 29
	EPIPE  Errno = 32
)

// Futex operations (include/uapi/linux/futex.h).
const (
	FUTEX_WAIT             int64 = 0
	FUTEX_WAKE             int64 = 1
	FUTEX_WAIT_BITSET      int64 = 9
	FUTEX_WAKE_BITSET      int64 = 10
	FUTEX_PRIVATE_FLAG     int64 = 128
	FUTEX_CLOCK_REALTIME   int64 = 256
	FUTEX_CMD_MASK         int64 = ^(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
	FUTEX_BITSET_MATCH_ANY       = 0xffffffff
)

// FutexCommands is the number of futex commands Linux knows (FUTEX_WAIT 0 …
// FUTEX_LOCK_PI2 13): any other command is ENOSYS.
const FutexCommands = 14

// Pipe geometry (fs/pipe.c, include/linux/pipe_fs_i.h): a pipe is a ring of
// PipeSlots page buffers, PipeCapacity bytes when every page is full
// (F_GETPIPE_SZ). PipeBuf is PIPE_BUF: a write of at most that many bytes
// is never split (it merges whole into the last page or takes a new one).
const (
	PipeSlots    = 16
	PipeCapacity = PipeSlots * PageSize
	PipeBuf      = 4096
)
