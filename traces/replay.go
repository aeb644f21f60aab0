package traces

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
)

// History is what a replay saw on one backend.
type History struct {
	Backend string
	// Start is the View before the first step.
	Start abi.View
	// Results[i] and Views[i] are the result of step i and the View after
	// it. Invariant: len(Results) == len(Views); shorter than the trace's
	// steps when the replay stopped at a divergence (the diverging step is
	// included).
	Results []abi.Result
	Views   []abi.View
}

// Run replays t on b, checking every expectation and, when the backend is an
// abi.Checker, its invariants after every step. It returns what it saw up
// to and including the first failing step, and that failure as a
// *Divergence (nil when the whole trace ran as expected).
func Run(t *Trace, b Backend) (*History, error) {
	hs, err := Replay(t, b)
	if len(hs) == 0 {
		return nil, err
	}
	return hs[0], err
}

// Lockstep replays t on a and b side by side and returns the first
// divergence (different Results or Views, an unmet expectation, a broken
// invariant, a panic) as a *Divergence, or nil.
func Lockstep(t *Trace, a, b Backend) error {
	_, err := Replay(t, a, b)
	return err
}

// Replay runs t on every backend in lockstep, comparing each backend with
// the first after every step, and stops at the first divergence. It returns
// one History per backend.
func Replay(t *Trace, bs ...Backend) ([]*History, error) {
	l, err := NewLock(t.Name, t.Options, bs...)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	hs := make([]*History, len(bs))
	for i, b := range bs {
		hs[i] = &History{Backend: b.Name, Start: l.views[i]}
	}
	for _, s := range t.Steps {
		_, err := l.Step(s)
		for i := range hs {
			hs[i].Results = append(hs[i].Results, l.results[i])
			hs[i].Views = append(hs[i].Views, l.views[i])
		}
		if err != nil {
			return hs, err
		}
	}
	return hs, nil
}

// Lock drives one or more backends in lockstep one step at a time, for
// callers that choose steps as they go (the random search of forkspec
// check). The first backend is the reference: its Results become the
// expectations of the trace that Trace returns.
type Lock struct {
	name     string
	opts     Options
	backends []Backend
	kernels  []abi.Kernel
	// results and views are each backend's last result and current View.
	// Invariant: len(results) == len(views) == len(kernels).
	results []abi.Result
	views   []abi.View
	// steps are the steps performed so far, with the reference's results
	// as Want.
	steps []Step
}

