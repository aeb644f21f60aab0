package model

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// Signal generation and delivery, as kernel/signal.c does them (SIG-2,
// SIG-3, VFORK-5, VFORK-6, THR-4). The state is Linux's own:
//
//   - the process's shared pending set (group.pending);
//   - each thread's TIF_SIGPENDING (task.sigpending): the kernel has told the
//     thread to look at its signals. Only a thread with it set runs
//     get_signal on its way back to user space, and only such a thread takes
//     pending signals there; a thread that has it set does not "want" the
//     next signal (wants_signal);
//   - where complete_signal starts its search for a thread to wake
//     (group.currTarget, signal->curr_target).
//
// A frozen vfork parent sleeps killable (wait_for_vfork_done): being told
// of a signal does not wake it, only SIGKILL does. So a signal aimed at it
// waits, it keeps TIF_SIGPENDING, and the next signal goes to a sibling —
// which then takes every pending signal it does not block, the first one
// included.
//
// Order. Every agent task outside init's group runs SCHED_FIFO on one CPU
// (linux/kernel.go absorb), so a task runs until it blocks: the step's
// caller finishes its call and takes its own signals first; the tasks it
// woke then run one after another in the order they were woken, each until
// it blocks again. Init's group runs SCHED_OTHER, below every SCHED_FIFO
// task: init runs, and takes its signals, only when none of them is left
// to run — also when init itself made the call. Kernel.runq holds the
// woken tasks.

// syncSignals are taken before any other pending signal (next_signal's
// SYNCHRONOUS_MASK: the signals an instruction raises).
const syncSignals = abi.SigSet(1<<(abi.SIGSEGV-1) | 1<<(abi.SIGBUS-1) | 1<<(abi.SIGILL-1) |
	1<<(abi.SIGTRAP-1) | 1<<(abi.SIGFPE-1) | 1<<(abi.SIGSYS-1))

// nextSignal is the signal get_signal dequeues next from the deliverable
// set ready, 0 if none (next_signal): a synchronous one first, else the
// lowest.
func nextSignal(ready abi.SigSet) int {
	if ready&syncSignals != 0 {
		ready &= syncSignals
	}
	for sig := 1; sig <= abi.NSIG; sig++ {
		if ready.Has(sig) {
			return sig
		}
	}
	return 0
}

// current is the task on the CPU while a signal is generated (task_curr in
// wants_signal): the step's caller during its call, nobody afterwards
// (each later generation runs in a task that is exiting).
func (k *Kernel) current() *task {
	if k.oncpu != nil {
		return k.oncpu // a woken sleeper finishing its call (block.go)
	}
	if k.callerReturned {
		return nil
	}
	return k.caller
}

// sendSignal generates sig for target's process (send_signal_locked with
// PIDTYPE_TGID, from kill or from do_notify_parent). prepare_signal: a
// group that is dying or dead takes nothing. sig_ignored looks at the
// target thread's mask only: a signal it blocks is queued even if ignored
// now (the disposition may change before it is unblocked), even in init;
// otherwise init's group drops what it has at SIG_DFL, SIGKILL included
// (SIGNAL_UNKILLABLE, WORLD-1), and an ignored signal is discarded.
// legacy_queue: a signal already pending is not queued twice and wakes
// nobody. Then complete_signal.
func (k *Kernel) sendSignal(target *task, sig int) {
	k.touchGroup(target.group)
	g := target.group
	h := g.sighand()
	if g.dying() || h == nil {
		return
	}
	a := h.actions[sig]
	if discarded(target, a, sig) {
		return
	}
	if g.pending.Has(sig) {
		return
	}
	g.pending |= abi.SigBit(sig)
	k.completeSignal(target, sig, a, false)
}

// discarded is what prepare_signal and sig_ignored decide for sig sent to
// target with action a: unless target blocks it, a signal init has at its
// default (SIGNAL_UNKILLABLE, WORLD-1) or one that is ignored is dropped.
func discarded(target *task, a action, sig int) bool {
	if target.blocked.Has(sig) {
		return false
	}
	return (target.group.isInit() && a.handler == abi.SigDefault) || ignores(a, sig)
}

// sendThreadSignal generates sig for the thread target alone
// (send_signal_locked with PIDTYPE_PID: tgkill, tkill, and the SIGPIPE a
// pipe write sends its writer, send_sig): the same prepare_signal and
// sig_ignored tests as sendSignal, then it is queued on the thread's own
// pending set, once, and complete_signal may tell only that thread.
func (k *Kernel) sendThreadSignal(target *task, sig int) {
	g := target.group
	h := g.sighand()
	// A thread that has exited (a zombie leader whose group lives on)
	// takes nothing: tkill returns 0 and its SigPnd stays empty, measured
	// on this machine's 6.18 (docs/libc.md SIG-5b).
	if g.dying() || h == nil || target.exiting {
		return
	}
	a := h.actions[sig]
	if discarded(target, a, sig) {
		return
	}
	if target.pending.Has(sig) {
		return
	}
	target.pending |= abi.SigBit(sig)
	k.completeSignal(target, sig, a, true)
}

