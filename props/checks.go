package props

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// stepCtx is one backend's view of one step.
type stepCtx struct {
	before, after abi.View
	tid           int
	sc            abi.Syscall
	res           abi.Result
	// limit is the task limit (FORK-7).
	limit int
	// machine is the world's machine facts (MEM-3l: commit limit).
	machine abi.Machine
}

// unchanged reports whether the step left the View exactly as it was: what
// a refused step must do (WORLD-3).
func (c *stepCtx) unchanged() bool { return reflect.DeepEqual(c.before, c.after) }

// changedNothingElse reports whether the step changed nothing but what any
// step the caller performs changes: the result of its last sleep is
// collected (abi.TaskView.Return). What a failed call with no partial
// effect must do; a refused step is not performed and collects nothing.
func (c *stepCtx) changedNothingElse() bool {
	return reflect.DeepEqual(collected(c.before, c.tid), c.after)
}

// collected is v after task tid performed a step and nothing else changed:
// the call its last sleep completed, and that call's result, leave its
// TaskView (abi.TaskView.Return). v itself is not modified.
func collected(v abi.View, tid int) abi.View {
	i, ok := slices.BinarySearchFunc(v.Tasks, tid, func(t abi.TaskView, tid int) int { return t.Tid - tid })
	if !ok || !v.Tasks[i].Returned {
		return v
	}
	v.Tasks = slices.Clone(v.Tasks)
	v.Tasks[i].Call, v.Tasks[i].Returned, v.Tasks[i].Return = "", false, abi.Result{}
	return v
}

// properties runs the enabled checks for backend i.
func (m *Machine) properties(c *stepCtx, i int) error {
	if m.checks&CheckRefusals != 0 {
		if err := checkRefusals(c); err != nil {
			return err
		}
	}
	if m.checks&CheckCOWIsolation != 0 {
		if err := checkCOWIsolation(c); err != nil {
			return err
		}
	}
	if m.checks&CheckVforkFreeze != 0 {
		if err := m.vfork[i].check(c); err != nil {
			return err
		}
	}
	if m.checks&CheckExecResets != 0 {
		if err := checkExecResets(c); err != nil {
			return err
		}
	}
	if m.checks&CheckCloneValidation != 0 {
		if err := checkClone(c); err != nil {
			return err
		}
	}
	return nil
}

// checkRefusals: refusals change nothing (WORLD-3), and so does a failed
// call whose man page promises no partial effect. mprotect and madvise are
// left out: Linux applies them up to the first hole before ENOMEM (MEM-4,
// MEM-5); so is a MAP_SHARED|MAP_FIXED mmap that fails its commit charge
// (MEM-3l).
func checkRefusals(c *stepCtx) error {
	if c.res.Outcome.Refused() && !c.unchanged() {
		return fmt.Errorf("refused (%v) but the View changed", c.res)
	}
	if c.res.Err == 0 {
		return nil
	}
	switch s := c.sc.(type) {
	case abi.Mprotect, abi.Madvise:
		return nil
	case abi.Mmap:
		if c.res.Err == abi.ENOMEM && s.Flags&abi.MAP_TYPE == abi.MAP_SHARED && s.Flags&abi.MAP_FIXED != 0 {
			// MEM-3l: shmem's commit charge fails after the old page
			// tables were cleared: the range is left unmapped.
			return nil
		}
	case abi.Fork, abi.Vfork, abi.Clone, abi.Clone3:
		if c.res.Err == abi.EAGAIN {
			// copy_process calls recalc_sigpending before the task-limit
			// check, so a signal waiting for this thread is delivered
			// (ERESTARTNOINTR, then the restarted call fails EAGAIN): the
			// View may change by that delivery, but no task may appear.
			return createdNothing(c.before, c.after)
		}
	}
	if !c.changedNothingElse() {
		return fmt.Errorf("failed with %v but the View changed", c.res.Err)
	}
	return nil
}

// createdNothing reports a task in after that before did not have.
func createdNothing(before, after abi.View) error {
	for _, t := range after.Tasks {
		if _, ok := task(before, t.Tid); !ok {
			return fmt.Errorf("failed with EAGAIN but created task %d", t.Tid)
		}
	}
	return nil
}

// task finds tid in v.
func task(v abi.View, tid int) (abi.TaskView, bool) {
	i, ok := slices.BinarySearchFunc(v.Tasks, tid, func(t abi.TaskView, tid int) int { return t.Tid - tid })
	if !ok {
		return abi.TaskView{}, false
	}
	return v.Tasks[i], true
}

func mmOf(v abi.View, id int) (abi.MmView, bool) {
	for _, m := range v.Mms {
		if m.ID == id {
			return m, true
		}
	}
	return abi.MmView{}, false
}

// values maps each page address of m to its value.
func values(m abi.MmView) map[uint64]uint64 {
	out := make(map[uint64]uint64, len(m.Pages))
	for _, p := range m.Pages {
		out[p.Addr] = p.Value
	}
	return out
}

