package traces

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
)

// History is what a replay saw on one backend: a View per step, which
// for a long trace is a lot of memory (a View of a 1,000-task world is tens
// of kilobytes). Stream keeps none; Replay, Run and this type remain for
// callers that want the whole record of a short trace.
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

// Run replays t on b, checking every expectation, every assertion and,
// when the backend is an abi.Checker, its invariants after every step. It
// returns what it saw up to and including the first failing step, and that
// failure as a *Divergence (nil when the whole trace ran as expected).
func Run(t *Trace, b Backend) (*History, error) {
	hs, err := Replay(t, b)
	if len(hs) == 0 {
		return nil, err
	}
	return hs[0], err
}

// Lockstep replays t on a and b side by side and returns the first
// divergence (different Results or Views, an unmet expectation or
// assertion, a broken invariant or backend, a panic) as a *Divergence, or
// nil. It keeps nothing per step (Stream).
func Lockstep(t *Trace, a, b Backend) error {
	_, err := Stream(t, nil, a, b)
	return err
}

// Replay runs t on every backend in lockstep, as Stream does, and returns
// one History per backend: every Result and View (see History on memory).
func Replay(t *Trace, bs ...Backend) ([]*History, error) {
	var hs []*History
	_, err := Stream(t, func(r StepReport) {
		if r.Index < 0 {
			for i, b := range bs {
				hs = append(hs, &History{Backend: b.Name, Start: r.Views[i]})
			}
			return
		}
		for i := range hs {
			hs[i].Results = append(hs[i].Results, r.Results[i])
			hs[i].Views = append(hs[i].Views, r.Views[i])
		}
	}, bs...)
	return hs, err
}

// StepReport is what a replay shows at one point of a trace: the initial
// state (Index -1) or the moment after step Index.
type StepReport struct {
	// Index is the step's index in the trace; -1 for the initial state.
	Index int
	// Step is the step performed; the zero Step for the initial state.
	Step Step
	// Results are the backends' Results of the step, in backend order; nil
	// for the initial state.
	Results []abi.Result
	// Views are the backends' Views after the step, in backend order. The
	// callback may keep them; Stream does not.
	Views []abi.View
}

// Summary is what a replay reports besides its first divergence.
type Summary struct {
	// Steps counts the steps performed, a diverging one included.
	Steps int
	// Unchecked lists the assertions a backend could not check (`kept` on
	// a backend that cannot name frames), as "BACKEND: line N: TEXT (why)".
	// They are neither passed nor failed.
	Unchecked []string
}

