package model

import "github.com/forkspec/forkspec/abi"

// Thread-directed signals and the pending-set query (SIG-5, SIG-6).

// sysTkill is tgkill(2) (group) and tkill(2) (do_tkill, do_send_specific):
// a tid (or tgid) that is not positive is EINVAL; no task with that tid, or
// one of another group, is ESRCH; then an invalid signal is EINVAL
// (check_kill_permission), 0 only checks, and the signal is queued on that
// thread's own pending set (sendThreadSignal). A dying group takes nothing
// (prepare_signal) and the call returns 0. Queued real-time signals and the
// stop signals were refused before the step (abi.Refusal).
func (k *Kernel) sysTkill(t *task, tgid, tid, sig int64, group bool) abi.Result {
	tgid, tid, sig = i32(tgid), i32(tid), i32(sig)
	if tid <= 0 || (group && tgid <= 0) {
		return abi.Fail(abi.EINVAL)
	}
	target, ok := k.tasks[int(tid)]
	if !ok || (group && int64(target.group.tgid) != tgid) {
		return abi.Fail(abi.ESRCH)
	}
	if sig < 0 || sig > abi.NSIG {
		return abi.Fail(abi.EINVAL)
	}
	if sig == 0 {
		return abi.Ok(0)
	}
	k.sendThreadSignal(target, int(sig))
	return abi.Ok(0)
}

// sysSigpending is sigpending(2) (do_sigpending): the signals pending for
// the caller, its own and its process's, that it blocks.
func (k *Kernel) sysSigpending(t *task) abi.Result {
	return abi.Ok(uint64((t.pending | t.group.pending) & t.blocked))
}
