package uml

import (
	"errors"
	"fmt"
	"time"

	"github.com/forkspec/forkspec/abi"
)

// Kernel is one world of the oracle inside a kernel under test: an
// abi.Kernel whose steps run on a Machine's guest. Addresses are the
// trace's; the Kernel relocates them into the guest and back (reloc.go).
//
// Zero value: not usable; build one with Machine.New (or Backend).
// Kernel is not safe for concurrent use.
type Kernel struct {
	m  *Machine
	id int // the guest's world id; 0 when the world never started
	// view is the world's current View, in trace addresses: every step
	// brings the View after it, so View costs no round trip.
	view abi.View
	// err is the first failure of the world or its machine; after it
	// every step is refused (OutcomeUnsupported).
	err error
	// refused says why the last step was refused by the relocation (its
	// address has no place in the guest), or "".
	refused string
	closed  bool
	// GuestTime sums the time the guest spent on this world's steps
	// (the oracle inside it), for the benchmark.
	GuestTime time.Duration
}

// namingKernel is a Kernel whose guest oracle can name frames.
type namingKernel struct{ *Kernel }

// New starts a world with cfg in the guest. The caller must Close it. A
// world that targets another kernel than the guest's (cfg.Target, when
// set, differs from Target) is an error: its rules are not this kernel's.
func (m *Machine) New(cfg abi.Config) (*Kernel, error) {
	if cfg.Target != (abi.Target{}) && cfg.Target != m.Target() {
		return nil, fmt.Errorf("uml: the world targets %s, but the kernel under test is %s", describe(cfg.Target), describe(m.Target()))
	}
	resp, err := m.call(request{Op: opNew, Cfg: cfg}, CallTimeout)
	k := &Kernel{m: m, id: resp.World}
	if err != nil {
		if k.id != 0 {
			k.Close()
		}
		return nil, fmt.Errorf("uml: starting a world in Linux %s: %w", m.Release, err)
	}
	if err := k.setView(resp.View); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// Kernel returns k as an abi.Kernel that is an abi.FrameNamer when the
// guest's oracle is one.
func (k *Kernel) kernel() abi.Kernel {
	if k.m.hello.FrameNamer {
		return namingKernel{k}
	}
	return k
}

func (k *Kernel) setView(v *abi.View) error {
	if v == nil {
		return errors.New("uml: the guest sent no View")
	}
	rv, err := k.m.rel.view(*v)
	if err != nil {
		return err
	}
	k.view = abi.Canonicalize(rv)
	return nil
}

// Err returns the first failure of the world or of its machine, or nil.
func (k *Kernel) Err() error { return k.err }

// Refused says why the last step was refused because it names an address
// the guest's address space cannot represent, or "".
func (k *Kernel) Refused() string { return k.refused }

// Release is the kernel under test's release.
func (k *Kernel) Release() string { return k.m.Release }

func (k *Kernel) fail(err error) {
	if k.err == nil {
		k.err = err
	}
}

// Step performs one step in the guest.
func (k *Kernel) Step(tid int, sc abi.Syscall) abi.Result {
	k.refused = ""
	if k.err != nil || k.closed {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	// The target's refusals come after the task's own (no task, zombie,
	// frozen: the guest answers those), as in the model.
	why := abi.TargetRefusal(k.m.Target(), sc, ProtAt(k.view, tid))
	if why == "" {
		why = abi.TargetLibcRefusal(k.m.Target(), k.view, tid, sc)
	}
	if why != "" && k.running(tid) {
		k.refused = why
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	gsc, why, clipped := k.m.rel.syscallClipped(sc)
	if why != "" {
		k.refused = why
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	resp, err := k.m.call(request{Op: opStep, World: k.id, Tid: tid, Call: gsc.String()}, CallTimeout)
	k.GuestTime += time.Duration(resp.Took)
	if err != nil {
		k.fail(err)
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	r, err := k.m.rel.result(sc, resp.Result)
	if clipped {
		r = clippedResult(sc, r)
	}
	if err == nil {
		err = k.setView(resp.View)
	}
	if err != nil {
		k.fail(err)
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	return r
}

// running says whether task tid runs (neither a zombie nor frozen).
func (k *Kernel) running(tid int) bool {
	for _, t := range k.view.Tasks {
		if t.Tid == tid {
			return t.State == abi.Running
		}
	}
	return false
}

// View returns the world's View after the last step.
func (k *Kernel) View() abi.View { return k.view }

// FrameID names the frame behind addr in task tid (abi.FrameNamer).
func (k namingKernel) FrameID(tid int, addr uint64) (uint64, bool) {
	if k.err != nil || k.closed {
		return 0, false
	}
	ga, ok := k.m.rel.in(addr)
	if !ok {
		return 0, false
	}
	resp, err := k.m.call(request{Op: opFrame, World: k.id, Tid: tid, Addr: ga}, CallTimeout)
	if err != nil {
		k.fail(err)
		return 0, false
	}
	return resp.Frame, resp.FrameOK
}

// Close ends the world in the guest (its machine stays up).
func (k *Kernel) Close() error {
	if k.closed {
		return nil
	}
	k.closed = true
	if k.id == 0 || k.m.Err() != nil {
		return nil
	}
	_, err := k.m.call(request{Op: opClose, World: k.id}, CallTimeout)
	return err
}

// Maps returns the guest's /proc/PID/smaps of every agent of the world,
// for debugging the oracle inside the guest.
func (k *Kernel) Maps() string {
	_, err := k.m.call(request{Op: opMaps, World: k.id}, CallTimeout)
	if err != nil {
		return err.Error()
	}
	return ""
}
