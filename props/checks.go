package props

import (
	"fmt"
	"slices"
	"strings"

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
func (c *stepCtx) unchanged() bool { return c.before.Equal(c.after) }

// changedNothingElse reports whether the step changed nothing but what any
// step the caller performs changes: the result of its last sleep is
// collected (abi.TaskView.Return). What a failed call with no partial
// effect must do; a refused step is not performed and collects nothing.
func (c *stepCtx) changedNothingElse() bool {
	return collected(c.before, c.tid).Equal(c.after)
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

// properties runs the enabled checks for backend i, in the order of
// propertyNames, and returns the name of the first that fails with its
// error.
func (m *Machine) properties(c *stepCtx, i int) (string, error) {
	for _, p := range []struct {
		check Check
		fn    func(*stepCtx) error
	}{
		{CheckRefusals, checkRefusals},
		{CheckCOWIsolation, checkCOWIsolation},
		{CheckVforkFreeze, m.vfork[i].check},
		{CheckExecResets, checkExecResets},
		{CheckCloneValidation, checkClone},
		{CheckDontForkWipeOnFork, checkDontForkWipeOnFork},
		{CheckSignalInheritance, checkSignalInheritance},
		{CheckReparentTarget, checkReparentTarget},
		{CheckAutoReap, m.execs[i].checkAutoReap},
		{CheckWaitEligibility, checkWaitEligibility},
		{CheckSharedOffsets, checkSharedOffsets},
	} {
		if m.checks&p.check != 0 {
			if err := p.fn(c); err != nil {
				return p.check.String(), err
			}
		}
	}
	m.execs[i].update(c)
	return "", nil
}

// propertyNames names each Check (its constant without "Check").
var propertyNames = map[Check]string{
	CheckRefusals: "Refusals", CheckCOWIsolation: "COWIsolation", CheckVforkFreeze: "VforkFreeze",
	CheckExecResets: "ExecResets", CheckCloneValidation: "CloneValidation",
	CheckDontForkWipeOnFork: "DontForkWipeOnFork", CheckSignalInheritance: "SignalInheritance",
	CheckReparentTarget: "ReparentTarget", CheckAutoReap: "AutoReap", CheckWaitEligibility: "WaitEligibility",
	CheckSharedOffsets: "SharedOffsets",
}

// String names a single Check, or lists the Checks of a set.
func (c Check) String() string {
	if n, ok := propertyNames[c]; ok {
		return n
	}
	var names []string
	for b := Check(1); b != 0 && b <= c; b <<= 1 {
		if c&b != 0 {
			names = append(names, propertyNames[b])
		}
	}
	return strings.Join(names, "|")
}

// checkRefusals: refusals change nothing (WORLD-3), and so does a failed
// call whose man page promises no partial effect. mprotect and madvise are
// left out: Linux applies them up to the first hole before ENOMEM (MEM-4,
// MEM-5); so is a MAP_SHARED|MAP_FIXED mmap that fails its commit charge
// (MEM-3l); nor is a write that fails EPIPE, which sends SIGPIPE first
// (PIPE-3c), or a shared futex call, which may copy the page it names
// (FUTEX-3a): those may change what that implies and nothing else.
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
	case abi.Write:
		if c.res.Err == abi.EPIPE {
			return sigpipeOnly(c)
		}
	case abi.Futex:
		if c.res.Err != abi.EFAULT && c.res.Err != abi.ENOSYS {
			// FUTEX-3b: a shared futex's key takes the page as
			// get_user_pages_fast(FOLL_WRITE) does (get_futex_key): a
			// private page shared by COW is copied first; and reading
			// the word faults a MAP_SHARED page in (a frame appears).
			return framesOnly(c)
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

// sigpipeOnly: a write that fails EPIPE sent SIGPIPE to the writing thread
// first (pipe_write's send_sig), which the thread took on its way back
// (a handler run), left pending (blocked) or dropped (ignored); its way
// back may take other signals pending for it (get_signal). Nothing but
// signal state changes.
func sigpipeOnly(c *stepCtx) error {
	b := collected(c.before, c.tid)
	bt, _ := task(b, c.tid)
	at, ok := task(c.after, c.tid)
	if !ok {
		return fmt.Errorf("failed with EPIPE but the writer %d is gone", c.tid)
	}
	took := handledCount(at.Handled, abi.SIGPIPE) == handledCount(bt.Handled, abi.SIGPIPE)+1
	pending := at.Pending.Has(abi.SIGPIPE) && !bt.Pending.Has(abi.SIGPIPE)
	if !took && !pending && !sigpipeIgnored(b, bt) {
		return fmt.Errorf("failed with EPIPE, but SIGPIPE was neither taken, left pending nor ignored (PIPE-3c)")
	}
	if !withoutSignals(b).Equal(withoutSignals(c.after)) {
		return fmt.Errorf("failed with EPIPE but the View changed beyond signal state")
	}
	return nil
}

// sigpipeIgnored reports whether SIGPIPE is ignored for t: SIG_IGN, or
// SIG_DFL in init's group (WORLD-1), and not blocked.
func sigpipeIgnored(v abi.View, t abi.TaskView) bool {
	if t.Blocked.Has(abi.SIGPIPE) {
		return false
	}
	h := abi.SigDefault
	for _, s := range v.Sighands {
		if s.ID != t.Sighand {
			continue
		}
		for _, a := range s.Actions {
			if a.Sig == abi.SIGPIPE {
				h = a.Handler
			}
		}
	}
	return h == abi.SigIgnore || h == abi.SigDefault && t.Tgid == 1
}

func handledCount(hs []abi.SigCount, sig int) int {
	for _, h := range hs {
		if h.Sig == sig {
			return h.Count
		}
	}
	return 0
}

// withoutSignals is v with every pending set and handler count cleared.
func withoutSignals(v abi.View) abi.View {
	v.Tasks, v.Procs = slices.Clone(v.Tasks), slices.Clone(v.Procs)
	for i := range v.Tasks {
		v.Tasks[i].Pending, v.Tasks[i].Handled = 0, nil
	}
	for i := range v.Procs {
		v.Procs[i].Pending, v.Procs[i].Handled = 0, nil
	}
	return v
}

// framesOnly: the step changed nothing but which frames back pages (a
// copy-on-write break or a fresh zero frame on an untouched page); every
// page keeps its value (COW-7: a fresh page reads 0).
func framesOnly(c *stepCtx) error {
	b, a := collected(c.before, c.tid), c.after
	if len(b.Mms) != len(a.Mms) {
		return fmt.Errorf("failed with %v but the address spaces changed", c.res.Err)
	}
	for i := range b.Mms {
		bv, av := values(b.Mms[i]), values(a.Mms[i])
		for addr, v := range av {
			if bv[addr] != v {
				return fmt.Errorf("failed with %v but page %#x changed from %#x to %#x", c.res.Err, addr, bv[addr], v)
			}
		}
		for addr, v := range bv {
			if _, ok := av[addr]; !ok && v != 0 {
				return fmt.Errorf("failed with %v but page %#x lost its frame", c.res.Err, addr)
			}
		}
	}
	b, a = withoutFrames(b), withoutFrames(a)
	if !b.Equal(a) {
		return fmt.Errorf("failed with %v but the View changed beyond its frames", c.res.Err)
	}
	return nil
}

// withoutFrames is v with the Pages of every mm dropped.
func withoutFrames(v abi.View) abi.View {
	v.Mms = slices.Clone(v.Mms)
	for i := range v.Mms {
		v.Mms[i].Pages = nil
	}
	return v
}
