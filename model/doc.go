// Package model is forkspec's reference semantics of Linux process creation:
// fork, vfork, clone, clone3, execve, exit, exit_group and wait4, with the
// memory, file descriptor and signal state they copy, share and reset. It
// implements abi.Kernel and abi.Checker; New builds a world holding only
// task 1 (WORLD-1), Step performs one syscall by one task, View reports the
// canonical observable state, CheckInvariants re-verifies the structure
// from scratch and Clone deep-copies the whole world.
//
// The model is deliberately simple: plain maps and slices, eager copies,
// sharing by pointer identity (a CLONE_VM child holds the same *mm, a
// CLONE_FILES child the same *fdTable), no caches and no reference counts —
// an object lives while some task points to it. Blocking is state: a vfork
// parent is VforkFrozen until released; a wait that would block is refused.
// A step that would need something unmodelled is refused, and Step restores
// the world from a Clone taken before the step, so refusals never change
// anything. Everything iterates in tid or address order: no map order leaks.
//
// Physical sharing is modelled by abstract frame tokens (COW-1 … COW-7): a
// page that holds data carries a token from a counter; fork gives the child
// the parent's tokens; a store to a private page whose token another page
// also holds gets a fresh token, a store to an exclusive token keeps it;
// MAP_SHARED pages live in a shared object and get one token at first touch;
// private pages never stored to hold none.
//
// # What it leaves out
//
// File-backed mappings, page contents beyond one word per page, blocking
// waits, process groups and sessions, stop/continue (a stop signal's
// default action is refused), queued real-time signals (a pending set holds
// one instance of each signal, rt included, and kill of an rt signal is
// refused), ptrace, namespaces beyond the one init, rlimits other than the
// task limit and FdLimit, credentials, and CLONE_* flags outside
// abi.CloneModelled (refused).
//
// # Where to start reading
//
// kernel.go (Kernel, New, Step and the refusals), task.go (task and
// thread-group state), then one file per concept: clone.go, exec.go,
// exit.go, wait.go, signal.go (dispositions, sigprocmask, kill),
// delivery.go (which thread takes a signal, and when), mm.go (mappings),
// memory.go (mmap, munmap, mprotect, madvise, load, store and frame
// tokens), fd.go, prctl.go, view.go, observe.go (what a step touched,
// abi.Observer), invariants.go, clone_world.go (deep copy).
//
// # Clauses and where they live
//
//	WORLD-1  New; Kernel.allocTid; abi.Refusal via Kernel.Step (init never exits, never faults, stays single-threaded); sendSignal (SIGNAL_UNKILLABLE); sysClone (CLONE_PARENT from init); childReaper
//	WORLD-2  Kernel.imageMm; sysExecve (ENOENT)
//	WORLD-3  Kernel.Step (no-task, zombie, task-frozen; abi.Refusal through refusalWorld; snapshot restore)
//	FORK-1   sysClone (new group, copy of the calling thread only)
//	FORK-2   Kernel.dupMm
//	FORK-3   sysClone (blocked copied, pending empty, copySighand)
//	FORK-4   Kernel.copyFdTable
//	FORK-5   dispatch (fork = clone SIGCHLD); sysClone (subreaper not inherited)
//	FORK-6   Kernel.dupMm (DONTFORK skipped, WIPEONFORK empty, marks kept)
//	FORK-7   sysClone (task limit → EAGAIN)
//	VFORK-1  dispatch (vfork = CLONE_VM|CLONE_VFORK|SIGCHLD)
//	VFORK-2  sysClone (freeze); releaseVforkParent from finishExit and sysExecve
//	VFORK-3  sysClone (shared *mm); sysStore (no COW within one mm)
//	VFORK-4  sysClone (fd table, sighand, fs copied)
//	VFORK-5  completeSignal (a frozen thread is told but not woken; a fatal non-core signal some thread wants kills at once); releaseVforkParent (queued to run); finishExit (child lets go)
//	VFORK-6  sysClone (only the caller's state changes); wantsSignal (a frozen thread told of a signal wants no other); getSignal (a sibling takes every pending signal)
//	VFORK-7  sysClone (CLONE_VFORK without CLONE_VM: dupMm and freeze)
//	CLONE-1  sysClone (CLONE_VM)
//	CLONE-2  sysClone (CLONE_FILES)
//	CLONE-3  sysClone (CLONE_FS); sysUmask
//	CLONE-4  sysClone (CLONE_SIGHAND, CLONE_CLEAR_SIGHAND → sighand.flushHandlers)
//	CLONE-5  sysClone (CLONE_PARENT: parent and exit signal)
//	CLONE-6  sysLegacyClone, sysClone3 (exit signal); eligibleChild; notifyParent
//	CLONE-7  sysClone3 (clone3_args_valid, 6.18: no bits above CLONE_INTO_CGROUP); sysClone (kernel_clone and copy_process checks: CLONE_PIDFD with CLONE_THREAD valid since 6.9); abi.CloneNoEffect; abi.Refusal (unmodelled flags, uncertain fork charge)
//	EXEC-1   sysExecve (imageMm; the old mm stays with CLONE_VM partners)
//	EXEC-2   sysExecve (ENOENT before any change)
//	EXEC-3   sysExecve (copySighand + flushHandlers; mask and pending kept)
//	EXEC-4   sysExecve (copyFdTable + closeOnExec)
//	EXEC-5   deThread
//	EXEC-6   sysExecve (exit signal SIGCHLD; releaseVforkParent; umask, parent, subreaper kept)
//	EXIT-1   sysExitGroup; endGroup (first group exit wins; threads exit in wake order)
//	EXIT-2   sysExit (synchronize_group_exit); finishExit (zombie leader, released threads)
//	EXIT-3   finishExit (objects dropped, vfork parent released); processDead; notifyParent
//	EXIT-4   killGroup; forceSegv; getSignal (a terminating default ends the group; frames set up before it never run)
//	WAIT-1   sysWait4 (pid or -1; reap removes the zombie)
//	WAIT-2   sysWait4 (WNOHANG → 0; ECHILD)
//	WAIT-3   sysWait4 (option check); eligibleChild (__WCLONE, __WALL)
//	WAIT-4   isWaiter (__WNOTHREAD); sysWait4 (threads never waitable: only leaders are children)
//	WAIT-5   notifyParent (auto-reap with SIG_IGN or SA_NOCLDWAIT)
//	REAP-1   reparentChildren; findNewReaper; childReaper; sysPrctl
//	REAP-2   reparentChildren (exit signal → SIGCHLD; zombie notified at once)
//	MEM-1    Kernel.dupMm (tokens shared); sysStore (copy on store)
//	MEM-2    Kernel.dupMm (shmObj pointer kept); sysStore/sysLoad (touchShared)
//	MEM-3    sysMmap (MAP_FIXED replaces, fresh reads zero; range before alignment; EPERM below vm.mmap_min_addr; map type after placement; commit charge, a failed shared one leaves a gap); placement (hint, THP alignment, top-down below the arena); vma.accounted, vma.execOnly; sysLoad (execute-only with PKU)/sysStore → forceSegv
//	MEM-4    sysMunmap; sysMprotect (GROWS bits; commit charge per run, sameUnaccountedRun; ENOMEM after changing pages before the hole); mm.splitAt
//	MEM-5    sysMadvise
//	MEM-6    sysClone (CLONE_VM shares the *mm as is: marks only matter in dupMm)
//	COW-1    Kernel.dupMm
//	COW-2    sysStore; tokenShared
//	COW-3    sysStore; tokenShared (only live mms count)
//	COW-4    touchShared (one token per shared object page)
//	COW-5    sysStore (a store writes only the writer's page map)
//	COW-6    liveMms (frames of released mms are gone); TestCOW6_FramesConserved
//	COW-7    sysLoad (no token for private loads); touchShared; sysStore
//	FD-1     sysOpen; fdTable.lowestFree
//	FD-2     sysDup; sysFcntl
//	FD-3     openFile (shared *openFile); sysWrite (zero-length does nothing; EFAULT; MAX_RW_COUNT; Kernel.sparse); sysLseek (SEEK_DATA/SEEK_HOLE)
//	FD-4     sysClose; fdTable.lookup (EBADF)
//	SIG-1    sysSigaction
//	SIG-2    sysKill; sendSignal; completeSignal (wants_signal, curr_target); getSignal (next_signal order, per-thread counts); runQueue
//	SIG-3    sysSigprocmask (recalc_sigpending on a real change); sysClone (recalc, ERESTARTNOINTR); returnToUser
//	SIG-4    notifyParent
//	THR-1    sysClone (CLONE_THREAD joins the group; none for init's group); dispatch (getpid/gettid/getppid)
//	THR-2    finishExit (threads released at once, one notification at the end)
//	THR-3    sysClone (parent is the calling thread; isWaiter: any thread waits)
//	THR-4    sighand shared by the group; completeSignal (group exit at generation); getSignal; killGroup/endGroup; deThread (retargetShared via exitSignals)
//
// The machine facts (abi.Machine: PKU, the commit limit) come from
// New's Config; the rules that depend on an unknown fact, and every other
// request forkspec does not model, are refused in Step by abi.Refusal, the
// list the impl and the Linux oracle share.
//
// # Where the model follows Linux over docs/conventions.md
//
// Each of these was read in the kernel and, where marked, confirmed by
// random lockstep runs against the Linux oracle (linux/, 6.18):
//
//   - madvise: the vma walk gives the advice to every mapped part of the
//     range, before and after holes, then returns ENOMEM; MADV_WIPEONFORK
//     fails EINVAL when the walk reaches a shared vma, earlier vmas already
//     changed (madvise_walk_vmas, madvise_vma_behavior).
//   - kill: a missing pid is ESRCH before the signal is validated
//     (kill_pid_info_type).
//   - Signal generation checks the target thread's mask (sig_ignored); a
//     signal the target blocks is pending even in init (oracle).
//   - A zombie keeps its shared pending set until reaped, and a signal fatal
//     at generation (complete_signal's fast path) stays in it (oracle).
//   - Which thread takes a signal, and when, follows kernel/signal.c's own
//     state (delivery.go): each thread's TIF_SIGPENDING and the group's
//     curr_target. complete_signal tells one thread — the kill's target if
//     it wants it, else the next that does from curr_target — and a thread
//     already told (a frozen vfork parent, which is not woken) does not want
//     the next signal, which goes to a sibling that then takes every
//     pending signal it does not block; a signal nobody wants waits, even a
//     fatal one; only a thread told of its signals, or one running
//     recalc_sigpending (a real mask change, fork/clone), takes them, in
//     next_signal's order (synchronous signals first); a terminating
//     default taken after a caught signal kills before the handler runs; a
//     vfork parent released runs before the threads woken after it, and
//     init (SCHED_OTHER on the oracle) after every other woken task; an
//     exec hands the pending signals the killed threads do not block to the
//     exec'ing thread, which takes them with the dispositions reset
//     (oracle; specs SIG-2f … SIG-2i, SIG-3f, VFORK-5e, VFORK-5f,
//     VFORK-6c … VFORK-6e, THR-4b, THR-4c, SIG-4b).
//   - The caller's own kill of a core-dumping signal at a sibling returns
//     0: the sibling takes it after the caller is back (oracle, SIG-2j).
//   - Init stays single-threaded (a convention, docs/conventions.md "The
//     world": on the oracle its group is SCHED_OTHER, and a signal one of
//     its threads blocks could kill it through another): sysClone refuses
//     CLONE_THREAD there.
//   - wait4 -1 reaps in children-list order (reparented children last),
//     not the lowest pid; a dying group's threads exit initiator first,
//     then round the thread list from it after do_group_exit, from the
//     leader after complete_signal's group exit, each passing its children
//     to a sibling not yet exiting (oracle, THR-4d).
//   - A signal from another task's exit notification kills the caller's
//     group only after the caller's call returned: the step reports the
//     call's result (oracle).
//   - Syscall arguments that are C ints (pids, signals, wait options, fds,
//     whence, advice, prctl option, sigprocmask how) are read as Linux reads
//     them: their low 32 bits.
package model
