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
	// Unknown flags first: they could change the lookup (O_CREAT).
	if o.Flags&^abi.O_CLOEXEC != 0 {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
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
	return abi.Refuse(abi.OutcomeUnsupported)
}

// sysWrite is write(2) of N bytes: the shared offset advances (FD-3).
func (k *Kernel) sysWrite(t *task, w abi.Write) abi.Result {
	f := t.files.get(w.Fd)
	if f == nil {
		return abi.Fail(abi.EBADF)
	}
	if w.N < 0 {
		return abi.Fail(abi.EFAULT) // a huge size_t count fails access_ok
	}
	if w.N > math.MaxInt64-f.offset {
		return abi.Fail(abi.EINVAL) // the offset would overflow
	}
	f.offset += w.N
	k.inodes[f.path] = max(k.inodes[f.path], f.offset)
	return abi.Ok(uint64(w.N))
}

// sysLseek is lseek(2).
func (k *Kernel) sysLseek(t *task, l abi.Lseek) abi.Result {
	f := t.files.get(l.Fd)
	if f == nil {
		return abi.Fail(abi.EBADF)
	}
	var base int64
	switch u32(l.Whence) { // an unsigned int
	case uint64(abi.SEEK_SET):
	case uint64(abi.SEEK_CUR):
		base = f.offset
	case uint64(abi.SEEK_END):
		base = k.inodes[f.path]
	case 3, 4: // SEEK_DATA, SEEK_HOLE: valid, not modelled
		return abi.Refuse(abi.OutcomeUnsupported)
	default:
		return abi.Fail(abi.EINVAL)
	}
	if (l.Offset > 0 && base > math.MaxInt64-l.Offset) || base+l.Offset < 0 {
		return abi.Fail(abi.EINVAL) // vfs_setpos: negative or overflowing
	}
	f.offset = base + l.Offset
	return abi.Ok(uint64(f.offset))
}
