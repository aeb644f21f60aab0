package linux

import (
	"os"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// Hand-checked observations of the real kernel, independent of the model:
// each asserts what Linux does, so that a driver bug cannot hide behind a
// model bug that agrees with it.

// pfn returns the raw frame number backing addr in task tid (0 when the
// page holds no data frame), straight from /proc/PID/pagemap.
func pfn(t *testing.T, k *Kernel, tid int, addr uint64) uint64 {
	t.Helper()
	pt, ok, err := k.findTask(tid)
	if err != nil || !ok {
		t.Fatalf("task %d: %v", tid, err)
	}
	f, err := os.Open(k.taskDir(pt.Tgid, pt.Tid) + "/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := addr &^ (abi.PageSize - 1)
	e, err := (&pagemapFile{f: f}).frames(page, page+abi.PageSize, make([]uint64, 1))
	if err != nil {
		t.Fatal(err)
	}
	zero, _ := zeroFrame()
	if e[0]>>63 == 0 || e[0]&pfnMask == zero {
		return 0
	}
	return e[0] & pfnMask
}

func taskView(t *testing.T, v abi.View, tid int) abi.TaskView {
	t.Helper()
	for _, tv := range v.Tasks {
		if tv.Tid == tid {
			return tv
		}
	}
	t.Fatalf("no task %d in %+v", tid, v.Tasks)
	return abi.TaskView{}
}

// COW-1..3 with raw frame numbers across steps.
func TestCOWFrames(t *testing.T) {
	k := newWorld(t, abi.Config{})
	before := pfn(t, k, 1, data)
	if before == 0 {
		t.Fatal("init's data page holds no frame")
	}
	if r := do(t, k, 1, abi.Fork{}); r.Ret != 2 {
		t.Fatalf("fork: %v", r)
	}
	if got := pfn(t, k, 2, data); got != before {
		t.Fatalf("COW-1: child frame %d, parent %d", got, before)
	}
	do(t, k, 2, abi.Store{Addr: data, Value: 0xabc})
	child := pfn(t, k, 2, data)
	if child == 0 || child == before || pfn(t, k, 1, data) != before {
		t.Fatalf("COW-2: after the child's store child=%d parent=%d (was %d)", child, pfn(t, k, 1, data), before)
	}
	if r := do(t, k, 1, abi.Load{Addr: data}); r.Ret != 0x21 {
		t.Fatalf("MEM-1: parent reads %v", r)
	}
	// COW-3: the child's second store reuses its own frame; after the child
	// exits, the parent's store reuses the frame it no longer shares.
	other := pfn(t, k, 1, data+4096)
	do(t, k, 2, abi.Store{Addr: data, Value: 0xdef})
	if got := pfn(t, k, 2, data); got != child {
		t.Fatalf("COW-3: exclusive frame %d copied to %d", child, got)
	}
	do(t, k, 2, abi.ExitGroup{Code: 0})
	do(t, k, 1, abi.Store{Addr: data + 4096, Value: 1})
	if got := pfn(t, k, 1, data+4096); got != other {
		t.Fatalf("COW-3: parent frame %d copied to %d after the child exited", other, got)
	}
	v := view(t, k)
	if len(v.Mms) != 1 || len(v.Mms[0].Pages) != 3 {
		t.Fatalf("want init's one mm with 3 data pages, got %+v", v.Mms)
	}
}

// VFORK-2, VFORK-3: the parent is frozen (state D) and shares memory until
// the child's exec.
func TestVforkFreezeRelease(t *testing.T) {
	k := newWorld(t, abi.Config{})
	if r := do(t, k, 1, abi.Vfork{}); r.Ret != 2 || r.Outcome != abi.OutcomeFrozen {
		t.Fatalf("vfork: %v", r)
	}
	v := view(t, k)
	if p, c := taskView(t, v, 1), taskView(t, v, 2); p.State != abi.VforkFrozen || c.State != abi.Running || p.Mm != c.Mm {
		t.Fatalf("after vfork: parent %+v child %+v", p, c)
	}
	if r := do(t, k, 1, abi.Getpid{}); r.Outcome != abi.OutcomeTaskFrozen {
		t.Fatalf("a frozen parent stepped: %v", r)
	}
	do(t, k, 2, abi.Store{Addr: data, Value: 0x77})
	if pfn(t, k, 1, data) != pfn(t, k, 2, data) {
		t.Fatal("VFORK-3: the child's store was copied")
	}
	if r := do(t, k, 2, abi.Execve{Image: "missing"}); r.Err != abi.ENOENT {
		t.Fatalf("exec of a missing image: %v", r)
	}
	if taskView(t, view(t, k), 1).State != abi.VforkFrozen {
		t.Fatal("VFORK-2: a failed exec released the parent")
	}
	if r := do(t, k, 2, abi.Execve{Image: "true"}); r.Outcome != abi.OutcomeExeced {
		t.Fatalf("exec: %v", r)
	}
	v = view(t, k)
	if p, c := taskView(t, v, 1), taskView(t, v, 2); p.State != abi.Running || c.Image != "true" || p.Mm == c.Mm {
		t.Fatalf("after exec: parent %+v child %+v", p, c)
	}
	if r := do(t, k, 1, abi.Load{Addr: data}); r.Ret != 0x77 {
		t.Fatalf("VFORK-3: parent reads %v, want the child's store", r)
	}
}

// THR-1, EXIT-2: a thread's identity; the leader exits first and stays a
// zombie until the last thread, whose code is reported.
func TestThreadsAndZombies(t *testing.T) {
	k := newWorld(t, abi.Config{})
	do(t, k, 1, abi.Fork{})
	do(t, k, 2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD})
	for _, c := range []struct {
		sc   abi.Syscall
		want uint64
	}{{abi.Getpid{}, 2}, {abi.Gettid{}, 3}, {abi.Getppid{}, 1}} {
		if r := do(t, k, 3, c.sc); r.Ret != c.want {
			t.Fatalf("THR-1: %v -> %v, want %d", c.sc, r, c.want)
		}
	}
	if tv := taskView(t, view(t, k), 3); tv.Tgid != 2 || tv.ExitSignal != -1 {
		t.Fatalf("thread view %+v", tv)
	}
	do(t, k, 2, abi.Exit{Code: 1})
	if r := do(t, k, 1, abi.Wait4{Pid: 2, Options: abi.WNOHANG}); r.Ret != 0 || r.Err != 0 {
		t.Fatalf("EXIT-2: leader with a live thread was waitable: %v", r)
	}
	if tv := taskView(t, view(t, k), 2); tv.State != abi.Zombie {
		t.Fatalf("leader %+v", tv)
	}
	do(t, k, 3, abi.Exit{Code: 7})
	v := view(t, k)
	if tv := taskView(t, v, 2); tv.State != abi.Zombie || tv.WaitStatus != abi.WaitExited(7) || len(v.Tasks) != 2 {
		t.Fatalf("EXIT-2: after the last thread: %+v", v.Tasks)
	}
	if r := do(t, k, 1, abi.Wait4{Pid: -1}); r.Ret != 2 || r.Status != abi.WaitExited(7) {
		t.Fatalf("wait4: %v", r)
	}
	if r := do(t, k, 1, abi.Wait4{Pid: 2, Options: abi.WNOHANG}); r.Err != abi.ECHILD {
		t.Fatalf("WAIT-1: %v", r)
	}
}

// EXEC-5: a non-leader's exec takes over the group's pid.
func TestExecByThread(t *testing.T) {
	k := newWorld(t, abi.Config{})
	do(t, k, 1, abi.Fork{})
	do(t, k, 2, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD})
	if r := do(t, k, 3, abi.Execve{Image: "worker"}); r.Outcome != abi.OutcomeExeced {
		t.Fatalf("exec: %v", r)
	}
	v := view(t, k)
	if len(v.Tasks) != 2 || taskView(t, v, 2).Image != "worker" {
		t.Fatalf("EXEC-5: %+v", v.Tasks)
	}
	if r := do(t, k, 3, abi.Getpid{}); r.Outcome != abi.OutcomeNoTask {
		t.Fatalf("the old tid still steps: %v", r)
	}
	if r := do(t, k, 2, abi.Load{Addr: abi.ArenaStart + 0x40000000}); r.Ret != 0x99 {
		t.Fatalf("worker's shared page: %v", r)
	}
}

