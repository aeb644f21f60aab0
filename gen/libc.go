package gen

import (
	"github.com/forkspec/forkspec/abi"
)

// Argument generators for the calls libc makes around process creation
// (abi/syscall_libc.go, docs/pipes.md, docs/libc.md): pipes, descriptor
// duplication, futexes, thread-directed signals and the pending-set query,
// and the tid pointers of clone and clone3. Like args.go, each keeps a
// steady share of bad values so that every error path is exercised.

// buildLibc draws the arguments of a call of kind k by task t, whose
// address space is m.
func (g *Generator) buildLibc(src Source, w world, t abi.TaskView, m abi.MmView, k kind) abi.Syscall {
	ft, ok := w.fdTable(t.FdTable)
	switch k {
	case kPipe2:
		return abi.Pipe2{Flags: pickFrom(src, "pipe2-flags", pipe2FlagTable)}
	case kRead:
		return abi.Read{Fd: pipeFd(src, w, ft, ok, false), N: readCount(src)}
	case kDup2:
		return abi.Dup2{Old: fd(src, ft, ok), New: newFd(src, ft, ok)}
	case kDup3:
		return abi.Dup3{Old: fd(src, ft, ok), New: newFd(src, ft, ok), Flags: pickFrom(src, "dup3-flags", dup3FlagTable)}
	case kFutex:
		return futexCall(src, w, m)
	case kTgkill:
		tgid, tid := threadTarget(src, w)
		return abi.Tgkill{Tgid: tgid, Tid: tid, Sig: pickFrom(src, "kill-sig", killSigTable)}
	case kTkill:
		_, tid := threadTarget(src, w)
		return abi.Tkill{Tid: tid, Sig: pickFrom(src, "kill-sig", killSigTable)}
	default:
		return abi.Sigpending{}
	}
}

var pipe2FlagTable = []choice[int64]{
	{4, 0},
	{4, abi.O_CLOEXEC},
	{1, abi.O_NONBLOCK}, // unsupported
	{1, 0x1},            // EINVAL
}

var dup3FlagTable = []choice[int64]{
	{3, 0},
	{3, abi.O_CLOEXEC},
	{1, 0x1}, // EINVAL
}

// pipeFd returns, mostly, an end of a pipe open in table ft: the read end
// for a read (the write end when writeEnd), else any fd as fd draws it.
func pipeFd(src Source, w world, ft abi.FdTableView, ok, writeEnd bool) int {
	if ok && chance(src, 2, 3, "pipe-end?") {
		var ends []int
		for _, f := range ft.Fds {
			if fv, found := w.file(f.File); found && fv.Pipe != 0 && fv.WriteEnd == writeEnd {
				ends = append(ends, f.Fd)
			}
		}
		if len(ends) > 0 {
			return ends[intn(src, len(ends), "pipe-fd")]
		}
	}
	return fd(src, ft, ok)
}

// readCount returns a read count: small mostly, a page, a whole pipe, 0,
// and at a low rate a count no buffer holds (EFAULT) or one above
// WriteMax (refused).
func readCount(src Source) int64 {
	switch weighted(src, "read-kind", 12, 3, 2, 1, 1, 1) {
	case 1:
		return abi.PipeBuf
	case 2:
		return abi.PipeCapacity
	case 3:
		return 0
	case 4:
		return 1 << 62
	case 5:
		return abi.WriteMax + 1
	}
	return int64(1 + intn(src, 100, "read-n"))
}

// newFd returns the target of a dup2 or dup3: an fd open in the table
// (closed first), a free low one, or one at RLIMIT_NOFILE or below 0
// (EBADF, FD-5).
func newFd(src Source, ft abi.FdTableView, ok bool) int {
	switch weighted(src, "new-fd", 4, 4, 1, 1) {
	case 0:
		if ok && len(ft.Fds) > 0 {
			return ft.Fds[intn(src, len(ft.Fds), "open-fd")].Fd
		}
	case 2:
		return abi.FdLimit
	case 3:
		return -1
	}
	return intn(src, 6, "low-fd")
}

// futexCall returns a futex call on a word of m: mostly a wait on the value
// the word holds (it sleeps) or on another (EAGAIN), a wake, and at a low
// rate a word off the map (EFAULT), an unknown command (ENOSYS) or one not
// modelled (refused).
func futexCall(src Source, w world, m abi.MmView) abi.Futex {
	a, ok := writablePage(src, m)
	if !ok || chance(src, 1, 8, "futex-odd-addr?") {
		a = addr(src, w, m)
	}
	word := uint64(0)
	if p, found := pageAt(m, pageOf(a)); found {
		word = p.Value & 0xffffffff
	}
	private := int64(0)
	if chance(src, 2, 3, "futex-private?") {
		private = abi.FUTEX_PRIVATE_FLAG
	}
	switch weighted(src, "futex-op", 5, 2, 5, 1, 1, 1) {
	case 0, 1:
		op := []int64{abi.FUTEX_WAIT, abi.FUTEX_WAIT_BITSET}[intn(src, 2, "wait-op")]
		if chance(src, 1, 4, "futex-other-value?") {
			word++ // EAGAIN: the word does not hold it
		}
		return abi.Futex{Addr: a, Op: op | private, Val: word}
	case 2:
		op := []int64{abi.FUTEX_WAKE, abi.FUTEX_WAKE_BITSET}[intn(src, 2, "wake-op")]
		return abi.Futex{Addr: a, Op: op | private, Val: []uint64{1, 2, 1<<31 - 1}[intn(src, 3, "wake-n")]}
	case 3:
		return abi.Futex{Addr: a, Op: 99, Val: 1} // ENOSYS
	case 4:
		return abi.Futex{Addr: a, Op: abi.FUTEX_WAKE | abi.FUTEX_CLOCK_REALTIME, Val: 1} // ENOSYS
	}
	return abi.Futex{Addr: a, Op: 6, Val: 0} // FUTEX_LOCK_PI: not modelled
}