// wantsSignal is wants_signal: t does not block sig and is not exiting, and
// for anything but SIGKILL it is running on the CPU or has not been told of
// a signal yet.
func (k *Kernel) wantsSignal(t *task, sig int) bool {
	if t.blocked.Has(sig) || t.exiting {
		return false
	}
	return sig == abi.SIGKILL || t == k.current() || !t.sigpending
}

// completeSignal finds the thread to tell about sig, newly pending in p's
// process (complete_signal): p itself if it wants it; else, in a process
// of several threads, the first that does going round the thread list from
// currTarget, which then points at it; else nobody — the signal waits in
// the pending set for a thread that looks (a sibling's recalc_sigpending,
// a frozen thread's release, a later signal's wake-up).
//
// A thread found for a signal that kills without a core dump at its
// default action starts the group exit at once: every thread, frozen ones
// included, gets SIGKILL (the fatal signal stays pending). Found for any
// other signal, the thread is told (signal_wake_up): it takes the signal
// when it next runs, a frozen one not before its release. A signal that no
// thread wants is not fatal at once, even at its default action.
//
// A thread-directed signal (thread) is told to p or to nobody.
func (k *Kernel) completeSignal(p *task, sig int, a action, thread bool) {
	g := p.group
	var t *task
	switch {
	case k.wantsSignal(p, sig):
		t = p
	case thread || len(g.threads) == 1:
		return // PIDTYPE_PID, or thread_group_empty: nobody else to wake
	default:
		t = g.currTarget
		for !k.wantsSignal(t, sig) {
			t = g.nextThread(t)
			if t == g.currTarget {
				return
			}
		}
		g.currTarget = t
	}
	if a.handler == abi.SigDefault && defaultOf(sig) == actTerminate && !coreDumps(sig) {
		if g.isInit() {
			// SIGNAL_GROUP_EXIT overrides SIGNAL_UNKILLABLE here: Linux
			// would kill init (a signal one thread of init blocks, wanted
			// by another). It takes a second thread, which init's group
			// never has (sysClone); should it happen, init never exits:
			// the step is refused.
			k.unsupported = true
			return
		}
		g.fatal = sig
		for _, u := range g.threads {
			if !u.exiting {
				u.sigpending = true
				k.enqueue(u) // SIGKILL ends even a killable wait
			} else {
				// Every thread in the list gets SIGKILL in its own set;
				// the live ones take it out in get_signal, a zombie
				// leader keeps it (SigPnd) until it is reaped.
				u.pending |= abi.SigBit(abi.SIGKILL)
			}
		}
		return
	}
	k.signalWakeUp(t)
}

// signalWakeUp tells t to look at its signals (signal_wake_up without
// SIGKILL): TIF_SIGPENDING, and a wake-up that only a running task heeds.
func (k *Kernel) signalWakeUp(t *task) {
	t.sigpending = true
	if t.state == abi.Running || t.state == abi.Blocked {
		k.enqueue(t) // a Blocked task sleeps interruptible (block.go)
	}
}

// recalcSigpending is recalc_sigpending on t: it is told of its signals
// exactly when some pending one, its own or its process's, is not blocked
// by it.
func (k *Kernel) recalcSigpending(t *task) bool {
	t.sigpending = (t.pending|t.group.pending)&^t.blocked != 0
	return t.sigpending
}

// retargetShared is retarget_shared_pending: t will not take the pending
// signals in which (it is exiting, or has blocked them), so each is made
// known to the first other thread, going round from t, that is not
// exiting and does not block it; a thread not yet told is woken.
func (k *Kernel) retargetShared(t *task, which abi.SigSet) {
	g := t.group
	left := g.pending & which
	for u := g.nextThread(t); u != t && left != 0; u = g.nextThread(u) {
		if u.exiting || left&^u.blocked == 0 {
			continue
		}
		left &= u.blocked
		if !u.sigpending {
			k.signalWakeUp(u)
		}
	}
}

// exitSignals is exit_signals for t, which is starting to exit: unless it is
// alone or its group is exiting as a whole, the pending signals it was told
// of and does not block go to its siblings.
func (k *Kernel) exitSignals(t *task) {
	g := t.group
	if len(g.threads) == 1 || g.groupExit || !t.sigpending {
		return
	}
	k.retargetShared(t, ^t.blocked)
}

// enqueue adds t to the tasks woken in this step, unless it is already
// waiting its turn. The caller is not queued during its own call: it takes
// its signals when the call returns (returnToUser).
func (k *Kernel) enqueue(t *task) {
	k.touched(t.tid)
	if t == k.caller && !k.callerReturned {
		return
	}
	if !slices.Contains(k.runq, t) {
		k.runq = append(k.runq, t)
	}
}

