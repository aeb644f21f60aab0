package abi

import (
	"fmt"
	"strconv"
	"strings"
)

func hex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

// cloneFlags prints legacy clone flags: CLONE_* names, then the low byte as a signal.
func cloneFlags(f uint64) string {
	s := formatFlags(f&^CSIGNAL, cloneNames)
	if sig := f & CSIGNAL; sig != 0 {
		if s == "0" {
			return SignalName(int(sig))
		}
		return s + "|" + SignalName(int(sig))
	}
	return s
}

func (Fork) String() string    { return "fork" }
func (Vfork) String() string   { return "vfork" }
func (Getpid) String() string  { return "getpid" }
func (Getppid) String() string { return "getppid" }
func (Gettid) String() string  { return "gettid" }
func (c Clone) String() string { return "clone " + cloneFlags(c.Flags) + tidPointers(c.Ptid, c.Ctid) }
func (c Clone3) String() string {
	sig := hex(c.ExitSignal)
	if c.ExitSignal <= NSIG {
		sig = SignalName(int(c.ExitSignal))
	}
	return "clone3 " + formatFlags(c.Flags, cloneNames) + " " + sig + tidPointers(c.Ptid, c.Ctid)
}

// tidPointers prints clone's nonzero tid pointers as ptid=ADDR ctid=ADDR.
func tidPointers(ptid, ctid uint64) string {
	s := ""
	if ptid != 0 {
		s += " ptid=" + hex(ptid)
	}
	if ctid != 0 {
		s += " ctid=" + hex(ctid)
	}
	return s
}
func (e Execve) String() string    { return "execve " + quoteWord(e.Image) }
func (e Exit) String() string      { return "exit " + strconv.Itoa(e.Code) }
func (e ExitGroup) String() string { return "exit_group " + strconv.Itoa(e.Code) }
func (w Wait4) String() string {
	return fmt.Sprintf("wait4 %d %s", w.Pid, formatFlags(uint64(w.Options), waitNames))
}
func (p Prctl) String() string {
	return fmt.Sprintf("prctl %s %d", formatEnum(p.Option, prctlNames), p.Arg)
}
func (m Mmap) String() string {
	return fmt.Sprintf("mmap %s %s %s %s", hex(m.Addr), hex(m.Len), protString(m.Prot), formatFlags(uint64(m.Flags), mapNames))
}
func (m Munmap) String() string { return fmt.Sprintf("munmap %s %s", hex(m.Addr), hex(m.Len)) }
func (m Mprotect) String() string {
	return fmt.Sprintf("mprotect %s %s %s", hex(m.Addr), hex(m.Len), protString(m.Prot))
}
func (m Madvise) String() string {
	return fmt.Sprintf("madvise %s %s %s", hex(m.Addr), hex(m.Len), formatEnum(m.Advice, adviceNames))
}
func (l Load) String() string  { return "load " + hex(l.Addr) }
func (s Store) String() string { return fmt.Sprintf("store %s %s", hex(s.Addr), hex(s.Value)) }
func (o Open) String() string {
	return fmt.Sprintf("open %s %s", quoteWord(o.Path), formatFlags(uint64(o.Flags), openNames))
}
func (c Close) String() string { return "close " + strconv.Itoa(c.Fd) }
func (d Dup) String() string   { return "dup " + strconv.Itoa(d.Fd) }
func (f Fcntl) String() string {
	arg := strconv.FormatInt(f.Arg, 10)
	if f.Cmd == F_SETFD {
		arg = formatFlags(uint64(f.Arg), fdNames)
	}
	return fmt.Sprintf("fcntl %d %s %s", f.Fd, formatEnum(f.Cmd, fcntlNames), arg)
}
func (w Write) String() string { return fmt.Sprintf("write %d %d", w.Fd, w.N) }
func (l Lseek) String() string {
	return fmt.Sprintf("lseek %d %d %s", l.Fd, l.Offset, formatEnum(l.Whence, whenceNames))
}
func (u Umask) String() string {
	if u.Mask < 0 { // -0o22, not 0o-22: the sign goes before the base prefix
		return "umask -0o" + strconv.FormatUint(uint64(-u.Mask), 8)
	}
	return "umask 0o" + strconv.FormatInt(u.Mask, 8)
}
func (s Sigaction) String() string {
	return fmt.Sprintf("sigaction %s %s %s", SignalName(s.Sig), s.Handler, formatFlags(s.Flags, saNames)) + oldWord(s.Old)
}
func (s Sigprocmask) String() string {
	return fmt.Sprintf("sigprocmask %s %s", formatEnum(s.How, howNames), s.Set) + oldWord(s.Old)
}

