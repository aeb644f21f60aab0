package impl

import "github.com/forkspec/forkspec/abi"

// sysLoad reads the word at the start of addr's page (MEM-3). An untouched
// private page maps the shared zero frame; a MAP_SHARED page gets its
// object's frame, allocated at first touch (COW-7).
func (k *Kernel) sysLoad(t *task, addr uint64) abi.Result {
	va := addr &^ (abi.PageSize - 1)
	m := t.mm
	i := m.vmas.find(va)
	if i < 0 || !m.vmas[i].readable() {
		return k.segv(t)
	}
	if m.vmas[i].execOnly && k.cfg.PKU == abi.FeaturePresent {
		return k.segv(t) // MEM-3i: the execute-only pkey denies loads
	}
	if l, x := m.pt.lookup(va); l != nil && l.ent[x].present() {
		return abi.Ok(k.frames.meta(l.ent[x].frame()).val)
	}
	v := &m.vmas[i]
	l, x, ok := m.pt.leaf(va, &k.frames)
	if !ok {
		m.pt.prune(va, &k.frames)
		return k.oom(t)
	}
	if v.shared {
		f, ok := k.shmFrame(v, va)
		if !ok {
			m.pt.prune(va, &k.frames)
			return k.oom(t)
		}
		k.mapShared(v, l, x, f)
		return abi.Ok(k.frames.meta(f).val)
	}
	setLeaf(l, x, mkPTE(zeroFrame, 0))
	k.stats.ZeroMaps++
	return abi.Ok(0)
}

// shmFrame returns the frame of v's object for page va, allocating it at
// first touch; ok is false when the pool is empty.
func (k *Kernel) shmFrame(v *vma, va uint64) (uint32, bool) {
	idx := v.shmPage(va)
	if f, ok := v.shm.pages[idx]; ok {
		return f, true
	}
	f, ok := k.frames.alloc()
	if !ok {
		return 0, false
	}
	k.touchAll() // every mm mapping the object sees the frame
	v.shm.pages[idx] = f
	k.stats.SharedFills++
	return f, true
}

// mapShared maps shared-object frame f at leaf slot x: a mapping reference
// on top of the object's own (COW-4: never copied).
func (k *Kernel) mapShared(v *vma, l *ptPage, x int, f uint32) {
	fm := k.frames.meta(f)
	fm.ref++
	fm.mapc++
	bits := pteShared
	if v.writable() {
		bits |= pteWrite
	}
	setLeaf(l, x, mkPTE(f, bits))
}

// sysStore writes value to the word at the start of addr's page (MEM-3).
// The write fault handles copy-on-write: a frame with other users is copied
// (COW-2), an exclusive one reused (COW-3), the zero frame or an absent page
// replaced by a fresh frame (COW-7).
func (k *Kernel) sysStore(t *task, addr, value uint64) abi.Result {
	va := addr &^ (abi.PageSize - 1)
	m := t.mm
	i := m.vmas.find(va)
	if i < 0 || !m.vmas[i].writable() {
		return k.segv(t)
	}
	l, x := m.pt.lookup(va)
	if l != nil {
		if e := l.ent[x]; e.present() && e.writable() {
			if m.vmas[i].shared {
				k.touchAll() // every mm mapping the object sees the value
			}
			k.frames.meta(e.frame()).val = value
			return abi.Ok(0)
		}
	}
	v := &m.vmas[i]
	{
		// Walk again to a table this mm may change: absent levels are
		// allocated, a table shared by on-demand fork unshared or
		// reused (ondemand.go).
		var ok bool
		if l, x, ok = m.pt.leaf(va, &k.frames); !ok {
			m.pt.prune(va, &k.frames)
			return k.oom(t)
		}
	}
	e := l.ent[x]
	if v.shared {
		k.touchAll() // every mm mapping the object sees the value
	}
	switch {
	case v.shared && e.present():
		l.ent[x] = e | pteWrite
		k.frames.meta(e.frame()).val = value
	case v.shared:
		f, ok := k.shmFrame(v, va)
		if !ok {
			m.pt.prune(va, &k.frames)
			return k.oom(t)
		}
		k.mapShared(v, l, x, f)
		k.frames.meta(f).val = value
	case e.present() && e.frame() != zeroFrame && k.frames.meta(e.frame()).ref == 1:
		// COW-3: this mapping is the frame's only user: reuse in place.
		l.ent[x] = (e | pteWrite) &^ pteCOW
		k.frames.meta(e.frame()).val = value
		k.stats.COWReuses++
	default:
		nf, ok := k.frames.alloc()
		if !ok {
			m.pt.prune(va, &k.frames)
			return k.oom(t)
		}
		nm := k.frames.meta(nf)
		nm.mapc = 1
		nm.val = value
		if e.present() && e.frame() != zeroFrame {
			// COW-2: copy; the old frame keeps its other users.
			om := k.frames.meta(e.frame())
			om.ref--
			om.mapc--
			k.stats.COWCopies++
		} else {
			k.stats.ZeroFills++
		}
		setLeaf(l, x, mkPTE(nf, pteWrite))
	}
	return abi.Ok(0)
}

// segv is a bad access: SIGSEGV forced on the group (force_sig_fault, MEM-3,
// EXIT-4). Task 1's group cannot die and an unblocked SIGSEGV handler would
// re-fault forever: both were refused before the step (abi.Refusal).
func (k *Kernel) segv(t *task) abi.Result {
	blocked := t.blocked.Has(abi.SIGSEGV)
	// force_sig_info_to_task: a blocked or ignored SIGSEGV is reset to
	// SIG_DFL in the (possibly shared) table and unblocked in the thread.
	a := &t.sh.act[abi.SIGSEGV]
	if blocked || a.handler == abi.SigIgnore {
		a.handler = abi.SigDefault
		t.blocked &^= abi.SigBit(abi.SIGSEGV)
	}
	k.killGroup(t.g, abi.SIGSEGV, t, true) // get_signal → do_group_exit
	return abi.Result{Outcome: abi.OutcomeKilled, Signal: abi.SIGSEGV}
}

// oom handles a fault that found no free frame. Linux's fault path returns
// VM_FAULT_OOM and the OOM killer picks a victim; forkspec's choice is
// deterministic: SIGKILL to the faulting group. Task 1's group is never
// killed: the step is refused unsupported, nothing having changed (the
// tables allocated on the way were pruned by the caller).
func (k *Kernel) oom(t *task) abi.Result {
	k.touchGroup(t.g)
	if t.g.tgid == 1 {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	k.stats.OOMKills++
	k.killGroup(t.g, abi.SIGKILL, t, false) // SIGKILL to the group: complete_signal wakes them in order
	return abi.Result{Outcome: abi.OutcomeKilled, Signal: abi.SIGKILL}
}
