package model

import "github.com/forkspec/forkspec/abi"

// sighand is a disposition table (sighand_struct); CLONE_SIGHAND shares the
// pointer (CLONE-4) and every thread of a group uses the same one.
type sighand struct {
	id int
	// actions is indexed by signal number 1..NSIG; index 0 is unused.
	// Invariant: SIGKILL and SIGSTOP are always default with no flags.
	actions [abi.NSIG + 1]action
}

// action is one signal's disposition and sa_flags.
type action struct {
	handler abi.Disposition
	flags   uint64
}

// defaultAction is what SIG_DFL does (signal(7)).
type defaultAction int

const (
	actTerminate defaultAction = iota
	actIgnore
	actStop
)

func defaultOf(sig int) defaultAction {
	switch sig {
	case abi.SIGCHLD, abi.SIGURG, abi.SIGWINCH, abi.SIGCONT:
		return actIgnore
	case abi.SIGSTOP, abi.SIGTSTP, abi.SIGTTIN, abi.SIGTTOU:
		return actStop
	}
	return actTerminate
}

// coreDumps reports whether sig's default action dumps core (signal(7));
// such signals do not kill a frozen vfork parent at once (complete_signal
// excludes sig_kernel_coredump from its immediate group kill).
func coreDumps(sig int) bool {
	switch sig {
	case abi.SIGQUIT, abi.SIGILL, abi.SIGTRAP, abi.SIGABRT, abi.SIGBUS, abi.SIGFPE,
		abi.SIGSEGV, abi.SIGXCPU, abi.SIGXFSZ, abi.SIGSYS:
		return true
	}
	return false
}

// ignores reports whether a disposition discards sig: SIG_IGN, or SIG_DFL
// whose default is to ignore (sig_handler_ignored).
func ignores(a action, sig int) bool {
	return a.handler == abi.SigIgnore || (a.handler == abi.SigDefault && defaultOf(sig) == actIgnore)
}

func validSig(sig int64) bool { return sig >= 1 && sig <= abi.NSIG }

// copySighand returns a private copy of h (CLONE-4 without CLONE_SIGHAND).
func (k *Kernel) copySighand(h *sighand) *sighand {
	c := *h
	c.id = k.newID()
	return &c
}

// flushHandlers resets caught signals to default and clears every sa_flags,
// keeping ignored ones (flush_signal_handlers(t, 0): EXEC-3, and
// CLONE_CLEAR_SIGHAND in CLONE-4).
func (h *sighand) flushHandlers() {
	for sig := 1; sig <= abi.NSIG; sig++ {
		a := &h.actions[sig]
		if a.handler != abi.SigIgnore {
			a.handler = abi.SigDefault
		}
		a.flags = 0
	}
}

// sysSigaction is sigaction(2) (SIG-1): the disposition is per group (the
// shared table). An invalid signal, SIGKILL or SIGSTOP → EINVAL; a
// disposition that ignores the signal flushes it from the pending sets
// (do_sigaction).
func (k *Kernel) sysSigaction(t *task, s abi.Sigaction) abi.Result {
	sig := i32(int64(s.Sig))
	if !validSig(sig) || sig == abi.SIGKILL || sig == abi.SIGSTOP {
		return abi.Fail(abi.EINVAL)
	}
	// Unmodelled flags and handlers were refused before the step (abi.Refusal).
	a := action{handler: s.Handler, flags: s.Flags}
	t.sighand.actions[sig] = a
	if ignores(a, int(sig)) {
		// do_sigaction flushes the signal from the caller's own group only
		// (its shared pending set and each of its threads), even when
		// CLONE_SIGHAND shares the table with another process.
		t.group.pending &^= abi.SigBit(int(sig))
		t.group.asyncSigs &^= abi.SigBit(int(sig))
	}
	return abi.Ok(0)
}

// sysSigprocmask is sigprocmask(2) on the calling thread (SIG-3). SIGKILL and
// SIGSTOP are silently dropped from the mask; an unblocked pending signal is
// delivered within the step (by deliverAll).
func (k *Kernel) sysSigprocmask(t *task, s abi.Sigprocmask) abi.Result {
	set := s.Set &^ (abi.SigBit(abi.SIGKILL) | abi.SigBit(abi.SIGSTOP))
	old := t.blocked
	switch i32(s.How) {
	case abi.SIG_BLOCK:
		t.blocked |= set
	case abi.SIG_UNBLOCK:
		t.blocked &^= set
	case abi.SIG_SETMASK:
		t.blocked = set
	default:
		// sigprocmask rejects how before set_current_blocked: no
		// recalc_sigpending, so a signal waiting for a frozen sibling
		// stays where it is.
		return abi.Fail(abi.EINVAL)
	}
	// SIG-3: __set_current_blocked returns early when the mask does not
	// change; only a real change runs recalc_sigpending (docs spec SIG-3e).
	k.recalc = t.blocked != old
	return abi.Ok(0)
}

