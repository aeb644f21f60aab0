package props

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/model"
)

// TestRefusalListAgrees: the refusal list is one (issue 11 item 5). Before
// every generated step the model and the impl answer the list's questions
// alike — abi.Refusal gives both the same verdict — and after it a step the
// list refuses was refused by both, while a step it allows was refused by
// neither, unless a rule deep inside the step found something unmodelled
// (a stop signal's default action), which both must then agree on too. Run
// in a world that knows its machine (the suites' options) and in one that
// does not (every fact unknown).
func TestRefusalListAgrees(t *testing.T) {
	seeds := 150
	if testing.Short() {
		seeds = 30
	}
	for _, cfg := range []abi.Config{opts.Config(), {MaxTasks: opts.MaxTasks}} {
		listed, deep := 0, 0
		for seed := uint64(1); seed <= uint64(seeds); seed++ {
			m, k := model.New(cfg), impl.New(cfg)
			g, src := gen.New(cfg), gen.FromRand(seed)
			for n := 0; n < 60; n++ {
				tid, sc := g.Next(src, m.View())
				wm, okm := m.World(tid)
				wi, oki := k.World(tid)
				if okm != oki {
					t.Fatalf("cfg %+v seed %d step %d: %d %v: model has a running task %v, impl %v", cfg, seed, n, tid, sc, okm, oki)
				}
				why := ""
				if okm {
					why = abi.Refusal(cfg, wm, sc)
					if wi := abi.Refusal(cfg, wi, sc); wi != why {
						t.Fatalf("cfg %+v seed %d step %d: %d %v: the list refuses for the model %q, for the impl %q", cfg, seed, n, tid, sc, why, wi)
					}
				}
				rm, ri := m.Step(tid, sc), k.Step(tid, sc)
				if rm != ri {
					t.Fatalf("cfg %+v seed %d step %d: %d %v: model %v, impl %v", cfg, seed, n, tid, sc, rm, ri)
				}
				switch {
				case !okm:
				case why != "" && rm.Outcome != abi.OutcomeUnsupported:
					t.Fatalf("cfg %+v seed %d step %d: %d %v: the list refuses it (%s) but it returned %v", cfg, seed, n, tid, sc, why, rm)
				case why != "":
					listed++
				case rm.Outcome == abi.OutcomeUnsupported:
					deep++
				}
			}
		}
		t.Logf("machine %+v: %d steps refused by the list, %d deep inside a step", cfg.Machine, listed, deep)
		if listed == 0 {
			t.Errorf("machine %+v: no generated step was refused by the list: the test proves nothing", cfg.Machine)
		}
	}
}
