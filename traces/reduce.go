package traces

import "errors"

// DefaultReduceBudget is the replays Reduce spends when asked for 0.
const DefaultReduceBudget = 1000

// Reduce shrinks a trace that diverges on bs to a shorter one that still
// diverges the same way (same Kind), by deleting runs of steps, longest
// first, while the divergence persists (a simple delta debugging). It
// ignores the trace's expectations while searching, then returns the
// reduced steps up to the divergence with expectations re-recorded from the
// first backend, so the result reads as "this is what the reference does".
// budget bounds the candidate replays (each at most as long as the trace);
// 0 means DefaultReduceBudget. A trace that does not diverge is returned
// unchanged, with ok false.
//
// Deleting a step can make later steps name tasks that no longer exist;
// those steps are then refused (no-task) on every backend alike, and later
// rounds delete them too.
func Reduce(t *Trace, budget int, bs ...Backend) (reduced *Trace, ok bool) {
	if budget <= 0 {
		budget = DefaultReduceBudget
	}
	kindOf := func(steps []Step) (Kind, int, bool) {
		_, err := Replay(&Trace{Name: t.Name, Options: t.Options, Steps: steps}, bs...)
		var d *Divergence
		if errors.As(err, &d) {
			return d.Kind, d.Index, true
		}
		return 0, 0, false
	}
	steps := make([]Step, len(t.Steps))
	for i, s := range t.Steps {
		s.Want, s.Line = nil, 0
		steps[i] = s
	}
	kind, at, diverges := kindOf(steps)
	if !diverges {
		return t, false
	}
	steps = steps[:at+1]
	for chunk := len(steps) / 2; chunk >= 1 && budget > 0; {
		removed := false
		for start := 0; start+chunk <= len(steps) && budget > 0; {
			budget--
			try := append(append([]Step(nil), steps[:start]...), steps[start+chunk:]...)
			if k, i, d := kindOf(try); d && k == kind {
				steps = try[:i+1]
				removed = true
				continue // the same start now holds the next run
			}
			start += chunk
		}
		if !removed {
			chunk /= 2
		}
	}

	// Re-record: replay the reduced steps once more, now collecting the
	// reference's results as expectations, up to and including the
	// divergence.
	l, err := NewLock(t.Name, t.Options, bs...)
	if err != nil {
		return t, false
	}
	for _, s := range steps {
		if _, err := l.Step(s); err != nil {
			break
		}
	}
	out := l.Trace()
	out.Comments = t.Comments
	return out, true
}
