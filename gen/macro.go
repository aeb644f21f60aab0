package gen

import (
	"github.com/forkspec/forkspec/abi"
)

// A macro is a short scripted pattern emitted over several steps, so that
// sequences a uniform draw would almost never produce — fork then store in
// both, vfork then exec, a non-leader's exec, a parent dying with children —
// happen in most runs. Each scripted step is resolved against the View of
// the moment it is emitted; when its task is not running any more (the
// pattern was cut short by a failure), the macro is dropped and the
// generator draws an ordinary step instead.

// scriptStep emits one step of a macro, or reports ok=false to abort it.
type scriptStep func(g *Generator, src Source, w world) (tid int, sc abi.Syscall, ok bool)

// Roles a macro talks about.
const (
	rT = iota // the task that starts the pattern
	rC        // its child (or new thread)
	rG        // a grandchild
	rD        // a second thread
	rP        // the parent of rT's group
	nRoles
)

// do emits sc(…) by the task in role r, which must be running.
func do(r int, sc func(g *Generator, src Source, w world) abi.Syscall) scriptStep {
	return func(g *Generator, src Source, w world) (int, abi.Syscall, bool) {
		tid := g.roles[r]
		t, ok := w.task(tid)
		if tid == 0 || !ok || t.State != abi.Running {
			return 0, nil, false
		}
		return tid, sc(g, src, w), true
	}
}

// create emits sc by role r and names the task it creates role into.
func create(r, into int, sc abi.Syscall) scriptStep {
	inner := do(r, fixed(sc))
	return func(g *Generator, src Source, w world) (int, abi.Syscall, bool) {
		tid, s, ok := inner(g, src, w)
		if ok {
			g.roles[into] = 0
			g.await = into
		}
		return tid, s, ok
	}
}

// fixed is a syscall with no draws.
func fixed(sc abi.Syscall) func(*Generator, Source, world) abi.Syscall {
	return func(*Generator, Source, world) abi.Syscall { return sc }
}

// storeA stores a fresh value at the macro's page.
func storeA(g *Generator, _ Source, _ world) abi.Syscall {
	return abi.Store{Addr: g.addr, Value: g.nextValue()}
}

func loadA(g *Generator, _ Source, _ world) abi.Syscall { return abi.Load{Addr: g.addr} }

// madviseA marks the mapping around the macro's page.
func madviseA(advice int64) func(*Generator, Source, world) abi.Syscall {
	return func(g *Generator, _ Source, _ world) abi.Syscall {
		return abi.Madvise{Addr: g.addr, Len: abi.PageSize, Advice: advice}
	}
}

// waitAny reaps any child without blocking.
func waitAny(opts int64) func(*Generator, Source, world) abi.Syscall {
	return fixed(abi.Wait4{Pid: -1, Options: opts})
}

// execImage draws an image, sometimes a missing one (EXEC-2).
func execImage(g *Generator, src Source, _ world) abi.Syscall {
	return abi.Execve{Image: pickFrom(src, "image", imageTable)}
}

// lastFd uses the highest fd in the caller's table (the one just opened).
func lastFd(mk func(fd int) abi.Syscall, r int) func(*Generator, Source, world) abi.Syscall {
	return func(g *Generator, _ Source, w world) abi.Syscall {
		t, _ := w.task(g.roles[r])
		fd := 3
		if ft, ok := w.fdTable(t.FdTable); ok && len(ft.Fds) > 0 {
			fd = ft.Fds[len(ft.Fds)-1].Fd
		}
		return mk(fd)
	}
}

// writablePage returns a page of m mapped private and writable, preferring
// one that holds a frame (a store there may copy); ok=false when m has no
// writable private mapping.
func writablePage(src Source, m abi.MmView) (uint64, bool) {
	var framed []uint64
	for _, p := range m.Pages {
		if mp, ok := mappingAt(m, p.Addr); ok && !mp.Shared && mp.Prot&abi.PROT_WRITE != 0 {
			framed = append(framed, p.Addr)
		}
	}
	if len(framed) > 0 && !chance(src, 1, 4, "unframed?") {
		return framed[intn(src, len(framed), "framed-page")], true
	}
	var ms []abi.MappingView
	for _, mp := range m.Mappings {
		if !mp.Shared && mp.Prot&abi.PROT_WRITE != 0 {
			ms = append(ms, mp)
		}
	}
	if len(ms) == 0 {
		return 0, false
	}
	mp := ms[intn(src, len(ms), "writable-mapping")]
	return mp.Start + uint64(intn(src, int((mp.End-mp.Start)/abi.PageSize), "page"))*abi.PageSize, true
}

