package model

import "github.com/forkspec/forkspec/abi"

// protRWX are the protection bits a mapping keeps (MEM-3).
const protRWX = abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC

// sysMmap is mmap(2) of anonymous memory (MEM-3, MEM-3j, MEM-3k, MEM-3l), checks in
// Linux's order: ksys_mmap_pgoff looks the fd up first (EBADF without
// MAP_ANONYMOUS); do_mmap: length 0, page rounding; __get_unmapped_area: a
// length past TASK_SIZE, the placement, and for MAP_FIXED the range before
// the alignment; MAP_FIXED_NOREPLACE; the map type; mmap_region's commit
// charge. Flags with effects forkspec does not model, MAP_FIXED below
// mmap_min_addr and a placement with no room were refused before the step
// (abi.Refusal); flags Linux ignores are ignored here too.
func (k *Kernel) sysMmap(t *task, s abi.Mmap) abi.Result {
	flags := s.Flags
	if flags&abi.MAP_ANONYMOUS == 0 {
		return abi.Fail(abi.EBADF) // fd -1 [ksys_mmap_pgoff]
	}
	if s.Len == 0 {
		return abi.Fail(abi.EINVAL) // [do_mmap; mmap(2) ERRORS]
	}
	n, ok := pageUp(s.Len)
	if !ok || n == 0 || n > abi.TaskSize {
		return abi.Fail(abi.ENOMEM) // PAGE_ALIGN overflow; "Careful about overflows" [__get_unmapped_area]
	}
	m := t.mm
	var start uint64
	if flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) != 0 {
		// MEM-3h: the range is checked before the alignment.
		if s.Addr > abi.TaskSize-n {
			return abi.Fail(abi.ENOMEM)
		}
		if s.Addr&pageMask != 0 {
			return abi.Fail(abi.EINVAL)
		}
		// MEM-3o: below vm.mmap_min_addr a task without CAP_SYS_RAWIO gets
		// EPERM (security_mmap_addr → cap_mmap_addr), before NOREPLACE and
		// the map type; unknown, it was refused (abi.Refusal).
		if eperm, _ := k.machine.FixedBelowMin(s.Addr); eperm {
			return abi.Fail(abi.EPERM)
		}
		if flags&abi.MAP_FIXED_NOREPLACE != 0 && m.overlaps(s.Addr, s.Addr+n) {
			return abi.Fail(abi.EEXIST) // [mmap(2) MAP_FIXED_NOREPLACE]
		}
		start = s.Addr
	} else if start, ok = placement(m, k.target, s.Addr, n, flags&abi.MAP_SHARED == 0); !ok {
		return abi.Fail(abi.ENOMEM) // refused before the step (abi.Refusal)
	}
	// do_mmap's map-type switch comes after the placement: neither or both
	// of MAP_SHARED/MAP_PRIVATE (or any other type value) is EINVAL, and so
	// is MAP_GROWSDOWN with MAP_SHARED.
	shared := false
	switch flags & abi.MAP_TYPE {
	case abi.MAP_SHARED:
		if flags&abi.MAP_GROWSDOWN != 0 {
			return abi.Fail(abi.EINVAL)
		}
		shared = true
	case abi.MAP_PRIVATE:
	default:
		return abi.Fail(abi.EINVAL)
	}
	// MEM-3l: the commit charge. A writable private mapping charges its
	// pages less the accounted pages it replaces, before anything is
	// unmapped (__mmap_setup): on failure the old mappings stay. A shared
	// mapping's shmem object charges its whole size later, after the old
	// mappings' page tables were cleared (__mmap_new_vma →
	// shmem_zero_setup): on failure what was in the range is gone
	// (vms_abort_munmap_vmas leaves a gap; measured on 6.18). Before 6.12
	// every mapping's range was cleared first and the whole length charged
	// (abi.Target.UnmapsBeforeCharge). [__vm_enough_memory]
	var charge uint64
	early := k.target.UnmapsBeforeCharge()
	switch {
	case shared:
		charge = n / abi.PageSize
	case s.Prot&abi.PROT_WRITE != 0 && early:
		charge = n / abi.PageSize
	case s.Prot&abi.PROT_WRITE != 0:
		charge = n/abi.PageSize - m.accountedPages(start, start+n)
	}
	if fits, _ := k.machine.Commit(charge); !fits {
		if shared || early {
			m.unmap(start, start+n)
		}
		return abi.Fail(abi.ENOMEM)
	}
	m.unmap(start, start+n)
	// do_mmap never validates prot: other bits are accepted and have no
	// effect (the Linux oracle maps prot 0x8 and 0x10 alike). Exactly
	// PROT_EXEC gets the execute-only key (MEM-3i).
	v := vma{start: start, end: start + n, prot: s.Prot & protRWX, execOnly: s.Prot == abi.PROT_EXEC,
		accounted: !shared && s.Prot&abi.PROT_WRITE != 0}
	if shared {
		v.obj = &shmObj{id: k.newID(), pages: map[uint64]page{}}
	}
	m.insert(v)
	return abi.Ok(start)
}

