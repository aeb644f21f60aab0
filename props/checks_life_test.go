package props

import (
	"slices"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// Each property of checks_inherit.go, checks_reap.go, checks_wait.go and
// checks_fd.go notices a backend that is wrong in exactly its way, and is
// quiet on the same steps done right (props/life_test.go runs them on
// generated steps; the closing note of issue 16 shows each catching a bug
// injected into impl).

// resultBender wraps the model and rewrites the Result of chosen steps.
type resultBender struct {
	abi.Kernel
	bend func(sc abi.Syscall, r *abi.Result)
}

func (k *resultBender) Step(tid int, sc abi.Syscall) abi.Result {
	r := k.Kernel.Step(tid, sc)
	k.bend(sc, &r)
	return r
}

// resultFails is propertyFails for a backend whose Results are bent.
func resultFails(t *testing.T, checks Check, bend func(abi.Syscall, *abi.Result), steps ...func(m *Machine) (abi.Result, error)) string {
	t.Helper()
	return bentFails(t, checks, func(cfg abi.Config) abi.Kernel { return &resultBender{Kernel: Model.New(cfg), bend: bend} }, steps...)
}

func noBend(abi.Syscall, *abi.View) {}

// after bends v only after a step like sc.
func after[S abi.Syscall](f func(v *abi.View)) func(abi.Syscall, *abi.View) {
	return func(last abi.Syscall, v *abi.View) {
		if _, ok := last.(S); ok {
			f(v)
		}
	}
}

func wantFailure(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("%s: %q, want a failure saying %q", what, got, want)
	}
}

func TestDontForkWipeOnForkSeesALostMark(t *testing.T) {
	steps := []func(*Machine) (abi.Result, error){
		step(1, abi.Store{Addr: page, Value: 0x77}),
		step(1, abi.Madvise{Addr: page, Len: abi.PageSize, Advice: abi.MADV_WIPEONFORK}),
		step(1, abi.Fork{}),
	}
	unmark := after[abi.Fork](func(v *abi.View) {
		for i := range v.Mms[1].Mappings {
			v.Mms[1].Mappings[i].WipeOnFork = false
		}
		*v = abi.Canonicalize(*v)
	})
	wantFailure(t, "the child lost the WIPEONFORK mark", propertyFails(t, CheckDontForkWipeOnFork, unmark, steps...), "FORK-6")
	if got := propertyFails(t, CheckDontForkWipeOnFork, noBend, steps...); got != "" {
		t.Errorf("a correct fork of a marked page: %q", got)
	}
}

func TestSignalInheritanceSeesInheritedPending(t *testing.T) {
	steps := []func(*Machine) (abi.Result, error){
		step(1, abi.Sigprocmask{How: abi.SIG_BLOCK, Set: abi.SigBit(abi.SIGUSR1)}),
		step(1, abi.Kill{Pid: 1, Sig: abi.SIGUSR1}),
		step(1, abi.Fork{}),
	}
	inherit := after[abi.Fork](func(v *abi.View) { v.Procs[1].Pending = v.Procs[0].Pending })
	wantFailure(t, "a fork child with its parent's pending signal", propertyFails(t, CheckSignalInheritance, inherit, steps...), "FORK-3")
	if got := propertyFails(t, CheckSignalInheritance, noBend, steps...); got != "" {
		t.Errorf("a correct fork with a blocked pending signal: %q", got)
	}
	lose := after[abi.Execve](func(v *abi.View) { v.Procs[0].Pending = 0 })
	got := propertyFails(t, CheckSignalInheritance, lose, steps[0], steps[1], step(1, abi.Execve{Image: "sh"}))
	wantFailure(t, "an exec that drops a blocked pending signal", got, "EXEC-3")
}

func TestReparentTargetSeesAMissedSubreaper(t *testing.T) {
	steps := []func(*Machine) (abi.Result, error){
		step(1, abi.Fork{}), // 2, the subreaper
		step(2, abi.Prctl{Option: abi.PR_SET_CHILD_SUBREAPER, Arg: 1}),
		step(2, abi.Fork{}), // 3
		step(3, abi.Fork{}), // 4, orphaned by 3's exit
		step(3, abi.ExitGroup{}),
	}
	toInit := after[abi.ExitGroup](func(v *abi.View) {
		for i := range v.Tasks {
			if v.Tasks[i].Tid == 4 {
				v.Tasks[i].Ppid = 1
			}
		}
	})
	wantFailure(t, "an orphan given to init past a subreaper", propertyFails(t, CheckReparentTarget, toInit, steps...), "REAP-1")
	if got := propertyFails(t, CheckReparentTarget, noBend, steps...); got != "" {
		t.Errorf("an orphan given to its subreaper grandparent: %q", got)
	}
}

