package abi

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
)

// Observer is implemented by backends that can say what their last Step may
// have changed and show just that part of the world, so that a lockstep
// driver compares only what a step touched and runs the full View
// comparison on a schedule (traces.Lock, docs/performance.md).
//
// The observation is rooted at tasks: a step touches a set of tids, and
// ViewOf shows those tasks with every object they reach (their process, mm
// and its pages, fd table and its open files, disposition table, fs
// struct) plus the world-wide sections (Inodes). A section added to View
// later is reached the same way, through the tasks or as world-wide state,
// and needs no change here.
type Observer interface {
	// Touched reports what the last Step may have changed. It must be
	// conservative: every task whose part of the View (as ViewOf shows it)
	// the step may have changed, or Touch.All.
	Touched() Touch
	// ViewOf returns Restrict of the full View to tids, canonicalized on
	// its own: for equal worlds, equal tids give equal Views. Tids that do
	// not exist are left out.
	ViewOf(tids []int) View
}

// Touch is what one step may have changed.
type Touch struct {
	// All: the step may have changed anything (a signal sent, a task
	// ended, a page's sharing changed): only the full View tells.
	All bool
	// Tids are the tasks whose part of the View the step may have changed,
	// those it created or ended included, in any order, possibly repeated.
	Tids []int
}

// Add returns t with u's tasks added (u.All makes it All).
func (t Touch) Add(u Touch) Touch {
	if u.All {
		t.All = true
	}
	t.Tids = append(t.Tids, u.Tids...)
	return t
}

// Mark records that the step touched task tid (nothing to record once
// All is set). Backends keep one Touch and Mark it as a step runs.
func (t *Touch) Mark(tid int) {
	if !t.All {
		t.Tids = append(t.Tids, tid)
	}
}

// MarkAll records that the step may have touched anything.
func (t *Touch) MarkAll() { t.All = true }

// Copy is t with a Tids slice of its own, for Observer.Touched to return
// while the backend reuses its own for the next step.
func (t Touch) Copy() Touch { return Touch{All: t.All, Tids: slices.Clone(t.Tids)} }

// restrictedSections names the View fields that Restrict and Uncovered
// handle, in View's order. TestObserveKnowsEverySection fails when View
// gains a field: a new section must be cut by Restrict (reached through
// the tasks, or world-wide like Inodes) and compared by Uncovered.
var restrictedSections = []string{"Tasks", "Procs", "Mms", "FdTables", "Files", "Inodes", "Sighands", "Fss", "Pipes"}

// Restrict returns v cut down to the tasks in tids: those tasks, the
// processes of their groups, the objects they refer to (and the open files
// their fd tables refer to, and the pipes those are ends of), and the
// world-wide Inodes. v may be raw or
// canonical; the result is to be canonicalized. It is the definition that
// Observer.ViewOf follows, kept here for tests; backends build the cut
// View directly instead.
func Restrict(v View, tids []int) View {
	want := map[int]bool{}
	for _, tid := range tids {
		want[tid] = true
	}
	var out View
	tgids, mms, fds, shs, fss, files := map[int]bool{}, map[int]bool{}, map[int]bool{}, map[int]bool{}, map[int]bool{}, map[int]bool{}
	for _, t := range v.Tasks {
		if !want[t.Tid] {
			continue
		}
		out.Tasks = append(out.Tasks, t)
		tgids[t.Tgid], mms[t.Mm], fds[t.FdTable], shs[t.Sighand], fss[t.Fs] = true, true, true, true, true
	}
	out.Procs = filter(v.Procs, func(p ProcView) bool { return tgids[p.Tgid] })
	out.Mms = filter(v.Mms, func(m MmView) bool { return mms[m.ID] })
	out.FdTables = filter(v.FdTables, func(t FdTableView) bool { return fds[t.ID] })
	for _, t := range out.FdTables {
		for _, fd := range t.Fds {
			files[fd.File] = true
		}
	}
	out.Files = filter(v.Files, func(f FileView) bool { return files[f.ID] })
	pipes := map[int]bool{}
	for _, f := range out.Files {
		if f.Pipe != 0 {
			pipes[f.Pipe] = true
		}
	}
	out.Pipes = filter(v.Pipes, func(p PipeView) bool { return pipes[p.ID] })
	out.Sighands = filter(v.Sighands, func(s SighandView) bool { return shs[s.ID] })
	out.Fss = filter(v.Fss, func(f FsView) bool { return fss[f.ID] })
	out.Inodes = slices.Clone(v.Inodes)
	return out
}

