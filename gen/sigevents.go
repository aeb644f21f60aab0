package gen

import "github.com/forkspec/forkspec/abi"

// The signal situations around a thread frozen in vfork (VFORK-5, VFORK-6,
// SIG-2, SIG-3): what the kernel's complete_signal and get_signal do when a
// group has a thread that was told of a signal but cannot take it. Each is
// read from the Views alone, per-thread handler counts included.

// signalEvents classifies the step's signal situations.
func signalEvents(evs []Event, b, a world, sc abi.Syscall, res abi.Result) []Event {
	if k, ok := sc.(abi.Kill); ok && k.Sig > 0 && res.Err == 0 && !res.Outcome.Refused() {
		if t, ok := b.task(k.Pid); ok && hasFrozenAndRunning(b, t.Tgid) {
			evs = append(evs, SignalToFrozenGroup)
		}
		if searchPassed(b, a, k) {
			evs = append(evs, SearchPassedAThread)
		}
	}
	for _, p := range a.v.Procs {
		bp, _ := b.proc(p.Tgid)
		fresh := p.Pending &^ bp.Pending
		if fresh != 0 && hasFrozenAndRunning(a, p.Tgid) && takeableByRunning(a, p.Tgid, fresh) {
			evs = append(evs, SignalWaitsForFrozen)
		}
		if fresh != 0 && live(a, p.Tgid) && fatalWaits(a, p.Tgid, fresh) {
			evs = append(evs, FatalSignalWaits)
		}
		if frameThenDeath(b, a, bp, p) {
			evs = append(evs, FrameThenDeath)
		}
		if syncFirst(b, a, p) {
			evs = append(evs, SyncSignalFirst)
		}
	}
	if initNotifiedByChain(b, a) {
		evs = append(evs, InitNotifiedByChain)
	}
	for _, bt := range b.v.Tasks {
		at, ok := a.task(bt.Tid)
		if !ok || handledBy(at) <= handledBy(bt) {
			continue
		}
		switch {
		case bt.State == abi.VforkFrozen && at.State == abi.Running:
			evs = append(evs, ReleasedTookSignals)
		case bt.State == abi.Running && stillFrozenSibling(b, a, bt.Tgid):
			evs = append(evs, SiblingTookForFrozen)
		}
	}
	return evs
}

// hasFrozenAndRunning reports whether group tgid has a thread frozen in vfork
// and another running.
func hasFrozenAndRunning(w world, tgid int) bool {
	frozen, running := false, false
	for _, tid := range w.threads(tgid) {
		t, _ := w.task(tid)
		frozen = frozen || t.State == abi.VforkFrozen
		running = running || t.State == abi.Running
	}
	return frozen && running
}

// takeableByRunning reports whether a running thread of tgid does not block
// some signal of set.
func takeableByRunning(w world, tgid int, set abi.SigSet) bool {
	for _, tid := range w.threads(tgid) {
		if t, _ := w.task(tid); t.State == abi.Running && set&^t.Blocked != 0 {
			return true
		}
	}
	return false
}

// live reports whether group tgid has a thread that has not exited.
func live(w world, tgid int) bool {
	for _, tid := range w.threads(tgid) {
		if t, _ := w.task(tid); t.State != abi.Zombie {
			return true
		}
	}
	return false
}

// fatalWaits reports whether set holds a signal that group tgid has at
// SIG_DFL, whose default kills without a core dump, and that a thread of
// the group does not block: pending nonetheless, because no thread wanted
// it.
func fatalWaits(w world, tgid int, set abi.SigSet) bool {
	var leader abi.TaskView
	for _, tid := range w.threads(tgid) {
		if t, _ := w.task(tid); t.Sighand != 0 {
			leader = t
			break
		}
	}
	sh, _ := w.sighand(leader.Sighand)
	for sig := 1; sig <= abi.NSIG; sig++ {
		if !set.Has(sig) || !killsAtOnce(sig) || disposition(sh, sig) != abi.SigDefault {
			continue
		}
		for _, tid := range w.threads(tgid) {
			if t, _ := w.task(tid); t.State != abi.Zombie && !t.Blocked.Has(sig) {
				return true
			}
		}
	}
	return false
}

// frameThenDeath reports whether process bp (before) died in the step with
// a caught signal taken from its pending set but never handled.
func frameThenDeath(b, a world, bp, ap abi.ProcView) bool {
	if bp.Pending == 0 || !live(b, bp.Tgid) || live(a, ap.Tgid) {
		return false
	}
	var sh abi.SighandView
	for _, tid := range b.threads(bp.Tgid) {
		if t, _ := b.task(tid); t.Sighand != 0 {
			sh, _ = b.sighand(t.Sighand)
			break
		}
	}
	for sig := 1; sig <= abi.NSIG; sig++ {
		if bp.Pending.Has(sig) && !ap.Pending.Has(sig) && disposition(sh, sig) == abi.SigHandle &&
			count(ap.Handled, sig) == count(bp.Handled, sig) {
			return true
		}
	}
	return false
}

