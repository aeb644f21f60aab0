package props

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// fdRef is one fd of one task: the way a step names an open file
// description, and the way two Views can be lined up (canonical file
// identities shift when a description appears or goes).
type fdRef struct{ tid, fd int }

// fileRefs maps every fd of every task in v to its open file description.
func fileRefs(v abi.View) map[fdRef]abi.FileView {
	tables := map[int]abi.FdTableView{}
	for _, t := range v.FdTables {
		tables[t.ID] = t
	}
	files := map[int]abi.FileView{}
	for _, f := range v.Files {
		files[f.ID] = f
	}
	out := map[fdRef]abi.FileView{}
	for _, t := range v.Tasks {
		for _, fd := range tables[t.FdTable].Fds {
			out[fdRef{t.Tid, fd.Fd}] = files[fd.File]
		}
	}
	return out
}

// fdOf is the fd entry fd of task tid in v.
func fdOf(v abi.View, tid, fd int) (abi.FdView, bool) {
	t, ok := task(v, tid)
	if !ok {
		return abi.FdView{}, false
	}
	for _, ft := range v.FdTables {
		if ft.ID != t.FdTable {
			continue
		}
		for _, f := range ft.Fds {
			if f.Fd == fd {
				return f, true
			}
		}
	}
	return abi.FdView{}, false
}

// checkSharedOffsets is FD-3 with FORK-4, FD-2 and FD-4:
//
//   - no step splits or merges open file descriptions: two fds that shared
//     one before the step, and are both still open, share it after; two
//     that did not, do not;
//   - a write of n bytes (returning n) moves its description's offset by n
//     and, when n > 0, the file's size to at least the new offset (a
//     zero-length write changes nothing, FD-3c); an lseek moves it to
//     what it returns (SEEK_SET: the offset, SEEK_CUR: plus the old one,
//     SEEK_END: plus the size); every other description keeps its offset,
//     and after any other step every description does;
//   - a fork child without CLONE_FILES has the caller's fds, each on the
//     caller's description with the caller's close-on-exec flag; dup's new
//     fd is on the old fd's description with close-on-exec off, and so is
//     that of dup2, dup3 and F_DUPFD, with close-on-exec as their flags say
//     (FD-5); a dup2 or dup3 target is the one fd that changes description;
//   - a read of a file moves its offset by what it returns (FD-6); pipes
//     have no offset.
func checkSharedOffsets(c *stepCtx) error {
	if c.res.Outcome.Refused() {
		return nil
	}
	before, after := fileRefs(c.before), fileRefs(c.after)
	if caller, _ := task(c.before, c.tid); c.res.Outcome == abi.OutcomeExeced && caller.Tid != caller.Tgid {
		// EXEC-5: the exec'ing thread takes its leader's tid; the old
		// leader, and its fds by that tid, are gone.
		renamed := map[fdRef]abi.FileView{}
		for r, f := range before {
			switch r.tid {
			case caller.Tgid:
			case caller.Tid:
				renamed[fdRef{caller.Tgid, r.fd}] = f
			default:
				renamed[r] = f
			}
		}
		before = renamed
	}
	// The description the step moves, by its id in before, and where to.
	moved, to := 0, int64(0)
	if c.res.Err == 0 && c.res.Outcome == abi.OutcomeOK {
		switch s := c.sc.(type) {
		case abi.Write:
			if f, ok := before[fdRef{c.tid, int(uint32(s.Fd))}]; ok && f.Pipe == 0 {
				if c.res.Ret != uint64(s.N) {
					return fmt.Errorf("FD-3: %v by %d returned %d, want %d", s, c.tid, c.res.Ret, s.N)
				}
				moved, to = f.ID, f.Offset+s.N
				// A zero-length write does nothing at all (FD-3c): the
				// offset may lie past the end and stays there.
				if size := inodeSize(c.after, f.Path); s.N > 0 && size < to {
					return fmt.Errorf("FD-3: %v by %d moved %s's offset to %d, but its size is %d", s, c.tid, f.Path, to, size)
				}
			}
		case abi.Read:
			// FD-6: a read of a file moves the offset by what it returns;
			// a pipe has none.
			if f, ok := before[fdRef{c.tid, int(uint32(s.Fd))}]; ok && f.Pipe == 0 {
				moved, to = f.ID, f.Offset+int64(c.res.Ret)
			}
		case abi.Lseek:
			if f, ok := before[fdRef{c.tid, int(uint32(s.Fd))}]; ok {
				base := map[int64]int64{abi.SEEK_SET: 0, abi.SEEK_CUR: f.Offset, abi.SEEK_END: inodeSize(c.before, f.Path)}
				b, known := base[int64(uint32(s.Whence))]
				if known && (s.Offset <= 0 || b <= math.MaxInt64-s.Offset) && c.res.Ret != uint64(b+s.Offset) {
					return fmt.Errorf("FD-3: %v by %d on offset %d, size %d returned %d, want %d", s, c.tid, f.Offset, inodeSize(c.before, f.Path), c.res.Ret, b+s.Offset)
				}
				moved, to = f.ID, int64(c.res.Ret)
			}
		}
	}
	// Line the descriptions up through the fds open in both Views, but for
	// the target of a dup2 or dup3, which the step points elsewhere (FD-5).
	retarget := dupTarget(c)
	fwd, back := map[int]int{}, map[int]int{}
	for _, r := range sortedRefs(before) {
		bf := before[r]
		af, ok := after[r]
		if !ok || retarget(r) {
			continue
		}
		if p, seen := fwd[bf.ID]; seen && p != af.ID {
			return fmt.Errorf("FD-3: %v by %d split an open file description: fds that shared %s now refer to two", c.sc, c.tid, bf.Path)
		}
		if p, seen := back[af.ID]; seen && p != bf.ID {
			return fmt.Errorf("FD-3: %v by %d merged two open file descriptions of %s into one", c.sc, c.tid, bf.Path)
		}
		fwd[bf.ID], back[af.ID] = af.ID, bf.ID
		want := bf.Offset
		if bf.ID == moved && moved != 0 {
			want = to
		}
		if af.Offset != want || af.Path != bf.Path {
			return fmt.Errorf("FD-3: after %v by %d, fd %d of task %d (%s) has offset %d, want %d", c.sc, c.tid, r.fd, r.tid, bf.Path, af.Offset, want)
		}
	}
	if child, a, ok := created(c); ok && a.flags&abi.CLONE_FILES == 0 {
		for _, r := range sortedRefs(before) {
			if r.tid != c.tid {
				continue
			}
			pf, _ := fdOf(c.after, c.tid, r.fd)
			cf, ok := fdOf(c.after, child.Tid, r.fd)
			if !ok || cf != pf {
				return fmt.Errorf("FORK-4: %v by %d: the child's fd %d is %v, want the caller's %v (same description, same close-on-exec)", c.sc, c.tid, r.fd, cf, pf)
			}
		}
		if n, m := len(fdsOf(c.after, child.Tid)), len(fdsOf(c.after, c.tid)); n != m {
			return fmt.Errorf("FORK-4: %v by %d: the child has %d fds, the caller %d", c.sc, c.tid, n, m)
		}
	}
	if c.res.Err != 0 || c.res.Outcome != abi.OutcomeOK {
		return nil
	}
	oldFd, cloexec, isDup := -1, false, true
	switch d := c.sc.(type) {
	case abi.Dup:
		oldFd = int(uint32(d.Fd))
	case abi.Dup2:
		oldFd = int(uint32(d.Old))
		if d.Old == d.New {
			// dup2 of an open fd onto itself returns it and changes
			// nothing, its close-on-exec flag included (FD-5).
			was, _ := fdOf(c.before, c.tid, oldFd)
			cloexec = was.Cloexec
		}
	case abi.Dup3:
		oldFd, cloexec = int(uint32(d.Old)), d.Flags&abi.O_CLOEXEC != 0
	case abi.Fcntl:
		switch int64(int32(d.Cmd)) {
		case abi.F_DUPFD:
			oldFd = int(uint32(d.Fd))
		case abi.F_DUPFD_CLOEXEC:
			oldFd, cloexec = int(uint32(d.Fd)), true
		default:
			isDup = false
		}
	default:
		isDup = false
	}
	if isDup {
		old, _ := fdOf(c.after, c.tid, oldFd)
		nfd, ok := fdOf(c.after, c.tid, int(c.res.Ret))
		if !ok || nfd.File != old.File || nfd.Cloexec != cloexec {
			return fmt.Errorf("FD-2, FD-5: %v by %d returned fd %d = %v, want fd %d's description %d with close-on-exec %v", c.sc, c.tid, c.res.Ret, nfd, oldFd, old.File, cloexec)
		}
	}
	return nil
}

