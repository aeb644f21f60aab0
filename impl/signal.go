package impl

import (
	"math/bits"

	"github.com/forkspec/forkspec/abi"
)

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

// sigs builds a signal set.
func sigs(list ...int) abi.SigSet {
	var s abi.SigSet
	for _, sig := range list {
		s |= abi.SigBit(sig)
	}
	return s
}

// Default actions as masks (signal(7); the kernel's SIG_KERNEL_*_MASK).
var (
	ignoreByDefault = sigs(abi.SIGCHLD, abi.SIGURG, abi.SIGWINCH, abi.SIGCONT)
	stopByDefault   = sigs(abi.SIGSTOP, abi.SIGTSTP, abi.SIGTTIN, abi.SIGTTOU)
	// coreByDefault are the signals whose default dumps core: the thread
	// that takes one ends the group; none starts a group exit at generation.
	coreByDefault = sigs(abi.SIGQUIT, abi.SIGILL, abi.SIGTRAP, abi.SIGABRT, abi.SIGBUS, abi.SIGFPE,
		abi.SIGSEGV, abi.SIGXCPU, abi.SIGXFSZ, abi.SIGSYS)
	// dequeuedFirst are the synchronous signals next_signal takes before
	// any other (SYNCHRONOUS_MASK).
	dequeuedFirst = sigs(abi.SIGSEGV, abi.SIGBUS, abi.SIGILL, abi.SIGTRAP, abi.SIGFPE, abi.SIGSYS)
	unblockable   = sigs(abi.SIGKILL, abi.SIGSTOP)
)

func defaultIgnore(sig int) bool { return ignoreByDefault.Has(sig) }
func defaultStop(sig int) bool   { return stopByDefault.Has(sig) }

// ignores reports whether a disposition discards sig (sig_handler_ignored).
func ignores(a action, sig int) bool {
	return a.handler == abi.SigIgnore || (a.handler == abi.SigDefault && defaultIgnore(sig))
}

// killsAtOnce reports whether a signal found a taker would start the group's
// exit right away (complete_signal's sig_fatal without a core dump).
func killsAtOnce(a action, sig int) bool {
	return a.handler == abi.SigDefault && !(ignoreByDefault | stopByDefault | coreByDefault).Has(sig)
}

// lowest pops the signal next_signal would dequeue from *set, 0 if empty.
func lowest(set *abi.SigSet) int {
	s := *set
	if s&dequeuedFirst != 0 {
		s &= dequeuedFirst
	}
	if s == 0 {
		return 0
	}
	sig := bits.TrailingZeros64(uint64(s)) + 1
	*set &^= abi.SigBit(sig)
	return sig
}

// sendSignal generates sig for target's process (send_signal_locked,
// PIDTYPE_TGID) from kill or from do_notify_parent. prepare_signal: an
// exiting group takes nothing. sig_ignored checks the target thread alone:
// a signal it blocks is always queued, even for init; else init drops what
// it has at SIG_DFL (SIGNAL_UNKILLABLE, WORLD-1) and an ignored signal is
// dropped. legacy_queue: one already pending changes nothing. Then
// complete_signal picks the thread to tell (pickTaker).
func (k *Kernel) sendSignal(target *task, sig int) {
	k.touchGroup(target.g)
	g := target.g
	sh := g.sighandOf()
	if sh == nil || g.exited || g.fatal != 0 || g.pending.Has(sig) {
		return
	}
	act := sh.act[sig]
	if discards(target, act, sig) {
		return
	}
	g.pending |= abi.SigBit(sig)
	k.deliverTo(g, k.pickTaker(target, sig), act, sig)
}

// discards is sig_ignored's verdict with prepare_signal's for init: a
// signal target does not block is dropped when ignored, or when init has
// it at its default (SIGNAL_UNKILLABLE, WORLD-1).
func discards(target *task, act action, sig int) bool {
	return !target.blocked.Has(sig) && (ignores(act, sig) || (target.g.tgid == 1 && act.handler == abi.SigDefault))
}

