package props

import (
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

// viewBender wraps the model and rewrites its View after chosen steps: a
// backend that is wrong in exactly one observable way, to show that each
// property notices.
type viewBender struct {
	abi.Kernel
	last abi.Syscall
	bend func(last abi.Syscall, v *abi.View)
}

func (k *viewBender) Step(tid int, sc abi.Syscall) abi.Result {
	k.last = sc
	return k.Kernel.Step(tid, sc)
}

func (k *viewBender) View() abi.View {
	v := k.Kernel.View()
	if k.last != nil {
		k.bend(k.last, &v)
	}
	return v
}

// propertyFails runs steps on a bent model with checks and returns the
// first failure's detail ("" when none).
func propertyFails(t *testing.T, checks Check, bend func(abi.Syscall, *abi.View), steps ...func(m *Machine) (abi.Result, error)) string {
	t.Helper()
	return bentFails(t, checks, func(cfg abi.Config) abi.Kernel { return &viewBender{Kernel: Model.New(cfg), bend: bend} }, steps...)
}

// bentFails runs steps with checks on the one backend newBent builds (a
// model with something bent) and returns the first failure's detail (""
// when none).
func bentFails(t *testing.T, checks Check, newBent func(abi.Config) abi.Kernel, steps ...func(m *Machine) (abi.Result, error)) string {
	t.Helper()
	m, err := NewMachine(opts, checks, Backend{Name: "bent", New: newBent})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if _, err := s(m); err != nil {
			return err.(*Failure).Detail
		}
	}
	return ""
}

func step(tid int, sc abi.Syscall) func(m *Machine) (abi.Result, error) {
	return func(m *Machine) (abi.Result, error) { return m.Step(tid, sc) }
}

const page = abi.ArenaStart + 0x200000 // init's first writable page

func TestCOWIsolationSeesALeakedStore(t *testing.T) {
	leak := func(last abi.Syscall, v *abi.View) {
		if s, ok := last.(abi.Store); ok {
			for i := range v.Mms {
				for j := range v.Mms[i].Pages {
					if v.Mms[i].Pages[j].Addr == s.Addr {
						v.Mms[i].Pages[j].Value = s.Value // visible in every mm
					}
				}
			}
		}
	}
	got := propertyFails(t, CheckCOWIsolation, leak, step(1, abi.Fork{}), step(1, abi.Store{Addr: page, Value: 0x77}))
	if !strings.Contains(got, "changed page") && !strings.Contains(got, "backed by the written frame") {
		t.Errorf("a store leaking into the child: %q, want a COW isolation failure", got)
	}
	if got := propertyFails(t, CheckCOWIsolation, leak, step(1, abi.Store{Addr: page, Value: 0x77})); got != "" {
		t.Errorf("the same bend with one address space is harmless, but: %q", got)
	}
}

func TestVforkFreezeSeesAnEarlyRelease(t *testing.T) {
	thaw := func(last abi.Syscall, v *abi.View) {
		if _, ok := last.(abi.Store); ok {
			for i := range v.Tasks {
				v.Tasks[i].State = abi.Running
			}
		}
	}
	got := propertyFails(t, CheckVforkFreeze, thaw, step(1, abi.Vfork{}), step(2, abi.Store{Addr: page, Value: 1}))
	if !strings.Contains(got, "released while its child") {
		t.Errorf("a vfork parent thawed by its child's store: %q, want an early-release failure", got)
	}
}

func TestExecResetsSeesAKeptHandler(t *testing.T) {
	keep := func(last abi.Syscall, v *abi.View) {
		if _, ok := last.(abi.Execve); ok {
			v.Sighands[0].Actions = append(v.Sighands[0].Actions, abi.ActionView{Sig: abi.SIGUSR1, Handler: abi.SigHandle})
		}
	}
	got := propertyFails(t, CheckExecResets, keep, step(1, abi.Execve{Image: "sh"}))
	if !strings.Contains(got, "keeps handler") {
		t.Errorf("a handler kept across exec: %q, want an exec-reset failure", got)
	}
}

