package impl

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// The __W* options (abi.WNOTHREAD, abi.WALL, abi.WCLONE).
const (
	wNothread = abi.WNOTHREAD
	wAll      = abi.WALL
	wClone    = abi.WCLONE
)

// waiters returns the threads whose children a wait by t considers, in
// do_wait's order: t, then (unless __WNOTHREAD) the other threads of its
// group going round the thread list from t (while_each_thread).
func waiters(t *task, opts int64) []*task {
	if opts&wNothread != 0 {
		return []*task{t}
	}
	ts := t.g.threads
	i := slices.Index(ts, t)
	return append(slices.Clone(ts[i:]), ts[:i]...)
}

// sysWait4 is a non-blocking-only wait4(2) (WAIT-*, conventions "Parents,
// waiting, reaping"): children of every thread of the group (or of the
// caller alone with __WNOTHREAD), filtered by eligible_child; the first
// waitable zombie in Linux's list order is reaped (conventions say the
// lowest pid; the order differs once children are reparented).
func (k *Kernel) sysWait4(t *task, w abi.Wait4) abi.Result {
	w.Options = int64(u32(w.Options)) // an int: Linux sees the low 32 bits
	w.Pid = int(i32(int64(w.Pid)))
	if w.Options&^abi.Wait4Valid != 0 {
		return abi.Fail(abi.EINVAL)
	}
	if w.Pid == -1<<31 {
		return abi.Fail(abi.ESRCH) // kernel_wait4: -INT_MIN is undefined
	}
	// pid 0 or < -1 (process groups) was refused before the step (abi.Refusal).
	wclone := w.Options&wClone != 0
	var best *group
	eligible := false
	for _, waiter := range waiters(t, w.Options) {
		for _, g := range k.childrenOf(waiter) {
			switch {
			case w.Pid > 0 && g.tgid != w.Pid,
				w.Options&wAll == 0 && (g.leader.exitSignal == abi.SIGCHLD) == wclone:
				continue
			}
			eligible = true
			if best == nil && g.leader.state == stateZombie && len(g.threads) == 1 {
				best = g
			}
		}
	}
	switch {
	case !eligible:
		return abi.Fail(abi.ECHILD)
	case best == nil && w.Options&abi.WNOHANG != 0:
		return abi.Ok(0)
	case best == nil:
		return abi.Result{Outcome: abi.OutcomeBlocked} // WAIT-6: dispatch sleeps
	}
	st := best.status
	k.reap(best.leader)
	return abi.Result{Ret: uint64(best.tgid), Status: st}
}
