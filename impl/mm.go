package impl

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// mm is one address space (Linux's mm_struct): its mappings and page tables.
// CLONE_VM shares it between tasks (CLONE-1, VFORK-3).
type mm struct {
	id int
	// users is the number of live tasks using the mm (mm_users).
	// Invariant: == count of non-zombie tasks with mm == this; destroyed at 0.
	users int
	pt    pageTable
	// vmas are the mappings. Invariant: every present PTE lies inside one.
	vmas vmaList
}

// newMM allocates an empty address space; ok is false when the pool cannot
// hold its root table.
func (k *Kernel) newMM() (*mm, bool) {
	m := &mm{id: k.newID(), users: 1}
	if !m.pt.init(&k.frames) {
		return nil, false
	}
	return m, true
}

// dropPTE releases what one present PTE held (zap_pte_range): the mapping
// count and reference of its frame. The zero frame is not counted.
func (k *Kernel) dropPTE(_ uint64, e pte) {
	f := e.frame()
	if f == zeroFrame {
		return
	}
	k.frames.meta(f).mapc--
	k.frames.put(f)
}

// shmPut drops one vma's reference to s; at the last one the object's frames
// go back to the pool, in page order so that the pool stays deterministic.
func (k *Kernel) shmPut(s *shmem) {
	s.refs--
	if s.refs > 0 {
		return
	}
	idx := make([]uint64, 0, len(s.pages))
	for p := range s.pages {
		idx = append(idx, p)
	}
	slices.Sort(idx)
	for _, p := range idx {
		k.frames.put(s.pages[p])
	}
	s.pages = nil
}

// mmput drops one user of m and tears it down at the last (exit_mmap).
func (k *Kernel) mmput(m *mm) {
	m.users--
	if m.users > 0 {
		return
	}
	k.destroyMM(m)
}

// destroyMM frees every frame and table of m.
func (k *Kernel) destroyMM(m *mm) {
	m.pt.destroy(&k.frames, k.dropPTE)
	for i := range m.vmas {
		if v := &m.vmas[i]; v.shared {
			k.shmPut(v.shm)
		}
	}
	m.vmas = nil
}

// unmapRange removes every mapping in [start, end) (do_vmi_munmap).
func (k *Kernel) unmapRange(m *mm, start, end uint64) {
	if !m.vmas.overlaps(start, end) {
		return
	}
	m.pt.zap(start, end, &k.frames, k.dropPTE)
	i, j := m.vmas.rangeIdx(start, end)
	for x := i; x < j; x++ {
		if v := &m.vmas[x]; v.shared {
			k.shmPut(v.shm)
		}
	}
	m.vmas = slices.Delete(m.vmas, i, j)
	m.vmas.merge()
}

// pageRound rounds n bytes up to whole pages; ok is false on overflow.
func pageRound(n uint64) (uint64, bool) {
	r := (n + abi.PageSize - 1) &^ (abi.PageSize - 1)
	return r, r >= n
}

// protRWX are the protection bits a mapping keeps (MEM-3).
const protRWX = abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC

