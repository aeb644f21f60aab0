package model

import "github.com/forkspec/forkspec/abi"

// protRWX are the protection bits a mapping keeps (MEM-3).
const protRWX = abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC

// mapFlagsKnown are the mmap flags forkspec models (docs/conventions.md
// "Memory"); other bits are refused as unsupported.
const mapFlagsKnown = abi.MAP_SHARED | abi.MAP_PRIVATE | abi.MAP_FIXED | abi.MAP_ANONYMOUS | abi.MAP_FIXED_NOREPLACE

// sysMmap is mmap(2) of anonymous memory (MEM-3). Checks follow Linux's
// order: ksys_mmap_pgoff looks the fd up first (EBADF without
// MAP_ANONYMOUS), then do_mmap (length 0, map type), then the placement
// (__get_unmapped_area, MAP_FIXED_NOREPLACE).
func (k *Kernel) sysMmap(t *task, s abi.Mmap) abi.Result {
	flags, prot := s.Flags, s.Prot
	if flags&abi.MAP_ANONYMOUS == 0 {
		return abi.Fail(abi.EBADF) // fd -1 [ksys_mmap_pgoff]
	}
	if s.Len == 0 {
		return abi.Fail(abi.EINVAL) // [do_mmap; mmap(2) ERRORS]
	}
	if flags&^mapFlagsKnown != 0 {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	// do_mmap never validates prot: other bits are accepted and have no
	// effect (the Linux oracle maps prot 0x8 and 0x10 alike).
	prot &= protRWX
	// Neither or both of MAP_SHARED/MAP_PRIVATE (MAP_SHARED_VALIDATE) fail
	// EINVAL in do_mmap's map-type switch, which comes after the placement.
	badType := flags&(abi.MAP_SHARED|abi.MAP_PRIVATE) != abi.MAP_SHARED &&
		flags&(abi.MAP_SHARED|abi.MAP_PRIVATE) != abi.MAP_PRIVATE
	n, ok := pageUp(s.Len)
	if !ok || n > abi.TaskSize {
		return abi.Fail(abi.ENOMEM) // [do_mmap: "Careful about overflows"]
	}
	m := t.mm
	var start uint64
	if flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) != 0 {
		// MEM-3: MAP_FIXED places exactly and replaces what was there.
		if s.Addr&pageMask != 0 {
			return abi.Fail(abi.EINVAL)
		}
		if s.Addr > abi.TaskSize-n {
			return abi.Fail(abi.ENOMEM)
		}
		if s.Addr < abi.MmapMinAddr {
			return abi.Refuse(abi.OutcomeUnsupported) // EPERM or allowed, by capability
		}
		if flags&abi.MAP_FIXED_NOREPLACE != 0 && m.overlaps(s.Addr, s.Addr+n) {
			return abi.Fail(abi.EEXIST) // [mmap(2) MAP_FIXED_NOREPLACE]
		}
		start = s.Addr
	} else {
		hint := pageDown(s.Addr)
		if hint != 0 && hint < abi.MmapMinAddr {
			hint = abi.MmapMinAddr // round_hint_to_min
		}
		if hint >= abi.MmapMinAddr && hint <= abi.TaskSize-n && !m.overlaps(hint, hint+n) {
			start = hint
		} else if start, ok = k.place(m, n); !ok {
			return abi.Fail(abi.ENOMEM)
		}
	}
	if badType {
		return abi.Fail(abi.EINVAL)
	}
	m.unmap(start, start+n)
	v := vma{start: start, end: start + n, prot: prot}
	if flags&abi.MAP_SHARED != 0 {
		v.obj = &shmObj{id: k.newID(), pages: map[uint64]page{}}
	}
	m.insert(v)
	return abi.Ok(start)
}

