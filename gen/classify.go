package gen

import (
	"github.com/forkspec/forkspec/abi"
)

// Classifier names the events of each step of one run. It keeps what the
// Views alone cannot say: which pages were ever shared (a later exclusive
// store to one is a copy-on-write reuse), which vfork child freezes which
// parent, and which thread created which child (a thread's exit moves its
// children to a sibling without changing getppid). Its memory is keyed by
// tids, which are never reused, so it needs no backend identities.
//
// The zero Classifier is ready to use. Feed it every step of a run in order.
type Classifier struct {
	// wasShared holds pages seen backed by a frame that several pages held,
	// keyed by the lowest tid using the address space and the page address.
	wasShared map[pageKey]bool
	// vforkParent maps a vfork child's tid to its frozen parent's tid.
	vforkParent map[int]int
	// creator maps a child process's tid to the thread that created it.
	creator map[int]int
	// started is set once the first step's before-View has been remembered.
	started bool
	// clearTid maps a task created with CLONE_CHILD_CLEARTID to the page
	// of its tid word, until the task leaves its address space.
	clearTid map[int]uint64
	// tids are the tasks of the View remembered last, in tid order: while
	// none of them is gone, no memory keyed by a tid needs forgetting.
	tids []int
}

type pageKey struct {
	tid  int
	addr uint64
}

// viewIndex is what the classifier needs to know about one View.
type viewIndex struct {
	w world
	// frameUse counts the pages backed by each canonical frame.
	frameUse []int
	// mmOwner is the lowest tid using each canonical mm.
	mmOwner []int
}

func index(v abi.View) viewIndex {
	x := viewIndex{w: newWorld(v)}
	maxFrame, maxMm := 0, 0
	for _, m := range v.Mms {
		maxMm = max(maxMm, m.ID)
		for _, p := range m.Pages {
			maxFrame = max(maxFrame, p.Frame)
		}
	}
	x.frameUse = make([]int, maxFrame+1)
	for _, m := range v.Mms {
		for _, p := range m.Pages {
			x.frameUse[p.Frame]++
		}
	}
	x.mmOwner = make([]int, maxMm+1)
	for _, t := range v.Tasks {
		if t.Mm > 0 && t.Mm <= maxMm && x.mmOwner[t.Mm] == 0 {
			x.mmOwner[t.Mm] = t.Tid
		}
	}
	return x
}

// Events returns the events of the step (tid, sc) that took the world from
// before to after with result res. Views must be canonical.
func (c *Classifier) Events(before, after abi.View, tid int, sc abi.Syscall, res abi.Result) []Event {
	if c.wasShared == nil {
		c.wasShared = map[pageKey]bool{}
		c.vforkParent = map[int]int{}
		c.creator = map[int]int{}
		c.clearTid = map[int]uint64{}
	}
	b, a := index(before), index(after)
	if !c.started {
		c.started = true
		c.remember(b)
	}
	var evs []Event
	add := func(e Event) { evs = append(evs, e) }
	t, _ := b.w.task(tid)
	ok := !res.Outcome.Refused() && res.Err == 0

	if res.Outcome.Refused() {
		add(Refused)
	}
	if res.Err == abi.EINVAL {
		add(InvalidArgument)
	}
	if res.Outcome == abi.OutcomeKilled && res.Signal == abi.SIGSEGV {
		add(SIGSEGVDeath)
	}

	switch s := sc.(type) {
	case abi.Store:
		if ok && res.Outcome == abi.OutcomeOK {
			evs = c.store(evs, b, t, pageOf(s.Addr))
		}
	case abi.Execve:
		if res.Outcome == abi.OutcomeExeced && t.Tid != t.Tgid {
			add(ExecByNonLeader)
		}
		if res.Err != 0 {
			if p, isChild := c.vforkParent[tid]; isChild {
				if pt, ok := a.w.task(p); ok && pt.State == abi.VforkFrozen {
					add(FailedExecKeepsFrozen)
				}
			}
		}
	case abi.Fork, abi.Vfork, abi.Clone, abi.Clone3:
		evs = c.creation(evs, b, t, s, res)
	case abi.Wait4:
		if ok && res.Ret > 0 {
			add(Reaped)
		}
	case abi.Open, abi.Close, abi.Dup, abi.Fcntl:
		if ok && sharedAcross(b.w, t, func(u abi.TaskView) int { return u.FdTable }) {
			add(FilesShared)
		}
	case abi.Sigaction:
		if ok && sharedAcross(b.w, t, func(u abi.TaskView) int { return u.Sighand }) {
			add(SighandShared)
		}
	case abi.Write:
		if ok && s.N == 0 {
			add(ZeroWrite)
		}
	case abi.Load:
		if m, found := b.w.mm(t.Mm); found {
			if mp, in := mappingAt(m, pageOf(s.Addr)); in && mp.Prot == abi.PROT_EXEC {
				add(ExecOnlyLoad)
			}
		}
	case abi.Mprotect:
		if s.Prot&(abi.PROT_GROWSDOWN|abi.PROT_GROWSUP) != 0 && !res.Outcome.Refused() {
			add(GrowsProt)
		}
	case abi.Mmap:
		evs = mmapEvents(evs, s, res)
	}

	if handled(after) > handled(before) {
		add(HandlerRan)
	}
	evs = signalEvents(evs, b.w, a.w, sc, res)
	evs = threadEvents(evs, b, a, t, sc, res)
	evs = c.libcEvents(evs, b, a, t, sc, res)
	evs = c.transitions(evs, b, a, tid, t, sc, res)
	c.remember(a)
	return evs
}

