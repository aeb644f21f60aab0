/*
 * agent.c — forkspec's Linux oracle agent (see linux/doc.go).
 *
 * One agent process or thread per trace task. Each task reads commands from
 * its own FIFO and performs them as real system calls, then reports on the
 * shared report pipe (REPORT_FD). The Go driver in linux/ decides what to
 * send and observes the results through /proc, pagemap and kcmp.
 *
 * Freestanding on purpose: no libc, raw syscalls only. Tasks created with
 * CLONE_VM share memory, and a raw clone child shares the caller's TLS, so
 * nothing here may depend on errno, locks or thread-local state. Per-task
 * state lives on the task's own stack; globals are written only at startup
 * (and the stack-slot counter, which only the acting task touches: steps
 * are serialized by the driver).
 *
 * Memory: every anonymous mapping the agent makes for itself carries
 * MAP_NORESERVE (VmFlags "nr" in smaps), which trace mappings never do, so
 * the driver tells the agent's memory from the trace's. The arena
 * [ARENA_START, ARENA_END) is where images and placements go. At
 * startup every free range between ARENA_END and the stack is filled with a
 * PROT_NONE reservation, so Linux's top-down mmap placement lands in the
 * arena (the convention in docs/conventions.md), and the agent's own stacks
 * and scratch buffers are carved out of that reservation at fixed addresses.
 *
 * Build: cc -O2 -static -nostdlib -ffreestanding -fno-stack-protector
 *        -fno-zero-initialized-in-bss (no anonymous .bss mapping: every
 *        anonymous mapping without "nr" is the trace's)
 *        -fno-pie -no-pie (x86-64 only).
 */

#include "sys.h"

/* ---- world setup ---- */

static const char *g_dir = 0;  /* the world directory (argv memory, immutable) */
static const char *g_self = 0; /* the agent binary path for bench execs */
static u64 g_next_stack = 0;   /* next free stack slot (shared under CLONE_VM) */

struct kernel_sigaction {
	u64 handler;
	u64 flags;
	u64 restorer;
	u64 mask;
};

/* g_saved holds the action OP_SIGFLIP replaced, per task (by tid). Written
 * only by the acting task, as the stack-slot counter is. */
static struct kernel_sigaction g_saved[4096] = {{0}};

struct rlimit {
	u64 cur, max;
};

/* on_signal is the handler for SigHandle dispositions: it reports one
 * handled delivery for the caller's process, and the thread that ran it
 * (SIG-2): payload signal, tid. */
static void on_signal(int sig)
{
	u64 w[2] = {(u64)sig, (u64)sys0(SYS_gettid)};
	report(REP_HANDLED, sys0(SYS_getpid), 0, 0, w, 2);
}

/*
 * reset_caller_state gives task 1 the state of a fresh world whatever the
 * driver's own caller passed on through fork and exec: ignored dispositions
 * and the signal mask survive execve (GNU make runs its recipes with signals
 * 32 and 33 ignored), and so does the umask. Every signal is blocked, set to
 * SIG_IGN (which discards a pending instance, do_sigaction), set to SIG_DFL,
 * and unblocked; the umask becomes 022 (WORLD-1). Only task 1 is reset: an
 * image the trace execs keeps what execve keeps (EXEC-3).
 */
static void reset_caller_state(void)
{
	u64 all = ~0UL, none = 0;
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, 0, 8);
	for (int s = 1; s <= 64; s++) {
		struct kernel_sigaction ign = {1, 0, 0, 0}, dfl = {0, 0, 0, 0};
		if (s == 9 || s == 19)
			continue; /* SIGKILL and SIGSTOP cannot be changed */
		sys4(SYS_rt_sigaction, s, &ign, 0, 8);
		sys4(SYS_rt_sigaction, s, &dfl, 0, 8);
	}
	sys4(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, 8);
	sys1(SYS_umask, 022);
}

static void set_nofile(u64 cur)
{
	struct rlimit r = {cur, 4096};
	sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, &r, 0);
}

/* fill reserves, PROT_NONE, every free range of [lo, hi) between the m
 * mappings [starts[i], ends[i]) (sorted, as /proc/PID/maps lists them). */