// returnToUser is the caller's way back to user space after its call: a
// group exit started during the call ends it here (get_signal sees
// SIGNAL_GROUP_EXIT), else it takes its signals if it was told of any.
func (k *Kernel) returnToUser(t *task) {
	if t.exiting || t.state != abi.Running {
		return
	}
	if t.group.fatal != 0 || t.sigpending {
		k.getSignal(t)
	}
}

// runQueue lets every task woken in the step run in turn, including those
// woken meanwhile: the first woken outside init's group, and init only when
// no other is left (init's group runs SCHED_OTHER on the oracle, the others
// SCHED_FIFO, which always runs first). A thread of a group whose exit has
// started dies with its group; a running thread told of signals takes
// them. Nothing else runs: a frozen thread that was told waits for its
// release.
func (k *Kernel) runQueue() {
	for len(k.runq) > 0 && !k.unsupported {
		i := max(slices.IndexFunc(k.runq, func(t *task) bool { return !t.group.isInit() }), 0)
		t := k.runq[i]
		k.runq = slices.Delete(k.runq, i, i+1)
		g := t.group
		switch {
		case t.exiting || g.dead || g.groupExit:
		case g.fatal != 0:
			// A sleeper rechecks its condition before it looks at signals
			// (do_wait's loop, ___wait_event): a wait4 the same event
			// woke reaps its child before the group dies (WAIT-6b).
			if t.state == abi.Blocked {
				if r, done := k.retry(t, t.wait); done {
					k.complete(t, r)
				}
			}
			k.killGroup(g, g.fatal, nil, false)
		case t.state == abi.Blocked:
			k.resume(t)
		case t.state == abi.Running && t.sigpending:
			k.getSignal(t)
		}
	}
	k.runq = nil
}

// getSignal is get_signal and the return to user space for t, a running
// thread: while its group is not exiting, it dequeues every pending signal
// it does not block (nextSignal's order). An ignored one is dropped, and so
// is one whose default is to ignore, or any default action in init's group
// (SIGNAL_UNKILLABLE). For a handler it sets up a frame, which blocks that
// signal until the handler returns (signal_delivered). A terminating
// default ends the group with that signal (do_group_exit): the frames set
// up before it are never returned to, so those handlers never run, and the
// mask stays as the frames left it. A stop default is not modelled (the
// step becomes unsupported). Otherwise the handlers run, innermost first,
// each counted for t and its process (SIG-2), and their sigreturns restore
// t's mask. Its own pending signals are dequeued before its process's
// (dequeue_signal). It returns the first signal that got a handler, 0 if
// none (that one decides whether an interrupted call restarts, block.go).
func (k *Kernel) getSignal(t *task) int {
	g := t.group
	if g.fatal != 0 {
		k.killGroup(g, g.fatal, t, false) // complete_signal's group exit
		return 0
	}
	h := g.sighand()
	first := 0
	// A pass ends when nothing deliverable is left; the handlers'
	// sigreturns restore the mask (set_current_blocked recalculates), and a
	// signal pending for the thread and for its process, whose first
	// instance a frame blocked, is deliverable again: another pass.
	for (t.pending|g.pending)&^t.blocked != 0 {
		handled, ok := k.signalPass(t, h)
		if !ok {
			return 0
		}
		if first == 0 && len(handled) > 0 {
			first = handled[0]
		}
		if len(handled) == 0 {
			break
		}
	}
	t.sigpending = false
	return first
}

// signalPass is one pass of getSignal's dequeue loop for t, then its
// handlers; it returns the signals handled, in frame order, and false when
// a default action ended the group (or is not modelled).
func (k *Kernel) signalPass(t *task, h *sighand) ([]int, bool) {
	g := t.group
	mask := t.blocked
	var frames []int
	for {
		sig := nextSignal(t.pending &^ t.blocked)
		if sig != 0 {
			t.pending &^= abi.SigBit(sig)
		} else if sig = nextSignal(g.pending &^ t.blocked); sig != 0 {
			g.pending &^= abi.SigBit(sig)
		} else {
			break
		}
		a := h.actions[sig]
		switch {
		case a.handler == abi.SigHandle:
			frames = append(frames, sig)
			t.blocked |= abi.SigBit(sig)
		case ignores(a, sig), g.isInit():
		case defaultOf(sig) == actStop:
			k.unsupported = true
			return nil, false
		default:
			t.sigpending = false
			k.killGroup(g, sig, t, true) // do_group_exit
			return nil, false
		}
	}
	for _, sig := range frames {
		if t.handled == nil {
			t.handled = map[int]int{}
		}
		t.handled[sig]++
		g.handled[sig]++
	}
	t.blocked = mask
	return frames, true
}

// nextThread is next_thread: the thread after t in the group's list,
// wrapping round to the leader.
func (g *group) nextThread(t *task) *task {
	for i, u := range g.threads {
		if u == t && i+1 < len(g.threads) {
			return g.threads[i+1]
		}
	}
	return g.threads[0]
}