func TestCloneValidationSeesAnUnsharedTable(t *testing.T) {
	unshare := func(last abi.Syscall, v *abi.View) {
		if _, ok := last.(abi.Clone); ok && len(v.Tasks) == 2 {
			v.Tasks[1].FdTable = 99 // not the caller's any more
			v.FdTables = append(v.FdTables, abi.FdTableView{ID: 99})
			*v = abi.Canonicalize(*v)
		}
	}
	got := propertyFails(t, CheckCloneValidation, unshare, step(1, abi.Clone{Flags: abi.CLONE_FILES | abi.SIGCHLD}))
	if !strings.Contains(got, "CLONE_FILES") {
		t.Errorf("CLONE_FILES ignored: %q, want a clone-validation failure", got)
	}
	if got := propertyFails(t, CheckCloneValidation, unshare, step(1, abi.Clone{Flags: abi.CLONE_THREAD | abi.SIGCHLD})); got != "" {
		t.Errorf("clone CLONE_THREAD without SIGHAND fails EINVAL on the model: %q", got)
	}
}

// TestRefusalsSeeAnotherTasksReturnCollected pins what a failed call may
// change (abi.TaskView.Return): the caller's own completed sleep is
// collected by any step it performs, but a failed step by another task, or
// a refused step by the caller, leaves it in the View.
func TestRefusalsSeeAnotherTasksReturnCollected(t *testing.T) {
	forget := func(last abi.Syscall, v *abi.View) {
		switch s := last.(type) {
		case abi.Close:
			if s.Fd != 99 {
				return
			}
		case abi.Clone:
		default:
			return
		}
		for i := range v.Tasks {
			if v.Tasks[i].Tid == 1 {
				v.Tasks[i].Call, v.Tasks[i].Returned, v.Tasks[i].Return = "", false, abi.Result{}
			}
		}
	}
	woken := []func(m *Machine) (abi.Result, error){
		step(1, abi.Fork{}), step(1, abi.Fork{}),
		step(1, abi.Wait4{Pid: 2}), // blocked
		step(2, abi.Exit{Code: 0}), // completes 1's wait4
	}
	if got := propertyFails(t, CheckRefusals, forget, append(woken, step(1, abi.Close{Fd: 99}))...); got != "" {
		t.Errorf("the waiter's own failed close collects its wait4's result, but: %q", got)
	}
	got := propertyFails(t, CheckRefusals, forget, append(woken, step(3, abi.Close{Fd: 99}))...)
	if !strings.Contains(got, "failed with EBADF but the View changed") {
		t.Errorf("another task's failed close cleared the waiter's result: %q, want a refusal failure", got)
	}
	got = propertyFails(t, CheckRefusals, forget, append(woken, step(1, abi.Clone{Flags: abi.CLONE_NEWCGROUP | abi.SIGCHLD}))...)
	if !strings.Contains(got, "refused") {
		t.Errorf("the waiter's refused clone cleared its result: %q, want a refusal failure", got)
	}
}

// TestSharedOffsetsFollowsANonLeadersExec: after a non-leader's exec the
// leader's tid names the exec'ing thread and its fd table (EXEC-5), so its
// fds are lined up with that thread's from before, not the old leader's.
// Found by TestRefinement once gen drew pipes: two tables whose fd 2 held
// the two ends of one pipe read as a split description.
func TestSharedOffsetsFollowsANonLeadersExec(t *testing.T) {
	steps := []traces.Step{
		{Tid: 1, Call: abi.Pipe2{}},
		{Tid: 1, Call: abi.Fork{}},
		{Tid: 2, Call: abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD | abi.SIGCHLD}},
		{Tid: 2, Call: abi.Dup{Fd: 0}},
		{Tid: 3, Call: abi.Dup{Fd: 1}},
		{Tid: 3, Call: abi.Execve{Image: "sh"}},
	}
	if _, err := Replay(opts, CheckSharedOffsets, []Backend{Model}, steps, nil); err != nil {
		t.Error(err)
	}
}
