package props

import (
	"fmt"

	"github.com/forkspec/forkspec/abi"
)

// cloneArgs is a fork, vfork, clone or clone3 in one shape.
type cloneArgs struct {
	flags   uint64 // CLONE_* bits (legacy clone: low 32 bits, CSIGNAL removed)
	sig     uint64 // requested termination signal
	clone3  bool
	rawFlag uint64 // clone3's flag word as given, for the unknown-bit check
	// ptid and ctid are the tid pointers (0 for fork and vfork).
	ptid, ctid uint64
}

// tidPointerRefused reports a tid pointer the flags use at or above
// abi.UserAddrMax, which every backend refuses (docs/libc.md CLONE-8b: the
// oracle's own memory lies there).
func (a cloneArgs) tidPointerRefused() bool {
	return a.flags&abi.CLONE_PARENT_SETTID != 0 && a.ptid >= abi.UserAddrMax ||
		a.flags&(abi.CLONE_CHILD_SETTID|abi.CLONE_CHILD_CLEARTID) != 0 && a.ctid >= abi.UserAddrMax
}

// stopExit reports a child that would end by sending its parent a stop
// signal, which docs/conventions.md refuses as unsupported.
func (a cloneArgs) stopExit() bool {
	if a.flags&(abi.CLONE_THREAD|abi.CLONE_PARENT) != 0 {
		return false
	}
	return a.sig <= abi.NSIG && abi.StopSignal(int(a.sig))
}

func asClone(sc abi.Syscall) (cloneArgs, bool) {
	switch s := sc.(type) {
	case abi.Fork:
		return cloneArgs{sig: abi.SIGCHLD}, true
	case abi.Vfork:
		return cloneArgs{flags: abi.CLONE_VM | abi.CLONE_VFORK, sig: abi.SIGCHLD}, true
	case abi.Clone:
		f := s.Flags & 0xffffffff // lower_32_bits in the clone syscall
		return cloneArgs{flags: f &^ abi.CSIGNAL, sig: f & abi.CSIGNAL, ptid: s.Ptid, ctid: s.Ctid}, true
	case abi.Clone3:
		return cloneArgs{flags: s.Flags, sig: s.ExitSignal, clone3: true, rawFlag: s.Flags, ptid: s.Ptid, ctid: s.Ctid}, true
	}
	return cloneArgs{}, false
}

// cloneEINVAL is CLONE-7 and docs/conventions.md's order of checks, written
// independently of any backend: the reason the call must fail EINVAL, or "".
func cloneEINVAL(a cloneArgs, callerTgid int) string {
	f := a.flags
	if a.clone3 {
		switch {
		case a.rawFlag&^abi.CloneKnown != 0:
			return "unknown clone3 flag bits"
		case a.rawFlag&abi.CLONE_DETACHED != 0:
			// clone3_args_valid keeps CLONE_DETACHED for reuse by clone3.
			return "CLONE_DETACHED in clone3"
		case a.sig > abi.NSIG:
			return "invalid exit_signal"
		case f&abi.CLONE_SIGHAND != 0 && f&abi.CLONE_CLEAR_SIGHAND != 0:
			return "CLONE_SIGHAND with CLONE_CLEAR_SIGHAND"
		case f&(abi.CLONE_THREAD|abi.CLONE_PARENT) != 0 && a.sig != 0:
			return "CLONE_THREAD or CLONE_PARENT with an exit_signal"
		}
	}
	switch {
	case f&(abi.CLONE_PIDFD|abi.CLONE_PARENT_SETTID) == abi.CLONE_PIDFD|abi.CLONE_PARENT_SETTID && (!a.clone3 || a.ptid == 0):
		// kernel_clone: pidfd == parent_tid. The legacy clone passes its
		// parent_tid for both; clone3's pidfd pointer is NULL.
		return "CLONE_PIDFD with CLONE_PARENT_SETTID through one pointer"
	case f&abi.CLONE_NEWNS != 0 && f&abi.CLONE_FS != 0:
		return "CLONE_NEWNS with CLONE_FS"
	case f&abi.CLONE_NEWUSER != 0 && f&abi.CLONE_FS != 0:
		return "CLONE_NEWUSER with CLONE_FS"
	case f&abi.CLONE_THREAD != 0 && f&abi.CLONE_SIGHAND == 0:
		return "CLONE_THREAD without CLONE_SIGHAND"
	case f&abi.CLONE_SIGHAND != 0 && f&abi.CLONE_VM == 0:
		return "CLONE_SIGHAND without CLONE_VM"
	case f&abi.CLONE_PARENT != 0 && callerTgid == 1:
		return "CLONE_PARENT from init"
	case f&abi.CLONE_THREAD != 0 && f&(abi.CLONE_NEWUSER|abi.CLONE_NEWPID) != 0:
		return "CLONE_THREAD into a new user or pid namespace"
	case f&abi.CLONE_PIDFD != 0 && f&abi.CLONE_DETACHED != 0:
		return "CLONE_PIDFD with CLONE_DETACHED"
	}
	return ""
}