// sysMmap is mmap(2) of anonymous memory (MEM-3, MEM-3j, MEM-3k, MEM-3l), with the
// checks in Linux's order: no MAP_ANONYMOUS is fd -1, EBADF, before
// anything else (ksys_mmap_pgoff); then do_mmap: length, page rounding,
// placement (__get_unmapped_area: for MAP_FIXED the range before the
// alignment), MAP_FIXED_NOREPLACE, the map type, and mmap_region's commit
// charge. do_mmap never validates prot: bits other than READ|WRITE|EXEC are
// accepted and have no effect. Unmodelled flags, MAP_FIXED below
// mmap_min_addr and placements with no room were refused before the step
// (abi.Refusal); flags Linux ignores are ignored.
func (k *Kernel) sysMmap(t *task, a abi.Mmap) abi.Result {
	if a.Flags&abi.MAP_ANONYMOUS == 0 {
		return abi.Fail(abi.EBADF) // fd -1, checked first (ksys_mmap_pgoff)
	}
	if a.Len == 0 {
		return abi.Fail(abi.EINVAL)
	}
	length, ok := pageRound(a.Len)
	if !ok || length == 0 || length > abi.TaskSize {
		return abi.Fail(abi.ENOMEM) // PAGE_ALIGN overflow; len > TASK_SIZE
	}
	m := t.mm
	fixed := a.Flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) != 0
	var addr uint64
	if fixed {
		addr = a.Addr
		if addr > abi.TaskSize-length {
			return abi.Fail(abi.ENOMEM) // range first (MEM-3h)
		}
		if addr%abi.PageSize != 0 {
			return abi.Fail(abi.EINVAL)
		}
		if eperm, _ := k.cfg.FixedBelowMin(addr); eperm {
			return abi.Fail(abi.EPERM) // cap_mmap_addr (MEM-3o)
		}
		if a.Flags&abi.MAP_FIXED_NOREPLACE != 0 && m.vmas.overlaps(addr, addr+length) {
			return abi.Fail(abi.EEXIST)
		}
	} else if addr, ok = m.vmas.place(k.cfg.Target, a.Addr, length, a.Flags&abi.MAP_SHARED == 0); !ok {
		return abi.Fail(abi.ENOMEM) // refused before the step (abi.Refusal)
	}
	// do_mmap's map-type switch, after placement.
	typ := a.Flags & abi.MAP_TYPE
	if (typ != abi.MAP_SHARED && typ != abi.MAP_PRIVATE) || (typ == abi.MAP_SHARED && a.Flags&abi.MAP_GROWSDOWN != 0) {
		return abi.Fail(abi.EINVAL)
	}
	shared := typ == abi.MAP_SHARED
	// MEM-3l: shmem charges a shared object's whole size; a writable
	// private mapping charges its pages less the accounted ones it replaces.
	// Before 6.12 every range was cleared first and a private mapping
	// charged its whole length (abi.Target.UnmapsBeforeCharge).
	var charge uint64
	early := k.cfg.Target.UnmapsBeforeCharge()
	switch {
	case shared:
		charge = length >> pageShift
	case a.Prot&abi.PROT_WRITE != 0 && early:
		charge = length >> pageShift
	case a.Prot&abi.PROT_WRITE != 0:
		charge = length>>pageShift - m.vmas.accountedPages(addr, addr+length)
	}
	if fits, _ := k.cfg.Commit(charge); !fits {
		// A private charge fails before anything is unmapped; shmem's
		// fails after the range was cleared, which stays a gap
		// (__mmap_new_vma, vms_abort_munmap_vmas).
		if (shared || early) && fixed && k.unshareEdges(m, addr, addr+length) {
			k.unmapRange(m, addr, addr+length)
		}
		return abi.Fail(abi.ENOMEM)
	}
	if fixed {
		if !k.unshareEdges(m, addr, addr+length) {
			return abi.Fail(abi.ENOMEM) // on-demand fork only (ondemand.go)
		}
		k.unmapRange(m, addr, addr+length)
	}
	v := vma{start: addr, end: addr + length, prot: a.Prot & protRWX, shared: shared,
		execOnly: a.Prot == abi.PROT_EXEC, accounted: !shared && a.Prot&abi.PROT_WRITE != 0}
	if shared {
		v.shm = k.newShmem()
	}
	m.vmas.insert(v)
	m.vmas.merge()
	return abi.Ok(addr)
}

// newShmem creates an empty shared object with one reference.
func (k *Kernel) newShmem() *shmem {
	return &shmem{id: k.newID(), refs: 1, pages: map[uint64]uint32{}}
}

// place returns where a mmap without MAP_FIXED of length bytes at hint addr
// goes (MEM-3j, MEM-3k): the hint (round_hint_to_min) when free; else, for a
// hint-less private length that is a multiple of 2 MiB where the target
// aligns to THP (abi.Target.THPAligned), a 2 MiB-aligned start found by
// searching for length + 2 MiB (thp_get_unmapped_area); else the free range
// the target's layout picks (search, target.go).
func (l vmaList) place(t abi.Target, addr, length uint64, private bool) (uint64, bool) {
	hint := addr &^ (abi.PageSize - 1)
	if hint != 0 && hint < abi.MmapMinAddr {
		hint = abi.MmapMinAddr
	}
	if hint != 0 {
		if hint <= abi.TaskSize-length && !l.overlaps(hint, hint+length) {
			return hint, true
		}
	} else if private && length%abi.THPSize == 0 && t.THPAligned() {
		if ret, ok := l.search(t, length+abi.THPSize); ok {
			return abi.THPAlign(t, ret), true
		}
	}
	return l.search(t, length)
}