// sysMunmap is munmap(2) (MEM-4): EINVAL for an unaligned address, length 0
// or a range past TaskSize; unmapping nothing succeeds; a partial unmap
// splits mappings. [do_vmi_munmap]
func (k *Kernel) sysMunmap(t *task, s abi.Munmap) abi.Result {
	if s.Addr&pageMask != 0 || s.Addr > abi.TaskSize || s.Len > abi.TaskSize-s.Addr {
		return abi.Fail(abi.EINVAL)
	}
	n, _ := pageUp(s.Len)
	if n == 0 {
		return abi.Fail(abi.EINVAL)
	}
	t.mm.unmap(s.Addr, s.Addr+n)
	return abi.Ok(0)
}

// sysMprotect is mprotect(2) (MEM-4). Linux's order (do_mprotect_pkey):
// unaligned → EINVAL; length 0 → 0 (before prot is validated); overflow →
// ENOMEM; bad prot → EINVAL. A hole anywhere → ENOMEM, and the pages before
// the first hole have already been changed (the mprotect_fixup loop;
// measured on 6.18, shared/notes.md).
func (k *Kernel) sysMprotect(t *task, s abi.Mprotect) abi.Result {
	if s.Addr&pageMask != 0 {
		return abi.Fail(abi.EINVAL)
	}
	if s.Len == 0 {
		return abi.Ok(0)
	}
	n, ok := pageUp(s.Len)
	end := s.Addr + n
	if !ok || end <= s.Addr {
		return abi.Fail(abi.ENOMEM)
	}
	prot := s.Prot
	if prot&(abi.PROT_GROWSDOWN|abi.PROT_GROWSUP) != 0 {
		return abi.Refuse(abi.OutcomeUnsupported) // stack-growth ranges are not modelled
	}
	if prot&^(protRWX|abi.PROT_SEM) != 0 {
		return abi.Fail(abi.EINVAL) // arch_validate_prot
	}
	prot &^= abi.PROT_SEM // arch_validate_prot accepts PROT_SEM; it changes nothing here
	m := t.mm
	hole, hasHole := m.firstHole(s.Addr, end)
	limit := end
	if hasHole {
		limit = hole
	}
	if limit > s.Addr {
		for _, i := range m.isolate(s.Addr, limit) {
			m.vmas[i].prot = prot
		}
	}
	if hasHole {
		return abi.Fail(abi.ENOMEM)
	}
	return abi.Ok(0)
}

// madviseOther are advice values Linux accepts (madvise_behavior_valid) but
// forkspec does not model: refused as unsupported rather than EINVAL.
var madviseOther = map[int64]bool{1: true, 2: true, 3: true, 8: true, 9: true, 12: true, 13: true,
	14: true, 15: true, 16: true, 17: true, 20: true, 21: true, 22: true, 23: true, 24: true, 25: true,
	100: true, 101: true, 102: true, 103: true}

