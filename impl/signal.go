package impl

import "github.com/forkspec/forkspec/abi"

// action is one signal's disposition and sa_flags (struct k_sigaction).
type action struct {
	handler abi.Disposition
	flags   uint64
}

// sighand is a disposition table (sighand_struct), shared by CLONE_SIGHAND
// (CLONE-4) and by every thread of a group (THR-4).
type sighand struct {
	id int
	// refs is the number of live tasks using the table.
	// Invariant: == count of live tasks with sh == this.
	refs int
	act  [abi.NSIG + 1]action
}

// Default actions (signal(7), conventions "Signals").
func defaultIgnore(sig int) bool {
	return sig == abi.SIGCHLD || sig == abi.SIGURG || sig == abi.SIGWINCH || sig == abi.SIGCONT
}

func defaultStop(sig int) bool {
	return sig == abi.SIGSTOP || sig == abi.SIGTSTP || sig == abi.SIGTTIN || sig == abi.SIGTTOU
}

// coreDump reports the signals whose default action dumps core
// (SIG_KERNEL_COREDUMP_MASK); they do not take complete_signal's shortcut.
func coreDump(sig int) bool {
	switch sig {
	case abi.SIGQUIT, abi.SIGILL, abi.SIGTRAP, abi.SIGABRT, abi.SIGBUS, abi.SIGFPE,
		abi.SIGSEGV, abi.SIGXCPU, abi.SIGXFSZ, abi.SIGSYS:
		return true
	}
	return false
}

// ignores reports whether a disposition discards sig (sig_handler_ignored).
func ignores(a action, sig int) bool {
	return a.handler == abi.SigIgnore || (a.handler == abi.SigDefault && defaultIgnore(sig))
}

// blockedByAll reports whether every live thread of g blocks sig.
func blockedByAll(g *group, sig int) bool {
	for _, t := range g.threads {
		if t.live() && !t.blocked.Has(sig) {
			return false
		}
	}
	return true
}