// stillFrozenSibling reports whether group tgid has a thread frozen in vfork
// both before and after the step.
func stillFrozenSibling(b, a world, tgid int) bool {
	for _, tid := range b.threads(tgid) {
		bt, _ := b.task(tid)
		if at, ok := a.task(tid); ok && bt.State == abi.VforkFrozen && at.State == abi.VforkFrozen {
			return true
		}
	}
	return false
}

// killsAtOnce reports whether sig's default action terminates without a core
// dump (signal(7) "Term"): complete_signal turns it into a group exit when
// a thread wants it.
func killsAtOnce(sig int) bool {
	switch sig {
	case abi.SIGCHLD, abi.SIGURG, abi.SIGWINCH, abi.SIGCONT, // Ign
		abi.SIGQUIT, abi.SIGILL, abi.SIGTRAP, abi.SIGABRT, abi.SIGBUS, abi.SIGFPE, // Core
		abi.SIGSEGV, abi.SIGXCPU, abi.SIGXFSZ, abi.SIGSYS:
		return false
	}
	return !abi.StopSignal(sig)
}

// disposition is sig's handler in table sh (SIG_DFL when not listed).
func disposition(sh abi.SighandView, sig int) abi.Disposition {
	for _, a := range sh.Actions {
		if a.Sig == sig {
			return a.Handler
		}
	}
	return abi.SigDefault
}

// count is the count for sig in c.
func count(c []abi.SigCount, sig int) int {
	for _, x := range c {
		if x.Sig == sig {
			return x.Count
		}
	}
	return 0
}

// handledBy sums the handler runs of one thread.
func handledBy(t abi.TaskView) int {
	n := 0
	for _, c := range t.Handled {
		n += c.Count
	}
	return n
}

// searchPassed reports whether the kill's signal was handled by a thread
// other than the one it named, while a running thread earlier in the list,
// not the named one, did not block it: complete_signal's search started
// past that thread, at curr_target.
func searchPassed(b, a world, k abi.Kill) bool {
	named, ok := b.task(k.Pid)
	if !ok {
		return false
	}
	for _, tid := range b.threads(named.Tgid) {
		bt, _ := b.task(tid)
		at, ok := a.task(tid)
		if !ok || tid == named.Tid || count(at.Handled, k.Sig) <= count(bt.Handled, k.Sig) {
			continue
		}
		for _, earlier := range b.threads(named.Tgid) {
			e, _ := b.task(earlier)
			if earlier < tid && earlier != named.Tid && e.State == abi.Running && !e.Blocked.Has(k.Sig) {
				return true
			}
		}
	}
	return false
}

// syncSignals are dequeued before any other (next_signal's SYNCHRONOUS_MASK).
var syncSignals = []int{abi.SIGILL, abi.SIGTRAP, abi.SIGBUS, abi.SIGFPE, abi.SIGSEGV, abi.SIGSYS}

// syncFirst reports whether process ap died in the step of a synchronous
// signal while a lower-numbered signal that one of its threads did not
// block stays pending: dequeued first, the synchronous one killed before the
// other was taken.
func syncFirst(b, a world, ap abi.ProcView) bool {
	leader, ok := a.task(ap.Tgid)
	if !ok || leader.State != abi.Zombie || !live(b, ap.Tgid) || leader.WaitStatus&0x7f == 0 {
		return false
	}
	sig := leader.WaitStatus & 0x7f
	isSync := false
	for _, s := range syncSignals {
		isSync = isSync || s == sig
	}
	if !isSync {
		return false
	}
	// A thread that did not block the lower signal: running before the step,
	// or in the View after it (a zombie shows the mask it died with).
	for lower := 1; lower < sig; lower++ {
		if !ap.Pending.Has(lower) {
			continue
		}
		for _, tid := range b.threads(ap.Tgid) {
			if t, _ := b.task(tid); t.State == abi.Running && !t.Blocked.Has(lower) {
				return true
			}
		}
		for _, tid := range a.threads(ap.Tgid) {
			if t, _ := a.task(tid); !t.Blocked.Has(lower) {
				return true
			}
		}
	}
	return false
}

// initNotifiedByChain reports whether init catches SIGCHLD and the step
// gave it two or more new zombie children (deaths and reparented zombies).
func initNotifiedByChain(b, a world) bool {
	init, _ := b.task(1)
	sh, _ := b.sighand(init.Sighand)
	if disposition(sh, abi.SIGCHLD) != abi.SigHandle {
		return false
	}
	n := 0
	for _, at := range a.v.Tasks {
		if at.Tid != at.Tgid || at.State != abi.Zombie || at.Ppid != 1 {
			continue
		}
		if bt, ok := b.task(at.Tid); !ok || bt.State != abi.Zombie || bt.Ppid != 1 {
			n++
		}
	}
	return n >= 2
}
