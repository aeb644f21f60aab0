package impl

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// What a step touched (abi.Observer): its caller and every task it
// allocates a pid for or wakes (Step, allocPid, wake); a signal sent to a
// process, its exit or a thread's, exec's de_thread and a new parent touch
// every thread of the process (touchGroup); any access that changes a
// shared object's page touches everything (touchAll).
// Objects reached from a touched task are seen through it.

// touched marks task tid as touched by the current step.
func (k *Kernel) touched(tid int) {
	if !k.touch.All {
		k.touch.Tids = append(k.touch.Tids, tid)
	}
}

// touchGroup marks every thread of g as touched.
func (k *Kernel) touchGroup(g *group) {
	for _, t := range g.threads {
		k.touched(t.tid)
	}
}

// touchAll marks the current step as possibly touching anything.
func (k *Kernel) touchAll() { k.touch.All = true }

// Touched reports what the last Step may have changed (abi.Observer).
func (k *Kernel) Touched() abi.Touch {
	return abi.Touch{All: k.touch.All, Tids: slices.Clone(k.touch.Tids)}
}

// ViewOf is View cut down to the tasks tids (abi.Observer).
func (k *Kernel) ViewOf(tids []int) abi.View {
	ts := make([]*task, 0, len(tids))
	for _, tid := range tids {
		if t, ok := k.tasks[tid]; ok {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *task) int { return a.tid - b.tid })
	ts = slices.Compact(ts)
	return abi.CanonicalizeOwned(k.raw(ts))
}
