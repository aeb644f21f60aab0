package main

import (
	"errors"
	"fmt"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

// shot is the world before the first step of a trace or after one step, on
// every backend explain runs.
type shot struct {
	// index is 0 for the initial state, i after step i (1-based).
	index int
	// step is the step just performed; nil for the initial state.
	step *traces.Step
	// results, views and names are per backend, in the order given.
	// Invariant: all three have one entry per backend.
	results []abi.Result
	views   []abi.View
	names   []*stableNames
	// missing says, per backend, why its view is not this step's ("" when
	// it is): a backend that panicked has no View after the step.
	missing []string
	// div is the run's first divergence when it happened at this shot.
	div *traces.Divergence
}

// observed wraps a backend's kernel so explain learns every backend's
// Result of a step (traces.Lock returns only the first's) and can ask for
// frame names. It forwards the optional interfaces traces.Lock uses.
type observed struct {
	abi.Kernel
	last abi.Result
}

func (o *observed) Step(tid int, sc abi.Syscall) abi.Result {
	o.last = abi.Result{}
	o.last = o.Kernel.Step(tid, sc)
	return o.last
}

// CheckInvariants forwards to the backend's abi.Checker; a backend without
// one has nothing to check.
func (o *observed) CheckInvariants() error {
	if c, ok := o.Kernel.(abi.Checker); ok {
		return c.CheckInvariants()
	}
	return nil
}

// Close forwards to the backend's Close (the Linux oracle's agents).
func (o *observed) Close() error {
	if c, ok := o.Kernel.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// frameNamer is the backend's abi.FrameNamer, or nil.
func (o *observed) frameNamer() abi.FrameNamer {
	if f, ok := o.Kernel.(abi.FrameNamer); ok {
		return f
	}
	return nil
}

// record runs t on every backend in lockstep (traces.Lock: results, Views,
// invariants and expectations are checked as replay checks them) and
// calls each with the initial state and the world after every step, with
// stable names (nameTracker) per backend. It stops after the first
// divergence, which it returns (a *traces.Divergence) after calling each
// for the step where it happened; it returns other failures (a backend that
// cannot start) without calling each for them. Only the current step is
// kept in memory.
func record(t *traces.Trace, bs []traces.Backend, each func(*shot)) error {
	kernels := make([]*observed, len(bs))
	wrapped := make([]traces.Backend, len(bs))
	for i, b := range bs {
		wrapped[i] = traces.Backend{Name: b.Name, New: func(c abi.Config) abi.Kernel {
			kernels[i] = &observed{Kernel: b.New(c)}
			return kernels[i]
		}}
	}
	trackers := make([]nameTracker, len(bs))
	take := func(index int, step *traces.Step, views []abi.View, div *traces.Divergence) {
		sh := &shot{index: index, step: step, views: views, div: div,
			results: make([]abi.Result, len(bs)), names: make([]*stableNames, len(bs)), missing: make([]string, len(bs))}
		for i, k := range kernels {
			if div != nil && div.Kind == traces.KindPanic && div.B == bs[i].Name {
				sh.missing[i] = fmt.Sprintf("%s panicked: no View after this step", bs[i].Name)
			}
			if k == nil {
				continue
			}
			sh.results[i] = k.last
			if step == nil {
				sh.results[i] = abi.Result{}
			}
			if sh.missing[i] == "" {
				sh.names[i] = trackers[i].next(views[i], step, sh.results[i], k.frameNamer())
			}
		}
		each(sh)
	}

	l, err := traces.NewLock(t.Name, t.Options, wrapped...)
	if err != nil {
		var d *traces.Divergence
		if !errors.As(err, &d) {
			return err
		}
		// The backends disagree before the first step: draw what each
		// shows, if it still can.
		views := make([]abi.View, len(bs))
		for i, k := range kernels {
			if k == nil {
				return err
			}
			v, verr := protectedView(k)
			if verr != nil {
				return err
			}
			views[i] = v
		}
		take(0, nil, views, d)
		return err
	}
	defer l.Close()
	take(0, nil, append([]abi.View(nil), l.Views()...), nil)
	for i := range t.Steps {
		s := &t.Steps[i]
		_, err := l.Step(*s)
		var d *traces.Divergence
		if err != nil && !errors.As(err, &d) {
			return err
		}
		take(i+1, s, append([]abi.View(nil), l.Views()...), d)
		if err != nil {
			return err
		}
	}
	return nil
}

// protectedView is k.View, with a panic turned into an error.
func protectedView(k abi.Kernel) (v abi.View, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("view panicked: %v", r)
		}
	}()
	return k.View(), nil
}
