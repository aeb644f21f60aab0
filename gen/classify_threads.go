package gen

import "github.com/forkspec/forkspec/abi"

// The situations of issue 16 item 2, read from the step and the Views alone:
// large thread groups ending together, vfork and blocked signals in them,
// clone flag words one bit away from valid, and copy-on-write copies at the
// edges of page-table ranges (where a radix table's index arithmetic can be
// off by one without any other page noticing).

// largeGroup is the least number of live threads that make a group large:
// with two, "the other thread" is the only choice, and an off-by-one in a
// walk over the group's threads goes unseen.
const largeGroup = 3

// Page-table geometry on x86-64 with 4-level tables: a leaf table maps
// 2 MiB (512 slots), a page directory 1 GiB, a PML4 entry 512 GiB.
const (
	leafSpan = 0x200000
	gibSpan  = 0x40000000
	pml4Span = 0x8000000000
)

// threadEvents classifies the step's large-group, clone-flag and
// page-table-edge events.
func threadEvents(evs []Event, b, a viewIndex, t abi.TaskView, sc abi.Syscall, res abi.Result) []Event {
	switch s := sc.(type) {
	case abi.Store:
		if res.Err == 0 && res.Outcome == abi.OutcomeOK {
			evs = edgeCOW(evs, b, t, pageOf(s.Addr))
		}
	case abi.Clone:
		if res.Err == abi.EINVAL && oneBitFromValidClone(s.Flags&0xffffffff, t.Tgid == 1) {
			evs = append(evs, CloneOneBitInvalid)
		}
	case abi.Clone3:
		if res.Err == abi.EINVAL && oneBitFromValidClone3(s, t.Tgid == 1) {
			evs = append(evs, Clone3OneBitInvalid)
		}
	case abi.Kill:
		if siblingTookBlocked(b.w, a.w, s) {
			evs = append(evs, SiblingTookBlocked)
		}
	}
	if res.Outcome == abi.OutcomeFrozen && liveThreads(b.w, t.Tgid) >= largeGroup {
		evs = append(evs, VforkInLargeGroup)
	}
	for _, p := range b.w.v.Procs {
		if liveThreads(b.w, p.Tgid) < largeGroup || live(a.w, p.Tgid) {
			continue
		}
		switch sc.(type) {
		case abi.ExitGroup:
			if t.Tgid == p.Tgid {
				evs = append(evs, LargeGroupExitGroup)
			}
		case abi.Kill:
			evs = append(evs, LargeGroupFatalSignal)
		case abi.Load, abi.Store:
			if t.Tgid == p.Tgid && res.Outcome == abi.OutcomeKilled && res.Signal == abi.SIGSEGV {
				evs = append(evs, LargeGroupSIGSEGV)
			}
		}
	}
	return evs
}

// liveThreads counts the threads of group tgid that have not exited.
func liveThreads(w world, tgid int) int {
	n := 0
	for _, tid := range w.threads(tgid) {
		if t, _ := w.task(tid); t.State != abi.Zombie {
			n++
		}
	}
	return n
}

// edgeCOW classifies a successful store by t to page addr that copies a
// frame other pages also hold, by where the page sits in the page tables.
func edgeCOW(evs []Event, b viewIndex, t abi.TaskView, addr uint64) []Event {
	m, ok := b.w.mm(t.Mm)
	if !ok {
		return evs
	}
	if mp, ok := mappingAt(m, addr); !ok || mp.Shared {
		return evs
	}
	if p, ok := pageAt(m, addr); !ok || b.frameUse[p.Frame] < 2 {
		return evs
	}
	edge := func(span uint64) bool { off := addr % span; return off == 0 || off == span-abi.PageSize }
	switch (addr / abi.PageSize) % 512 {
	case 0:
		evs = append(evs, COWLeafSlot0)
	case 511:
		evs = append(evs, COWLeafSlot511)
	}
	if edge(gibSpan) {
		evs = append(evs, COWAt1GiB)
	}
	if edge(pml4Span) {
		evs = append(evs, COWAt512GiB)
	}
	return evs
}

// oneBitFromValidClone reports whether some single bit of a legacy clone
// word (the CSIGNAL byte aside), set or cleared, makes copy_process accept
// it: an EINVAL that a check missing one condition would let through.
func oneBitFromValidClone(flags uint64, fromInit bool) bool {
	f := flags &^ abi.CSIGNAL
	for bit := 8; bit < 32; bit++ {
		if !abi.CloneInvalid(f^1<<bit, fromInit) {
			return true
		}
	}
	return false
}

// oneBitFromValidClone3 is oneBitFromValidClone for clone3: a flag bit, set
// or cleared, or the exit signal dropped (one field that CLONE_THREAD and
// CLONE_PARENT forbid), makes clone3_args_valid and copy_process accept it.
func oneBitFromValidClone3(s abi.Clone3, fromInit bool) bool {
	valid := func(c abi.Clone3) bool { return !abi.Clone3Invalid(c) && !abi.CloneInvalid(c.Flags, fromInit) }
	if s.ExitSignal != 0 && valid(abi.Clone3{Flags: s.Flags}) {
		return true
	}
	for bit := 0; bit < 64; bit++ {
		if valid(abi.Clone3{Flags: s.Flags ^ 1<<bit, ExitSignal: s.ExitSignal}) {
			return true
		}
	}
	return false
}

// siblingTookBlocked reports whether the kill named a running thread that
// blocks the signal and another thread of its group ran the handler for it
// in the step (complete_signal passes over a thread that does not want the
// signal; SIG-2).
func siblingTookBlocked(b, a world, k abi.Kill) bool {
	named, ok := b.task(k.Pid)
	if !ok || named.State != abi.Running || !named.Blocked.Has(k.Sig) || liveThreads(b, named.Tgid) < 2 {
		return false
	}
	for _, tid := range b.threads(named.Tgid) {
		bt, _ := b.task(tid)
		if at, ok := a.task(tid); ok && tid != named.Tid && count(at.Handled, k.Sig) > count(bt.Handled, k.Sig) {
			return true
		}
	}
	return false
}
