package linux

import (
	"fmt"

	"github.com/forkspec/forkspec/abi"
)

// plan says how the current step reaches Linux when the agent's own memory
// lies in its range. For the trace, the agent's mappings (its code, stacks,
// scratch zone and the reservation above the arena) are unmapped address
// space; the calls below are performed for real on the trace's part only,
// and the agent's parts answer as Linux answers for a hole.
type plan struct {
	// holeAt (mprotect): perform the call up to here; a success becomes
	// ENOMEM, as mprotect stops at the first hole (MEM-4).
	holeAt uint64
	// split (madvise, munmap): perform the call on these sub-ranges only,
	// in order. madvise walks past holes and returns ENOMEM at the end
	// unless a VMA fails first (madvise_walk_vmas, MEM-5); munmap of a
	// hole is not an error.
	split [][2]uint64
	// splitting is set when split applies (it may be empty).
	splitting bool
	// redirect (load, store): access this PROT_NONE reservation address
	// instead, for the SIGSEGV an unmapped address gets.
	redirect uint64
	// faultCount (write, read): the count to pass instead, when the step's count
	// is larger than the address space. access_ok then fails whatever the
	// buffer (abi.WriteFaults), and the agent cannot map a scratch buffer
	// that large; -1 fails at the same check, after the same fd checks.
	faultCount bool
}

// agentPreflight plans how a step that passed the refusal rules reaches
// Linux when the agent's own memory lies in its range (or refuses it when
// no plan can make the agent's memory look unmapped).
func (k *Kernel) agentPreflight(t procTask, sc abi.Syscall) (abi.Result, bool, error) {
	switch s := sc.(type) {
	case abi.Mmap:
		if start, n, check := mmapRange(s); check {
			// MAP_FIXED replaces reservation by itself; NOREPLACE and a
			// hint need the reservation out of the way first.
			return k.makeRoom(t, start, n, s.Flags&abi.MAP_FIXED == 0)
		}
	case abi.Munmap:
		if e := s.Addr + pageUp(s.Len); s.Addr%abi.PageSize == 0 && s.Len != 0 && !inArena(s.Addr, s.Len) &&
			e <= space.TaskSize && e > s.Addr {
			return abi.Result{}, false, k.planSplit(t, s.Addr, s.Len)
		}
	case abi.Mprotect:
		if s.Addr%abi.PageSize == 0 && s.Len != 0 && !inArena(s.Addr, s.Len) {
			return abi.Result{}, false, k.planHole(t, s.Addr, s.Len)
		}
	case abi.Madvise:
		if s.Addr%abi.PageSize == 0 && s.Len != 0 && abi.MadviseModelled(s.Advice) && !inArena(s.Addr, s.Len) &&
			pageUp(s.Len) >= s.Len && s.Addr+pageUp(s.Len) > s.Addr {
			return abi.Result{}, false, k.planSplit(t, s.Addr, s.Len)
		}
	case abi.Load:
		return k.planAccess(t, s.Addr)
	case abi.Store:
		return k.planAccess(t, s.Addr)
	case abi.Write:
		k.plan.faultCount = s.N > 0 && abi.WriteFaults(s.N)
	case abi.Read:
		// vfs_read's access_ok fails the same way (FD-6).
		k.plan.faultCount = s.N > 0 && abi.WriteFaults(s.N)
	}
	return abi.Result{}, false, nil
}

// planAccess plans a load or store: the agent's own mappings are unmapped
// memory for the trace, so an access there is redirected to the PROT_NONE
// reservation, where Linux raises the same SIGSEGV as for any unmapped
// address (MEM-3). Whether a faulting access is refused was decided by the
// refusal rules, which count the agent's memory as unmapped too.
func (k *Kernel) planAccess(t procTask, addr uint64) (abi.Result, bool, error) {
	if inArena(addr&^(abi.PageSize-1), abi.PageSize) {
		return abi.Result{}, false, nil
	}
	maps, err := readSmaps(k.taskDir(t.Tgid, t.Tid) + "/smaps")
	if err != nil {
		return abi.Result{}, false, err
	}
	agent := false
	var fault uint64 // a reservation address: PROT_NONE, the agent's
	for _, m := range maps {
		if m.reservation() && fault == 0 {
			fault = m.Start
		}
		if addr >= m.Start && addr < m.End {
			agent = m.agentOwned()
		}
	}
	if agent {
		if fault == 0 {
			return abi.Refuse(abi.OutcomeUnsupported), true, nil
		}
		k.plan.redirect = fault
	}
	return abi.Result{}, false, nil
}

// agentRanges returns the agent's mappings of task t that meet [addr, end).
func (k *Kernel) agentRanges(t procTask, addr, end uint64) ([]mapping, error) {
	maps, err := readSmaps(k.taskDir(t.Tgid, t.Tid) + "/smaps")
	if err != nil {
		return nil, err
	}
	var out []mapping
	for _, m := range maps {
		if m.agentOwned() && m.Start < end && addr < m.End {
			out = append(out, m)
		}
	}
	return out, nil
}

func rangeEnd(addr, n uint64) uint64 {
	end := addr + pageUp(n)
	if end < addr || pageUp(n) < n {
		return ^uint64(0) &^ (abi.PageSize - 1)
	}
	return end
}

// planHole sets plan.holeAt for an mprotect whose range meets the agent.
func (k *Kernel) planHole(t procTask, addr, n uint64) error {
	ms, err := k.agentRanges(t, addr, rangeEnd(addr, n))
	if err != nil || len(ms) == 0 {
		return err
	}
	k.plan.holeAt = max(ms[0].Start, addr)
	return nil
}

// planSplit sets plan.split for a madvise or munmap whose range meets the
// agent: the range minus the agent's mappings.
func (k *Kernel) planSplit(t procTask, addr, n uint64) error {
	end := rangeEnd(addr, n)
	ms, err := k.agentRanges(t, addr, end)
	if err != nil || len(ms) == 0 {
		return err
	}
	k.plan.splitting = true
	cur := addr
	for _, m := range ms {
		if m.Start > cur {
			k.plan.split = append(k.plan.split, [2]uint64{cur, m.Start})
		}
		cur = max(cur, m.End)
	}
	if cur < end {
		k.plan.split = append(k.plan.split, [2]uint64{cur, end})
	}
	return nil
}

// runSplit performs a split madvise or munmap by task tid, one real call
// per sub-range, and combines the answers as Linux would for the whole
// range with holes where the agent's mappings are.
func (k *Kernel) runSplit(tid int, sc abi.Syscall) (abi.Result, error) {
	hole := false
	for _, r := range k.plan.split {
		var c command
		switch s := sc.(type) {
		case abi.Madvise:
			c = command{Op: opMadvise, Args: [5]uint64{r[0], r[1] - r[0], uint64(s.Advice)}}
		case abi.Munmap:
			c = command{Op: opMunmap, Args: [5]uint64{r[0], r[1] - r[0]}}
		default:
			return abi.Result{}, fmt.Errorf("cannot split %v", sc)
		}
		m, err := k.request(tid, c)
		if err != nil {
			return abi.Result{}, err
		}
		switch e := abi.Errno(m.errno()); e {
		case 0:
		case abi.ENOMEM:
			hole = true
		default:
			return abi.Fail(e), nil
		}
	}
	if _, ok := sc.(abi.Madvise); ok {
		return abi.Fail(abi.ENOMEM), nil // the agent's part is a hole
	}
	if hole {
		return abi.Fail(abi.ENOMEM), nil
	}
	return abi.Ok(0), nil
}
