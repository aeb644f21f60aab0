package gen

import "github.com/forkspec/forkspec/abi"

// Macros for large thread groups (issue 16 item 2): three to eight threads
// with mixed signal masks, a vfork by one of them, signals aimed at a thread
// that blocks them, and the group ending together — by exit_group, by a
// fatal signal or by a bad access. Their steps name threads by position in
// the group (member), because a macro has only a handful of roles.

// member returns the k-th thread (in tid order, modulo the group's size) of
// the group of the task in role r that has not exited.
func member(g *Generator, w world, r, k int) (abi.TaskView, bool) {
	lead, ok := w.task(g.roles[r])
	if !ok {
		return abi.TaskView{}, false
	}
	var ts []abi.TaskView
	for _, tid := range w.threads(lead.Tgid) {
		if t, _ := w.task(tid); t.State != abi.Zombie {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return abi.TaskView{}, false
	}
	return ts[k%len(ts)], true
}

// doMember emits sc by the k-th thread of role r's group, or by the next
// running one when it is frozen; the macro ends when none runs.
func doMember(r, k int, sc func(g *Generator, src Source, w world) abi.Syscall) scriptStep {
	return func(g *Generator, src Source, w world) (int, abi.Syscall, bool) {
		for i := range 8 {
			if t, ok := member(g, w, r, k+i); ok && t.State == abi.Running {
				return t.Tid, sc(g, src, w), true
			}
		}
		return 0, nil, false
	}
}

// createMember is doMember whose step creates the task named role into.
func createMember(r, k, into int, sc abi.Syscall) scriptStep {
	inner := doMember(r, k, fixed(sc))
	return func(g *Generator, src Source, w world) (int, abi.Syscall, bool) {
		tid, s, ok := inner(g, src, w)
		if ok {
			g.roles[into] = 0
			g.await = into
		}
		return tid, s, ok
	}
}

// killMember sends sig to the k-th thread of role r's group, by its tid:
// process-directed, with that thread tried first (complete_signal).
func killMember(r, k, sig int) func(*Generator, Source, world) abi.Syscall {
	return func(g *Generator, _ Source, w world) abi.Syscall {
		pid := g.roles[r]
		if t, ok := member(g, w, r, k); ok {
			pid = t.Tid
		}
		return abi.Kill{Pid: pid, Sig: sig}
	}
}

// badAccess is an address no image or generated mapping holds: a load
// there is SIGSEGV (MEM-3).
const badAccess = 0x10000

// largeGroupMacro: a child process grows to three to eight threads, as many
// as the task limit leaves room for (a vfork child included). Handlers for
// SIGUSR1 (and SIGUSR2), one thread blocking SIGUSR1 and the others mixed
// masks; sometimes a thread freezes in vfork; kills name the blocking
// thread (a sibling takes them: SIG-2, SIG-3, VFORK-6) from outside, from a
// sibling or from the vfork child; then the group ends at once: exit_group
// by any thread, a fatal signal, or a bad access (EXIT-1, THR-2, MEM-3).
// Init stays single-threaded (abi.Refusal), so the group is always a child.
func largeGroupMacro(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	room := min(8, g.limit-len(w.v.Tasks)-2)
	if room < largeGroup {
		return nil
	}
	n := largeGroup + intn(src, room-largeGroup+1, "group-size")
	steps := []scriptStep{create(rT, rC, abi.Fork{}),
		do(rC, fixed(abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle}))}
	if chance(src, 1, 2, "usr2-handler?") {
		steps = append(steps, do(rC, fixed(abi.Sigaction{Sig: abi.SIGUSR2, Handler: abi.SigHandle})))
	}
	for i := 1; i < n; i++ {
		// Any existing thread may create the next: CLONE_THREAD joins the
		// caller's group whoever calls.
		steps = append(steps, doMember(rC, intn(src, i, "creator"), fixed(abi.Clone{Flags: threadFlags})))
	}
	masked := []abi.SigSet{
		abi.SigBit(abi.SIGUSR2), abi.SigBit(abi.SIGTERM), abi.SigBit(abi.SIGUSR1) | abi.SigBit(abi.SIGCHLD),
		abi.SigBit(abi.SIGUSR2) | abi.SigBit(abi.SIGTERM), abi.SigBit(abi.SIGSEGV),
	}
	blk := intn(src, n, "blocking-thread")
	for i := range n {
		set := abi.SigSet(0)
		if i == blk {
			set = abi.SigBit(abi.SIGUSR1)
		}
		if chance(src, 1, 2, "mask?") {
			set |= masked[intn(src, len(masked), "masked")]
		}
		if set != 0 {
			steps = append(steps, doMember(rC, i, fixed(abi.Sigprocmask{How: abi.SIG_BLOCK, Set: set})))
		}
	}
	vf := -1
	if chance(src, 2, 3, "vfork?") {
		vf = intn(src, n, "vfork-thread")
		steps = append(steps, createMember(rC, vf, rD, abi.Vfork{}))
	}
	for j := 1 + intn(src, 3, "kills"); j > 0; j-- {
		sig := []int{abi.SIGUSR1, abi.SIGUSR2, abi.SIGCHLD}[weighted(src, "blocked-sig", 4, 1, 1)]
		kill := killMember(rC, blk, sig)
		switch weighted(src, "kill-from", 3, 2, 2) {
		case 0:
			steps = append(steps, do(rT, kill))
		case 1:
			steps = append(steps, doMember(rC, blk+1+intn(src, n-1, "sender"), kill))
		default:
			if vf >= 0 {
				steps = append(steps, do(rD, kill))
			} else {
				steps = append(steps, do(rT, kill))
			}
		}
	}
	if vf >= 0 && chance(src, 1, 2, "release-first?") {
		end := []abi.Syscall{abi.ExitGroup{Code: 1}, abi.Execve{Image: "true"}}[intn(src, 2, "release")]
		steps = append(steps, do(rD, fixed(end)))
	}
	k := intn(src, n, "ender")
	switch weighted(src, "group-end", 3, 3, 5, 1) {
	case 0:
		steps = append(steps, doMember(rC, k, fixed(abi.ExitGroup{Code: 3})))
	case 1:
		// The group inherited its dispositions from rT: set the signal's
		// default (fatal) first. SIGKILL needs none.
		sig := []int{abi.SIGTERM, abi.SIGKILL, abi.SIGQUIT}[weighted(src, "fatal-sig", 3, 2, 1)]
		if sig != abi.SIGKILL {
			steps = append(steps, doMember(rC, k+1, fixed(abi.Sigaction{Sig: sig, Handler: abi.SigDefault})))
		}
		steps = append(steps, do(rT, killMember(rC, k, sig)))
	case 2:
		steps = append(steps, doMember(rC, k+1, fixed(abi.Sigaction{Sig: abi.SIGSEGV, Handler: abi.SigDefault})),
			doMember(rC, k, fixed(abi.Load{Addr: badAccess})))
	}
	if vf >= 0 {
		steps = append(steps, do(rD, fixed(abi.ExitGroup{})))
	}
	return append(steps, do(rT, waitAny(abi.WNOHANG|wALL)), do(rT, waitAny(abi.WNOHANG|wALL)))
}