func TestAutoReapSeesAZombieLeft(t *testing.T) {
	steps := []func(*Machine) (abi.Result, error){
		step(1, abi.Sigaction{Sig: abi.SIGCHLD, Handler: abi.SigHandle, Flags: abi.SA_NOCLDWAIT}),
		step(1, abi.Fork{}),
		step(2, abi.ExitGroup{Code: 3}),
	}
	keep := after[abi.ExitGroup](func(v *abi.View) {
		v.Tasks = append(v.Tasks, abi.TaskView{Tid: 2, Tgid: 2, Ppid: 1, State: abi.Zombie, ExitSignal: abi.SIGCHLD, WaitStatus: abi.WaitExited(3), Image: "init"})
		v.Procs = append(v.Procs, abi.ProcView{Tgid: 2})
		*v = abi.Canonicalize(*v)
	})
	wantFailure(t, "a zombie left under SA_NOCLDWAIT", propertyFails(t, CheckAutoReap, keep, steps...), "stays a zombie")
	if got := propertyFails(t, CheckAutoReap, noBend, steps...); got != "" {
		t.Errorf("a child reaped at once under SA_NOCLDWAIT: %q", got)
	}
	// With the default disposition the zombie stays.
	vanish := after[abi.ExitGroup](func(v *abi.View) {
		v.Tasks = slices.DeleteFunc(v.Tasks, func(t abi.TaskView) bool { return t.Tid == 2 })
		v.Procs = slices.DeleteFunc(v.Procs, func(p abi.ProcView) bool { return p.Tgid == 2 })
	})
	wantFailure(t, "a zombie reaped under SIG_DFL", propertyFails(t, CheckAutoReap, vanish, steps[1:]...), "reaped at once")
}

func TestWaitEligibilitySeesAWrongStatus(t *testing.T) {
	steps := []func(*Machine) (abi.Result, error){
		step(1, abi.Clone{Flags: abi.SIGUSR1}),
		step(2, abi.ExitGroup{Code: 5}),
		step(1, abi.Wait4{Pid: -1, Options: abi.WNOHANG}), // a clone child: not seen without __WCLONE
		step(1, abi.Wait4{Pid: -1, Options: abi.WCLONE}),
	}
	status := func(sc abi.Syscall, r *abi.Result) {
		if w, ok := sc.(abi.Wait4); ok && w.Options == abi.WCLONE {
			r.Status = 0
		}
	}
	wantFailure(t, "wait4 reporting a wrong status", resultFails(t, CheckWaitEligibility, status, steps...), "status")
	sees := func(sc abi.Syscall, r *abi.Result) {
		if w, ok := sc.(abi.Wait4); ok && w.Options == abi.WNOHANG {
			*r = abi.Result{Ret: 2, Status: abi.WaitExited(5)}
		}
	}
	wantFailure(t, "a plain wait4 seeing a clone child", resultFails(t, CheckWaitEligibility, sees, steps...), "WAIT")
	if got := resultFails(t, CheckWaitEligibility, func(abi.Syscall, *abi.Result) {}, steps...); got != "" {
		t.Errorf("a clone child reaped by __WCLONE only: %q", got)
	}
}

func TestSharedOffsetsSeesASplitDescription(t *testing.T) {
	steps := []func(*Machine) (abi.Result, error){
		step(1, abi.Open{Path: "a"}),
		step(1, abi.Write{Fd: 0, N: 5}),
		step(1, abi.Fork{}),
		step(2, abi.Write{Fd: 0, N: 3}),
	}
	split := after[abi.Fork](func(v *abi.View) {
		v.FdTables[1].Fds[0].File = 99 // the child's own description
		v.Files = append(v.Files, abi.FileView{ID: 99, Path: "a", Offset: 5})
		*v = abi.Canonicalize(*v)
	})
	wantFailure(t, "a fork child with copied descriptions", propertyFails(t, CheckSharedOffsets, split, steps...), "FORK-4")
	stuck := after[abi.Write](func(v *abi.View) { v.Files[0].Offset = 5 })
	wantFailure(t, "a write that does not move the offset", propertyFails(t, CheckSharedOffsets, stuck, steps...), "FD-3")
	if got := propertyFails(t, CheckSharedOffsets, noBend, steps...); got != "" {
		t.Errorf("writes through a shared description: %q", got)
	}
}
