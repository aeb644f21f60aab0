package props

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/traces"
	"github.com/google/go-cmp/cmp"
)

// Check selects the properties a Machine verifies after every step, on every
// backend's own Views (checks.go).
type Check uint

const (
	// CheckRefusals: a refused step, and a failed call that has no partial
	// effects, leaves the View unchanged (WORLD-3, EXEC-2, CLONE-7).
	CheckRefusals Check = 1 << iota
	// CheckCOWIsolation: a store is seen exactly through the writer's address
	// space (and the MAP_SHARED frame it wrote); a load changes no value
	// (MEM-1, MEM-2, COW-2, COW-5).
	CheckCOWIsolation
	// CheckVforkFreeze: a frozen task's steps change nothing; the parent is
	// released exactly at its child's successful exec or its exit (VFORK-2).
	CheckVforkFreeze
	// CheckExecResets: after a successful execve the task has the image's
	// fresh layout, unshared tables, no handlers, no close-on-exec fds and
	// no other threads (EXEC-1 … EXEC-6).
	CheckExecResets
	// CheckCloneValidation: the invalid flag combinations of CLONE-7 fail
	// EINVAL and change nothing; a successful clone shares exactly what its
	// flags say (CLONE-1 … CLONE-6, THR-1).
	CheckCloneValidation

	// CheckAll is every property (the ones that follow CheckCloneValidation
	// are in checks_inherit.go).
	CheckAll = CheckRefusals | CheckCOWIsolation | CheckVforkFreeze | CheckExecResets | CheckCloneValidation |
		CheckDontForkWipeOnFork | CheckSignalInheritance | CheckReparentTarget | CheckAutoReap | CheckWaitEligibility | CheckSharedOffsets
)

// Backend is a named way to build a fresh kernel.
type Backend = traces.Backend

// Machine drives one or more backends in lockstep. The first backend is the
// reference: the generator reads its View and its Results become the
// expectations of the recorded trace.
//
// The zero Machine is not usable; call NewMachine.
type Machine struct {
	opts     traces.Options
	backends []Backend
	kernels  []abi.Kernel
	// views[i] is backend i's current View. Invariant: len(views) == len(kernels).
	views []abi.View
	// checks are the properties verified after every step.
	checks Check
	// vfork[i] tracks the frozen vfork parents of backend i.
	vfork []vforkTracker
	// execs[i] tracks the execs of backend i's processes (CheckAutoReap).
	execs []execTracker
	// Gen chooses steps for Draw.
	Gen *gen.Generator
	cls gen.Classifier
	// Cov counts the events of every step performed (on the reference).
	Cov gen.Coverage
	// steps are the steps performed, with the reference's results as Want.
	steps []traces.Step
	// Log, when set, receives one line per step in trace syntax.
	Log func(format string, args ...any)
}

// NewMachine starts a fresh world on every backend and checks that they
// agree on it.
func NewMachine(opts traces.Options, checks Check, bs ...Backend) (*Machine, error) {
	if len(bs) == 0 {
		return nil, fmt.Errorf("props: no backend")
	}
	m := &Machine{opts: opts, backends: bs, checks: checks, Gen: gen.New(opts.Config())}
	for _, b := range bs {
		k, err := protect(b.Name, "starting", func() abi.Kernel { return b.New(opts.Config()) })
		if err != nil {
			return nil, &Failure{Index: -1, Kind: "panic", Backend: b.Name, Detail: err.Error()}
		}
		v, err := protect(b.Name, "View", k.View)
		if err != nil {
			return nil, &Failure{Index: -1, Kind: "panic", Backend: b.Name, Detail: err.Error()}
		}
		m.kernels = append(m.kernels, k)
		m.views = append(m.views, v)
		m.vfork = append(m.vfork, vforkTracker{})
		m.execs = append(m.execs, execTracker{})
	}
	return m, m.agree(-1, traces.Step{}, make([]abi.Result, len(bs)))
}

// View is the reference backend's current View.
func (m *Machine) View() abi.View { return m.views[0] }

// Kernel returns backend i's kernel.
func (m *Machine) Kernel(i int) abi.Kernel { return m.kernels[i] }

// Len is the number of steps performed.
func (m *Machine) Len() int { return len(m.steps) }

// Draw chooses the next step with the machine's Generator from src, against
// the reference View, and performs it.
func (m *Machine) Draw(src gen.Source) (abi.Result, error) {
	tid, sc := m.Gen.Next(src, m.views[0])
	return m.Step(tid, sc)
}