// sendSignalTo generates sig for the thread target (PIDTYPE_PID: tgkill,
// tkill, a pipe writer's SIGPIPE): the same discards as sendSignal, then it
// waits in the thread's own pending set, and only that thread may be told.
func (k *Kernel) sendSignalTo(target *task, sig int) {
	g := target.g
	sh := g.sighandOf()
	// An exited thread (a zombie leader) takes nothing (SIG-5b).
	if sh == nil || g.exited || g.fatal != 0 || target.exiting || target.pending.Has(sig) {
		return
	}
	act := sh.act[sig]
	if discards(target, act, sig) {
		return
	}
	target.pending |= abi.SigBit(sig)
	var t *task
	if k.wants(target, sig) {
		t = target
	}
	k.deliverTo(g, t, act, sig)
}

// deliverTo is the end of complete_signal in g once t (possibly nil) was chosen.
func (k *Kernel) deliverTo(g *group, t *task, act action, sig int) {
	switch {
	case t == nil:
		// Nobody wants it now: it waits, even a fatal one, for a thread
		// that looks at the pending set.
	case killsAtOnce(act, sig):
		if g.tgid == 1 {
			// The group exit would override SIGNAL_UNKILLABLE and kill
			// init; it needs a second thread, and init has none
			// (conventions "The world").
			panic("impl: a fatal signal would kill init")
		}
		g.fatal = sig
		for _, u := range g.threads {
			if u.live() {
				u.tif = true
				k.wake(u) // SIGKILL ends even a frozen parent's wait
			} else {
				u.pending |= abi.SigBit(abi.SIGKILL) // a zombie keeps it (SigPnd)
			}
		}
	default:
		k.notify(t)
	}
}

// wants is wants_signal for t.
func (k *Kernel) wants(t *task, sig int) bool {
	return t.live() && !t.blocked.Has(sig) && (sig == abi.SIGKILL || !t.tif || t == k.onCPU())
}

// pickTaker is complete_signal's choice: the target if it wants sig, else
// (several threads) the first that does going round the thread list from
// g.target, which moves there; nil when none does. A thread wants a signal
// it does not block, unless it is exiting or was told of signals already
// and is not the one on the CPU (wants_signal); SIGKILL is always wanted.
func (k *Kernel) pickTaker(target *task, sig int) *task {
	cur := k.onCPU()
	wants := func(t *task) bool {
		return t.live() && !t.blocked.Has(sig) && (sig == abi.SIGKILL || !t.tif || t == cur)
	}
	if wants(target) {
		return target
	}
	g := target.g
	n := len(g.threads)
	if n == 1 {
		return nil
	}
	start := max(g.threadIndex(g.target), 0) // the invariant keeps target in the list
	for i := 0; i < n; i++ {
		if t := g.threads[(start+i)%n]; wants(t) {
			g.target = t
			return t
		}
	}
	return nil
}

// onCPU is the task running while a signal is generated: the caller until
// its call has returned, then nobody (later signals come from exiting
// tasks).
func (k *Kernel) onCPU() *task {
	if k.cpu != nil {
		return k.cpu
	}
	if k.returned {
		return nil
	}
	return k.caller
}

// notify sets t's TIF_SIGPENDING and wakes it if it can run: a frozen vfork
// parent sleeps killable and only learns of it at its release.
func (k *Kernel) notify(t *task) {
	t.tif = true
	if t.state == stateRunning || t.state == stateBlocked {
		k.wake(t) // a sleep in a call is interruptible
	}
}

// wake puts t on the run queue, once, unless it is the caller still in its
// call (it takes its signals on its way back, afterCall). Init's group
// (SCHED_OTHER on the oracle) queues apart: it runs when no SCHED_FIFO task
// is left.
func (k *Kernel) wake(t *task) {
	k.touched(t.tid)
	if t.queued || (t == k.caller && !k.returned) {
		return
	}
	t.queued = true
	if t.g.tgid == 1 {
		k.initq = append(k.initq, t)
	} else {
		k.runq = append(k.runq, t)
	}
}

// handOff is retarget_shared_pending for t, which will not take the pending
// signals in set: each goes to the first later live thread (round the list)
// that does not block it, which is told if it was not already.
func (k *Kernel) handOff(t *task, set abi.SigSet) {
	g := t.g
	left := g.pending & set
	i := g.threadIndex(t)
	for j := 1; j < len(g.threads) && left != 0; j++ {
		u := g.threads[(i+j)%len(g.threads)]
		if !u.live() || left&^u.blocked == 0 {
			continue
		}
		left &= u.blocked
		if !u.tif {
			k.notify(u)
		}
	}
}

