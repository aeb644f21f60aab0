package uml

import (
	"fmt"
	"slices"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/linux"
)

// Traces are relocatable. Their addresses are written in abi's layout —
// this machine's: user space up to abi.TaskSize (128 TiB), the arena at
// abi.ArenaStart (16 TiB) — and a kernel with a smaller address space runs
// them through a relocation that maps four regions by fixed offsets:
//
//	trace addresses                      guest addresses
//	[0, 1 GiB)                           the same (mmap_min_addr, the null page)
//	[ArenaStart, ArenaStart+size)        [guest ArenaStart, guest ArenaEnd)
//	[TaskSize-8 KiB, 2^63)               [guest TaskSize-8 KiB, ...): the end of user space
//	[2^63, 2^64)                         the same (never user space)
//
// The arena's offset is a multiple of 1 GiB, so every 2 MiB and 1 GiB
// page-table boundary of the trace's arena is one in the guest too. The
// 512 GiB boundaries cannot be kept: User-Mode Linux on x86-64 has 3-level
// page tables and 511 GiB of user space, so none exists. The end of user
// space maps to the guest's end of user space, so that a range past it
// fails there as it does here. Lengths are not relocated.
//
// An address outside the four regions (or a range that leaves its region)
// has no place in the guest: a step that names one is not representable
// (Fits) and the backend refuses it with OutcomeUnsupported.

// lowEnd and topSize bound the low and the top region.
const (
	lowEnd uint64 = 1 << 30
	// topSize: User-Mode Linux's stack ends at most at TASK_SIZE - 2
	// pages (STACK_TOP, processor-generic.h), whatever the randomization.
	topSize uint64 = 2 * abi.PageSize
)

// region maps the trace addresses [first, last] to [guest, guest+last-first].
type region struct{ first, last, guest uint64 }

// reloc relocates trace addresses into a guest's Space and back.
// Zero value: not usable; build one with newReloc.
type reloc struct {
	g       linux.Space
	regions []region // disjoint, ascending in both spaces
}

func newReloc(g linux.Space) reloc {
	r := reloc{g: g}
	if g == linux.HostSpace {
		r.regions = []region{{0, ^uint64(0), 0}}
		return r
	}
	r.regions = []region{
		{0, lowEnd - 1, 0},
		{abi.ArenaStart, abi.ArenaStart + (g.ArenaEnd - g.ArenaStart) - 1, g.ArenaStart},
		{abi.TaskSize - topSize, 1<<63 - 1, g.TaskSize - topSize},
		{1 << 63, ^uint64(0), 1 << 63},
	}
	return r
}

// in relocates a trace address into the guest.
func (r reloc) in(a uint64) (uint64, bool) {
	for _, g := range r.regions {
		if a >= g.first && a <= g.last {
			return a - g.first + g.guest, true
		}
	}
	return 0, false
}

// out relocates a guest address back into the trace's layout.
func (r reloc) out(a uint64) (uint64, bool) {
	for _, g := range r.regions {
		if a >= g.guest && a-g.guest <= g.last-g.first {
			return a - g.guest + g.first, true
		}
	}
	return 0, false
}

// inRange relocates the start of the range [a, a+n) (n rounded up to
// pages), which must not leave a's region; a range Linux rejects for its
// length alone (zero, or wrapping past 2^64) keeps its start only.
func (r reloc) inRange(a, n uint64) (uint64, bool) {
	ga, ok := r.in(a)
	if !ok {
		return 0, false
	}
	pn := (n + abi.PageSize - 1) &^ (abi.PageSize - 1)
	end := a + pn
	if n == 0 || pn < n || end <= a {
		return ga, true
	}
	ge, ok := r.in(end - 1)
	return ga, ok && ge-ga == end-1-a
}

// clip relocates the range [a, a+n) of a munmap, mprotect or madvise. A
// range that starts in a region but runs past its end (inside user space)
// is cut at the region's end: past it the trace can hold no mapping on
// this backend, only a hole. clipped says so; a length Linux rejects by
// itself (zero, wrapping, past TASK_SIZE) is passed on unchanged.
func (r reloc) clip(a, n uint64) (ga, gn uint64, clipped, ok bool) {
	ga, ok = r.in(a)
	if !ok {
		return 0, 0, false, false
	}
	pn := (n + abi.PageSize - 1) &^ (abi.PageSize - 1)
	end := a + pn
	if n == 0 || pn < n || end <= a || end > abi.TaskSize {
		return ga, n, false, true
	}
	for _, g := range r.regions {
		if a >= g.first && a <= g.last && end-1 > g.last {
			return ga, g.last - a + 1, true, true
		}
	}
	return ga, n, false, true
}

