package impl

// Page-table geometry: x86-64 four-level paging with 4 KiB pages and 48-bit
// virtual addresses. Level 4 is the root (PML4), level 1 the leaf table whose
// entries map pages; one leaf table covers 2 MiB.
const (
	ptEntries = 512
	ptLevels  = 4
	pageShift = 12
	leafSpan  = uint64(ptEntries) << pageShift // bytes one leaf table maps (2 MiB)
)

// ptPage is one page-table page. It occupies a frame of the pool (frame), so
// page tables count against physical memory as in Linux.
//
// The entries live in their own 4 KiB array so that the small headers of
// many tables share cache lines and TLB entries: on-demand fork touches
// only the header (refs, wp) of each leaf it shares.
type ptPage struct {
	// ent is the table's entries. Invariant: never nil.
	ent *[ptEntries]pte
	// kids are the next-level tables of an upper-level page; nil for a leaf.
	// Invariant: kids[i] != nil exactly when ent[i] is present, and then
	// ent[i].frame() == kids[i].frame.
	kids *[ptEntries]*ptPage
	// frame is the pool frame this table occupies. Invariant: ref 1, mapc 0.
	frame uint32
	// refs is the number of upper-level entries (one per address space)
	// that point to this table (on-demand fork, ondemand.go). Invariant:
	// refs >= 1; refs > 1 only for a leaf table, and then every entry
	// pointing to it is read-only and none of its own entries is writable.
	refs int
	// wp records that no entry of this leaf is writable, so that sharing it
	// again at the next fork need not write-protect 512 entries.
	// Invariant: wp implies no writable entry. Cleared by leaf(), the only
	// way to a leaf whose entries are about to be changed.
	wp bool
	// n is the number of present entries. Invariant: n == count of present
	// ent; n > 0 for every table but the root (empty tables are freed).
	n int
}

// pageTable is the page-table tree of one address space.
type pageTable struct {
	// root is the level-4 table, allocated with the mm; nil once destroyed.
	root *ptPage
	// pages is the number of table pages in the tree, root included.
	// Invariant: pages == tables reachable from root.
	pages int
}

func levelShift(level int) uint { return pageShift + 9*uint(level-1) }

func ptIndex(va uint64, level int) int { return int(va>>levelShift(level)) & (ptEntries - 1) }

// newTable allocates a table page for level; ok is false when the pool is empty.
func (pt *pageTable) newTable(level int, pool *framePool) (*ptPage, bool) {
	f, ok := pool.alloc()
	if !ok {
		return nil, false
	}
	spare := &pool.spareLeaves
	if level > 1 {
		spare = &pool.spareUppers
	}
	var t *ptPage
	if n := len(*spare); n > 0 {
		t = (*spare)[n-1]
		(*spare)[n-1] = nil
		*spare = (*spare)[:n-1]
		t.frame = f
		t.refs = 1
		t.wp = false
	} else {
		t = &ptPage{ent: new([ptEntries]pte), frame: f, refs: 1}
		if level > 1 {
			t.kids = new([ptEntries]*ptPage)
		}
	}
	pt.pages++
	return t, true
}

// freeTable returns an empty table's frame to the pool and keeps its Go
// object for reuse.
func freeTable(t *ptPage, pool *framePool) {
	pool.put(t.frame)
	if t.kids != nil {
		pool.spareUppers = append(pool.spareUppers, t)
	} else {
		pool.spareLeaves = append(pool.spareLeaves, t)
	}
}

// init allocates the root table; ok is false when the pool is empty.
func (pt *pageTable) init(pool *framePool) bool {
	r, ok := pt.newTable(ptLevels, pool)
	pt.root = r
	return ok
}

// linkKid installs table c at index i of upper-level table t.
func linkKid(t *ptPage, i int, c *ptPage) {
	t.kids[i] = c
	t.ent[i] = mkPTE(c.frame, pteWrite)
	t.n++
}

