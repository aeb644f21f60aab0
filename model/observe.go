package model

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// What a step touched (abi.Observer). The rule is simple and conservative:
// a step touches its caller and every task it creates, releases or wakes
// (Step, allocTid, release, enqueue); a rule that changes a process — a
// signal sent to it, its exit or a thread's, its takeover by exec, a new
// parent — touches every thread of it (touchGroup); a page of a shared
// object written or brought in touches everything (touchAll): every mm
// mapping the object sees it. Objects reached from a
// touched task (its mm, fd table, open files, dispositions, fs) are seen
// through it, so changing them needs no mark of its own.

// touched marks task tid as touched by the current step.
func (k *Kernel) touched(tid int) { k.touch.Mark(tid) }

// touchGroup marks every thread of g as touched: what a rule changes in a
// process (its pending set, its exit, its parent) shows in all of them.
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

// ViewOf is View cut down to the tasks tids (abi.Observer, abi.Restrict):
// those that exist, with everything they reach.
func (k *Kernel) ViewOf(tids []int) abi.View {
	ts := make([]int, 0, len(tids))
	for _, tid := range tids {
		if _, ok := k.tasks[tid]; ok {
			ts = append(ts, tid)
		}
	}
	slices.Sort(ts)
	return abi.CanonicalizeOwned(k.raw(slices.Compact(ts)))
}

// libcWorld reports whether a step in this world may touch tasks the
// rules above do not mark: a libc call of issue 12 (a pipe write wakes a
// reader, a futex wake its waiters, tgkill another thread), a clone with
// tid pointers, or any step while a task sleeps, holds an uncollected
// result, has a tid word to clear or a pipe is open (a death or close
// ends sleeps and stores into shared memory). Such a step touches
// everything: conservative, and only worlds that use these calls pay.
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
		if t.state == abi.Blocked || t.ret != nil || t.clearChildTid != 0 || t.pending != 0 {
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