// threadTarget returns a (tgid, tid) pair for tgkill: mostly a thread and
// its own group, sometimes another group's thread (ESRCH), a missing tid
// or a bad one (EINVAL).
func threadTarget(src Source, w world) (int, int) {
	n := len(w.v.Tasks)
	switch weighted(src, "thread-target", 8, 1, 1, 1) {
	case 0:
		if n > 0 {
			t := w.v.Tasks[intn(src, n, "thread")]
			return t.Tgid, t.Tid
		}
	case 1:
		if n > 1 {
			a, b := w.v.Tasks[intn(src, n, "thread")], w.v.Tasks[intn(src, n, "other-thread")]
			return a.Tgid, b.Tid
		}
	case 2:
		return 1, w.maxTid() + 5
	case 3:
		return []int{0, -1}[intn(src, 2, "bad-tgid")], 1
	}
	return 1, 1
}

// tidPointers returns clone's parent_tid and child_tid for flags: when a
// tid flag is set, mostly a writable page of m (a tid word), sometimes
// NULL, an unmapped page, or a page at ArenaEnd (refused); without one,
// mostly NULL (the kernel ignores them).
func tidPointers(src Source, m abi.MmView, flags uint64) (ptid, ctid uint64) {
	const tidFlags = abi.CLONE_PARENT_SETTID | abi.CLONE_CHILD_SETTID | abi.CLONE_CHILD_CLEARTID
	if flags&tidFlags == 0 && !chance(src, 1, 10, "stray-tid-pointer?") {
		return 0, 0
	}
	one := func(label string) uint64 {
		switch weighted(src, label, 8, 1, 1, 1) {
		case 0:
			if a, ok := writablePage(src, m); ok {
				return a
			}
		case 1:
			return 0
		case 2:
			return abi.ArenaStart + 0x7f000000 // nothing maps it: the store faults
		case 3:
			return abi.UserAddrMax // refused: the oracle's own memory
		}
		return hotAddr(src)
	}
	ptid = one("ptid")
	if chance(src, 1, 2, "same-tid-word?") {
		return ptid, ptid // as pthread_create: one word for both
	}
	return ptid, one("ctid")
}

// keepOneRunning returns sc, or a call that cannot sleep or end the caller
// when sc might leave the world with no running task: nothing else could
// ever step again, and every later step of the run would be refused. It
// applies when tid is the only running task and sc might sleep (wait4
// without WNOHANG, a pipe read, a pipe write, a futex wait) or end it
// while tasks sleep (exit, exit_group, a load or store that may fault, a
// signal to itself or its group). One time in 16 sc goes through, so
// a world where everyone sleeps is still reached now and then.
func keepOneRunning(src Source, w world, tid int, sc abi.Syscall) abi.Syscall {
	if run := w.running(); len(run) != 1 || run[0] != tid {
		return sc
	}
	t, _ := w.task(tid)
	sleeping := false
	for _, u := range w.v.Tasks {
		sleeping = sleeping || u.State == abi.Blocked
	}
	risky := false
	switch s := sc.(type) {
	case abi.Wait4:
		if s.Options&abi.WNOHANG == 0 {
			if chance(src, 1, 16, "let-sleep?") {
				return sc
			}
			s.Options |= abi.WNOHANG
			return s
		}
	case abi.Read:
		risky = pipeEnd(w, t, s.Fd, false)
	case abi.Write:
		risky = pipeEnd(w, t, s.Fd, true)
	case abi.Futex:
		cmd := int64(int32(s.Op)) & abi.FUTEX_CMD_MASK
		risky = cmd == abi.FUTEX_WAIT || cmd == abi.FUTEX_WAIT_BITSET
	case abi.Exit, abi.ExitGroup:
		risky = sleeping
	case abi.Load:
		risky = sleeping && !mapsWith(w, t, s.Addr, abi.PROT_READ)
	case abi.Store:
		risky = sleeping && !mapsWith(w, t, s.Addr, abi.PROT_WRITE)
	case abi.Kill:
		risky = sleeping && (s.Pid == t.Tgid || s.Pid == tid || s.Pid <= 0)
	case abi.Tgkill:
		risky = sleeping && s.Tid == tid
	case abi.Tkill:
		risky = sleeping && s.Tid == tid
	}
	if !risky || chance(src, 1, 16, "let-sleep?") {
		return sc
	}
	return abi.Gettid{}
}

// mapsWith reports whether task t's address space maps addr with prot.
func mapsWith(w world, t abi.TaskView, addr uint64, prot int64) bool {
	m, _ := w.mm(t.Mm)
	mp, ok := mappingAt(m, pageOf(addr))
	return ok && mp.Prot&prot != 0
}
