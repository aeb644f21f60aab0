package linux

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/model"
)

var (
	randomRuns  = flag.Int("linux.runs", 20, "random model-vs-linux runs in TestRandomAgainstModel")
	randomSteps = flag.Int("linux.steps", 40, "steps per random run")
	randomSeed  = flag.Uint64("linux.seed", 1, "first seed of TestRandomAgainstModel")
	randomTime  = flag.Duration("linux.budget", 12*time.Second, "time budget of TestRandomAgainstModel")
	survey      = flag.Bool("linux.survey", false, "TestRandomAgainstModel: log the first divergence of every run instead of stopping at the first")
)

// TestRandomAgainstModel drives the model and Linux in lockstep with the
// step generator (gen), seeded deterministically, and fails at the first
// divergence with the trace so far (replayable: -linux.seed).
func TestRandomAgainstModel(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	start := time.Now()
	runs := 0
	for i := 0; i < *randomRuns && time.Since(start) < *randomTime; i++ {
		seed := *randomSeed + uint64(i)
		// The model makes this machine's assumptions (PKU, commit limit).
		cfg, err := MachineConfig(abi.Config{MaxTasks: 8})
		if err != nil {
			t.Fatal(err)
		}
		k := newWorld(t, cfg)
		m := model.New(cfg)
		g := gen.New(cfg)
		src := gen.FromRand(seed)
		var trace []string
		mv := m.View()
		for n := 0; n < *randomSteps; n++ {
			tid, sc := g.Next(src, mv)
			want := m.Step(tid, sc)
			got := k.Step(tid, sc)
			if err := k.Err(); err != nil {
				t.Fatalf("seed %d: driver failure after:\n%s\n%d %v: %v", seed, strings.Join(trace, "\n"), tid, sc, err)
			}
			trace = append(trace, fmt.Sprintf("%d %v -> %v", tid, sc, got))
			mv = m.View()
			lv := view(t, k)
			d := &divergence{Index: n + 1, Step: step{tid, sc}, Model: want, Linux: got, ModelView: mv, LinuxView: lv}
			if want != got || !viewsEqual(mv, lv) {
				if *survey {
					t.Logf("seed %d: trace:\n%s\n%v", seed, strings.Join(trace[max(0, len(trace)-6):], "\n"), d)
					break
				}
				t.Fatalf("seed %d: trace:\n%s\n%v", seed, strings.Join(trace, "\n"), d)
			}
		}
		if k.intrusiveReads != 0 {
			t.Errorf("seed %d: %d page values had to be read through /proc/PID/mem (pages.go)", seed, k.intrusiveReads)
		}
		k.Close()
		runs++
	}
	t.Logf("%d runs of %d steps in %v", runs, *randomSteps, time.Since(start).Round(time.Millisecond))
}
