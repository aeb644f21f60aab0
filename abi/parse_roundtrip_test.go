package abi_test

import (
	"testing"

	. "github.com/forkspec/forkspec/abi"
	"pgregory.net/rapid"
)

// interestingU64 draws uint64 values that exercise the printer's branches:
// small numbers, known flag bits, signals, and anything at all.
func interestingU64() *rapid.Generator[uint64] {
	return rapid.OneOf(
		rapid.Uint64Range(0, 300),
		rapid.SampledFrom([]uint64{0, 1 << 63, 1<<64 - 1, CLONE_VM | CLONE_VFORK | SIGCHLD, CLONE_CLEAR_SIGHAND, 0x80, 0x7f, 0x7f00}),
		rapid.Uint64(),
	)
}

func interestingI64() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64Range(-300, 300),
		rapid.SampledFrom([]int64{-1 << 63, 1<<63 - 1, WNOHANG | 0x40000000, 0x80000000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS}),
		rapid.Int64(),
	)
}

func interestingInt() *rapid.Generator[int] {
	return rapid.Map(interestingI64(), func(v int64) int { return int(v) })
}

// word draws image names and paths, including ones that must be quoted.
func word() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom([]string{"sh", "init", "a", "", "->x", "a b", "#", `"`, `\`, "é", "a->b", "x|y", "\x00", "\xff"}),
		rapid.String(),
		rapid.StringMatching(`[a-z0-9_.\-]{1,8}`),
	)
}

// syscallGens has one generator per Syscall type, drawing random field values.
func syscallGens() []*rapid.Generator[Syscall] {
	u := interestingU64()
	i64 := interestingI64()
	in := interestingInt()
	gens := []*rapid.Generator[Syscall]{
		rapid.Just[Syscall](Fork{}),
		rapid.Just[Syscall](Vfork{}),
		rapid.Just[Syscall](Getpid{}),
		rapid.Just[Syscall](Getppid{}),
		rapid.Just[Syscall](Gettid{}),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Clone{Flags: u.Draw(t, "flags"), Ptid: u.Draw(t, "ptid"), Ctid: u.Draw(t, "ctid")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Clone3{Flags: u.Draw(t, "flags"), ExitSignal: u.Draw(t, "exit_signal"), Ptid: u.Draw(t, "ptid"), Ctid: u.Draw(t, "ctid")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall { return Execve{Image: word().Draw(t, "image")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Exit{Code: in.Draw(t, "code")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return ExitGroup{Code: in.Draw(t, "code")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Wait4{Pid: in.Draw(t, "pid"), Options: i64.Draw(t, "options")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Prctl{Option: i64.Draw(t, "option"), Arg: u.Draw(t, "arg")} }),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Mmap{Addr: u.Draw(t, "addr"), Len: u.Draw(t, "len"), Prot: i64.Draw(t, "prot"), Flags: i64.Draw(t, "flags")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall { return Munmap{Addr: u.Draw(t, "addr"), Len: u.Draw(t, "len")} }),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Mprotect{Addr: u.Draw(t, "addr"), Len: u.Draw(t, "len"), Prot: i64.Draw(t, "prot")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Madvise{Addr: u.Draw(t, "addr"), Len: u.Draw(t, "len"), Advice: i64.Draw(t, "advice")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall { return Load{Addr: u.Draw(t, "addr")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Store{Addr: u.Draw(t, "addr"), Value: u.Draw(t, "value")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Open{Path: word().Draw(t, "path"), Flags: i64.Draw(t, "flags")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Close{Fd: in.Draw(t, "fd")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Dup{Fd: in.Draw(t, "fd")} }),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Fcntl{Fd: in.Draw(t, "fd"), Cmd: i64.Draw(t, "cmd"), Arg: i64.Draw(t, "arg")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall { return Write{Fd: in.Draw(t, "fd"), N: i64.Draw(t, "n")} }),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Lseek{Fd: in.Draw(t, "fd"), Offset: i64.Draw(t, "offset"), Whence: i64.Draw(t, "whence")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall { return Umask{Mask: i64.Draw(t, "mask")} }),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Sigaction{Sig: in.Draw(t, "sig"), Handler: Disposition(in.Draw(t, "handler")), Flags: u.Draw(t, "flags"),
				Old: rapid.Bool().Draw(t, "old")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Sigprocmask{How: i64.Draw(t, "how"), Set: SigSet(u.Draw(t, "set")), Old: rapid.Bool().Draw(t, "old")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall { return Pipe2{Flags: i64.Draw(t, "flags")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Read{Fd: in.Draw(t, "fd"), N: i64.Draw(t, "n")} }),
		rapid.Custom(func(t *rapid.T) Syscall { return Dup2{Old: in.Draw(t, "old"), New: in.Draw(t, "new")} }),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Dup3{Old: in.Draw(t, "old"), New: in.Draw(t, "new"), Flags: i64.Draw(t, "flags")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Futex{Addr: u.Draw(t, "addr"), Op: i64.Draw(t, "op"), Val: u.Draw(t, "val")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall {
			return Tgkill{Tgid: in.Draw(t, "tgid"), Tid: in.Draw(t, "tid"), Sig: in.Draw(t, "sig")}
		}),
		rapid.Custom(func(t *rapid.T) Syscall { return Tkill{Tid: in.Draw(t, "tid"), Sig: in.Draw(t, "sig")} }),
		rapid.Just[Syscall](Sigpending{}),
		rapid.Custom(func(t *rapid.T) Syscall { return Kill{Pid: in.Draw(t, "pid"), Sig: in.Draw(t, "sig")} }),
	}
	return gens
}

// syscallTypes is the number of Syscall types; the generators must cover all.
const syscallTypes = 36

// TestSyscallRoundTrip: for every syscall type and any field values,
// ParseSyscall(sc.String()) == sc. Each type is its own subtest, so that no
// type can go unexercised.
func TestSyscallRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range syscallGens() {
		name := g.Example(0).Name()
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				sc := g.Draw(t, "syscall")
				text := sc.String()
				got, err := ParseSyscall(text)
				if err != nil {
					t.Fatalf("ParseSyscall(%q) of %#v: %v", text, sc, err)
				}
				if got != sc {
					t.Fatalf("ParseSyscall(%q) = %#v, want %#v", text, got, sc)
				}
			})
		})
	}
	if len(seen) != syscallTypes {
		t.Errorf("round trip covers %d syscall types, want %d: %v", len(seen), syscallTypes, seen)
	}
}

// resultGen draws Results in the forms Result.String can print faithfully:
// a refusal, exited/execed, killed, or a return value or errno with an
// optional wait status and frozen mark.
func resultGen() *rapid.Generator[Result] {
	return rapid.Custom(func(t *rapid.T) Result {
		switch rapid.IntRange(0, 3).Draw(t, "form") {
		case 0:
			return Refuse(Outcome(rapid.IntRange(int(OutcomeNoTask), int(OutcomeUnsupported)).Draw(t, "refusal")))
		case 1:
			return Refuse(rapid.SampledFrom([]Outcome{OutcomeExited, OutcomeExeced}).Draw(t, "end"))
		case 2:
			return Result{Outcome: OutcomeKilled, Signal: interestingInt().Draw(t, "signal")}
		}
		var r Result
		if rapid.Bool().Draw(t, "failed") {
			r.Err = Errno(rapid.OneOf(rapid.IntRange(-5, 140), interestingInt()).Draw(t, "errno"))
		} else {
			r.Ret = interestingU64().Draw(t, "ret")
		}
		r.Status = rapid.OneOf(
			rapid.Just(0),
			rapid.Map(rapid.IntRange(0, 255), WaitExited),
			rapid.Map(rapid.IntRange(1, 126), WaitSignaled),
			interestingInt(),
		).Draw(t, "status")
		if rapid.Bool().Draw(t, "frozen") {
			r.Outcome = OutcomeFrozen
		}
		return r
	})
}

// TestResultRoundTrip: ParseResult(r.String()) == r for printable Results.
func TestResultRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := resultGen().Draw(t, "result")
		text := r.String()
		got, err := ParseResult(text)
		if err != nil {
			t.Fatalf("ParseResult(%q) of %#v: %v", text, r, err)
		}
		if got != r {
			t.Fatalf("ParseResult(%q) = %#v, want %#v", text, got, r)
		}
	})
}

// FuzzParseSyscall: any text either fails with a *SyntaxError or parses to a
// syscall that prints and parses back to the same value; never a panic.
func FuzzParseSyscall(f *testing.F) {
	for _, s := range []string{
		"fork", "clone CLONE_VM|CLONE_VFORK|SIGCHLD", "clone3 CLONE_VM 0x41", `execve "a b"`,
		"wait4 -1 WNOHANG|__WALL", "mmap 0x100000400000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED",
		"sigprocmask SIG_BLOCK SIGUSR1|SIGRTMIN+3", "kill 2 SIGTERM", "umask -0o22", "fcntl 3 F_SETFD -1",
		"exit -9223372036854775808", "sigaction SIGRTMAX-0 handler 0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseSyscall(s)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("ParseSyscall(%q) error %T %v, want *SyntaxError", s, err, err)
			}
			if se.Col < 1 || se.Col > len(s)+1 {
				t.Fatalf("ParseSyscall(%q) error column %d outside 1..%d", s, se.Col, len(s)+1)
			}
			return
		}
		text := sc.String()
		again, err := ParseSyscall(text)
		if err != nil {
			t.Fatalf("ParseSyscall(%q) = %#v, which prints %q, which fails: %v", s, sc, text, err)
		}
		if again != sc {
			t.Fatalf("ParseSyscall(%q) = %#v, prints %q, parses back to %#v", s, sc, text, again)
		}
	})
}

// FuzzParseResult: the same contract for results.
func FuzzParseResult(f *testing.F) {
	for _, s := range []string{"3", "ENOENT", "2 status=exit(1) frozen", "killed(SIGSEGV)", "errno(-4)", "no-task", "3 status=0x137f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseResult(s)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok || se.Col < 1 || se.Col > len(s)+1 {
				t.Fatalf("ParseResult(%q) error %#v", s, err)
			}
			return
		}
		text := r.String()
		again, err := ParseResult(text)
		if err != nil || again.String() != text {
			t.Fatalf("ParseResult(%q) = %#v prints %q, which parses to %#v, %v", s, r, text, again, err)
		}
	})
}
