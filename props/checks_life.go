package props

import (
	"fmt"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// vforkTracker remembers, for one backend, which vfork child each frozen
// parent waits for. Invariant: every key was VforkFrozen in the last View
// checked.
type vforkTracker struct {
	waits map[int]int // parent tid -> child tid
}

// check verifies VFORK-2 and WORLD-3 for one step: a frozen task's own step
// is refused and changes nothing; a parent is released exactly when its
// child execs successfully or stops running (exit, exit_group, death, or
// de_thread by another thread's exec); and a vfork leaves the caller frozen.
func (vt *vforkTracker) check(c *stepCtx) error {
	if vt.waits == nil {
		vt.waits = map[int]int{}
	}
	if t, ok := task(c.before, c.tid); ok && t.State == abi.VforkFrozen {
		if c.res.Outcome != abi.OutcomeTaskFrozen {
			return fmt.Errorf("frozen task %d performed a step: %v, want task-frozen", c.tid, c.res)
		}
		if !c.unchanged() {
			return fmt.Errorf("frozen task %d's refused step changed the View", c.tid)
		}
	}
	actor, _ := task(c.before, c.tid)
	_, isExec := c.sc.(abi.Execve)
	execed := isExec && c.res.Outcome == abi.OutcomeExeced
	for _, p := range sortedKeys(vt.waits) {
		child := vt.waits[p]
		pa, alive := task(c.after, p)
		pb, _ := task(c.before, p)
		if !alive || pa.State == abi.Zombie || execed && actor.Tgid == pb.Tgid && c.tid != p {
			// Killed while frozen (VFORK-5), or killed by another thread's
			// exec (EXEC-5), which may have taken over its tid.
			delete(vt.waits, p)
			continue
		}
		cb, _ := task(c.before, child)
		childExeced := execed && (c.tid == child || actor.Tgid == cb.Tgid)
		ca, childThere := task(c.after, child)
		childGone := !childThere || ca.State == abi.Zombie
		switch {
		case pa.State == abi.VforkFrozen && (childExeced || childGone):
			return fmt.Errorf("vfork parent %d still frozen after its child %d %s", p, child, map[bool]string{true: "exec'd", false: "ended"}[childExeced])
		case pa.State != abi.VforkFrozen && !childExeced && !childGone:
			return fmt.Errorf("vfork parent %d released while its child %d neither exec'd nor ended", p, child)
		case pa.State != abi.VforkFrozen:
			delete(vt.waits, p)
		}
	}
	if c.res.Outcome == abi.OutcomeFrozen {
		child := int(c.res.Ret)
		pa, _ := task(c.after, c.tid)
		if pa.State != abi.VforkFrozen {
			return fmt.Errorf("vfork by %d returned frozen but the task is %v", c.tid, pa.State)
		}
		if _, ok := task(c.after, child); !ok {
			return fmt.Errorf("vfork by %d returned child %d, which does not exist", c.tid, child)
		}
		vt.waits[c.tid] = child
	}
	for _, t := range c.after.Tasks {
		if _, ok := vt.waits[t.Tid]; t.State == abi.VforkFrozen && !ok {
			return fmt.Errorf("task %d is frozen with no vfork child", t.Tid)
		}
	}
	return nil
}

func sortedKeys[V any](m map[int]V) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// checkExecResets verifies what a successful execve leaves (EXEC-1 … EXEC-6).
func checkExecResets(c *stepCtx) error {
	ex, ok := c.sc.(abi.Execve)
	if !ok || c.res.Outcome != abi.OutcomeExeced {
		return nil
	}
	old, _ := task(c.before, c.tid)
	g := old.Tgid
	t, ok := task(c.after, g)
	if !ok || t.State != abi.Running {
		return fmt.Errorf("after exec by %d, task %d (the group's pid) is not running", c.tid, g)
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	for _, u := range c.after.Tasks {
		if u.Tgid == g && u.Tid != g {
			bad("thread %d of group %d survived the exec (EXEC-5)", u.Tid, g)
		}
		if u.Tgid != g && u.Mm == t.Mm {
			bad("task %d shares the new mm (EXEC-1)", u.Tid)
		}
		if u.Tgid != g && u.FdTable == t.FdTable {
			bad("task %d still shares the fd table (EXEC-4)", u.Tid)
		}
		if u.Tgid != g && u.Sighand == t.Sighand {
			bad("task %d still shares the disposition table (EXEC-3)", u.Tid)
		}
	}
	if t.Image != ex.Image {
		bad("image %q, want %q", t.Image, ex.Image)
	}
	if t.ExitSignal != abi.SIGCHLD {
		bad("exit signal %d, want SIGCHLD (EXEC-6)", t.ExitSignal)
	}
	// The ppid is kept (EXEC-6) unless the parent died in this very step:
	// a vfork parent released by this exec acts on its pending signals then.
	if oldLeader, ok := task(c.before, g); ok && t.Ppid != oldLeader.Ppid && alive(c.after, oldLeader.Ppid) {
		bad("ppid %d, was %d (EXEC-6)", t.Ppid, oldLeader.Ppid)
	}
	if t.Blocked != old.Blocked {
		bad("mask %v, was %v (EXEC-3)", t.Blocked, old.Blocked)
	}
	// Memory: exactly the image's layout and initial values (EXEC-1).
	m, _ := mmOf(c.after, t.Mm)
	img := abi.Images[ex.Image]
	var want []abi.MappingView
	wantVals := map[uint64]uint64{}
	for _, im := range img.Mappings {
		want = append(want, abi.MappingView{Start: im.Addr, End: im.Addr + im.Pages*abi.PageSize, Prot: im.Prot, Shared: im.Flags&abi.MAP_SHARED != 0})
		for i, v := range im.Values {
			if v != 0 {
				wantVals[im.Addr+uint64(i)*abi.PageSize] = v
			}
		}
	}
	want = abi.Canonicalize(abi.View{Tasks: []abi.TaskView{{Mm: 1}}, Mms: []abi.MmView{{ID: 1, Mappings: want}}}).Mms[0].Mappings
	if !slices.Equal(m.Mappings, want) {
		bad("mappings %v, want the image's %v", m.Mappings, want)
	}
	got := values(m)
	if len(got) != len(wantVals) {
		bad("%d pages hold frames, want the image's %d", len(got), len(wantVals))
	}
	for a, v := range wantVals {
		if got[a] != v {
			bad("page %#x reads %#x, want %#x", a, got[a], v)
		}
	}
	// Dispositions: handlers reset, flags cleared, ignored stay ignored (EXEC-3).
	oldActs := map[int]abi.ActionView{}
	for _, s := range c.before.Sighands {
		if s.ID == old.Sighand {
			for _, a := range s.Actions {
				oldActs[a.Sig] = a
			}
		}
	}
	for _, s := range c.after.Sighands {
		if s.ID != t.Sighand {
			continue
		}
		for _, a := range s.Actions {
			if a.Handler == abi.SigHandle || a.Flags != 0 {
				bad("signal %d keeps %v flags %#x after exec", a.Sig, a.Handler, a.Flags)
			}
			if a.Handler == abi.SigIgnore && oldActs[a.Sig].Handler != abi.SigIgnore {
				bad("signal %d is ignored after exec but was %v", a.Sig, oldActs[a.Sig].Handler)
			}
			delete(oldActs, a.Sig)
		}
	}
	for _, sig := range sortedKeys(oldActs) {
		if oldActs[sig].Handler == abi.SigIgnore {
			bad("signal %d was ignored and is not after exec", sig)
		}
	}
	// Fds: the close-on-exec ones closed, the rest kept (EXEC-4).
	var wantFds []int
	for _, ft := range c.before.FdTables {
		if ft.ID == old.FdTable {
			for _, f := range ft.Fds {
				if !f.Cloexec {
					wantFds = append(wantFds, f.Fd)
				}
			}
		}
	}
	var gotFds []int
	for _, ft := range c.after.FdTables {
		if ft.ID == t.FdTable {
			for _, f := range ft.Fds {
				gotFds = append(gotFds, f.Fd)
			}
		}
	}
	if !slices.Equal(gotFds, wantFds) {
		bad("fds %v after exec, want %v", gotFds, wantFds)
	}
	if len(errs) > 0 {
		return fmt.Errorf("exec %s by %d: %v", ex.Image, c.tid, errs)
	}
	return nil
}

// alive reports whether process tgid has a task that is not a zombie.
func alive(v abi.View, tgid int) bool {
	for _, t := range v.Tasks {
		if t.Tgid == tgid && t.State != abi.Zombie {
			return true
		}
	}
	return false
}
