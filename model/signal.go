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

// coreDumps reports whether sig's default action dumps core (signal(7),
// SIG_KERNEL_COREDUMP_MASK). complete_signal leaves such signals out of its
// immediate group kill: the thread that takes one in get_signal ends the
// group (do_coredump, then do_group_exit; the oracle's agents are not
// dumpable, so no core is written and the status is the bare signal).
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
	old := t.sighand.actions[sig]
	a := action{handler: s.Handler, flags: s.Flags}
	t.sighand.actions[sig] = a
	if ignores(a, int(sig)) {
		// do_sigaction flushes the signal from the caller's own group only
		// (its shared pending set and each of its threads), even when
		// CLONE_SIGHAND shares the table with another process.
		t.group.pending &^= abi.SigBit(int(sig))
		for _, u := range t.group.threads {
			u.pending &^= abi.SigBit(int(sig))
		}
	}
	if s.Old {
		// SIG-1c: oldact gets the action as it was (SA_RESTORER, which
		// every libc adds, is the agent's and is not shown).
		return abi.Ok(abi.OldAction(old.handler, old.flags))
	}
	return abi.Ok(0)
}

// sysSigprocmask is sigprocmask(2) on the calling thread (SIG-3). SIGKILL and
// SIGSTOP are silently dropped from the mask. A bad how is EINVAL before any
// change (sigprocmask checks it before set_current_blocked). A call that
// leaves the mask as it was changes nothing else either:
// __set_current_blocked returns early, so only a real change runs
// recalc_sigpending on the caller, which then takes on its way back to user
// space every pending signal it no longer blocks — a signal complete_signal
// woke a frozen sibling for included (docs spec SIG-3e).
func (k *Kernel) sysSigprocmask(t *task, s abi.Sigprocmask) abi.Result {
	set := s.Set &^ (abi.SigBit(abi.SIGKILL) | abi.SigBit(abi.SIGSTOP))
	mask := t.blocked
	ret := uint64(0)
	if s.Old {
		ret = uint64(t.blocked) // SIG-3g: oldset is the mask before the call
	}
	switch i32(s.How) {
	case abi.SIG_BLOCK:
		mask |= set
	case abi.SIG_UNBLOCK:
		mask &^= set
	case abi.SIG_SETMASK:
		mask = set
	default:
		return abi.Fail(abi.EINVAL)
	}
	if mask == t.blocked {
		return abi.Ok(ret)
	}
	// __set_task_blocked would retarget the signals newly blocked if the
	// caller had TIF_SIGPENDING; a thread making a syscall never has it
	// (it took its signals on its way back to user space).
	t.blocked = mask
	k.recalcSigpending(t)
	return abi.Ok(ret)
}

// sysKill is kill(2) to a process (SIG-2). Linux looks the pid up before it
// validates the signal (kill_pid_info_type returns ESRCH first, then
// check_kill_permission's valid_signal): a missing pid is ESRCH even with a
// bad signal. docs/conventions.md lists EINVAL first; the model follows the
// kernel. Any tid names its process (PIDTYPE_TGID), and the thread it names
// is the one complete_signal tries first.
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
	if g.dying() {
		return abi.Ok(0) // prepare_signal: a dying or dead group takes nothing
	}
	// Queued real-time signals and (SIG-2) the stop signals were refused
	// before the step (abi.Refusal): stop/continue is not modelled, and even
	// under a handler a stop signal could stay pending and meet SIG_DFL.
	k.sendSignal(target, int(sig))
	return abi.Ok(0)
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
	k.killGroup(g, abi.SIGSEGV, t, true) // get_signal → do_group_exit
	return abi.Result{Outcome: abi.OutcomeKilled, Signal: abi.SIGSEGV}
}
