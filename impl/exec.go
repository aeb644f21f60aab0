package impl

import "github.com/forkspec/forkspec/abi"

// sysExecve is execve(2) of an image from the fixed table (EXEC-*). The new
// address space is built first: a name not in the table is ENOENT and a
// pool too small for the image is ENOMEM, both before the point of no
// return, with nothing changed (EXEC-2, VFORK-2: no release).
func (k *Kernel) sysExecve(t *task, name string) abi.Result {
	img, ok := abi.Images[name]
	if !ok {
		return abi.Fail(abi.ENOENT)
	}
	nm, ok := k.buildImage(img)
	if !ok {
		return abi.Fail(abi.ENOMEM)
	}
	// Point of no return (begin_new_exec).
	k.deThread(t)
	old := t.mm
	t.mm = nm
	k.mmRelease(t, old, true) // exec_mmap → mm_release (EXEC-6, CLONE-8c)
	k.mmput(old)              // CLONE_VM partners keep the old mm (EXEC-1)
	if t.files.refs > 1 {     // EXEC-4: unshare_files first
		nf := k.copyFiles(t.files)
		k.putFiles(t.files)
		t.files = nf
	}
	for fd := range t.files.fds {
		if t.files.fds[fd].cloexec {
			k.closeSlot(t.files, fd)
		}
	}
	if t.sh.refs > 1 { // EXEC-3: unshare_sighand
		t.sh.refs--
		t.sh = &sighand{id: k.newID(), refs: 1, act: t.sh.act}
	}
	t.sh.flushHandlers()
	t.exitSignal = abi.SIGCHLD
	t.image = name
	t.selfExecID++
	return abi.Result{Outcome: abi.OutcomeExeced}
}

// deThread kills every other thread of t's group; when t is not the leader
// it takes over the group's pid and the old leader vanishes without a
// notification (EXEC-5, de_thread).
func (k *Kernel) deThread(t *task) {
	k.touchGroup(t.g)
	g := t.g
	var others []*task
	for _, o := range g.threads {
		if o != t && o.live() {
			others = append(others, o)
		}
	}
	// zap_other_threads: each is told SIGKILL, then exits in turn, in tid
	// order; its children pass to a sibling not yet exited and finally to
	// t. An exec is no group exit, so each hands on the pending signals it
	// does not block (exit_signals), in the end to t, which takes them in
	// the new image (caught ones are back at SIG_DFL by then).
	for _, o := range others {
		o.tif = true
	}
	for _, o := range others {
		if o.live() {
			k.doExit(o)
		}
	}
	if old := g.leader; old != t {
		delete(k.tasks, old.tid)
		g.removeThread(old)
		delete(k.tasks, t.tid)
		t.tid = g.tgid
		k.tasks[t.tid] = t
		g.leader = t
	}
}

// buildImage lays out an image's mappings in a fresh address space; pages
// with an initial value are stored to, so they hold their own frame
// (conventions "Memory"). ok is false, nothing allocated, when the pool is
// too small.
func (k *Kernel) buildImage(img abi.Image) (*mm, bool) {
	m, ok := k.newMM()
	if !ok {
		return nil, false
	}
	for _, im := range img.Mappings {
		// Mapped writable, filled, then given its protection (as the
		// oracle's loader does): private ones are accounted (MEM-3l).
		v := vma{start: im.Addr, end: im.Addr + im.Pages*abi.PageSize, prot: im.Prot, shared: im.Flags&abi.MAP_SHARED != 0,
			execOnly: im.Prot == abi.PROT_EXEC}
		v.accounted = !v.shared
		if v.shared {
			v.shm = k.newShmem()
		}
		m.vmas.insert(v)
		for i, val := range im.Values {
			if val == 0 {
				continue
			}
			va := im.Addr + uint64(i)*abi.PageSize
			l, x, ok := m.pt.leaf(va, &k.frames)
			if !ok {
				k.destroyMM(m)
				return nil, false
			}
			f, ok := k.frames.alloc()
			if !ok {
				k.destroyMM(m)
				return nil, false
			}
			k.frames.meta(f).val = val
			if v.shared {
				v.shm.pages[uint64(i)] = f
				k.mapShared(&v, l, x, f)
				continue
			}
			k.frames.meta(f).mapc = 1
			bits := pte(0)
			if v.writable() {
				bits = pteWrite
			}
			setLeaf(l, x, mkPTE(f, bits))
		}
	}
	m.vmas.merge()
	return m, true
}
