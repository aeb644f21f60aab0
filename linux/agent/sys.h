/*
 * sys.h — the agent's freestanding runtime: types, Linux numbers (x86-64),
 * raw system calls, the entry points written in assembly (_start,
 * clone_call, the signal restorer), string helpers and the report/command
 * protocol (linux/proto.go is the other side). Included once, by agent.c.
 */

typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;
typedef int s32;

/* The layout (linux/space.go Space): these are HostSpace's; a kernel under
 * test with a smaller address space builds the agent with -D for each. */
#ifndef ARENA_START
#define ARENA_START 0x100000000000UL
#define ARENA_END 0x200000000000UL
#define STACK_AREA 0x300000000000UL
#define SCRATCH_AREA 0x380000000000UL
#define ZONE_END (SCRATCH_AREA + (1UL << 40))
#define STACK_GUESS 0x7ff000000000UL
#endif
#define STACK_SIZE (256UL * 1024)
/* MARK_IDS (a kernel without kcmp): the mm's marker word and the fd
 * table's marker fd (agent.c mark_ids). */
#define MARK_PAGE (ZONE_END - 4096)
#define MARK_FD 999
#define REPORT_FD 1000
#define DEBUG_FD 1001
#define CMD_FD_MIN 100
#define FD_LIMIT 16

/* Syscall numbers (x86-64). */
enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_mmap = 9,
	SYS_mprotect = 10, SYS_munmap = 11, SYS_rt_sigaction = 13,
	SYS_rt_sigprocmask = 14, SYS_madvise = 28, SYS_dup = 32, SYS_getpid = 39,
	SYS_clone = 56, SYS_fork = 57, SYS_vfork = 58, SYS_execve = 59,
	SYS_exit = 60, SYS_wait4 = 61, SYS_kill = 62, SYS_fcntl = 72,
	SYS_lseek = 8, SYS_dup2 = 33, SYS_chdir = 80, SYS_mkdir = 83, SYS_dup3 = 292, SYS_umask = 95, SYS_getppid = 110,
	SYS_setresuid = 117, SYS_setresgid = 119, SYS_setgroups = 116,
	SYS_prctl = 157, SYS_mount = 165, SYS_gettid = 186,
	SYS_sched_setscheduler = 144, SYS_sched_setaffinity = 203, SYS_clock_gettime = 228,
	SYS_exit_group = 231, SYS_waitid = 247, SYS_mknodat = 259,
	SYS_readlinkat = 267, SYS_fchmodat = 268, SYS_prlimit64 = 302, SYS_clone3 = 435,
	SYS_pipe2 = 293, SYS_futex = 202, SYS_tgkill = 234, SYS_tkill = 200,
	SYS_rt_sigpending = 127,
};

/* Report kinds (linux/proto.go). */
enum { REP_HELLO = 1, REP_RESULT = 2, REP_PONG = 3, REP_HANDLED = 4, REP_DEBUG = 5 };
/* Start kinds in a hello. */
enum { START_INIT = 1, START_CHILD = 2, START_EXEC = 3 };

/* Command ops (linux/proto.go). */
enum {
	OP_PING = 1, OP_PEEK = 2, OP_BENCH = 3, OP_UNRESERVE = 4, OP_READ = 5,
	OP_SIGFLIP = 6, OP_SIGRESTORE = 7, OP_FLFLIP = 8,
	OP_FORK = 10, OP_VFORK, OP_CLONE, OP_CLONE3, OP_EXECVE, OP_EXIT,
	OP_EXIT_GROUP, OP_WAIT4, OP_GETPID, OP_GETPPID, OP_GETTID, OP_PRCTL,
	OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MADVISE, OP_LOAD, OP_STORE,
	OP_OPEN, OP_CLOSE, OP_DUP, OP_FCNTL, OP_WRITE, OP_LSEEK, OP_UMASK,
	OP_SIGACTION, OP_SIGPROCMASK, OP_KILL,
	OP_PIPE2, OP_READFD, OP_DUP2, OP_DUP3, OP_FUTEX, OP_TGKILL, OP_TKILL, OP_SIGPENDING,
};

#define CLONE_VM 0x100UL
#define CLONE_FILES 0x400UL
#define CLONE_VFORK 0x4000UL
#define SIGCHLD 17
#define WNOHANG 1
#define WEXITED 4
#define WNOWAIT 0x01000000
#define __WALL 0x40000000
#define SA_RESTORER 0x04000000UL
#define SIG_SETMASK 2
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MAP_FIXED_NOREPLACE 0x100000
#define O_RDONLY 0
#define O_RDWR 2
#define O_CLOEXEC 0x80000
#define O_NONBLOCK 04000
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define AT_FDCWD (-100)
#define S_IFIFO 0010000
#define RLIMIT_CORE 4
#define RLIMIT_NOFILE 7
#define RLIMIT_NPROC 6
#define PR_SET_PDEATHSIG 1
#define PR_SET_DUMPABLE 4
#define PR_SET_THP_DISABLE 41
#define PR_GET_CHILD_SUBREAPER 37
#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_REC 16384
#define MS_PRIVATE (1 << 18)
#define P_PID 1
#define EINTR 4