func oldWord(old bool) string {
	if old {
		return " old"
	}
	return ""
}
func (p Pipe2) String() string { return "pipe2 " + formatFlags(uint64(p.Flags), pipeNames) }
func (r Read) String() string  { return fmt.Sprintf("read %d %d", r.Fd, r.N) }
func (d Dup2) String() string  { return fmt.Sprintf("dup2 %d %d", d.Old, d.New) }
func (d Dup3) String() string {
	return fmt.Sprintf("dup3 %d %d %s", d.Old, d.New, formatFlags(uint64(d.Flags), openNames))
}
func (f Futex) String() string {
	return fmt.Sprintf("futex %s %s %d", hex(f.Addr), futexOp(f.Op), f.Val)
}
func (t Tgkill) String() string {
	return fmt.Sprintf("tgkill %d %d %s", t.Tgid, t.Tid, SignalName(t.Sig))
}
func (t Tkill) String() string    { return fmt.Sprintf("tkill %d %s", t.Tid, SignalName(t.Sig)) }
func (Sigpending) String() string { return "sigpending" }

// futexOp prints a futex op as its command's name and its flags.
func futexOp(op int64) string {
	cmd := op & FUTEX_CMD_MASK
	s := formatEnum(cmd, futexNames)
	if cmd < 0 || cmd > 0xffff {
		s = hex(uint64(cmd))
	}
	if f := op &^ FUTEX_CMD_MASK; f != 0 {
		s += "|" + formatFlags(uint64(f), futexFlagNames)
	}
	return s
}
func (k Kill) String() string { return fmt.Sprintf("kill %d %s", k.Pid, SignalName(k.Sig)) }

func protString(p int64) string {
	if p == PROT_NONE {
		return "PROT_NONE"
	}
	return formatFlags(uint64(p), protNames)
}

// quoteWord prints a word argument (an image name or a path) bare when it is
// a plain word, else Go-quoted so that the parser reads it back exactly.
func quoteWord(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '#' || r == '\\' || r > '~'
	}) || strings.HasPrefix(s, "->") {
		return strconv.Quote(s)
	}
	return s
}

// String prints the result in trace syntax, as written after "->":
//
//	3                    success returning 3
//	0x100000000000       success; large values print in hex
//	ENOENT               failure with an errno
//	2 status=exit(1)     wait4 reaped pid 2, which exited with code 1
//	                     (status=exit(0) is status 0 and is not printed)
//	3 status=signal(SIGTERM)
//	2 frozen             vfork returned 2; the caller is now frozen
//	exited | execed | killed(SIGSEGV)
//	blocked              the call sleeps (docs/conventions.md "Blocking")
//	no-task | task-frozen | zombie | task-blocked | unsupported
func (r Result) String() string {
	switch {
	case r.Outcome.Refused():
		return r.Outcome.String()
	case r.Outcome == OutcomeExited || r.Outcome == OutcomeExeced || r.Outcome == OutcomeBlocked:
		return r.Outcome.String()
	case r.Outcome == OutcomeKilled:
		return "killed(" + SignalName(r.Signal) + ")"
	}
	var s string
	if r.Err != 0 {
		s = r.Err.String()
	} else if r.Ret >= 0x10000 {
		s = hex(r.Ret)
	} else {
		s = strconv.FormatUint(r.Ret, 10)
	}
	if r.Status != 0 {
		s += " status=" + FormatWaitStatus(r.Status)
	}
	if r.Outcome == OutcomeFrozen {
		s += " frozen"
	}
	return s
}

// FormatWaitStatus prints a wait status as exit(N) or signal(SIG), or as a
// hex number when it is neither.
func FormatWaitStatus(st int) string {
	switch {
	case st&0x7f == 0 && st&^0xff00 == 0:
		return fmt.Sprintf("exit(%d)", st>>8)
	case st&0x7f != 0 && st&0x7f != 0x7f && st&^0x7f == 0:
		return "signal(" + SignalName(st&0x7f) + ")"
	}
	return hex(uint64(st))
}