// topDown finds the highest free range of length bytes below ArenaEnd and
// at or above MmapMinAddr: the arena first, then below it (Linux's
// top-down search under the oracle's reservation above the arena).
func (l vmaList) topDown(length uint64) (uint64, bool) {
	hi := abi.ArenaEnd
	for i := len(l) - 1; i >= -1; i-- {
		lo := abi.MmapMinAddr
		if i >= 0 {
			if l[i].start >= hi {
				continue
			}
			lo = max(lo, l[i].end)
		}
		if hi > lo && hi-lo >= length {
			return hi - length, true
		}
		if i >= 0 {
			hi = l[i].start
		}
		if hi <= abi.MmapMinAddr {
			break
		}
	}
	return 0, false
}

// accountedPages counts the pages of [start, end) in accounted vmas.
func (l vmaList) accountedPages(start, end uint64) uint64 {
	var n uint64
	for i := l.firstEndingAfter(start); i < len(l) && l[i].start < end; i++ {
		if l[i].accounted {
			n += (min(l[i].end, end) - max(l[i].start, start)) >> pageShift
		}
	}
	return n
}

// sysMunmap is munmap(2) (MEM-4).
func (k *Kernel) sysMunmap(t *task, a abi.Munmap) abi.Result {
	if a.Addr%abi.PageSize != 0 || a.Len == 0 || a.Addr > abi.TaskSize || a.Len > abi.TaskSize-a.Addr {
		return abi.Fail(abi.EINVAL)
	}
	length, _ := pageRound(a.Len)
	if !k.unshareEdges(t.mm, a.Addr, a.Addr+length) {
		return abi.Fail(abi.ENOMEM) // on-demand fork only (ondemand.go)
	}
	k.unmapRange(t.mm, a.Addr, a.Addr+length)
	return abi.Ok(0)
}

// sysMprotect is mprotect(2) (MEM-4, MEM-4g), in do_mprotect_pkey's order:
// both GROWS bits → EINVAL; unaligned → EINVAL; length 0 → 0; overflow →
// ENOMEM; bad prot → EINVAL; one GROWS bit → ENOMEM or EINVAL by the first
// vma (nothing is VM_GROWSDOWN, x86 has no VM_GROWSUP). Then vma by vma:
// pages before the first hole are changed even when the call fails ENOMEM;
// making unaccounted private memory writable charges each Linux vma (a run
// of such vmas with equal attributes), and one that does not fit stops the
// walk with ENOMEM.
func (k *Kernel) sysMprotect(t *task, a abi.Mprotect) abi.Result {
	grows := a.Prot & (abi.PROT_GROWSDOWN | abi.PROT_GROWSUP)
	prot := a.Prot &^ grows
	if grows == abi.PROT_GROWSDOWN|abi.PROT_GROWSUP || a.Addr%abi.PageSize != 0 {
		return abi.Fail(abi.EINVAL)
	}
	if a.Len == 0 {
		return abi.Ok(0) // before prot is validated (do_mprotect_pkey)
	}
	length, ok := pageRound(a.Len)
	end := a.Addr + length
	if !ok || end <= a.Addr {
		return abi.Fail(abi.ENOMEM)
	}
	if prot&^(protRWX|abi.PROT_SEM) != 0 {
		return abi.Fail(abi.EINVAL) // arch_validate_prot
	}
	m := t.mm
	if grows != 0 {
		i := m.vmas.firstEndingAfter(a.Addr)
		if i >= len(m.vmas) || m.vmas[i].start >= end || (grows == abi.PROT_GROWSUP && m.vmas[i].start > a.Addr) {
			return abi.Fail(abi.ENOMEM)
		}
		return abi.Fail(abi.EINVAL)
	}
	execOnly := prot == abi.PROT_EXEC
	prot &^= abi.PROT_SEM // accepted by arch_validate_prot; changes nothing here
	i, j := m.vmas.rangeIdx(a.Addr, end)
	cursor := a.Addr
	for x := i; x < j; {
		if m.vmas[x].start > cursor {
			break // a hole
		}
		y := x + 1
		if v := &m.vmas[x]; !v.shared && !v.accounted && prot&abi.PROT_WRITE != 0 {
			for y < j && k.sameUnaccountedRun(&m.vmas[y-1], &m.vmas[y]) {
				y++
			}
			if fits, _ := k.cfg.Commit((m.vmas[y-1].end - v.start) >> pageShift); !fits {
				m.vmas.merge()
				return abi.Fail(abi.ENOMEM)
			}
		}
		for ; x < y; x++ {
			v := &m.vmas[x]
			wasW := v.writable()
			v.prot, v.execOnly = prot, execOnly
			if !v.shared && v.writable() {
				v.accounted = true
			}
			if wasW && !v.writable() {
				m.pt.walk(v.start, v.end, func(l *ptPage, _ uint64, lo, hi int) {
					for e := lo; e < hi; e++ {
						l.ent[e] &^= pteWrite
					}
				})
			}
			cursor = v.end
		}
	}
	m.vmas.merge()
	if cursor < end {
		return abi.Fail(abi.ENOMEM)
	}
	return abi.Ok(0)
}