// sysMadvise is madvise(2) (MEM-5, FORK-6). Order as in Linux: unknown
// advice → EINVAL, unaligned → EINVAL, length 0 → 0. Then the vma walk
// (madvise_walk_vmas): holes are skipped and reported as ENOMEM at the end,
// so every mapped part of the range — before and after a hole — gets the
// advice. MADV_WIPEONFORK on a MAP_SHARED vma fails EINVAL when the walk
// reaches it (madvise_vma_behavior), the vmas before it already changed.
//
// docs/conventions.md says the shared check covers the whole range before
// any change and that only the parts before a hole change; the kernel's walk
// does neither, and the model follows the kernel.
func (k *Kernel) sysMadvise(t *task, s abi.Madvise) abi.Result {
	adv := i32(s.Advice)
	switch adv {
	case abi.MADV_NORMAL, abi.MADV_DONTNEED, abi.MADV_DONTFORK, abi.MADV_DOFORK, abi.MADV_WIPEONFORK, abi.MADV_KEEPONFORK:
	default:
		if !madviseOther[adv] {
			return abi.Fail(abi.EINVAL)
		}
	}
	if s.Addr&pageMask != 0 {
		return abi.Fail(abi.EINVAL)
	}
	n, ok := pageUp(s.Len)
	if !ok {
		return abi.Fail(abi.EINVAL) // rounded up from a small negative to zero
	}
	end := s.Addr + n
	if end < s.Addr {
		return abi.Fail(abi.EINVAL)
	}
	if end == s.Addr {
		return abi.Ok(0) // MEM-5: length 0 succeeds doing nothing
	}
	if madviseOther[adv] {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	m := t.mm
	_, hole := m.firstHole(s.Addr, end)
	for _, i := range m.isolate(s.Addr, end) {
		v := &m.vmas[i]
		switch adv {
		case abi.MADV_DONTFORK:
			v.dontFork = true
		case abi.MADV_DOFORK:
			v.dontFork = false
		case abi.MADV_WIPEONFORK:
			if v.obj != nil {
				return abi.Fail(abi.EINVAL) // MEM-5 [madvise_vma_behavior]
			}
			v.wipeOnFork = true
		case abi.MADV_KEEPONFORK:
			v.wipeOnFork = false
		case abi.MADV_DONTNEED:
			// MEM-5: private pages drop their frames and read zero again;
			// on a shared mapping only this mm's page table entries go, the
			// object keeps its content. [madvise_dontneed_free; zap_page_range]
			if v.obj == nil {
				for a := range m.pages {
					if a >= v.start && a < v.end {
						delete(m.pages, a)
					}
				}
			}
		}
	}
	if hole {
		return abi.Fail(abi.ENOMEM)
	}
	return abi.Ok(0)
}

// sysLoad reads the word at the start of the page holding s.Addr (MEM-3).
// A load outside a readable mapping is SIGSEGV. A private page never stored
// to reads 0 and gets no frame; a shared page gets its one frame at first
// touch (COW-7).
func (k *Kernel) sysLoad(t *task, s abi.Load) abi.Result {
	m := t.mm
	a := pageDown(s.Addr)
	i := m.find(a)
	if i < 0 || m.vmas[i].prot == abi.PROT_NONE {
		return k.forceSegv(t)
	}
	v := m.vmas[i]
	if v.obj != nil {
		return abi.Ok(k.touchShared(v, a).value)
	}
	return abi.Ok(m.pages[a].value)
}

// sysStore writes the word at the start of the page holding s.Addr (MEM-3).
// A store outside a writable mapping is SIGSEGV. Frames (COW-2, COW-3,
// COW-4, COW-7): a private page whose token another page (any mm) also
// holds gets a fresh token; an exclusively held token is kept; a private
// page with no token gets a fresh one; a shared page keeps its one token.
func (k *Kernel) sysStore(t *task, s abi.Store) abi.Result {
	m := t.mm
	a := pageDown(s.Addr)
	i := m.find(a)
	if i < 0 || m.vmas[i].prot&abi.PROT_WRITE == 0 {
		return k.forceSegv(t)
	}
	v := m.vmas[i]
	if v.obj != nil {
		p := k.touchShared(v, a)
		p.value = s.Value
		v.obj.pages[v.off+(a-v.start)] = p
		return abi.Ok(0)
	}
	p, has := m.pages[a]
	if !has || k.tokenShared(p.token, m, a) {
		p.token = k.newToken()
	}
	p.value = s.Value
	m.pages[a] = p
	return abi.Ok(0)
}

// touchShared returns the shared page at a in v, giving it its frame at
// first touch (COW-7).
func (k *Kernel) touchShared(v vma, a uint64) page {
	off := v.off + (a - v.start)
	p, ok := v.obj.pages[off]
	if !ok {
		p = page{token: k.newToken()}
		v.obj.pages[off] = p
	}
	return p
}

// tokenShared reports whether any private page other than (m, a), in any
// address space in use, holds token tok (COW-2 versus COW-3).
func (k *Kernel) tokenShared(tok uint64, m *mm, a uint64) bool {
	for _, o := range k.liveMms() {
		for addr, p := range o.pages {
			if p.token == tok && (o != m || addr != a) {
				return true
			}
		}
	}
	return false
}
