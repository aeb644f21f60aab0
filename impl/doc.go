// Package impl is forkspec's optimized kernel core: the same semantics as
// the reference model (shared/semantics.md, docs/conventions.md), built the
// way Linux builds them, so that the property suites can check that the
// clever structures agree with the obvious ones.
//
// # What it is
//
//   - Physical memory: a pool of frames (frames.go) with per-frame refcount,
//     mapcount and the page's 64-bit word; metadata is allocated in chunks on
//     first use, so a 16 GiB pool costs nothing until touched. Page-table
//     pages are frames too. Frame 0 is the shared zero frame.
//   - Page tables (pagetable.go, pte.go): four levels of 512 packed uint64
//     entries (x86-64: 4 KiB pages, 48-bit addresses); tables left empty are
//     freed; leaf tables may be shared between address spaces (ondemand.go).
//   - Mappings (vma.go, mm.go): a sorted slice of vmas per address space that
//     splits and merges on mmap, munmap, mprotect and madvise; MAP_SHARED
//     ranges point to a refcounted shared object with one frame per page.
//   - Faults (fault.go): zero-frame mapping on a load, fresh frame on the
//     first store, copy-on-write copy or in-place reuse (COW-2, COW-3).
//   - Processes (task.go, fork.go, exec.go, exit.go, wait.go, signal.go,
//     fd.go): mm, fd tables, disposition tables and fs structs are refcounted
//     objects shared by the CLONE_* flags; vfork is a link that the child's
//     exec or exit releases. Blocking is state, never a goroutine.
//   - Observation (view.go, observe.go, invariants.go): View builds
//     abi.View from the real structures (the sharing partition from real
//     frame numbers); Touched and ViewOf say what a step touched and show
//     just that (abi.Observer); CheckInvariants recomputes every count from
//     scratch.
//
// # What it deliberately leaves out
//
// Everything abi leaves out (file-backed mappings, blocking waits, process
// groups, stop/continue). Per-thread pending signals: only the process's
// shared pending set is modelled (a group exit's SIGKILL is the group's
// fatal field). Init's group has one thread (conventions "The world"). Page contents beyond one word per page.
// Transparent huge pages.
//
// # On-demand fork
//
// By default fork shares each last-level page table (2 MiB) with the child
// instead of copying its entries, refcounted and write-protected through
// the entry above; the first change in that range by either side copies the
// table or, for its last holder, takes it over (ondemand.go, issue 8).
// WithOnDemandFork(false) restores eager copying (copyLeaf in fork.go).
//
// Resource exhaustion, where Linux has choices, is decided so: fork, clone
// and execve that cannot get frames fail ENOMEM with nothing changed; a fault
// that cannot get a frame kills the faulting group with SIGKILL (Linux's OOM
// killer may choose another victim); in task 1's group such a fault is
// refused unsupported, since init never dies.
//
// # Where impl follows the kernel rather than docs/conventions.md
//
// Found by lockstep runs against the model, which the Linux oracle had
// corrected the same way (see also model/doc.go):
//
//   - madvise applies the advice to every mapped part of the range
//     (madvise_walk_vmas) and WIPEONFORK fails EINVAL at the first MAP_SHARED
//     vma, the vmas before it already changed;
//
//   - kill finds the target before validating the signal (ESRCH first); a
//     dying group takes nothing; syscall int arguments are 32-bit;
//
//   - mmap without MAP_ANONYMOUS is EBADF before any other check; mprotect
//     of length 0 succeeds before prot is validated;
//
//   - sig_ignored checks the target thread's mask, not "every thread", and
//     before init's SIGNAL_UNKILLABLE drop;
//
//   - wait4 -1 reaps the first waitable child in the children-list order
//     (reparented children last), not the lowest pid;
//
//   - signal targeting keeps the kernel's state (signal.go): each thread's
//     TIF_SIGPENDING and the group's curr_target; complete_signal tells a
//     thread that wants the signal (not told already, unless on the CPU), a
//     frozen one without waking it; only a thread told takes signals, every
//     one it does not block at once, synchronous ones first, and a fatal one
//     after a caught one kills before the handler runs; the caller runs
//     first, then the woken tasks in wake order (the oracle's SCHED_FIFO);
//     a group exit runs the initiating thread first; an exec's killed
//     threads hand their pending signals on (retarget_shared_pending);
//
//   - a custom termination signal becomes SIGCHLD when the parent exec'd
//     since the child was created (parent_exec_id);
//
//   - a zombie keeps its shared pending set until reaped.
//
//   - sigaction that ignores a signal flushes it from the caller's process
//     only (do_sigaction: p = current), even when CLONE_SIGHAND shares the
//     table with another process; PROT_SEM is accepted and dropped.
//
// Known gap: a stop signal that becomes deliverable at SIG_DFL (pending
// under a handler, or a clone child's exit signal) is dropped; the model
// refuses the whole step as unsupported and restores its state.
//
// # Where to start reading
//
// kernel.go (Step and the dispatch table), then fault.go and fork.go for
// copy-on-write, exit.go for the process life cycle, invariants.go for what
// must always hold.
package impl
