package linux

import "github.com/forkspec/forkspec/abi"

// Traces are relocatable. Their addresses are written in abi's layout —
// this machine's: user space up to abi.TaskSize (128 TiB), the arena at
// abi.ArenaStart (16 TiB) — and a Space of a kernel with a smaller address
// space holds them through a relocation that maps four regions by fixed
// offsets:
//
//	trace addresses                      guest addresses
//	[0, 1 GiB)                           the same (mmap_min_addr, the null page)
//	[ArenaStart, ArenaStart+size)        [Space.ArenaStart, Space.ArenaEnd)
//	[TaskSize-8 KiB, 2^63)               [Space.TaskSize-8 KiB, ...): the end of user space
//	[2^63, 2^64)                         the same (never user space)
//
// The arena's offset is a multiple of 1 GiB, so every 2 MiB and 1 GiB
// page-table boundary of the trace's arena is one in the guest too. The
// 512 GiB boundaries cannot be kept: User-Mode Linux on x86-64 has 3-level
// page tables and 511 GiB of user space, so none exists. The end of user
// space maps to the guest's end of user space, so that a range past it
// fails there as it does here. Lengths are not relocated. An address
// outside the four regions has no place in the guest. In HostSpace the
// relocation is the identity.
//
// The kernel-under-test backend (package uml) relocates steps, results and
// Views with it; the oracle inside the guest uses it to ask the refusal
// rules (abi.Refusal, written in trace addresses) in trace addresses.

// The low and the top region's sizes.
const (
	lowEnd uint64 = 1 << 30
	// topSize: User-Mode Linux's stack ends at most at TASK_SIZE - 2
	// pages (STACK_TOP, processor-generic.h), whatever the randomization.
	topSize uint64 = 2 * abi.PageSize
)

// Region maps the trace addresses [First, Last] to [Guest, Guest+Last-First].
type Region struct{ First, Last, Guest uint64 }

// Regions are the space's relocated regions, disjoint and ascending in
// both layouts.
func (s Space) Regions() []Region {
	if s == HostSpace || s.TaskSize >= abi.TaskSize {
		return []Region{{0, ^uint64(0), 0}}
	}
	return []Region{
		{0, lowEnd - 1, 0},
		{abi.ArenaStart, abi.ArenaStart + (s.ArenaEnd - s.ArenaStart) - 1, s.ArenaStart},
		{abi.TaskSize - topSize, 1<<63 - 1, s.TaskSize - topSize},
		{1 << 63, ^uint64(0), 1 << 63},
	}
}

// ToGuest relocates a trace address into the space; ok is false when it
// has no place there.
func (s Space) ToGuest(a uint64) (uint64, bool) {
	for _, g := range s.Regions() {
		if a >= g.First && a <= g.Last {
			return a - g.First + g.Guest, true
		}
	}
	return 0, false
}

// ToTrace relocates an address of the space back into the trace's layout.
func (s Space) ToTrace(a uint64) (uint64, bool) {
	for _, g := range s.Regions() {
		if a >= g.Guest && a-g.Guest <= g.Last-g.First {
			return a - g.Guest + g.First, true
		}
	}
	return 0, false
}

// traceCall is sc with its addresses in the trace's layout (sc's are the
// space's), for the refusal rules; an address that has none stays.
func traceCall(sc abi.Syscall) abi.Syscall {
	if space == HostSpace {
		return sc
	}
	tr := func(a uint64) uint64 {
		if t, ok := space.ToTrace(a); ok {
			return t
		}
		return a
	}
	switch s := sc.(type) {
	case abi.Mmap:
		if s.Addr != 0 {
			s.Addr = tr(s.Addr)
		}
		return s
	case abi.Munmap:
		s.Addr = tr(s.Addr)
		return s
	case abi.Mprotect:
		s.Addr = tr(s.Addr)
		return s
	case abi.Madvise:
		s.Addr = tr(s.Addr)
		return s
	case abi.Load:
		s.Addr = tr(s.Addr)
		return s
	case abi.Store:
		s.Addr = tr(s.Addr)
		return s
	}
	return sc
}

// traceVMAs are vmas in the trace's layout; a mapping (part) that has no
// place there is dropped: the trace cannot see it.
func traceVMAs(vmas []abi.VMA) []abi.VMA {
	if space == HostSpace {
		return vmas
	}
	var out []abi.VMA
	for _, v := range vmas {
		s, ok1 := space.ToTrace(v.Start)
		l, ok2 := space.ToTrace(v.End - 1)
		if ok1 && ok2 && l-s == v.End-1-v.Start {
			v.Start, v.End = s, l+1
			out = append(out, v)
		}
	}
	return out
}
