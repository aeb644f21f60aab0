package props

import (
	"errors"
	"fmt"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/impl"
)

// TestRefinement drives the model and the impl in lockstep: after every step
// equal Results, equal Views, clean invariants on both, and every property.
// It also counts the interesting events (printed with -v) and fails when a
// default-budget run never hits one of them: such a run proves little.
func TestRefinement(t *testing.T) {
	var cov gen.Coverage
	suite{name: t.Name(), checks: CheckAll, backends: []Backend{Model, Impl}, cov: &cov}.run(t)
	t.Logf("events over the run (! = required, never hit):\n%s", cov.String())
	if missing := cov.Missing(); len(missing) > 0 && !testing.Short() && rapidChecks() >= defaultChecks {
		t.Errorf("the run never hit %v: the generator no longer reaches them", missing)
	}
}

// perBackend runs s once per backend, alone, so that a property failure
// names the backend that breaks it.
func perBackend(t *testing.T, s suite) {
	for _, b := range []Backend{Model, Impl} {
		t.Run(b.Name, func(t *testing.T) {
			s := s
			s.name, s.backends = t.Name(), []Backend{b}
			s.run(t)
		})
	}
}

// TestCOWIsolation: a private store is visible exactly through the writer's
// address space, a MAP_SHARED store through every page of its frame, and a
// written private page holds a frame of its own (COW-2, COW-5, MEM-1,
// MEM-2, VFORK-3), on each backend by its own Views.
func TestCOWIsolation(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckCOWIsolation, tune: func(g *gen.Generator) {
		g.Emphasize(3, "store", "load", "fork", "clone", "mmap", "madvise")
		g.MacroPerMille = 300
	}})
}

// TestVforkFreeze: a frozen task's steps change nothing and it is released
// exactly at its child's successful exec or its exit (VFORK-2, WORLD-3).
func TestVforkFreeze(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckVforkFreeze, tune: func(g *gen.Generator) {
		g.Emphasize(4, "vfork", "clone", "clone3", "execve", "kill")
		g.MacroPerMille = 300
	}})
}

// TestExecResets: what a successful execve leaves (EXEC-1 … EXEC-6).
func TestExecResets(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckExecResets, tune: func(g *gen.Generator) {
		g.Emphasize(4, "execve", "sigaction", "open", "fcntl", "clone", "madvise", "sigprocmask")
	}})
}

// TestCloneValidation: every invalid flag combination fails EINVAL and leaves
// the world unchanged; a success shares exactly what its flags say (CLONE-1
// … CLONE-7, THR-1).
func TestCloneValidation(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckCloneValidation, tune: func(g *gen.Generator) {
		g.Emphasize(8, "clone", "clone3")
	}})
}

// TestFrameConservation: after a random run, kill and reap everything but
// init; then the impl's frames in use are exactly the frames init's pages
// hold, its page-table pages and the zero frame (COW-6; init's MAP_SHARED
// mappings are unmapped first, see conserved). It runs the impl
// alone (TestRefinement compares it with the model), so that a divergence
// elsewhere cannot hide a leak.
func TestFrameConservation(t *testing.T) {
	stuck := 0
	suite{checks: CheckRefusals, backends: []Backend{Impl}, final: func(m *Machine) error {
		err := conserved(m, 0)
		if errors.Is(err, ErrInitStuck) {
			stuck++
			return nil
		}
		return err
	}}.run(t)
	t.Logf("runs that could not drain (init's leader exited first): %d", stuck)
}

// conserved drains m's world to init alone and compares backend i's (an
// impl's) frames in use with what init's View accounts for.
func conserved(m *Machine, i int) error {
	if err := m.Drain(); err != nil {
		return err
	}
	// A MAP_SHARED object keeps the frames of its pages while any part of
	// it is mapped, even pages no mapping shows any more (the shmem file's
	// page cache in Linux), and the View cannot show those: unmap init's
	// shared mappings so that every object is gone.
	for _, mm := range m.View().Mms {
		for _, mp := range mm.Mappings {
			if mp.Shared {
				if _, err := m.Step(1, abi.Munmap{Addr: mp.Start, Len: mp.End - mp.Start}); err != nil {
					return err
				}
			}
		}
	}
	st := m.Kernel(i).(*impl.Kernel).Stats()
	frames := map[int]bool{}
	for _, mm := range m.View().Mms {
		for _, p := range mm.Pages {
			frames[p.Frame] = true
		}
	}
	if want := len(frames) + st.PageTablePages + 1; st.FramesInUse != want {
		return &Failure{Index: m.Len() - 1, Kind: "frame leak", Backend: "impl",
			Detail: fmt.Sprintf("only init left: %d frames in use, want %d (%d data frames init maps, %d page-table pages, 1 zero frame)",
				st.FramesInUse, want, len(frames), st.PageTablePages)}
	}
	return nil
}

// TestHarnessModelAgainstItself: two model instances in lockstep agree on
// every generated step and satisfy every property — the harness and the
// property checks are sound on the reference.
func TestHarnessModelAgainstItself(t *testing.T) {
	var cov gen.Coverage
	suite{name: t.Name(), checks: CheckAll, backends: []Backend{Model, Model}, cov: &cov}.run(t)
	t.Logf("events over the run (! = required, never hit):\n%s", cov.String())
}

// TestMachineReportsDivergence: a backend that lies is caught at the first
// step where it lies, as a result failure naming it.
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

// TestFrameConservationPartlyUnmappedShared: a MAP_SHARED object whose
// stored page is no longer mapped still holds that page's frame (as Linux's
// shmem does) until the object's last mapping goes; conserved accounts for
// it by unmapping init's shared mappings first. Found by the suite.
func TestFrameConservationPartlyUnmappedShared(t *testing.T) {
	m, err := NewMachine(opts, CheckAll, Impl)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []abi.Syscall{
		abi.Mmap{Addr: abi.ArenaStart + 0x200000, Len: 4 * abi.PageSize, Prot: abi.PROT_READ | abi.PROT_WRITE, Flags: abi.MAP_SHARED | abi.MAP_FIXED | abi.MAP_ANONYMOUS},
		abi.Store{Addr: abi.ArenaStart + 0x203000, Value: 0x10e},
		abi.Mmap{Addr: abi.ArenaStart + 0x203000, Len: 2 * abi.PageSize, Prot: abi.PROT_READ | abi.PROT_WRITE, Flags: abi.MAP_PRIVATE | abi.MAP_FIXED | abi.MAP_ANONYMOUS},
	} {
		if _, err := m.Step(1, sc); err != nil {
			t.Fatal(err)
		}
	}
	if err := conserved(m, 0); err != nil {
		t.Fatal(err)
	}
}
