package model

import (
	"cmp"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// sysExit is the raw exit(2) (EXIT-2): it ends only the calling thread. Init
// never exits: ending task 1's group's last live thread was refused before
// the step (WORLD-1, abi.Refusal).
func (k *Kernel) sysExit(t *task, s abi.Exit) abi.Result {
	g := t.group
	t.exiting = true
	// synchronize_group_exit: the last thread to exit sets the group exit
	// code unless an exit_group or fatal signal did (EXIT-2).
	if !g.groupExit && g.firstAlive() == nil {
		g.groupExit = true
		g.exitStatus = abi.WaitExited(s.Code)
	}
	k.finishExit(t)
	return abi.Result{Outcome: abi.OutcomeExited}
}

// lastAlive reports whether t is the only live thread of its group.
func (k *Kernel) lastAlive(t *task) bool {
	for _, x := range t.group.threads {
		if x != t && x.alive() {
			return false
		}
	}
	return true
}

// sysExitGroup is exit_group(2) (EXIT-1): every thread of the group ends and
// the parent sees status & 0xff. Refused in init's group before the step
// (WORLD-1, abi.Refusal).
func (k *Kernel) sysExitGroup(t *task, s abi.ExitGroup) abi.Result {
	k.endGroup(t.group, abi.WaitExited(s.Code), t, true)
	return abi.Result{Outcome: abi.OutcomeExited}
}

// killGroup ends g by a fatal signal (EXIT-4, THR-4): the wait status is the
// signal number. taker is the thread that runs first: the one that took the
// signal in get_signal (do_group_exit, zap true), or the step's caller whose
// group complete_signal's fast path ended (zap false), or nil.
func (k *Kernel) killGroup(g *group, sig int, taker *task, zap bool) {
	k.touchGroup(g)
	if g.groupExit || g.dead {
		return
	}
	g.killSig = sig
	k.endGroup(g, abi.WaitSignaled(sig), taker, zap)
}

// endGroup ends every thread of g with the given group exit status; the
// first group exit wins. The thread that started it (first, when not nil)
// exits first. Then the others exit in the order they were woken: with zap
// (do_group_exit → zap_other_threads, from exit_group or a fatal signal
// taken in get_signal) going round the thread list from first; without
// (complete_signal's group exit, which wakes the threads from the leader
// on) in list order. Each is marked exiting only when it exits, so a
// thread's children pass to a sibling that has not exited yet and reach the
// new reaper with the last one (forget_original_parent, find_alive_thread).
func (k *Kernel) endGroup(g *group, status int, first *task, zap bool) {
	k.touchGroup(g)
	if g.groupExit || g.dead {
		return
	}
	g.groupExit = true
	g.exitStatus = status
	g.fatal = 0
	order := make([]*task, 0, len(g.threads))
	if first != nil && first.group == g {
		order = append(order, first)
		if zap {
			for t := g.nextThread(first); t != first; t = g.nextThread(t) {
				order = append(order, t)
			}
		}
	}
	if len(order) < len(g.threads) {
		for _, t := range g.threads {
			if t != first {
				order = append(order, t)
			}
		}
	}
	for _, t := range order {
		if !t.exiting {
			k.finishExit(t)
		}
	}
}

// finishExit is the rest of do_exit for a task already marked exiting: it
// releases the task's mm (waking a vfork parent, VFORK-2, EXIT-3), fds and
// other objects, hands its children to a new reaper (REAP-1), and then
// either leaves a zombie leader or releases a non-leader at once (EXIT-2).
// When the last thread goes, the process is notified to its parent (SIG-4).
func (k *Kernel) finishExit(t *task) {
	k.touchGroup(t.group)
	// exit_signals: signals t was told of go to a sibling (delivery.go).
	k.exitSignals(t)
	t.exiting = true
	t.sigpending = false
	// The signals queued for this thread alone (tgkill, tkill, SIGPIPE)
	// are dropped with it: a zombie's SigPnd reads empty, blocked ones
	// included, on this machine's 6.18 (docs/libc.md SIG-5b); a SIGKILL a
	// later group exit adds to a zombie leader stays (completeSignal).
	t.pending = 0
	t.state, t.wait = abi.Running, nil // a sleep ends with the task
	t.ret, t.retCall = nil, ""
	// exit_mm → mm_release: clear_child_tid's store and futex wake, then a
	// vfork parent is woken, before exit_notify sends this task's exit
	// signal; the parent runs after this task has finished exiting
	// (Kernel.runq), so a SIGCHLD already pending for it and this exit's
	// SIGCHLD merge.
	k.mmRelease(t, t.mm)
	for _, tid := range k.sortedTids() {
		if c := k.tasks[tid]; c.vforkParent == t {
			c.vforkParent = nil // wait_for_vfork_done: the killed parent lets go
		}
	}
	t.mm = nil
	// exit_files: the last fd on a pipe's end closes it (pipe_release).
	t.files, t.sighand, t.fs = nil, nil, nil
	k.wakePipes()
	k.reparentChildren(t)
	g := t.group
	if t == g.leader {
		t.state = abi.Zombie
		if len(g.threads) == 1 {
			k.processDead(g)
		}
		return
	}
	k.release(t)
	if g.leader.state == abi.Zombie && len(g.threads) == 1 {
		// release_task of the last thread notifies for the waiting leader
		// (delay_group_leader, EXIT-2).
		k.processDead(g)
	}
}

// releaseVforkParent wakes the thread frozen in vfork on t, if any
// (VFORK-2), and returns it.
func (k *Kernel) releaseVforkParent(t *task) *task {
	p := t.vforkParent
	if p == nil {
		return nil
	}
	if p.state == abi.VforkFrozen {
		p.state = abi.Running
		k.enqueue(p) // complete_vfork_done wakes it
	}
	t.vforkParent = nil
	return p
}

// release removes a task from the world (release_task). If complete_signal
// would have started its search at t, it starts at the next thread now
// (__exit_signal).
func (k *Kernel) release(t *task) {
	k.touched(t.tid)
	g := t.group
	if g.currTarget == t {
		g.currTarget = g.nextThread(t)
	}
	delete(k.tasks, t.tid)
	g.removeThread(t)
}

// processDead makes g a waitable zombie and notifies its parent
// (exit_notify, EXIT-3, SIG-4, WAIT-5).
func (k *Kernel) processDead(g *group) {
	g.dead = true
	// The shared pending set stays until the zombie is reaped
	// (__exit_signal flushes it in release_task), as /proc/PID/status
	// ShdPnd shows on 6.18.
	k.notifyParent(g)
}

// notifyParent is do_notify_parent for the dead process g: a non-SIGCHLD
// exit signal becomes SIGCHLD when the parent has exec'd since the child was
// created (parent_exec_id); if the signal is SIGCHLD and the parent's group
// has SIGCHLD at SIG_IGN or with SA_NOCLDWAIT, g is reaped at once (with
// SIG_IGN no signal is sent, WAIT-5). Otherwise a valid nonzero signal goes
// to the parent's process (SIG-4; 0 notifies nobody, CLONE-6).
func (k *Kernel) notifyParent(g *group) {
	p := g.parent
	if p == nil || p.sighand == nil {
		return
	}
	sig := g.exitSignal
	if sig != abi.SIGCHLD && g.parentExecID != p.selfExecID {
		sig = abi.SIGCHLD
	}
	autoreap := false
	if sig == abi.SIGCHLD {
		a := p.sighand.actions[abi.SIGCHLD]
		if a.handler == abi.SigIgnore || a.flags&abi.SA_NOCLDWAIT != 0 {
			autoreap = true
			if a.handler == abi.SigIgnore {
				sig = 0
			}
		}
	}
	if sig >= 1 && sig <= abi.NSIG {
		k.sendSignal(p, sig)
	}
	if autoreap {
		k.reap(g)
	}
	k.wakeParent(g, p)
}

// reap removes the dead process g's zombie leader (release_task).
func (k *Kernel) reap(g *group) {
	for _, t := range append([]*task(nil), g.threads...) {
		k.release(t)
	}
}

// reparentChildren hands the children of the exiting thread father to its
// new reaper (forget_original_parent, REAP-1). A child moved to another
// group gets SIGCHLD as its exit signal and, if already a dead zombie, is
// notified to its new parent at once (reparent_leader, REAP-2).
func (k *Kernel) reparentChildren(father *task) {
	kids := k.childrenOf(father)
	if len(kids) == 0 {
		return
	}
	reaper := k.findNewReaper(father)
	for _, c := range kids {
		k.touchGroup(c) // every thread's Ppid, the leader's exit signal
		c.parent = reaper
		c.parentSeq = k.nextSeq // list_splice_tail_init onto the reaper's list
		k.nextSeq++
		if reaper == nil || reaper.group == father.group {
			continue // a threaded reparent notifies nobody
		}
		c.exitSignal = abi.SIGCHLD
		if c.dead {
			k.notifyParent(c)
		}
	}
}

// childrenOf returns the processes whose parent thread is p, in the order
// of p's children list (parentSeq).
func (k *Kernel) childrenOf(p *task) []*group {
	var kids []*group
	for _, g := range k.groups() {
		if g.parent == p {
			kids = append(kids, g)
		}
	}
	slices.SortFunc(kids, func(a, b *group) int { return cmp.Compare(a.parentSeq, b.parentSeq) })
	return kids
}

// findNewReaper picks the new parent thread for father's children
// (find_new_reaper, REAP-1): a live thread of father's own group; else a
// live thread of the nearest ancestor process marked subreaper (walking
// real_parent, stopping at init); else the namespace's child reaper.
func (k *Kernel) findNewReaper(father *task) *task {
	if th := father.group.firstAlive(); th != nil {
		return th
	}
	p := father.group.parent
	for steps := 0; p != nil && steps <= len(k.tasks); steps++ {
		if p.group.isInit() {
			break
		}
		if p.group.subreaper {
			if th := p.group.firstAlive(); th != nil {
				return th
			}
		}
		p = p.group.parent
	}
	return k.childReaper()
}

// childReaper is the namespace init's reaping thread: task 1 while it lives,
// else the first live thread of its group (find_child_reaper moves
// pid_ns->child_reaper to find_alive_thread when the reaper exits).
func (k *Kernel) childReaper() *task {
	if t, ok := k.tasks[1]; ok {
		return t.group.firstAlive()
	}
	return nil
}
