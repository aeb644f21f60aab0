package abi_test

import (
	"errors"
	"strings"
	"testing"

	. "github.com/forkspec/forkspec/abi"
)

// TestParseSyscallValid reads canonical and hand-written forms.
func TestParseSyscallValid(t *testing.T) {
	tests := []struct {
		in   string
		want Syscall
	}{
		{"fork", Fork{}},
		{"  vfork\t", Vfork{}},
		{"getpid", Getpid{}},
		{"getppid", Getppid{}},
		{"gettid", Gettid{}},
		{"clone CLONE_VM|CLONE_VFORK|SIGCHLD", Clone{Flags: CLONE_VM | CLONE_VFORK | SIGCHLD}},
		{"clone clone_vm|chld", Clone{Flags: CLONE_VM | SIGCHLD}},
		{"clone 0x4111", Clone{Flags: CLONE_VM | CLONE_VFORK | SIGCHLD}},
		{"clone CLONE_THREAD|CLONE_SIGHAND|CLONE_VM", Clone{Flags: CLONE_THREAD | CLONE_SIGHAND | CLONE_VM}},
		{"clone CLONE_VM|200", Clone{Flags: CLONE_VM | 200}},
		{"clone 0", Clone{}},
		{"clone SIGRTMIN+2", Clone{Flags: 34}},
		{"clone3 CLONE_VM|CLONE_CLEAR_SIGHAND SIGCHLD", Clone3{Flags: CLONE_VM | CLONE_CLEAR_SIGHAND, ExitSignal: SIGCHLD}},
		{"clone3 0 0", Clone3{}},
		{"clone3 0x1000000000 0x41", Clone3{Flags: 1 << 36, ExitSignal: 65}},
		{"execve sh", Execve{Image: "sh"}},
		{`execve "a b#c"`, Execve{Image: "a b#c"}},
		{`execve ""`, Execve{Image: ""}},
		{"exit 3", Exit{Code: 3}},
		{"exit -1", Exit{Code: -1}},
		{"exit_group 0x10", ExitGroup{Code: 16}},
		{"wait4 -1 WNOHANG|__WALL", Wait4{Pid: -1, Options: WNOHANG | 0x40000000}},
		{"wait4 2 0", Wait4{Pid: 2}},
		{"wait4 2 0xffffffffffffffff", Wait4{Pid: 2, Options: -1}},
		{"wait4 2 -1", Wait4{Pid: 2, Options: -1}},
		{"prctl PR_SET_CHILD_SUBREAPER 1", Prctl{Option: PR_SET_CHILD_SUBREAPER, Arg: 1}},
		{"prctl 99 18446744073709551615", Prctl{Option: 99, Arg: 1<<64 - 1}},
		{"mmap 0x100000400000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED",
			Mmap{Addr: 0x100000400000, Len: 0x2000, Prot: PROT_READ | PROT_WRITE, Flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED}},
		{"mmap 0 4096 PROT_NONE 0x22", Mmap{Len: 4096, Prot: PROT_NONE, Flags: MAP_PRIVATE | MAP_ANONYMOUS}},
		{"mmap 0 1 3 MAP_SHARED|0x20", Mmap{Len: 1, Prot: 3, Flags: MAP_SHARED | MAP_ANONYMOUS}},
		{"munmap 0x1000 0o10000", Munmap{Addr: 0x1000, Len: 4096}},
		{"mprotect 0x1000 4096 PROT_NONE", Mprotect{Addr: 0x1000, Len: 4096}},
		{"madvise 0x1000 4096 MADV_DONTFORK", Madvise{Addr: 0x1000, Len: 4096, Advice: MADV_DONTFORK}},
		{"madvise 0x1000 4096 -7", Madvise{Addr: 0x1000, Len: 4096, Advice: -7}},
		{"load 0x100000000000", Load{Addr: 0x100000000000}},
		{"store 0x100000000000 0x2a", Store{Addr: 0x100000000000, Value: 42}},
		{"store 0x100000000000 0b101", Store{Addr: 0x100000000000, Value: 5}},
		{"open a O_CLOEXEC", Open{Path: "a", Flags: O_CLOEXEC}},
		{"open b 0", Open{Path: "b"}},
		{"close 3", Close{Fd: 3}},
		{"dup 3", Dup{Fd: 3}},
		{"fcntl 3 F_SETFD FD_CLOEXEC", Fcntl{Fd: 3, Cmd: F_SETFD, Arg: FD_CLOEXEC}},
		{"fcntl 3 F_GETFD 0", Fcntl{Fd: 3, Cmd: F_GETFD}},
		{"fcntl 3 F_GETFD -5", Fcntl{Fd: 3, Cmd: F_GETFD, Arg: -5}},
		{"write 3 10", Write{Fd: 3, N: 10}},
		{"lseek 3 -4 SEEK_END", Lseek{Fd: 3, Offset: -4, Whence: SEEK_END}},
		{"umask 0o77", Umask{Mask: 0o77}},
		{"umask 022", Umask{Mask: 0o22}},
		{"umask -0o22", Umask{Mask: -0o22}},
		{"sigaction SIGCHLD SIG_IGN 0", Sigaction{Sig: SIGCHLD, Handler: SigIgnore}},
		{"sigaction SIGUSR1 handler SA_NOCLDWAIT", Sigaction{Sig: SIGUSR1, Handler: SigHandle, Flags: SA_NOCLDWAIT}},
		{"sigaction 65 7 0", Sigaction{Sig: 65, Handler: 7}},
		{"sigaction SIGRTMAX-1 SIG_DFL 0", Sigaction{Sig: 63, Handler: SigDefault}},
		{"sigprocmask SIG_BLOCK SIGUSR1|SIGTERM", Sigprocmask{How: SIG_BLOCK, Set: SigBit(SIGUSR1) | SigBit(SIGTERM)}},
		{"sigprocmask SIG_SETMASK 0", Sigprocmask{How: SIG_SETMASK}},
		{"sigprocmask 2 10|64", Sigprocmask{How: 2, Set: SigBit(10) | SigBit(64)}},
		{"kill 2 SIGTERM", Kill{Pid: 2, Sig: SIGTERM}},
		{"kill 2 kill", Kill{Pid: 2, Sig: SIGKILL}},
		{"kill 2 SIGIOT", Kill{Pid: 2, Sig: SIGABRT}},
		{"kill -3 0", Kill{Pid: -3}},
		{"KILL 2 9", Kill{Pid: 2, Sig: 9}},
	}
	for _, tt := range tests {
		got, err := ParseSyscall(tt.in)
		if err != nil {
			t.Errorf("ParseSyscall(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSyscall(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// TestParseSyscallInvalid checks that bad text is refused with a
// *SyntaxError pointing at the right column and saying what is wrong.
func TestParseSyscallInvalid(t *testing.T) {
	tests := []struct {
		in  string
		col int
		msg string
	}{
		{"", 1, "missing syscall"},
		{"   ", 1, "missing syscall"},
		{"frok", 1, `unknown syscall "frok"`},
		{`"fork"`, 1, "unknown syscall"},
		{"fork 1", 6, `fork: unexpected argument "1"`},
		{"exit", 5, "exit: missing status"},
		{"exit  ", 7, "exit: missing status"},
		{"exit x", 6, `status: bad number "x"`},
		{"exit 1x", 6, `bad number "1x"`},
		{"exit 99999999999999999999", 6, "out of range"},
		{"exit --1", 6, "bad number"},
		{"load -1", 6, "must not be negative"},
		{"store 0x10", 11, "missing value"},
		{"clone CLONE_VM|CLONE_BOGUS", 16, `unknown name "CLONE_BOGUS"`},
		{"clone CLONE_VM||SIGCHLD", 16, "empty part"},
		{"clone SIGCHLD|SIGUSR1", 15, "second termination signal"},
		{"clone3 0 SIGBOGUS", 10, "unknown signal"},
		{"clone3 0 -1", 10, "must not be negative"},
		{"wait4 -1 WNOHANG|WFOO", 18, `unknown name "WFOO"`},
		{"mmap 0 1 PROT_READ", 19, "missing flags"},
		{"madvise 0 1 MADV_FOO", 13, `unknown name "MADV_FOO"`},
		{"sigaction SIGFOO SIG_IGN 0", 11, "unknown signal"},
		{"sigaction SIGCHLD SIG_FOO 0", 19, "unknown name"},
		{"sigprocmask SIG_BLOCK SIGUSR1|65", 31, "out of range 1..64"},
		{"sigprocmask SIG_BLOCK 0|SIGUSR1", 23, "out of range 1..64"},
		{"kill 2 SIGRTMIN+40", 8, "unknown signal"},
		{`execve "sh`, 8, "unterminated"},
		{`execve "sh"x`, 12, "expected a space"},
		{`execve s"h`, 9, `unexpected '"'`},
		{"execve s\x01h", 9, "control character"},
		{`close "3"`, 7, "unexpected quoted string"},
		{"kill 2 SIGTERM extra", 16, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		sc, err := ParseSyscall(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseSyscall(%q) = %v, %v; want a *SyntaxError", tt.in, sc, err)
			continue
		}
		if se.Col != tt.col || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("ParseSyscall(%q) error = col %d %q, want col %d containing %q", tt.in, se.Col, se.Msg, tt.col, tt.msg)
		}
	}
}

// TestParseResult reads every form Result.String prints, and hand-written ones.
func TestParseResult(t *testing.T) {
	tests := []struct {
		in   string
		want Result
	}{
		{"3", Ok(3)},
		{"0x100000000000", Ok(0x100000000000)},
		{"ENOENT", Fail(ENOENT)},
		{"einval", Fail(EINVAL)},
		{"errno(95)", Fail(95)},
		{"2 status=exit(1)", Result{Ret: 2, Status: WaitExited(1)}},
		{"2 status=exit(0)", Result{Ret: 2}},
		{"3 status=signal(SIGTERM)", Result{Ret: 3, Status: WaitSignaled(SIGTERM)}},
		{"3 status=signal(9)", Result{Ret: 3, Status: 9}},
		{"3 status=0x137f", Result{Ret: 3, Status: 0x137f}},
		{"2 frozen", Result{Ret: 2, Outcome: OutcomeFrozen}},
		{"EAGAIN frozen", Result{Err: EAGAIN, Outcome: OutcomeFrozen}},
		{"exited", Refuse(OutcomeExited)},
		{"execed", Refuse(OutcomeExeced)},
		{"killed(SIGSEGV)", Result{Outcome: OutcomeKilled, Signal: SIGSEGV}},
		{"killed(0)", Result{Outcome: OutcomeKilled}},
		{"no-task", Refuse(OutcomeNoTask)},
		{"task-frozen", Refuse(OutcomeTaskFrozen)},
		{"zombie", Refuse(OutcomeTaskZombie)},
		{"blocked", Refuse(OutcomeBlocked)},
		{"task-blocked", Refuse(OutcomeTaskBlocked)},
		{"sigset(SIGUSR1|SIGTERM)", Ok(uint64(SigBit(SIGUSR1) | SigBit(SIGTERM)))},
		{"sigset(0)", Ok(0)},
		{"action(handler|SA_RESTART)", Ok(OldAction(SigHandle, SA_RESTART))},
		{"action(SIG_IGN)", Ok(OldAction(SigIgnore, 0))},
		{"unsupported", Refuse(OutcomeUnsupported)},
	}
	for _, tt := range tests {
		got, err := ParseResult(tt.in)
		if err != nil {
			t.Errorf("ParseResult(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseResult(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}

	bad := []struct {
		in  string
		col int
		msg string
	}{
		{"", 1, "missing result"},
		{"ENOPE", 1, "expected a number, an errno name"},
		{"frozen", 1, "expected a number"},
		{"exited 3", 8, "unexpected"},
		{"killed(SIGFOO)", 8, "unknown signal"},
		{"killed()", 8, `unknown signal ""`},
		{"killed(SIGSEGV", 1, "expected killed("},
		{"2 status=exit(256)", 15, "out of range 0..255"},
		{"2 status=signal(127)", 17, "out of range 1..126"},
		{"2 status=bogus", 10, "wait status"},
		{"2 frozen frozen", 10, "at most once"},
		{"2 status=exit(1) status=exit(2)", 18, "at most once"},
		{`"3"`, 1, "quoted"},
		{"-1", 1, "must not be negative"},
		{"errno(x)", 7, "bad number"},
	}
	for _, tt := range bad {
		r, err := ParseResult(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseResult(%q) = %v, %v; want a *SyntaxError", tt.in, r, err)
			continue
		}
		if se.Col != tt.col || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("ParseResult(%q) error = col %d %q, want col %d containing %q", tt.in, se.Col, se.Msg, tt.col, tt.msg)
		}
	}
}

// TestPackageDocExamples parses every example step the package doc shows, so
// the doc cannot drift from the parser.
func TestPackageDocExamples(t *testing.T) {
	lines := []string{
		"fork", "vfork", "getpid", "getppid", "gettid",
		"clone CLONE_VM|CLONE_VFORK|SIGCHLD",
		"clone3 CLONE_VM|CLONE_CLEAR_SIGHAND SIGCHLD",
		"execve sh", "exit 3", "exit_group 3", "wait4 -1 WNOHANG|__WALL",
		"prctl PR_SET_CHILD_SUBREAPER 1",
		"mmap 0x100000400000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED",
		"madvise 0x100000400000 0x1000 MADV_DONTFORK",
		"load 0x100000400000", "store 0x100000400000 0x2a",
		"open a O_CLOEXEC", "close 3", "dup 3", "fcntl 3 F_SETFD FD_CLOEXEC", "fcntl 3 F_GETFD 0",
		"write 3 10", "lseek 3 0 SEEK_SET", "umask 0o77",
		"sigaction SIGCHLD SIG_IGN 0", "sigaction SIGUSR1 handler SA_NOCLDWAIT",
		"sigprocmask SIG_BLOCK SIGUSR1|SIGTERM", "kill 2 SIGTERM",
	}
	for _, l := range lines {
		sc, err := ParseSyscall(l)
		if err != nil {
			t.Errorf("ParseSyscall(%q): %v", l, err)
			continue
		}
		// The doc's mmap example lists MAP_FIXED last, not in printing
		// order, so compare values, not text.
		if again, err := ParseSyscall(sc.String()); err != nil || again != sc {
			t.Errorf("ParseSyscall(%q) = %#v does not survive a round trip: %#v, %v", l, sc, again, err)
		}
	}
}