// Step performs sc by tid on every backend, then checks: no panic; every
// abi.Checker's invariants; equal Results; equal Views; the enabled
// properties on every backend. It returns the reference's Result and the
// first failure as a *Failure.
func (m *Machine) Step(tid int, sc abi.Syscall) (abi.Result, error) {
	index := len(m.steps)
	s := traces.Step{Tid: tid, Call: sc}
	before := append([]abi.View(nil), m.views...)
	results := make([]abi.Result, len(m.kernels))
	for i, k := range m.kernels {
		r, err := protect(m.backends[i].Name, "Step", func() abi.Result { return k.Step(tid, sc) })
		results[i] = r
		if err == nil {
			m.views[i], err = protect(m.backends[i].Name, "View", k.View)
		}
		if err != nil {
			m.record(s, results[0])
			return results[0], m.fail(index, s, "panic", i, err.Error(), results)
		}
	}
	m.record(s, results[0])
	if m.Log != nil {
		m.Log("%s", m.steps[index])
	}
	if err := m.agree(index, s, results); err != nil {
		return results[0], err
	}
	for i := range m.kernels {
		c := stepCtx{before: before[i], after: m.views[i], tid: tid, sc: sc, res: results[i], limit: m.opts.Config().Limit(), machine: m.opts.Config().Machine}
		if name, err := m.properties(&c, i); err != nil {
			f := m.fail(index, s, "property", i, err.Error(), results)
			f.Property = name
			f.Diff, f.DiffLabel = viewDiff(before[i], m.views[i]), "-before +after"
			return results[0], f
		}
	}
	m.Cov.Add(m.cls.Events(before[0], m.views[0], tid, sc, results[0]))
	return results[0], nil
}

func (m *Machine) record(s traces.Step, r abi.Result) {
	w := r
	s.Want = &w
	m.steps = append(m.steps, s)
}

// agree checks invariants and that every backend matches the reference.
func (m *Machine) agree(index int, s traces.Step, results []abi.Result) error {
	for i, k := range m.kernels {
		c, ok := k.(abi.Checker)
		if !ok {
			continue
		}
		err, perr := protect(m.backends[i].Name, "CheckInvariants", c.CheckInvariants)
		if perr != nil {
			err = perr
		}
		if err != nil {
			return m.fail(index, s, "invariant", i, err.Error(), results)
		}
	}
	for i := 1; i < len(m.kernels); i++ {
		if index >= 0 && results[i] != results[0] {
			f := m.fail(index, s, "result", i, fmt.Sprintf("%s: %v, %s: %v", m.backends[0].Name, results[0], m.backends[i].Name, results[i]), results)
			f.Diff, f.DiffLabel = viewDiff(m.views[0], m.views[i]), "-"+m.backends[0].Name+" +"+m.backends[i].Name
			return f
		}
		if d := viewDiff(m.views[0], m.views[i]); d != "" {
			f := m.fail(index, s, "view", i, "the Views differ", results)
			f.Diff, f.DiffLabel = d, "-"+m.backends[0].Name+" +"+m.backends[i].Name
			return f
		}
	}
	return nil
}

// Trace returns the steps performed so far, expectations from the reference.
func (m *Machine) Trace(name string, comments ...string) *traces.Trace {
	steps := make([]traces.Step, len(m.steps))
	copy(steps, m.steps)
	return &traces.Trace{Name: name, Comments: comments, Options: m.opts, Steps: steps}
}

// Failure is the first thing that went wrong in a run.
type Failure struct {
	// Index is the 0-based step index; -1 for the initial state.
	Index int
	Step  traces.Step
	// Kind is panic, invariant, result, view or property.
	Kind string
	// Property names the property that failed (a Check's name, e.g.
	// "AutoReap") when Kind is property; "" otherwise.
	Property string
	// Backend is the backend at fault (for result and view: the one that
	// differs from the reference).
	Backend string
	Detail  string
	// Results are every backend's Result of the step.
	Results []abi.Result
	// Diff is a cmp.Diff of two Views, labelled by DiffLabel.
	Diff, DiffLabel string
	// History is the steps before the failing one, in trace syntax.
	History []string
}

func (m *Machine) fail(index int, s traces.Step, kind string, i int, detail string, results []abi.Result) *Failure {
	f := &Failure{Index: index, Step: s, Kind: kind, Backend: m.backends[i].Name, Detail: detail, Results: results}
	for _, p := range m.steps[:max(index, 0)] {
		f.History = append(f.History, p.String())
	}
	return f
}

// Error prints the failure: what, where, both results and the diff.
func (f *Failure) Error() string {
	var b strings.Builder
	switch {
	case f.Index < 0:
		fmt.Fprintf(&b, "initial state: %s on %s: %s\n", f.What(), f.Backend, f.Detail)
	case f.Step.Call == nil:
		fmt.Fprintf(&b, "after step %d (final check): %s on %s: %s\n", f.Index+1, f.What(), f.Backend, f.Detail)
	default:
		fmt.Fprintf(&b, "step %d (%d %v): %s on %s: %s\n", f.Index+1, f.Step.Tid, f.Step.Call, f.What(), f.Backend, f.Detail)
		fmt.Fprintf(&b, "results: %v\n", f.Results)
	}
	if f.Diff != "" {
		fmt.Fprintf(&b, "View diff (%s):\n%s", f.DiffLabel, f.Diff)
	}
	return b.String()
}

// What is the failure's kind, with the property's name for a property
// failure ("property AutoReap").
func (f *Failure) What() string {
	if f.Property != "" {
		return f.Kind + " " + f.Property
	}
	return f.Kind
}

// viewDiff is "" when the views are equal, else cmp.Diff(a, b).
func viewDiff(a, b abi.View) string {
	if a.Equal(b) {
		return ""
	}
	if d := cmp.Diff(a, b); d != "" {
		return d
	}
	return "(the Views differ in a way cmp.Diff does not show)\n"
}

// protect calls f and turns a panic into an error carrying the stack.
func protect[T any](backend, what string, f func() T) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s panicked in %s: %v\n%s", backend, what, r, debug.Stack())
		}
	}()
	return f(), nil
}
