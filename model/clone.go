package model

import "github.com/forkspec/forkspec/abi"

// cloneArgs are the arguments every task-creating call reduces to
// (kernel_clone_args): CLONE_* flags and the termination signal.
type cloneArgs struct {
	flags      uint64
	exitSignal int
	// ptid and ctid are the parent_tid and child_tid pointers (0: NULL);
	// pidfd is the pidfd pointer: the legacy clone passes parent_tid for
	// it, clone3's is NULL (abi.Clone3).
	ptid, ctid, pidfd uint64
}

// sysLegacyClone is clone(2): Linux keeps only the low 32 bits of the flags
// (lower_32_bits in the clone syscall), and the low byte is the
// termination signal, any value 0..255 (CLONE-6).
func (k *Kernel) sysLegacyClone(t *task, s abi.Clone) abi.Result {
	f := s.Flags & 0xffffffff
	return k.sysClone(t, cloneArgs{flags: f &^ abi.CSIGNAL, exitSignal: int(f & abi.CSIGNAL), ptid: s.Ptid, ctid: s.Ctid, pidfd: s.Ptid})
}

// sysClone3 is clone3(2): clone3_args_valid and copy_clone_args_from_user
// reject, all with EINVAL (CLONE-7): unknown flag bits (6.18 knows none
// above CLONE_INTO_CGROUP); CLONE_DETACHED and the CSIGNAL bits, which
// clone3 reserves; an exit_signal outside 0..NSIG (bits above the CSIGNAL
// byte included); CLONE_SIGHAND with CLONE_CLEAR_SIGHAND; CLONE_THREAD or
// CLONE_PARENT with a nonzero exit_signal.
func (k *Kernel) sysClone3(t *task, s abi.Clone3) abi.Result {
	switch {
	case s.Flags&^abi.CloneKnown != 0,
		s.Flags&(abi.CLONE_DETACHED|(abi.CSIGNAL&^abi.CLONE_NEWTIME)) != 0,
		s.ExitSignal > abi.NSIG,
		s.Flags&(abi.CLONE_SIGHAND|abi.CLONE_CLEAR_SIGHAND) == abi.CLONE_SIGHAND|abi.CLONE_CLEAR_SIGHAND,
		s.Flags&(abi.CLONE_THREAD|abi.CLONE_PARENT) != 0 && s.ExitSignal != 0:
		return abi.Fail(abi.EINVAL)
	}
	return k.sysClone(t, cloneArgs{flags: s.Flags, exitSignal: int(s.ExitSignal), ptid: s.Ptid, ctid: s.Ctid})
}

