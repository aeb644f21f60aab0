package abi

import (
	"cmp"
	"slices"
)

// Canonicalize returns v with every identity renumbered 1, 2, 3, … in order of
// first appearance and every slice sorted, and adjacent equal mappings merged.
// Objects that no task refers to are dropped.
//
// Order of first appearance: mms, fd tables, disposition tables and fs structs
// in the order tasks (sorted by tid) refer to them; open files in the order
// fd tables (in canonical order) refer to them, fds ascending; frames in the
// order pages of mms (canonical order, addresses ascending) refer to them.
// Identity 0 means "none" and stays 0.
func Canonicalize(v View) View {
	tasks := slices.Clone(v.Tasks)
	slices.SortFunc(tasks, func(a, b TaskView) int { return cmp.Compare(a.Tid, b.Tid) })

	mmIDs, fdIDs, shIDs, fsIDs := renumber{}, renumber{}, renumber{}, renumber{}
	for i := range tasks {
		t := &tasks[i]
		t.Handled = sortedCounts(t.Handled)
		t.Mm, t.FdTable, t.Sighand, t.Fs = mmIDs.id(t.Mm), fdIDs.id(t.FdTable), shIDs.id(t.Sighand), fsIDs.id(t.Fs)
	}

	out := View{Tasks: tasks}

	procs := slices.Clone(v.Procs)
	for i := range procs {
		procs[i].Handled = sortedCounts(procs[i].Handled)
	}
	slices.SortFunc(procs, func(a, b ProcView) int { return cmp.Compare(a.Tgid, b.Tgid) })
	out.Procs = nilIfEmpty(procs)

	// Fd tables first, so open files are numbered in canonical table order.
	fileIDs := renumber{}
	for _, t := range keep(v.FdTables, func(x *FdTableView) *int { return &x.ID }, fdIDs) {
		t.Fds = slices.Clone(t.Fds)
		slices.SortFunc(t.Fds, func(a, b FdView) int { return cmp.Compare(a.Fd, b.Fd) })
		for i := range t.Fds {
			t.Fds[i].File = fileIDs.id(t.Fds[i].File)
		}
		t.Fds = nilIfEmpty(t.Fds)
		out.FdTables = append(out.FdTables, t)
	}
	out.Files = append(out.Files, keep(v.Files, func(x *FileView) *int { return &x.ID }, fileIDs)...)
	pipeIDs := renumber{}
	for i := range out.Files {
		out.Files[i].Pipe = pipeIDs.id(out.Files[i].Pipe)
	}
	out.Pipes = keep(v.Pipes, func(x *PipeView) *int { return &x.ID }, pipeIDs)

	frameIDs := renumber{}
	for _, m := range keep(v.Mms, func(x *MmView) *int { return &x.ID }, mmIDs) {
		m.Mappings = mergeMappings(m.Mappings)
		m.Pages = slices.Clone(m.Pages)
		slices.SortFunc(m.Pages, func(a, b PageView) int { return cmp.Compare(a.Addr, b.Addr) })
		for i := range m.Pages {
			m.Pages[i].Frame = frameIDs.id(m.Pages[i].Frame)
		}
		m.Pages = nilIfEmpty(m.Pages)
		out.Mms = append(out.Mms, m)
	}

	for _, s := range keep(v.Sighands, func(x *SighandView) *int { return &x.ID }, shIDs) {
		s.Actions = slices.Clone(s.Actions)
		s.Actions = slices.DeleteFunc(s.Actions, func(a ActionView) bool { return a.Handler == SigDefault && a.Flags == 0 })
		slices.SortFunc(s.Actions, func(a, b ActionView) int { return cmp.Compare(a.Sig, b.Sig) })
		s.Actions = nilIfEmpty(s.Actions)
		out.Sighands = append(out.Sighands, s)
	}
	out.Fss = keep(v.Fss, func(x *FsView) *int { return &x.ID }, fsIDs)

	inodes := slices.DeleteFunc(slices.Clone(v.Inodes), func(x InodeView) bool { return x.Size == 0 })
	slices.SortFunc(inodes, func(a, b InodeView) int { return cmp.Compare(a.Path, b.Path) })
	out.Inodes = nilIfEmpty(inodes)
	return out
}

// sortedCounts returns a copy of c sorted by signal, without zero counts,
// nil when empty.
func sortedCounts(c []SigCount) []SigCount {
	c = slices.DeleteFunc(slices.Clone(c), func(x SigCount) bool { return x.Count == 0 })
	slices.SortFunc(c, func(a, b SigCount) int { return cmp.Compare(a.Sig, b.Sig) })
	return nilIfEmpty(c)
}

// renumber maps backend identities to canonical ones in order of first use.
type renumber map[int]int

func (r renumber) id(raw int) int {
	if raw == 0 {
		return 0
	}
	if c, ok := r[raw]; ok {
		return c
	}
	c := len(r) + 1
	r[raw] = c
	return c
}

// keep returns the objects whose raw identity r has numbered, renumbered and
// sorted by canonical identity; id locates an object's identity field. When a
// backend lists one raw identity twice, the first listing wins.
func keep[T any](objs []T, id func(*T) *int, r renumber) []T {
	byID := make([]*T, len(r)+1)
	for i := range objs {
		if c, ok := r[*id(&objs[i])]; ok && byID[c] == nil {
			byID[c] = &objs[i]
		}
	}
	var out []T
	for c := 1; c < len(byID); c++ {
		if byID[c] == nil {
			continue
		}
		o := *byID[c]
		*id(&o) = c
		out = append(out, o)
	}
	return out
}

// mergeMappings sorts mappings and merges adjacent ones with equal attributes.
func mergeMappings(ms []MappingView) []MappingView {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b MappingView) int { return cmp.Compare(a.Start, b.Start) })
	var out []MappingView
	for _, m := range ms {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.End == m.Start && last.Prot == m.Prot && last.Shared == m.Shared &&
				last.DontFork == m.DontFork && last.WipeOnFork == m.WipeOnFork {
				last.End = m.End
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