// sysKill is kill(2) to a process (SIG-2). Linux looks the pid up before it
// validates the signal (kill_pid_info_type returns ESRCH first, then
// check_kill_permission's valid_signal): a missing pid is ESRCH even with a
// bad signal. docs/conventions.md lists EINVAL first; the model follows the
// kernel.
func (k *Kernel) sysKill(t *task, s abi.Kill) abi.Result {
	pid := i32(int64(s.Pid))
	sig := i32(int64(s.Sig))
	if pid == -1<<31 {
		return abi.Fail(abi.ESRCH) // kill_something_info: -INT_MIN is undefined
	}
	// pid <= 0 (process groups, kill -1) was refused before the step (abi.Refusal).
	target, ok := k.tasks[int(pid)]
	if !ok {
		return abi.Fail(abi.ESRCH)
	}
	if sig < 0 || sig > abi.NSIG {
		return abi.Fail(abi.EINVAL)
	}
	if sig == 0 {
		return abi.Ok(0)
	}
	g := target.group
	if g.groupExit || g.dead || g.fatal != 0 {
		return abi.Ok(0) // prepare_signal: a dying or dead group takes nothing
	}
	// Queued real-time signals and (SIG-2) the stop signals were refused
	// before the step (abi.Refusal): stop/continue is not modelled, and even
	// under a handler a stop signal could stay pending and meet SIG_DFL.
	k.sendSignal(target, int(sig), false)
	return abi.Ok(0)
}

// sendSignal generates sig for target's process (send_signal_locked with
// PIDTYPE_TGID). prepare_signal/sig_ignored: a dying group takes nothing; a
// signal the target thread blocks always joins the pending set; otherwise
// init's group drops every signal it has at SIG_DFL, SIGKILL included
// (SIGNAL_UNKILLABLE, WORLD-1), and an ignored signal is discarded.
//
// complete_signal: when the signal is fatal to the group (SIGKILL, or a
// default action that terminates without a core dump) and some live thread
// does not block it — a frozen vfork parent included (VFORK-5) — the group
// is doomed at once: deliverAll kills it with the signal still pending.
// Other signals wait for deliverAll to hand them to a Running thread.
//
// docs/conventions.md says "unless blocked by every thread"; Linux checks
// the target thread's mask (sig_ignored(t)). The end state agrees except
// when the only threads not blocking it are frozen.
//
// async marks a signal that another task's exit generates (its exit
// notification): on Linux it arrives after the step's caller has returned
// from its syscall, so if it kills the caller's group the caller still sees
// its call's result (callerFate).
func (k *Kernel) sendSignal(target *task, sig int, async bool) {
	g := target.group
	h := g.sighand()
	if g.groupExit || g.dead || g.fatal != 0 || h == nil {
		return // prepare_signal: SIGNAL_GROUP_EXIT takes nothing more
	}
	a := h.actions[sig]
	// sig_ignored: a signal the target blocks is never ignored, not even by
	// init (the handler may change before it is unblocked; get_signal
	// drops it then if init still has it at SIG_DFL).
	if !target.blocked.Has(sig) {
		if g.isInit() && a.handler == abi.SigDefault {
			return // sig_task_ignored: SIGNAL_UNKILLABLE
		}
		if ignores(a, sig) {
			return
		}
	}
	if !g.pending.Has(sig) {
		// complete_signal wakes one thread for it: the target if it wants
		// the signal, else the first that does (wants_signal: not blocking
		// it, not exiting — a frozen vfork parent wants it too, but sleeps
		// until released). legacy_queue: a signal already pending wakes
		// nobody new.
		if g.prefer == nil {
			g.prefer = map[int]int{}
		}
		delete(g.prefer, sig)
		wants := func(t *task) bool { return t.group == g && !t.exiting && !t.blocked.Has(sig) }
		if wants(target) {
			g.prefer[sig] = target.tid
		} else {
			for _, t := range g.threads {
				if wants(t) {
					g.prefer[sig] = t.tid
					break
				}
			}
		}
	}
	if !g.pending.Has(sig) {
		if async {
			g.asyncSigs |= abi.SigBit(sig)
		} else {
			g.asyncSigs &^= abi.SigBit(sig)
		}
	}
	g.pending |= abi.SigBit(sig)
	fatal := sig == abi.SIGKILL || (a.handler == abi.SigDefault && defaultOf(sig) == actTerminate && !coreDumps(sig))
	if fatal && g.fatal == 0 && !g.isInit() {
		for _, t := range g.threads {
			if !t.exiting && !t.blocked.Has(sig) {
				g.fatal = sig
				break
			}
		}
	}
}

