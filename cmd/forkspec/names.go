package main

import (
	"fmt"
	"slices"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

// objKind is a kind of identity a View holds.
type objKind int

const (
	kindMm objKind = iota
	kindFds
	kindSighand
	kindFs
	kindFile
	kindFrame
	numKinds
)

// taskKinds are the objects a task refers to directly.
var taskKinds = [...]objKind{kindMm, kindFds, kindSighand, kindFs}

// taskObject returns the identity of t's object of kind k (0 for none).
func taskObject(t abi.TaskView, k objKind) int {
	switch k {
	case kindMm:
		return t.Mm
	case kindFds:
		return t.FdTable
	case kindSighand:
		return t.Sighand
	case kindFs:
		return t.Fs
	}
	return 0
}

// stableNames names the identities of one View so that the names stay the
// same across the steps of one trace while the object lives: a canonical
// View renumbers mms, fd tables, open files, disposition tables, fs structs
// and frames 1, 2, 3, … in order of first appearance at every step, so
// "frame 2" after one step can be another frame after the next. Names are
// numbers too, given in order of first appearance over the whole trace;
// a new object gets a number never used before in the trace.
type stableNames struct {
	// byKind maps, for each kind, the View's canonical identity to its
	// stable name. Invariant: one-to-one; an identity missing from the
	// map is shown as itself (a picture drawn without a tracker).
	byKind [numKinds]map[int]int
	// framesPerStep says why frame names are the View's canonical
	// numbers, valid at this step only: the backend cannot name frames
	// (no abi.FrameNamer) or its names contradict its View. "" when the
	// frame names are stable.
	framesPerStep string
	// newFrames holds the stable names of frames that appeared at this
	// step (a copy, a first store); empty for the initial state and when
	// framesPerStep is set.
	newFrames map[int]bool
}

// name returns the stable name of identity id of kind k; 0 stays 0.
func (n *stableNames) name(k objKind, id int) int {
	if n == nil || id == 0 {
		return id
	}
	if s, ok := n.byKind[k][id]; ok {
		return s
	}
	return id
}

// pageKey locates a page across steps: its address space by stable name,
// and its address.
type pageKey struct {
	mm   int
	addr uint64
}

// heldFrame is the frame a page held at the previous step.
type heldFrame struct {
	raw  uint64 // the backend's FrameID
	name int    // its stable name
}

// nameTracker follows the Views of one run of a trace, step by step, and
// names their identities stably (see stableNames). Views carry no
// identities across steps except frames (abi.FrameNamer), so the tracker
// carries the other names by what a step can do (kernel/fork.c copy_process,
// fs/exec.c begin_new_exec):
//
//   - An object keeps its name while a task that uses it before the step
//     still uses an object of that kind after it: nothing but a successful
//     execve makes a task change one of its objects for another.
//   - A successful execve gives the group of the exec'er a new mm (always:
//     exec_mmap), and a new fd table or disposition table only when the old
//     one was shared (unshare_files, de_thread's copy of a shared sighand):
//     the group's own tasks carry a name only after every other task has
//     claimed its own.
//   - An open file keeps its name while an fd that refers to it, in the same
//     fd table or the same task, still does (fds are not renumbered; open
//     takes a free one).
//   - A frame keeps its name while a page at the same address of the same
//     address space holds the same FrameID; a frame freed and its number
//     reused is a new frame.
//
// Anything else is new and gets a fresh name. The zero value is ready for
// the initial state.
type nameTracker struct {
	started bool
	prev    abi.View
	prevN   *stableNames
	// prevPages is the frame behind each page at the previous step; nil
	// when the previous frame names were per step.
	prevPages map[pageKey]heldFrame
	// last is the last name given per kind.
	last [numKinds]int
}

// vote says that the object with the previous step's stable name old is
// the object with canonical identity cur now.
type vote struct{ old, cur int }

// next names the identities of v, the View after step s with result r
// (s is nil for the initial state). frames is the backend's FrameNamer in
// the state v shows, or nil when it has none.
func (tr *nameTracker) next(v abi.View, s *traces.Step, r abi.Result, frames abi.FrameNamer) *stableNames {
	n := &stableNames{newFrames: map[int]bool{}}
	for k := range n.byKind {
		n.byKind[k] = map[int]int{}
	}
	// prevTask is, for each tid of v, the task it was before the step.
	prevTask := map[int]abi.TaskView{}
	execGroup := 0 // the tgid whose execve succeeded at this step, 0 for none
	if tr.started {
		for _, t := range tr.prev.Tasks {
			prevTask[t.Tid] = t
		}
		if t, ok := prevTask[s.Tid]; ok && r.Outcome == abi.OutcomeExeced {
			if _, isExec := s.Call.(abi.Execve); isExec {
				execGroup = t.Tgid
				if t.Tid != t.Tgid {
					// A thread that is not the leader exec'd: it takes
					// over the leader's tid (de_thread), keeping its own
					// objects; the old leader is gone.
					prevTask[t.Tgid] = t
					delete(prevTask, t.Tid)
				}
			}
		}
	}
	for _, k := range taskKinds {
		var first, second []vote
		for _, t := range v.Tasks {
			pt, ok := prevTask[t.Tid]
			old, cur := taskObject(pt, k), taskObject(t, k)
			if !ok || old == 0 || cur == 0 {
				continue
			}
			vt := vote{old: tr.prevN.name(k, old), cur: cur}
			switch {
			case t.Tgid != execGroup:
				first = append(first, vt)
			case k != kindMm:
				second = append(second, vt)
			}
		}
		tr.assign(n, k, append(first, second...), taskIDs(v, k))
	}
	tr.assign(n, kindFile, tr.fileVotes(v, n, prevTask), fileIDs(v))
	tr.nameFrames(n, v, frames)
	tr.started, tr.prev, tr.prevN = true, v, n
	return n
}

// assign gives each identity in ids (canonical, ascending) a name: the one
// the first vote for it carries when no earlier vote took that name, else a
// fresh one.
func (tr *nameTracker) assign(n *stableNames, k objKind, votes []vote, ids []int) {
	m, taken := n.byKind[k], map[int]bool{}
	for _, vt := range votes {
		if _, done := m[vt.cur]; done || taken[vt.old] {
			continue
		}
		m[vt.cur], taken[vt.old] = vt.old, true
	}
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			tr.last[k]++
			m[id] = tr.last[k]
		}
	}
}

