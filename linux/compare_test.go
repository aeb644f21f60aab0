package linux

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
)

// step is one step of a hand-written sequence.
type step struct {
	Tid int
	Sc  abi.Syscall
}

// divergence is the first step at which the model and Linux disagree.
type divergence struct {
	Index                int // 1-based step number; 0 for the initial views
	Step                 step
	Model, Linux         abi.Result
	ModelView, LinuxView abi.View
}

func (d *divergence) String() string {
	if d.Model != d.Linux {
		return "step " + itoa(d.Index) + ": model " + d.Model.String() + ", linux " + d.Linux.String()
	}
	return "step " + itoa(d.Index) + ": views differ (-model +linux):\n" + cmp.Diff(d.ModelView, d.LinuxView)
}

func itoa(i int) string { return abi.Exit{Code: i}.String()[len("exit "):] }

// runLockstep runs steps on the reference model and on Linux and returns
// the first divergence of Result or View, or nil.
func runLockstep(t *testing.T, k *Kernel, m abi.Kernel, steps []step) *divergence {
	t.Helper()
	if mv, lv := m.View(), view(t, k); !cmp.Equal(mv, lv) {
		return &divergence{ModelView: mv, LinuxView: lv}
	}
	for i, s := range steps {
		want := m.Step(s.Tid, s.Sc)
		got := do(t, k, s.Tid, s.Sc)
		mv, lv := m.View(), view(t, k)
		if want != got || !cmp.Equal(mv, lv) {
			return &divergence{Index: i + 1, Step: s, Model: want, Linux: got, ModelView: mv, LinuxView: lv}
		}
	}
	return nil
}

// lockstep runs steps on both and fails the test at the first divergence,
// showing the step and both Views. It returns the Linux world.
func lockstep(t *testing.T, cfg abi.Config, steps []step) *Kernel {
	t.Helper()
	k := newWorld(t, cfg)
	if d := runLockstep(t, k, model.New(cfg), steps); d != nil {
		t.Fatalf("%d %v: %v", d.Step.Tid, d.Step.Sc, d)
	}
	return k
}

func viewsEqual(a, b abi.View) bool { return cmp.Equal(a, b) }
