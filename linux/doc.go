// Package linux is forkspec's oracle: an abi.Kernel whose tasks are real
// processes and threads on the running Linux kernel, so that the model's
// semantics can be checked against the real thing.
//
// # How it works
//
// New builds a small freestanding C agent (agent/agent.c with sys.h and
// bench.h, embedded and compiled with the system's cc; Go's runtime cannot
// run in a raw fork/vfork child) and starts it as task 1: the init of a
// fresh pid namespace (and mount namespace, for a private procfs), as
// root, pinned to one CPU, under a dedicated uid whose RLIMIT_NPROC is the
// world's task limit (FORK-7: root would be exempt), with THP off and core
// dumps off, and with the signal state and umask of a fresh world whatever
// the driver inherited (every disposition SIG_DFL, nothing blocked or
// pending, umask 022: GNU make runs recipes with signals 32 and 33 ignored,
// and execve keeps that). Pids inside are the trace's tids. Every task outside init's
// group runs SCHED_FIFO priority 1 on that CPU, so that each runs until it
// blocks and outcomes do not depend on preemption (kernel.go absorb).
//
// Every trace task is an agent process or thread. Each reads commands from
// its own FIFO and reports on one shared pipe; Step sends one command,
// waits for its outcome (a result, the child's hello, the new image's
// hello, a frozen vfork parent in state D, or the task's death), then
// settles the world: dying tasks finish dying and every running task
// answers a ping, which delivers its pending signals (handlers report each
// run). Each syscall is performed for real: raw fork, clone, clone3,
// execve, exit and exit_group; vfork as clone(CLONE_VM|CLONE_VFORK) on a
// separate stack.
//
// View observes without disturbing: tasks from /proc/PID/stat and status
// (Z zombie, D frozen vfork parent, SigBlk, ShdPnd, SigIgn, SigCgt, Umask),
// images from comm (each image is a symlink to the agent named after it),
// identities of mm, fd table, fs and sighand from kcmp(2), mappings from
// smaps (VmFlags dc/wf for DONTFORK/WIPEONFORK), frames from
// /proc/PID/pagemap found with PAGEMAP_SCAN (the zero page excluded, COW-7;
// unpopulated ranges cost nothing, however large), values by the agent's
// own loads (a read through /proc/PID/mem would take a page reference and
// turn COW-3 reuse into a copy: pages.go), MAP_SHARED pages from their
// shmem object (map_files, SEEK_DATA), fds from /proc/PID/fd and fdinfo
// with open-file identity by
// kcmp KCMP_FILE, wait statuses by waitid(WNOWAIT) in the parent, sa_flags
// and the subreaper flag from the agent's pong. abi.Canonicalize does the
// rest. FrameID (abi.FrameNamer) names a page's frame by its PFN, stable
// across steps, so that reuse is checked as well as sharing.
//
// # A loaded machine
//
// Every wait for the real processes (a result, a hello, a pong, a dying
// task) is sized for the load when it starts and looked at again when it
// runs out: its idle budget times the runnable tasks per CPU, up to two
// minutes; one that still runs out says which task, which wait, how long
// and what load it was sized for (patience.go). While a world is open the
// driver's threads and the agents run at nice -20, ahead of ordinary busy
// work: with 16 busy loops on this 2-core machine the docs' specs took 63 s
// at nice 0 and 16 s so (idle: 8 s).
//
// # What the oracle refuses
//
// preflight.go evaluates the refusal list every backend shares
// (abi.Refusal), answering its questions from /proc (procWorld). Besides
// it, the oracle refuses with OutcomeUnsupported only what would need the
// agent's own memory — an mmap (fixed or hinted) over the agent's code,
// stacks or scratch zone (agentmem.go) — and, in a world that names machine
// facts other than this machine's (machine.go), the steps only those facts
// decide. A write count no buffer can hold is passed as -1 (the same
// EFAULT, without a scratch buffer). Fds >= abi.FdLimit are the agent's
// own: the agent answers EBADF for them, as Linux would with nothing open
// there. The agent is linked at 40 TiB, above the arena, so that nothing of
// its own lies below ArenaEnd, where placements go (MEM-3k).
//
// For the trace, the agent's own mappings are unmapped address space
// (agentmem.go): madvise and munmap are performed on the trace's parts of
// their range only, mprotect stops at the agent as at a hole (ENOMEM), a
// load or store there faults for real (redirected to PROT_NONE memory).
// Above the arena the agent keeps a PROT_NONE reservation so that Linux's
// top-down placement lands in the arena, as the conventions require; the
// trace may map over it, and the agent refills what is left free.
//
// # On a kernel under test
//
// Inside another kernel (package uml boots one as User-Mode Linux) the
// oracle runs in the Space chosen for that kernel's address space
// (space.go: UseSpace, with an agent BuildAgent built for it), and on a
// kernel without kcmp(2) it tells shared objects apart by markers and
// probes instead (identity.go). On this machine nothing changes: HostSpace
// is abi's layout, and kcmp is used.
//
// # Cleanup
//
// Close kills task 1, which kills every agent in the namespace
// (zap_pid_ns_processes). If the driver dies without Close, task 1 gets
// SIGKILL through PR_SET_PDEATHSIG. Both are tested.
//
// Where to start reading: kernel.go (the world), step.go (one step),
// settle.go (rest between steps), patience.go (waits and priority), view.go
// and pages.go (observation), preflight.go (refusals), agent/agent.c (the
// agent).
package linux
