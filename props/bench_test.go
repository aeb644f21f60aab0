package props

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
)

// BenchmarkLockstep measures lockstep steps per second: a generated step on
// the model and the impl, both Views built and compared in full, both
// invariant checkers and every property after each step. Worlds restart
// every 200 steps (and at a divergence, counted as divergences/op).
func BenchmarkLockstep(b *testing.B) {
	for _, c := range []struct {
		name     string
		backends []Backend
		checks   Check
	}{
		{"model+impl", []Backend{Model, Impl}, CheckAll},
		{"model+impl/no-props", []Backend{Model, Impl}, 0},
		{"model", []Backend{Model}, 0},
		{"impl", []Backend{Impl}, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			src := gen.FromRand(1)
			var m *Machine
			diverged := 0
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if m == nil || m.Len() >= 200 {
					m, _ = NewMachine(opts, c.checks, c.backends...)
				}
				if _, err := m.Draw(src); err != nil {
					diverged++
					m = nil
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(float64(diverged)/float64(b.N), "divergences/op")
		})
	}
}

// BenchmarkGenerate measures the generator and classifier alone on a fixed
// two-process View.
func BenchmarkGenerate(b *testing.B) {
	m, _ := NewMachine(opts, 0, Model)
	m.Step(1, abiFork)
	v := m.View()
	g := gen.New(opts.Config())
	src := gen.FromRand(1)
	var cls gen.Classifier
	for i := 0; i < b.N; i++ {
		tid, sc := g.Next(src, v)
		_ = cls.Events(v, v, tid, sc, okResult)
	}
}

var (
	abiFork  = abi.Fork{}
	okResult = abi.Ok(0)
)
