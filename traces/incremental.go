package traces

import "github.com/forkspec/forkspec/abi"

// Incremental makes the Lock compare, after most steps, only what the
// step touched: when every backend is an abi.Observer and none reports
// Touch.All, the Results and each backend's ViewOf the touched tasks
// (the union of every backend's report). The full checks — every
// CheckInvariants and the whole Views — run after every every-th step,
// after any step some backend cannot narrow, at Finish, and before any
// divergence is reported, so a divergence is always reported by the full
// checks, as without Incremental; one outside what a step touched is
// found at the next full check (at most every steps later). every <= 1
// checks everything after every step (the default).
func (l *Lock) Incremental(every int) { l.every = every }

// touchedAgree reports whether every backend's Result equals the
// reference's and so does its View of the tasks the step touched; false
// when some backend is no abi.Observer or reports Touch.All (only the full
// checks can tell). err is the panic of backend i.
func (l *Lock) touchedAgree() (ok bool, i int, err error) {
	l.touched = l.touched[:0]
	for i, k := range l.kernels {
		if l.results[i] != l.results[0] {
			return false, i, nil
		}
		o, ok := k.(abi.Observer)
		if !ok {
			return false, i, nil
		}
		t, err := protect(l.backends[i].Name, "Touched", o.Touched)
		if err != nil {
			return false, i, err
		}
		if t.All {
			return false, i, nil
		}
		l.touched = append(l.touched, t.Tids...)
	}
	var ref abi.View
	for i, k := range l.kernels {
		v, err := protect(l.backends[i].Name, "ViewOf", func() abi.View { return k.(abi.Observer).ViewOf(l.touched) })
		if err != nil {
			return false, i, err
		}
		if i == 0 {
			ref = v
		} else if !ref.Equal(v) {
			return false, i, nil
		}
	}
	return true, 0, nil
}

// full runs the full checks after step index: the invariants (before any
// View is built: a broken invariant may make one fail), then every View
// refreshed and compared.
func (l *Lock) full(index int, s Step, before *abi.View) error {
	l.unchecked = 0
	l.fulls++
	if err := l.invariants(index, s); err != nil {
		return err
	}
	for i := range l.kernels {
		if err := l.refresh(i); err != nil {
			return l.divergence(index, s, KindPanic, i, err)
		}
	}
	return l.agree(index, s, before)
}

// refresh rebuilds backend i's View when it is stale.
func (l *Lock) refresh(i int) error {
	if !l.stale[i] {
		return nil
	}
	v, err := protect(l.backends[i].Name, "View", l.kernels[i].View)
	if err != nil {
		return err
	}
	l.views[i], l.stale[i] = v, false
	return nil
}

// FullChecks is the number of full checks run after a step so far: every
// step's without Incremental.
func (l *Lock) FullChecks() int { return l.fulls }

// Finish runs the full checks if some step since the last ones was
// compared by its touched part only (Incremental), and returns their
// divergence, reported at the last step. Call it at the end of a sequence.
func (l *Lock) Finish() error {
	if l.unchecked == 0 {
		return nil
	}
	return l.full(l.done-1, l.last, nil)
}
