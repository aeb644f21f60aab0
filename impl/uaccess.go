package impl

import "github.com/forkspec/forkspec/abi"

// Kernel accesses to user memory that are not the trace's own loads and
// stores: put_user of a tid (clone's tid pointers, mm_release), get_user
// of a futex word, and get_user_pages_fast's faults for a shared futex.
// The word at a page's start is the page's value; a 32-bit access is its
// low half (x86-64 is little-endian).

// faultWrite is a write fault on the page va of m (vma i) that keeps the
// page's value: it returns the frame now mapped writable, or nil when the
// pool is empty (the access then fails, as a fault that cannot be served).
func (k *Kernel) faultWrite(m *mm, i int, va uint64) *frameMeta {
	if l, x := m.pt.lookup(va); l != nil {
		if e := l.ent[x]; e.present() && e.writable() {
			return k.frames.meta(e.frame())
		}
	}
	v := &m.vmas[i]
	l, x, ok := m.pt.leaf(va, &k.frames)
	if !ok {
		m.pt.prune(va, &k.frames)
		return nil
	}
	e := l.ent[x]
	switch {
	case v.shared && e.present():
		l.ent[x] = e | pteWrite
		return k.frames.meta(e.frame())
	case v.shared:
		f, ok := k.shmFrame(v, va)
		if !ok {
			m.pt.prune(va, &k.frames)
			return nil
		}
		k.mapShared(v, l, x, f)
		return k.frames.meta(f)
	case e.present() && e.frame() != zeroFrame && k.frames.meta(e.frame()).ref == 1:
		l.ent[x] = (e | pteWrite) &^ pteCOW // COW-3: reuse
		k.stats.COWReuses++
		return k.frames.meta(e.frame())
	}
	nf, ok := k.frames.alloc()
	if !ok {
		m.pt.prune(va, &k.frames)
		return nil
	}
	nm := k.frames.meta(nf)
	nm.mapc = 1
	if e.present() && e.frame() != zeroFrame {
		om := k.frames.meta(e.frame()) // COW-2: copy the old contents
		nm.val = om.val
		om.ref--
		om.mapc--
		k.stats.COWCopies++
	} else {
		k.stats.ZeroFills++
	}
	setLeaf(l, x, mkPTE(nf, pteWrite))
	return nm
}

// faultRead is a read access to the page va of m (vma i) as get_user or a
// read-only get_user_pages does: the value, mapping the zero frame for an
// untouched private page and the object's frame for a shared one; ok is
// false when the pool is empty.
func (k *Kernel) faultRead(m *mm, i int, va uint64) (uint64, bool) {
	if l, x := m.pt.lookup(va); l != nil && l.ent[x].present() {
		return k.frames.meta(l.ent[x].frame()).val, true
	}
	v := &m.vmas[i]
	l, x, ok := m.pt.leaf(va, &k.frames)
	if !ok {
		m.pt.prune(va, &k.frames)
		return 0, false
	}
	if v.shared {
		f, ok := k.shmFrame(v, va)
		if !ok {
			m.pt.prune(va, &k.frames)
			return 0, false
		}
		k.mapShared(v, l, x, f)
		return k.frames.meta(f).val, true
	}
	setLeaf(l, x, mkPTE(zeroFrame, 0))
	k.stats.ZeroMaps++
	return 0, true
}

// userReadable is whether a kernel read of vma v succeeds (no PROT_NONE, no
// execute-only pkey on a CPU with PKU).
func (k *Kernel) userReadable(v *vma) bool {
	return v.readable() && !(v.execOnly && k.cfg.PKU == abi.FeaturePresent)
}

// putUser32 stores val in the low half of the word at the page of addr in
// m, when the page is writable; a store that faults is ignored, as the
// kernel ignores put_user's result for tid pointers.
func (k *Kernel) putUser32(m *mm, addr uint64, val uint32) {
	va := addr &^ (abi.PageSize - 1)
	i := m.vmas.find(va)
	if i < 0 || !m.vmas[i].writable() {
		return
	}
	if fm := k.faultWrite(m, i, va); fm != nil {
		fm.val = fm.val&^0xffffffff | uint64(val)
	}
}
