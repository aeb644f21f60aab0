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

// lockstep runs steps on the reference model and on Linux, and fails at the
// first step whose Result or View differs, showing both (-model +linux).
// It returns the Linux world for further checks.
func lockstep(t *testing.T, cfg abi.Config, steps []step) *Kernel {
	t.Helper()
	k := newWorld(t, cfg)
	m := model.New(cfg)
	if d := cmp.Diff(m.View(), view(t, k)); d != "" {
		t.Fatalf("initial views differ (-model +linux):\n%s", d)
	}
	for i, s := range steps {
		want := m.Step(s.Tid, s.Sc)
		got := do(t, k, s.Tid, s.Sc)
		if want != got {
			t.Fatalf("step %d: %d %v: model %v, linux %v", i+1, s.Tid, s.Sc, want, got)
		}
		if d := cmp.Diff(m.View(), view(t, k)); d != "" {
			t.Fatalf("step %d: %d %v -> %v: views differ (-model +linux):\n%s", i+1, s.Tid, s.Sc, got, d)
		}
	}
	return k
}