// sameUnaccountedRun reports whether b, right after a, is part of the same
// Linux vma for the commit charge: an unaccounted private vma with equal
// attributes (such vmas never had an anon_vma, so Linux merged them); the
// execute-only key separates them only on a CPU with PKU.
func (k *Kernel) sameUnaccountedRun(a, b *vma) bool {
	return a.end == b.start && !b.shared && !b.accounted && a.prot == b.prot && a.dontfork == b.dontfork &&
		a.wipe == b.wipe && (k.cfg.PKU != abi.FeaturePresent || a.execOnly == b.execOnly)
}

// validAdvice reports whether forkspec models advice a (MEM-5).
func validAdvice(a int64) bool {
	switch a {
	case abi.MADV_NORMAL, abi.MADV_DONTNEED, abi.MADV_DONTFORK, abi.MADV_DOFORK, abi.MADV_WIPEONFORK, abi.MADV_KEEPONFORK:
		return true
	}
	return false
}

// sysMadvise is madvise(2) (MEM-5). Like Linux's madvise_walk_vmas it applies
// the advice to every mapped part of the range, vma by vma, and reports
// ENOMEM when the range had a hole. WIPEONFORK on a MAP_SHARED vma fails
// EINVAL when the walk reaches it, the vmas before it already changed
// (madvise_vma_behavior; conventions says "before any change", the kernel
// and the model disagree with it).
func (k *Kernel) sysMadvise(t *task, a abi.Madvise) abi.Result {
	adv := i32(a.Advice) // a C int
	if (!validAdvice(adv) && !abi.MadviseOther(adv)) || a.Addr%abi.PageSize != 0 {
		return abi.Fail(abi.EINVAL)
	}
	length, ok := pageRound(a.Len)
	if !ok {
		return abi.Fail(abi.EINVAL) // rounded up from a small negative to zero
	}
	end := a.Addr + length
	if end < a.Addr {
		return abi.Fail(abi.EINVAL)
	}
	if end == a.Addr {
		return abi.Ok(0) // MEM-5: length 0 does nothing
	}
	// Advice Linux accepts but forkspec does not model was refused before
	// the step (abi.Refusal).
	a.Advice = adv
	m := t.mm
	if !m.vmas.overlaps(a.Addr, end) {
		return abi.Fail(abi.ENOMEM)
	}
	i, j := m.vmas.rangeIdx(a.Addr, end)
	cursor, hole := a.Addr, false
	for x := i; x < j; x++ {
		v := &m.vmas[x]
		if v.start > cursor {
			hole = true
		}
		switch a.Advice {
		case abi.MADV_DONTNEED:
			if !k.unshareEdges(m, v.start, v.end) {
				m.vmas.merge()
				return abi.Fail(abi.ENOMEM) // on-demand fork only (ondemand.go)
			}
			m.pt.zap(v.start, v.end, &k.frames, k.dropPTE)
		case abi.MADV_DONTFORK:
			v.dontfork = true
		case abi.MADV_DOFORK:
			v.dontfork = false
		case abi.MADV_WIPEONFORK:
			if v.shared { // madvise_vma_behavior: EINVAL at this vma
				m.vmas.merge()
				return abi.Fail(abi.EINVAL)
			}
			v.wipe = true
		case abi.MADV_KEEPONFORK:
			v.wipe = false
		}
		cursor = v.end
	}
	m.vmas.merge()
	if hole || cursor < end {
		return abi.Fail(abi.ENOMEM)
	}
	return abi.Ok(0)
}