// mmPairs aligns the address spaces of before and after through the tasks
// that use them: ok is false when the tasks or their mms do not line up
// one-to-one (the step created, ended or exec'd something).
func mmPairs(before, after abi.View) (map[int]int, bool) {
	if len(before.Tasks) != len(after.Tasks) {
		return nil, false
	}
	pairs := map[int]int{}
	back := map[int]int{}
	for i, bt := range before.Tasks {
		at := after.Tasks[i]
		if at.Tid != bt.Tid || (at.Mm == 0) != (bt.Mm == 0) {
			return nil, false
		}
		if bt.Mm == 0 {
			continue
		}
		if p, ok := pairs[bt.Mm]; ok && p != at.Mm {
			return nil, false
		}
		if p, ok := back[at.Mm]; ok && p != bt.Mm {
			return nil, false
		}
		pairs[bt.Mm], back[at.Mm] = at.Mm, bt.Mm
	}
	return pairs, true
}

// checkCOWIsolation: a successful store is visible exactly through the
// writer's address space — or, for a MAP_SHARED page, through every page
// backed by the frame it wrote — and every other page keeps its value; a
// private page just written is backed by a frame no other page holds
// (COW-2, COW-5, MEM-1, MEM-2, VFORK-3). A load changes no value, and a
// page it brings in reads 0 (COW-7).
func checkCOWIsolation(c *stepCtx) error {
	var addr, val uint64
	isStore := false
	switch s := c.sc.(type) {
	case abi.Store:
		addr, val, isStore = s.Addr&^(abi.PageSize-1), s.Value, true
	case abi.Load:
	default:
		return nil
	}
	if c.res.Outcome != abi.OutcomeOK || c.res.Err != 0 {
		return nil
	}
	pairs, ok := mmPairs(c.before, c.after)
	if !ok {
		return fmt.Errorf("a %s changed the set of tasks or their address spaces", c.sc.Name())
	}
	writer, _ := task(c.before, c.tid)
	if !isStore {
		// A load returns the word the View shows at that page (0 when the
		// page holds no frame).
		addr := c.sc.(abi.Load).Addr &^ (abi.PageSize - 1)
		var want uint64
		if am, ok := mmOf(c.after, pairs[writer.Mm]); ok {
			want = values(am)[addr]
		}
		if c.res.Ret != want {
			return fmt.Errorf("load at %#x by %d returned %#x, but the page reads %#x in the View", addr, c.tid, c.res.Ret, want)
		}
	}
	var sharedFrame int
	private := true
	if isStore {
		wm, _ := mmOf(c.before, writer.Mm)
		for _, mp := range wm.Mappings {
			if addr >= mp.Start && addr < mp.End {
				private = !mp.Shared
			}
		}
		am, _ := mmOf(c.after, pairs[writer.Mm])
		found := false
		for _, p := range am.Pages {
			if p.Addr == addr {
				found, sharedFrame = true, p.Frame
				if p.Value != val {
					return fmt.Errorf("store %#x at %#x by %d: the writer reads %#x", val, addr, c.tid, p.Value)
				}
			}
		}
		if !found {
			return fmt.Errorf("store at %#x by %d: the page holds no frame afterwards", addr, c.tid)
		}
	}
	frameUse := map[int]int{}
	for _, m := range c.after.Mms {
		for _, p := range m.Pages {
			frameUse[p.Frame]++
		}
	}
	if isStore && private && frameUse[sharedFrame] != 1 {
		return fmt.Errorf("store at %#x by %d: the written private page shares its frame with %d other page(s)", addr, c.tid, frameUse[sharedFrame]-1)
	}
	for _, bm := range c.before.Mms {
		am, _ := mmOf(c.after, pairs[bm.ID])
		bv := values(bm)
		for _, p := range am.Pages {
			written := isStore && (bm.ID == writer.Mm && p.Addr == addr || !private && p.Frame == sharedFrame)
			old, had := bv[p.Addr]
			switch {
			case written:
				if p.Value != val {
					return fmt.Errorf("store at %#x by %d: page %#x of an mm used by %v, backed by the written frame, reads %#x", addr, c.tid, p.Addr, users(c.after, am.ID), p.Value)
				}
			case had && old != p.Value:
				return fmt.Errorf("%v by %d changed page %#x of an mm used by %v from %#x to %#x", c.sc, c.tid, p.Addr, users(c.after, am.ID), old, p.Value)
			case !had && p.Value != 0:
				return fmt.Errorf("%v by %d: page %#x of an mm used by %v appeared with value %#x", c.sc, c.tid, p.Addr, users(c.after, am.ID), p.Value)
			}
		}
	}
	return nil
}

// users lists the tids using mm id.
func users(v abi.View, id int) []int {
	var out []int
	for _, t := range v.Tasks {
		if t.Mm == id {
			out = append(out, t.Tid)
		}
	}
	return out
}