// taskIDs lists the identities of kind k in v, ascending: those the View
// lists and those its tasks refer to.
func taskIDs(v abi.View, k objKind) []int {
	var ids []int
	for _, t := range v.Tasks {
		if id := taskObject(t, k); id != 0 {
			ids = append(ids, id)
		}
	}
	switch k {
	case kindMm:
		for _, m := range v.Mms {
			ids = append(ids, m.ID)
		}
	case kindFds:
		for _, t := range v.FdTables {
			ids = append(ids, t.ID)
		}
	case kindSighand:
		for _, s := range v.Sighands {
			ids = append(ids, s.ID)
		}
	case kindFs:
		for _, f := range v.Fss {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// fileIDs lists the open files of v, ascending.
func fileIDs(v abi.View) []int {
	var ids []int
	for _, t := range v.FdTables {
		for _, f := range t.Fds {
			ids = append(ids, f.File)
		}
	}
	for _, f := range v.Files {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// fdRefs maps (fd table's stable name, fd) and (tid, fd) to the file each
// refers to in v: its stable name under n when named, else its canonical
// identity. tasks are the tasks to list by tid (v's, or the ones before the
// step under their tids after it).
func fdRefs(v abi.View, n *stableNames, named bool, tasks map[int]abi.TaskView) (byTable, byTask map[[2]int]int) {
	byTable, byTask = map[[2]int]int{}, map[[2]int]int{}
	file := func(id int) int {
		if named {
			return n.name(kindFile, id)
		}
		return id
	}
	tables := map[int]abi.FdTableView{}
	for _, t := range v.FdTables {
		tables[t.ID] = t
		for _, f := range t.Fds {
			byTable[[2]int{n.name(kindFds, t.ID), f.Fd}] = file(f.File)
		}
	}
	for tid, t := range tasks {
		for _, f := range tables[t.FdTable].Fds {
			byTask[[2]int{tid, f.Fd}] = file(f.File)
		}
	}
	return byTable, byTask
}

// fileVotes carries open files' names through fds that still refer to them:
// by fd table first, then by task. n must already name v's fd tables;
// prevTask gives the task before the step for each tid of v.
func (tr *nameTracker) fileVotes(v abi.View, n *stableNames, prevTask map[int]abi.TaskView) []vote {
	if !tr.started {
		return nil
	}
	cur := map[int]abi.TaskView{}
	for _, t := range v.Tasks {
		cur[t.Tid] = t
	}
	oldTable, oldTask := fdRefs(tr.prev, tr.prevN, true, prevTask)
	curTable, curTask := fdRefs(v, n, false, cur)
	var votes []vote
	for _, pair := range []struct{ old, cur map[[2]int]int }{{oldTable, curTable}, {oldTask, curTask}} {
		keys := make([][2]int, 0, len(pair.cur))
		for key := range pair.cur {
			keys = append(keys, key)
		}
		slices.SortFunc(keys, func(a, b [2]int) int {
			if a[0] != b[0] {
				return a[0] - b[0]
			}
			return a[1] - b[1]
		})
		for _, key := range keys {
			if old, ok := pair.old[key]; ok {
				votes = append(votes, vote{old: old, cur: pair.cur[key]})
			}
		}
	}
	return votes
}

// nameFrames names v's frames (n must already name its mms): by FrameID
// when the backend has it and it agrees with the View, else by the View's
// canonical numbers with the reason in framesPerStep.
func (tr *nameTracker) nameFrames(n *stableNames, v abi.View, frames abi.FrameNamer) {
	m := n.byKind[kindFrame]
	raw, err := rawFrames(v, frames)
	if err != nil {
		n.framesPerStep = err.Error()
		for _, mm := range v.Mms {
			for _, pg := range mm.Pages {
				m[pg.Frame] = pg.Frame
			}
		}
		tr.prevPages = nil
		return
	}
	taken := map[int]bool{}
	pages := map[pageKey]heldFrame{}
	// Carry names first, then give fresh ones, both in canonical order, so
	// the names do not depend on the backend's numbering.
	for _, fresh := range []bool{false, true} {
		for _, mm := range v.Mms {
			for _, pg := range mm.Pages {
				if _, done := m[pg.Frame]; done {
					continue
				}
				key := pageKey{n.name(kindMm, mm.ID), pg.Addr}
				if !fresh {
					if h, ok := tr.prevPages[key]; ok && h.raw == raw[pg.Frame] && !taken[h.name] {
						m[pg.Frame], taken[h.name] = h.name, true
					}
					continue
				}
				tr.last[kindFrame]++
				m[pg.Frame] = tr.last[kindFrame]
				if tr.started {
					n.newFrames[m[pg.Frame]] = true
				}
			}
		}
	}
	for _, mm := range v.Mms {
		for _, pg := range mm.Pages {
			pages[pageKey{n.name(kindMm, mm.ID), pg.Addr}] = heldFrame{raw: raw[pg.Frame], name: m[pg.Frame]}
		}
	}
	tr.prevPages = pages
}

// rawFrames asks frames for the FrameID of every canonical frame of v and
// checks that the answers agree with the View's sharing partition: every
// page listed has a frame, pages of one frame have one id, distinct frames
// distinct ids.
func rawFrames(v abi.View, frames abi.FrameNamer) (raw map[int]uint64, err error) {
	if frames == nil {
		return nil, fmt.Errorf("this backend cannot name frames across steps (no abi.FrameNamer)")
	}
	defer func() {
		if r := recover(); r != nil {
			raw, err = nil, fmt.Errorf("FrameID panicked: %v", r)
		}
	}()
	user := map[int]int{} // mm → the lowest tid using it
	for _, t := range v.Tasks {
		if _, ok := user[t.Mm]; t.Mm != 0 && !ok {
			user[t.Mm] = t.Tid
		}
	}
	raw = map[int]uint64{}
	owner := map[uint64]int{}
	for _, m := range v.Mms {
		tid, ok := user[m.ID]
		if !ok && len(m.Pages) > 0 {
			return nil, fmt.Errorf("no task uses mm %d, so its frames cannot be named", m.ID)
		}
		for _, pg := range m.Pages {
			id, ok := frames.FrameID(tid, pg.Addr)
			if !ok {
				return nil, fmt.Errorf("FrameID(%d, %#x) names no frame, but the View lists one", tid, pg.Addr)
			}
			if r, seen := raw[pg.Frame]; seen && r != id {
				return nil, fmt.Errorf("FrameID(%d, %#x) = %d, but another page of the same frame has %d", tid, pg.Addr, id, r)
			}
			if f, seen := owner[id]; seen && f != pg.Frame {
				return nil, fmt.Errorf("FrameID(%d, %#x) = %d also names another frame", tid, pg.Addr, id)
			}
			raw[pg.Frame], owner[id] = id, pg.Frame
		}
	}
	return raw, nil
}
