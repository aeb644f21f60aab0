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
func Canonicalize(v View) View { return canonicalize(v, false) }

// CanonicalizeOwned is Canonicalize for a View built to be canonicalized
// and used no more (a backend's View method): it sorts and renumbers v's
// own slices in place instead of copying them first.
func CanonicalizeOwned(v View) View { return canonicalize(v, true) }

// canonicalize is Canonicalize; own says v's slices may be changed.
func canonicalize(v View, own bool) View {
	tasks := cloneUnless(own, v.Tasks)
	slices.SortFunc(tasks, func(a, b TaskView) int { return cmp.Compare(a.Tid, b.Tid) })

	n := len(tasks)
	mmIDs, fdIDs, shIDs, fsIDs := make(renumber, n), make(renumber, n), make(renumber, n), make(renumber, n)
	for i := range tasks {
		t := &tasks[i]
		t.Handled = sortedCounts(t.Handled, own)
		t.Mm, t.FdTable, t.Sighand, t.Fs = mmIDs.id(t.Mm), fdIDs.id(t.FdTable), shIDs.id(t.Sighand), fsIDs.id(t.Fs)
	}

	out := View{Tasks: nilIfEmpty(tasks)}

	procs := cloneUnless(own, v.Procs)
	for i := range procs {
		procs[i].Handled = sortedCounts(procs[i].Handled, own)
	}
	slices.SortFunc(procs, func(a, b ProcView) int { return cmp.Compare(a.Tgid, b.Tgid) })
	out.Procs = nilIfEmpty(procs)

	// Fd tables first, so open files are numbered in canonical table order.
	fileIDs := make(renumber, len(v.Files))
	out.FdTables = keep(v.FdTables, func(x *FdTableView) *int { return &x.ID }, fdIDs)
	for i := range out.FdTables {
		t := &out.FdTables[i]
		t.Fds = cloneUnless(own, t.Fds)
		slices.SortFunc(t.Fds, func(a, b FdView) int { return cmp.Compare(a.Fd, b.Fd) })
		for i := range t.Fds {
			t.Fds[i].File = fileIDs.id(t.Fds[i].File)
		}
		t.Fds = nilIfEmpty(t.Fds)
	}
	out.Files = keep(v.Files, func(x *FileView) *int { return &x.ID }, fileIDs)
	pipeIDs := renumber{}
	for i := range out.Files {
		out.Files[i].Pipe = pipeIDs.id(out.Files[i].Pipe)
	}
	out.Pipes = keep(v.Pipes, func(x *PipeView) *int { return &x.ID }, pipeIDs)

	pages := 0
	for _, m := range v.Mms {
		pages += len(m.Pages)
	}
	frameIDs := make(renumber, pages)
	out.Mms = keep(v.Mms, func(x *MmView) *int { return &x.ID }, mmIDs)
	for i := range out.Mms {
		m := &out.Mms[i]
		m.Mappings = mergeMappings(cloneUnless(own, m.Mappings))
		m.Pages = cloneUnless(own, m.Pages)
		slices.SortFunc(m.Pages, func(a, b PageView) int { return cmp.Compare(a.Addr, b.Addr) })
		for i := range m.Pages {
			m.Pages[i].Frame = frameIDs.id(m.Pages[i].Frame)
		}
		m.Pages = nilIfEmpty(m.Pages)
	}

	out.Sighands = keep(v.Sighands, func(x *SighandView) *int { return &x.ID }, shIDs)
	for i := range out.Sighands {
		s := &out.Sighands[i]
		s.Actions = cloneUnless(own, s.Actions)
		s.Actions = slices.DeleteFunc(s.Actions, func(a ActionView) bool { return a.Handler == SigDefault && a.Flags == 0 })
		slices.SortFunc(s.Actions, func(a, b ActionView) int { return cmp.Compare(a.Sig, b.Sig) })
		s.Actions = nilIfEmpty(s.Actions)
	}
	out.Fss = keep(v.Fss, func(x *FsView) *int { return &x.ID }, fsIDs)

	inodes := slices.DeleteFunc(cloneUnless(own, v.Inodes), func(x InodeView) bool { return x.Size == 0 })
	slices.SortFunc(inodes, func(a, b InodeView) int { return cmp.Compare(a.Path, b.Path) })
	out.Inodes = nilIfEmpty(inodes)
	return out
}

// cloneUnless returns s itself when own, else a copy of it.
func cloneUnless[T any](own bool, s []T) []T {
	if own {
		return s
	}
	return slices.Clone(s)
}

// sortedCounts returns c (a copy unless own) sorted by signal, without
// zero counts, nil when empty.
func sortedCounts(c []SigCount, own bool) []SigCount {
	if len(c) == 0 {
		return nil
	}
	c = slices.DeleteFunc(cloneUnless(own, c), func(x SigCount) bool { return x.Count == 0 })
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
	out := make([]T, 0, len(r))
	for c := 1; c < len(byID); c++ {
		if byID[c] == nil {
			continue
		}
		o := *byID[c]
		*id(&o) = c
		out = append(out, o)
	}
	return nilIfEmpty(out)
}

// mergeMappings sorts ms in place and merges adjacent mappings with equal
// attributes, reusing ms.
func mergeMappings(ms []MappingView) []MappingView {
	slices.SortFunc(ms, func(a, b MappingView) int { return cmp.Compare(a.Start, b.Start) })
	out := ms[:0]
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
	return nilIfEmpty(out)
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