// dupTarget returns, for a successful dup2 or dup3 (FD-5), whether an fd
// reference is its target fd in the caller's table (as seen by any task
// sharing that table): the step closed what it held and points it at the
// old fd's description. For any other step it reports false.
func dupTarget(c *stepCtx) func(fdRef) bool {
	target := -1
	switch d := c.sc.(type) {
	case abi.Dup2:
		target = int(uint32(d.New))
	case abi.Dup3:
		target = int(uint32(d.New))
	}
	caller, _ := task(c.before, c.tid)
	if target < 0 || c.res.Err != 0 || c.res.Outcome != abi.OutcomeOK {
		return func(fdRef) bool { return false }
	}
	return func(r fdRef) bool {
		t, _ := task(c.before, r.tid)
		return r.fd == target && t.FdTable == caller.FdTable
	}
}

// fdsOf lists the fds of task tid in v.
func fdsOf(v abi.View, tid int) []abi.FdView {
	t, _ := task(v, tid)
	for _, ft := range v.FdTables {
		if ft.ID == t.FdTable {
			return ft.Fds
		}
	}
	return nil
}

// inodeSize is the size of path in v (absent: 0).
func inodeSize(v abi.View, path string) int64 {
	for _, in := range v.Inodes {
		if in.Path == path {
			return in.Size
		}
	}
	return 0
}

// sortedRefs lists the keys of refs by task, then fd (never map order).
func sortedRefs(refs map[fdRef]abi.FileView) []fdRef {
	out := make([]fdRef, 0, len(refs))
	for r := range refs {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b fdRef) int { return cmp.Or(cmp.Compare(a.tid, b.tid), cmp.Compare(a.fd, b.fd)) })
	return out
}
