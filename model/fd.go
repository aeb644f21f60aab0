package model

import (
	"math"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// fdTable is one file descriptor table (files_struct); CLONE_FILES tasks
// share the pointer (CLONE-2).
type fdTable struct {
	id int
	// fds is indexed by fd number. Invariant: a slot is open iff file != nil.
	fds [abi.FdLimit]fdSlot
}

// fdSlot is one fd: the open file description it refers to and its
// close-on-exec flag.
type fdSlot struct {
	file    *openFile
	cloexec bool
}

// openFile is an open file description (struct file): fds that refer to the
// same pointer share its offset (FD-3). It lives while some fd refers to it
// (FD-4); the model has no reference count, it simply becomes unreachable.
type openFile struct {
	id   int
	path string
	// offset is the file position. Invariant: >= 0; 0 for a pipe's end.
	offset int64
	// pipe is the pipe this is an end of (path "pipe"), nil for a file;
	// writeEnd says which end.
	pipe     *pipe
	writeEnd bool
}

// copy returns a new table with the same fds, the same open file
// descriptions and the same close-on-exec flags (FORK-4, dup_fd).
func (k *Kernel) copyFdTable(f *fdTable) *fdTable {
	c := *f
	c.id = k.newID()
	return &c
}

// lowestFree returns the lowest free fd, or false (EMFILE).
func (f *fdTable) lowestFree() (int, bool) { return f.lowestFreeFrom(0) }

// lowestFreeFrom returns the lowest free fd at or above from, or false
// (EMFILE): alloc_fd's search from its start (F_DUPFD, pipe2's second fd).
func (f *fdTable) lowestFreeFrom(from int) (int, bool) {
	for i := from; i < len(f.fds); i++ {
		if f.fds[i].file == nil {
			return i, true
		}
	}
	return 0, false
}

// lookup returns the slot of an open fd; fd is the syscall's unsigned int
// argument as Linux reads it (the low 32 bits).
func (f *fdTable) lookup(fd int) (*fdSlot, bool) {
	u := uint32(fd)
	if u >= abi.FdLimit || f.fds[u].file == nil {
		return nil, false
	}
	return &f.fds[u], true
}

// sysOpen is open(2) of a fixed file (FD-1): the lowest free fd; O_CLOEXEC
// sets close-on-exec. Unknown flags were refused before the step, ahead of
// the path lookup they could change (O_CREAT; abi.Refusal).
func (k *Kernel) sysOpen(t *task, s abi.Open) abi.Result {
	if !slices.Contains(abi.Files, s.Path) {
		return abi.Fail(abi.ENOENT)
	}
	fd, ok := t.files.lowestFree()
	if !ok {
		return abi.Fail(abi.EMFILE)
	}
	t.files.fds[fd] = fdSlot{file: &openFile{id: k.newID(), path: s.Path}, cloexec: s.Flags&abi.O_CLOEXEC != 0}
	return abi.Ok(uint64(fd))
}

// sysClose is close(2) (FD-4): only this table loses the fd; bad fd → EBADF.
func (k *Kernel) sysClose(t *task, s abi.Close) abi.Result {
	sl, ok := t.files.lookup(s.Fd)
	if !ok {
		return abi.Fail(abi.EBADF)
	}
	*sl = fdSlot{}
	k.wakePipes() // the last fd on a pipe's end closes it
	return abi.Ok(0)
}

// sysDup is dup(2) (FD-2): the lowest free fd on the same open file
// description, close-on-exec off.
func (k *Kernel) sysDup(t *task, s abi.Dup) abi.Result {
	sl, ok := t.files.lookup(s.Fd)
	if !ok {
		return abi.Fail(abi.EBADF)
	}
	fd, ok := t.files.lowestFree()
	if !ok {
		return abi.Fail(abi.EMFILE)
	}
	t.files.fds[fd] = fdSlot{file: sl.file}
	return abi.Ok(uint64(fd))
}

// sysFcntl is fcntl(2) F_GETFD / F_SETFD (FD-2). The fd is checked first
// (fdget_raw), then the command; other commands are unsupported.
func (k *Kernel) sysFcntl(t *task, s abi.Fcntl) abi.Result {
	sl, ok := t.files.lookup(s.Fd)
	if !ok {
		return abi.Fail(abi.EBADF)
	}
	switch u32(s.Cmd) {
	case uint64(abi.F_DUPFD), uint64(abi.F_DUPFD_CLOEXEC):
		// f_dupfd: the lowest free fd at or above arg (an unsigned int);
		// arg at or past RLIMIT_NOFILE is EINVAL, no free fd EMFILE (FD-5).
		from := u32(s.Arg)
		if from >= abi.FdLimit {
			return abi.Fail(abi.EINVAL)
		}
		fd, ok := t.files.lowestFreeFrom(int(from))
		if !ok {
			return abi.Fail(abi.EMFILE)
		}
		t.files.fds[fd] = fdSlot{file: sl.file, cloexec: u32(s.Cmd) == uint64(abi.F_DUPFD_CLOEXEC)}
		return abi.Ok(uint64(fd))
	case uint64(abi.F_GETPIPE_SZ):
		if sl.file.pipe == nil {
			return abi.Fail(abi.EBADF) // pipe_fcntl: not a pipe
		}
		return abi.Ok(abi.PipeCapacity) // PIPE-4
	case uint64(abi.F_GETFD):
		if sl.cloexec {
			return abi.Ok(uint64(abi.FD_CLOEXEC))
		}
		return abi.Ok(0)
	case uint64(abi.F_SETFD):
		sl.cloexec = s.Arg&abi.FD_CLOEXEC != 0
		return abi.Ok(0)
	}
	return abi.Refuse(abi.OutcomeUnsupported) // refused before the step (abi.Refusal)
}

// sysWrite is write(2) of N bytes (FD-3, FD-3c, FD-3d), in ksys_write's order: the
// fd (EBADF); a count larger than the address space (a negative one is a
// huge size_t) fails access_ok whatever the buffer: EFAULT; an offset that would overflow is
// EINVAL (rw_verify_area). A count of 0 returns 0 and changes nothing —
// not the offset, and not the size even past the end of the file
// (generic_write_checks returns before the file is touched). Otherwise at
// most MAX_RW_COUNT bytes are written (vfs_write): the shared offset
// advances and the file grows to it; a write that starts past the end
// leaves a gap, so the file may hold a hole from then on. Counts above
// abi.WriteMax and positions past abi.FileMax were refused before the step.
func (k *Kernel) sysWrite(t *task, s abi.Write) abi.Result {
	sl, ok := t.files.lookup(s.Fd)
	if !ok {
		return abi.Fail(abi.EBADF)
	}
	if sl.file.pipe != nil && !sl.file.writeEnd {
		return abi.Fail(abi.EBADF) // not FMODE_WRITE
	}
	if abi.WriteFaults(s.N) {
		return abi.Fail(abi.EFAULT) // access_ok: no buffer holds that many bytes
	}
	f := sl.file
	if f.pipe != nil {
		return k.pipeWrite(t, s, f)
	}
	if s.N > math.MaxInt64-f.offset {
		return abi.Fail(abi.EINVAL)
	}
	if s.N == 0 {
		return abi.Ok(0)
	}
	n := min(s.N, abi.MaxRWCount)
	if f.offset > k.sizes[f.path] {
		k.sparse[f.path] = true
	}
	f.offset += n
	k.sizes[f.path] = max(k.sizes[f.path], f.offset)
	return abi.Ok(uint64(n))
}

// sysLseek is lseek(2) (FD-3, FD-3c, FD-3d): moves the shared offset. Whence is an
// unsigned int. SEEK_SET, SEEK_CUR and SEEK_END: a negative result or an
// overflow is EINVAL (generic_file_llseek_size, vfs_setpos); SEEK_CUR 0
// returns the offset unchecked. SEEK_DATA and SEEK_HOLE: an offset that is
// negative or at or past the end of the file is ENXIO; below the end, a
// file without holes is data up to its end, so SEEK_DATA stays and
// SEEK_HOLE goes to the end (a file that may hold a hole was refused
// before the step, abi.Refusal). Any other whence is EINVAL.
func (k *Kernel) sysLseek(t *task, s abi.Lseek) abi.Result {
	sl, ok := t.files.lookup(s.Fd)
	if !ok {
		return abi.Fail(abi.EBADF)
	}
	f := sl.file
	if f.pipe != nil {
		if u32(s.Whence) > uint64(abi.SEEK_HOLE) {
			return abi.Fail(abi.EINVAL) // ksys_lseek checks whence first
		}
		return abi.Fail(abi.ESPIPE) // PIPE-5: a pipe has no position
	}
	size := k.sizes[f.path]
	var base int64
	switch u32(s.Whence) {
	case uint64(abi.SEEK_SET):
	case uint64(abi.SEEK_CUR):
		if s.Offset == 0 {
			return abi.Ok(uint64(f.offset))
		}
		base = f.offset
	case uint64(abi.SEEK_END):
		base = size
	case uint64(abi.SEEK_DATA), uint64(abi.SEEK_HOLE):
		if s.Offset < 0 || s.Offset >= size {
			return abi.Fail(abi.ENXIO)
		}
		f.offset = s.Offset
		if u32(s.Whence) == uint64(abi.SEEK_HOLE) {
			f.offset = size // the virtual hole at the end
		}
		return abi.Ok(uint64(f.offset))
	default:
		return abi.Fail(abi.EINVAL)
	}
	if (s.Offset > 0 && base > math.MaxInt64-s.Offset) || base+s.Offset < 0 {
		return abi.Fail(abi.EINVAL)
	}
	f.offset = base + s.Offset
	return abi.Ok(uint64(f.offset))
}

// sysRead is read(2) (FD-6, PIPE-2), in vfs_read's order: the fd (EBADF,
// also for a pipe's write end), a count no buffer can hold (EFAULT), at
// most MAX_RW_COUNT bytes. From a file: the bytes between the shared
// offset and the end, up to the count; the offset advances. From a pipe:
// pipeRead. Counts above abi.WriteMax were refused before the step.
func (k *Kernel) sysRead(t *task, s abi.Read) abi.Result {
	sl, ok := t.files.lookup(s.Fd)
	if !ok || (sl.file.pipe != nil && sl.file.writeEnd) {
		return abi.Fail(abi.EBADF)
	}
	if abi.WriteFaults(s.N) {
		return abi.Fail(abi.EFAULT) // access_ok, as for write
	}
	f := sl.file
	if f.pipe != nil {
		return k.pipeRead(t, s, f)
	}
	n := min(s.N, abi.MaxRWCount, max(k.sizes[f.path]-f.offset, 0))
	f.offset += n
	return abi.Ok(uint64(n))
}

// sysDup3 is dup3(2), and dup2(2) when dup2 (FD-5, ksys_dup3): dup2 of an
// fd onto itself returns it if open (EBADF if not) and changes nothing;
// dup3's flags other than O_CLOEXEC are EINVAL, and so is old == new; a
// new fd at or past RLIMIT_NOFILE is EBADF, then an old fd not open. The
// description goes to new, close-on-exec as the flags say (off for dup2),
// and whatever new held is closed (do_dup2).
func (k *Kernel) sysDup3(t *task, oldfd, newfd int, flags int64, dup2 bool) abi.Result {
	o, n := uint32(oldfd), uint32(newfd)
	if dup2 && o == n {
		if _, ok := t.files.lookup(oldfd); !ok {
			return abi.Fail(abi.EBADF)
		}
		return abi.Ok(uint64(o))
	}
	if flags&^abi.O_CLOEXEC != 0 || o == n {
		return abi.Fail(abi.EINVAL)
	}
	if n >= abi.FdLimit {
		return abi.Fail(abi.EBADF)
	}
	sl, ok := t.files.lookup(oldfd)
	if !ok {
		return abi.Fail(abi.EBADF)
	}
	t.files.fds[n] = fdSlot{file: sl.file, cloexec: flags&abi.O_CLOEXEC != 0}
	k.wakePipes() // what new held may have been a pipe end's last fd
	return abi.Ok(uint64(n))
}

// fsInfo is the fs struct (fs_struct): the umask; CLONE_FS shares it
// (CLONE-3). Invariant: umask in 0..0o777.
type fsInfo struct {
	id    int
	umask int64
}

// sysUmask is umask(2) (CLONE-3): returns the old mask, sets mask & 0o777.
func (k *Kernel) sysUmask(t *task, s abi.Umask) abi.Result {
	old := t.fs.umask
	t.fs.umask = s.Mask & 0o777
	return abi.Ok(uint64(old))
}

// closeOnExec closes every close-on-exec fd of f (EXEC-4, do_close_on_exec).
func (f *fdTable) closeOnExec() {
	for i := range f.fds {
		if f.fds[i].cloexec {
			f.fds[i] = fdSlot{}
		}
	}
}
