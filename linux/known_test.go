package linux

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
)

// TestKilledZombieKeepsSignalPending: a process killed by kill(2) becomes a
// zombie whose shared pending set still holds the killing signal
// (/proc/PID/status ShdPnd): complete_signal queues the signal on the
// process and turns it into SIGKILL for every thread; nothing dequeues the
// original until release_task. Asserted by hand on Linux and in lockstep
// with the model (which first showed an empty set; fixed in model/exit.go).
func TestKilledZombieKeepsSignalPending(t *testing.T) {
	for _, c := range []struct {
		sig    int
		frozen bool // VFORK-5: killed while a frozen vfork parent
	}{{abi.SIGTERM, false}, {abi.SIGKILL, false}, {abi.SIGKILL, true}, {abi.SIGTERM, true}} {
		sig := c.sig
		k := newWorld(t, abi.Config{})
		steps := []step{
			{1, abi.Fork{}},
			{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}},
			{1, abi.Kill{Pid: 3, Sig: sig}},
		}
		if c.frozen {
			steps[1] = step{2, abi.Vfork{}}
			steps[2] = step{1, abi.Kill{Pid: 2, Sig: sig}}
		}
		d := runLockstep(t, k, model.New(abi.Config{}), steps)
		v := view(t, k)
		if c.frozen {
			// the vfork child runs on, now an orphan of init
			if len(v.Tasks) != 3 || v.Tasks[2].State != abi.Running || v.Tasks[2].Ppid != 1 {
				t.Fatalf("%s: want the vfork child running under init, got %+v", abi.SignalName(sig), v.Tasks)
			}
		} else if len(v.Tasks) != 2 {
			t.Fatalf("%s: want the thread released, got %+v", abi.SignalName(sig), v.Tasks)
		}
		if v.Tasks[1].State != abi.Zombie || v.Tasks[1].WaitStatus != abi.WaitSignaled(sig) {
			t.Fatalf("%s: want task 2 a zombie killed by the signal, got %+v", abi.SignalName(sig), v.Tasks)
		}
		if v.Procs[1].Pending != abi.SigBit(sig) {
			t.Fatalf("%s: Linux shows pending %v for the zombie, want %v", abi.SignalName(sig), v.Procs[1].Pending, abi.SigBit(sig))
		}
		if d != nil {
			t.Errorf("%s frozen=%v: model and Linux disagree: %v", abi.SignalName(sig), c.frozen, d)
		}
	}
}
