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
	try := func(cand []traces.Step) ([]traces.Step, *Failure, bool) {
		m, err := Replay(o, checks, bs, cand, final)
		f, ok := same(err)
		if !ok {
			return nil, nil, false
		}
		if f.Index >= 0 && f.Index < len(cand) {
			cand = cand[:f.Index+1]
		}
		_ = m
		return cand, f, true
	}
	cur, f, ok := try(steps)
	if !ok {
		return steps, want
	}
	for chunk := len(cur) / 2; chunk >= 1; {
		progress := false
		for start := 0; start+chunk <= len(cur); {
			cand := append(append([]traces.Step(nil), cur[:start]...), cur[start+chunk:]...)
			if c, cf, ok := try(cand); ok {
				cur, f, progress = c, cf, true
				continue // retry the same start on the shorter sequence
			}
			start += chunk
		}
		if !progress {
			chunk /= 2
		}
	}
	return cur, f
}
