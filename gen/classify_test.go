package gen

import (
	"slices"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

const dataPage = abi.ArenaStart + 0x200000 // init's writable page with value 0x21

func has(evs []Event, e Event) bool { return slices.Contains(evs, e) }

// storeInChild is forkedView after task 2 stored 0x99 at dataPage: the
// child's page now has its own frame.
func storeInChild() abi.View {
	v := forkedView()
	m := &v.Mms[1]
	for i := range m.Pages {
		if m.Pages[i].Addr == dataPage {
			m.Pages[i].Value, m.Pages[i].Frame = 0x99, 1000
		}
	}
	return abi.Canonicalize(v)
}

func TestClassifierCOWCopyThenReuse(t *testing.T) {
	var c Classifier
	before, after := forkedView(), storeInChild()
	evs := c.Events(before, after, 2, abi.Store{Addr: dataPage + 8, Value: 0x99}, abi.Ok(0))
	if !has(evs, COWCopy) || has(evs, COWReuse) {
		t.Fatalf("store to a shared private page: %v, want cow-copy only", evs)
	}
	// The child exits and is reaped: the parent's page is exclusive now,
	// but was shared, so its next store is a reuse.
	gone := initView()
	c.Events(after, gone, 2, abi.ExitGroup{}, abi.Result{Outcome: abi.OutcomeExited})
	evs = c.Events(gone, gone, 1, abi.Store{Addr: dataPage, Value: 5}, abi.Ok(0))
	if !has(evs, COWReuse) || has(evs, COWCopy) {
		t.Fatalf("first store after the sharer left: %v, want cow-reuse", evs)
	}
	evs = c.Events(gone, gone, 1, abi.Store{Addr: dataPage, Value: 6}, abi.Ok(0))
	if has(evs, COWReuse) || has(evs, COWCopy) {
		t.Fatalf("second store: %v, want neither copy nor reuse", evs)
	}
}

func TestClassifierVforkRelease(t *testing.T) {
	frozen := forkedView()
	frozen.Tasks[0].State = abi.VforkFrozen
	frozen.Tasks[1].Mm = frozen.Tasks[0].Mm
	frozen = abi.Canonicalize(frozen)
	released := forkedView()
	released.Tasks[1].Image = "sh"

	var c Classifier
	c.Events(initView(), frozen, 1, abi.Vfork{}, abi.Result{Ret: 2, Outcome: abi.OutcomeFrozen})
	evs := c.Events(frozen, frozen, 2, abi.Execve{Image: "nosuch"}, abi.Fail(abi.ENOENT))
	if !has(evs, FailedExecKeepsFrozen) {
		t.Errorf("failed exec of the vfork child: %v, want failed-exec-keeps-frozen", evs)
	}
	evs = c.Events(frozen, released, 2, abi.Execve{Image: "sh"}, abi.Result{Outcome: abi.OutcomeExeced})
	if !has(evs, VforkReleasedByExec) || has(evs, VforkReleasedByExit) {
		t.Errorf("exec of the vfork child: %v, want vfork-released-by-exec", evs)
	}
	zombie := forkedView()
	zombie.Tasks[1] = abi.TaskView{Tid: 2, Tgid: 2, Ppid: 1, State: abi.Zombie, ExitSignal: abi.SIGCHLD, Image: "init"}
	zombie = abi.Canonicalize(zombie)
	evs = c.Events(frozen, zombie, 2, abi.ExitGroup{}, abi.Result{Outcome: abi.OutcomeExited})
	if !has(evs, VforkReleasedByExit) || has(evs, AutoReap) {
		t.Errorf("exit of the vfork child: %v, want vfork-released-by-exit and no auto-reap (a zombie stays)", evs)
	}
	evs = c.Events(frozen, initView(), 2, abi.ExitGroup{}, abi.Result{Outcome: abi.OutcomeExited})
	if !has(evs, AutoReap) {
		t.Errorf("exit leaving no zombie: %v, want auto-reap", evs)
	}
	evs = c.Events(zombie, initView(), 1, abi.Wait4{Pid: -1}, abi.Result{Ret: 2})
	if has(evs, AutoReap) || !has(evs, Reaped) {
		t.Errorf("wait4 reaping: %v, want reaped and no auto-reap", evs)
	}
}

func TestClassifierReparentAndDeath(t *testing.T) {
	// 1 -> 2 -> 3; 2 dies, 3 moves to init.
	v := forkedView()
	v.Tasks = append(v.Tasks, abi.TaskView{Tid: 3, Tgid: 3, Ppid: 2, State: abi.Running, ExitSignal: abi.SIGCHLD, Image: "init", Mm: 2, FdTable: 2, Sighand: 2, Fs: 2})
	v.Procs = append(v.Procs, abi.ProcView{Tgid: 3})
	before := abi.Canonicalize(v)
	after := abi.Canonicalize(v)
	after.Tasks[1] = abi.TaskView{Tid: 2, Tgid: 2, Ppid: 1, State: abi.Zombie, ExitSignal: abi.SIGCHLD, WaitStatus: abi.WaitSignaled(abi.SIGSEGV), Image: "init"}
	after.Tasks[2].Ppid = 1
	after = abi.Canonicalize(after)
	var c Classifier
	evs := c.Events(before, after, 2, abi.Load{Addr: 0x1000}, abi.Result{Outcome: abi.OutcomeKilled, Signal: abi.SIGSEGV})
	if !has(evs, SIGSEGVDeath) || !has(evs, ReparentToInit) || has(evs, ReparentToSubreaper) {
		t.Errorf("death by SIGSEGV with a child: %v, want sigsegv-death and reparent-to-init", evs)
	}
	before.Procs[0].Subreaper = true
	after.Procs[0].Subreaper = true
	after.Tasks[2].Ppid = 1
	// A subreaper that is not init: make 1's child 2 the subreaper of 3's move.
	evs = c.Events(before, after, 2, abi.ExitGroup{}, abi.Result{Outcome: abi.OutcomeExited})
	if !has(evs, ReparentToInit) {
		t.Errorf("move to pid 1 counts as reparent-to-init even when init is marked: %v", evs)
	}
}

func TestClassifierSharedTablesAndMarks(t *testing.T) {
	v := forkedView()
	v.Tasks[1].FdTable = v.Tasks[0].FdTable
	v.Tasks[1].Sighand = v.Tasks[0].Sighand
	v.Mms[0].Mappings[1].DontFork = true
	v = abi.Canonicalize(v)
	var c Classifier
	if evs := c.Events(v, v, 2, abi.Open{Path: "a"}, abi.Ok(0)); !has(evs, FilesShared) {
		t.Errorf("open through a shared table: %v, want clone-files-shared", evs)
	}
	if evs := c.Events(v, v, 2, abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle}, abi.Ok(0)); !has(evs, SighandShared) {
		t.Errorf("sigaction through a shared table: %v, want clone-sighand-shared", evs)
	}
	if evs := c.Events(v, v, 1, abi.Fork{}, abi.Ok(3)); !has(evs, DontFork) || has(evs, WipeOnFork) {
		t.Errorf("fork with a DONTFORK range: %v, want dontfork", evs)
	}
	if evs := c.Events(v, v, 1, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD}, abi.Ok(4)); has(evs, DontFork) {
		t.Errorf("a thread does not skip DONTFORK ranges (MEM-6): %v", evs)
	}
	if evs := c.Events(v, v, 1, abi.Fork{}, abi.Fail(abi.EAGAIN)); !has(evs, TaskLimit) || has(evs, DontFork) {
		t.Errorf("fork failing EAGAIN: %v, want task-limit only", evs)
	}
}

func TestCoverageMissing(t *testing.T) {
	var c Coverage
	if len(c.Missing()) != len(Required()) {
		t.Fatalf("empty coverage misses %d, want all %d", len(c.Missing()), len(Required()))
	}
	for _, e := range Required() {
		c.Add([]Event{e})
	}
	if m := c.Missing(); len(m) != 0 {
		t.Errorf("full coverage misses %v", m)
	}
	for e := Event(0); e < NumEvents; e++ {
		if eventNames[e] == "" {
			t.Errorf("event %d has no name", e)
		}
	}
}
