package impl

import "github.com/forkspec/forkspec/abi"

// FrameID implements abi.FrameNamer: the number (+1) of the physical frame
// behind the page holding addr in task tid's address space, as View reports
// it before canonicalization. A private page counts when its PTE maps a
// frame other than the zero frame; a MAP_SHARED page when its object has a
// frame for it (COW-7). Frame numbers are reused once a frame is freed, as
// PFNs are on Linux.
func (k *Kernel) FrameID(tid int, addr uint64) (uint64, bool) {
	t, ok := k.tasks[tid]
	if !ok || t.mm == nil {
		return 0, false
	}
	m := t.mm
	va := addr &^ (abi.PageSize - 1)
	i := m.vmas.find(va)
	if i < 0 {
		return 0, false
	}
	if v := &m.vmas[i]; v.shared {
		f, ok := v.shm.pages[v.shmPage(va)]
		return uint64(f) + 1, ok
	}
	l, x := m.pt.lookup(va)
	if l == nil || !l.ent[x].present() || l.ent[x].frame() == zeroFrame {
		return 0, false
	}
	return uint64(l.ent[x].frame()) + 1, true
}