// SIG-2: handler runs are counted per process.
func TestHandlerCount(t *testing.T) {
	k := newWorld(t, abi.Config{})
	do(t, k, 1, abi.Fork{})
	do(t, k, 2, abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle})
	do(t, k, 1, abi.Kill{Pid: 2, Sig: abi.SIGUSR1})
	do(t, k, 1, abi.Kill{Pid: 2, Sig: abi.SIGUSR1})
	v := view(t, k)
	if h := v.Procs[1].Handled; len(h) != 1 || h[0] != (abi.SigCount{Sig: abi.SIGUSR1, Count: 2}) {
		t.Fatalf("handled: %+v", v.Procs)
	}
	if a := v.Sighands[1].Actions; len(a) != 1 || a[0].Handler != abi.SigHandle {
		t.Fatalf("actions: %+v", v.Sighands)
	}
}

// FD-3: open file descriptions and shared offsets across fork.
func TestSharedOffsets(t *testing.T) {
	k := newWorld(t, abi.Config{})
	do(t, k, 1, abi.Open{Path: "a"})
	do(t, k, 1, abi.Fork{})
	do(t, k, 2, abi.Write{Fd: 0, N: 12})
	if r := do(t, k, 1, abi.Lseek{Fd: 0, Offset: 0, Whence: abi.SEEK_CUR}); r.Ret != 12 {
		t.Fatalf("FD-3: %v", r)
	}
	v := view(t, k)
	if len(v.Files) != 1 || v.Files[0].Offset != 12 || len(v.Inodes) != 1 || v.Inodes[0].Size != 12 || len(v.FdTables) != 2 {
		t.Fatalf("files %+v inodes %+v tables %+v", v.Files, v.Inodes, v.FdTables)
	}
}
