package model

import "github.com/forkspec/forkspec/abi"

// Blocking is state (design.md): a call that must sleep leaves its task
// Blocked with a waitState, and the step returns OutcomeBlocked unless the
// task's call completes before the step ends. Nothing waits in Go: a
// sleeping task is only resumed when an event of a later (or the same)
// step puts it on the run queue — a child's death for wait4, bytes or the
// last writer's close for a pipe read, room or the last reader's close for
// a pipe write, FUTEX_WAKE or mm_release for a futex, and signal_wake_up for
// all of them (TASK_INTERRUPTIBLE sleeps). docs/conventions.md "Blocking".
//
// A resumed task first retries its call — every sleep in Linux rechecks its
// condition before it looks at signals (___wait_event, do_wait's repeat
// loop, futex_wait's unqueue test) — and completes it if it can. Else, when
// it was told of a signal, the call is interrupted: a pipe write that
// already put bytes in returns their count; any other call returns
// -ERESTARTSYS, and on the way out (arch_do_signal_or_restart) the first
// signal that gets a handler decides: without SA_RESTART the call returns
// EINTR, with it (or when no handler runs at all) the call starts again
// after the handlers, from scratch (signal(7) "Interruption of system
// calls": wait4, read and write on pipes, FUTEX_WAIT are all restarted).
// Otherwise the wake-up found nothing to do and the task sleeps on.

// waitState is what a Blocked task sleeps in.
type waitState struct {
	// call is the syscall the task sleeps in, as the trace gave it.
	call abi.Syscall
	// seq orders sleepers (a futex's waiters wake in the order they queued,
	// plist FIFO among equal priorities).
	seq uint64
	// file is the open file a pipe read or write holds for the length of
	// the call (fdget): it keeps the pipe's end open even if every fd to it
	// is closed meanwhile. nil for wait4 and futex.
	file *openFile
	// n is what a pipe read or write still asks for (count less what a
	// write already put in), written what a write put in so far.
	n, written int64
	// key is the futex the task is queued on; woken is set once a
	// FUTEX_WAKE took it off the queue (it then returns 0, signal or not).
	key   futexKey
	woken bool
}

// block puts t to sleep in w (the call's own state filled in by the call).
func (k *Kernel) block(t *task, w *waitState) abi.Result {
	w.seq = k.nextSeq
	k.nextSeq++
	t.state = abi.Blocked
	t.wait = w
	return abi.Result{Outcome: abi.OutcomeBlocked}
}

// complete ends t's sleep with r: the caller's step reports it; another
// task keeps it in the View until its next step (TaskView.Return).
func (k *Kernel) complete(t *task, r abi.Result) {
	call := t.wait.call
	t.state = abi.Running
	t.wait = nil
	if t == k.caller {
		k.callerDone = &r
		return
	}
	t.ret, t.retCall = &r, call.String()
}

// resume is a woken sleeper's turn on the CPU (runQueue): retry, else
// interrupt by a signal, else sleep on. Then, if it runs on, it takes its
// signals on its way back to user space.
func (k *Kernel) resume(t *task) {
	k.oncpu = t
	defer func() { k.oncpu = nil }()
	w := t.wait
	if r, done := k.retry(t, w); done {
		k.complete(t, r)
		k.returnToUser(t)
		return
	}
	if !t.sigpending {
		return // nothing for it: back to sleep
	}
	if w.written > 0 {
		k.complete(t, abi.Ok(uint64(w.written))) // pipe_write: what it wrote
		k.returnToUser(t)
		return
	}
	// -ERESTARTSYS: leave the sleep, take the signals, then EINTR or restart
	// (SIG-8a; signal(7) "Interruption of system calls and library
	// functions by signal handlers", arch_do_signal_or_restart).
	call := w.call
	t.state, t.wait = abi.Running, nil
	first := k.getSignal(t)
	if t.exiting || t.state != abi.Running {
		return
	}
	if first != 0 && t.group.sighand().actions[first].flags&abi.SA_RESTART == 0 {
		t.wait = &waitState{call: call}
		k.complete(t, abi.Fail(abi.EINTR))
		return
	}
	// Restart: the call runs again from the start, after the handlers.
	if r := k.dispatch(t, call); r.Outcome != abi.OutcomeBlocked {
		t.wait = &waitState{call: call}
		k.complete(t, r)
		k.returnToUser(t)
	}
}

// retry runs the sleeping call's check again: done with its result, or not.
func (k *Kernel) retry(t *task, w *waitState) (abi.Result, bool) {
	switch s := w.call.(type) {
	case abi.Wait4:
		r := k.sysWait4(t, s)
		return r, r.Outcome != abi.OutcomeBlocked
	case abi.Read:
		return k.pipeReadRetry(t, w)
	case abi.Write:
		return k.pipeWriteRetry(t, w)
	case abi.Futex:
		if w.woken {
			return abi.Ok(0), true
		}
	}
	return abi.Result{}, false
}

// sleepers returns the Blocked tasks in tid order.
func (k *Kernel) sleepers() []*task {
	var out []*task
	for _, tid := range k.sortedTids() {
		if t := k.tasks[tid]; t.state == abi.Blocked {
			out = append(out, t)
		}
	}
	return out
}
