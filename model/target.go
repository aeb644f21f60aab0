package model

import "github.com/forkspec/forkspec/abi"

// Rules that depend on the kernel a world targets (abi.Target); the kernel
// change behind each is in docs/kernel-under-test.md.

// place finds room for a mapping of n bytes without a usable hint, in the
// arena (MEM-3, docs/conventions.md "Memory"): top-down from its end
// (arch_get_unmapped_area_topdown), or bottom-up from its start in the
// legacy layout (arch_get_unmapped_area, vm_unmapped_area's low-to-high
// search from mmap_base).
func (k *Kernel) place(m *mm, n uint64) (uint64, bool) {
	if k.target.Layout == abi.LayoutBottomUp {
		return m.freeBottomUp(n, abi.ArenaStart, abi.ArenaEnd)
	}
	return m.freeTopDown(n, abi.ArenaStart, abi.ArenaEnd)
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
