package uml

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

var (
	randomRuns   = flag.Int("uml.runs", 8, "random model-vs-UML runs in TestRandomAgainstModel")
	randomSteps  = flag.Int("uml.steps", 40, "steps per random run")
	randomSeed   = flag.Uint64("uml.seed", 1, "first seed of TestRandomAgainstModel")
	randomBudget = flag.Duration("uml.budget", 20*time.Second, "time budget of TestRandomAgainstModel")
)

// sharedOrSkip returns the process's machine for Debian's kernel, or skips.
func sharedOrSkip(t *testing.T) *Machine {
	t.Helper()
	if ok, why := Available(*testKernel); !ok {
		requireUML(t, why)
	}
	m, err := Shared(*testKernel)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRandomAgainstModel drives the model and the kernel under test in
// lockstep with the step generator, the model following the kernel's
// rules (Machine.Target), and fails at the first divergence with the
// trace so far. A drawn step that names an address the guest cannot
// represent is drawn again. `make uml` runs 300 runs.
func TestRandomAgainstModel(t *testing.T) {
	m := sharedOrSkip(t)
	tg := m.Target()
	// The model makes the guest's assumptions (PKU, commit limit, as the
	// Linux oracle's random test makes this machine's).
	f := m.Facts()
	opts := traces.Options{MaxTasks: 8, Target: tg, PKU: f.PKU, CommitPages: f.CommitPages, DacMmapMinAddr: f.DacMmapMinAddr}
	bs := []traces.Backend{
		{Name: "model", New: func(c abi.Config) abi.Kernel { return model.New(c) }},
		{Name: "uml", New: Backend(*testKernel)},
	}
	start := time.Now()
	runs, steps, redrawn := 0, 0, 0
	for i := 0; i < *randomRuns && time.Since(start) < *randomBudget; i++ {
		seed := *randomSeed + uint64(i)
		l, err := traces.NewLock(fmt.Sprintf("uml-seed%d", seed), opts, bs...)
		if err != nil {
			t.Fatal(err)
		}
		src := gen.FromRand(seed)
		g := gen.New(opts.Config())
		for n := 0; n < *randomSteps; n++ {
			tid, sc := g.Next(src, l.View())
			for try := 0; try < 100; try++ {
				if ok, _ := m.Fits(sc); ok {
					break
				}
				redrawn++
				tid, sc = g.Next(src, l.View())
			}
			if _, err := l.Step(traces.Step{Tid: tid, Call: sc}); err != nil {
				l.Close()
				t.Fatalf("seed %d (-uml.seed %d -uml.runs 1 -uml.steps %d) on Linux %s:\n%v\ntrace:\n%s",
					seed, seed, *randomSteps, m.Release, err, l.Trace().Format())
			}
			steps++
		}
		l.Close()
		runs++
	}
	if err := m.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d runs, %d steps on Linux %s (%s) in %v; %d unrepresentable draws redrawn",
		runs, steps, m.Release, describe(tg), time.Since(start).Round(time.Millisecond), redrawn)
}