// NewLock builds a fresh kernel of every backend with opts' configuration.
// It fails when there is no backend or one panics while starting.
func NewLock(name string, opts Options, bs ...Backend) (*Lock, error) {
	if len(bs) == 0 {
		return nil, errors.New("traces: no backend to run on")
	}
	l := &Lock{name: name, opts: opts, backends: bs}
	for _, b := range bs {
		k, err := protect(b.Name, "starting", func() abi.Kernel { return b.New(opts.Config()) })
		if err != nil {
			l.Close()
			return nil, err
		}
		l.kernels = append(l.kernels, k)
		v, err := protect(b.Name, "View", k.View)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.views = append(l.views, v)
		l.results = append(l.results, abi.Result{})
	}
	if err := l.compare(-1, Step{}, nil); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Close releases the kernels that hold outside resources (the Linux
// oracle's agent processes): every kernel with a Close() error method is
// closed. The Lock must not be stepped afterwards. It returns the first
// error.
func (l *Lock) Close() error {
	var first error
	for i, k := range l.kernels {
		if c, ok := k.(interface{ Close() error }); ok {
			if err := protectErr(l.backends[i].Name, "Close", c.Close); err != nil && first == nil {
				first = err
			}
		}
	}
	l.kernels = nil
	return first
}

// Step performs s on every backend, then checks in this order: no backend
// panicked; every abi.Checker's invariants hold; every backend's Result and
// View equal the first's; the Result meets s.Want when set. It returns the
// first backend's Result and the first failure as a *Divergence.
func (l *Lock) Step(s Step) (abi.Result, error) {
	index := len(l.steps)
	before := l.views[0]
	rec := s
	rec.Want = nil
	var failed error
	failedAt := 0
	for i, k := range l.kernels {
		r, err := protect(l.backends[i].Name, "Step", func() abi.Result { return k.Step(s.Tid, s.Call) })
		if err == nil {
			l.views[i], err = protect(l.backends[i].Name, "View", k.View)
		}
		l.results[i] = r
		if err != nil && failed == nil {
			failed, failedAt = err, i
		}
		if i == 0 && err == nil {
			w := r
			rec.Want = &w
		}
	}
	l.steps = append(l.steps, rec)
	if failed != nil {
		return l.results[0], l.divergence(index, s, KindPanic, failedAt, failed)
	}
	return l.results[0], l.compare(index, s, &before)
}

// compare checks invariants, agreement and the expectation after step index
// (-1: the initial state). before is the reference View before the step.
func (l *Lock) compare(index int, s Step, before *abi.View) error {
	for i, k := range l.kernels {
		c, ok := k.(abi.Checker)
		if !ok {
			continue
		}
		if err := protectErr(l.backends[i].Name, "CheckInvariants", c.CheckInvariants); err != nil {
			return l.divergence(index, s, KindInvariant, i, err)
		}
	}
	for i := 1; i < len(l.kernels); i++ {
		if index >= 0 && l.results[i] != l.results[0] {
			d := l.divergence(index, s, KindResult, i, nil)
			d.Diff = viewDiff(l.views[0], l.views[i])
			return d
		}
		if diff := viewDiff(l.views[0], l.views[i]); diff != "" {
			d := l.divergence(index, s, KindView, i, nil)
			d.Diff = diff
			return d
		}
	}
	if index >= 0 && s.Want != nil {
		for i := range l.kernels {
			if l.results[i] != *s.Want {
				d := l.divergence(index, s, KindExpectation, i, nil)
				d.A, d.ResultA = "want", *s.Want
				d.DiffLabel = "-before +after"
				d.Diff = viewDiff(*before, l.views[i])
				return d
			}
		}
	}
	return nil
}

// divergence builds the report of a failure of backend i at step index.
func (l *Lock) divergence(index int, s Step, kind Kind, i int, err error) *Divergence {
	d := &Divergence{
		Trace: l.name, Index: index, Step: s, Kind: kind,
		A: l.backends[0].Name, B: l.backends[i].Name,
		ResultA: l.results[0], ResultB: l.results[i],
		DiffLabel: "-" + l.backends[0].Name + " +" + l.backends[i].Name,
		Err:       err,
	}
	if kind == KindPanic || kind == KindInvariant {
		d.A, d.ResultA = l.backends[i].Name, l.results[i]
	}
	for _, p := range l.steps[:min(index, len(l.steps))] {
		d.History = append(d.History, p.String())
	}
	return d
}

// Views returns each backend's current View, in backend order.
func (l *Lock) Views() []abi.View { return l.views }

// View returns the reference backend's current View.
func (l *Lock) View() abi.View { return l.views[0] }

// Trace returns the steps performed so far as a trace whose expectations
// are the reference backend's results: replaying it on the reference
// reproduces them, and on the others shows the divergence.
func (l *Lock) Trace() *Trace {
	steps := make([]Step, len(l.steps))
	copy(steps, l.steps)
	return &Trace{Name: l.name, Options: l.opts, Steps: steps}
}

// viewDiff is "" when the views are equal, else a cmp.Diff of the two in
// a form that shows addresses and page values in hex, as traces write them.
func viewDiff(a, b abi.View) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	if d := cmp.Diff(forDiff(a), forDiff(b)); d != "" {
		return d
	}
	// The display form dropped what differs (a field added to abi.View
	// after diffView was written): show the raw diff.
	return cmp.Diff(a, b)
}

// diffView mirrors abi.View for display only, with hex address spaces.
type diffView struct {
	Tasks    []abi.TaskView
	Procs    []abi.ProcView
	Mms      []diffMm
	FdTables []abi.FdTableView
	Files    []abi.FileView
	Inodes   []abi.InodeView
	Sighands []abi.SighandView
	Fss      []abi.FsView
}

type diffMm struct {
	ID       int
	Mappings []string // "0x…-0x… prot=3 shared dontfork wipeonfork"
	Pages    []string // "0x… = 0x… frame N"
}

func forDiff(v abi.View) diffView {
	d := diffView{Tasks: v.Tasks, Procs: v.Procs, FdTables: v.FdTables, Files: v.Files,
		Inodes: v.Inodes, Sighands: v.Sighands, Fss: v.Fss}
	for _, m := range v.Mms {
		dm := diffMm{ID: m.ID}
		for _, mp := range m.Mappings {
			t := fmt.Sprintf("%#x-%#x prot=%d", mp.Start, mp.End, mp.Prot)
			if mp.Shared {
				t += " shared"
			}
			if mp.DontFork {
				t += " dontfork"
			}
			if mp.WipeOnFork {
				t += " wipeonfork"
			}
			dm.Mappings = append(dm.Mappings, t)
		}
		for _, p := range m.Pages {
			dm.Pages = append(dm.Pages, fmt.Sprintf("%#x = %#x frame %d", p.Addr, p.Value, p.Frame))
		}
		d.Mms = append(d.Mms, dm)
	}
	return d
}

// protect calls f and turns a panic into an error with the stack, so that a
// buggy backend yields a report instead of killing the replay.
func protect[T any](backend, what string, f func() T) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s panicked in %s: %v\n%s", backend, what, r, debug.Stack())
		}
	}()
	return f(), nil
}

func protectErr(backend, what string, f func() error) error {
	err, perr := protect(backend, what, f)
	if perr != nil {
		return perr
	}
	return err
}
