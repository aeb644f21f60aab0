package linux

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/model"
)

var refusalRuns = flag.Int("linux.refusal-runs", 6, "random runs of TestRefusalListAgreesWithLinux per world")

// TestRefusalListAgreesWithLinux: the oracle's preflight and the model use
// one refusal list (issue 11 item 5). Before every generated step the
// model's and the oracle's answers to the list's questions give the same
// abi.Refusal verdict, so nothing the model refuses is sent to Linux and
// nothing Linux answers is refused by the model. Run in a world with this
// machine's facts and in one where they are unknown; the steps are compared
// as TestRandomAgainstModel compares them, result by result.
func TestRefusalListAgreesWithLinux(t *testing.T) {
	mcfg, err := MachineConfig(abi.Config{MaxTasks: 8})
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []abi.Config{mcfg, {MaxTasks: 8}} {
		listed := 0
		for run := 0; run < *refusalRuns; run++ {
			seed := uint64(7100001 + run)
			k := newWorld(t, cfg)
			m := model.New(cfg)
			g, src := gen.New(cfg), gen.FromRand(seed)
			var trace []string
			for n := 0; n < 50; n++ {
				tid, sc := g.Next(src, m.View())
				wm, okm := m.World(tid)
				wl, okl := k.World(tid)
				if err := k.Err(); err != nil {
					t.Fatalf("seed %d: reading /proc: %v", seed, err)
				}
				if okm != okl {
					t.Fatalf("seed %d step %d: %d %v: model has a running task %v, Linux %v\n%s", seed, n, tid, sc, okm, okl, strings.Join(trace, "\n"))
				}
				if okm {
					why, lwhy := abi.Refusal(cfg, wm, sc), abi.Refusal(cfg, wl, sc)
					if why != lwhy {
						t.Fatalf("seed %d step %d: %d %v: the list refuses for the model %q, for Linux %q\n%s", seed, n, tid, sc, why, lwhy, strings.Join(trace, "\n"))
					}
					if why != "" {
						listed++
					}
				}
				want, got := m.Step(tid, sc), k.Step(tid, sc)
				if err := k.Err(); err != nil {
					t.Fatalf("seed %d: driver failure at %d %v: %v", seed, tid, sc, err)
				}
				trace = append(trace, fmt.Sprintf("%d %v -> %v", tid, sc, got))
				if want != got {
					t.Fatalf("seed %d step %d: %d %v: model %v, Linux %v\n%s", seed, n, tid, sc, want, got, strings.Join(trace, "\n"))
				}
			}
			k.Close()
		}
		t.Logf("machine %+v: %d steps refused by the list on both", cfg.Machine, listed)
		if listed == 0 {
			t.Errorf("machine %+v: no step was refused by the list: the test proves nothing", cfg.Machine)
		}
	}
}
