package model

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// The __W* options as unsigned words, for the C-int option argument.
const (
	wNothread = uint64(abi.WNOTHREAD)
	wAll      = uint64(abi.WALL)
	wClone    = uint64(abi.WCLONE)
)

// sysWait4 is wait4(2) (WAIT-1 … WAIT-6, docs/conventions.md "Parents,
// waiting, reaping"). pid and options are C ints: Linux sees their low 32
// bits. When it would sleep it returns OutcomeBlocked and dispatch puts the
// caller to sleep (block.go); a retry after a wake-up runs it again.
func (k *Kernel) sysWait4(t *task, s abi.Wait4) abi.Result {
	opts := u32(s.Options)
	pid := i32(int64(s.Pid))
	if opts&^uint64(uint32(abi.Wait4Valid)) != 0 {
		return abi.Fail(abi.EINVAL) // WAIT-3 [kernel_wait4]
	}
	if pid == -1<<31 {
		return abi.Fail(abi.ESRCH) // kernel_wait4: -INT_MIN is undefined
	}
	// pid 0 or < -1 (process groups) was refused before the step (abi.Refusal).
	var eligible []*group
	for _, w := range k.waiters(t, opts) {
		for _, c := range k.childrenOf(w) {
			if eligibleChild(c, pid, opts) {
				eligible = append(eligible, c)
			}
		}
	}
	if len(eligible) == 0 {
		return abi.Fail(abi.ECHILD) // WAIT-1, WAIT-2
	}
	// wait4 -1 reaps the first waitable child in that order: each thread's
	// children list in list order (do_wait_thread). docs/conventions.md says
	// the lowest pid; Linux's order differs once children are reparented.
	for _, c := range eligible {
		// wait_consider_task: a zombie leader with threads left is not
		// reaped (delay_group_leader); only a dead process is waitable.
		if c.dead {
			st := c.exitStatus
			k.reap(c)
			return abi.Result{Ret: uint64(c.tgid), Status: st}
		}
	}
	if opts&uint64(abi.WNOHANG) != 0 {
		return abi.Ok(0) // WAIT-2
	}
	return abi.Result{Outcome: abi.OutcomeBlocked} // WAIT-6: do_wait sleeps
}

// wakeParent is __wake_up_parent for the process g that just died (or was
// reparented as a zombie), whose parent thread is p: every thread of p's
// group sleeping in wait4 is woken when g could be what it waits for
// (child_wait_callback: the pid matches, and with __WNOTHREAD the sleeper
// is the parent thread itself). It retries its wait when it runs.
func (k *Kernel) wakeParent(g *group, p *task) {
	if p == nil {
		return
	}
	for _, u := range p.group.threads {
		if u.state != abi.Blocked {
			continue
		}
		w, ok := u.wait.call.(abi.Wait4)
		if !ok {
			continue
		}
		pid := i32(int64(w.Pid))
		if (pid == -1 || pid == int64(g.tgid)) && (u32(w.Options)&wNothread == 0 || u == p) {
			k.enqueue(u)
		}
	}
}

// waiters returns the threads whose children a wait by t considers, in
// do_wait's order: t itself, then (unless __WNOTHREAD) the other threads of
// its group, going round the thread list from t (while_each_thread) —
// children created by any thread are the group's (WAIT-4).
func (k *Kernel) waiters(t *task, opts uint64) []*task {
	if opts&wNothread != 0 {
		return []*task{t}
	}
	ts := t.group.threads
	i := slices.Index(ts, t)
	return append(slices.Clone(ts[i:]), ts[:i]...)
}

// eligibleChild is eligible_child (WAIT-1, WAIT-3, CLONE-6): pid -1 or the
// child's pid; without __WALL, a wait without __WCLONE sees only children
// whose exit signal is SIGCHLD and one with __WCLONE only the others.
func eligibleChild(c *group, pid int64, opts uint64) bool {
	if pid != -1 && int64(c.tgid) != pid {
		return false
	}
	if opts&wAll != 0 {
		return true
	}
	clone := opts&wClone != 0
	return (c.exitSignal != abi.SIGCHLD) == clone
}
