package props

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/google/go-cmp/cmp"
)

// rawViewer is the backends' View before Canonicalize, identities stable
// across steps.
type rawViewer interface{ RawView() abi.View }

// TestTouchedCoversChanges checks the contract of abi.Observer.Touched on
// the model and the impl over random sequences: everything a step changed
// is reachable from the tasks it reports (abi.Uncovered), and ViewOf is
// the canonical Restrict of the whole View, for the touched tasks and for
// all of them. On the way it checks that View, which canonicalizes in
// place (abi.CanonicalizeOwned), equals Canonicalize of the raw View, and
// that Canonicalize leaves the View it is given as it was.
func TestTouchedCoversChanges(t *testing.T) {
	seqs := 40
	if testing.Short() {
		seqs = 10
	}
	partial, all := 0, 0
	big := opts
	big.MaxTasks = 64
	for seed := uint64(1); seed <= uint64(seqs); seed++ {
		o := opts
		if seed%4 == 0 {
			o = big // crowded worlds: long reparenting chains, many threads
		}
		ks := []abi.Kernel{Model.New(o.Config()), Impl.New(o.Config())}
		g := gen.New(o.Config())
		src := gen.FromRand(seed)
		for step := 0; step < 200; step++ {
			tid, sc := g.Next(src, ks[0].View())
			for i, k := range ks {
				name := []string{"model", "impl"}[i]
				before := k.(rawViewer).RawView()
				k.Step(tid, sc)
				after := k.(rawViewer).RawView()
				given := fmt.Sprintf("%#v", after)
				if v, want := k.View(), abi.Canonicalize(after); !reflect.DeepEqual(v, want) {
					t.Fatalf("seed %d step %d on %s: View (CanonicalizeOwned) differs from Canonicalize of RawView:\n%s", seed, step+1, name, cmp.Diff(want, v))
				}
				if fmt.Sprintf("%#v", after) != given {
					t.Fatalf("seed %d step %d on %s: Canonicalize changed the View it was given", seed, step+1, name)
				}
				o := k.(abi.Observer)
				touch := o.Touched()
				if err := abi.Uncovered(before, after, touch); err != nil {
					t.Fatalf("seed %d step %d (%d %v) on %s: %v\n%s", seed, step+1, tid, sc, name, err, cmp.Diff(before, after))
				}
				if touch.All {
					all++
					continue
				}
				partial++
				if got, want := o.ViewOf(touch.Tids), abi.Canonicalize(abi.Restrict(after, touch.Tids)); !reflect.DeepEqual(got, want) {
					t.Fatalf("seed %d step %d on %s: ViewOf(%v) is not Restrict:\n%s", seed, step+1, name, touch.Tids, cmp.Diff(want, got))
				}
			}
		}
		for i, k := range ks {
			var tids []int
			for _, tv := range k.View().Tasks {
				tids = append(tids, tv.Tid)
			}
			if got, want := k.(abi.Observer).ViewOf(tids), k.View(); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d on backend %d: ViewOf(every task) is not View:\n%s", seed, i, cmp.Diff(want, got))
			}
		}
	}
	t.Logf("%d steps touched a few tasks, %d touched everything", partial, all)
	if partial == 0 {
		t.Fatal("no step touched only a few tasks: the incremental comparison never runs")
	}
}

// TestUncoveredCatchesAMissedChange: the contract check itself fails when a
// step's report leaves out a task whose state changed.
func TestUncoveredCatchesAMissedChange(t *testing.T) {
	k := Model.New(opts.Config())
	before := k.(rawViewer).RawView()
	k.Step(1, abi.Fork{})
	after := k.(rawViewer).RawView()
	if err := abi.Uncovered(before, after, abi.Touch{Tids: []int{1}}); err == nil {
		t.Fatal("a fork reported as touching only its parent passed the contract check")
	} else if want := "task 2 appeared"; !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want it to say %q", err, want)
	}
	if err := abi.Uncovered(before, after, k.(abi.Observer).Touched()); err != nil {
		t.Fatalf("the model's own report of a fork: %v", err)
	}
}
