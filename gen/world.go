package gen

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// world is a read-only index over one canonical View, built once per step.
type world struct {
	v abi.View
	// byGroup maps each tgid to its threads' tids in tid order, built at
	// the first threads call (nil until then): a classifier's questions
	// about every process would otherwise scan every task each.
	byGroup *map[int][]int
}

// newWorld indexes v.
func newWorld(v abi.View) world { return world{v: v, byGroup: new(map[int][]int)} }

// task returns the task with tid, if it exists.
func (w world) task(tid int) (abi.TaskView, bool) {
	i, ok := slices.BinarySearchFunc(w.v.Tasks, tid, func(t abi.TaskView, tid int) int { return t.Tid - tid })
	if !ok {
		return abi.TaskView{}, false
	}
	return w.v.Tasks[i], true
}

// proc returns the per-process state of the group tgid, if it exists.
func (w world) proc(tgid int) (abi.ProcView, bool) {
	for _, p := range w.v.Procs {
		if p.Tgid == tgid {
			return p, true
		}
	}
	return abi.ProcView{}, false
}

// mm returns the address space with canonical identity id (0 or unknown: none).
func (w world) mm(id int) (abi.MmView, bool) {
	if id <= 0 {
		return abi.MmView{}, false
	}
	if id <= len(w.v.Mms) && w.v.Mms[id-1].ID == id {
		return w.v.Mms[id-1], true
	}
	for _, m := range w.v.Mms {
		if m.ID == id {
			return m, true
		}
	}
	return abi.MmView{}, false
}

// fdTable returns the fd table with identity id.
func (w world) fdTable(id int) (abi.FdTableView, bool) {
	for _, t := range w.v.FdTables {
		if t.ID == id {
			return t, true
		}
	}
	return abi.FdTableView{}, false
}

// file returns the open file description with identity id.
func (w world) file(id int) (abi.FileView, bool) {
	for _, f := range w.v.Files {
		if f.ID == id {
			return f, true
		}
	}
	return abi.FileView{}, false
}

// freeFds returns the n lowest fds not open in ft (as a pipe2 or an open
// takes them).
func freeFds(ft abi.FdTableView, n int) []int {
	var out []int
	for fd := 0; len(out) < n; fd++ {
		if !slices.ContainsFunc(ft.Fds, func(f abi.FdView) bool { return f.Fd == fd }) {
			out = append(out, fd)
		}
	}
	return out
}

// sighand returns the disposition table with identity id.
func (w world) sighand(id int) (abi.SighandView, bool) {
	for _, s := range w.v.Sighands {
		if s.ID == id {
			return s, true
		}
	}
	return abi.SighandView{}, false
}

// running returns the tids of tasks that can perform steps.
func (w world) running() []int {
	var out []int
	for _, t := range w.v.Tasks {
		if t.State == abi.Running {
			out = append(out, t.Tid)
		}
	}
	return out
}

// maxTid is the highest tid in the View (0 when empty).
func (w world) maxTid() int {
	if n := len(w.v.Tasks); n > 0 {
		return w.v.Tasks[n-1].Tid
	}
	return 0
}

// children returns the leaders of processes whose parent is group tgid.
func (w world) children(tgid int) []int {
	var out []int
	for _, t := range w.v.Tasks {
		if t.Tid == t.Tgid && t.Ppid == tgid && t.Tgid != tgid {
			out = append(out, t.Tid)
		}
	}
	return out
}

// threads returns the tids of group tgid, in tid order; the caller must
// not change the slice.
func (w world) threads(tgid int) []int {
	if *w.byGroup == nil {
		m := make(map[int][]int, len(w.v.Procs))
		for _, t := range w.v.Tasks {
			m[t.Tgid] = append(m[t.Tgid], t.Tid)
		}
		*w.byGroup = m
	}
	return (*w.byGroup)[tgid]
}

// mapping returns the mapping of m that holds addr.
func mappingAt(m abi.MmView, addr uint64) (abi.MappingView, bool) {
	for _, mp := range m.Mappings {
		if addr >= mp.Start && addr < mp.End {
			return mp, true
		}
	}
	return abi.MappingView{}, false
}

// pageAt returns the page of m at the page-aligned addr, if it holds a frame.
func pageAt(m abi.MmView, addr uint64) (abi.PageView, bool) {
	i, ok := slices.BinarySearchFunc(m.Pages, addr, func(p abi.PageView, a uint64) int {
		switch {
		case p.Addr < a:
			return -1
		case p.Addr > a:
			return 1
		}
		return 0
	})
	if !ok {
		return abi.PageView{}, false
	}
	return m.Pages[i], true
}

// pageOf rounds addr down to its page.
func pageOf(addr uint64) uint64 { return addr &^ (abi.PageSize - 1) }
