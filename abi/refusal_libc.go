package abi

// The refusal rules of the calls libc makes (syscall_libc.go) and of the
// tid pointers of clone and clone3. docs/conventions.md "Blocking", "Pipes"
// and "Futexes" say the same in prose.

// UserAddrMax bounds the addresses a trace may hand the kernel to write
// through or to sleep on (clone's tid pointers, futex words): the Linux
// oracle's agent keeps its own code, stacks and reservation at and above
// ArenaEnd, so a write there would change the agent, not the trace.
const UserAddrMax = ArenaEnd

// tidRefusal: after the checks of creationRefusal, clone3's CLONE_PIDFD
// with a parent_tid pointer (its pidfd pointer is NULL, which legacy clone
// shares with parent_tid: kernel_clone's EINVAL only fires when the two are
// equal), and tid pointers at or above UserAddrMax for the flags that use
// them; and, with protection keys unknown, a CLONE_CHILD_CLEARTID pointer
// into a PROT_EXEC-only mapping: whether mm_release's futex wake there
// faults (a shared futex's key takes the page read-only) is the PKU
// question of MEM-3i. (A mapping made execute-only after the clone is not
// caught: the exit cannot be refused.)
func tidRefusal(cfg Config, w World, flags, ptid, ctid uint64, legacy bool) string {
	if legacy {
		flags &^= CSIGNAL
	}
	f := flags
	if !legacy && ptid != 0 {
		f &^= CLONE_PIDFD
	}
	if CloneInvalid(f, w.InitGroup()) {
		return "" // EINVAL
	}
	if f != flags {
		return "clone flag not modelled"
	}
	if flags&CLONE_PARENT_SETTID != 0 && ptid >= UserAddrMax {
		return "parent_tid pointer at or above ArenaEnd (the oracle's own memory)"
	}
	if flags&(CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID) != 0 && ctid >= UserAddrMax {
		return "child_tid pointer at or above ArenaEnd (the oracle's own memory)"
	}
	if flags&CLONE_CHILD_CLEARTID != 0 && ctid != 0 {
		if v, ok := MappingAt(w.Mappings(), ctid); ok && v.Prot == PROT_EXEC {
			if _, known := cfg.ExecOnlyFaults(); !known {
				return "child_tid in a PROT_EXEC-only mapping with PKU unknown (mm_release's futex wake)"
			}
		}
	}
	return ""
}

// FcntlModelled reports whether fcntl command cmd (a C int) is modelled.
func FcntlModelled(cmd int64) bool {
	switch int64(int32(cmd)) {
	case F_GETFD, F_SETFD, F_DUPFD, F_DUPFD_CLOEXEC, F_GETPIPE_SZ:
		return true
	}
	return false
}

// readRefusal: after the fd (EBADF: not open, or a pipe's write end) and a
// count no buffer can hold (EFAULT), counts above WriteMax (the oracle
// reads the bytes) and a second reader of a pipe that has a blocked one.
func readRefusal(w World, s Read) string {
	f, ok := w.File(s.Fd)
	if !ok || (f.Pipe && f.WriteEnd) || WriteFaults(s.N) {
		return ""
	}
	if s.N > WriteMax {
		return "read count above WriteMax"
	}
	if f.Pipe && s.N != 0 && f.ReaderBlocked {
		return "a second reader on a pipe with a blocked reader (the wait queue's order is not modelled)"
	}
	return ""
}

// PipeFlagsValid are the flags pipe2 accepts (do_pipe2: any other bit is
// EINVAL); PipeFlagsModelled those forkspec models.
const (
	PipeFlagsValid    = O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_EXCL
	PipeFlagsModelled = O_CLOEXEC
)

// pipe2Refusal: O_NONBLOCK (EAGAIN instead of sleeping), O_DIRECT (packet
// mode) and O_NOTIFICATION_PIPE (watch queues), once the flags are valid.
func pipe2Refusal(s Pipe2) string {
	if s.Flags&^PipeFlagsValid != 0 {
		return "" // EINVAL
	}
	if s.Flags&^PipeFlagsModelled != 0 {
		return "pipe2 flag not modelled"
	}
	return ""
}

// FutexModelled reports whether a futex command (op & FUTEX_CMD_MASK) is
// one forkspec models.
func FutexModelled(cmd int64) bool {
	switch cmd {
	case FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET:
		return true
	}
	return false
}

// FutexENOSYS reports whether do_futex answers op with ENOSYS: an unknown
// command, or FUTEX_CLOCK_REALTIME with a command other than
// FUTEX_WAIT_BITSET (and the PI commands, which are refused anyway).
func FutexENOSYS(op int64) bool {
	op = int64(int32(op))
	cmd := op & FUTEX_CMD_MASK
	if cmd < 0 || cmd >= FutexCommands {
		return true
	}
	return op&FUTEX_CLOCK_REALTIME != 0 && cmd != FUTEX_WAIT_BITSET && cmd != 11 && cmd != 13
}

// futexRefusal: commands other than the four modelled ones, once ENOSYS is
// ruled out; words at or above UserAddrMax; and, with protection keys
// unknown, an access to a PROT_EXEC-only mapping (whether it faults is the
// PKU question of MEM-3i).
func futexRefusal(cfg Config, w World, s Futex) string {
	if FutexENOSYS(s.Op) {
		return "" // ENOSYS
	}
	if !FutexModelled(int64(int32(s.Op)) & FUTEX_CMD_MASK) {
		return "futex command not modelled"
	}
	if s.Addr >= UserAddrMax {
		return "futex word at or above ArenaEnd (the oracle's own memory)"
	}
	if v, ok := MappingAt(w.Mappings(), s.Addr); ok && v.Prot == PROT_EXEC {
		if _, known := cfg.ExecOnlyFaults(); !known {
			return "futex word in a PROT_EXEC-only mapping with PKU unknown"
		}
	}
	return ""
}

// tkillRefusal follows do_tkill and do_send_specific: a bad tid or tgid
// (EINVAL), no such thread or another group's (ESRCH), a bad signal
// (EINVAL), 0, a dying group (prepare_signal: 0); then, as for kill,
// queued real-time signals and the stop signals.
func tkillRefusal(w World, tgid, tid, sig int32, group bool) string {
	if tid <= 0 || (group && tgid <= 0) {
		return "" // EINVAL
	}
	g, ok := w.TaskGroup(int(tid))
	if !ok || (group && int32(g) != tgid) || sig < 0 || sig > NSIG || sig == 0 {
		return "" // ESRCH, EINVAL, 0
	}
	if _, dying := w.Target(int(tid)); dying {
		return ""
	}
	if sig >= SIGRTMIN {
		return "queued real-time signal"
	}
	if StopSignal(int(sig)) {
		return "stop signal"
	}
	return ""
}