// macro is one scripted pattern; build returns its steps, or nil when it
// does not apply to actor t now.
type macro struct {
	name  string
	w     int
	build func(g *Generator, src Source, w world, t abi.TaskView) []scriptStep
}

// macros lists the patterns with their weights (libcmacro.go's last).
var macros = append([]macro{
	{"fork-store-both", 5, forkStoreBoth},
	{"vfork-then", 5, vforkThen},
	{"thread-exec", 3, threadExec},
	{"parent-exits", 4, parentExits},
	{"sigchld-ignored", 3, sigchldIgnored},
	{"dontfork-wipeonfork", 4, markedFork},
	{"leader-zombie", 2, leaderZombie},
	{"cow-reuse", 3, cowReuse},
	{"shared-tables", 3, sharedTables},
	{"reap", 4, reap},
	{"exec-resets-exit-signal", 2, execResetsExitSignal},
	{"frozen-group-signals", 5, frozenGroupSignals},
	{"signal-round", 2, signalRound},
	{"init-chain", 2, initChain},
	// Issue 16 item 2 (macros_threads.go, flags_onebit.go).
	{"large-group", 6, largeGroupMacro},
	{"edge-fork", 4, edgeFork},
	{"clone-parent-by-init", 1, cloneParentByInit},
}, libcMacros...)

// startMacro chooses a pattern for a running task and installs its steps.
func (g *Generator) startMacro(src Source, w world) bool {
	run := w.running()
	if len(run) == 0 || len(w.v.Tasks)+3 > g.limit {
		return false
	}
	t, _ := w.task(run[intn(src, len(run), "macro-tid")])
	ws := make([]int, len(macros))
	for i, m := range macros {
		ws[i] = m.w
	}
	mc := macros[weighted(src, "macro", ws...)]
	g.abort()
	g.roles[rT] = t.Tid
	if p, ok := w.task(t.Ppid); ok {
		g.roles[rP] = p.Tid
	}
	if m, ok := w.mm(t.Mm); ok {
		if a, ok := writablePage(src, m); ok {
			g.addr = a
		} else {
			g.addr = abi.ArenaStart + 0x200000
		}
	}
	g.script = mc.build(g, src, w, t)
	return len(g.script) > 0
}

// forkStoreBoth: a COW pair, then both write the same page and read it
// (MEM-1, COW-1, COW-2). The child comes from fork, clone or clone3, or a
// vfork without CLONE_VM (VFORK-7: the parent stays frozen until the child's
// store-then-exit).
func forkStoreBoth(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	var sc abi.Syscall = abi.Fork{}
	switch weighted(src, "fork-kind", 4, 2, 1, 1) {
	case 1:
		sc = abi.Clone{Flags: abi.CLONE_FILES | abi.SIGCHLD}
	case 2:
		sc = abi.Clone3{Flags: abi.CLONE_CLEAR_SIGHAND, ExitSignal: abi.SIGCHLD}
	case 3:
		return []scriptStep{do(rT, storeA), create(rT, rC, abi.Clone{Flags: abi.CLONE_VFORK | abi.SIGCHLD}),
			do(rC, storeA), do(rC, loadA), do(rC, fixed(abi.ExitGroup{})), do(rT, loadA), do(rT, storeA)}
	}
	return []scriptStep{do(rT, storeA), create(rT, rC, sc), do(rT, storeA), do(rC, storeA),
		do(rC, loadA), do(rT, loadA), do(rC, fixed(abi.ExitGroup{Code: 1})), do(rT, storeA), do(rT, waitAny(abi.WNOHANG))}
}

// vforkThen: vfork, the child writes the shared memory (VFORK-3), then
// execs, exits, or fails an exec first (VFORK-2), and the parent reads.
func vforkThen(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	steps := []scriptStep{create(rT, rC, abi.Vfork{}), do(rC, storeA)}
	switch weighted(src, "vfork-end", 3, 2, 2, 1, 1) {
	case 0:
		steps = append(steps, do(rC, execImage))
	case 1:
		steps = append(steps, do(rC, fixed(abi.ExitGroup{Code: 2})))
	case 2:
		steps = append(steps, do(rC, fixed(abi.Execve{Image: "nosuch"})), do(rT, loadA), do(rC, fixed(abi.Exit{Code: 3})))
	case 3:
		steps = append(steps, do(rC, fixed(abi.Kill{Pid: t.Tgid, Sig: abi.SIGUSR1})), do(rC, execImage))
	default:
		steps = append(steps, do(rC, fixed(abi.Kill{Pid: t.Tgid, Sig: abi.SIGKILL})), do(rC, fixed(abi.Exit{})))
	}
	return append(steps, do(rT, loadA), do(rT, waitAny(abi.WNOHANG)))
}

