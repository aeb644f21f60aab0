package impl

import "github.com/forkspec/forkspec/abi"

// sleep is what a blocked task sleeps in (conventions "Blocking"): the call,
// and the state the call keeps while asleep.
type sleep struct {
	call abi.Syscall
	// file is the pipe end a read or write holds (fdget), counted in its
	// refs while the call lasts.
	file *openFile
	// left is what a pipe read or write still asks for; done what a write
	// put in so far.
	left, done int64
	// key is the futex queued on; woken is set once FUTEX_WAKE took the
	// task off k.futexq.
	key   futexKey
	woken bool
}

// sleepOn blocks t in s.
func (k *Kernel) sleepOn(t *task, s *sleep) abi.Result {
	t.state = stateBlocked
	t.sl = s
	return abi.Result{Outcome: abi.OutcomeBlocked}
}

// endSleep ends t's sleep: a held pipe end is put back, a futex queue
// entry dropped.
func (k *Kernel) endSleep(t *task) {
	s := t.sl
	if s == nil {
		return
	}
	if s.file != nil {
		k.leavePipe(s)
	}
	t.sl = nil
	if t.state == stateBlocked {
		t.state = stateRunning
	}
	if s.file != nil {
		k.fput(s.file)
	}
	if _, ok := s.call.(abi.Futex); ok && !s.woken {
		k.unqueueFutex(t)
	}
}

// finish ends t's sleep with r: the caller's step reports r, any other
// task keeps it for the View until its next step.
func (k *Kernel) finish(t *task, r abi.Result) {
	call := t.sl.call
	k.endSleep(t)
	if t == k.caller {
		k.callerDone = &r
		return
	}
	t.done, t.doneCall = &r, call.String()
}

// wakeUp is a woken sleeper's turn: its call is retried first (every sleep
// rechecks its condition before signals), then, told of a signal, it is
// interrupted — a pipe write returns what it put in, anything else
// -ERESTARTSYS, which becomes EINTR when the first handled signal lacks
// SA_RESTART, else the call runs again after the handlers — else it sleeps
// on.
func (k *Kernel) wakeUp(t *task) {
	k.cpu = t
	defer func() { k.cpu = nil }()
	s := t.sl
	if r, ok := k.retrySleep(t, s); ok {
		k.finish(t, r)
		k.afterCall(t)
		return
	}
	if !t.tif {
		return
	}
	if s.done > 0 {
		k.finish(t, abi.Ok(uint64(s.done)))
		k.afterCall(t)
		return
	}
	call := s.call
	k.endSleep(t)
	first := k.takeSignals(t)
	if !t.live() || t.state != stateRunning {
		return
	}
	if first != 0 && t.sh.act[first].flags&abi.SA_RESTART == 0 {
		t.sl = &sleep{call: call}
		k.finish(t, abi.Fail(abi.EINTR))
		return
	}
	if r := k.dispatch(t, call); r.Outcome != abi.OutcomeBlocked {
		t.sl = &sleep{call: call}
		k.finish(t, r)
		k.afterCall(t)
	}
}

// retrySleep runs a sleeping call's check again.
func (k *Kernel) retrySleep(t *task, s *sleep) (abi.Result, bool) {
	switch c := s.call.(type) {
	case abi.Wait4:
		r := k.sysWait4(t, c)
		return r, r.Outcome != abi.OutcomeBlocked
	case abi.Read:
		return k.pipeReadOnce(s)
	case abi.Write:
		return k.pipeWriteOnce(t, s, false)
	case abi.Futex:
		return abi.Ok(0), s.woken
	}
	return abi.Result{}, false
}
