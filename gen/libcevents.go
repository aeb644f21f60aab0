package gen

import (
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// libcEvents classifies what a step did with sleeps, pipes, tid words and
// thread-directed signals (docs/libc.md, docs/pipes.md). A woken call's
// result shows in the sleeper's TaskView (Call, Returned, Return), so
// everything here comes from the Views, the step and its Result.
func (c *Classifier) libcEvents(evs []Event, b, a viewIndex, t abi.TaskView, sc abi.Syscall, res abi.Result) []Event {
	ok := !res.Outcome.Refused() && res.Err == 0
	switch s := sc.(type) {
	case abi.Read:
		if ok && res.Outcome == abi.OutcomeOK && res.Ret == 0 && s.N > 0 && pipeEnd(b.w, t, s.Fd, false) {
			evs = append(evs, PipeEOF)
		}
	case abi.Write:
		if res.Err == abi.EPIPE {
			evs = append(evs, PipeEPIPE)
		}
		if res.Outcome == abi.OutcomeBlocked && pipeEnd(b.w, t, s.Fd, true) {
			evs = append(evs, PipeWriterSlept)
		}
	case abi.Tgkill:
		evs = threadPending(evs, b.w, a.w, ok, s.Tid, s.Sig)
	case abi.Tkill:
		evs = threadPending(evs, b.w, a.w, ok, s.Tid, s.Sig)
	case abi.Clone:
		c.noteClearTid(s.Flags, s.Ctid, res)
	case abi.Clone3:
		c.noteClearTid(s.Flags, s.Ctid, res)
	}
	for _, bt := range b.w.v.Tasks {
		if bt.State != abi.Blocked {
			continue
		}
		at, still := a.w.task(bt.Tid)
		switch {
		case !still:
		case at.State == abi.Blocked:
			if handledCount(at) > handledCount(bt) {
				evs = append(evs, SleepRestarted)
			}
		case at.Returned:
			evs = append(evs, BlockedThenWoken)
			evs = wokenEvents(evs, at)
		}
	}
	return c.clearedTids(evs, b, a, t, sc, res)
}

// wokenEvents classifies what a woken call returned.
func wokenEvents(evs []Event, at abi.TaskView) []Event {
	r := at.Return
	name, _, _ := strings.Cut(at.Call, " ")
	switch {
	case r.Err == abi.EINTR:
		evs = append(evs, SleepInterrupted)
	case r.Err == abi.EPIPE:
		evs = append(evs, PipeEPIPE)
	case r.Outcome != abi.OutcomeOK || r.Err != 0:
	case name == "read" && r.Ret == 0:
		evs = append(evs, PipeEOF) // a read never sleeps for 0 bytes
	case name == "futex":
		evs = append(evs, FutexWoken)
	}
	return evs
}

// pipeEnd reports whether fd of task t is an end of a pipe: its write end
// when writeEnd, else its read end.
func pipeEnd(w world, t abi.TaskView, fd int, writeEnd bool) bool {
	ft, ok := w.fdTable(t.FdTable)
	if !ok {
		return false
	}
	for _, f := range ft.Fds {
		if f.Fd == fd {
			fv, found := w.file(f.File)
			return found && fv.Pipe != 0 && fv.WriteEnd == writeEnd
		}
	}
	return false
}

// threadPending adds ThreadPending when sig became pending on thread tid's
// own set.
func threadPending(evs []Event, b, a world, ok bool, tid, sig int) []Event {
	if !ok {
		return evs
	}
	bt, _ := b.task(tid)
	if at, found := a.task(tid); found && at.Pending.Has(sig) && !bt.Pending.Has(sig) {
		evs = append(evs, ThreadPending)
	}
	return evs
}

func handledCount(t abi.TaskView) int {
	n := 0
	for _, h := range t.Handled {
		n += h.Count
	}
	return n
}

// noteClearTid registers the child of a successful creation with
// CLONE_CHILD_CLEARTID and a child_tid pointer.
func (c *Classifier) noteClearTid(flags, ctid uint64, res abi.Result) {
	created := res.Err == 0 && (res.Outcome == abi.OutcomeOK || res.Outcome == abi.OutcomeFrozen) && res.Ret > 0
	if created && flags&abi.CLONE_CHILD_CLEARTID != 0 && ctid != 0 {
		c.clearTid[int(res.Ret)] = pageOf(ctid)
	}
}

// clearedTids adds CtidCleared when a registered task left its address
// space in the step (exit, death or exec: mm_release) while another task
// keeps that memory, and the tid word it held reads 0 there afterwards. A
// task that leaves is forgotten.
func (c *Classifier) clearedTids(evs []Event, b, a viewIndex, t abi.TaskView, sc abi.Syscall, res abi.Result) []Event {
	_, isExec := sc.(abi.Execve)
	for child, addr := range c.clearTid {
		bc, ok := b.w.task(child)
		ac, still := a.w.task(child)
		if !ok && still {
			continue // created by this step
		}
		if !ok || bc.Mm == 0 {
			delete(c.clearTid, child)
			continue
		}
		execed := isExec && res.Outcome == abi.OutcomeExeced && (t.Tid == child || t.Tgid == bc.Tgid)
		if still && ac.Mm != 0 && !execed {
			continue
		}
		delete(c.clearTid, child)
		bm, _ := b.w.mm(bc.Mm)
		if word(bm, addr) == 0 {
			continue
		}
		for _, p := range b.w.v.Tasks {
			if p.Tid == child || p.Mm != bc.Mm {
				continue
			}
			if ap, ok := a.w.task(p.Tid); ok && ap.Mm != 0 && (!still || ap.Mm != ac.Mm) {
				am, _ := a.w.mm(ap.Mm)
				if word(am, addr) == 0 {
					evs = append(evs, CtidCleared)
				}
				break
			}
		}
	}
	return evs
}

// word is the low 32 bits of the word at page addr of m (a tid or futex
// word), 0 when the page holds no frame.
func word(m abi.MmView, addr uint64) uint64 {
	if p, ok := pageAt(m, addr); ok {
		return p.Value & 0xffffffff
	}
	return 0
}

// wokenReaped reports whether a wait4 asleep in some task returned tid in
// the step from b to a: the wake-up reaped it (WAIT-6a).
func wokenReaped(b, a viewIndex, tid int) bool {
	for _, bt := range b.w.v.Tasks {
		if bt.State != abi.Blocked || !strings.HasPrefix(bt.Call, "wait4 ") {
			continue
		}
		if at, ok := a.w.task(bt.Tid); ok && at.Returned && at.Return.Err == 0 && at.Return.Ret == uint64(tid) {
			return true
		}
	}
	return false
}