func filter[T any](s []T, keep func(T) bool) []T {
	var out []T
	for _, x := range s {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// Uncovered checks a step's Touch against what it changed: before and after
// are the raw Views (backend identities, not canonicalized; identities
// stable across the step) of the whole world around the step. Every task,
// process and object that differs between them must be reachable from a
// touched task, before or after the step (Restrict); Inodes are world-wide
// and always shown. It returns an error naming the first uncovered change,
// or nil. It is the contract of Observer.Touched, for tests.
func Uncovered(before, after View, t Touch) error {
	if t.All {
		return nil
	}
	rb, ra := Restrict(before, t.Tids), Restrict(after, t.Tids)
	check := func(section string, b, a map[int]any, shown func(View) map[int]bool) error {
		sb, sa := shown(rb), shown(ra)
		for id, x := range b {
			if y, ok := a[id]; (!ok || !reflect.DeepEqual(x, y)) && !sb[id] && !sa[id] {
				return fmt.Errorf("%s %d changed, but no touched task reaches it (touched %v)", section, id, t.Tids)
			}
		}
		for id := range a {
			if _, ok := b[id]; !ok && !sb[id] && !sa[id] {
				return fmt.Errorf("%s %d appeared, but no touched task reaches it (touched %v)", section, id, t.Tids)
			}
		}
		return nil
	}
	type sec struct {
		name string
		of   func(View) map[int]any
	}
	for _, s := range []sec{
		{"task", func(v View) map[int]any {
			return index(v.Tasks, func(x TaskView) (int, any) { x.Handled = sortedCounts(x.Handled, false); return x.Tid, x })
		}},
		{"process", func(v View) map[int]any {
			return index(v.Procs, func(x ProcView) (int, any) { x.Handled = sortedCounts(x.Handled, false); return x.Tgid, x })
		}},
		{"mm", func(v View) map[int]any {
			return index(v.Mms, func(x MmView) (int, any) {
				x.Mappings = mergeMappings(slices.Clone(x.Mappings))
				x.Pages = slices.Clone(x.Pages)
				slices.SortFunc(x.Pages, func(a, b PageView) int { return cmp.Compare(a.Addr, b.Addr) })
				return x.ID, x
			})
		}},
		{"fd table", func(v View) map[int]any {
			return index(v.FdTables, func(x FdTableView) (int, any) {
				x.Fds = slices.Clone(x.Fds)
				slices.SortFunc(x.Fds, func(a, b FdView) int { return cmp.Compare(a.Fd, b.Fd) })
				return x.ID, x
			})
		}},
		{"open file", func(v View) map[int]any { return index(v.Files, func(x FileView) (int, any) { return x.ID, x }) }},
		{"sighand", func(v View) map[int]any {
			return index(v.Sighands, func(x SighandView) (int, any) {
				x.Actions = slices.DeleteFunc(slices.Clone(x.Actions), func(a ActionView) bool { return a.Handler == SigDefault && a.Flags == 0 })
				slices.SortFunc(x.Actions, func(a, b ActionView) int { return cmp.Compare(a.Sig, b.Sig) })
				return x.ID, x
			})
		}},
		{"fs", func(v View) map[int]any { return index(v.Fss, func(x FsView) (int, any) { return x.ID, x }) }},
		{"pipe", func(v View) map[int]any { return index(v.Pipes, func(x PipeView) (int, any) { return x.ID, x }) }},
	} {
		shown := func(v View) map[int]bool {
			out := map[int]bool{}
			for id := range s.of(v) {
				out[id] = true
			}
			return out
		}
		if err := check(s.name, s.of(before), s.of(after), shown); err != nil {
			return err
		}
	}
	return nil
}

// index maps each element of s by the identity key returns, with the
// normalized value to compare.
func index[T any](s []T, key func(T) (int, any)) map[int]any {
	out := make(map[int]any, len(s))
	for _, x := range s {
		id, v := key(x)
		out[id] = v
	}
	return out
}
