package linux

import (
	"fmt"

	"github.com/forkspec/forkspec/abi"
)

// preflight refuses, before anything reaches Linux, the requests that
// docs/conventions.md declares unsupported, and those the oracle cannot
// represent (memory outside the arena, where the agent itself lives). A
// request Linux itself rejects with an errno is never refused here: the
// real kernel answers it.
func (k *Kernel) preflight(t procTask, sc abi.Syscall) (abi.Result, bool, error) {
	unsupported := abi.Refuse(abi.OutcomeUnsupported)
	switch s := sc.(type) {
	case abi.Clone:
		f := s.Flags & 0xffffffff // the legacy syscall keeps the low 32 bits
		if f&^abi.CSIGNAL&^abi.CloneModelled != 0 && !cloneFlagsFail(f&^abi.CSIGNAL, t) {
			return unsupported, true, nil
		}
		if stopExit(f&^abi.CSIGNAL, int(f&abi.CSIGNAL)) && !cloneFlagsFail(f&^abi.CSIGNAL, t) {
			return unsupported, true, nil
		}
	case abi.Clone3:
		f := s.Flags
		// clone3_args_valid: CLONE_DETACHED and the old CSIGNAL bits (but
		// CLONE_NEWTIME) are rejected too, not only unknown bits.
		bad := f&^abi.CloneKnown != 0 || f&(abi.CLONE_DETACHED|abi.CSIGNAL&^abi.CLONE_NEWTIME) != 0 ||
			s.ExitSignal > abi.NSIG ||
			f&(abi.CLONE_SIGHAND|abi.CLONE_CLEAR_SIGHAND) == abi.CLONE_SIGHAND|abi.CLONE_CLEAR_SIGHAND ||
			(f&(abi.CLONE_THREAD|abi.CLONE_PARENT) != 0 && s.ExitSignal != 0)
		if !bad && f&^abi.CloneModelled != 0 && !cloneFlagsFail(f, t) {
			return unsupported, true, nil
		}
		if !bad && s.ExitSignal <= abi.NSIG && stopExit(f, int(s.ExitSignal)) && !cloneFlagsFail(f, t) {
			return unsupported, true, nil
		}
	case abi.Exit:
		if t.Tgid == 1 {
			last, err := k.lastLiveThread(t)
			if err != nil || last {
				return unsupported, true, err
			}
		}
	case abi.ExitGroup:
		if t.Tgid == 1 {
			return unsupported, true, nil // init never exits (WORLD-1)
		}
	case abi.Wait4:
		// pid and options are C ints: the kernel sees their low 32 bits, and
		// kernel_wait4 answers ESRCH for INT_MIN itself.
		pid, opts := int32(s.Pid), uint32(s.Options)
		if opts&^uint32(abi.Wait4Valid) == 0 && pid != -1<<31 && (pid == 0 || pid < -1) {
			return unsupported, true, nil // process groups are not modelled
		}
	case abi.Prctl:
		o := int32(s.Option)
		if o != int32(abi.PR_SET_CHILD_SUBREAPER) && o != int32(abi.PR_GET_CHILD_SUBREAPER) {
			return unsupported, true, nil
		}
	case abi.Mmap:
		if start, n, unsup, check := mmapPreflight(s); unsup {
			return unsupported, true, nil
		} else if check {
			// MAP_FIXED replaces reservation by itself; NOREPLACE and a
			// hint need the reservation out of the way first.
			unreserve := s.Flags&abi.MAP_FIXED == 0
			return k.makeRoom(t, start, n, unreserve)
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
		if s.Addr%abi.PageSize == 0 && s.Len != 0 {
			if linuxOnlyAdvice(s.Advice) {
				return unsupported, true, nil
			}
			if modelledAdvice(s.Advice) && !inArena(s.Addr, s.Len) && pageUp(s.Len) >= s.Len && s.Addr+pageUp(s.Len) > s.Addr {
				return abi.Result{}, false, k.planSplit(t, s.Addr, s.Len)
			}
		}
	case abi.Load:
		return k.accessPreflight(t, s.Addr, false)
	case abi.Store:
		return k.accessPreflight(t, s.Addr, true)
	case abi.Open:
		if s.Flags&^abi.O_CLOEXEC != 0 {
			return unsupported, true, nil
		}
	case abi.Fcntl:
		c := uint32(s.Cmd)
		if k.fdOpen(t, s.Fd) && c != uint32(abi.F_GETFD) && c != uint32(abi.F_SETFD) {
			return unsupported, true, nil
		}
	case abi.Write:
		if s.N > 16<<20 {
			return unsupported, true, nil // the agent writes from a scratch buffer this large at most
		}
	case abi.Sigaction:
		valid := s.Sig >= 1 && s.Sig <= abi.NSIG && s.Sig != abi.SIGKILL && s.Sig != abi.SIGSTOP
		allowed := abi.SA_NOCLDSTOP | abi.SA_NOCLDWAIT | abi.SA_SIGINFO | abi.SA_RESTART
		if valid && (s.Flags&^allowed != 0 || s.Handler < abi.SigDefault || s.Handler > abi.SigHandle) {
			return unsupported, true, nil
		}
	case abi.Kill:
		return k.killPreflight(s)
	}
	return abi.Result{}, false, nil
}

// makeRoom lets mmap and munmap treat the reservation above the arena as
// the free address space it stands for: a range that meets another agent
// mapping is refused; otherwise, when unreserve is set, the reservation's
// pieces in the range are unmapped first (the agent refills what is left
// free after the call, so top-down placement still starts at ArenaEnd).
func (k *Kernel) makeRoom(t procTask, addr, n uint64, unreserve bool) (abi.Result, bool, error) {
	end := addr + pageUp(n)
	if end < addr || pageUp(n) < n {
		end = ^uint64(0)
	}
	maps, err := readSmaps(k.taskDir(t.Tgid, t.Tid) + "/smaps")
	if err != nil {
		return abi.Result{}, false, err
	}
	var pieces [][2]uint64
	for _, m := range maps {
		if !(m.Start < end && addr < m.End) || !m.agentOwned() {
			continue
		}
		if !m.reservation() {
			return abi.Refuse(abi.OutcomeUnsupported), true, nil
		}
		pieces = append(pieces, [2]uint64{max(m.Start, addr), min(m.End, end)})
	}
	if unreserve {
		for _, p := range pieces {
			r, err := k.request(t.Tid, command{Op: opUnreserve, Args: [5]uint64{p[0], p[1] - p[0]}})
			if err != nil {
				return abi.Result{}, false, err
			}
			if r.errno() != 0 {
				return abi.Result{}, false, fmt.Errorf("unreserving %#x-%#x: errno %d", p[0], p[1], r.errno())
			}
		}
	}
	return abi.Result{}, false, nil
}

// cloneFlagsFail reports whether Linux's flag validation (conventions step
// 2, copy_process) rejects f with EINVAL before creating anything.
func cloneFlagsFail(f uint64, t procTask) bool {
	has := func(b uint64) bool { return f&b != 0 }
	return (has(abi.CLONE_NEWNS) && has(abi.CLONE_FS)) ||
		(has(abi.CLONE_NEWUSER) && has(abi.CLONE_FS)) ||
		(has(abi.CLONE_THREAD) && !has(abi.CLONE_SIGHAND)) ||
		(has(abi.CLONE_SIGHAND) && !has(abi.CLONE_VM)) ||
		(has(abi.CLONE_PARENT) && t.Tgid == 1) ||
		(has(abi.CLONE_THREAD) && has(abi.CLONE_NEWUSER|abi.CLONE_NEWPID)) ||
		(has(abi.CLONE_PIDFD) && has(abi.CLONE_DETACHED))
}

func pageUp(n uint64) uint64 { return (n + abi.PageSize - 1) &^ (abi.PageSize - 1) }

// inArena reports whether [addr, addr+len) (len rounded up to pages) lies
// inside the arena, the only part of the address space the oracle shows.
func inArena(addr, n uint64) bool {
	end := addr + pageUp(n)
	return addr >= space.ArenaStart && end <= space.ArenaEnd && end >= addr && pageUp(n) >= n
}

// mmapPreflight follows the mmap rules of docs/conventions.md: requests
// Linux answers with an errno go to Linux; valid ones with flags outside the
// model's or below MmapMinAddr are refused (unsup); a fixed range or a
// usable hint must not meet the agent's own mappings (check: the range).
func mmapPreflight(s abi.Mmap) (start, n uint64, unsup, check bool) {
	named := abi.MAP_SHARED | abi.MAP_PRIVATE | abi.MAP_FIXED | abi.MAP_ANONYMOUS | abi.MAP_FIXED_NOREPLACE
	typ := s.Flags & (abi.MAP_SHARED | abi.MAP_PRIVATE)
	if s.Len == 0 || typ == 0 || typ == abi.MAP_SHARED|abi.MAP_PRIVATE ||
		s.Flags&abi.MAP_ANONYMOUS == 0 || s.Prot&^7 != 0 || pageUp(s.Len) < s.Len || pageUp(s.Len) > space.TaskSize {
		return 0, 0, false, false // Linux answers
	}
	if s.Flags&^named != 0 {
		return 0, 0, true, false
	}
	if s.Flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) != 0 {
		if s.Addr%abi.PageSize != 0 || s.Addr+pageUp(s.Len) > space.TaskSize || s.Addr+pageUp(s.Len) < s.Addr {
			return 0, 0, false, false
		}
		if s.Addr < abi.MmapMinAddr {
			return 0, 0, true, false
		}
		return s.Addr, s.Len, false, !inArena(s.Addr, s.Len)
	}
	hint := s.Addr &^ (abi.PageSize - 1)
	if hint < abi.MmapMinAddr || hint+pageUp(s.Len) > space.TaskSize || hint+pageUp(s.Len) < hint {
		return 0, 0, false, false // no usable hint: placed top-down, into the arena
	}
	return hint, s.Len, false, !inArena(hint, s.Len)
}