static void fill(u64 lo, u64 hi, const u64 *starts, const u64 *ends, int m)
{
	u64 cur = lo;
	for (int i = 0; i <= m && cur < hi; i++) {
		u64 next = i < m ? starts[i] : hi;
		if (next > hi)
			next = hi;
		if (i < m && ends[i] <= cur)
			continue;
		if (next > cur) {
			/* EEXIST only if maps changed under us: leave that gap */
			sys6(SYS_mmap, (s64)cur, (s64)(next - cur), PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		}
		if (i < m && ends[i] > cur)
			cur = ends[i];
	}
}

/* outside_arena says whether a call on [lo, hi) may have changed the
 * reservation: above the arena, and below it where the agent reserves
 * there too (RESERVE_LOW). */
static int outside_arena(u64 lo, u64 hi)
{
#ifdef RESERVE_LOW
	if (lo && lo < ARENA_START)
		return 1;
#endif
	(void)lo;
	return hi > ARENA_END;
}

/*
 * reserve fills every free range in [ARENA_END, stack - 64 MiB) with a
 * PROT_NONE reservation so that top-down mmap placement falls into the
 * arena, and the agent's stacks and scratch buffers have a home. Built
 * with RESERVE_LOW (a kernel under test, linux/space.go) it also fills
 * [RESERVE_LOW, ARENA_START), so that bottom-up placement lands in the
 * arena too.
 */
static void reserve(void)
{
	static char buf[1 << 18] = {0};
	static u64 starts[4096] = {0}, ends[4096] = {0};
	/* The agent zone [STACK_AREA, SCRATCH_AREA + 1 TiB) (stacks, scratch)
	 * is reserved readable, so that it never merges with the PROT_NONE
	 * reservation around it: the driver tells the two apart. EEXIST on a
	 * refill is expected. */
	sys6(SYS_mmap, (s64)STACK_AREA, (s64)(ZONE_END - STACK_AREA), PROT_READ,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	set_nofile(4096);
	/* thread-self: /proc/self is the group leader, which may be a zombie */
	int fd = (int)sys3(SYS_open, "/proc/thread-self/maps", O_RDONLY | O_CLOEXEC, 0);
	set_nofile(FD_LIMIT);
	if (fd < 0)
		die("open /proc/thread-self/maps");
	u64 n = 0;
	for (;;) {
		s64 r = sys3(SYS_read, fd, buf + n, sizeof buf - 1 - n);
		if (r <= 0)
			break;
		n += (u64)r;
	}
	buf[n] = 0;
	sys1(SYS_close, fd);
	int m = 0;
	u64 stack = STACK_GUESS;
	for (const char *p = buf; *p && m < 4096;) {
		starts[m] = parse_hex(&p);
		p++;
		ends[m] = parse_hex(&p);
		const char *line = p;
		while (*p && *p != '\n')
			p++;
		for (const char *q = line; q < p; q++)
			if (q[0] == '[' && q[1] == 's' && q[2] == 't' && q[3] == 'a')
				stack = starts[m];
		if (*p)
			p++;
		m++;
	}
	fill(ARENA_END, stack - (64UL << 20), starts, ends, m);
#ifdef RESERVE_LOW
	fill(RESERVE_LOW, ARENA_START, starts, ends, m);
#endif
}

/* alloc_stack carves a fresh stack out of the reservation and returns its top. */
static u64 alloc_stack(void)
{
	u64 at = STACK_AREA + __atomic_fetch_add(&g_next_stack, 1, __ATOMIC_SEQ_CST) * STACK_SIZE;
	s64 r = sys6(SYS_mmap, (s64)at, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	if (r < 0)
		die("stack");
	return at + STACK_SIZE;
}

/*
 * build_layout lays out an image (abi.Images) from its text form:
 * "addr:pages:prot:flags:v0,v1,..;" in hex. Pages with a nonzero value are
 * stored to (they hold their own frame, as the model says); the final
 * protection is applied afterwards.
 */
static void build_layout(const char *s)
{
	while (*s) {
		u64 addr = parse_hex(&s);
		s++;
		u64 pages = parse_hex(&s);
		s++;
		u64 prot = parse_hex(&s);
		s++;
		u64 flags = parse_hex(&s);
		s64 r = sys6(SYS_mmap, (s64)addr, (s64)(pages * 4096), PROT_READ | PROT_WRITE,
			     (s64)(flags | MAP_FIXED), -1, 0);
		if (r < 0)
			die("layout mmap");
		u64 i = 0;
		while (*s == ':' || *s == ',') {
			s++;
			u64 v = parse_hex(&s);
			if (v)
				*(volatile u64 *)(addr + i * 4096) = v;
			i++;
		}
		if (prot != (PROT_READ | PROT_WRITE) && sys3(SYS_mprotect, addr, pages * 4096, prot) < 0)
			die("layout mprotect");
		if (*s == ';')
			s++;
	}
}

/* ---- the task loop ---- */

static void task_loop(u64 seq, u64 start) __attribute__((noreturn));

/* child_main is where every clone/fork child starts (arg: the step seq). */
static void child_main(u64 seq)
{
	task_loop(seq, START_CHILD);
}

static s64 do_clone(u64 nr, u64 flags, u64 exitsig, u64 seq, int legacy, u64 ptid, u64 ctid)
{
	u64 stack = 0;
	if (flags & CLONE_VM)
		stack = alloc_stack();
	g_clone_ptid = 0;
	g_clone_ctid = 0;
	if (nr == SYS_fork)
		return clone_call(SYS_fork, 0, 0, child_main, seq);
	/* tid pointers name the word at the start of their page (abi.Clone) */
	g_clone_ptid = ptid & ~4095UL;
	g_clone_ctid = ctid & ~4095UL;
	if (legacy)
		return clone_call(SYS_clone, (s64)flags, (s64)stack, child_main, seq);
	g_clone_ptid = 0;
	g_clone_ctid = 0;
	u64 args[11] = {0};
	args[0] = flags;
	args[2] = ctid & ~4095UL;
	args[3] = ptid & ~4095UL;
	args[4] = exitsig;
	if (stack) {
		args[5] = stack - STACK_SIZE;
		args[6] = STACK_SIZE;
	}
	return clone_call(SYS_clone3, (s64)args, sizeof args, child_main, seq);
}

/* query fills w with the subreaper flag and every signal's action:
 * w[0] = subreaper, w[1+2(s-1)] = handler kind, w[2+2(s-1)] = flags. */
static u64 query(u64 *w)
{
	int sub = 0;
	sys2(SYS_prctl, PR_GET_CHILD_SUBREAPER, &sub);
	w[0] = (u64)sub;
	for (int s = 1; s <= 64; s++) {
		struct kernel_sigaction old = {0};
		u64 kind = 0, flags = 0;
		if (sys4(SYS_rt_sigaction, s, 0, &old, 8) == 0) {
			kind = old.handler == 0 ? 0 : old.handler == 1 ? 1 : 2;
			flags = old.flags & ~SA_RESTORER;
		}
		w[1 + 2 * (s - 1)] = kind;
		w[2 + 2 * (s - 1)] = flags;
	}
	return 129;
}

#include "bench.h"

static s64 do_execve(s64 tid, u64 seq, const char *payload, u64 len)
{
	/* payload: path \0 image \0 layout \0 */
	const char *path = payload;
	const char *image = path + slen(path) + 1;
	const char *layout = image + slen(image) + 1;
	if (layout >= payload + len)
		return -22;
	char seqs[24];
	catu(seqs, seq);
	const char *argv[] = {image, g_dir, "exec", layout, seqs, 0};
	const char *envp[] = {0};
	(void)tid;
	return sys3(SYS_execve, path, argv, envp);
}

/* scratch is this task's own buffer in the scratch zone: 32 MiB per tid, so
 * that a read or write asleep in one CLONE_VM thread keeps its buffer while
 * another thread's call maps its own. */
static u64 scratch(void)
{
	return SCRATCH_AREA + ((u64)sys0(SYS_gettid) % 4096) * (32UL << 20);
}

static s64 do_rw(u64 nr, s64 fd, s64 n)
{
	if (fd >= FD_LIMIT)
		return -9;
	u64 buf = scratch();
	if (n <= 0)
		return sys3(nr, fd, buf, n);
	u64 len = ((u64)n + 4095) & ~4095UL;
	if (sys6(SYS_mmap, (s64)buf, (s64)len, nr == SYS_read ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) < 0)
		die("scratch");
	s64 r = sys3(nr, fd, buf, n);
	sys6(SYS_mmap, (s64)buf, (s64)len, PROT_READ,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	return r;
}

/* run performs one command for task tid; it returns when a report was sent
 * (or, for exec/exit, does not return). */
static void run(s64 tid, struct cmd *c, char *payload)
{
	s64 r = 0;
	u64 w[MAXWORDS];
	u64 n = 0;
	u64 *a = c->a;
	switch (c->op) {
	case OP_PING:
		n = query(w);
		report(REP_PONG, tid, c->seq, 0, w, n);
		return;
	case OP_PEEK: {
		/* siginfo: si_signo, si_errno, si_code, pad, si_pid, si_uid, si_status */
		s32 info[32] = {0};
		r = sys5(SYS_waitid, P_PID, a[0], info, WEXITED | WNOHANG | WNOWAIT | __WALL, 0);
		w[0] = (u64)info[2]; /* si_code: CLD_EXITED 1, CLD_KILLED 2, CLD_DUMPED 3 */
		w[1] = (u64)(s64)info[6];
		w[2] = (u64)(s64)info[4];
		n = 3;
		break;
	}
	case OP_READ:
		/* The driver observing the trace's pages (linux/pages.go): a plain
		 * load takes no page reference, as a read through /proc/PID/mem
		 * would. The driver asks only for present, readable pages. */
		n = a[0] <= MAXWORDS && a[0] * 8 <= c->len ? a[0] : 0;
		for (u64 i = 0; i < n; i++) {
			u64 addr = 0;
			for (int b = 7; b >= 0; b--)
				addr = addr << 8 | (u64)(unsigned char)payload[8 * i + (u64)b];
			w[i] = *(volatile u64 *)addr;
		}
		break;
	case OP_BENCH:
		bench(a[0], a[1], a[2], w);
		n = 2;
		break;
	case OP_FORK:
		r = do_clone(SYS_fork, 0, 0, c->seq, 1, 0, 0);
		break;
	case OP_VFORK:
		r = do_clone(SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, c->seq, 1, 0, 0);
		break;
	case OP_CLONE:
		r = do_clone(SYS_clone, a[0], 0, c->seq, 1, a[2], a[3]);
		break;
	case OP_CLONE3:
		r = do_clone(SYS_clone3, a[0], a[1], c->seq, 0, a[2], a[3]);
		break;
	case OP_EXECVE:
		r = do_execve(tid, c->seq, payload, c->len);
		break;
	case OP_EXIT:
		sys1(SYS_exit, a[0]);
		die("exit returned");
		break;
	case OP_EXIT_GROUP:
		sys1(SYS_exit_group, a[0]);
		die("exit_group returned");
		break;
	case OP_WAIT4: {
		/* May sleep: the driver sees it asleep in /proc (linux/block.go)
		 * and collects this report when a later step ends the sleep. */
		int st = 0;
		r = sys4(SYS_wait4, a[0], &st, a[1], 0);
		w[0] = (u64)(u32)st;
		n = 1;
		break;
	}
	case OP_GETPID:
		r = sys0(SYS_getpid);
		break;
	case OP_GETPPID:
		r = sys0(SYS_getppid);
		break;
	case OP_GETTID:
		r = sys0(SYS_gettid);
		break;
	case OP_PRCTL:
		if (a[0] == PR_GET_CHILD_SUBREAPER) {
			int v = 0;
			r = sys2(SYS_prctl, a[0], &v);
			w[0] = (u64)v;
			n = 1;
		} else {
			r = sys2(SYS_prctl, a[0], a[1]);
		}
		break;
	case OP_SIGFLIP: {
		/* identity probes without kcmp (linux/identity.go): flip signal
		 * a[0] between SIG_DFL and SIG_IGN, saving its action for
		 * OP_SIGRESTORE (slot by tid: tasks sharing memory never mix) */
		struct kernel_sigaction *old = &g_saved[tid & 4095];
		struct kernel_sigaction flip = {0};
		r = sys4(SYS_rt_sigaction, a[0], 0, old, 8);
		flip.handler = old->handler == 0 ? 1 : 0;
		if (r == 0)
			r = sys4(SYS_rt_sigaction, a[0], &flip, 0, 8);
		break;
	}
	case OP_SIGRESTORE:
		r = sys4(SYS_rt_sigaction, a[0], &g_saved[tid & 4095], 0, 8);
		break;
	case OP_FLFLIP: {
		/* flip O_NONBLOCK of fd a[0] (no effect on the trace's files) */
		s64 fl = sys2(SYS_fcntl, a[0], F_GETFL);
		r = fl < 0 ? fl : sys3(SYS_fcntl, a[0], F_SETFL, fl ^ O_NONBLOCK);
		break;
	}
	case OP_UNRESERVE:
		/* the driver makes room in the reservation for a trace mapping */
		r = sys2(SYS_munmap, a[0], a[1]);
		break;
	case OP_MMAP:
		r = sys6(SYS_mmap, (s64)a[0], (s64)a[1], (s64)a[2], (s64)a[3], -1, 0);
		if (outside_arena(a[0], a[0] + a[1]) || (r >= 0 && outside_arena((u64)r, (u64)r + a[1])))
			reserve(); /* refill what the reservation lost */
		break;
	case OP_MUNMAP:
		r = sys2(SYS_munmap, a[0], a[1]);
		if (outside_arena(a[0], a[0] + a[1]))
			reserve();
		break;
	case OP_MPROTECT:
		r = sys3(SYS_mprotect, a[0], a[1], a[2]);
		break;
	case OP_MADVISE:
		r = sys3(SYS_madvise, a[0], a[1], a[2]);
		break;
	case OP_LOAD:
		w[0] = *(volatile u64 *)(a[0] & ~4095UL);
		n = 1;
		break;
	case OP_STORE:
		*(volatile u64 *)(a[0] & ~4095UL) = a[1];
		break;
	case OP_OPEN:
		r = sys3(SYS_open, payload, O_RDWR | a[0], 0);
		break;
	case OP_CLOSE:
		r = (s64)a[0] >= FD_LIMIT ? -9 : sys1(SYS_close, a[0]);
		break;
	case OP_DUP:
		r = (s64)a[0] >= FD_LIMIT ? -9 : sys1(SYS_dup, a[0]);
		break;
	case OP_FCNTL:
		r = (s64)a[0] >= FD_LIMIT ? -9 : sys3(SYS_fcntl, a[0], a[1], a[2]);
		break;
	case OP_WRITE:
		r = do_rw(SYS_write, (s64)a[0], (s64)a[1]);
		break;
	case OP_READFD:
		r = do_rw(SYS_read, (s64)a[0], (s64)a[1]);
		break;
	case OP_PIPE2: {
		int fds[2] = {-1, -1};
		r = sys2(SYS_pipe2, fds, a[0]);
		w[0] = (u64)(s64)fds[0];
		w[1] = (u64)(s64)fds[1];
		n = 2;
		break;
	}
	case OP_DUP2:
		/* the agent's own fds (>= FD_LIMIT) are not the trace's */
		r = sys2(SYS_dup2, (s64)a[0] >= FD_LIMIT ? 99999 : a[0], a[1]);
		break;
	case OP_DUP3:
		/* dup3(x, x) is EINVAL before oldfd is looked up (ksys_dup3):
		 * keep an agent fd only where the two differ */
		r = sys3(SYS_dup3, (s64)a[0] >= FD_LIMIT && a[0] != a[1] ? 99999 : a[0], a[1], a[2]);
		break;
	case OP_FUTEX:
		/* the futex word is the u32 at the start of the page (abi.Futex) */
		r = sys6(SYS_futex, (s64)(a[0] & ~4095UL), (s64)a[1], (s64)a[2], 0, 0, 0xffffffffL);
		break;
	case OP_TGKILL:
		r = sys3(SYS_tgkill, a[0], a[1], a[2]);
		break;
	case OP_TKILL:
		r = sys2(SYS_tkill, a[0], a[1]);
		break;
	case OP_SIGPENDING: {
		u64 set = 0;
		r = sys2(SYS_rt_sigpending, &set, 8);
		w[0] = set;
		n = 1;
		break;
	}
	case OP_LSEEK:
		r = (s64)a[0] >= FD_LIMIT ? -9 : sys3(SYS_lseek, a[0], a[1], a[2]);
		break;
	case OP_UMASK:
		r = sys1(SYS_umask, a[0]);
		break;
	case OP_SIGACTION: {
		struct kernel_sigaction act = {0};
		act.handler = a[1] == 0 ? 0 : a[1] == 1 ? 1 : (u64)on_signal;
		act.flags = a[2] | SA_RESTORER;
		act.restorer = (u64)restore_rt;
		struct kernel_sigaction old = {0};
		r = sys4(SYS_rt_sigaction, a[0], &act, a[3] ? &old : 0, 8);
		w[0] = old.handler == 0 ? 0 : old.handler == 1 ? 1 : 2;
		w[1] = old.flags & ~SA_RESTORER;
		n = 2;
		break;
	}
	case OP_SIGPROCMASK: {
		u64 set = a[1], old = 0;
		r = sys4(SYS_rt_sigprocmask, a[0], &set, a[2] ? &old : 0, 8);
		w[0] = old;
		n = 1;
		break;
	}
	case OP_KILL:
		r = sys2(SYS_kill, a[0], a[1]);
		break;
	default:
		r = -38;
	}
	report(REP_RESULT, tid, c->seq, r, w, n);
}

#ifdef MARK_IDS
/*
 * mark_ids gives the task's mm, fd table and fs a marker no other such
 * object has, for a kernel without kcmp(2) (linux/identity.go): a word at
 * MARK_PAGE, the fd MARK_FD on its own command FIFO (fifo), and a working
 * directory of its own (fifo.d). Every task marks at start, so a new
 * (copied) object gets a fresh marker and a shared one is re-marked for
 * all its users at once: two tasks share the object exactly when they show
 * the same marker.
 */
static void mark_ids(const char *fifo, s64 fd, u64 seq, s64 tid)
{
	if (sys6(SYS_mmap, (s64)MARK_PAGE, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) < 0)
		die("mark page");
	*(volatile u64 *)MARK_PAGE = seq << 16 | ((u64)tid & 0xffff);
	set_nofile(4096);
	if (sys3(SYS_dup3, fd, MARK_FD, O_CLOEXEC) < 0)
		die("mark fd");
	set_nofile(FD_LIMIT);
	char dir[520], *p = cat(dir, fifo);
	cat(p, ".d");
	if (sys2(SYS_mkdir, dir, 0700) < 0 || sys3(SYS_fchmodat, AT_FDCWD, dir, 0700) < 0 ||
	    sys1(SYS_chdir, dir) < 0)
		die("mark cwd");
}
#endif

/* hello announces a task that just started (init, child, exec'd image) and
 * opens its command FIFO dir/fifo/<tid>.<seq>, returning the fd. */
static int hello(u64 seq, u64 start)
{
	s64 tid = sys0(SYS_gettid);
	/* Scheduling: the driver makes every task outside init's group
	 * SCHED_FIFO when it reads this hello (linux/kernel.go absorb). */
	char path[512], *p = cat(path, g_dir);
	p = cat(p, "/fifo/");
	p = catu(p, (u64)tid);
	p = cat(p, ".");
	p = catu(p, seq);
	if (sys4(SYS_mknodat, AT_FDCWD, path, S_IFIFO | 0600, 0) < 0)
		die("mkfifo");
	/* the trace's umask may have removed our own permissions */
	if (sys3(SYS_fchmodat, AT_FDCWD, path, 0600) < 0)
		die("chmod fifo");
	set_nofile(4096);
	s64 fd = sys3(SYS_open, path, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		die("open fifo");
	s64 hi = sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, CMD_FD_MIN);
	if (hi < 0)
		die("dup fifo");
	sys1(SYS_close, fd);
	set_nofile(FD_LIMIT);
	/* the host tid: /proc here is the host's procfs ("H/task/T") */
	char link[64] = {0};
	s64 ln = sys4(SYS_readlinkat, AT_FDCWD, "/proc/thread-self", link, sizeof link - 1);
	u64 host = 0;
	if (ln > 0) {
		const char *q = link;
		while (*q && *q != '/')
			q++;
		if (*q)
			q += 6; /* "/task/" */
		host = parse_dec(q);
	}
#ifdef MARK_IDS
	mark_ids(path, hi, seq, tid);
#endif
	u64 w[4] = {host, (u64)sys0(SYS_getpid), (u64)sys0(SYS_getppid), start};
	report(REP_HELLO, tid, seq, 0, w, 4);
	return (int)hi;
}


static void task_loop(u64 seq, u64 start)
{
	int fd = hello(seq, start);
	s64 tid = sys0(SYS_gettid);
	for (;;) {
		struct cmd c;
		char payload[2048];
		if (read_full(fd, &c, sizeof c) < 0)
			die("read cmd");
		if (c.len >= sizeof payload)
			die("payload too long");
		if (c.len && read_full(fd, payload, c.len) < 0)
			die("read payload");
		payload[c.len] = 0;
		run(tid, &c, payload);
	}
}

/*
 * start_c: argv = image, dir, mode, layout, seq [, uid, cpu, self, nproc]
 * where mode is
 * "init" (task 1 of a fresh pid namespace, as root), "exec" (a task that
 * just exec'd an image) or "benchexit" (exit at once: bench exec target).
 */
void start_c(u64 *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	if (argc >= 3 && argv[2][0] == 'b')
		sys1(SYS_exit_group, 0);
	if (argc < 5)
		sys1(SYS_exit_group, 122);
	g_dir = argv[1];
	int init = argv[2][0] == 'i';
	u64 seq = parse_dec(argv[4]);
	if (init) {
		if (argc < 9)
			sys1(SYS_exit_group, 123);
		reset_caller_state();
		g_self = argv[7];
		u64 uid = parse_dec(argv[5]);
		u64 cpu = parse_dec(argv[6]);
		/* stderr becomes the debug fd; the report pipe arrives as fd 3 */
		if (sys2(SYS_dup2, 2, DEBUG_FD) < 0 || sys2(SYS_dup2, 3, REPORT_FD) < 0)
			sys1(SYS_exit_group, 124);
		for (int fd = 0; fd < 64; fd++)
			sys1(SYS_close, fd);
		/* a private proc mount shows the namespace's pids to the driver */
		if (sys5(SYS_mount, 0, "/", 0, MS_REC | MS_PRIVATE, 0) < 0)
			die("make / private");
		char mnt[512];
		cat(cat(mnt, g_dir), "/nsproc");
		if (sys5(SYS_mount, "proc", mnt, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0) < 0)
			die("mount proc");
		u64 mask[16] = {0};
		mask[cpu / 64] = 1UL << (cpu % 64);
		if (sys3(SYS_sched_setaffinity, 0, sizeof mask, mask) < 0)
			die("pin cpu");

		struct rlimit core = {0, 0};
		sys4(SYS_prlimit64, 0, RLIMIT_CORE, &core, 0);
		/* a dedicated uid, so that RLIMIT_NPROC is the task limit (FORK-7) */
		struct rlimit nproc = {parse_dec(argv[8]), parse_dec(argv[8])};
		if (sys2(SYS_setgroups, 0, 0) < 0 || sys3(SYS_setresgid, uid, uid, uid) < 0 ||
		    sys3(SYS_setresuid, uid, uid, uid) < 0)
			die("setuid");
		sys4(SYS_prlimit64, 0, RLIMIT_NPROC, &nproc, 0);
		sys2(SYS_prctl, PR_SET_PDEATHSIG, 9);
		sys2(SYS_prctl, PR_SET_THP_DISABLE, 1);
	} else {
		g_self = argv[0];
	}
	sys2(SYS_prctl, PR_SET_DUMPABLE, 0);
#ifdef DROP_VDSO
	/* once, at start: User-Mode Linux names any mapping at this address
	 * [vdso] later (arch_vma_name), the trace's too */
	sys2(SYS_munmap, DROP_VDSO, 4096);
#endif
	set_nofile(4096);
	reserve();
	set_nofile(FD_LIMIT);
	build_layout(argv[3]);
	task_loop(seq, init ? START_INIT : START_EXEC);
}
