package props

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/traces"
)

// BenchmarkLockstep measures lockstep steps per second (steps/s; ns/op is
// one step).
//
// search/… is the main job, step for step what forkspec check does: the
// generator reads the model's View, the step runs on the model and the
// impl in a traces.Lock, the classifier counts its events. full checks
// everything after every step (both Views whole, both CheckInvariants);
// incremental is forkspec check's default (traces.Lock.Incremental with
// -full-every's default): a step is compared by what it touched, the full
// checks run every defaultFullEvery steps, after any step that touches
// everything, and at the end of every sequence. mix is the default world
// (task limit 12); tasks=N first forks init's children up to N tasks (not
// timed), then runs the default mix with a task limit of N. Sequences
// are 200 steps; tasks/step is the mean number of tasks in the world.
//
// lockstep/… is the lockstep alone: sequences generated beforehand (not
// timed) replayed through a traces.Lock, step by step, without the
// generator, the classifier or the reference View they read: the cost of
// stepping both backends and comparing them, by world size.
//
// machine/… is the property suites' props.Machine: both Views whole after
// every step, with every property (CheckAll) or none.
func BenchmarkLockstep(b *testing.B) {
	for _, world := range []int{0, 4, 16, 64} {
		name := "mix"
		if world > 0 {
			name = fmt.Sprintf("tasks=%d", world)
		}
		for _, mode := range []struct {
			name  string
			every int
		}{{"full", 1}, {"incremental", benchFullEvery}} {
			b.Run("search/"+name+"/"+mode.name, func(b *testing.B) { benchSearch(b, world, mode.every) })
		}
	}
	for _, world := range []int{4, 16, 64} {
		for _, mode := range []struct {
			name  string
			every int
		}{{"full", 1}, {"incremental", benchFullEvery}} {
			b.Run(fmt.Sprintf("lockstep/tasks=%d/%s", world, mode.name), func(b *testing.B) { benchLockstep(b, world, mode.every) })
		}
	}
	for _, c := range []struct {
		name   string
		checks Check
	}{{"CheckAll", CheckAll}, {"no-props", 0}} {
		b.Run("machine/"+c.name, func(b *testing.B) {
			src := gen.FromRand(1)
			var m *Machine
			diverged := 0
			b.ReportAllocs()
			cpu := startCPU(b)
			for i := 0; i < b.N; i++ {
				if m == nil || m.Len() >= 200 {
					m, _ = NewMachine(opts, c.checks, Model, Impl)
				}
				if _, err := m.Draw(src); err != nil {
					diverged++
					m = nil
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			cpu.report(b)
			b.ReportMetric(float64(diverged)/float64(b.N), "divergences/op")
		})
	}
}

// benchFullEvery is forkspec check's -full-every default (cmd/forkspec
// defaultFullEvery), which props cannot import.
const benchFullEvery = 32

// benchSearch runs b.N steps of random sequences on model and impl in a
// traces.Lock, as forkspec check does, in worlds of up to world tasks (0:
// the default mix), with the full checks after every every-th step.
func benchSearch(b *testing.B, world, every int) {
	o := opts
	if world > 0 {
		o.MaxTasks = world
	}
	var (
		l          *traces.Lock
		g          *gen.Generator
		cls        gen.Classifier
		before     abi.View
		left       int
		tasks      int
		failed     int
		fulls      int // full checks after timed steps
		setupFulls int
		seed       uint64
		stepErr    error
	)
	start := func() {
		b.StopTimer()
		defer b.StartTimer()
		if l != nil {
			if err := l.Finish(); err != nil {
				failed++
			}
			fulls += l.FullChecks() - setupFulls
			l.Close()
		}
		seed++
		var err error
		if l, err = traces.NewLock("bench", o, Model, Impl); err != nil {
			b.Fatal(err)
		}
		l.Incremental(every)
		for n := 1; n < world; n++ {
			if _, err := l.Step(traces.Step{Tid: 1, Call: abi.Fork{}}); err != nil {
				b.Fatal(err)
			}
		}
		g = gen.New(o.Config())
		before, left = l.View(), 200
		setupFulls = l.FullChecks()
	}
	src := gen.FromRand(1)
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		if left == 0 || stepErr != nil {
			cpu.pause()
			start()
			cpu.resume()
		}
		tid, sc := g.Next(src, before)
		var r abi.Result
		r, stepErr = l.Step(traces.Step{Tid: tid, Call: sc})
		if stepErr != nil {
			failed++
			continue
		}
		after := l.View()
		cls.Events(before, after, tid, sc, r)
		tasks += len(after.Tasks)
		before = after
		left--
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	cpu.report(b)
	b.ReportMetric(float64(tasks)/float64(b.N), "tasks/step")
	b.ReportMetric(float64(fulls)/float64(b.N), "fulls/step")
	b.ReportMetric(float64(failed)/float64(b.N), "divergences/op")
}

// cpuClock counts the process's CPU time (user and system, every thread:
// the collector's too) between pause and resume, so that steps per
// CPU-second can be told apart from the wall clock on a shared machine.
type cpuClock struct {
	since time.Duration // CPU time at the last resume
	spent time.Duration // CPU time counted so far
}

func startCPU(b *testing.B) *cpuClock { c := &cpuClock{}; c.resume(); return c }

func (c *cpuClock) resume() { c.since = cpuNow() }
func (c *cpuClock) pause()  { c.spent += cpuNow() - c.since }

// report adds cpu-steps/s: steps per second of the process's CPU time.
func (c *cpuClock) report(b *testing.B) {
	c.pause()
	if c.spent > 0 {
		b.ReportMetric(float64(b.N)/c.spent.Seconds(), "cpu-steps/s")
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLockstep replays four generated 200-step sequences in worlds of
// world tasks (forked first, not timed) through a traces.Lock with the
// full checks after every every-th step, and times only Lock.Step (and
// the Finish at each sequence's end).
func benchLockstep(b *testing.B, world, every int) {
	o := opts
	o.MaxTasks = world
	fork := func() *traces.Lock {
		l, err := traces.NewLock("bench", o, Model, Impl)
		if err != nil {
			b.Fatal(err)
		}
		l.Incremental(every)
		for n := 1; n < world; n++ {
			if _, err := l.Step(traces.Step{Tid: 1, Call: abi.Fork{}}); err != nil {
				b.Fatal(err)
			}
		}
		return l
	}
	var seqs [][]traces.Step
	for seed := uint64(1); seed <= 4; seed++ {
		l, g, src := fork(), gen.New(o.Config()), gen.FromRand(seed)
		var steps []traces.Step
		for range 200 {
			tid, sc := g.Next(src, l.View())
			if _, err := l.Step(traces.Step{Tid: tid, Call: sc}); err != nil {
				b.Fatal(err)
			}
			steps = append(steps, traces.Step{Tid: tid, Call: sc})
		}
		l.Close()
		seqs = append(seqs, steps)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU(b)
	var l *traces.Lock
	seq, at, fulls, setupFulls := 0, 0, 0, 0
	for i := 0; i < b.N; i++ {
		if l == nil || at == len(seqs[seq]) {
			if l != nil {
				if err := l.Finish(); err != nil {
					b.Fatal(err)
				}
				fulls += l.FullChecks() - setupFulls
				l.Close()
				seq = (seq + 1) % len(seqs)
			}
			b.StopTimer()
			cpu.pause()
			l, at = fork(), 0
			setupFulls = l.FullChecks()
			cpu.resume()
			b.StartTimer()
		}
		if _, err := l.Step(seqs[seq][at]); err != nil {
			b.Fatal(err)
		}
		at++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	cpu.report(b)
	b.ReportMetric(float64(fulls)/float64(b.N), "fulls/step")
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
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tid, sc := g.Next(src, v)
		_ = cls.Events(v, v, tid, sc, okResult)
	}
}

var (
	abiFork  = abi.Fork{}
	okResult = abi.Ok(0)
)