// Leaf-table edges: a boundary of a leaf table (2 MiB), a page directory
// (1 GiB) or a PML4 entry (512 GiB) in the arena, where a mapping's last
// page is slot 511 of one table and its next page slot 0 of another.
var tableEdges = []uint64{
	abi.ArenaStart + 3*leafSpan,
	abi.ArenaStart + gibSpan,
	abi.ArenaStart + pml4Span,
	abi.ArenaStart + 2*pml4Span + gibSpan,
}

// edgeFork: a private mapping across a table edge, stores at slots 510,
// 511, 0 and 1 around it, then fork (or a clone without CLONE_VM) and
// stores and loads on both sides of the edge by both processes, so that a
// copy-on-write or on-demand table share that mishandles the first or last
// slot shows (FORK-2, COW-1, COW-2, COW-3).
func edgeFork(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	e := tableEdges[weighted(src, "edge", 3, 2, 2, 1)]
	pages := []uint64{e - abi.PageSize, e, e - 2*abi.PageSize, e + abi.PageSize}
	at := func(a uint64, load bool) func(*Generator, Source, world) abi.Syscall {
		return func(g *Generator, _ Source, _ world) abi.Syscall {
			if load {
				return abi.Load{Addr: a}
			}
			return abi.Store{Addr: a, Value: g.nextValue()}
		}
	}
	steps := []scriptStep{do(rT, fixed(abi.Mmap{Addr: e - 2*abi.PageSize, Len: 4 * abi.PageSize,
		Prot: abi.PROT_READ | abi.PROT_WRITE, Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED}))}
	for _, p := range pages[:2+intn(src, 3, "stored-before")] {
		steps = append(steps, do(rT, at(p, false)))
	}
	var sc abi.Syscall = abi.Fork{}
	if chance(src, 1, 3, "clone-instead?") {
		sc = abi.Clone{Flags: abi.CLONE_FILES | abi.SIGCHLD}
	}
	steps = append(steps, create(rT, rC, sc))
	for n := 3 + intn(src, 4, "accesses"); n > 0; n-- {
		who := []int{rC, rT}[intn(src, 2, "edge-side")]
		steps = append(steps, do(who, at(pages[weighted(src, "edge-page", 4, 4, 1, 1)], chance(src, 1, 3, "edge-load?"))))
	}
	return append(steps, do(rC, fixed(abi.ExitGroup{})), do(rT, at(pages[intn(src, 2, "after-exit")], false)),
		do(rT, waitAny(abi.WNOHANG)))
}