// afterCall is the caller's return to user space: it dies with its group if
// a group exit started during the call, else takes its signals if told.
func (k *Kernel) afterCall(t *task) {
	if t.live() && t.state == stateRunning && (t.tif || t.g.fatal != 0) {
		k.takeSignals(t)
	}
}

// runWoken lets the tasks woken during the step run in wake order
// (SCHED_FIFO on one CPU: each runs until it blocks), including those woken
// while it runs; init's, SCHED_OTHER, once none of those is left.
func (k *Kernel) runWoken() {
	for {
		for i := 0; i < len(k.runq); i++ {
			k.runOne(k.runq[i])
		}
		k.runq = k.runq[:0]
		if len(k.initq) == 0 {
			return
		}
		t := k.initq[0]
		k.initq = k.initq[1:]
		k.runOne(t)
	}
}

// runOne is a woken task's turn on the CPU.
func (k *Kernel) runOne(t *task) {
	t.queued = false
	switch {
	case !t.live() || t.g.exited:
	case t.g.fatal != 0:
		// Its sleep's condition first (do_wait rescans before it looks at
		// signals): a wait4 the same event woke reaps, then the group dies.
		if t.state == stateBlocked {
			k.cpu = t
			if r, ok := k.retrySleep(t, t.sl); ok {
				k.finish(t, r)
			}
			k.cpu = nil
		}
		k.killGroup(t.g, t.g.fatal, nil, false)
	case t.state == stateBlocked:
		k.wakeUp(t)
	case t.tif && t.state == stateRunning:
		k.takeSignals(t)
	}
}

// takeSignals is get_signal until nothing is left for t, then the return
// to user space. In a group whose exit has started, t dies with it.
// Otherwise every pending signal t does not block is dequeued in
// next_signal's order: ignored ones dropped (and default ones in init's
// group, SIGNAL_UNKILLABLE), caught ones given a frame that blocks the
// signal, and the first terminating default ends the group — the frames
// never return, so their handlers never run and t's mask keeps their
// signals. A stop default cannot happen (stop signals are refused at kill
// and as termination signals). With no death, the handlers run and count
// for t and its group, and sigreturn restores the mask.
//
// The thread's own pending signals come before its group's
// (dequeue_signal). It returns the first signal that got a frame (it
// decides an interrupted call's restart), 0 if none.
func (k *Kernel) takeSignals(t *task) int {
	g := t.g
	t.tif = false
	if g.fatal != 0 {
		k.killGroup(g, g.fatal, t, false) // complete_signal's group exit
		return 0
	}
	sh := g.sighandOf()
	first := 0
	// A round ends when nothing the frames leave unblocked is pending; the
	// handlers' sigreturns then restore the mask, and a signal pending both
	// for the thread and its group is deliverable again: another round.
	for (t.pending|g.pending)&^t.blocked != 0 {
		mask := t.blocked
		var frames abi.SigSet
		for {
			own, ready := t.pending&^(mask|frames), g.pending&^(mask|frames)
			sig := lowest(&own)
			if sig != 0 {
				t.pending &^= abi.SigBit(sig)
			} else if sig = lowest(&ready); sig != 0 {
				g.pending &^= abi.SigBit(sig)
			} else {
				break
			}
			act := sh.act[sig]
			if act.handler == abi.SigHandle {
				frames |= abi.SigBit(sig)
				if first == 0 {
					first = sig
				}
				continue
			}
			if ignores(act, sig) || defaultStop(sig) || g.tgid == 1 {
				continue
			}
			t.blocked |= frames
			k.killGroup(g, sig, t, true) // do_group_exit
			return 0
		}
		for f := uint64(frames); f != 0; f &= f - 1 {
			sig := bits.TrailingZeros64(f) + 1
			t.handled[sig]++
			g.handled[sig]++
		}
		if frames == 0 {
			break
		}
	}
	return first
}

