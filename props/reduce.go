package props

import (
	"errors"

	"github.com/forkspec/forkspec/abi"
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

// Reduce shrinks a failing step sequence by meaning: it deletes chunks of
// steps, halving the chunk size down to single steps, and keeps a deletion
// whenever the shorter sequence still fails the same way (same kind, same
// backend) — pebble's metamorphic reducer, in miniature. rapid's own
// shrinking works on draws and cannot cut a step out of the middle of a
// scripted pattern; this can. It returns the reduced steps, cut after the
// failing step, and that failure.
func Reduce(o traces.Options, checks Check, bs []Backend, steps []traces.Step, final func(*Machine) error, want *Failure) ([]traces.Step, *Failure) {
	same := func(err error) (*Failure, bool) {
		var f *Failure
		if !errors.As(err, &f) {
			return nil, false
		}
		return f, f.Kind == want.Kind && f.Backend == want.Backend
	}
	tries := 0
	try := func(cand []traces.Step) ([]traces.Step, *Failure, bool) {
		if tries++; tries > maxReduceTries {
			return nil, nil, false
		}
		m, err := replayRenumbered(o, checks, bs, cand, final)
		f, ok := same(err)
		if !ok || m == nil {
			return nil, nil, false
		}
		done := m.Trace("").Steps
		if f.Index >= 0 && f.Index < len(done) {
			done = done[:f.Index+1]
		}
		return done, f, true
	}
	cur, f, ok := try(steps)
	if !ok {
		return steps, want
	}
	for again := true; again; {
		for chunk := len(cur) / 2; chunk >= 1; {
			progress := false
			for start := 0; start+chunk <= len(cur); {
				cand := append(append([]traces.Step(nil), cur[:start]...), cur[start+chunk:]...)
				if c, cf, ok := try(cand); ok && smaller(c, cur) {
					cur, f, progress = c, cf, true
					continue // retry the same start on the shorter sequence
				}
				start += chunk
			}
			if !progress {
				chunk /= 2
			}
		}
		// Hand a step to an older task (a lower tid): the task that only
		// existed to perform it can then go too.
		again = false
		for i := 0; i < len(cur) && !again; i++ {
			for tid := 1; tid < cur[i].Tid && !again; tid++ {
				cand := append([]traces.Step(nil), cur...)
				cand[i].Tid = tid
				if c, cf, ok := try(cand); ok && smaller(c, cur) {
					cur, f, again = c, cf, true
				}
			}
		}
	}
	return cur, f
}

// maxReduceTries bounds the replays one Reduce may spend.
const maxReduceTries = 3000

// smaller orders reductions: fewer steps, else lower tids. Every accepted
// move makes the sequence smaller, so reduction ends.
func smaller(a, b []traces.Step) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	sa, sb := 0, 0
	for i := range a {
		sa, sb = sa+a[i].Tid, sb+b[i].Tid
	}
	return sa < sb
}

// replayRenumbered is Replay for a trace with steps cut out. Deleting a
// creation shifts every later pid (they are allocated 1, 2, 3, …), so the
// tids a step names — its actor, and the pid of a kill or wait4 — are
// renumbered: a tid that an original step created (its Want.Ret) stands for
// whatever tid that step creates in the replay. The Machine's trace holds
// the steps as performed, renumbered.
func replayRenumbered(o traces.Options, checks Check, bs []Backend, steps []traces.Step, final func(*Machine) error) (*Machine, error) {
	m, err := NewMachine(o, checks, bs...)
	if err != nil {
		return nil, err
	}
	tids := map[int]int{}
	re := func(tid int) int {
		if n, ok := tids[tid]; ok {
			return n
		}
		return tid
	}
	for _, s := range steps {
		sc := s.Call
		switch c := sc.(type) {
		case abi.Kill:
			c.Pid = re(c.Pid)
			sc = c
		case abi.Wait4:
			c.Pid = re(c.Pid)
			sc = c
		}
		r, err := m.Step(re(s.Tid), sc)
		if err != nil {
			return m, err
		}
		switch s.Call.(type) {
		case abi.Fork, abi.Vfork, abi.Clone, abi.Clone3:
			if s.Want != nil && s.Want.Err == 0 && s.Want.Ret > 0 && r.Err == 0 && r.Ret > 0 {
				tids[int(s.Want.Ret)] = int(r.Ret)
			}
		}
	}
	if final != nil {
		return m, final(m)
	}
	return m, nil
}
