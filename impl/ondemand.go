package impl

// On-demand fork (issue 8): fork shares a last-level page table between
// parent and child instead of copying its 512 entries; the first change in
// that 2 MiB range by either side copies the table (unshare) or, when no one
// else holds it any more, takes it over (reuse). Only the page-table work is
// deferred: what every process observes is the same as with eager copying
// (FORK-2, COW-1..3), which the lockstep tests check on both configurations.
//
// Accounting (checked by CheckInvariants): a table's refs counts the
// upper-level entries pointing to it; the frame references and mapcounts of
// the entries in a table are held once per table, not once per address
// space, as if the table were a single mapping. Unsharing a table copies its
// entries and so takes one more reference and mapping per data frame, which
// is exactly what eager fork would have taken. A shared table is reachable
// only through read-only upper entries and holds no writable entry, so no
// store can go through it without the fault path unsharing it first.
//
// Only a leaf whose 2 MiB meets nothing but private, plain (not WIPEONFORK,
// not DONTFORK) vmas of the parent is shared; the child's vmas there are
// then the same, holes included. A hole may later get a vma on one side
// only, but its entries can only be made through leaf(), which unshares
// first. MAP_SHARED, DONTFORK and WIPEONFORK ranges are forked exactly as
// before (copyLeaf).
//
// Linux has no such mode in mainline; the design follows the copy-on-write
// page-table proposals (e.g. "On-demand fork", Zhao et al., EuroSys 2021).

// WithOnDemandFork selects on-demand fork (true, the default) or eager PTE
// copying at fork (false). Observable behaviour is the same except under
// frame exhaustion: an on-demand fork needs fewer frames, and the copy is
// paid later (a fault that cannot unshare kills the group as any fault OOM
// does; munmap, mmap and madvise fail ENOMEM).
func WithOnDemandFork(on bool) Option {
	return func(k *Kernel) { k.onDemand = on }
}

// shareFn returns the copyRange share predicate for forking src: nil when
// on-demand fork is off.
func (k *Kernel) shareFn(src *mm) func(base uint64) bool {
	if !k.onDemand {
		return nil
	}
	return func(base uint64) bool { return shareableRange(src.vmas, base, base+leafSpan) }
}

// shareableRange reports whether every vma meeting [start, end) is private
// and copied in full by fork (not DONTFORK, not WIPEONFORK).
func shareableRange(vs vmaList, start, end uint64) bool {
	for x := vs.firstEndingAfter(start); x < len(vs) && vs[x].start < end; x++ {
		if v := &vs[x]; v.shared || v.wipe || v.dontfork {
			return false
		}
	}
	return true
}

// shareLeaf links s's leaf table at index i of its level-2 table into d at
// the same index: both entries become read-only and every entry of the leaf
// is write-protected, private frames marked copy-on-write (as copyLeaf marks
// them). The frame references stay with the table.
func (pt *pageTable) shareLeaf(d, s *ptPage, i int, pool *framePool) {
	l := s.kids[i]
	if !l.wp {
		for x := range l.ent {
			if e := l.ent[x]; e.present() && e.frame() != zeroFrame {
				l.ent[x] = e&^pteWrite | pteCOW
			}
		}
		l.wp = true
	}
	s.ent[i] &^= pteWrite
	l.refs++
	pool.tableShares++
	d.kids[i] = l
	d.ent[i] = mkPTE(l.frame, 0)
	d.n++
	pt.pages++
}

// ownLeaf makes the leaf table at index i of level-2 table t this address
// space's own: reused in place when no one else holds it, else unshared
// into a fresh copy that takes a reference and a mapping on every data
// frame. ok is false when the pool has no frame for the copy; nothing is
// changed then.
func (pt *pageTable) ownLeaf(t *ptPage, i int, pool *framePool) (*ptPage, bool) {
	old := t.kids[i]
	if old.refs == 1 {
		if !t.ent[i].writable() {
			t.ent[i] |= pteWrite // reuse
			pool.tableReuses++
		}
		return old, true
	}
	c, ok := pt.newTable(1, pool)
	if !ok {
		return nil, false
	}
	pt.pages-- // newTable counted it; it replaces old in this tree
	*c.ent = *old.ent
	c.n = old.n
	c.wp = old.wp
	for _, e := range c.ent {
		if e.present() && e.frame() != zeroFrame {
			fm := pool.meta(e.frame())
			fm.ref++
			fm.mapc++
		}
	}
	old.refs--
	pool.tableUnshares++
	t.kids[i] = c
	t.ent[i] = mkPTE(c.frame, pteWrite)
	return c, true
}

// dropShared unlinks a leaf table that others still hold from index i of
// level-2 table t (a zap covering its whole 2 MiB): the frame references
// belong to the table and stay with it.
func (pt *pageTable) dropShared(t *ptPage, i int) {
	t.kids[i].refs--
	t.kids[i] = nil
	t.ent[i] = 0
	t.n--
	pt.pages--
}

// unshareEdges gives m its own copy of the (at most two) shared leaf tables
// that [start, end) covers only in part, so that a zap of the range then
// never needs a frame. ok is false, with nothing zapped, when the pool is
// out of frames: munmap, mmap and madvise fail ENOMEM then (a resource
// failure eager fork paid for at fork time instead).
func (k *Kernel) unshareEdges(m *mm, start, end uint64) bool {
	if start >= end {
		return true
	}
	for _, va := range [2]uint64{start, end - 1} {
		if !k.unshareAt(m, va, start, end) {
			return false
		}
	}
	return true
}

// unshareAt unshares the leaf holding va if it is shared and [start, end)
// does not cover all of it.
func (k *Kernel) unshareAt(m *mm, va, start, end uint64) bool {
	base := va &^ (leafSpan - 1)
	if start <= base && base+leafSpan <= end {
		return true
	}
	t := m.pt.root
	for level := ptLevels; level > 2; level-- {
		if t = t.kids[ptIndex(va, level)]; t == nil {
			return true
		}
	}
	i := ptIndex(va, 2)
	if l := t.kids[i]; l == nil || l.refs == 1 {
		return true
	}
	_, ok := m.pt.ownLeaf(t, i, &k.frames)
	return ok
}