// syscall relocates the addresses a step names; ok is false when one has no
// place in the guest (why says which). clipped is set when a range was cut
// at the end of its region (clip).
func (r reloc) syscall(sc abi.Syscall) (out abi.Syscall, why string) {
	out, why, _ = r.syscallClipped(sc)
	return out, why
}

func (r reloc) syscallClipped(sc abi.Syscall) (out abi.Syscall, why string, clipped bool) {
	bad := func(a uint64) string {
		return fmt.Sprintf("address %#x lies outside what the guest's %d GiB address space can represent (uml/reloc.go)", a, r.g.TaskSize>>30)
	}
	var ok bool
	switch s := sc.(type) {
	case abi.Mmap:
		if s.Addr == 0 {
			return s, "", false
		}
		if s.Addr, ok = r.inRange(s.Addr, s.Len); !ok {
			return nil, bad(sc.(abi.Mmap).Addr), false
		}
		return s, "", false
	case abi.Munmap:
		if s.Addr, s.Len, clipped, ok = r.clip(s.Addr, s.Len); !ok {
			return nil, bad(sc.(abi.Munmap).Addr), false
		}
		return s, "", clipped
	case abi.Mprotect:
		if s.Addr, s.Len, clipped, ok = r.clip(s.Addr, s.Len); !ok {
			return nil, bad(sc.(abi.Mprotect).Addr), false
		}
		return s, "", clipped
	case abi.Madvise:
		if s.Addr, s.Len, clipped, ok = r.clip(s.Addr, s.Len); !ok {
			return nil, bad(sc.(abi.Madvise).Addr), false
		}
		return s, "", clipped
	case abi.Load:
		if s.Addr, ok = r.in(s.Addr); !ok {
			return nil, bad(sc.(abi.Load).Addr), false
		}
		return s, "", false
	case abi.Store:
		if s.Addr, ok = r.in(s.Addr); !ok {
			return nil, bad(sc.(abi.Store).Addr), false
		}
		return s, "", false
	}
	return sc, "", false
}

// clippedResult is the answer for the whole range of a clipped call: the
// part past the region is a hole, so an mprotect or madvise that succeeded
// on the rest fails ENOMEM, as Linux answers for a range with a hole
// (mprotect stops there, madvise_walk_vmas reports it at the end); munmap
// of a hole is no error.
func clippedResult(sc abi.Syscall, res abi.Result) abi.Result {
	switch sc.(type) {
	case abi.Mprotect, abi.Madvise:
		if res.Outcome == abi.OutcomeOK && res.Err == 0 {
			return abi.Fail(abi.ENOMEM)
		}
	}
	return res
}

// result relocates what a step returned: the address of a successful mmap.
func (r reloc) result(sc abi.Syscall, res abi.Result) (abi.Result, error) {
	if _, ok := sc.(abi.Mmap); ok && res.Err == 0 && res.Outcome == abi.OutcomeOK {
		a, ok := r.out(res.Ret)
		if !ok {
			return res, fmt.Errorf("the guest placed a mapping at %#x, outside the relocated regions", res.Ret)
		}
		res.Ret = a
	}
	return res, nil
}

// view relocates a guest View's address spaces back into the trace's
// layout. It fails when a mapping lies (partly) outside the regions.
func (r reloc) view(v abi.View) (abi.View, error) {
	mms := slices.Clone(v.Mms)
	for i, m := range v.Mms {
		m.Mappings = slices.Clone(m.Mappings)
		for j := range m.Mappings {
			mp := &m.Mappings[j]
			s, ok1 := r.out(mp.Start)
			last, ok2 := r.out(mp.End - 1)
			if !ok1 || !ok2 || last-s != mp.End-1-mp.Start {
				return v, fmt.Errorf("the guest's mapping %#x-%#x lies outside the relocated regions", mp.Start, mp.End)
			}
			mp.Start, mp.End = s, last+1
		}
		m.Pages = slices.Clone(m.Pages)
		for j := range m.Pages {
			a, ok := r.out(m.Pages[j].Addr)
			if !ok {
				return v, fmt.Errorf("the guest's page %#x lies outside the relocated regions", m.Pages[j].Addr)
			}
			m.Pages[j].Addr = a
		}
		mms[i] = m
	}
	v.Mms = mms
	return v, nil
}