// checkClone: every invalid combination fails EINVAL and changes nothing;
// any failure changes nothing; a success shares exactly what the flags say
// and sets parent and termination signal as CLONE-5, CLONE-6 and THR-1 say.
func checkClone(c *stepCtx) error {
	a, ok := asClone(c.sc)
	if !ok {
		return nil
	}
	caller, ok := task(c.before, c.tid)
	if !ok || caller.State != abi.Running {
		return nil // WORLD-3: checked as a refusal
	}
	if c.res.Outcome == abi.OutcomeKilled {
		return nil // the caller's group died in the step: nothing to compare
	}
	if why := cloneEINVAL(a, caller.Tgid); why != "" && c.res.Err != abi.EINVAL {
		return fmt.Errorf("%v (%s) returned %v, want EINVAL (CLONE-7)", c.sc, why, c.res)
	}
	// Conversely a valid call whose flags are all modelled fails only at
	// the task limit (FORK-7; conventions "Order of checks").
	// A thread for init's group is refused (conventions "The world": init
	// stays single-threaded).
	initThread := a.flags&abi.CLONE_THREAD != 0 && caller.Tgid == 1
	if cloneEINVAL(a, caller.Tgid) == "" && a.flags&^abi.CloneModelled == 0 && (!a.clone3 || a.rawFlag&^abi.CloneKnown == 0) && !a.stopExit() && !initThread && !a.tidPointerRefused() &&
		!forkChargeMayRefuse(c, a, caller) {
		full := len(c.before.Tasks) >= c.limit
		switch {
		case full && c.res.Err != abi.EAGAIN:
			return fmt.Errorf("%v with %d tasks at the limit %d returned %v, want EAGAIN (FORK-7)", c.sc, len(c.before.Tasks), c.limit, c.res)
		case !full && (c.res.Err != 0 || c.res.Outcome.Refused()):
			return fmt.Errorf("%v is valid, modelled and under the task limit, but returned %v", c.sc, c.res)
		}
	}
	if c.res.Err == abi.EAGAIN {
		// A pending signal may be delivered first (copy_process's early
		// recalc_sigpending; see checkRefusals), but nothing is created.
		return createdNothing(c.before, c.after)
	}
	if c.res.Err != 0 || c.res.Outcome.Refused() {
		if c.res.Outcome.Refused() && !c.unchanged() || !c.res.Outcome.Refused() && !c.changedNothingElse() {
			return fmt.Errorf("%v failed (%v) but the View changed", c.sc, c.res)
		}
		return nil
	}
	child, ok := task(c.after, int(c.res.Ret))
	if _, existed := task(c.before, int(c.res.Ret)); !ok || existed {
		return fmt.Errorf("%v returned %d, which is not a new task", c.sc, c.res.Ret)
	}
	f := a.flags
	var errs []string
	same := func(flag uint64, name string, got, was int) {
		if (f&flag != 0) != (got == was) {
			errs = append(errs, fmt.Sprintf("%s %s but the child's %s is %s the caller's", map[bool]string{true: "set", false: "not set"}[f&flag != 0], flagName(flag), name, map[bool]string{true: "the same as", false: "not"}[got == was]))
		}
	}
	callerAfter, _ := task(c.after, c.tid)
	same(abi.CLONE_VM, "mm", child.Mm, callerAfter.Mm)
	same(abi.CLONE_FILES, "fd table", child.FdTable, callerAfter.FdTable)
	same(abi.CLONE_SIGHAND, "disposition table", child.Sighand, callerAfter.Sighand)
	same(abi.CLONE_FS, "fs", child.Fs, callerAfter.Fs)
	same(abi.CLONE_THREAD, "thread group", child.Tgid, caller.Tgid)
	wantPpid := caller.Tgid
	if f&(abi.CLONE_PARENT|abi.CLONE_THREAD) != 0 {
		wantPpid = caller.Ppid
	}
	if child.Ppid != wantPpid {
		errs = append(errs, fmt.Sprintf("child's ppid %d, want %d (CLONE-5)", child.Ppid, wantPpid))
	}
	wantSig := int(a.sig)
	switch {
	case f&abi.CLONE_THREAD != 0:
		wantSig = -1
	case f&abi.CLONE_PARENT != 0:
		leader, _ := task(c.before, caller.Tgid)
		wantSig = leader.ExitSignal
	}
	if child.ExitSignal != wantSig {
		errs = append(errs, fmt.Sprintf("child's exit signal %d, want %d (CLONE-6)", child.ExitSignal, wantSig))
	}
	if (f&abi.CLONE_VFORK != 0) != (c.res.Outcome == abi.OutcomeFrozen) {
		errs = append(errs, fmt.Sprintf("CLONE_VFORK %v but the outcome is %v", f&abi.CLONE_VFORK != 0, c.res.Outcome))
	}
	if child.Blocked != caller.Blocked {
		errs = append(errs, fmt.Sprintf("child's mask %v, caller's %v", child.Blocked, caller.Blocked))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%v by %d: %v", c.sc, c.tid, errs)
	}
	return nil
}

// forkChargeMayRefuse reports whether a copy of the caller's address space
// might be refused for an uncertain commit charge (MEM-3l, abi.ForkCharge).
// The View does not show which mappings are accounted, so every private
// one is taken as accounted: an upper bound on the charges.
func forkChargeMayRefuse(c *stepCtx, a cloneArgs, caller abi.TaskView) bool {
	if a.flags&abi.CLONE_VM != 0 {
		return false
	}
	var vmas []abi.VMA
	for _, mm := range c.before.Mms {
		if mm.ID != caller.Mm {
			continue
		}
		for _, mp := range mm.Mappings {
			vmas = append(vmas, abi.VMA{Start: mp.Start, End: mp.End, Prot: mp.Prot, Shared: mp.Shared,
				DontFork: mp.DontFork, WipeOnFork: mp.WipeOnFork, Accounted: !mp.Shared})
		}
	}
	_, certain := abi.ForkCharge(c.machine, vmas)
	return !certain
}

func flagName(f uint64) string { return abi.Clone{Flags: f}.String()[len("clone "):] }