// sendSignal generates sig for target's process, from kill or from the
// kernel (do_notify_parent), following prepare_signal and complete_signal.
// sig_ignored looks at the target thread's mask first: a signal it blocks
// always joins the pending set, even for init (get_signal drops it later);
// otherwise init drops SIG_DFL signals, SIGKILL included (WORLD-1), and an
// ignored signal is discarded. docs/conventions.md says "blocked by every
// thread"; the kernel checks the target thread, and so does the model.
func (k *Kernel) sendSignal(target *task, sig int) {
	g := target.g
	k.sigDirty = true
	sh := g.sighandOf()
	if sh == nil || g.exited || g.fatal != 0 || g.liveThreads() == 0 {
		return // prepare_signal: a group that is exiting takes nothing
	}
	act := sh.act[sig]
	if !target.blocked.Has(sig) {
		if g.tgid == 1 && act.handler == abi.SigDefault {
			return // sig_task_ignored: SIGNAL_UNKILLABLE
		}
		if ignores(act, sig) {
			return
		}
	}
	if !g.pending.Has(sig) {
		// complete_signal wakes one thread for it: the target if it wants
		// the signal, else the first that does (wants_signal: not blocking
		// it, not exiting; a frozen vfork parent wants it but sleeps until
		// released). legacy_queue: one already pending wakes nobody new.
		if g.prefer == nil {
			g.prefer = map[int]int{}
		}
		delete(g.prefer, sig)
		wants := func(t *task) bool { return t.g == g && t.live() && !t.blocked.Has(sig) }
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
	g.pending |= abi.SigBit(sig)
	// complete_signal: SIGKILL, or a fatal default without core dump that
	// some live thread (running or frozen in vfork) does not block, kills
	// the group at once (VFORK-5); deliverAll carries it out.
	fatal := sig == abi.SIGKILL || (act.handler == abi.SigDefault && !defaultIgnore(sig) && !defaultStop(sig) && !coreDump(sig))
	if fatal && g.tgid != 1 && !blockedByAll(g, sig) {
		g.fatal = sig
	}
}

// deliverAll delivers pending signals in every process until nothing more
// can be taken; a death can notify a parent, so it loops to a fixed point.
func (k *Kernel) deliverAll() {
	if !k.sigDirty {
		return
	}
	k.sigDirty = false
	if !k.anySignal() {
		return
	}
	for progress := true; progress; {
		progress = false
		for _, g := range k.groups() {
			if k.deliverGroup(g) {
				progress = true
			}
		}
	}
}

// anySignal reports whether some process has a pending or doomed signal:
// the common step has none and skips delivery (the answer does not depend
// on map order).
func (k *Kernel) anySignal() bool {
	for _, t := range k.tasks {
		if g := t.g; g.leader == t && (g.pending != 0 || g.fatal != 0) {
			return true
		}
	}
	return false
}

// deliverGroup takes g's deliverable signals lowest first, each by the first
// running thread in tid order that does not block it (conventions "Signals").
func (k *Kernel) deliverGroup(g *group) bool {
	if g.exited || g.liveThreads() == 0 {
		g.fatal = 0
		return false
	}
	if g.fatal != 0 {
		sig := g.fatal
		g.fatal = 0
		k.killGroup(g, sig, nil)
		return true
	}
	progress := false
	for {
		took := false
		for sig := 1; sig <= abi.NSIG && !took; sig++ {
			if !g.pending.Has(sig) {
				continue
			}
			taker := k.taker(g, sig)
			if taker == nil {
				continue
			}
			g.pending &^= abi.SigBit(sig)
			delete(g.prefer, sig)
			took, progress = true, true
			act := taker.sh.act[sig]
			switch {
			case act.handler == abi.SigHandle:
				g.handled[sig]++
			case act.handler == abi.SigIgnore || defaultIgnore(sig) || defaultStop(sig):
				// dropped (stop signals are refused at kill; one that
				// became pending under a handler is dropped here)
			case g.tgid == 1:
				// SIGNAL_UNKILLABLE: get_signal skips it
			default:
				k.killGroup(g, sig, taker)
				return true
			}
		}
		if !took {
			return progress
		}
	}
}

// taker picks the thread that takes pending signal sig of g now, or nil.
// The thread complete_signal woke for it takes it if it still wants it; if
// that thread is a frozen vfork parent, the signal waits for its release.
// Otherwise (nobody was woken, or the woken thread has since blocked it or
// exited: retarget_shared_pending) the step's caller takes it (a thread
// that unblocks a pending signal takes it on its way back to user space),
// else the first running thread in tid order (conventions "Signals").
func (k *Kernel) taker(g *group, sig int) *task {
	wants := func(t *task) bool { return t != nil && t.g == g && t.live() && !t.blocked.Has(sig) }
	if tid, ok := g.prefer[sig]; ok {
		if t := k.tasks[tid]; wants(t) {
			if t.state == stateRunning {
				return t
			}
			return nil
		}
	}
	if wants(k.caller) && k.caller.state == stateRunning {
		return k.caller
	}
	for _, t := range g.threads {
		if wants(t) && t.state == stateRunning {
			return t
		}
	}
	return nil
}

// sysSigaction is sigaction(2) (SIG-1).
func (k *Kernel) sysSigaction(t *task, s abi.Sigaction) abi.Result {
	if s.Sig < 1 || s.Sig > abi.NSIG || s.Sig == abi.SIGKILL || s.Sig == abi.SIGSTOP {
		return abi.Fail(abi.EINVAL)
	}
	const okFlags = abi.SA_NOCLDSTOP | abi.SA_NOCLDWAIT | abi.SA_SIGINFO | abi.SA_RESTART
	if s.Flags&^okFlags != 0 || s.Handler < abi.SigDefault || s.Handler > abi.SigHandle {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	a := action{handler: s.Handler, flags: s.Flags}
	t.sh.act[s.Sig] = a
	if ignores(a, s.Sig) {
		t.g.pending &^= abi.SigBit(s.Sig) // do_sigaction flushes the caller's process
	}
	return abi.Ok(0)
}

// sysSigprocmask is rt_sigprocmask(2) on the calling thread (SIG-3).
func (k *Kernel) sysSigprocmask(t *task, s abi.Sigprocmask) abi.Result {
	switch s.How {
	case abi.SIG_BLOCK:
		t.blocked |= s.Set
	case abi.SIG_UNBLOCK:
		t.blocked &^= s.Set
	case abi.SIG_SETMASK:
		t.blocked = s.Set
	default:
		return abi.Fail(abi.EINVAL)
	}
	t.blocked &^= abi.SigBit(abi.SIGKILL) | abi.SigBit(abi.SIGSTOP)
	return abi.Ok(0)
}

// sysKill is kill(2) to a process, checks in conventions order (SIG-2).
func (k *Kernel) sysKill(t *task, s abi.Kill) abi.Result {
	if s.Pid <= 0 {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	if s.Sig < 0 || s.Sig > abi.NSIG {
		return abi.Fail(abi.EINVAL)
	}
	target := k.tasks[s.Pid]
	if target == nil {
		return abi.Fail(abi.ESRCH)
	}
	if s.Sig == 0 {
		return abi.Ok(0)
	}
	if s.Sig >= abi.SIGRTMIN {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	g := target.g
	if defaultStop(s.Sig) {
		sh := g.sighandOf()
		if s.Sig == abi.SIGSTOP || sh == nil || sh.act[s.Sig].handler == abi.SigDefault {
			return abi.Refuse(abi.OutcomeUnsupported)
		}
	}
	k.sendSignal(target, s.Sig)
	return abi.Ok(0)
}
