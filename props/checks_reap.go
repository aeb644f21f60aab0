package props

import (
	"fmt"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// checkReparentTarget is REAP-1 and REAP-2 for every process that existed
// before the step and still does: while any thread of its parent's group
// lives it keeps that parent (a dying thread's children go to a sibling,
// whose getppid is the same pid); once none lives, its parent is the
// nearest ancestor, up the parent chain of the step's start, that still has
// a live thread and is marked subreaper — else init — and its termination
// signal is SIGCHLD. Every thread reports its group leader's parent (THR-1).
//
// The chain is read in the View before the step and liveness after it, so
// that several groups ending in one step (a released vfork parent taking a
// fatal signal) give the same answer whichever ended first: a child handed
// to an ancestor that dies in the same step moves on up the same chain.
func checkReparentTarget(c *stepCtx) error {
	leaders := map[int]abi.TaskView{}
	for _, t := range c.after.Tasks {
		if t.Tid == t.Tgid {
			leaders[t.Tgid] = t
		}
	}
	for _, t := range c.after.Tasks {
		if l, ok := leaders[t.Tgid]; ok && t.Ppid != l.Ppid {
			return fmt.Errorf("THR-1: thread %d reports parent %d, its group leader %d reports %d", t.Tid, t.Ppid, l.Tid, l.Ppid)
		}
	}
	for _, was := range c.before.Tasks {
		now, ok := leaders[was.Tgid]
		if was.Tid != was.Tgid || !ok || was.Tgid == 1 {
			continue
		}
		want := was.Ppid
		if !alive(c.after, was.Ppid) {
			want = newReaper(c.before, c.after, was.Ppid)
		}
		if now.Ppid != want {
			return fmt.Errorf("REAP-1: after %v by %d, process %d has parent %d, want %d (parent before: %d, %s)",
				c.sc, c.tid, was.Tgid, now.Ppid, want, was.Ppid, map[bool]string{true: "still alive", false: "no live thread left"}[alive(c.after, was.Ppid)])
		}
		if now.Ppid != was.Ppid && now.ExitSignal != abi.SIGCHLD {
			return fmt.Errorf("REAP-2: process %d moved from parent %d to %d keeps termination signal %d, want SIGCHLD", was.Tgid, was.Ppid, now.Ppid, now.ExitSignal)
		}
	}
	return nil
}

// newReaper is find_new_reaper for the children of process father, which
// has no live thread in after: the first ancestor of father (by before's
// parent chain) that is marked subreaper and has a live thread, else init.
func newReaper(before, after abi.View, father int) int {
	seen := map[int]bool{}
	for p := ppidOf(before, father); p > 1 && !seen[p]; p = ppidOf(before, p) {
		seen[p] = true
		if pv, ok := procOf(after, p); ok && pv.Subreaper && alive(after, p) {
			return p
		}
	}
	return 1
}

// ppidOf is the parent of process tgid in v, 0 when v does not hold it.
func ppidOf(v abi.View, tgid int) int {
	if t, ok := task(v, tgid); ok {
		return t.Ppid
	}
	return 0
}

// execTracker remembers, for one backend, what the View cannot show and
// do_notify_parent needs: whether a process's parent has exec'd since the
// process was created (parent_exec_id != parent->self_exec_id), in which
// case a termination signal other than SIGCHLD is sent as SIGCHLD.
//
// Invariant: execs[g] counts the successful execs of process g seen so far
// (every live thread of a group has the same self_exec_id: exec kills the
// others, clone copies the creator's); born[g] is execs of g's parent when g
// was created, for every process created while tracking.
type execTracker struct {
	execs, born map[int]int
}

// stale reports whether process g's parent has exec'd since g was created.
func (et *execTracker) stale(v abi.View, g int) bool {
	born, ok := et.born[g]
	return ok && et.execs[ppidOf(v, g)] != born
}

// update records the step's exec or process creation.
func (et *execTracker) update(c *stepCtx) {
	if et.execs == nil {
		et.execs, et.born = map[int]int{}, map[int]int{}
	}
	if _, ok := c.sc.(abi.Execve); ok && c.res.Outcome == abi.OutcomeExeced {
		t, _ := task(c.before, c.tid)
		et.execs[t.Tgid]++
		return
	}
	child, a, ok := created(c)
	if !ok || a.flags&abi.CLONE_THREAD != 0 {
		return
	}
	caller, _ := task(c.before, c.tid)
	if a.flags&abi.CLONE_PARENT != 0 {
		// copy_process: CLONE_PARENT takes the caller's parent_exec_id.
		et.born[child.Tgid] = et.born[caller.Tgid]
		return
	}
	et.born[child.Tgid] = et.execs[caller.Tgid]
}

// checkAutoReap is WAIT-5 (with REAP-2 and CLONE-6): when a process ends in
// a step — its last live thread exits — or is handed to a new parent while
// already a zombie, it is notified to its parent with its termination
// signal (SIGCHLD if the parent has exec'd since); if that is SIGCHLD and
// the parent ignores SIGCHLD or set SA_NOCLDWAIT, the process is reaped at
// once and is gone; otherwise it stays, a zombie waiting for wait4.
func (et *execTracker) checkAutoReap(c *stepCtx) error {
	for _, was := range c.before.Tasks {
		if was.Tid != was.Tgid || was.Tgid == 1 {
			continue
		}
		g := was.Tgid
		now, present := task(c.after, g)
		if present && alive(c.after, g) {
			continue // still running, or only its leader is a zombie
		}
		if !alive(c.before, g) { // a zombie already: notified before this step, unless moved now
			if !present {
				if err := zombieVanished(c, was); err != nil {
					return err
				}
				continue
			}
			if now.Ppid == was.Ppid {
				continue
			}
		}
		parent, sig := was.Ppid, was.ExitSignal
		if present {
			parent, sig = now.Ppid, now.ExitSignal
		} else if !alive(c.after, parent) {
			continue // reaped by a parent that ended in this step too: which one is unknown
		}
		if sig != abi.SIGCHLD && et.stale(c.before, g) {
			sig = abi.SIGCHLD
		}
		ign, ok := ignoresSIGCHLD(c.after, parent)
		if !ok {
			return fmt.Errorf("WAIT-5: process %d ended, but its parent %d has no live thread", g, parent)
		}
		switch reap := sig == abi.SIGCHLD && ign != ""; {
		case reap && present:
			return fmt.Errorf("WAIT-5: process %d ended with termination signal %d and its parent %d %s, but it stays a zombie", g, sig, parent, ign)
		case !reap && !present && wokenReaped(c, g):
			// A wait4 asleep in the parent, woken by this end, reaped it
			// (WAIT-6).
		case !reap && !present:
			why := "does not ignore SIGCHLD"
			if sig != abi.SIGCHLD {
				why = fmt.Sprintf("is notified with signal %d, not SIGCHLD", sig)
			}
			return fmt.Errorf("WAIT-5: process %d ended and was reaped at once, but its parent %d %s", g, parent, why)
		}
	}
	return nil
}

// zombieVanished checks a process that was a zombie before the step and
// is gone after it: unless a wait4 reaped it, it must have been orphaned in
// the step and handed to a reaper that ignores SIGCHLD (REAP-2: it moves
// with SIGCHLD).
func zombieVanished(c *stepCtx, was abi.TaskView) error {
	if _, ok := c.sc.(abi.Wait4); ok && c.res.Err == 0 && int(c.res.Ret) == was.Tgid {
		return nil // reaped by this wait
	}
	if wokenReaped(c, was.Tgid) {
		return nil // reaped by a wait4 asleep in its (new) parent, which the step woke
	}
	if alive(c.after, was.Ppid) {
		return fmt.Errorf("WAIT-5: the zombie %d vanished in %v by %d, which is no wait4 for it, while its parent %d lives", was.Tgid, c.sc, c.tid, was.Ppid)
	}
	np := newReaper(c.before, c.after, was.Ppid)
	if ign, _ := ignoresSIGCHLD(c.after, np); ign == "" {
		return fmt.Errorf("REAP-2: the zombie %d, orphaned in %v by %d, vanished, but its new parent %d does not ignore SIGCHLD", was.Tgid, c.sc, c.tid, np)
	}
	return nil
}

// ignoresSIGCHLD says how process p's group ignores its children's ends
// ("sets SIGCHLD to SIG_IGN", "sets SA_NOCLDWAIT") or "" when it does not;
// ok is false when p has no live thread to read the disposition from.
func ignoresSIGCHLD(v abi.View, p int) (how string, ok bool) {
	for _, t := range v.Tasks {
		if t.Tgid != p || t.State == abi.Zombie {
			continue
		}
		for _, a := range actions(v, t.Sighand) {
			switch {
			case a.Sig != abi.SIGCHLD:
			case a.Handler == abi.SigIgnore:
				return "sets SIGCHLD to SIG_IGN", true
			case a.Flags&abi.SA_NOCLDWAIT != 0:
				return "sets SA_NOCLDWAIT", true
			}
		}
		return "", true
	}
	return "", false
}

// wokenReaped reports whether a wait4 that slept in a task of the parent's
// group (abi.TaskView.Call) completed in the step with g's pid: the step
// woke it and it reaped g (WAIT-6).
func wokenReaped(c *stepCtx, g int) bool {
	for _, bt := range c.before.Tasks {
		if bt.State != abi.Blocked || !strings.HasPrefix(bt.Call, "wait4 ") {
			continue
		}
		if at, ok := task(c.after, bt.Tid); ok && at.Returned && at.Return.Err == 0 && at.Return.Outcome == abi.OutcomeOK && at.Return.Ret == uint64(g) {
			return true
		}
	}
	return false
}