// freeKid unlinks and frees the (empty) table at index i of t.
func (pt *pageTable) freeKid(t *ptPage, i int, pool *framePool) {
	c := t.kids[i]
	t.kids[i] = nil
	t.ent[i] = 0
	t.n--
	pt.pages--
	freeTable(c, pool)
}

// lookup returns the leaf table holding va's entry and its index, or nil
// when some level on the way is absent. It never allocates.
func (pt *pageTable) lookup(va uint64) (*ptPage, int) {
	t := pt.root
	for level := ptLevels; level > 1; level-- {
		t = t.kids[ptIndex(va, level)]
		if t == nil {
			return nil, 0
		}
	}
	return t, ptIndex(va, 1)
}

// leaf returns the leaf table for va, allocating missing levels, ready to be
// changed: a leaf shared with other address spaces is first unshared or
// reused (ownLeaf). ok is false when the pool ran out; tables allocated on
// the way are then left empty and the caller must prune(va).
func (pt *pageTable) leaf(va uint64, pool *framePool) (*ptPage, int, bool) {
	t := pt.root
	for level := ptLevels; level > 1; level-- {
		i := ptIndex(va, level)
		c := t.kids[i]
		if c == nil {
			var ok bool
			if c, ok = pt.newTable(level-1, pool); !ok {
				return nil, 0, false
			}
			linkKid(t, i, c)
		} else if level == 2 && !t.ent[i].writable() {
			var ok bool
			if c, ok = pt.ownLeaf(t, i, pool); !ok {
				return nil, 0, false
			}
		}
		t = c
	}
	t.wp = false
	return t, ptIndex(va, 1), true
}

// setLeaf stores e at leaf index i, keeping the present count.
func setLeaf(l *ptPage, i int, e pte) {
	was := l.ent[i].present()
	l.ent[i] = e
	switch {
	case was && !e.present():
		l.n--
	case !was && e.present():
		l.n++
	}
}

// prune frees the empty tables on the path to va (after a failed fault).
func (pt *pageTable) prune(va uint64, pool *framePool) {
	pt.pruneRec(pt.root, ptLevels, va, pool)
}

func (pt *pageTable) pruneRec(t *ptPage, level int, va uint64, pool *framePool) {
	if level == 1 {
		return
	}
	i := ptIndex(va, level)
	c := t.kids[i]
	if c == nil {
		return
	}
	pt.pruneRec(c, level-1, va, pool)
	if c.n == 0 {
		pt.freeKid(t, i, pool)
	}
}

// span returns the entry range [i0, i1) of a table at level based at base
// that intersects [start, end).
func span(level int, base, start, end uint64) (int, int) {
	shift := levelShift(level)
	i0, i1 := 0, ptEntries
	if start > base {
		i0 = int((start - base) >> shift)
	}
	if top := base + uint64(ptEntries)<<shift; end < top {
		i1 = int((end - base + (uint64(1)<<shift - 1)) >> shift)
	}
	return i0, i1
}

// walk calls fn for every existing leaf table intersecting [start, end), with
// the table's base address and the index range inside [start, end).
func (pt *pageTable) walk(start, end uint64, fn func(l *ptPage, base uint64, lo, hi int)) {
	if pt.root != nil && start < end {
		walkRec(pt.root, ptLevels, 0, start, end, fn)
	}
}

func walkRec(t *ptPage, level int, base, start, end uint64, fn func(*ptPage, uint64, int, int)) {
	i0, i1 := span(level, base, start, end)
	if level == 1 {
		fn(t, base, i0, i1)
		return
	}
	shift := levelShift(level)
	for i := i0; i < i1; i++ {
		if c := t.kids[i]; c != nil {
			walkRec(c, level-1, base+uint64(i)<<shift, start, end, fn)
		}
	}
}