// modelledAdvice is the advice the model implements (abi.Madvise).
func modelledAdvice(a int64) bool {
	switch a {
	case abi.MADV_NORMAL, abi.MADV_DONTNEED, abi.MADV_DONTFORK, abi.MADV_DOFORK,
		abi.MADV_WIPEONFORK, abi.MADV_KEEPONFORK:
		return true
	}
	return false
}

// linuxOnlyAdvice is advice Linux accepts but forkspec does not model
// (include/uapi/asm-generic/mman-common.h).
func linuxOnlyAdvice(a int64) bool {
	switch {
	case a >= 1 && a <= 3, a == 8, a == 9, a >= 12 && a <= 17, a >= 20 && a <= 25, a >= 100 && a <= 103:
		return true
	}
	return false
}

// groupDead reports whether every task of group tgid is a zombie.
func (k *Kernel) groupDead(tgid int) (bool, error) {
	tasks, err := k.listTasks()
	if err != nil {
		return false, err
	}
	for _, o := range tasks {
		if o.Tgid == tgid && o.State != 'Z' && o.State != 'X' {
			return false, nil
		}
	}
	return true, nil
}

// lastLiveThread reports whether t is the only live thread of its group.
func (k *Kernel) lastLiveThread(t procTask) (bool, error) {
	tasks, err := k.listTasks()
	if err != nil {
		return false, err
	}
	for _, o := range tasks {
		if o.Tgid == t.Tgid && o.Tid != t.Tid && o.State != 'Z' && o.State != 'X' {
			return false, nil
		}
	}
	return true, nil
}

