package props

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// checkWaitEligibility is WAIT-1 … WAIT-4 for a wait4 by a running task,
// computed from the View before the step alone:
//
//   - options outside Wait4Valid → EINVAL; pid INT_MIN → ESRCH;
//   - the matching children are the processes (never threads) whose parent
//     is the caller's group, with that pid if pid > 0, and by termination
//     signal: SIGCHLD ones only by default, the others only with __WCLONE,
//     both with __WALL; none → ECHILD;
//   - a match is waitable when its leader is a zombie and no other thread
//     of it is left: the wait returns one of those, with its status, and
//     the View loses exactly that process;
//   - matches but none waitable: 0 under WNOHANG (nothing changes but the
//     caller's collected sleep result, abi.TaskView.Return), else the
//     caller sleeps in the call (WAIT-6), or the step is refused when
//     another thread of its group already sleeps in wait4 (abi.Refusal).
//
// With __WNOTHREAD only the children the calling thread itself created
// count, which the View does not show: then the matches are an upper bound
// and only "a reaped process is a waitable match" is checked.
func checkWaitEligibility(c *stepCtx) error {
	w, ok := c.sc.(abi.Wait4)
	if !ok {
		return nil
	}
	caller, ok := task(c.before, c.tid)
	if !ok || caller.State != abi.Running {
		return nil // WORLD-3: checked as a refusal
	}
	opts := int64(uint32(w.Options)) // an int: Linux reads the low 32 bits
	pid := int(int32(w.Pid))
	fail := func(want string) error {
		return fmt.Errorf("WAIT: %v by %d returned %v, want %s", w, c.tid, c.res, want)
	}
	switch {
	case opts&^abi.Wait4Valid != 0:
		if c.res.Err != abi.EINVAL {
			return fail("EINVAL (WAIT-3: unknown options)")
		}
		return nil
	case pid == math.MinInt32:
		if c.res.Err != abi.ESRCH {
			return fail("ESRCH (pid INT_MIN)")
		}
		return nil
	case pid == 0 || pid < -1:
		return nil // process groups: not modelled
	}
	var matches, waitable []int
	for _, t := range c.before.Tasks {
		clone := t.ExitSignal != abi.SIGCHLD // __WCLONE's "clone children" (eligible_child)
		if t.Tid != t.Tgid || t.Ppid != caller.Tgid || pid > 0 && t.Tgid != pid ||
			opts&abi.WALL == 0 && clone != (opts&abi.WCLONE != 0) {
			continue
		}
		matches = append(matches, t.Tgid)
		if t.State == abi.Zombie && !alive(c.before, t.Tgid) && len(tasksOf(c.before, t.Tgid)) == 1 {
			waitable = append(waitable, t.Tgid)
		}
	}
	nothread := opts&abi.WNOTHREAD != 0
	switch {
	case c.res.Err == 0 && c.res.Outcome == abi.OutcomeOK && c.res.Ret != 0:
		g := int(c.res.Ret)
		if !slices.Contains(waitable, g) {
			return fail(fmt.Sprintf("one of the waitable children %v (WAIT-1: matching %v)", waitable, matches))
		}
		z, _ := task(c.before, g)
		if c.res.Status != z.WaitStatus {
			return fail(fmt.Sprintf("status %#x, the zombie's (WAIT-1)", z.WaitStatus))
		}
		if want := without(collected(c.before, c.tid), g); !reflect.DeepEqual(c.after, want) {
			return fmt.Errorf("WAIT-1: %v by %d reaped %d, but the View changed otherwise:\n%s", w, c.tid, g, viewDiff(want, c.after))
		}
		return nil
	case nothread:
		if len(matches) == 0 && c.res.Err != abi.ECHILD {
			return fail("ECHILD (WAIT-2: no child matches even for the whole group)")
		}
		return nil
	case len(matches) == 0:
		if c.res.Err != abi.ECHILD {
			return fail("ECHILD (WAIT-2: no child matches)")
		}
	case len(waitable) > 0:
		return fail(fmt.Sprintf("one of the waitable children %v (WAIT-1, WAIT-4)", waitable))
	case opts&abi.WNOHANG != 0:
		if c.res != abi.Ok(0) {
			return fail(fmt.Sprintf("0: children %v match but none is waitable (WAIT-2)", matches))
		}
		if !c.changedNothingElse() {
			return fmt.Errorf("WAIT-2: %v by %d returned 0 but the View changed", w, c.tid)
		}
	case c.res.Outcome == abi.OutcomeUnsupported:
		if !groupWaits(c.before, caller) {
			return fail(fmt.Sprintf("a sleep: children %v match, none waitable, and no other thread of the group waits (WAIT-6)", matches))
		}
	case c.res.Outcome != abi.OutcomeBlocked:
		return fail(fmt.Sprintf("a sleep: children %v match, none waitable (WAIT-6)", matches))
	default:
		if at, _ := task(c.after, c.tid); at.State != abi.Blocked || at.Call != w.String() {
			return fmt.Errorf("WAIT-6: %v by %d sleeps, but the View shows it %v in %q", w, c.tid, at.State, at.Call)
		}
	}
	return nil
}

// groupWaits reports whether another thread of t's group sleeps in wait4.
func groupWaits(v abi.View, t abi.TaskView) bool {
	for _, u := range v.Tasks {
		if u.Tgid == t.Tgid && u.Tid != t.Tid && u.State == abi.Blocked && strings.HasPrefix(u.Call, "wait4 ") {
			return true
		}
	}
	return false
}

// tasksOf lists the tasks of process tgid in v.
func tasksOf(v abi.View, tgid int) []abi.TaskView {
	var out []abi.TaskView
	for _, t := range v.Tasks {
		if t.Tgid == tgid {
			out = append(out, t)
		}
	}
	return out
}

// without is v with process g (a reapable zombie, which holds no object)
// removed.
func without(v abi.View, g int) abi.View {
	v.Tasks = slices.DeleteFunc(slices.Clone(v.Tasks), func(t abi.TaskView) bool { return t.Tgid == g })
	v.Procs = slices.DeleteFunc(slices.Clone(v.Procs), func(p abi.ProcView) bool { return p.Tgid == g })
	return abi.Canonicalize(v)
}