// threadExec: a second thread (which forks a child first, sometimes) execs
// from a non-leader (EXEC-5), then the group's children are reaped.
func threadExec(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	if t.Tgid == 1 {
		// Init's group: exec would replace init's image, which is fine, but
		// de_thread would also kill init's other threads; keep it simple
		// and run the pattern in a child.
		return []scriptStep{create(rT, rC, abi.Fork{}), create(rC, rD, abi.Clone{Flags: threadFlags}),
			do(rC, storeA), do(rD, execImage), do(rT, waitAny(abi.WNOHANG))}
	}
	steps := []scriptStep{create(rT, rC, abi.Clone{Flags: threadFlags})}
	if chance(src, 1, 2, "fork-first?") {
		steps = append(steps, create(rC, rG, abi.Fork{}), do(rG, fixed(abi.ExitGroup{})))
	}
	return append(steps, do(rT, storeA), do(rC, execImage), do(rC, waitAny(abi.WNOHANG|wALL)))
}

// parentExits: a child with its own child exits, orphaning the grandchild
// to a sibling thread, a subreaper or init (REAP-1, REAP-2).
func parentExits(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	switch weighted(src, "orphan-kind", 2, 2, 2) {
	case 1: // subreaper
		return []scriptStep{do(rT, fixed(abi.Prctl{Option: abi.PR_SET_CHILD_SUBREAPER, Arg: 1})),
			create(rT, rC, abi.Fork{}), create(rC, rG, abi.Fork{}), do(rC, fixed(abi.ExitGroup{Code: 5})),
			do(rG, fixed(abi.Getppid{})), do(rT, waitAny(abi.WNOHANG)), do(rG, fixed(abi.ExitGroup{})), do(rT, waitAny(abi.WNOHANG))}
	case 2: // sibling thread: the leader exits first so the move shows
		return []scriptStep{create(rT, rC, abi.Fork{}), create(rC, rD, abi.Clone{Flags: threadFlags}),
			create(rD, rG, abi.Fork{}), do(rD, fixed(abi.Exit{Code: 2})), do(rG, fixed(abi.Getppid{})),
			do(rC, fixed(abi.ExitGroup{Code: 1})), do(rG, fixed(abi.Getppid{})), do(rT, waitAny(abi.WNOHANG))}
	}
	return []scriptStep{create(rT, rC, abi.Fork{}), create(rC, rG, abi.Fork{}), do(rC, fixed(abi.ExitGroup{Code: 4})),
		do(rG, fixed(abi.Getppid{})), do(rT, waitAny(abi.WNOHANG)), do(rG, fixed(abi.ExitGroup{}))}
}

// sigchldIgnored: with SIGCHLD ignored (or SA_NOCLDWAIT) a child's exit
// leaves no zombie (WAIT-5); then the default is restored.
func sigchldIgnored(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	set := []abi.Sigaction{
		{Sig: abi.SIGCHLD, Handler: abi.SigIgnore},
		{Sig: abi.SIGCHLD, Handler: abi.SigHandle, Flags: abi.SA_NOCLDWAIT},
		{Sig: abi.SIGCHLD, Handler: abi.SigDefault, Flags: abi.SA_NOCLDWAIT},
	}[weighted(src, "ignore-kind", 3, 2, 1)]
	return []scriptStep{do(rT, fixed(set)), create(rT, rC, abi.Fork{}), do(rC, fixed(abi.ExitGroup{Code: 7})),
		do(rT, waitAny(abi.WNOHANG)), do(rT, fixed(abi.Sigaction{Sig: abi.SIGCHLD, Handler: abi.SigDefault}))}
}

// markedFork: MADV_DONTFORK or MADV_WIPEONFORK on a stored page, then fork
// and touch it in the child and a grandchild (FORK-6).
func markedFork(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	adv := []int64{abi.MADV_DONTFORK, abi.MADV_WIPEONFORK}[intn(src, 2, "mark")]
	steps := []scriptStep{do(rT, storeA), do(rT, madviseA(adv)), create(rT, rC, abi.Fork{}), do(rC, loadA)}
	if adv == abi.MADV_WIPEONFORK {
		steps = append(steps, create(rC, rG, abi.Fork{}), do(rG, loadA), do(rG, storeA), do(rG, fixed(abi.ExitGroup{})))
	}
	return append(steps, do(rC, storeA), do(rT, loadA), do(rT, madviseA(abi.MADV_DOFORK)), do(rT, madviseA(abi.MADV_KEEPONFORK)))
}

