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
	// refs is the number of fd slots, in all tables, that refer to it, and
	// of sleeping calls that hold it (sleep.file). Invariant: == count of
	// such; freed at 0 (FD-4), which closes a pipe end (fput).
	refs int
	// pipe is the pipe this is an end of (path "pipe"), nil for a file; wr
	// says it is the write end.
	pipe *pipeObj
	wr   bool
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
		ft.fds[fd] = fdSlot{}
		k.fput(f)
	}
}

// lowestFree is the lowest free fd, or -1 (FD-1).
func (ft *fdTable) lowestFree() int { return ft.lowestFreeFrom(0) }

// lowestFreeFrom is the lowest free fd at or above from, or -1: alloc_fd's
// search from its start (F_DUPFD, pipe2's second fd).
func (ft *fdTable) lowestFreeFrom(from int) int {
	for i := from; i < len(ft.fds); i++ {
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
	case uint64(abi.F_DUPFD), uint64(abi.F_DUPFD_CLOEXEC):
		from := u32(c.Arg) // f_dupfd's unsigned from
		if from >= abi.FdLimit {
			return abi.Fail(abi.EINVAL)
		}
		fd := t.files.lowestFreeFrom(int(from))
		if fd < 0 {
			return abi.Fail(abi.EMFILE)
		}
		s.file.refs++
		t.files.fds[fd] = fdSlot{file: s.file, cloexec: u32(c.Cmd) == uint64(abi.F_DUPFD_CLOEXEC)}
		return abi.Ok(uint64(fd))
	case uint64(abi.F_GETPIPE_SZ):
		if s.file.pipe == nil {
			return abi.Fail(abi.EBADF)
		}
		return abi.Ok(abi.PipeSlots * abi.PageSize)
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
	if f.pipe != nil && !f.wr {
		return abi.Fail(abi.EBADF) // the read end is not FMODE_WRITE
	}
	if w.N < 0 || uint64(w.N) > abi.TaskSize {
		return abi.Fail(abi.EFAULT) // no buffer holds that many bytes: access_ok fails
	}
	if f.pipe != nil {
		return k.pipeWrite(t, f, w)
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
	if f.pipe != nil { // ksys_lseek: whence first, then vfs_llseek's ESPIPE
		if u32(l.Whence) > uint64(abi.SEEK_HOLE) {
			return abi.Fail(abi.EINVAL)
		}
		return abi.Fail(abi.ESPIPE)
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

// sysRead is read(2): EBADF (a pipe's write end too), EFAULT, then a file's
// bytes from the offset to its end, or a pipe read (pipe.go).
func (k *Kernel) sysRead(t *task, c abi.Read) abi.Result {
	f := t.files.get(c.Fd)
	if f == nil || (f.pipe != nil && f.wr) {
		return abi.Fail(abi.EBADF)
	}
	if c.N < 0 || uint64(c.N) > abi.TaskSize {
		return abi.Fail(abi.EFAULT)
	}
	if f.pipe != nil {
		return k.pipeRead(t, f, c)
	}
	n := c.N
	if n > abi.MaxRWCount {
		n = abi.MaxRWCount
	}
	if left := k.inodes[f.path] - f.offset; left < n {
		n = max(left, 0)
	}
	f.offset += n
	return abi.Ok(uint64(n))
}

// sysDup2 is dup2(2) (onto itself: the fd if open) and dup3(2) (flags
// other than O_CLOEXEC and old == new are EINVAL): a new fd past the limit
// is EBADF, then an old fd not open; new is closed first if open.
func (k *Kernel) sysDup2(t *task, oldfd, newfd int, flags int64, dup2 bool) abi.Result {
	o, n := uint32(oldfd), uint32(newfd)
	f := t.files.get(oldfd)
	if dup2 && o == n {
		if f == nil {
			return abi.Fail(abi.EBADF)
		}
		return abi.Ok(uint64(o))
	}
	switch {
	case flags&^abi.O_CLOEXEC != 0, o == n:
		return abi.Fail(abi.EINVAL)
	case n >= abi.FdLimit, f == nil:
		return abi.Fail(abi.EBADF)
	}
	f.refs++
	old := t.files.fds[n].file
	t.files.fds[n] = fdSlot{file: f, cloexec: flags&abi.O_CLOEXEC != 0}
	if old != nil {
		k.fput(old)
	}
	return abi.Ok(uint64(n))
}
