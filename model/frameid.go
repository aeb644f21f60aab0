package model

// FrameID implements abi.FrameNamer: the frame token of the page holding
// addr in task tid's address space (COW-1 … COW-7). Tokens are never reused,
// so equal ids at two steps mean the page kept its frame (COW-3 reuse);
// ok is false for a missing or zombie task, an unmapped address, or a page
// that holds no data frame (COW-7).
func (k *Kernel) FrameID(tid int, addr uint64) (uint64, bool) {
	t, ok := k.tasks[tid]
	if !ok || t.mm == nil {
		return 0, false
	}
	a := pageDown(addr)
	i := t.mm.find(a)
	if i < 0 {
		return 0, false
	}
	v := t.mm.vmas[i]
	if v.obj != nil {
		p, ok := v.obj.pages[v.off+(a-v.start)]
		return p.token, ok
	}
	p, ok := t.mm.pages[a]
	return p.token, ok
}