// leaderZombie: the leader of a two-thread group exits first and stays an
// unreported zombie until the other thread exits (EXIT-2).
func leaderZombie(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	return []scriptStep{create(rT, rC, abi.Fork{}), create(rC, rD, abi.Clone{Flags: threadFlags}),
		do(rC, fixed(abi.Exit{Code: 3})), do(rT, waitAny(abi.WNOHANG)), do(rD, fixed(abi.Getpid{})),
		do(rD, fixed(abi.Exit{Code: 4})), do(rT, waitAny(abi.WNOHANG))}
}

// cowReuse: after fork the child goes away, and the parent's next store
// to the once-shared page reuses its frame (COW-3).
func cowReuse(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	end := abi.Syscall(abi.ExitGroup{})
	if chance(src, 1, 2, "exec-instead?") {
		end = abi.Execve{Image: "true"}
	}
	return []scriptStep{do(rT, storeA), create(rT, rC, abi.Fork{}), do(rC, fixed(end)), do(rT, storeA),
		do(rT, loadA), do(rT, waitAny(abi.WNOHANG))}
}

// sharedTables: CLONE_FILES and CLONE_SIGHAND between processes, each side
// seeing the other's changes (CLONE-2, CLONE-4).
func sharedTables(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	if chance(src, 1, 3, "segv-shared?") {
		// A fault with SIGSEGV ignored resets it to SIG_DFL in the shared
		// table (force_sig_info_to_task), as the survivor sees.
		return []scriptStep{create(rT, rC, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.SIGCHLD}),
			do(rT, fixed(abi.Sigaction{Sig: abi.SIGSEGV, Handler: abi.SigIgnore})),
			do(rC, fixed(abi.Load{Addr: 0x10000})), do(rT, waitAny(abi.WNOHANG))}
	}
	if chance(src, 1, 2, "sighand?") {
		return []scriptStep{create(rT, rC, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.SIGCHLD}),
			do(rC, fixed(abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle})),
			do(rT, fixed(abi.Kill{Pid: t.Tgid, Sig: abi.SIGUSR1})), do(rC, fixed(abi.Sigaction{Sig: abi.SIGUSR2, Handler: abi.SigIgnore})),
			do(rC, execImage), do(rT, fixed(abi.Kill{Pid: t.Tgid, Sig: abi.SIGUSR2}))}
	}
	return []scriptStep{create(rT, rC, abi.Clone{Flags: abi.CLONE_FILES | abi.SIGCHLD}),
		do(rC, fixed(abi.Open{Path: "a", Flags: abi.O_CLOEXEC})),
		do(rT, lastFd(func(fd int) abi.Syscall { return abi.Write{Fd: fd, N: 5} }, rT)),
		do(rT, lastFd(func(fd int) abi.Syscall { return abi.Dup{Fd: fd} }, rT)),
		do(rC, execImage),
		do(rT, lastFd(func(fd int) abi.Syscall { return abi.Close{Fd: fd} }, rT))}
}

// reap: a zombie's parent (any running thread of its group) waits for it
// with __WALL, so the world does not fill with zombies.
func reap(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	for _, z := range w.v.Tasks {
		if z.State != abi.Zombie || z.Tid != z.Tgid {
			continue
		}
		for _, p := range w.v.Tasks {
			if p.Tgid == z.Ppid && p.State == abi.Running {
				g.roles[rT] = p.Tid
				return []scriptStep{do(rT, fixed(abi.Wait4{Pid: z.Tid, Options: abi.WNOHANG | wALL}))}
			}
		}
	}
	return nil
}

// execResetsExitSignal: a child with its own termination signal whose parent
// execs before it exits notifies with SIGCHLD instead (exit_notify's
// self_exec_id check), and a handler shows which signal arrived.
func execResetsExitSignal(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	steps := []scriptStep{create(rT, rC, abi.Clone{Flags: abi.SIGUSR1})}
	if chance(src, 1, 2, "exec-first?") {
		steps = append(steps, do(rT, fixed(abi.Execve{Image: "sh"})))
	}
	return append(steps, do(rT, fixed(abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle})),
		do(rT, fixed(abi.Sigaction{Sig: abi.SIGCHLD, Handler: abi.SigHandle})),
		do(rC, fixed(abi.ExitGroup{Code: 6})), do(rT, waitAny(abi.WNOHANG|wALL)))
}
