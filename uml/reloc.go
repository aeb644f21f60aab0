package uml

import (
	"fmt"
	"slices"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/linux"
)

// Traces are relocatable (linux/reloc.go): the backend relocates every
// address a step names into the guest's Space and every address of a
// result or View back. An address outside the relocated regions (or a
// mapping range that leaves its region) has no place in the guest: a step
// that names one is not representable (Fits) and the backend refuses it
// with OutcomeUnsupported.

// reloc relocates trace addresses into a guest's Space and back.
// Zero value: not usable; build one with newReloc.
type reloc struct {
	g       linux.Space
	regions []linux.Region // disjoint, ascending in both spaces
}

func newReloc(g linux.Space) reloc { return reloc{g: g, regions: g.Regions()} }

// in relocates a trace address into the guest.
func (r reloc) in(a uint64) (uint64, bool) { return r.g.ToGuest(a) }

// out relocates a guest address back into the trace's layout.
func (r reloc) out(a uint64) (uint64, bool) { return r.g.ToTrace(a) }

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
		if a >= g.First && a <= g.Last && end-1 > g.Last {
			return ga, g.Last - a + 1, true, true
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