// sysClone is copy_process for fork, vfork, clone and clone3 (Linux 6.18).
//
// Validation, first failure wins (CLONE-7): kernel_clone rejects
// CLONE_PIDFD with CLONE_PARENT_SETTID when the two would write through
// the same pointer (always for the legacy clone, which passes parent_tid
// for both; for clone3, whose pidfd pointer is NULL, when parent_tid is
// NULL too); copy_process rejects CLONE_NEWNS or
// CLONE_NEWUSER with CLONE_FS, CLONE_THREAD without CLONE_SIGHAND,
// CLONE_SIGHAND without CLONE_VM, CLONE_PARENT from init's group
// (SIGNAL_UNKILLABLE), CLONE_THREAD with CLONE_NEWUSER or CLONE_NEWPID, and
// CLONE_PIDFD with CLONE_DETACHED — all EINVAL. CLONE_PIDFD with
// CLONE_THREAD is valid since Linux 6.9 (CLONE-7d). Flags forkspec does
// not model, a stop signal as termination signal and a fork whose commit
// charge is uncertain were refused before the step (abi.Refusal). Then the
// task limit is EAGAIN (FORK-7). Nothing is created on failure and no pid
// is used. The flags of abi.CloneNoEffect change nothing.
func (k *Kernel) sysClone(t *task, a cloneArgs) abi.Result {
	f := a.flags
	has := func(bits uint64) bool { return f&bits == bits }
	switch {
	case has(abi.CLONE_PIDFD|abi.CLONE_PARENT_SETTID) && a.pidfd == a.ptid,
		has(abi.CLONE_NEWNS | abi.CLONE_FS),
		has(abi.CLONE_NEWUSER | abi.CLONE_FS),
		has(abi.CLONE_THREAD) && !has(abi.CLONE_SIGHAND),
		has(abi.CLONE_SIGHAND) && !has(abi.CLONE_VM),
		has(abi.CLONE_PARENT) && t.group.isInit(),
		has(abi.CLONE_THREAD) && f&(abi.CLONE_NEWUSER|abi.CLONE_NEWPID) != 0,
		has(abi.CLONE_PIDFD | abi.CLONE_DETACHED):
		return abi.Fail(abi.EINVAL)
	}
	// copy_process: "Force any signals received before this point to be
	// delivered before the fork happens": recalc_sigpending on the caller,
	// and a pending signal it can take — one complete_signal woke a frozen
	// sibling for included — restarts the call after the caller has taken
	// its signals (ERESTARTNOINTR). If one kills the group, nothing is
	// created.
	if k.recalcSigpending(t) {
		k.getSignal(t)
		if t.exiting {
			return abi.Result{Outcome: abi.OutcomeKilled, Signal: t.group.killSig}
		}
	}
	if len(k.tasks)+1 > k.limit {
		return abi.Fail(abi.EAGAIN) // FORK-7
	}

	// FORK-1: a copy of the calling thread only; the mask is the caller's,
	// pending is empty (FORK-3).
	c := &task{tid: k.allocTid(), state: abi.Running, blocked: t.blocked, selfExecID: t.selfExecID}
	// CLONE-1, FORK-2, VFORK-3, VFORK-7: share or copy the address space.
	if has(abi.CLONE_VM) {
		c.mm = t.mm
	} else {
		c.mm = k.dupMm(t.mm)
	}
	// CLONE-2, FORK-4, VFORK-4: share or copy the fd table.
	if has(abi.CLONE_FILES) {
		c.files = t.files
	} else {
		c.files = k.copyFdTable(t.files)
	}
	// CLONE-3: share or copy the fs struct (umask).
	if has(abi.CLONE_FS) {
		c.fs = t.fs
	} else {
		c.fs = &fsInfo{id: k.newID(), umask: t.fs.umask}
	}
	// CLONE-4, FORK-3: share or copy the dispositions; CLONE_CLEAR_SIGHAND
	// resets caught ones in the copy (copy_sighand → flush_signal_handlers).
	if has(abi.CLONE_SIGHAND) {
		c.sighand = t.sighand
	} else {
		c.sighand = k.copySighand(t.sighand)
		if has(abi.CLONE_CLEAR_SIGHAND) {
			c.sighand.flushHandlers()
		}
	}

	if has(abi.CLONE_THREAD) {
		// THR-1: the thread joins the caller's group; threads are detached
		// (exit signal -1, THR-2) and share the group's parent.
		c.group = t.group
		t.group.insertThread(c)
	} else {
		g := &group{tgid: c.tid, leader: c, threads: []*task{c}, image: t.group.image, handled: map[int]int{}}
		g.currTarget = c // copy_signal
		if has(abi.CLONE_PARENT) {
			// CLONE-5: the caller's parent is the parent, and the exit
			// signal is the caller's group leader's.
			g.parent = t.group.parent
			g.parentExecID = t.group.parentExecID
			g.exitSignal = t.group.exitSignal
		} else {
			// THR-3: the child of a thread is a child of the whole group
			// (its parent thread is the caller; any thread may wait).
			g.parent = t
			g.parentExecID = t.selfExecID
			g.exitSignal = a.exitSignal // FORK-5, CLONE-6
		}
		g.parentSeq = k.nextSeq
		k.nextSeq++
		c.group = g
	}
	k.tasks[c.tid] = c

	// CLONE-8: the tid pointers (copy_process, kernel_clone, schedule_tail).
	// The child registers its clear_child_tid; the parent's kernel_clone
	// stores the child's tid at parent_tid in the parent's memory (after
	// the copy: a fork child does not see it); the child, when it first
	// runs, stores its tid at child_tid in its own. Stores that fault are
	// ignored.
	if has(abi.CLONE_CHILD_CLEARTID) {
		c.clearChildTid = a.ctid
	}
	if has(abi.CLONE_PARENT_SETTID) && a.ptid != 0 {
		k.putUser32(t.mm, a.ptid, uint32(c.tid))
	}
	if has(abi.CLONE_CHILD_SETTID) && a.ctid != 0 {
		k.putUser32(c.mm, a.ctid, uint32(c.tid))
	}

	if has(abi.CLONE_VFORK) {
		// VFORK-2, VFORK-6: only the calling thread freezes until the
		// child's exec or exit releases its mm.
		c.vforkParent = t
		t.state = abi.VforkFrozen
		return abi.Result{Ret: uint64(c.tid), Outcome: abi.OutcomeFrozen}
	}
	return abi.Ok(uint64(c.tid))
}