// store classifies a successful store to page addr by task t.
func (c *Classifier) store(evs []Event, b viewIndex, t abi.TaskView, addr uint64) []Event {
	m, ok := b.w.mm(t.Mm)
	if !ok {
		return evs
	}
	mp, ok := mappingAt(m, addr)
	if !ok || mp.Shared {
		return evs
	}
	key := pageKey{b.mmOwner[t.Mm], addr}
	if p, ok := pageAt(m, addr); ok {
		switch {
		case b.frameUse[p.Frame] > 1:
			evs = append(evs, COWCopy)
		case c.wasShared[key]:
			evs = append(evs, COWReuse)
		}
	}
	delete(c.wasShared, key)
	return evs
}

// creation classifies fork, vfork, clone and clone3.
func (c *Classifier) creation(evs []Event, b viewIndex, t abi.TaskView, sc abi.Syscall, res abi.Result) []Event {
	if res.Err == abi.EAGAIN {
		evs = append(evs, TaskLimit)
	}
	if res.Err != 0 || res.Outcome.Refused() || res.Ret == 0 {
		return evs
	}
	child := int(res.Ret)
	var flags uint64
	switch s := sc.(type) {
	case abi.Vfork:
		flags = abi.CLONE_VM | abi.CLONE_VFORK
	case abi.Clone:
		flags = s.Flags &^ abi.CSIGNAL
	case abi.Clone3:
		flags = s.Flags
	}
	if res.Outcome == abi.OutcomeFrozen {
		c.vforkParent[child] = t.Tid
		if flags&abi.CLONE_VM == 0 {
			evs = append(evs, VforkWithoutVM)
		}
	}
	if flags&(abi.CLONE_THREAD|abi.CLONE_PARENT) == 0 {
		c.creator[child] = t.Tid
	}
	if flags&abi.CLONE_VM == 0 {
		if m, ok := b.w.mm(t.Mm); ok {
			df, wf := false, false
			for _, mp := range m.Mappings {
				df = df || mp.DontFork
				wf = wf || mp.WipeOnFork
			}
			if df {
				evs = append(evs, DontFork)
			}
			if wf {
				evs = append(evs, WipeOnFork)
			}
		}
	}
	if flags&(abi.CLONE_PIDFD|abi.CloneNoEffect) != 0 || flags > abi.CLONE_INTO_CGROUP {
		evs = append(evs, CloneSince60)
	}
	if flags&abi.CLONE_CLEAR_SIGHAND != 0 {
		if sh, ok := b.w.sighand(t.Sighand); ok {
			for _, act := range sh.Actions {
				if act.Handler == abi.SigHandle {
					evs = append(evs, ClearSighand)
					break
				}
			}
		}
	}
	return evs
}

