package impl

import "github.com/forkspec/forkspec/abi"

// Rules that depend on the kernel a world targets (abi.Target); the kernel
// change behind each is in docs/kernel-under-test.md.

// search finds a free range of length bytes for a mapping without a
// usable hint, by the target's layout: the highest below the arena's end
// (topDown), or the lowest in the arena (bottomUp).
func (l vmaList) search(t abi.Target, length uint64) (uint64, bool) {
	if t.Layout == abi.LayoutBottomUp {
		return l.bottomUp(length)
	}
	return l.topDown(length)
}

// protAt is the protection of the mapping that holds addr, for
// abi.TargetRefusal.
func (m *mm) protAt(addr uint64) (int64, bool) {
	if i := m.vmas.find(addr &^ (abi.PageSize - 1)); i >= 0 {
		return m.vmas[i].prot, true
	}
	return 0, false
}

// bottomUp finds the lowest free range of length bytes inside the arena
// (vm_unmapped_area's low-to-high search).
func (l vmaList) bottomUp(length uint64) (uint64, bool) {
	lo := abi.ArenaStart
	for _, v := range l {
		if v.end <= lo {
			continue
		}
		if v.start >= abi.ArenaEnd {
			break
		}
		if v.start > lo && v.start-lo >= length {
			return lo, true
		}
		lo = max(lo, v.end)
	}
	if lo < abi.ArenaEnd && abi.ArenaEnd-lo >= length {
		return lo, true
	}
	return 0, false
}
