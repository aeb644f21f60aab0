package linux

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// newWorld starts a Linux world for a test, or skips with the reason.
func newWorld(t testing.TB, cfg abi.Config) *Kernel {
	t.Helper()
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	k, err := New(cfg)
	if err != nil {
		t.Fatalf("starting the Linux world: %v", err)
	}
	t.Cleanup(func() {
		if err := k.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return k
}

// do performs a step and fails the test on a driver error.
func do(t testing.TB, k *Kernel, tid int, sc abi.Syscall) abi.Result {
	t.Helper()
	r := k.Step(tid, sc)
	if err := k.Err(); err != nil {
		t.Fatalf("%d %v: driver failure: %v", tid, sc, err)
	}
	t.Logf("%d %v -> %v", tid, sc, r)
	return r
}

// view observes the world and fails the test on a driver error.
func view(t testing.TB, k *Kernel) abi.View {
	t.Helper()
	v, err := k.ViewErr()
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return v
}
