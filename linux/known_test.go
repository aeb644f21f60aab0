package linux

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
)

// Known disagreements between the model and Linux, reported to the lead.
// Each test asserts Linux's observed behaviour by hand and that the model
// still differs in exactly that respect; when the model is fixed the test
// fails, and the sequence belongs in TestScenarios.

// TestKilledZombieKeepsSignalPending: a process killed by kill(2) becomes a
// zombie whose shared pending set still holds the killing signal
// (/proc/PID/status ShdPnd): complete_signal queues the signal on the
// process and turns it into SIGKILL for every thread; nothing dequeues the
// original. The model shows an empty pending set for the zombie, except
// for SIGTERM to a frozen vfork parent, where both agree (TestScenarios,
// "vfork-kill").
func TestKilledZombieKeepsSignalPending(t *testing.T) {
	for _, c := range []struct {
		sig    int
		frozen bool // VFORK-5: killed while a frozen vfork parent
	}{{abi.SIGTERM, false}, {abi.SIGKILL, false}, {abi.SIGKILL, true}} {
		sig := c.sig
		k := newWorld(t, abi.Config{})
		m := model.New(abi.Config{})
		steps := []step{
			{1, abi.Fork{}},
			{2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}},
			{1, abi.Kill{Pid: 3, Sig: sig}},
		}
		if c.frozen {
			steps[1] = step{2, abi.Vfork{}}
			steps[2] = step{1, abi.Kill{Pid: 2, Sig: sig}}
		}
		d := runLockstep(t, k, m, steps)
		v := view(t, k)
		if c.frozen {
			// the vfork child runs on, now an orphan of init
			if len(v.Tasks) != 3 || v.Tasks[2].State != abi.Running || v.Tasks[2].Ppid != 1 {
				t.Fatalf("%s: want the vfork child running under init, got %+v", abi.SignalName(sig), v.Tasks)
			}
			v.Tasks = v.Tasks[:2]
			v.Procs = v.Procs[:2]
		}
		if len(v.Tasks) != 2 || v.Tasks[1].State != abi.Zombie || v.Tasks[1].WaitStatus != abi.WaitSignaled(sig) {
			t.Fatalf("%s: want task 2 a zombie killed by the signal, got %+v", abi.SignalName(sig), v.Tasks)
		}
		if v.Procs[1].Pending != abi.SigBit(sig) {
			t.Fatalf("%s: Linux shows pending %v for the zombie, want %v", abi.SignalName(sig), v.Procs[1].Pending, abi.SigBit(sig))
		}
		if d == nil || d.Index != 3 || d.Model != d.Linux {
			t.Fatalf("%s: the model now agrees with Linux (or differs elsewhere: %v); move this sequence to TestScenarios", abi.SignalName(sig), d)
		}
		mv := d.ModelView
		mv.Procs[1].Pending = d.LinuxView.Procs[1].Pending
		if diff := cmp.Diff(mv, d.LinuxView); diff != "" {
			t.Fatalf("%s: model differs beyond the zombie's pending set (-model +linux):\n%s", abi.SignalName(sig), diff)
		}
	}
}
