package traces

import (
	"errors"

	"github.com/forkspec/forkspec/abi"
)

// DefaultReduceBudget is the replays Reduce spends when asked for 0.
const DefaultReduceBudget = 2000

// Reduce shrinks a trace that diverges on bs to a small one that diverges
// the same way: the same Kind, between the same backends, at the same
// syscall. It is Shrink (delta debugging over steps, tasks and arguments,
// until nothing more can go) with replays on bs as its question; see
// Shrink for the moves and for when the result is 1-minimal.
//
// It ignores the trace's expectations while searching and returns the
// reduced steps up to the divergence with expectations re-recorded from the
// first backend, so the result reads as "this is what the reference does".
// budget bounds the candidate replays (each at most as long as the trace);
// 0 means DefaultReduceBudget. A trace that does not diverge is returned
// unchanged, with ok false.
func Reduce(t *Trace, budget int, bs ...Backend) (reduced *Trace, ok bool) {
	if budget <= 0 {
		budget = DefaultReduceBudget
	}
	steps := make([]Step, len(t.Steps))
	for i, s := range t.Steps {
		s.Want, s.Line, s.Comment, s.Before = nil, 0, "", nil
		steps[i] = s
	}
	first, d0 := divergesAs(t.Name, t.Options, bs, steps, nil)
	if d0 == nil || d0.Index < 0 {
		return t, false
	}
	fails := func(cand []Step) ([]Step, bool) {
		p, d := divergesAs(t.Name, t.Options, bs, cand, d0)
		return p, d != nil
	}
	shrunk, _ := Shrink(first, fails, budget)
	out := &Trace{Name: t.Name, Comments: t.Comments, Options: t.Options, Steps: shrunk}
	return out, true
}

// divergesAs replays steps on bs in lockstep, renumbered (Renumbering),
// and returns them as performed, with the reference's results as Want, up
// to and including the first divergence, and that divergence. When like is
// not nil the divergence must be like it (same Kind and backends, same
// syscall), else d is nil.
func divergesAs(name string, o Options, bs []Backend, steps []Step, like *Divergence) (performed []Step, d *Divergence) {
	l, err := NewLock(name, o, bs...)
	if err != nil {
		return nil, nil // a divergence at the start is no reproduction
	}
	defer l.Close()
	ren := Renumbering{}
	for _, s := range steps {
		rs := ren.Step(s)
		rs.Want = nil
		r, err := l.Step(rs)
		if err != nil {
			if !errors.As(err, &d) || like != nil && !sameDivergence(d, like) {
				return nil, nil
			}
			return l.Trace().Steps, d
		}
		ren.Learn(s, r)
	}
	return nil, nil
}

// sameDivergence reports whether d shows the same failure as like: kind,
// the two sides and the syscall at which it shows.
func sameDivergence(d, like *Divergence) bool {
	return d.Kind == like.Kind && d.A == like.A && d.B == like.B && callName(d.Step.Call) == callName(like.Step.Call)
}

func callName(sc abi.Syscall) string {
	if sc == nil {
		return ""
	}
	return sc.Name()
}
