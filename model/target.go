package model

import "github.com/forkspec/forkspec/abi"

// Rules that depend on the kernel a world targets (abi.Target); the kernel
// change behind each is in docs/kernel-under-test.md.

// search finds a free range of n bytes for a mapping without a usable
// hint (MEM-3, MEM-3k), by the target's layout: top-down, the highest free
// range below the arena's end (arch_get_unmapped_area_topdown), or in the
// legacy layout bottom-up, the lowest free range of the arena
// (arch_get_unmapped_area, vm_unmapped_area's low-to-high search from
// mmap_base; the oracle reserves everything below the arena).
func (m *mm) search(t abi.Target, n uint64) (uint64, bool) {
	if t.Layout == abi.LayoutBottomUp {
		return m.freeBottomUp(n, abi.ArenaStart, abi.ArenaEnd)
	}
	return m.freeTopDown(n, abi.MmapMinAddr, abi.ArenaEnd)
}

// protAt is the protection of the mapping that holds addr, for
// abi.TargetRefusal.
func (m *mm) protAt(addr uint64) (int64, bool) {
	if i := m.find(pageDown(addr)); i >= 0 {
		return m.vmas[i].prot, true
	}
	return 0, false
}

// freeBottomUp returns the lowest start s with [s, s+n) free and inside
// [lo, hi], or false.
func (m *mm) freeBottomUp(n, lo, hi uint64) (uint64, bool) {
	if n == 0 || hi < lo || n > hi-lo {
		return 0, false
	}
	s := lo
	for _, v := range m.vmas {
		if v.end <= s {
			continue
		}
		if v.start >= s && v.start-s >= n {
			break
		}
		s = max(s, v.end)
		if s >= hi || hi-s < n {
			return 0, false
		}
	}
	if hi-s >= n {
		return s, true
	}
	return 0, false
}
