/*
 * bench.h — timed process creation for linux.Kernel.Bench, measured in C
 * inside the agent (included by agent.c after alloc_stack).
 */

static u64 now_ns(void)
{
	u64 ts[2];
	sys2(SYS_clock_gettime, 1, ts);
	return ts[0] * 1000000000UL + ts[1];
}

static void bench_child(u64 mode)
{
	if (mode) {
		const char *argv[] = {"true", g_dir, "benchexit", 0};
		const char *envp[] = {0};
		sys3(SYS_execve, g_self, argv, envp);
	}
	sys1(SYS_exit_group, 0);
}

/*
 * bench times one kind of process creation with mib MiB of private memory
 * touched, iters times, and returns the median and minimum in ns.
 * kinds: 1 fork returns in the parent; 2 fork+_exit+wait; 3
 * vfork+_exit+wait; 4 clone(CLONE_VM)+_exit+wait; 5 fork+execve+wait;
 * 6 vfork+execve+wait.
 */
static void bench(u64 kind, u64 mib, u64 iters, u64 *w)
{
	static u64 mapped = 0;
	static u64 times[4096] = {0};
	u64 base = ARENA_START + (1UL << 40);
	if (mapped != mib) {
		if (mapped)
			sys2(SYS_munmap, base, mapped << 20);
		mapped = 0;
		if (mib) {
			if (sys6(SYS_mmap, (s64)base, (s64)(mib << 20), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0)
				die("bench mmap");
			for (u64 off = 0; off < mib << 20; off += 4096)
				*(volatile u64 *)(base + off) = off | 1;
		}
		mapped = mib;
	}
	if (iters > 4096)
		iters = 4096;
	/* benchmarks run in init (SCHED_OTHER), like anchors.md */
	u64 stack = alloc_stack();
	for (u64 i = 0; i < iters; i++) {
		u64 t0 = now_ns(), t1 = 0;
		s64 pid;
		u64 exec = kind >= 5;
		if (kind == 1 || kind == 2 || kind == 5)
			pid = clone_call(SYS_fork, 0, 0, bench_child, exec);
		else if (kind == 3 || kind == 6)
			pid = clone_call(SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, (s64)stack, bench_child, exec);
		else
			pid = clone_call(SYS_clone, CLONE_VM | SIGCHLD, (s64)stack, bench_child, 0);
		if (kind == 1)
			t1 = now_ns();
		if (pid < 0)
			die("bench clone");
		int st;
		while (sys4(SYS_wait4, pid, &st, __WALL, 0) == -EINTR)
			;
		if (kind != 1)
			t1 = now_ns();
		times[i] = t1 - t0;
	}
	/* insertion sort: iters is small */
	for (u64 i = 1; i < iters; i++)
		for (u64 j = i; j > 0 && times[j - 1] > times[j]; j--) {
			u64 t = times[j];
			times[j] = times[j - 1];
			times[j - 1] = t;
		}
	w[0] = iters ? times[iters / 2] : 0;
	w[1] = iters ? times[0] : 0;
}
