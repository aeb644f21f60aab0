package impl

import (
	"cmp"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// sysExit is the raw exit(2): only the calling thread ends (EXIT-2). When it
// is the group's last live thread its code becomes the group's status,
// unless an exit_group or fatal signal fixed one (synchronize_group_exit).
// Init's last thread was refused before the step (WORLD-1, abi.Refusal).
func (k *Kernel) sysExit(t *task, code int) abi.Result {
	g := t.g
	last := g.liveThreads() == 1
	if last && !g.exited {
		g.exited = true
		g.status = abi.WaitExited(code)
	}
	k.doExit(t)
	return abi.Result{Outcome: abi.OutcomeExited}
}

// sysExitGroup is exit_group(2): every thread ends; the first group exit's
// status wins (EXIT-1). Refused in init's group before the step (WORLD-1,
// abi.Refusal).
func (k *Kernel) sysExitGroup(t *task, code int) abi.Result {
	g := t.g
	k.endGroup(g, abi.WaitExited(code), t, true) // do_group_exit
	return abi.Result{Outcome: abi.OutcomeExited}
}

// killGroup ends g by signal sig (EXIT-4, THR-4) with wait status sig.
// taker is the thread that runs first (nil when none of g is on the CPU);
// rotate says the others were woken by do_group_exit's zap_other_threads,
// which goes round the list from the taker, rather than by complete_signal,
// which wakes them from the leader.
func (k *Kernel) killGroup(g *group, sig int, taker *task, rotate bool) {
	k.touchGroup(g)
	if g.exited || g.tgid == 1 {
		return
	}
	// The shared pending set stays until the zombie is reaped (__exit_signal
	// flushes it in release_task).
	g.killSig = sig
	k.endGroup(g, abi.WaitSignaled(sig), taker, rotate)
}

// endGroup ends every thread of g with group exit status status; the first
// group exit wins. The thread that started it (first, when not nil) exits
// first, then the others in wake order: round the list from first when
// rotate (zap_other_threads), else from the leader. Each is marked exiting
// only when it exits, so a thread's children pass to a sibling that has not
// exited yet and reach the new reaper with the last one
// (forget_original_parent, find_alive_thread).
func (k *Kernel) endGroup(g *group, status int, first *task, rotate bool) {
	k.touchGroup(g)
	if g.exited {
		return
	}
	g.exited, g.status, g.fatal = true, status, 0
	order := append([]*task(nil), g.threads...)
	if i := g.threadIndex(first); i >= 0 {
		if rotate {
			order = append(order[i:], order[:i]...)
		} else {
			order = append([]*task{first}, append(order[:i:i], order[i+1:]...)...)
		}
	}
	for _, t := range order {
		if t.live() {
			k.doExit(t)
		}
	}
}

// doExit is do_exit for one thread: release the mm (waking a vfork parent,
// EXIT-3), files and fs, hand children to a new reaper (REAP-1), then either
// vanish (a non-leader) or become a zombie, notifying the parent when the
// whole group is gone (exit_notify, release_task).
func (k *Kernel) doExit(t *task) {
	k.touchGroup(t.g)
	if t.sh == nil {
		return // already exited
	}
	// exit_signals: unless it is alone or its group exits as a whole, an
	// exiting thread that was told of signals passes on the ones it does not
	// block.
	if t.tif && !t.g.exited && len(t.g.threads) > 1 {
		k.handOff(t, ^t.blocked)
	}
	t.exiting = true
	t.tif = false
	// Its private queue goes with it (docs/libc.md SIG-5b).
	t.pending = 0
	if c := t.vforkChild; c != nil { // a frozen parent killed: the child runs on
		c.vforkParent = nil
		t.vforkChild = nil
	}
	k.endSleep(t) // a sleep ends with the task
	t.done, t.doneCall = nil, ""
	t.state = stateRunning
	m := t.mm
	t.mm = nil
	// mm_release: clear_child_tid, then complete_vfork_done wakes a vfork
	// parent, before exit_notify; it runs once this task has finished
	// exiting (runq), so a SIGCHLD already pending for it and this exit's
	// merge.
	k.mmRelease(t, m, false)
	k.mmput(m)
	k.putFiles(t.files)
	t.files = nil
	t.fs.refs--
	t.fs = nil
	k.forgetOriginalParent(t)
	g := t.g
	t.sh.refs--
	t.sh = nil
	if t != g.leader {
		g.removeThread(t)
		delete(k.tasks, t.tid)
		if g.leader.state == stateZombie && len(g.threads) == 1 {
			k.groupDead(g)
		}
		return
	}
	t.state = stateZombie
	if len(g.threads) == 1 {
		k.groupDead(g)
	}
}

// releaseVforkParent wakes the task frozen on t's vfork, if any (VFORK-2),
// and returns it.
func (k *Kernel) releaseVforkParent(t *task, byExec bool) *task {
	p := t.vforkParent
	if p == nil {
		return nil
	}
	t.vforkParent = nil
	p.vforkChild = nil
	if p.state == stateFrozen {
		p.state = stateRunning
		k.wake(p)
	}
	if byExec {
		k.stats.VforkByExec++
	} else {
		k.stats.VforkByExit++
	}
	return p
}

// groupDead notifies the parent that the process g ended: its leader is a
// zombie and no other thread is left (EXIT-3, SIG-4, WAIT-5).
func (k *Kernel) groupDead(g *group) {
	if !g.exited { // cannot happen: every path fixes the status first
		g.exited = true
	}
	if k.notifyParent(g.leader) {
		k.reap(g.leader)
	}
}

// notifyParent is do_notify_parent: send the leader's termination signal to
// its parent process, unless the parent ignores SIGCHLD (SIG_IGN or
// SA_NOCLDWAIT), in which case it reports that the child is to be reaped at
// once; with SIG_IGN no signal is sent (WAIT-5).
func (k *Kernel) notifyParent(leader *task) (autoreap bool) {
	p := leader.g.parent
	if p == nil {
		return false
	}
	sig := leader.exitSignal
	if sig != abi.SIGCHLD && leader.parentExecID != p.selfExecID {
		sig = abi.SIGCHLD // the parent exec'd since: no custom signal
	}
	sh := p.sh
	if sh == nil {
		sh = p.g.sighandOf()
	}
	if sig == abi.SIGCHLD && sh != nil {
		a := sh.act[abi.SIGCHLD]
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
	// __wake_up_parent: the parent group's threads asleep in wait4 for
	// this child (child_wait_callback's pid and __WNOTHREAD tests).
	for _, u := range p.g.threads {
		if w, ok := u.callOf().(abi.Wait4); ok {
			pid := i32(int64(w.Pid))
			if (pid == -1 || pid == int64(leader.g.tgid)) && (u32(w.Options)&uint64(wNothread) == 0 || u == p) {
				k.wake(u)
			}
		}
	}
	return autoreap
}

// reap removes a zombie leader and with it its process (release_task).
func (k *Kernel) reap(leader *task) {
	k.touchGroup(leader.g)
	delete(k.tasks, leader.tid)
	leader.g.threads = nil
}

// forgetOriginalParent moves the children of the exiting thread father to a
// new parent (REAP-1); one moved to another group gets SIGCHLD as its
// termination signal and, if already a zombie, is notified there (REAP-2).
func (k *Kernel) forgetOriginalParent(father *task) {
	kids := k.childrenOf(father)
	if len(kids) == 0 {
		return
	}
	reaper := k.findNewReaper(father)
	for _, g := range kids {
		k.touchGroup(g) // every thread's Ppid, the leader's exit signal
		g.parent = reaper
		g.parentSeq = k.nextSeq // list_splice_tail_init onto the reaper's list
		k.nextSeq++
		k.stats.Reparents++
		if reaper.g == father.g {
			continue
		}
		g.leader.exitSignal = abi.SIGCHLD // reparent_leader
		if g.leader.state == stateZombie && len(g.threads) == 1 {
			if k.notifyParent(g.leader) {
				k.reap(g.leader)
			}
		}
	}
}

// childrenOf returns the processes whose parent thread is p, in the order
// of p's children list.
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

// findNewReaper picks the new parent for father's children
// (find_new_reaper): a live thread of its own group, else of the nearest
// ancestor process marked subreaper, else the namespace init.
func (k *Kernel) findNewReaper(father *task) *task {
	if th := father.g.firstLive(); th != nil {
		return th
	}
	for p := father.g.parent; p != nil && p.g.tgid != 1; p = p.g.parent {
		if p.g.subreaper {
			if th := p.g.firstLive(); th != nil {
				return th
			}
		}
	}
	return k.childReaper()
}

// childReaper is the namespace init's reaper thread: task 1, or the first
// live thread of its group once task 1 itself has exited (find_child_reaper).
func (k *Kernel) childReaper() *task {
	t1 := k.tasks[1]
	if t1.live() {
		return t1
	}
	return t1.g.firstLive()
}