// zap clears every present leaf entry in [start, end), calling drop for each
// with its address, and frees the tables left empty (zap_page_range).
func (pt *pageTable) zap(start, end uint64, pool *framePool, drop func(va uint64, e pte)) {
	if pt.root != nil && start < end {
		pt.zapRec(pt.root, ptLevels, 0, start, end, pool, drop)
	}
}

func (pt *pageTable) zapRec(t *ptPage, level int, base, start, end uint64, pool *framePool, drop func(uint64, pte)) {
	i0, i1 := span(level, base, start, end)
	if level == 1 {
		for i := i0; i < i1 && t.n > 0; i++ {
			if e := t.ent[i]; e.present() {
				t.ent[i] = 0
				t.n--
				drop(base+uint64(i)<<pageShift, e)
			}
		}
		return
	}
	shift := levelShift(level)
	for i := i0; i < i1 && t.n > 0; i++ {
		c := t.kids[i]
		if c == nil {
			continue
		}
		if level == 2 && c.refs > 1 {
			if lo, hi := span(1, base+uint64(i)<<shift, start, end); lo == 0 && hi == ptEntries {
				pt.dropShared(t, i) // the other holders keep the frames
				continue
			}
			// Partly covered: callers unshare the edges first
			// (unshareEdges), so this only runs if that failed.
			var ok bool
			if c, ok = pt.ownLeaf(t, i, pool); !ok {
				continue
			}
		}
		pt.zapRec(c, level-1, base+uint64(i)<<shift, start, end, pool, drop)
		if c.n == 0 {
			pt.freeKid(t, i, pool)
		}
	}
}

// destroy zaps everything and frees the root.
func (pt *pageTable) destroy(pool *framePool, drop func(uint64, pte)) {
	if pt.root == nil {
		return
	}
	pt.zap(0, 1<<48, pool, drop)
	freeTable(pt.root, pool)
	pt.root = nil
	pt.pages--
}

// copyRange builds in dst the tables mirroring src's over [start, end) and
// calls leafFn for each pair of leaf tables with the index range to copy.
// ok is false when the pool ran out; dst is then partly built and the caller
// destroys it. Empty destination tables are freed.
//
// share, when not nil, says whether the leaf table based at an address may
// be shared instead of copied (on-demand fork): such a leaf is linked into
// dst as is (shareLeaf) and leafFn is not called for it.
func (pt *pageTable) copyRange(src *pageTable, start, end uint64, pool *framePool, leafFn func(d, s *ptPage, lo, hi int), share func(base uint64) bool) bool {
	if start >= end {
		return true
	}
	return pt.copyRec(pt.root, src.root, ptLevels, 0, start, end, pool, leafFn, share)
}

func (pt *pageTable) copyRec(d, s *ptPage, level int, base, start, end uint64, pool *framePool, leafFn func(d, s *ptPage, lo, hi int), share func(uint64) bool) bool {
	i0, i1 := span(level, base, start, end)
	if level == 1 {
		leafFn(d, s, i0, i1)
		return true
	}
	shift := levelShift(level)
	for i := i0; i < i1; i++ {
		sc := s.kids[i]
		if sc == nil {
			continue
		}
		if level == 2 && share != nil {
			if d.kids[i] == sc {
				continue // shared on an earlier vma's visit
			}
			// copyRange runs only over vmas fork copies in full, so a
			// leaf inside [start, end) needs no vma lookup.
			lb := base + uint64(i)<<shift
			if d.kids[i] == nil && (start <= lb && lb+leafSpan <= end || share(lb)) {
				pt.shareLeaf(d, s, i, pool)
				continue
			}
		}
		dc := d.kids[i]
		if dc == nil {
			var ok bool
			if dc, ok = pt.newTable(level-1, pool); !ok {
				return false
			}
			linkKid(d, i, dc)
		}
		ok := pt.copyRec(dc, sc, level-1, base+uint64(i)<<shift, start, end, pool, leafFn, share)
		if dc.n == 0 {
			pt.freeKid(d, i, pool)
		}
		if !ok {
			return false
		}
	}
	return true
}
