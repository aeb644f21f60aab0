package abi

import "slices"

// Equal reports whether two Views are equal, as reflect.DeepEqual would
// (a nil and an empty slice differ), without reflection: the lockstep
// compares Views after every step. TestEqualSeesEveryField changes every
// field of a View in turn: a field added to View must be compared here.
func (v View) Equal(w View) bool {
	return slices.EqualFunc(v.Tasks, w.Tasks, TaskView.Equal) && nilEq(v.Tasks, w.Tasks) &&
		slices.EqualFunc(v.Procs, w.Procs, ProcView.Equal) && nilEq(v.Procs, w.Procs) &&
		slices.EqualFunc(v.Mms, w.Mms, MmView.Equal) && nilEq(v.Mms, w.Mms) &&
		slices.EqualFunc(v.FdTables, w.FdTables, FdTableView.Equal) && nilEq(v.FdTables, w.FdTables) &&
		eqSlice(v.Files, w.Files) && eqSlice(v.Inodes, w.Inodes) &&
		slices.EqualFunc(v.Sighands, w.Sighands, SighandView.Equal) && nilEq(v.Sighands, w.Sighands) &&
		eqSlice(v.Fss, w.Fss) && eqSlice(v.Pipes, w.Pipes)
}

// Equal compares two TaskViews field by field.
func (t TaskView) Equal(u TaskView) bool {
	return t.Tid == u.Tid && t.Tgid == u.Tgid && t.Ppid == u.Ppid && t.State == u.State &&
		t.ExitSignal == u.ExitSignal && t.WaitStatus == u.WaitStatus && t.Image == u.Image &&
		t.Mm == u.Mm && t.FdTable == u.FdTable && t.Sighand == u.Sighand && t.Fs == u.Fs &&
		t.Blocked == u.Blocked && eqSlice(t.Handled, u.Handled) &&
		t.Pending == u.Pending && t.Call == u.Call && t.Returned == u.Returned && t.Return == u.Return
}

// Equal compares two ProcViews field by field.
func (p ProcView) Equal(q ProcView) bool {
	return p.Tgid == q.Tgid && p.Subreaper == q.Subreaper && p.Pending == q.Pending && eqSlice(p.Handled, q.Handled)
}

// Equal compares two MmViews field by field.
func (m MmView) Equal(n MmView) bool {
	return m.ID == n.ID && eqSlice(m.Mappings, n.Mappings) && eqSlice(m.Pages, n.Pages)
}

// Equal compares two FdTableViews field by field.
func (t FdTableView) Equal(u FdTableView) bool { return t.ID == u.ID && eqSlice(t.Fds, u.Fds) }

// Equal compares two SighandViews field by field.
func (s SighandView) Equal(r SighandView) bool { return s.ID == r.ID && eqSlice(s.Actions, r.Actions) }

// eqSlice is slices.Equal that, like reflect.DeepEqual, tells nil from
// empty.
func eqSlice[T comparable](a, b []T) bool { return slices.Equal(a, b) && nilEq(a, b) }

func nilEq[T any](a, b []T) bool { return (a == nil) == (b == nil) }
