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
func (k *Kernel) touched(tid int) { k.touch.Mark(tid) }

// touchGroup marks every thread of g as touched.
func (k *Kernel) touchGroup(g *group) {
	for _, t := range g.threads {
		k.touched(t.tid)
	}
}

// touchAll marks the current step as possibly touching anything.
func (k *Kernel) touchAll() { k.touch.MarkAll() }

// Touched reports what the last Step may have changed (abi.Observer).
func (k *Kernel) Touched() abi.Touch {
	return k.touch.Copy()
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

// libcWorld reports whether a step may touch tasks the marks above miss: a
// libc call of issue 12, a clone with tid pointers, or any step while a
// task sleeps, holds an uncollected result, a tid word to clear or a
// pending signal of its own, or a pipe is open. Such a step touches
// everything (the model's rule too).
func (k *Kernel) libcWorld(sc abi.Syscall) bool {
	switch s := sc.(type) {
	case abi.Pipe2, abi.Read, abi.Dup2, abi.Dup3, abi.Futex, abi.Tgkill, abi.Tkill, abi.Sigpending:
		return true
	case abi.Clone:
		if s.Ptid != 0 || s.Ctid != 0 {
			return true
		}
	case abi.Clone3:
		if s.Ptid != 0 || s.Ctid != 0 {
			return true
		}
	}
	for _, t := range k.tasks {
		if t.state == stateBlocked || t.done != nil || t.ctid != 0 || t.pending != 0 {
			return true
		}
		if t.files != nil {
			for _, sl := range t.files.fds {
				if sl.file != nil && sl.file.pipe != nil {
					return true
				}
			}
		}
	}
	return false
}