// sysSigaction is sigaction(2) (SIG-1).
func (k *Kernel) sysSigaction(t *task, s abi.Sigaction) abi.Result {
	s.Sig = int(i32(int64(s.Sig))) // a C int
	if s.Sig < 1 || s.Sig > abi.NSIG || unblockable.Has(s.Sig) {
		return abi.Fail(abi.EINVAL)
	}
	// Unmodelled flags and handlers were refused before the step (abi.Refusal).
	old := t.sh.act[s.Sig]
	a := action{handler: s.Handler, flags: s.Flags}
	t.sh.act[s.Sig] = a
	if ignores(a, s.Sig) {
		t.g.pending &^= abi.SigBit(s.Sig) // do_sigaction flushes the caller's process
		for _, u := range t.g.threads {
			u.pending &^= abi.SigBit(s.Sig)
		}
	}
	if s.Old {
		return abi.Ok(abi.OldAction(old.handler, old.flags))
	}
	return abi.Ok(0)
}

// sysSigprocmask is rt_sigprocmask(2) on the calling thread (SIG-3): a bad
// how is EINVAL before anything changes; an unchanged mask returns early
// (__set_current_blocked); a real change runs recalc_sigpending, so the
// caller takes every pending signal it no longer blocks on its way back —
// one that waits for a frozen sibling too.
func (k *Kernel) sysSigprocmask(t *task, s abi.Sigprocmask) abi.Result {
	var mask abi.SigSet
	switch i32(s.How) { // a C int
	case abi.SIG_BLOCK:
		mask = t.blocked | s.Set
	case abi.SIG_UNBLOCK:
		mask = t.blocked &^ s.Set
	case abi.SIG_SETMASK:
		mask = s.Set
	default:
		return abi.Fail(abi.EINVAL)
	}
	mask &^= unblockable
	var old uint64
	if s.Old {
		old = uint64(t.blocked)
	}
	if mask == t.blocked {
		return abi.Ok(old)
	}
	t.blocked = mask
	t.tif = (t.pending|t.g.pending)&^mask != 0
	return abi.Ok(old)
}

// sysTgkill is tgkill(2) and tkill(2): EINVAL for a tid (or tgid) that is
// not positive, ESRCH for a missing thread or one of another group, EINVAL
// for a bad signal, 0 for signal 0, else the signal to that thread.
func (k *Kernel) sysTgkill(t *task, tgid, tid int64, sig int, group bool) abi.Result {
	if tid <= 0 || (group && tgid <= 0) {
		return abi.Fail(abi.EINVAL)
	}
	target := k.tasks[int(tid)]
	if target == nil || (group && int64(target.g.tgid) != tgid) {
		return abi.Fail(abi.ESRCH)
	}
	if sig < 0 || sig > abi.NSIG {
		return abi.Fail(abi.EINVAL)
	}
	if sig != 0 {
		k.sendSignalTo(target, sig)
	}
	return abi.Ok(0)
}

// sysKill is kill(2) to a process (SIG-2). pid and sig are C ints. Linux
// finds the target before it validates the signal (kill_pid_info_type
// returns ESRCH first, then check_kill_permission's valid_signal), so a
// missing pid is ESRCH even with a bad signal: conventions list EINVAL
// first; impl follows the kernel, as the model does. A dying or dead group
// takes nothing (prepare_signal) and the call returns 0.
func (k *Kernel) sysKill(t *task, s abi.Kill) abi.Result {
	pid, sig := i32(int64(s.Pid)), int(i32(int64(s.Sig)))
	if pid == -1<<31 {
		return abi.Fail(abi.ESRCH) // kill_something_info: -INT_MIN is undefined
	}
	// pid <= 0 (process groups, kill -1) was refused before the step (abi.Refusal).
	target := k.tasks[int(pid)]
	if target == nil {
		return abi.Fail(abi.ESRCH)
	}
	if sig < 0 || sig > abi.NSIG {
		return abi.Fail(abi.EINVAL)
	}
	if sig == 0 {
		return abi.Ok(0)
	}
	g := target.g
	if g.exited || g.fatal != 0 || g.liveThreads() == 0 {
		return abi.Ok(0)
	}
	// Queued real-time signals and the stop signals (SIG-2: stop/continue
	// is not modelled, handler or not) were refused before the step
	// (abi.Refusal).
	k.sendSignal(target, sig)
	return abi.Ok(0)
}
