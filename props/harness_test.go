package props

import (
	"errors"
	"testing"

	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/traces"
	"pgregory.net/rapid"
)

// opts is the world every suite runs in: a small task limit, so that
// FORK-7 is reached and Views stay small.
var opts = traces.Options{MaxTasks: 12}

// suite describes one property run.
type suite struct {
	name     string
	checks   Check
	backends []Backend
	// tune adjusts the generator (emphasis, macro rate); nil for none.
	tune func(*gen.Generator)
	// after runs once the random steps are done; nil for nothing.
	after func(t *rapid.T, m *Machine)
	// cov, when set, accumulates the events of every run.
	cov *gen.Coverage
}

// prop is the rapid property of s: a fresh Machine, rapid-chosen steps in
// lockstep with every check after each, then s.after. The first failure is
// written as a trace and reported with the command that replays it.
func (s suite) prop(t *rapid.T) {
	m, err := NewMachine(opts, s.checks, s.backends...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	m.Log = t.Logf
	if s.tune != nil {
		s.tune(m.Gen)
	}
	t.Repeat(map[string]func(*rapid.T){
		"step": func(t *rapid.T) {
			if _, err := m.Draw(FromRapid(t)); err != nil {
				s.report(t, m, err)
			}
		},
	})
	if s.after != nil {
		s.after(t, m)
	}
	if s.cov != nil {
		s.cov.Merge(&m.Cov)
	}
}

// report writes the failing run as a trace and fails t.
func (s suite) report(t *rapid.T, m *Machine, err error) {
	t.Helper()
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("%v", err)
	}
	path, replay, werr := WriteFailure(m, s.name, f)
	if werr != nil {
		t.Fatalf("%v\n(writing the trace failed: %v)", err, werr)
	}
	t.Fatalf("%v\ntrace: %s\nreplay: %s", err, path, replay)
}

// run checks s with rapid under t.
func (s suite) run(t *testing.T) {
	rapid.Check(t, s.prop)
}
