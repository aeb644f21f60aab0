package model

import (
	"maps"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// mm is one address space (Linux's mm_struct): a sorted list of mappings and
// the private pages that hold a data frame. CLONE_VM tasks share the pointer.
type mm struct {
	id int
	// vmas are the mappings in address order.
	// Invariant: page-aligned, start < end, non-overlapping, sorted, inside
	// [Kernel.lowestMappable(), abi.TaskSize]; shared ⇔ obj != nil; a shared vma is
	// never wipeOnFork (MEM-5).
	vmas []vma
	// pages holds the private pages that have been stored to (or laid out
	// by exec), by page address: each holds a frame token (COW-7: a private
	// page never stored to holds none). Invariant: every address lies in a
	// private vma.
	pages map[uint64]page
}

// vma is one mapping (vm_area_struct), with the attributes of every page in
// [start, end).
type vma struct {
	start, end uint64
	// prot is PROT_* bits 0..7.
	prot int64
	// obj is the shared object of a MAP_SHARED mapping; nil for MAP_PRIVATE.
	obj *shmObj
	// off is the object offset (bytes) that start maps; 0 when private.
	off uint64
	// dontFork and wipeOnFork are the MADV_DONTFORK / MADV_WIPEONFORK marks.
	dontFork, wipeOnFork bool
	// accounted is VM_ACCOUNT: the pages are charged to the commit limit.
	// Set when a private mapping is created writable or made writable,
	// kept when it becomes read-only again (accountable_mapping,
	// mprotect_fixup). Invariant: a writable private vma is accounted; a
	// shared one never is (shmem charges its object instead).
	accounted bool
	// execOnly: the protection was last set to exactly PROT_EXEC, which
	// gives the mapping the execute-only protection key on a CPU with PKU
	// (execute_only_pkey). Invariant: execOnly implies prot == PROT_EXEC.
	execOnly bool
}

// page is the content of one page that holds a data frame.
type page struct {
	// value is the 64-bit word at the start of the page.
	value uint64
	// token is the abstract frame: two pages with the same token are backed
	// by the same physical page (COW-1 … COW-7). Invariant: nonzero, and
	// every page holding a token holds the same value.
	token uint64
}

// shmObj is the object behind a MAP_SHARED anonymous mapping (a shmem file):
// its pages are the shared state. fork gives the child the same pointer
// (MEM-2); exec and munmap drop the reference.
type shmObj struct {
	id int
	// pages holds the touched pages by object offset (COW-7: a shared page
	// gets its one frame at first touch, load or store).
	pages map[uint64]page
}

const pageMask = uint64(abi.PageSize - 1)

func pageDown(a uint64) uint64 { return a &^ pageMask }

// pageUp rounds n up to whole pages; ok is false when that overflows.
func pageUp(n uint64) (uint64, bool) {
	r := (n + pageMask) &^ pageMask
	return r, r >= n
}

func (k *Kernel) newMm() *mm { return &mm{id: k.newID(), pages: map[uint64]page{}} }

// find returns the index of the vma containing addr, or -1.
func (m *mm) find(addr uint64) int {
	for i := range m.vmas {
		if m.vmas[i].start <= addr && addr < m.vmas[i].end {
			return i
		}
	}
	return -1
}

// firstIn returns the index of the lowest vma meeting [start, end), or -1
// (vma_find).
func (m *mm) firstIn(start, end uint64) int {
	for i, v := range m.vmas {
		if v.start < end && start < v.end {
			return i
		}
	}
	return -1
}

// splitAt makes addr a mapping boundary: a vma strictly containing it is
// split in two with equal attributes (split_vma).
func (m *mm) splitAt(addr uint64) {
	i := m.find(addr)
	if i < 0 || m.vmas[i].start == addr {
		return
	}
	lo, hi := m.vmas[i], m.vmas[i]
	lo.end = addr
	hi.start = addr
	if hi.obj != nil {
		hi.off += addr - lo.start
	}
	m.vmas = slices.Insert(m.vmas, i+1, hi)
	m.vmas[i] = lo
}

// overlaps reports whether anything is mapped in [start, end).
func (m *mm) overlaps(start, end uint64) bool {
	for _, v := range m.vmas {
		if v.start < end && start < v.end {
			return true
		}
	}
	return false
}

// unmap removes every mapping in [start, end) and the private pages there
// (do_vmi_munmap). Shared objects lose this mm's reference only.
func (m *mm) unmap(start, end uint64) {
	m.splitAt(start)
	m.splitAt(end)
	m.vmas = slices.DeleteFunc(m.vmas, func(v vma) bool { return v.start >= start && v.end <= end })
	for a := range m.pages {
		if a >= start && a < end {
			delete(m.pages, a)
		}
	}
}

// insert adds v; the range must be free.
func (m *mm) insert(v vma) {
	i := 0
	for i < len(m.vmas) && m.vmas[i].start < v.start {
		i++
	}
	m.vmas = slices.Insert(m.vmas, i, v)
}

// isolate splits the mappings at start and end and returns the indexes of
// the vmas inside [start, end), in address order.
func (m *mm) isolate(start, end uint64) []int {
	m.splitAt(start)
	m.splitAt(end)
	var idx []int
	for i, v := range m.vmas {
		if v.start >= start && v.end <= end {
			idx = append(idx, i)
		}
	}
	return idx
}

// firstHole returns the lowest address in [start, end) that no mapping
// covers, and whether there is one.
func (m *mm) firstHole(start, end uint64) (uint64, bool) {
	a := start
	for _, v := range m.vmas {
		if v.end <= a {
			continue
		}
		if v.start > a {
			break
		}
		a = v.end
		if a >= end {
			return 0, false
		}
	}
	return a, a < end
}

// accountedPages returns how many pages of [start, end) accounted vmas
// hold (mmap_region's nr_accounted for a MAP_FIXED mapping).
func (m *mm) accountedPages(start, end uint64) uint64 {
	var n uint64
	for _, v := range m.vmas {
		if v.accounted && v.start < end && start < v.end {
			n += (min(v.end, end) - max(v.start, start)) / abi.PageSize
		}
	}
	return n
}

// freeTopDown returns the highest start s with [s, s+n) free and inside
// [lo, hi], or false (vm_unmapped_area's top-down search).
func (m *mm) freeTopDown(n, lo, hi uint64) (uint64, bool) {
	if n == 0 || hi < lo || n > hi-lo {
		return 0, false
	}
	top := hi
	for i := len(m.vmas) - 1; i >= 0; i-- {
		v := m.vmas[i]
		if v.start >= top {
			continue
		}
		if v.end < top {
			bottom := max(v.end, lo)
			if top >= bottom && top-bottom >= n {
				return top - n, true
			}
		}
		top = v.start
		if top <= lo {
			return 0, false
		}
	}
	if top-lo >= n {
		return top - n, true
	}
	return 0, false
}

// dup copies m for fork without CLONE_VM (dup_mmap): DONTFORK mappings do
// not come (FORK-6), WIPEONFORK mappings come empty and keep the mark
// (FORK-6), private pages keep their frame tokens (COW-1), shared mappings
// keep their object (MEM-2).
func (k *Kernel) dupMm(m *mm) *mm {
	c := k.newMm()
	for _, v := range m.vmas {
		if v.dontFork {
			continue
		}
		c.vmas = append(c.vmas, v)
		if v.obj != nil || v.wipeOnFork {
			continue
		}
		for a, p := range m.pages {
			if a >= v.start && a < v.end {
				c.pages[a] = p
			}
		}
	}
	return c
}

// imageMm builds the fresh address space of an image (WORLD-2, EXEC-1):
// its mappings, with each nonzero initial value stored, so that page holds
// its own fresh frame.
func (k *Kernel) imageMm(img abi.Image) *mm {
	m := k.newMm()
	for _, im := range img.Mappings {
		// The loader maps every image mapping writable, stores the initial
		// values, then applies the protection: private ones are accounted,
		// and exactly PROT_EXEC is execute-only.
		v := vma{start: im.Addr, end: im.Addr + im.Pages*abi.PageSize, prot: im.Prot, execOnly: im.Prot == abi.PROT_EXEC}
		if im.Flags&abi.MAP_SHARED != 0 {
			v.obj = &shmObj{id: k.newID(), pages: map[uint64]page{}}
		} else {
			v.accounted = true
		}
		m.insert(v)
		for i, val := range im.Values {
			if val == 0 || uint64(i) >= im.Pages {
				continue
			}
			off := uint64(i) * abi.PageSize
			if v.obj != nil {
				v.obj.pages[off] = page{value: val, token: k.newToken()}
			} else {
				m.pages[v.start+off] = page{value: val, token: k.newToken()}
			}
		}
	}
	return m
}

// cloneMm deep-copies m, mapping shared objects through objs so that
// sharing survives the copy.
func cloneMm(m *mm, objs map[*shmObj]*shmObj) *mm {
	c := &mm{id: m.id, vmas: slices.Clone(m.vmas), pages: maps.Clone(m.pages)}
	for i := range c.vmas {
		if o := c.vmas[i].obj; o != nil {
			n, ok := objs[o]
			if !ok {
				n = &shmObj{id: o.id, pages: maps.Clone(o.pages)}
				objs[o] = n
			}
			c.vmas[i].obj = n
		}
	}
	return c
}

// lowestMappable is the lowest address a mapping can start at: the
// machine's vm.mmap_min_addr when the world knows it (a MAP_FIXED below it
// fails EPERM, MEM-3o), else abi.MmapMinAddr (lower MAP_FIXED requests are
// refused).
func (k *Kernel) lowestMappable() uint64 {
	if k.machine.DacMmapMinAddr != 0 {
		return k.machine.DacMmapMinAddr
	}
	return abi.MmapMinAddr
}