// placement returns where a mmap without MAP_FIXED of n bytes at hint addr
// goes, or false when nothing below ArenaEnd is free (MEM-3j, MEM-3k).
//
// The hint is rounded down to a page and, when nonzero, raised to
// MmapMinAddr (round_hint_to_min); a hint whose range is free and inside
// the address space is used as is (arch_get_unmapped_area_topdown).
// Otherwise the top-down search takes the highest free range below
// ArenaEnd — the arena first, then below it — as vm_unmapped_area does
// under the oracle's reservation of everything above the arena (a target
// with the legacy layout searches bottom-up instead: search, target.go). A
// private request without a hint whose length is a multiple of 2 MiB is
// THP aligned where the target does that (MEM-3j,
// thp_get_unmapped_area_vmflags, abi.Target.THPAligned): the search looks
// for length + 2 MiB and takes the 2 MiB boundary thp_get_unmapped_area
// takes in what it found (abi.THPAlign); when that finds nothing the plain
// search runs. Shared requests go through shmem_get_unmapped_area, which
// aligns only when shmem THP is on (off on the oracle's machine): plain.
func placement(m *mm, t abi.Target, addr, n uint64, private bool) (uint64, bool) {
	hint := pageDown(addr)
	if hint != 0 && hint < abi.MmapMinAddr {
		hint = abi.MmapMinAddr
	}
	if hint != 0 {
		if hint <= abi.TaskSize-n && !m.overlaps(hint, hint+n) {
			return hint, true
		}
	} else if private && n%abi.THPSize == 0 && t.THPAligned() {
		if ret, ok := m.search(t, n+abi.THPSize); ok {
			return abi.THPAlign(t, ret), true
		}
	}
	return m.search(t, n)
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

// sysMprotect is mprotect(2) (MEM-4, MEM-4g). Linux's order
// (do_mprotect_pkey): PROT_GROWSDOWN and PROT_GROWSUP together → EINVAL
// (before anything else); unaligned → EINVAL; length 0 → 0 (before prot is
// validated); overflow → ENOMEM; bad prot → EINVAL. With one GROWS bit the
// first mapping in the range decides: none → ENOMEM; PROT_GROWSUP and a
// hole at the start → ENOMEM; otherwise EINVAL, as no mapping here is
// VM_GROWSDOWN and x86 has no VM_GROWSUP (MEM-4f). Then the walk: a hole
// anywhere → ENOMEM, and the pages before the first hole have already been
// changed (mprotect_fixup loop; measured on 6.18, shared/notes.md). Making
// unaccounted private memory writable charges it to the commit limit, one
// charge per Linux vma (a run of such mappings with equal attributes); one
// that does not fit stops the walk with ENOMEM (MEM-4g).
func (k *Kernel) sysMprotect(t *task, s abi.Mprotect) abi.Result {
	grows := s.Prot & (abi.PROT_GROWSDOWN | abi.PROT_GROWSUP)
	prot := s.Prot &^ grows
	if grows == abi.PROT_GROWSDOWN|abi.PROT_GROWSUP {
		return abi.Fail(abi.EINVAL)
	}
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
	if prot&^(protRWX|abi.PROT_SEM) != 0 {
		return abi.Fail(abi.EINVAL) // arch_validate_prot
	}
	m := t.mm
	if grows != 0 {
		i := m.firstIn(s.Addr, end)
		switch {
		case i < 0:
			return abi.Fail(abi.ENOMEM)
		case grows == abi.PROT_GROWSUP && m.vmas[i].start > s.Addr:
			return abi.Fail(abi.ENOMEM)
		}
		return abi.Fail(abi.EINVAL) // not VM_GROWSDOWN; no VM_GROWSUP on x86
	}
	execOnly := prot == abi.PROT_EXEC // arch_override_mprotect_pkey
	prot &^= abi.PROT_SEM             // accepted by arch_validate_prot; changes nothing here
	hole, hasHole := m.firstHole(s.Addr, end)
	limit := end
	if hasHole {
		limit = hole
	}
	if limit > s.Addr {
		idx := m.isolate(s.Addr, limit)
		for x := 0; x < len(idx); {
			v := m.vmas[idx[x]]
			y := x + 1
			if v.obj == nil && !v.accounted && prot&abi.PROT_WRITE != 0 {
				// One charge for the Linux vma this mapping belongs to:
				// every following one with equal attributes.
				for y < len(idx) && k.sameUnaccountedRun(m.vmas[idx[y-1]], m.vmas[idx[y]]) {
					y++
				}
				pages := (m.vmas[idx[y-1]].end - v.start) / abi.PageSize
				if fits, _ := k.machine.Commit(pages); !fits {
					return abi.Fail(abi.ENOMEM)
				}
			}
			for ; x < y; x++ {
				w := &m.vmas[idx[x]]
				w.prot, w.execOnly = prot, execOnly
				if w.obj == nil && prot&abi.PROT_WRITE != 0 {
					w.accounted = true
				}
			}
		}
	}
	if hasHole {
		return abi.Fail(abi.ENOMEM)
	}
	return abi.Ok(0)
}

// sameUnaccountedRun reports whether b, which follows a, belongs to the
// same Linux vma as a for the commit charge: both unaccounted private
// mappings with equal attributes (they never had an anon_vma, so Linux
// merged them). The execute-only key splits vmas only on a CPU with PKU.
func (k *Kernel) sameUnaccountedRun(a, b vma) bool {
	return a.end == b.start && b.obj == nil && !b.accounted && a.prot == b.prot &&
		a.dontFork == b.dontFork && a.wipeOnFork == b.wipeOnFork &&
		(k.machine.PKU != abi.FeaturePresent || a.execOnly == b.execOnly)
}

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
	if !abi.MadviseModelled(adv) && !abi.MadviseOther(adv) {
		return abi.Fail(abi.EINVAL) // madvise_behavior_valid
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
	// Advice Linux accepts but forkspec does not model was refused before
	// the step (abi.Refusal).
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
// A load outside a readable mapping is SIGSEGV: PROT_NONE, and on a CPU
// with PKU an execute-only mapping (MEM-3i). A private page never stored
// to reads 0 and gets no frame; a shared page gets its one frame at first
// touch (COW-7).
func (k *Kernel) sysLoad(t *task, s abi.Load) abi.Result {
	m := t.mm
	a := pageDown(s.Addr)
	i := m.find(a)
	// MEM-3i: on a CPU with PKU the execute-only key denies data access too
	// (a pkey fault, SEGV_PKUERR); with PKU unknown such a load was refused
	// before the step (abi.Refusal).
	if i < 0 || !k.readable(m.vmas[i]) {
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
		k.touchAll() // every mm mapping the object sees the value
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
		k.touchAll() // every mm mapping the object sees the frame
		p = page{token: k.newToken()}
		v.obj.pages[off] = p
	}
	return p
}

// tokenShared reports whether any private page other than (m, a), in any
// address space in use, holds token tok (COW-2 versus COW-3). It asks
// every task's mm (an mm several tasks share is asked more than once):
// the answer is the same in any order.
func (k *Kernel) tokenShared(tok uint64, m *mm, a uint64) bool {
	for _, t := range k.tasks {
		o := t.mm
		if o == nil {
			continue
		}
		for addr, p := range o.pages {
			if p.token == tok && (o != m || addr != a) {
				return true
			}
		}
	}
	return false
}
