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

const mmapKnownFlags = abi.MAP_SHARED | abi.MAP_PRIVATE | abi.MAP_FIXED | abi.MAP_ANONYMOUS | abi.MAP_FIXED_NOREPLACE

// sysMmap is mmap(2) of anonymous memory (MEM-3), with the checks in
// Linux's order: no MAP_ANONYMOUS is fd -1, EBADF, before anything else
// (ksys_mmap_pgoff); then do_mmap: length, placement (get_unmapped_area),
// MAP_FIXED_NOREPLACE, and only then the map type. do_mmap never validates
// prot: bits other than READ|WRITE|EXEC are accepted and have no effect
// (the Linux oracle maps prot 0x8 and 0x10 alike).
func (k *Kernel) sysMmap(t *task, a abi.Mmap) abi.Result {
	if a.Flags&abi.MAP_ANONYMOUS == 0 {
		return abi.Fail(abi.EBADF) // fd -1, checked first (ksys_mmap_pgoff)
	}
	if a.Len == 0 {
		return abi.Fail(abi.EINVAL)
	}
	if a.Flags&^mmapKnownFlags != 0 {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	a.Prot &= protRWX
	shared, private := a.Flags&abi.MAP_SHARED != 0, a.Flags&abi.MAP_PRIVATE != 0
	if a.Len > abi.TaskSize {
		return abi.Fail(abi.ENOMEM) // get_unmapped_area: len > TASK_SIZE
	}
	length, _ := pageRound(a.Len)
	m := t.mm
	var addr uint64
	if a.Flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) != 0 {
		addr = a.Addr
		if addr%abi.PageSize != 0 {
			return abi.Fail(abi.EINVAL)
		}
		if addr > abi.TaskSize-length {
			return abi.Fail(abi.ENOMEM)
		}
		if addr < abi.MmapMinAddr {
			return abi.Refuse(abi.OutcomeUnsupported)
		}
		if a.Flags&abi.MAP_FIXED_NOREPLACE != 0 && m.vmas.overlaps(addr, addr+length) {
			return abi.Fail(abi.EEXIST)
		}
		if shared == private {
			return abi.Fail(abi.EINVAL) // do_mmap's map-type switch, after placement
		}
		if !k.unshareEdges(m, addr, addr+length) {
			return abi.Fail(abi.ENOMEM) // on-demand fork only (ondemand.go)
		}
		k.unmapRange(m, addr, addr+length)
	} else {
		hint := a.Addr &^ (abi.PageSize - 1)
		if hint != 0 && hint < abi.MmapMinAddr {
			hint = abi.MmapMinAddr // round_hint_to_min
		}
		if hint >= abi.MmapMinAddr && hint <= abi.TaskSize-length && !m.vmas.overlaps(hint, hint+length) {
			addr = hint
		} else {
			var ok bool
			if addr, ok = k.place(m, length); !ok {
				return abi.Fail(abi.ENOMEM)
			}
		}
		if shared == private {
			return abi.Fail(abi.EINVAL) // do_mmap's map-type switch, after placement
		}
	}
	v := vma{start: addr, end: addr + length, prot: a.Prot, shared: shared}
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

// topDown finds the highest free range of length bytes inside the arena
// (the default top-down layout, conventions "Memory").
func (l vmaList) topDown(length uint64) (uint64, bool) {
	hi := abi.ArenaEnd
	for i := len(l) - 1; i >= -1; i-- {
		lo := abi.ArenaStart
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
		if hi <= abi.ArenaStart {
			break
		}
	}
	return 0, false
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

// sysMprotect is mprotect(2): pages before the first hole are changed even
// when the call fails ENOMEM (MEM-4; mprotect_fixup runs vma by vma).
func (k *Kernel) sysMprotect(t *task, a abi.Mprotect) abi.Result {
	if a.Addr%abi.PageSize != 0 {
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
	if a.Prot&(abi.PROT_GROWSDOWN|abi.PROT_GROWSUP) != 0 {
		return abi.Refuse(abi.OutcomeUnsupported) // stack-growth ranges are not modelled
	}
	if a.Prot&^(protRWX|abi.PROT_SEM) != 0 {
		return abi.Fail(abi.EINVAL) // arch_validate_prot
	}
	a.Prot &^= abi.PROT_SEM // accepted by arch_validate_prot; changes nothing here
	m := t.mm
	i, j := m.vmas.rangeIdx(a.Addr, end)
	cursor, hole := a.Addr, false
	for x := i; x < j; x++ {
		v := &m.vmas[x]
		if v.start > cursor {
			hole = true
			break
		}
		wasW := v.writable()
		v.prot = a.Prot
		if wasW && !v.writable() {
			m.pt.walk(v.start, v.end, func(l *ptPage, _ uint64, lo, hi int) {
				for e := lo; e < hi; e++ {
					l.ent[e] &^= pteWrite
				}
			})
		}
		cursor = v.end
	}
	m.vmas.merge()
	if hole || cursor < end {
		return abi.Fail(abi.ENOMEM)
	}
	return abi.Ok(0)
}

// madviseOther are advice values Linux accepts (madvise_behavior_valid)
// that forkspec does not model: refused unsupported rather than EINVAL.
var madviseOther = map[int64]bool{1: true, 2: true, 3: true, 8: true, 9: true, 12: true, 13: true,
	14: true, 15: true, 16: true, 17: true, 20: true, 21: true, 22: true, 23: true, 24: true, 25: true,
	100: true, 101: true, 102: true, 103: true}

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
	if (!validAdvice(adv) && !madviseOther[adv]) || a.Addr%abi.PageSize != 0 {
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
	if madviseOther[adv] {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
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
