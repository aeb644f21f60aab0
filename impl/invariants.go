package impl

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// CheckInvariants recomputes the kernel's bookkeeping from scratch and
// reports every violation found, joined with errors.Join (abi.Checker):
// frame refcounts and mapcounts against the references found by walking
// every page table and shared object; pool accounting; page tables (counts,
// no empty or leaked table); PTEs inside vmas; no writable PTE on a shared
// private frame or the zero frame; the task tree, thread groups, vfork links
// and object refcounts.
func (k *Kernel) CheckInvariants() error {
	c := &checker{k: k}
	c.checkPool()
	c.checkTasks()
	c.checkMemory()
	c.checkSpares()
	// Some checks walk maps; sorting the reports keeps map order out of
	// the error text, so the same state always reports the same way.
	slices.SortFunc(c.errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(c.errs...)
}

type checker struct {
	k    *Kernel
	errs []error
	free map[uint32]bool
	// holders counts, per leaf table, the upper-level entries found
	// pointing to it; leaves lists them in the order first found (so that
	// reports never depend on map order).
	holders map[*ptPage]int
	leaves  []*ptPage
}

func (c *checker) bad(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

func (c *checker) checkPool() {
	p := &c.k.frames
	c.free = map[uint32]bool{}
	for _, f := range p.free {
		switch {
		case f >= p.next:
			c.bad("free list holds frame %d never handed out (next %d)", f, p.next)
			continue
		case c.free[f]:
			c.bad("frame %d is on the free list twice", f)
		case p.meta(f).ref != 0:
			c.bad("free frame %d has refcount %d", f, p.meta(f).ref)
		}
		c.free[f] = true
	}
	if got := uint64(p.used) + uint64(len(p.free)) + uint64(p.total-p.next); got != uint64(p.total) {
		c.bad("pool: used %d + free %d + never used %d != total %d", p.used, len(p.free), p.total-p.next, p.total)
	}
}

func (c *checker) checkTasks() {
	k := c.k
	if t1 := k.tasks[1]; t1 == nil {
		c.bad("task 1 is gone")
	}
	if len(k.tasks) > k.cfg.Limit() {
		c.bad("%d tasks exceed the limit %d", len(k.tasks), k.cfg.Limit())
	}
	mmUsers, ftUsers, shUsers, fsUsers := map[*mm]int{}, map[*fdTable]int{}, map[*sighand]int{}, map[*fsStruct]int{}
	fileRefs := map[*openFile]int{}
	for _, t := range k.sortedTasks() {
		if k.tasks[t.tid] != t {
			c.bad("task %d is filed under another tid", t.tid)
		}
		if t.tid >= k.nextPid {
			c.bad("task %d has a tid not yet allocated (next %d)", t.tid, k.nextPid)
		}
		g := t.g
		if g == nil {
			c.bad("task %d has no group", t.tid)
			continue
		}
		in := false
		for _, x := range g.threads {
			in = in || x == t
		}
		if !in {
			c.bad("task %d is not in its group %d's thread list", t.tid, g.tgid)
		}
		if g.leader == nil || g.leader.tid != g.tgid || k.tasks[g.tgid] != g.leader {
			c.bad("group %d: leader missing or with another tid", g.tgid)
		}
		if t != g.leader && t.exitSignal != -1 {
			c.bad("thread %d has exit signal %d, want -1", t.tid, t.exitSignal)
		}
		if t == g.leader && t.exitSignal < 0 {
			c.bad("leader %d has exit signal %d", t.tid, t.exitSignal)
		}
		switch {
		case t.state == stateZombie:
			if t != g.leader {
				c.bad("non-leader %d is a zombie", t.tid)
			}
			if t.mm != nil || t.files != nil || t.sh != nil || t.fs != nil || !t.exiting {
				c.bad("zombie %d still holds its objects", t.tid)
			}
		case t.exiting:
			c.bad("task %d is half exited", t.tid)
		case t.mm == nil || t.files == nil || t.sh == nil || t.fs == nil:
			c.bad("live task %d lacks an object", t.tid)
		default:
			mmUsers[t.mm]++
			shUsers[t.sh]++
			fsUsers[t.fs]++
			if ftUsers[t.files]++; ftUsers[t.files] == 1 {
				for _, s := range t.files.fds {
					if s.file != nil {
						fileRefs[s.file]++
					}
				}
			}
			if l := g.firstLive(); l != nil && l.sh != t.sh {
				c.bad("threads %d and %d of group %d have different disposition tables", l.tid, t.tid, g.tgid)
			}
		}
		if (t.state == stateFrozen) != (t.vforkChild != nil) {
			c.bad("task %d: frozen %v but vfork child %v", t.tid, t.state == stateFrozen, t.vforkChild != nil)
		}
		if ch := t.vforkChild; ch != nil && (ch.vforkParent != t || k.tasks[ch.tid] != ch) {
			c.bad("task %d: vfork child %d does not link back", t.tid, ch.tid)
		}
		if p := t.vforkParent; p != nil && (p.vforkChild != t || p.state != stateFrozen) {
			c.bad("task %d: vfork parent %d is not frozen on it", t.tid, p.tid)
		}
		if t == g.leader {
			for i, x := range g.threads {
				if k.tasks[x.tid] != x || x.g != g {
					c.bad("group %d lists a thread %d that is not in it", g.tgid, x.tid)
				}
				if i > 0 && g.threads[i-1].tid >= x.tid {
					c.bad("group %d threads out of tid order", g.tgid)
				}
			}
			switch p := g.parent; {
			case g.tgid == 1 && p != nil:
				c.bad("task 1 has a parent")
			case g.tgid != 1 && p == nil:
				c.bad("group %d has no parent", g.tgid)
			case p != nil && (k.tasks[p.tid] != p || !p.live()):
				c.bad("group %d's parent %d is not a live task", g.tgid, p.tid)
			}
			if g.fatal != 0 {
				c.bad("group %d has an undelivered fatal signal %d", g.tgid, g.fatal)
			}
			if len(g.threads) > 0 && g.threadIndex(g.target) < 0 {
				c.bad("group %d: complete_signal's search starts outside the group", g.tgid)
			}
			for _, x := range g.threads {
				if x.tif && x.state != stateFrozen {
					c.bad("task %d was told of signals and did not take them", x.tid)
				}
				if x.queued {
					c.bad("task %d is left on the run queue", x.tid)
				}
				for sig, n := range x.handled {
					if n > g.handled[sig] {
						c.bad("task %d ran handler %d %d times, its group %d", x.tid, sig, n, g.handled[sig])
					}
				}
			}
		}
	}
	for m, n := range mmUsers {
		if m.users != n {
			c.bad("mm %d: users %d, live tasks using it %d", m.id, m.users, n)
		}
	}
	for f, n := range ftUsers {
		if f.refs != n {
			c.bad("fd table %d: refs %d, users %d", f.id, f.refs, n)
		}
	}
	for s, n := range shUsers {
		if s.refs != n {
			c.bad("sighand %d: refs %d, users %d", s.id, s.refs, n)
		}
	}
	for s, n := range fsUsers {
		if s.refs != n {
			c.bad("fs %d: refs %d, users %d", s.id, s.refs, n)
		}
	}
	pipeEnds := map[*pipeObj][2]int{}
	for _, t := range k.tasks {
		if t.sl != nil && t.sl.file != nil {
			fileRefs[t.sl.file]++ // a sleeping read or write holds its file
		}
		if (t.state == stateBlocked) != (t.sl != nil) {
			c.bad("task %d: blocked %v with sleep %v", t.tid, t.state == stateBlocked, t.sl != nil)
		}
	}
	for f := range fileRefs {
		if p := f.pipe; p != nil {
			e := pipeEnds[p]
			if f.wr {
				e[1]++
			} else {
				e[0]++
			}
			pipeEnds[p] = e
		}
	}
	for p, e := range pipeEnds {
		if p.readers != e[0] || p.writers != e[1] {
			c.bad("pipe %d: readers %d writers %d, open ends %d and %d", p.id, p.readers, p.writers, e[0], e[1])
		}
		if p.n > abi.PipeSlots {
			c.bad("pipe %d: %d buffers", p.id, p.n)
		}
	}
	for f, n := range fileRefs {
		if f.refs != n {
			c.bad("open file %d: refs %d, fds %d", f.id, f.refs, n)
		}
	}
}

// checkMemory walks every live page table and shared object and compares
// the references it finds with each frame's counts.
func (c *checker) checkMemory() {
	k := c.k
	p := &k.frames
	expRef := make([]int32, p.next)
	expMap := make([]int32, p.next)
	expRef[zeroFrame] = 1 // pinned
	shmVmas := map[*shmem]int{}
	var shms []*shmem
	for _, m := range k.liveMMs() {
		c.checkVMAs(m)
		for i := range m.vmas {
			if s := m.vmas[i].shm; s != nil {
				if shmVmas[s] == 0 {
					shms = append(shms, s)
				}
				shmVmas[s]++
			}
		}
		if m.pt.root == nil {
			c.bad("mm %d has no root table", m.id)
			continue
		}
		tables := c.checkTable(m, m.pt.root, ptLevels, 0, expRef, expMap)
		if tables != m.pt.pages {
			c.bad("mm %d: %d table pages reachable, %d counted", m.id, tables, m.pt.pages)
		}
	}
	c.checkLeafRefs()
	for _, s := range shms {
		if s.refs != shmVmas[s] {
			c.bad("shared object %d: refs %d, vmas %d", s.id, s.refs, shmVmas[s])
		}
		for idx, f := range s.pages {
			if f >= p.next || f == zeroFrame {
				c.bad("shared object %d page %d holds bad frame %d", s.id, idx, f)
				continue
			}
			expRef[f]++
		}
	}
	var used uint32
	for f := uint32(0); f < p.next; f++ {
		fm := p.meta(f)
		if c.free[f] {
			if expRef[f] != 0 {
				c.bad("frame %d is free but reachable (%d references)", f, expRef[f])
			}
			continue
		}
		used++
		switch {
		case expRef[f] == 0:
			c.bad("frame %d leaked: refcount %d, no references", f, fm.ref)
		case fm.ref != expRef[f]:
			c.bad("frame %d: refcount %d, references found %d", f, fm.ref, expRef[f])
		}
		if fm.mapc != expMap[f] {
			c.bad("frame %d: mapcount %d, mappings found %d", f, fm.mapc, expMap[f])
		}
	}
	if used != p.used {
		c.bad("pool: %d frames in use, counted %d", used, p.used)
	}
}

func (c *checker) checkVMAs(m *mm) {
	for i := range m.vmas {
		v := &m.vmas[i]
		if v.start%abi.PageSize != 0 || v.end%abi.PageSize != 0 || v.start >= v.end || v.end > abi.TaskSize {
			c.bad("mm %d: bad vma [%#x, %#x)", m.id, v.start, v.end)
		}
		if v.shared != (v.shm != nil) || (v.shared && v.wipe) {
			c.bad("mm %d: vma [%#x, %#x) has inconsistent shared/wipe state", m.id, v.start, v.end)
		}
		if (v.shared && v.accounted) || (!v.shared && v.writable() && !v.accounted) {
			c.bad("mm %d: vma [%#x, %#x) accounted=%v shared=%v prot=%d (MEM-3l)", m.id, v.start, v.end, v.accounted, v.shared, v.prot)
		}
		if v.execOnly && v.prot != abi.PROT_EXEC {
			c.bad("mm %d: vma [%#x, %#x) execute-only with prot %d (MEM-3i)", m.id, v.start, v.end, v.prot)
		}
		if i > 0 {
			prev := &m.vmas[i-1]
			if prev.end > v.start {
				c.bad("mm %d: vmas [%#x, %#x) and [%#x, %#x) overlap or are unsorted", m.id, prev.start, prev.end, v.start, v.end)
			} else if sameAttrs(prev, v) {
				c.bad("mm %d: vmas at %#x not merged", m.id, v.start)
			}
		}
	}
}

// checkTable verifies one table and its subtree, adds the references it
// holds, and returns how many table pages it contains.
//
// A leaf table shared by on-demand fork (ondemand.go) holds its frame
// references once: they are counted at the first address space found
// holding it; the others only check that its entries lie in their vmas.
func (c *checker) checkTable(m *mm, t *ptPage, level int, base uint64, expRef, expMap []int32) int {
	p := &c.k.frames
	if t.frame >= p.next {
		c.bad("mm %d: table at %#x level %d in bad frame %d", m.id, base, level, t.frame)
		return 1
	}
	first := true
	if level == 1 {
		if c.holders == nil {
			c.holders = map[*ptPage]int{}
		}
		if c.holders[t] == 0 {
			c.leaves = append(c.leaves, t)
		}
		c.holders[t]++
		first = c.holders[t] == 1
	} else if t.refs != 1 {
		c.bad("mm %d: upper table at %#x level %d has refs %d", m.id, base, level, t.refs)
	}
	if first {
		expRef[t.frame]++
	}
	n := 0
	tables := 1
	shift := levelShift(level)
	for i, e := range t.ent {
		va := base + uint64(i)<<shift
		if level > 1 {
			kid := t.kids[i]
			if e.present() != (kid != nil) || (kid != nil && e.frame() != kid.frame) {
				c.bad("mm %d: table entry at %#x level %d disagrees with its child", m.id, va, level)
			}
			if kid != nil {
				n++
				if kid.refs > 1 && e.writable() {
					c.bad("mm %d: writable entry at %#x level %d to a shared table", m.id, va, level)
				}
				if kid.n == 0 {
					c.bad("mm %d: empty table at %#x level %d not freed", m.id, va, level-1)
				}
				tables += c.checkTable(m, kid, level-1, va, expRef, expMap)
			}
			continue
		}
		if !e.present() {
			continue
		}
		n++
		if t.refs > 1 && e.writable() {
			c.bad("mm %d: writable PTE at %#x in a shared table", m.id, va)
		} else if t.wp && e.writable() {
			c.bad("mm %d: writable PTE at %#x in a table marked write-protected", m.id, va)
		}
		c.checkPTE(m, va, e, first, expRef, expMap)
	}
	if n != t.n {
		c.bad("mm %d: table at %#x level %d counts %d entries, has %d", m.id, base, level, t.n, n)
	}
	return tables
}

// checkPTE checks one present leaf entry of m; count adds the references
// it holds (false for a shared table's later holders).
func (c *checker) checkPTE(m *mm, va uint64, e pte, count bool, expRef, expMap []int32) {
	p := &c.k.frames
	i := m.vmas.find(va)
	if i < 0 {
		c.bad("mm %d: present PTE at %#x outside every vma", m.id, va)
		return
	}
	v := &m.vmas[i]
	f := e.frame()
	switch {
	case f >= p.next:
		c.bad("mm %d: PTE at %#x maps frame %d never handed out", m.id, va, f)
		return
	case f == zeroFrame:
		if e.writable() || v.shared {
			c.bad("mm %d: PTE at %#x maps the zero frame writable or shared", m.id, va)
		}
		return
	}
	if e.writable() && !v.writable() {
		c.bad("mm %d: writable PTE at %#x in a read-only vma", m.id, va)
	}
	if count {
		expRef[f]++
		expMap[f]++
	}
	if v.shared {
		if g, ok := v.shm.pages[v.shmPage(va)]; !ok || g != f || e&pteShared == 0 {
			c.bad("mm %d: shared PTE at %#x maps frame %d, object holds %d", m.id, va, f, g)
		}
		return
	}
	if e&pteShared != 0 {
		c.bad("mm %d: private PTE at %#x carries the shared bit", m.id, va)
	}
	if e.writable() && p.meta(f).ref > 1 {
		c.bad("mm %d: writable PTE at %#x on private frame %d with refcount %d", m.id, va, f, p.meta(f).ref)
	}
}

// checkLeafRefs compares every leaf table's refs with the upper-level
// entries found pointing to it (on-demand fork, ondemand.go).
func (c *checker) checkLeafRefs() {
	for _, l := range c.leaves {
		if l.refs != c.holders[l] {
			c.bad("leaf table in frame %d: refs %d, held by %d entries", l.frame, l.refs, c.holders[l])
		}
	}
}

// checkSpares verifies that recycled table pages are empty.
func (c *checker) checkSpares() {
	for _, l := range [][]*ptPage{c.k.frames.spareLeaves, c.k.frames.spareUppers} {
		for _, t := range l {
			if t.n != 0 || *t.ent != ([ptEntries]pte{}) {
				c.bad("a recycled table page is not empty")
			}
		}
	}
}