// transitions classifies changes between the Views: releases, reparenting,
// zombies and auto-reaping.
func (c *Classifier) transitions(evs []Event, b, a viewIndex, tid int, t abi.TaskView, sc abi.Syscall, res abi.Result) []Event {
	_, isExec := sc.(abi.Execve)
	execed := isExec && res.Outcome == abi.OutcomeExeced
	for _, bt := range b.w.v.Tasks {
		at, still := a.w.task(bt.Tid)
		if bt.State == abi.VforkFrozen && still && at.State == abi.Running {
			if execed {
				evs = append(evs, VforkReleasedByExec)
			} else {
				evs = append(evs, VforkReleasedByExit)
			}
		}
		if still && at.Ppid != bt.Ppid && at.Tgid == bt.Tgid && bt.Tid == bt.Tgid {
			switch p, _ := a.w.proc(at.Ppid); {
			case at.Ppid == 1:
				evs = append(evs, ReparentToInit)
			case p.Subreaper:
				evs = append(evs, ReparentToSubreaper)
			}
		}
		if still && at.Tid == at.Tgid && at.State == abi.Zombie && bt.State != abi.Zombie && len(a.w.threads(at.Tgid)) > 1 {
			evs = append(evs, LeaderZombie)
		}
		if !still && bt.Tid == bt.Tgid {
			reaped := false
			if _, isWait := sc.(abi.Wait4); isWait && res.Ret == uint64(bt.Tid) {
				reaped = true
			}
			// A wait4 asleep in another task that the death woke reaps
			// it (WAIT-6a).
			if wokenReaped(b, a, bt.Tid) {
				reaped = true
			}
			// A non-leader's exec makes the old leader vanish (EXEC-5).
			if execed && t.Tgid == bt.Tgid {
				reaped = true
			}
			if !reaped {
				evs = append(evs, AutoReap)
			}
		}
	}
	// A thread's exit hands the children it created to a sibling (REAP-1):
	// getppid does not change, so the creator map says who moved.
	if _, isExit := sc.(abi.Exit); isExit && res.Outcome == abi.OutcomeExited {
		live := false
		for _, u := range a.w.threads(t.Tgid) {
			if at, _ := a.w.task(u); at.State != abi.Zombie {
				live = true
			}
		}
		if live {
			for child, cr := range c.creator {
				if cr != tid {
					continue
				}
				if ct, ok := a.w.task(child); ok && ct.Ppid == t.Tgid {
					evs = append(evs, ReparentToThread)
					break
				}
			}
		}
	}
	return evs
}

// remember records the pages shared in the View after a step and drops the
// bookkeeping of tasks that are gone.
func (c *Classifier) remember(a viewIndex) {
	for _, m := range a.w.v.Mms {
		owner := a.mmOwner[m.ID]
		for _, p := range m.Pages {
			if a.frameUse[p.Frame] > 1 {
				c.wasShared[pageKey{owner, p.Addr}] = true
			}
		}
	}
	for child, parent := range c.vforkParent {
		if pt, ok := a.w.task(parent); !ok || pt.State != abi.VforkFrozen {
			delete(c.vforkParent, child)
		}
	}
	gone := false
	for _, tid := range c.tids {
		if _, ok := a.w.task(tid); !ok {
			gone = true
			break
		}
	}
	c.tids = c.tids[:0]
	for _, t := range a.w.v.Tasks {
		c.tids = append(c.tids, t.Tid)
	}
	if !gone {
		return // tids are never reused: every key below names a live task
	}
	for k := range c.wasShared {
		if _, ok := a.w.task(k.tid); !ok {
			delete(c.wasShared, k)
		}
	}
	for child := range c.creator {
		if _, ok := a.w.task(child); !ok {
			delete(c.creator, child)
		}
	}
}

// sharedAcross reports whether t's object (as chosen by id) is used by a
// task of another thread group.
func sharedAcross(w world, t abi.TaskView, id func(abi.TaskView) int) bool {
	mine := id(t)
	if mine == 0 {
		return false
	}
	for _, u := range w.v.Tasks {
		if u.Tgid != t.Tgid && id(u) == mine {
			return true
		}
	}
	return false
}

// handled sums the handler runs of every process.
func handled(v abi.View) int {
	n := 0
	for _, p := range v.Procs {
		for _, h := range p.Handled {
			n += h.Count
		}
	}
	return n
}

// mmapEvents classifies a mmap by its arguments and answer.
func mmapEvents(evs []Event, s abi.Mmap, res abi.Result) []Event {
	answered := !res.Outcome.Refused()
	fixed := s.Flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) != 0
	if answered && s.Len > 1<<30 {
		evs = append(evs, HugeLength)
	}
	if answered && res.Err == 0 && !fixed && s.Addr < abi.PageSize && s.Flags&abi.MAP_SHARED == 0 &&
		s.Len%abi.THPSize == 0 && s.Len > 0 {
		evs = append(evs, THPPlacement)
	}
	if fixed && s.Addr >= abi.TaskSize-abi.THPSize && s.Addr < abi.TaskSize {
		evs = append(evs, FixedNearTop)
	}
	if fixed && s.Addr < abi.MmapMinAddr+1<<20 {
		evs = append(evs, FixedNearZero)
	}
	return evs
}
