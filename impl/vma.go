package impl

import (
	"slices"
	"sort"

	"github.com/forkspec/forkspec/abi"
)

// vma is one mapped range of an address space (Linux's vm_area_struct).
type vma struct {
	// start, end bound the range [start, end).
	// Invariant: page-aligned, start < end <= abi.TaskSize.
	start, end uint64
	prot       int64
	// shared is MAP_SHARED. Invariant: shared == (shm != nil).
	shared bool
	// dontfork and wipe are the MADV_DONTFORK and MADV_WIPEONFORK marks.
	// Invariant: !(shared && wipe) (madvise refuses it, MEM-5).
	dontfork, wipe bool
	// accounted is VM_ACCOUNT (MEM-3l): set when a private range is
	// created or made writable, kept afterwards.
	// Invariant: shared ⇒ !accounted; private && writable ⇒ accounted.
	accounted bool
	// execOnly: the protection was set to exactly PROT_EXEC, the
	// execute-only pkey on a CPU with PKU (MEM-3i).
	// Invariant: execOnly ⇒ prot == PROT_EXEC.
	execOnly bool
	// shm is the shared anonymous object behind a MAP_SHARED range, and
	// pgoff the object's page index at start.
	shm   *shmem
	pgoff uint64
}

func (v *vma) pages() uint64 { return (v.end - v.start) >> pageShift }

// readable reports whether loads are allowed (x86: any prot but PROT_NONE).
func (v *vma) readable() bool { return v.prot != abi.PROT_NONE }

// writable reports whether stores are allowed.
func (v *vma) writable() bool { return v.prot&abi.PROT_WRITE != 0 }

// shmPage is the shared-object page index of address va inside v.
func (v *vma) shmPage(va uint64) uint64 { return v.pgoff + (va-v.start)>>pageShift }

// sameAttrs reports whether b can extend a (b starts where a ends) as one vma.
func sameAttrs(a, b *vma) bool {
	if a.end != b.start || a.prot != b.prot || a.shared != b.shared || a.dontfork != b.dontfork || a.wipe != b.wipe ||
		a.accounted != b.accounted || a.execOnly != b.execOnly {
		return false
	}
	return !a.shared || (a.shm == b.shm && a.pgoff+a.pages() == b.pgoff)
}

// shmem is the anonymous object behind MAP_SHARED mappings (Linux's shmem
// inode): one frame per page, allocated at first touch (COW-7), shared by
// every mapping of it in every address space (MEM-2, COW-4).
type shmem struct {
	id int
	// refs is the number of vmas, in all mms, that map the object.
	// Invariant: refs == count of vmas with shm == this; freed at 0.
	refs int
	// pages maps page index to the frame holding it; each holds one reference.
	pages map[uint64]uint32
}

// vmaList is an address space's mappings: a slice sorted by address.
// Invariant: sorted, non-overlapping; adjacent vmas with sameAttrs are merged
// after every operation (vma_merge).
type vmaList []vma

// find returns the index of the vma containing va, or -1.
func (l vmaList) find(va uint64) int {
	i := sort.Search(len(l), func(i int) bool { return l[i].end > va })
	if i < len(l) && l[i].start <= va {
		return i
	}
	return -1
}

// firstEndingAfter returns the index of the first vma with end > va.
func (l vmaList) firstEndingAfter(va uint64) int {
	return sort.Search(len(l), func(i int) bool { return l[i].end > va })
}

// overlaps reports whether anything is mapped in [start, end).
func (l vmaList) overlaps(start, end uint64) bool {
	i := l.firstEndingAfter(start)
	return i < len(l) && l[i].start < end
}

// split cuts the vma containing addr in two at addr (split_vma); no-op when
// addr is a boundary or unmapped.
func (l *vmaList) split(addr uint64) {
	i := l.find(addr)
	if i < 0 || (*l)[i].start == addr {
		return
	}
	v := (*l)[i]
	lo, hi := v, v
	lo.end = addr
	hi.start = addr
	if v.shared {
		hi.pgoff = v.pgoff + (addr-v.start)>>pageShift
		v.shm.refs++
	}
	(*l)[i] = lo
	*l = slices.Insert(*l, i+1, hi)
}

// insert adds v, which must not overlap any vma.
func (l *vmaList) insert(v vma) {
	i := l.firstEndingAfter(v.start)
	*l = slices.Insert(*l, i, v)
}

// merge joins every adjacent pair with equal attributes, dropping the
// shared-object reference the absorbed vma held.
func (l *vmaList) merge() {
	s := *l
	if len(s) < 2 {
		return
	}
	out := s[:1]
	for _, v := range s[1:] {
		last := &out[len(out)-1]
		if sameAttrs(last, &v) {
			last.end = v.end
			if v.shared {
				v.shm.refs--
			}
			continue
		}
		out = append(out, v)
	}
	clear(s[len(out):])
	*l = out
}

// rangeIdx returns the index range [i, j) of vmas lying inside [start, end),
// after splitting at both ends.
func (l *vmaList) rangeIdx(start, end uint64) (int, int) {
	l.split(start)
	l.split(end)
	i := l.firstEndingAfter(start)
	j := i
	for j < len(*l) && (*l)[j].start < end {
		j++
	}
	return i, j
}
