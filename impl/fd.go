package impl

import (
	"math"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// openFile is an open file description (struct file): fds in any table may
// refer to it and share its offset (FD-3).
type openFile struct {
	id     int
	path   string
	offset int64
	// refs is the number of fd slots, in all tables, that refer to it.
	// Invariant: == count of such slots; freed at 0 (FD-4).
	refs int
}

// fdSlot is one fd table entry.
type fdSlot struct {
	file    *openFile // nil when the fd is free
	cloexec bool
}

// fdTable is a file-descriptor table (files_struct), shared by CLONE_FILES
// (CLONE-2) and copied otherwise (FORK-4).
type fdTable struct {
	id int
	// refs is the number of live tasks using the table.
	refs int
	fds  [abi.FdLimit]fdSlot
}

// fsStruct is the fs struct (fs_struct); only the umask is modelled (CLONE-3).
type fsStruct struct {
	id    int
	refs  int
	umask int64
}

// copyFiles duplicates a table (dup_fd): same open files, same cloexec flags.
func (k *Kernel) copyFiles(src *fdTable) *fdTable {
	n := &fdTable{id: k.newID(), refs: 1, fds: src.fds}
	for _, s := range n.fds {
		if s.file != nil {
			s.file.refs++
		}
	}
	return n
}

// putFiles drops one user of a table and closes every fd at the last.
func (k *Kernel) putFiles(ft *fdTable) {
	ft.refs--
	if ft.refs > 0 {
		return
	}
	for i := range ft.fds {
		k.closeSlot(ft, i)
	}
}

func (k *Kernel) closeSlot(ft *fdTable, fd int) {
	if f := ft.fds[fd].file; f != nil {
		f.refs--
		ft.fds[fd] = fdSlot{}
	}
}

// lowestFree is the lowest free fd, or -1 (FD-1).
func (ft *fdTable) lowestFree() int {
	for i := range ft.fds {
		if ft.fds[i].file == nil {
			return i
		}
	}
	return -1
}

// get returns the open file at fd, the syscall's unsigned int argument as
// Linux reads it (the low 32 bits), or nil.
func (ft *fdTable) get(fd int) *openFile {
	if u := uint32(fd); u < uint32(len(ft.fds)) {
		return ft.fds[u].file
	}
	return nil
}

// fdIndex is fd as get reads it. Precondition: get(fd) != nil.
func fdIndex(fd int) int { return int(uint32(fd)) }

// sysOpen is open(2) of a fixed file (FD-1).
func (k *Kernel) sysOpen(t *task, o abi.Open) abi.Result {
	// Unknown flags were refused before the step, ahead of the lookup
	// they could change (O_CREAT; abi.Refusal).
	if !slices.Contains(abi.Files, o.Path) {
		return abi.Fail(abi.ENOENT)
	}
	fd := t.files.lowestFree()
	if fd < 0 {
		return abi.Fail(abi.EMFILE)
	}
	f := &openFile{id: k.newID(), path: o.Path, refs: 1}
	t.files.fds[fd] = fdSlot{file: f, cloexec: o.Flags&abi.O_CLOEXEC != 0}
	return abi.Ok(uint64(fd))
}

// sysClose is close(2) (FD-4).
func (k *Kernel) sysClose(t *task, fd int) abi.Result {
	if t.files.get(fd) == nil {
		return abi.Fail(abi.EBADF)
	}
	k.closeSlot(t.files, fdIndex(fd))
	return abi.Ok(0)
}

// sysDup is dup(2): lowest free fd, same description, cloexec off (FD-2).
func (k *Kernel) sysDup(t *task, fd int) abi.Result {
	f := t.files.get(fd)
	if f == nil {
		return abi.Fail(abi.EBADF)
	}
	n := t.files.lowestFree()
	if n < 0 {
		return abi.Fail(abi.EMFILE)
	}
	f.refs++
	t.files.fds[n] = fdSlot{file: f}
	return abi.Ok(uint64(n))
}

// sysFcntl is fcntl(2) F_GETFD/F_SETFD (FD-2).
func (k *Kernel) sysFcntl(t *task, c abi.Fcntl) abi.Result {
	if t.files.get(c.Fd) == nil {
		return abi.Fail(abi.EBADF)
	}
	s := &t.files.fds[fdIndex(c.Fd)]
	switch u32(c.Cmd) { // an unsigned int
	case uint64(abi.F_GETFD):
		if s.cloexec {
			return abi.Ok(uint64(abi.FD_CLOEXEC))
		}
		return abi.Ok(0)
	case uint64(abi.F_SETFD):
		s.cloexec = c.Arg&abi.FD_CLOEXEC != 0
		return abi.Ok(0)
	}
	return abi.Refuse(abi.OutcomeUnsupported) // refused before the step (abi.Refusal)
}

// sysWrite is write(2) of N bytes (FD-3, FD-3c, FD-3d): EBADF; EFAULT for a count
// beyond the address space (access_ok); EINVAL when the offset would
// overflow (rw_verify_area); a zero count returns 0 and changes nothing,
// not even the size past the end (generic_write_checks); else at most
// MAX_RW_COUNT bytes move the shared offset and grow the file, and a write
// that starts past the end leaves a gap (the file may hold a hole).
func (k *Kernel) sysWrite(t *task, w abi.Write) abi.Result {
	f := t.files.get(w.Fd)
	if f == nil {
		return abi.Fail(abi.EBADF)
	}
	if w.N < 0 || uint64(w.N) > abi.TaskSize {
		return abi.Fail(abi.EFAULT) // no buffer holds that many bytes: access_ok fails
	}
	if w.N > math.MaxInt64-f.offset {
		return abi.Fail(abi.EINVAL) // the offset would overflow
	}
	if w.N == 0 {
		return abi.Ok(0)
	}
	n := min(w.N, abi.MaxRWCount)
	if f.offset > k.inodes[f.path] {
		k.sparse[f.path] = true
	}
	f.offset += n
	k.inodes[f.path] = max(k.inodes[f.path], f.offset)
	return abi.Ok(uint64(n))
}

// sysLseek is lseek(2) (FD-3, FD-3c, FD-3d): generic_file_llseek_size. SEEK_CUR 0
// returns the offset unchecked; a negative or overflowing result is EINVAL
// (vfs_setpos). SEEK_DATA/SEEK_HOLE: ENXIO at or past the end or for a
// negative offset; inside a file without holes SEEK_DATA stays and
// SEEK_HOLE goes to the end (files that may hold a hole were refused before
// the step, abi.Refusal).
func (k *Kernel) sysLseek(t *task, l abi.Lseek) abi.Result {
	f := t.files.get(l.Fd)
	if f == nil {
		return abi.Fail(abi.EBADF)
	}
	size := k.inodes[f.path]
	var base int64
	switch u32(l.Whence) { // an unsigned int
	case uint64(abi.SEEK_SET):
	case uint64(abi.SEEK_CUR):
		if l.Offset == 0 {
			return abi.Ok(uint64(f.offset))
		}
		base = f.offset
	case uint64(abi.SEEK_END):
		base = size
	case uint64(abi.SEEK_DATA):
		if l.Offset < 0 || l.Offset >= size {
			return abi.Fail(abi.ENXIO)
		}
		f.offset = l.Offset
		return abi.Ok(uint64(f.offset))
	case uint64(abi.SEEK_HOLE):
		if l.Offset < 0 || l.Offset >= size {
			return abi.Fail(abi.ENXIO)
		}
		f.offset = size
		return abi.Ok(uint64(f.offset))
	default:
		return abi.Fail(abi.EINVAL)
	}
	if (l.Offset > 0 && base > math.MaxInt64-l.Offset) || base+l.Offset < 0 {
		return abi.Fail(abi.EINVAL) // vfs_setpos: negative or overflowing
	}
	f.offset = base + l.Offset
	return abi.Ok(uint64(f.offset))
}