// deliverAll acts on pending signals until nothing changes
// (docs/conventions.md "Signals"). For each process in tgid order: a group
// doomed by a fatal signal at generation dies of it (the signal stays
// pending); otherwise each pending signal, lowest first, is taken (removed
// from the pending set) by the first Running thread in tid order that does
// not block it. A handler counts one run; an ignored signal is dropped; a
// terminating default kills the group (get_signal → do_group_exit); a stop
// default is not modelled (the step becomes unsupported). A signal that no
// Running thread can take stays pending: a frozen vfork parent acts on it
// when released (VFORK-5).
func (k *Kernel) deliverAll() {
	for changed := true; changed && !k.unsupported; {
		changed = false
		for _, g := range k.groups() {
			if k.deliverGroup(g) {
				changed = true
			}
		}
	}
}

// deliverGroup acts on g's pending signals; it reports whether anything
// happened.
func (k *Kernel) deliverGroup(g *group) bool {
	if g.dead || g.groupExit {
		return false
	}
	if sig := g.fatal; sig != 0 {
		g.fatal = 0
		g.killAsync = g.asyncSigs.Has(sig)
		k.killGroup(g, sig, nil)
		return true
	}
	changed := false
	for sig := 1; sig <= abi.NSIG; sig++ {
		if g.dead || g.groupExit || !g.pending.Has(sig) {
			continue
		}
		h := g.sighand()
		if h == nil {
			return changed
		}
		a := h.actions[sig]
		taker := k.taker(g, sig)
		if taker == nil {
			continue
		}
		g.pending &^= abi.SigBit(sig)
		delete(g.prefer, sig)
		async := g.asyncSigs.Has(sig)
		g.asyncSigs &^= abi.SigBit(sig)
		changed = true
		switch {
		case a.handler == abi.SigHandle:
			g.handled[sig]++
		case ignores(a, sig):
		case defaultOf(sig) == actStop:
			k.unsupported = true
			return true
		case g.isInit():
			// get_signal: SIGNAL_UNKILLABLE drops default actions in init.
		default:
			// The caller taking it (on unblocking, or before a fork) dies
			// in its own call.
			g.killAsync = async && taker != k.caller
			k.killGroup(g, sig, taker)
			return true
		}
	}
	return changed
}

// taker picks the thread that takes pending signal sig of g now, or nil.
// The thread complete_signal woke for it takes it if it still wants it; if
// that thread is a frozen vfork parent, the signal waits for its release —
// unless the step's caller runs recalc_sigpending on itself (fork, clone,
// sigprocmask) and so notices it (Linux 6.18). Otherwise — nobody was woken, or
// the woken thread has since blocked it or exited (retarget_shared_pending)
// — the step's caller takes it (a thread that unblocks a pending signal
// takes it on its way back to user space), else the first Running thread in
// tid order (docs/conventions.md).
func (k *Kernel) taker(g *group, sig int) *task {
	can := func(t *task) bool {
		return t != nil && t.group == g && !t.exiting && !t.blocked.Has(sig)
	}
	if tid, ok := g.prefer[sig]; ok && can(k.tasks[tid]) {
		if t := k.tasks[tid]; t.state == abi.Running {
			return t
		}
		if !k.recalc || !can(k.caller) || k.caller.state != abi.Running {
			return nil
		}
	}
	if can(k.caller) && k.caller.state == abi.Running {
		return k.caller
	}
	for _, t := range g.threads {
		if can(t) && t.state == abi.Running {
			return t
		}
	}
	return nil
}

// forceSegv is a bad memory access by t (MEM-3, EXIT-4): SIGSEGV forced on
// the group (force_sig_fault → force_sig_info_to_task). A blocked or ignored
// SIGSEGV is reset to default and unblocked, and the group dies with wait
// status SIGSEGV. With a handler the handler would return into the fault
// forever, and in init's group Linux would kill init: both unsupported.
func (k *Kernel) forceSegv(t *task) abi.Result {
	g := t.group
	a := &t.sighand.actions[abi.SIGSEGV]
	blocked := t.blocked.Has(abi.SIGSEGV)
	// A fault in init's group or with an unblocked handler was refused
	// before the step (abi.Refusal).
	if blocked || a.handler == abi.SigIgnore {
		a.handler = abi.SigDefault // visible to a CLONE_SIGHAND partner
		t.blocked &^= abi.SigBit(abi.SIGSEGV)
	}
	k.killGroup(g, abi.SIGSEGV, t)
	return abi.Result{Outcome: abi.OutcomeKilled, Signal: abi.SIGSEGV}
}
