package props

import (
	"errors"

	"github.com/forkspec/forkspec/traces"
)

// Replay runs steps on a fresh Machine with the given checks and backends,
// then final (when not nil), and returns the Machine and the first failure.
func Replay(o traces.Options, checks Check, bs []Backend, steps []traces.Step, final func(*Machine) error) (*Machine, error) {
	m, err := NewMachine(o, checks, bs...)
	if err != nil {
		return m, err
	}
	for _, s := range steps {
		if _, err := m.Step(s.Tid, s.Call); err != nil {
			return m, err
		}
	}
	if final != nil {
		return m, final(m)
	}
	return m, nil
}

// Reduce shrinks a failing step sequence by meaning with traces.Shrink —
// the reducer `forkspec check` uses too: delta debugging over steps, tasks
// and arguments until no single deletion or simplification keeps the
// failure — asking each time whether the candidate, replayed on a fresh
// Machine with the same checks and final, still fails the same way (same
// kind, backend, property and syscall). rapid's own shrinking works on
// draws and cannot cut a step out of the middle of a scripted pattern, nor
// hand a task's steps to its parent; this can. It returns the reduced
// steps, cut after the failing step, and that failure.
func Reduce(o traces.Options, checks Check, bs []Backend, steps []traces.Step, final func(*Machine) error, want *Failure) ([]traces.Step, *Failure) {
	fails := func(cand []traces.Step) ([]traces.Step, bool) {
		m, f := replayRenumbered(o, checks, bs, cand, final)
		if m == nil || f == nil || !sameFailure(f, want) {
			return nil, false
		}
		done := m.Trace("").Steps
		if f.Index >= 0 && f.Index < len(done) {
			done = done[:f.Index+1]
		}
		return done, true
	}
	shrunk, _ := traces.Shrink(steps, fails, maxReduceTries)
	if _, f := replayRenumbered(o, checks, bs, shrunk, final); f != nil && sameFailure(f, want) {
		return shrunk, f
	}
	return steps, want
}

// maxReduceTries bounds the replays one Reduce may spend.
const maxReduceTries = 3000

// sameFailure reports whether f is the failure want is: the same kind on
// the same backend, the same property, at the same syscall (or both at the
// final check).
func sameFailure(f, want *Failure) bool {
	name := func(f *Failure) string {
		if f.Step.Call == nil {
			return ""
		}
		return f.Step.Call.Name()
	}
	return f.Kind == want.Kind && f.Backend == want.Backend && f.Property == want.Property && name(f) == name(want)
}

// replayRenumbered is Replay for a sequence with steps cut out or changed,
// its tids renumbered by traces.Renumbering. The Machine's trace holds the
// steps as performed, renumbered; the failure is a *Failure or nil.
func replayRenumbered(o traces.Options, checks Check, bs []Backend, steps []traces.Step, final func(*Machine) error) (*Machine, *Failure) {
	asFailure := func(err error) *Failure {
		var f *Failure
		errors.As(err, &f)
		return f
	}
	m, err := NewMachine(o, checks, bs...)
	if err != nil {
		return nil, asFailure(err)
	}
	ren := traces.Renumbering{}
	for _, s := range steps {
		rs := ren.Step(s)
		r, err := m.Step(rs.Tid, rs.Call)
		if err != nil {
			return m, asFailure(err)
		}
		ren.Learn(s, r)
	}
	if final != nil {
		return m, asFailure(final(m))
	}
	return m, nil
}
