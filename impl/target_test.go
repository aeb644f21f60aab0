package impl_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/model"
)

// TestRandomLockstepBottomUp runs the random lockstep in a world with the
// legacy (bottom-up) mmap layout, where placement starts at the arena's
// start (abi.LayoutBottomUp): model and impl must place alike.
func TestRandomLockstepBottomUp(t *testing.T) {
	seeds, steps := 30, 150
	if testing.Short() {
		seeds = 8
	}
	placed := 0
	cfg := abi.Config{MaxTasks: 12, Target: abi.Target{Release: "6.1", Layout: abi.LayoutBottomUp}}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(uint64(seed), 13))
		m, k := model.New(cfg), impl.New(cfg)
		var hist []string
		for range steps {
			tid, sc := randomStep(r, m.View())
			rm, ri := m.Step(tid, sc), k.Step(tid, sc)
			hist = append(hist, fmt.Sprintf("%d %s   # model %v impl %v", tid, sc, rm, ri))
			fail := func(format string, args ...any) {
				t.Fatalf("seed %d: %s\ntrace:\n%s", seed, fmt.Sprintf(format, args...), strings.Join(hist, "\n"))
			}
			if rm != ri {
				fail("results differ: model %v, impl %v", rm, ri)
			}
			if mm, ok := sc.(abi.Mmap); ok && mm.Flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) == 0 &&
				rm.Err == 0 && rm.Outcome == abi.OutcomeOK && rm.Ret != mm.Addr&^(abi.PageSize-1) {
				if rm.Ret >= abi.ArenaStart+1<<40 {
					fail("a bottom-up placement at %#x, far from the arena's start", rm.Ret)
				}
				placed++
			}
			if d := cmp.Diff(m.View(), k.View()); d != "" {
				fail("views differ (-model +impl):\n%s", d)
			}
			if err := k.CheckInvariants(); err != nil {
				fail("impl invariants: %v", err)
			}
		}
	}
	if placed == 0 {
		t.Errorf("no hint-less mmap was placed: the test does not exercise the layout")
	}
	t.Logf("%d hint-less placements", placed)
}