/* ---- raw system calls ---- */

static inline s64 sys6(s64 n, s64 a, s64 b, s64 c, s64 d, s64 e, s64 f)
{
	register s64 r10 __asm__("r10") = d;
	register s64 r8 __asm__("r8") = e;
	register s64 r9 __asm__("r9") = f;
	s64 ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (s64)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (s64)(a), (s64)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (s64)(a), (s64)(b), (s64)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (s64)(a), (s64)(b), (s64)(c), (s64)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (s64)(a), (s64)(b), (s64)(c), (s64)(d), (s64)(e), 0)

/*
 * clone_call performs syscall nr(a1, a2) (fork, clone or clone3). In the
 * child it calls fn(arg) on whatever stack the kernel gave it and never
 * returns; in the parent it returns the syscall's result.
 */
/* The legacy clone's parent_tid and child_tid pointers (tls is 0), read by
 * clone_call: written by the acting task just before the call (steps are
 * serialized). */
u64 g_clone_ptid = 0, g_clone_ctid = 0;
s64 clone_call(s64 nr, s64 a1, s64 a2, void (*fn)(u64), u64 arg);
__asm__(".text\n"
	".globl clone_call\n"
	"clone_call:\n"
	"  push %r12\n"
	"  push %r13\n"
	"  mov %rcx, %r12\n"
	"  mov %r8, %r13\n"
	"  mov %rdi, %rax\n"
	"  mov %rsi, %rdi\n"
	"  mov %rdx, %rsi\n"
	"  mov g_clone_ptid(%rip), %rdx\n"
	"  mov g_clone_ctid(%rip), %r10\n"
	"  xor %r8d, %r8d\n"
	"  syscall\n"
	"  test %rax, %rax\n"
	"  jz 1f\n"
	"  pop %r13\n"
	"  pop %r12\n"
	"  ret\n"
	"1:\n"
	"  xor %ebp, %ebp\n"
	"  and $-16, %rsp\n"
	"  mov %r13, %rdi\n"
	"  call *%r12\n"
	"  mov $60, %eax\n"
	"  xor %edi, %edi\n"
	"  syscall\n"
	"  hlt\n");

/* restore_rt is the signal trampoline (SA_RESTORER): rt_sigreturn. */
void restore_rt(void);
__asm__(".text\n"
	".globl restore_rt\n"
	"restore_rt:\n"
	"  mov $15, %eax\n"
	"  syscall\n"
	"  hlt\n");

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"  xor %ebp, %ebp\n"
	"  mov %rsp, %rdi\n"
	"  and $-16, %rsp\n"
	"  call start_c\n"
	"  hlt\n");

/* gcc may emit calls to these for struct copies. */
void *memset(void *d, int c, unsigned long n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}
void *memcpy(void *d, const void *s, unsigned long n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

/* ---- small helpers ---- */

static u64 slen(const char *s)
{
	u64 n = 0;
	while (s[n])
		n++;
	return n;
}

/* cat appends s at *p and returns the new end (NUL kept at the end). */
static char *cat(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	*p = 0;
	return p;
}

static char *catu(char *p, u64 v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	*p = 0;
	return p;
}

static u64 parse_hex(const char **sp)
{
	const char *s = *sp;
	u64 v = 0;
	for (;; s++) {
		char c = *s;
		if (c >= '0' && c <= '9')
			v = v * 16 + (u64)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (u64)(c - 'a' + 10);
		else
			break;
	}
	*sp = s;
	return v;
}

static u64 parse_dec(const char *s)
{
	u64 v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u64)(*s++ - '0');
	return v;
}

static void write_all(int fd, const void *buf, u64 n)
{
	const char *p = buf;
	while (n) {
		s64 r = sys3(SYS_write, fd, p, n);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			sys1(SYS_exit_group, 120);
		p += r;
		n -= (u64)r;
	}
}

static int read_full(int fd, void *buf, u64 n)
{
	char *p = buf;
	while (n) {
		s64 r = sys3(SYS_read, fd, p, n);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (u64)r;
	}
	return 0;
}

/* ---- protocol ---- */

/* struct rep is the report header; n payload words follow (one write). */
struct rep {
	u64 kind;
	s64 tid;
	u64 seq;
	s64 ret;
	u64 n;
};

/* struct cmd is the command header; len payload bytes follow. */
struct cmd {
	u64 seq;
	u64 op;
	u64 a[5];
	u64 len;
};

#define MAXWORDS 200

static void report(u64 kind, s64 tid, u64 seq, s64 ret, const u64 *w, u64 n)
{
	struct {
		struct rep h;
		u64 w[MAXWORDS];
	} m;
	m.h.kind = kind;
	m.h.tid = tid;
	m.h.seq = seq;
	m.h.ret = ret;
	m.h.n = n;
	for (u64 i = 0; i < n; i++)
		m.w[i] = w[i];
	write_all(REPORT_FD, &m, sizeof m.h + n * 8);
}

static void die(const char *msg)
{
	write_all(DEBUG_FD, "forkspec agent: ", 16);
	write_all(DEBUG_FD, msg, slen(msg));
	write_all(DEBUG_FD, "\n", 1);
	sys1(SYS_exit_group, 121);
}
