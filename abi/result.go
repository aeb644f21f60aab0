package abi

// Errno is a Linux error number; 0 means success.
type Errno int

// Outcome says what a step did to the task that performed it, or why the step
// was refused. Refusals (the Outcome*Refused group) change nothing at all.
type Outcome int

const (
	// OutcomeOK: the call returned and the caller runs on.
	OutcomeOK Outcome = iota
	// OutcomeFrozen: the call returned in the child's world but the caller is
	// now frozen as a vfork parent (VFORK-2); Ret is the child's pid.
	OutcomeFrozen
	// OutcomeExited: the caller ended by exit or exit_group.
	OutcomeExited
	// OutcomeExeced: execve succeeded; the caller now runs the new image.
	OutcomeExeced
	// OutcomeKilled: the caller's group died of Signal during the step (a bad
	// memory access is SIGSEGV; kill of its own group with a fatal signal).
	OutcomeKilled
	// OutcomeBlocked: the call sleeps (wait4, read of an empty pipe, write to
	// a full one, FUTEX_WAIT) and had not completed when the step ended: the
	// caller is Blocked, and the View's TaskView.Call names the call. What
	// the call did before it slept (part of a write) is done. When a later
	// step wakes it and the call completes, TaskView.Return holds its result
	// (docs/conventions.md "Blocking"). A call that sleeps and completes
	// within its own step returns its result as usual.
	OutcomeBlocked

	// OutcomeNoTask: refused, no task has that tid (never created, reaped,
	// released thread, or replaced by a non-leader's exec).
	OutcomeNoTask
	// OutcomeTaskFrozen: refused, the task is a frozen vfork parent (WORLD-3).
	OutcomeTaskFrozen
	// OutcomeTaskZombie: refused, the task has exited and awaits its reaper.
	OutcomeTaskZombie
	// OutcomeTaskBlocked: refused, the task is blocked in a call.
	OutcomeTaskBlocked
	// OutcomeUnsupported: refused, the arguments are valid for Linux but ask
	// for something forkspec does not model (a namespace flag, a stop signal).
	OutcomeUnsupported
)

// Refused reports whether the outcome is a refusal: the step did nothing.
func (o Outcome) Refused() bool { return o >= OutcomeNoTask }

// Result is what one step returned.
type Result struct {
	// Ret is the return value on success (a pid, an fd, an address, a loaded
	// value, an offset). Zero when Err != 0 or the step was refused.
	Ret uint64
	// Err is the errno of a failed call; 0 on success.
	Err Errno
	// Status is the wait status a successful wait4 reports; 0 otherwise.
	Status int
	// Outcome is what happened to the caller.
	Outcome Outcome
	// Signal is the killing signal when Outcome is OutcomeKilled; 0 otherwise.
	Signal int
}

// Ok is the result of a call that returned ret and runs on.
func Ok(ret uint64) Result { return Result{Ret: ret} }

// Fail is the result of a call that failed with errno e.
func Fail(e Errno) Result { return Result{Err: e} }

// Refuse is the result of a refused step.
func Refuse(o Outcome) Result { return Result{Outcome: o} }
