package linux

import (
	"flag"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/model"
)

var rapidSteps = flag.Int("linux.rapidsteps", 20, "steps per case in TestRapidAgainstModel")

// rapidSource is a gen.Source over rapid's draws, so that failing cases
// shrink toward ordinary steps.
type rapidSource struct{ t *rapid.T }

func (s rapidSource) Intn(n int, label string) int {
	if n <= 1 {
		return 0
	}
	return rapid.IntRange(0, n-1).Draw(s.t, label)
}

// TestRapidAgainstModel is the model-vs-Linux property: for every generated
// sequence (gen, rapid-shrunk), equal Results and equal Views after every
// step. Each failing step is logged in trace syntax. Budget: -rapid.checks
// (default 100, ÷5 with -short) × -linux.rapidsteps steps.
func TestRapidAgainstModel(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	rapid.Check(t, func(rt *rapid.T) {
		cfg := abi.Config{MaxTasks: 8}
		k, err := New(cfg)
		if err != nil {
			rt.Fatalf("starting the Linux world: %v", err)
		}
		defer k.Close()
		m := model.New(cfg)
		g := gen.New(cfg)
		src := rapidSource{rt}
		mv := m.View()
		for n := 0; n < *rapidSteps; n++ {
			tid, sc := g.Next(src, mv)
			want, got := m.Step(tid, sc), k.Step(tid, sc)
			if err := k.Err(); err != nil {
				rt.Fatalf("%d %v: driver failure: %v", tid, sc, err)
			}
			rt.Logf("%d %v -> %v", tid, sc, got)
			if want != got {
				rt.Fatalf("step %d: %d %v: model %v, linux %v", n+1, tid, sc, want, got)
			}
			mv = m.View()
			lv, err := k.ViewErr()
			if err != nil {
				rt.Fatalf("View: %v", err)
			}
			if d := cmp.Diff(mv, lv); d != "" {
				rt.Fatalf("%s", fmt.Sprintf("step %d: %d %v -> %v: views differ (-model +linux):\n%s", n+1, tid, sc, got, d))
			}
		}
	})
}
