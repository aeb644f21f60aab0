package props

import (
	"errors"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/traces"
	"pgregory.net/rapid"
)

// opts is the world every suite runs in: a small task limit, so that
// FORK-7 is reached and Views stay small.
var opts = traces.Options{MaxTasks: 12, PKU: abi.FeaturePresent, CommitPages: propsCommitPages}

// propsCommitPages is the suites' commit limit (MEM-3l): 4 GiB, so that the
// generator's lengths above 1 GiB meet both answers.
const propsCommitPages = 1 << 20

// suite describes one property run.
type suite struct {
	name     string
	checks   Check
	backends []Backend
	// tune adjusts the generator (emphasis, macro rate); nil for none.
	tune func(*gen.Generator)
	// final runs once the random steps are done and returns a *Failure or
	// nil; nil for nothing.
	final func(m *Machine) error
	// cov, when set, accumulates the events of every run.
	cov *gen.Coverage
	// share, when set, is the fraction of -rapid.checks this suite runs
	// (at least one run), so that a group of related suites costs no more
	// than the budget says; 0 runs the whole budget.
	share float64
	// last holds the most recent failing run: rapid re-runs the shrunk case
	// last, so at the end of the test it is the shrunk one.
	last *lastFailure
}

type lastFailure struct {
	steps []traces.Step
	f     *Failure
}

// prop is the rapid property of s: a fresh Machine, rapid-chosen steps in
// lockstep with every check after each, then s.final.
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
	if s.final != nil {
		if err := s.final(m); err != nil {
			s.report(t, m, err)
		}
	}
	if s.cov != nil {
		s.cov.Merge(&m.Cov)
	}
}

// report remembers the failing run and fails t.
func (s suite) report(t *rapid.T, m *Machine, err error) {
	t.Helper()
	var f *Failure
	if errors.As(err, &f) && s.last != nil {
		s.last.steps, s.last.f = m.Trace("").Steps, f
	}
	t.Fatalf("%v", err)
}

// run checks s with rapid under t. When it fails, the shrunk run is reduced
// further by meaning (Reduce), written as a trace under testdata/failures,
// and logged with the command that replays it.
func (s suite) run(t *testing.T) {
	if s.name == "" {
		s.name = t.Name()
	}
	s.last = &lastFailure{}
	t.Cleanup(func() {
		if !t.Failed() || s.last.f == nil {
			return
		}
		steps, f := Reduce(opts, s.checks, s.backends, s.last.steps, s.final, s.last.f)
		m, _ := Replay(opts, s.checks, s.backends, steps, nil)
		path, replay, err := WriteFailure(m, s.name, f)
		if err != nil {
			t.Logf("writing the failure trace: %v", err)
			return
		}
		text, _ := os.ReadFile(strings.TrimPrefix(path, "props/"))
		t.Logf("reduced to %d steps (from %d):\n%s\n%v\ntrace: %s\nreplay: %s", len(steps), len(s.last.steps), text, f, path, replay)
	})
	if s.share != 0 {
		defer setRapidChecks(setRapidChecks(max(1, int(float64(rapidChecks())*s.share))))
	}
	prop := s.prop
	if *progressFlag {
		prop = withProgress(t.Logf, rapidChecks(), prop)
	}
	rapid.Check(t, prop)
}

// setRapidChecks sets -rapid.checks, which rapid reads at every Check, and
// returns the value it had. The suites run one after another (none calls
// t.Parallel), so a suite may change it for its own run.
func setRapidChecks(n int) int {
	old := rapidChecks()
	if err := flag.Set("rapid.checks", strconv.Itoa(n)); err != nil {
		panic(err)
	}
	return old
}
