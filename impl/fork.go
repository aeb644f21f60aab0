package impl

import "github.com/forkspec/forkspec/abi"

// sysClone3 is clone3(2): clone3_args_valid's and copy_clone_args_from_user's
// checks, then the common path (CLONE-7, conventions "Order of checks").
func (k *Kernel) sysClone3(t *task, c abi.Clone3) abi.Result {
	f := c.Flags
	switch {
	case f&^abi.CloneKnown != 0,
		f&(abi.CLONE_DETACHED|(abi.CSIGNAL&^abi.CLONE_NEWTIME)) != 0: // clone3 reserves them
		return abi.Fail(abi.EINVAL)
	case c.ExitSignal > abi.NSIG:
		return abi.Fail(abi.EINVAL)
	case f&(abi.CLONE_SIGHAND|abi.CLONE_CLEAR_SIGHAND) == abi.CLONE_SIGHAND|abi.CLONE_CLEAR_SIGHAND:
		return abi.Fail(abi.EINVAL)
	case f&(abi.CLONE_THREAD|abi.CLONE_PARENT) != 0 && c.ExitSignal != 0:
		return abi.Fail(abi.EINVAL)
	}
	return k.sysClone(t, f, int(c.ExitSignal), c.Ptid, c.Ctid, 0)
}

// sysClone is copy_process for fork, vfork, clone and clone3 (Linux 6.18):
// flags are the CLONE_* bits, sig the requested termination signal (FORK-*,
// VFORK-*, CLONE-*, THR-1). kernel_clone's and copy_process's EINVAL checks
// first (CLONE-7; CLONE_PIDFD with CLONE_THREAD is valid since 6.9); flags
// outside abi.CloneModelled, a stop signal as termination signal and an
// uncertain fork commit charge were refused before the step (abi.Refusal).
// Nothing is created on failure.
//
// pidfd is the pidfd pointer: parent_tid for the legacy clone, NULL for
// clone3.
func (k *Kernel) sysClone(t *task, flags uint64, sig int, ptid, ctid, pidfd uint64) abi.Result {
	has := func(f uint64) bool { return flags&f != 0 }
	switch {
	case has(abi.CLONE_PIDFD) && has(abi.CLONE_PARENT_SETTID) && pidfd == ptid, // kernel_clone: pidfd == parent_tid
		has(abi.CLONE_NEWNS) && has(abi.CLONE_FS),
		has(abi.CLONE_NEWUSER) && has(abi.CLONE_FS),
		has(abi.CLONE_THREAD) && !has(abi.CLONE_SIGHAND),
		has(abi.CLONE_SIGHAND) && !has(abi.CLONE_VM),
		has(abi.CLONE_PARENT) && t.g.tgid == 1, // SIGNAL_UNKILLABLE (CLONE-7)
		has(abi.CLONE_THREAD) && has(abi.CLONE_NEWUSER|abi.CLONE_NEWPID),
		has(abi.CLONE_PIDFD) && has(abi.CLONE_DETACHED):
		return abi.Fail(abi.EINVAL)
	}
	// copy_process: "Force any signals received before this point to be
	// delivered before the fork happens": recalc_sigpending on the caller;
	// a pending signal it can take (one aimed at a frozen sibling too)
	// makes it take its signals and restart the call (ERESTARTNOINTR). If
	// one kills the group, nothing is created.
	if (t.pending|t.g.pending)&^t.blocked != 0 {
		k.takeSignals(t)
		if t.exiting {
			return abi.Result{Outcome: abi.OutcomeKilled, Signal: t.g.killSig}
		}
	}
	if len(k.tasks) >= k.cfg.Limit() {
		return abi.Fail(abi.EAGAIN) // FORK-7
	}
	var m *mm
	if has(abi.CLONE_VM) {
		m = t.mm
		m.users++
	} else {
		var ok bool
		if m, ok = k.dupMM(t.mm); !ok {
			k.stats.ForkENOMEM++
			return abi.Fail(abi.ENOMEM)
		}
	}
	// dup_task_struct copies the whole task: self_exec_id included.
	c := &task{tid: k.allocPid(), blocked: t.blocked, image: t.image, mm: m, selfExecID: t.selfExecID, parentExecID: t.selfExecID}
	if has(abi.CLONE_PARENT | abi.CLONE_THREAD) {
		c.parentExecID = t.parentExecID
	}
	if has(abi.CLONE_FILES) {
		c.files = t.files
		c.files.refs++
	} else {
		c.files = k.copyFiles(t.files)
	}
	if has(abi.CLONE_FS) {
		c.fs = t.fs
		c.fs.refs++
	} else {
		c.fs = &fsStruct{id: k.newID(), refs: 1, umask: t.fs.umask}
	}
	if has(abi.CLONE_SIGHAND) {
		c.sh = t.sh
		c.sh.refs++
	} else {
		c.sh = &sighand{id: k.newID(), refs: 1, act: t.sh.act}
		if has(abi.CLONE_CLEAR_SIGHAND) {
			c.sh.flushHandlers() // copy_sighand: flush_signal_handlers(tsk, 0)
		}
	}
	switch {
	case has(abi.CLONE_THREAD):
		c.g = t.g
		c.exitSignal = -1
		c.g.threads = append(c.g.threads, c) // the newest tid is the largest
	default:
		g := &group{tgid: c.tid, leader: c, threads: []*task{c}, parent: t, parentSeq: k.nextSeq, target: c}
		k.nextSeq++
		c.exitSignal = sig
		if has(abi.CLONE_PARENT) {
			g.parent = t.g.parent
			c.exitSignal = t.g.leader.exitSignal // CLONE-5
		}
		c.g = g
	}
	k.tasks[c.tid] = c
	// Tid pointers: clear_child_tid registered, the parent's put_user in
	// kernel_clone, the child's in schedule_tail (CLONE-8).
	if has(abi.CLONE_CHILD_CLEARTID) {
		c.ctid = ctid
	}
	if has(abi.CLONE_PARENT_SETTID) && ptid != 0 {
		k.putUser32(t.mm, ptid, uint32(c.tid))
	}
	if has(abi.CLONE_CHILD_SETTID) && ctid != 0 {
		k.putUser32(c.mm, ctid, uint32(c.tid))
	}
	if has(abi.CLONE_VFORK) {
		t.state = stateFrozen // VFORK-2: only the calling thread (VFORK-6)
		t.vforkChild = c
		c.vforkParent = t
		return abi.Result{Ret: uint64(c.tid), Outcome: abi.OutcomeFrozen}
	}
	return abi.Ok(uint64(c.tid))
}

