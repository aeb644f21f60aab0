package props

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"pgregory.net/rapid"
)

// TestHarnessModelAgainstItself: two model instances in lockstep agree on
// every generated step and satisfy every property — the harness and the
// property checks themselves are sound on the reference.
func TestHarnessModelAgainstItself(t *testing.T) {
	suite{name: t.Name(), checks: CheckAll, backends: []Backend{Model, Model}}.run(t)
}

// TestMachineReportsDivergence: a backend that lies is caught at the first
// step where it lies, with a diff.
func TestMachineReportsDivergence(t *testing.T) {
	liar := Backend{Name: "liar", New: func(cfg abi.Config) abi.Kernel { return &lyingKernel{Model.New(cfg)} }}
	m, err := NewMachine(opts, CheckAll, Model, liar)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Step(1, abi.Getpid{}); err != nil {
		t.Fatalf("getpid: %v", err)
	}
	_, err = m.Step(1, abi.Fork{})
	f, ok := err.(*Failure)
	if !ok || f.Kind != "result" || f.Index != 1 || f.Backend != "liar" {
		t.Fatalf("fork on a lying backend: %v, want a result failure at step 2 on liar", err)
	}
}

// lyingKernel reports every fork's child pid one too high.
type lyingKernel struct{ abi.Kernel }

func (k *lyingKernel) Step(tid int, sc abi.Syscall) abi.Result {
	r := k.Kernel.Step(tid, sc)
	if _, ok := sc.(abi.Fork); ok {
		r.Ret++
	}
	return r
}

var _ = gen.New
var _ = rapid.Check