// accessPreflight decides loads and stores before they reach Linux. The
// agent's own mappings are unmapped memory for the trace: an access there
// is redirected to the PROT_NONE reservation, so that Linux raises the
// same SIGSEGV as for any unmapped address (MEM-3). A faulting access is
// refused as conventions.md says in init's group (init never dies) and
// with a SIGSEGV handler (the handler would return into the fault forever).
func (k *Kernel) accessPreflight(t procTask, addr uint64, write bool) (abi.Result, bool, error) {
	unsupported := abi.Refuse(abi.OutcomeUnsupported)
	if inArena(addr&^(abi.PageSize-1), abi.PageSize) && t.Tgid != 1 && t.SigCgt&uint64(abi.SigBit(abi.SIGSEGV)) == 0 {
		return abi.Result{}, false, nil
	}
	maps, err := readSmaps(k.taskDir(t.Tgid, t.Tid) + "/smaps")
	if err != nil {
		return abi.Result{}, false, err
	}
	faults, agent := true, false
	var fault uint64 // a reservation address: PROT_NONE, the agent's
	for _, m := range maps {
		if m.reservation() && fault == 0 {
			fault = m.Start
		}
		if addr >= m.Start && addr < m.End {
			p := m.prot()
			faults = !((write && p&abi.PROT_WRITE != 0) || (!write && p != 0))
			agent = m.agentOwned()
		}
	}
	if agent {
		faults = true
	}
	if faults && (t.Tgid == 1 || t.SigCgt&uint64(abi.SigBit(abi.SIGSEGV)) != 0) {
		return unsupported, true, nil
	}
	if agent {
		if fault == 0 {
			return unsupported, true, nil
		}
		k.plan.redirect = fault
	}
	return abi.Result{}, false, nil
}

// killPreflight applies the kill rules of docs/conventions.md that Linux
// would answer differently from the model: process groups, queued
// real-time signals and stop signals are not modelled.
func (k *Kernel) killPreflight(s abi.Kill) (abi.Result, bool, error) {
	unsupported := abi.Refuse(abi.OutcomeUnsupported)
	if s.Pid <= 0 {
		return unsupported, true, nil
	}
	if s.Sig <= 0 || s.Sig > abi.NSIG {
		return abi.Result{}, false, nil
	}
	target, ok, err := k.findTask(s.Pid)
	if err != nil || !ok {
		return abi.Result{}, false, err
	}
	if dead, err := k.groupDead(target.Tgid); err != nil || dead {
		return abi.Result{}, false, err // a zombie process: 0, no effect (Linux answers)
	}
	switch {
	case s.Sig >= abi.SIGRTMIN, abi.StopSignal(s.Sig):
		return unsupported, true, nil
	}
	return abi.Result{}, false, nil
}

// stopExit reports a clone whose child would end by sending a stop signal to
// its parent (refused, as conventions say): CLONE_THREAD and CLONE_PARENT
// children take no signal of their own from the flags.
func stopExit(flags uint64, sig int) bool {
	return flags&(abi.CLONE_THREAD|abi.CLONE_PARENT) == 0 && abi.StopSignal(sig)
}
