package traces

import (
	"errors"

	"github.com/forkspec/forkspec/abi"
)

// DefaultReduceBudget is the replays Reduce spends when asked for 0.
const DefaultReduceBudget = 1000

// Reduce shrinks a trace that diverges on bs to a shorter one that still
// diverges the same way (same Kind). It alternates two kinds of candidate,
// keeping each that still diverges:
//
//   - delete a run of steps, longest runs first (a simple delta debugging);
//   - let an earlier-numbered task (init first) perform the diverging step,
//     which often frees every step that only built up the task it named;
//   - drop a whole task: the step that created it, every step it performs,
//     every step naming it as a wait4 or kill target, with every later pid
//     renumbered down by one (pids are allocated in creation order, so
//     without renumbering a deleted creation would shift every later pid
//     and strand the steps that name them).
//
// It ignores the trace's expectations while searching, then returns the
// reduced steps up to the divergence with expectations re-recorded from the
// first backend, so the result reads as "this is what the reference does".
// budget bounds the candidate replays (each at most as long as the trace);
// 0 means DefaultReduceBudget. A trace that does not diverge is returned
// unchanged, with ok false.
func Reduce(t *Trace, budget int, bs ...Backend) (reduced *Trace, ok bool) {
	if budget <= 0 {
		budget = DefaultReduceBudget
	}
	// try replays steps; it reports whether they diverge with the same kind,
	// the divergence's index, and the reference's results.
	var kind Kind
	try := func(steps []Step) (bool, int, []abi.Result) {
		budget--
		rs, err := referenceResults(&Trace{Name: t.Name, Options: t.Options, Steps: steps}, bs)
		var d *Divergence
		if !errors.As(err, &d) || d.Kind != kind {
			return false, 0, nil
		}
		return true, d.Index, rs
	}
	steps := make([]Step, len(t.Steps))
	for i, s := range t.Steps {
		s.Want, s.Line = nil, 0
		steps[i] = s
	}
	results, err := referenceResults(&Trace{Name: t.Name, Options: t.Options, Steps: steps}, bs)
	var d0 *Divergence
	if !errors.As(err, &d0) || d0.Index < 0 {
		return t, false
	}
	kind = d0.Kind
	steps = steps[:d0.Index+1]

	for progress := true; progress && budget > 0; {
		progress = false
		// The diverging step, performed by a lower tid.
		last := len(steps) - 1
		for tid := 1; tid < steps[last].Tid && budget > 0; tid++ {
			cand := append([]Step(nil), steps...)
			cand[last].Tid = tid
			if ok, at, rs := try(cand); ok && at == last {
				steps, results, progress = cand, rs, true
				break
			}
		}
		// Runs of steps, longest first.
		for chunk := len(steps) / 2; chunk >= 1 && budget > 0; {
			removed := false
			for start := 0; start+chunk <= len(steps) && budget > 0; {
				cand := append(append([]Step(nil), steps[:start]...), steps[start+chunk:]...)
				if ok, i, rs := try(cand); ok {
					steps, results, removed, progress = cand[:i+1], rs, true, true
					continue // the same start now holds the next run
				}
				start += chunk
			}
			if !removed {
				chunk /= 2
			}
		}
		// Whole tasks, latest first.
		for i := len(steps) - 1; i >= 0 && budget > 0; i-- {
			if i >= len(results) {
				continue
			}
			cand, ok := dropTask(steps, results, i)
			if !ok {
				continue
			}
			if ok, at, rs := try(cand); ok {
				steps, results, progress = cand[:at+1], rs, true
				i = min(i, len(steps))
			}
		}
	}

	// Re-record: replay the reduced steps once more, now collecting the
	// reference's results as expectations, up to and including the
	// divergence.
	l, err := NewLock(t.Name, t.Options, bs...)
	if err != nil {
		return t, false
	}
	defer l.Close()
	for _, s := range steps {
		if _, err := l.Step(s); err != nil {
			break
		}
	}
	out := l.Trace()
	out.Comments = t.Comments
	return out, true
}

// dropTask returns steps without the task that steps[i] created (its result
// in results[i] is the new pid), as described at Reduce; ok is false when
// steps[i] created nothing.
func dropTask(steps []Step, results []abi.Result, i int) ([]Step, bool) {
	switch steps[i].Call.(type) {
	case abi.Fork, abi.Vfork, abi.Clone, abi.Clone3:
	default:
		return nil, false
	}
	r := results[i]
	if r.Err != 0 || (r.Outcome != abi.OutcomeOK && r.Outcome != abi.OutcomeFrozen) || r.Ret == 0 {
		return nil, false
	}
	pid := int(r.Ret)
	shift := func(p int) int {
		if p > pid {
			return p - 1
		}
		return p
	}
	var out []Step
	for j, s := range steps {
		if j == i || s.Tid == pid {
			continue
		}
		switch c := s.Call.(type) {
		case abi.Wait4:
			if c.Pid == pid {
				continue
			}
			c.Pid = shift(c.Pid)
			s.Call = c
		case abi.Kill:
			if c.Pid == pid {
				continue
			}
			c.Pid = shift(c.Pid)
			s.Call = c
		}
		s.Tid = shift(s.Tid)
		out = append(out, s)
	}
	return out, true
}

// referenceResults streams t on bs and returns the first backend's Results
// of the steps performed, and the divergence.
func referenceResults(t *Trace, bs []Backend) ([]abi.Result, error) {
	var rs []abi.Result
	_, err := Stream(t, func(r StepReport) {
		if r.Index >= 0 {
			rs = append(rs, r.Results[0])
		}
	}, bs...)
	return rs, err
}