// flushHandlers resets caught signals to SIG_DFL, keeps ignored ones, and
// clears every sa_flags (flush_signal_handlers with force_default 0).
func (s *sighand) flushHandlers() {
	for i := range s.act {
		if s.act[i].handler != abi.SigIgnore {
			s.act[i].handler = abi.SigDefault
		}
		s.act[i].flags = 0
	}
}

// dupMM copies an address space for fork (dup_mmap): every vma but DONTFORK
// ones; private PTEs shared copy-on-write (FORK-2, COW-1); MAP_SHARED ranges
// left to refault from their object (MEM-2); WIPEONFORK ranges empty but
// still marked (FORK-6). ok is false, with nothing left allocated, when the
// pool cannot hold the child's page tables.
func (k *Kernel) dupMM(src *mm) (*mm, bool) {
	m, ok := k.newMM()
	if !ok {
		return nil, false
	}
	for i := range src.vmas {
		v := &src.vmas[i]
		if v.dontfork {
			continue
		}
		m.vmas = append(m.vmas, *v)
		if v.shared {
			v.shm.refs++
			continue
		}
		if v.wipe {
			continue
		}
		if !m.pt.copyRange(&src.pt, v.start, v.end, &k.frames, k.copyLeaf, k.shareFn(src)) {
			k.destroyMM(m)
			return nil, false
		}
	}
	m.vmas.merge()
	return m, true
}

// copyLeaf copies entries [lo, hi) of one leaf page table (2 MiB) from s to
// the child's d (copy_pte_range): each data frame gains a reference and a
// mapping, and both entries become read-only copy-on-write. This is the one
// place fork copies PTEs, so that sharing whole leaf tables copy-on-write
// (on-demand fork) can replace it.
func (k *Kernel) copyLeaf(d, s *ptPage, lo, hi int) {
	if s.n == 0 {
		return
	}
	for i := lo; i < hi; i++ {
		e := s.ent[i]
		if !e.present() {
			continue
		}
		if f := e.frame(); f != zeroFrame {
			fm := k.frames.meta(f)
			fm.ref++
			fm.mapc++
			e = e&^pteWrite | pteCOW
			s.ent[i] = e
		}
		d.ent[i] = e
		d.n++
	}
}