// Stream replays t on every backend in lockstep and stops at the first
// divergence, which it returns as a *Divergence. After every step it
// checks, in this order: no backend panicked or broke (an Err() error
// method reporting a failure of the backend itself); every abi.Checker's
// invariants hold; every backend's Result and View equal the first's; the
// Result meets the step's expectation; every `# expect:` assertion written
// after the step holds on every backend. The initial state is checked the
// same way before the first step.
//
// Stream keeps nothing per step: each, when not nil, is called with the
// initial state and then after every step performed (a diverging one
// included), so that memory does not grow with the trace beyond the trace
// itself.
func Stream(t *Trace, each func(StepReport), bs ...Backend) (sum Summary, err error) {
	l, err := newLock(t.Name, t.Options, false, bs...)
	if l == nil {
		return sum, err
	}
	defer l.Close()
	ass := make([]*Asserter, len(bs))
	for i, b := range bs {
		ass[i] = NewAsserter(b.Name, l.kernels[i], t.Asserts)
	}
	defer func() {
		for _, a := range ass {
			for _, u := range a.Unchecked() {
				sum.Unchecked = append(sum.Unchecked, a.backend+": "+u)
			}
		}
	}()
	if each != nil {
		each(StepReport{Index: -1, Views: slices.Clone(l.views)})
	}
	if err != nil {
		return sum, err
	}
	if err := l.checkAsserts(ass, -1, Step{}); err != nil {
		return sum, err
	}
	for i, s := range t.Steps {
		for _, a := range ass {
			a.BeforeStep(i)
		}
		_, err := l.Step(s)
		sum.Steps++
		if each != nil {
			each(StepReport{Index: i, Step: s, Results: slices.Clone(l.results), Views: slices.Clone(l.views)})
		}
		if err != nil {
			return sum, err
		}
		if err := l.checkAsserts(ass, i, s); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// checkAsserts checks the assertions after step index (-1: the initial
// state) on every backend and returns the first that fails as a
// *Divergence.
func (l *Lock) checkAsserts(ass []*Asserter, index int, s Step) error {
	for i, a := range ass {
		if fails := a.AfterStep(index, l.views[i]); len(fails) > 0 {
			d := l.divergence(index, s, KindAssertion, i, fails[0].Err)
			d.A, d.ResultA = l.backends[i].Name, l.results[i]
			d.Assert = &fails[0].Assertion
			return d
		}
	}
	return nil
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
	// record: keep steps for Trace. Stream does not, to stay bounded.
	record bool
	// steps are the steps performed so far, with the reference's results
	// as Want (only when record).
	steps []Step
	// done counts the steps performed; recent holds the last historyShown
	// of them (recent[i%historyShown] is step i), written in trace syntax
	// only for a divergence's history.
	done   int
	recent [historyShown]Step
	// every is how often the full checks run (Incremental): after every
	// every-th step; 0 or 1: after every step.
	every int
	// stale[i] says views[i] is out of date: the steps since the last full
	// check were compared by their touched parts only (View refreshes it).
	// Invariant: len(stale) == len(kernels).
	stale []bool
	// unchecked counts the steps since the last full check; last is the
	// last of them (for Finish).
	unchecked int
	last      Step
	// fulls counts the full checks run after a step (FullChecks).
	fulls int
	// touched collects the tids of a step's Touches (reused).
	touched []int
}

// NewLock builds a fresh kernel of every backend with opts' configuration.
// It fails when there is no backend or one panics while starting, and
// returns a *Divergence at the initial state when a backend breaks as it
// starts or the backends' initial Views differ.
func NewLock(name string, opts Options, bs ...Backend) (*Lock, error) {
	l, err := newLock(name, opts, true, bs...)
	if err != nil && l != nil {
		l.Close()
		return nil, err
	}
	return l, err
}

// newLock is NewLock. On a divergence at the initial state it returns the
// Lock too (the caller closes it), so that the initial Views can be shown.
func newLock(name string, opts Options, record bool, bs ...Backend) (*Lock, error) {
	if len(bs) == 0 {
		return nil, errors.New("traces: no backend to run on")
	}
	l := &Lock{name: name, opts: opts, backends: bs, record: record}
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
		l.stale = append(l.stale, false)
	}
	if err := l.broken(-1, Step{}); err != nil {
		return l, err
	}
	if err := l.compare(-1, Step{}, nil); err != nil {
		return l, err
	}
	return l, nil
}

// broken returns a KindBackend divergence when a backend reports a failure
// of its own (an Err() error method, as the Linux oracle has: it could not
// start, or its driver timed out), whose results are then void.
func (l *Lock) broken(index int, s Step) error {
	for i, k := range l.kernels {
		e, ok := k.(interface{ Err() error })
		if !ok {
			continue
		}
		if err, perr := protect(l.backends[i].Name, "Err", e.Err); perr != nil || err != nil {
			if perr != nil {
				err = perr
			}
			return l.divergence(index, s, KindBackend, i, err)
		}
	}
	return nil
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
	index := l.done
	var before abi.View
	if s.Want != nil || l.every <= 1 {
		before = l.View() // for the diff of an unmet expectation
	}
	rec := s
	rec.Want = nil
	var failed error
	failedAt := 0
	for i, k := range l.kernels {
		r, err := protect(l.backends[i].Name, "Step", func() abi.Result { return k.Step(s.Tid, s.Call) })
		l.stale[i] = true
		if err == nil && l.every <= 1 {
			l.views[i], err = protect(l.backends[i].Name, "View", k.View)
			l.stale[i] = false
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
	defer l.remember(rec)
	if failed != nil {
		return l.results[0], l.divergence(index, s, KindPanic, failedAt, failed)
	}
	if err := l.broken(index, s); err != nil {
		return l.results[0], err
	}
	l.unchecked++
	l.last = s
	if l.every > 1 && l.unchecked < l.every {
		ok, i, err := l.touchedAgree()
		if err != nil {
			return l.results[0], l.divergence(index, s, KindPanic, i, err)
		}
		if ok && (s.Want == nil || l.results[0] == *s.Want) {
			return l.results[0], nil
		}
	}
	return l.results[0], l.full(index, s, &before)
}

// remember counts a performed step, keeps it for the history of a later
// divergence and, when recording, for Trace.
func (l *Lock) remember(rec Step) {
	if l.record {
		l.steps = append(l.steps, rec)
	}
	l.recent[l.done%historyShown] = rec
	l.done++
}

// compare checks invariants, agreement and the expectation after step index
// (-1: the initial state). before is the reference View before the step.
func (l *Lock) compare(index int, s Step, before *abi.View) error {
	if err := l.invariants(index, s); err != nil {
		return err
	}
	return l.agree(index, s, before)
}

// invariants runs every abi.Checker's CheckInvariants after step index.
func (l *Lock) invariants(index int, s Step) error {
	for i, k := range l.kernels {
		c, ok := k.(abi.Checker)
		if !ok {
			continue
		}
		if err := protectErr(l.backends[i].Name, "CheckInvariants", c.CheckInvariants); err != nil {
			return l.divergence(index, s, KindInvariant, i, err)
		}
	}
	return nil
}

// agree checks that every backend's Result and View equal the reference's
// and that the Result meets s.Want (before is the reference View before
// the step, for the diff of an unmet expectation; nil: not shown).
func (l *Lock) agree(index int, s Step, before *abi.View) error {
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
				if before != nil {
					d.Diff = viewDiff(*before, l.views[i])
				}
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
	if kind == KindPanic || kind == KindInvariant || kind == KindBackend {
		d.A, d.ResultA = l.backends[i].Name, l.results[i]
	}
	// The steps before this one: the last historyShown of them.
	last := min(index, l.done) // index is -1 for the initial state
	first := max(0, last-historyShown)
	d.Earlier = first
	for j := first; j < last; j++ {
		d.History = append(d.History, l.recent[j%historyShown].String())
	}
	return d
}

// Views returns each backend's current View, in backend order.
func (l *Lock) Views() []abi.View {
	for i := range l.kernels {
		if l.refresh(i) != nil {
			l.views[i] = abi.View{} // it panicked: the next full check reports it
		}
	}
	return l.views
}

// View returns the reference backend's current View.
func (l *Lock) View() abi.View {
	if len(l.kernels) > 0 && l.refresh(0) != nil {
		return abi.View{}
	}
	return l.views[0]
}

// Trace returns the steps performed so far as a trace whose expectations
// are the reference backend's results: replaying it on the reference
// reproduces them, and on the others shows the divergence. (Only a Lock
// from NewLock records its steps.)
func (l *Lock) Trace() *Trace {
	steps := make([]Step, len(l.steps))
	copy(steps, l.steps)
	return &Trace{Name: l.name, Options: l.opts, Steps: steps}
}

// viewDiff is "" when the views are equal, else a cmp.Diff of the two in
// a form that shows addresses and page values in hex, as traces write them.
func viewDiff(a, b abi.View) string {
	if a.Equal(b) {
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
