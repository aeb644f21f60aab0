package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// Addresses the random steps aim at: the image mappings, the fresh-mapping
// area, a 2 MiB boundary and the edges of user space, plus anything at all.
var randAddrs = []uint64{
	abi.ArenaStart, abi.ArenaStart + 0x1000, abi.ArenaStart + 0x200000, abi.ArenaStart + 0x201000,
	abi.ArenaStart + 0x1fe000, abi.ArenaStart + 0x1ff000, abi.ArenaStart + 0x400000,
	abi.ArenaStart + 0x401000, abi.ArenaStart + 0x40000000, abi.ArenaEnd - 0x1000,
	abi.TaskSize - 0x1000, abi.TaskSize, 0, 0x10000, 0x1234, 1<<64 - 4096,
}

func drawAddr(t *rapid.T, label string) uint64 {
	if rapid.IntRange(0, 9).Draw(t, label+"-kind") == 0 {
		return rapid.Uint64().Draw(t, label)
	}
	return rapid.SampledFrom(randAddrs).Draw(t, label) + uint64(rapid.IntRange(0, 2).Draw(t, label+"-off"))*0x800
}

func drawLen(t *rapid.T, label string) uint64 {
	switch rapid.IntRange(0, 9).Draw(t, label+"-kind") {
	case 0:
		return rapid.Uint64().Draw(t, label)
	case 1:
		return 0
	}
	return uint64(rapid.IntRange(1, 5).Draw(t, label)) * 0x1000
}

func drawSig(t *rapid.T, label string) int {
	if rapid.IntRange(0, 9).Draw(t, label+"-kind") == 0 {
		return rapid.IntRange(-3, 70).Draw(t, label)
	}
	return rapid.SampledFrom([]int{abi.SIGCHLD, abi.SIGUSR1, abi.SIGUSR2, abi.SIGTERM, abi.SIGKILL, abi.SIGSEGV, abi.SIGQUIT, abi.SIGTSTP, abi.SIGCONT, 0}).Draw(t, label)
}

var cloneBits = []uint64{abi.CLONE_VM, abi.CLONE_FS, abi.CLONE_FILES, abi.CLONE_SIGHAND, abi.CLONE_VFORK,
	abi.CLONE_PARENT, abi.CLONE_THREAD, abi.CLONE_CLEAR_SIGHAND, abi.CLONE_NEWNS, abi.CLONE_DETACHED, abi.CLONE_PIDFD}

func drawCloneFlags(t *rapid.T) uint64 {
	switch rapid.IntRange(0, 5).Draw(t, "clone-kind") {
	case 0:
		return rapid.Uint64().Draw(t, "clone-raw")
	case 1:
		return abi.CLONE_VM | abi.CLONE_FS | abi.CLONE_FILES | abi.CLONE_SIGHAND | abi.CLONE_THREAD
	case 2:
		return abi.CLONE_VM | abi.CLONE_VFORK
	}
	var f uint64
	for _, b := range cloneBits {
		if rapid.IntRange(0, 3).Draw(t, "bit") == 0 {
			f |= b
		}
	}
	return f
}

// drawSyscall draws a step: mostly plausible arguments, some garbage.
func drawSyscall(t *rapid.T) abi.Syscall {
	switch rapid.IntRange(0, 27).Draw(t, "call") {
	case 0:
		return abi.Fork{}
	case 1:
		return abi.Vfork{}
	case 2:
		return abi.Clone{Flags: drawCloneFlags(t) | uint64(drawSig(t, "csig"))&0xff}
	case 3:
		return abi.Clone3{Flags: drawCloneFlags(t), ExitSignal: uint64(rapid.IntRange(0, 70).Draw(t, "esig"))}
	case 4:
		return abi.Execve{Image: rapid.SampledFrom([]string{"init", "sh", "true", "worker", "nope", ""}).Draw(t, "image")}
	case 5:
		return abi.Exit{Code: rapid.IntRange(-2, 300).Draw(t, "code")}
	case 6:
		return abi.ExitGroup{Code: rapid.IntRange(-2, 300).Draw(t, "code")}
	case 7:
		opts := rapid.SampledFrom([]int64{0, abi.WNOHANG, abi.WNOHANG | int64(wAll), abi.WNOHANG | int64(wClone), abi.WNOHANG | int64(wNothread), 0x8, 0x100, -1}).Draw(t, "opts")
		return abi.Wait4{Pid: rapid.IntRange(-3, 12).Draw(t, "pid"), Options: opts}
	case 8:
		return abi.Getpid{}
	case 9:
		return abi.Getppid{}
	case 10:
		return abi.Gettid{}
	case 11:
		return abi.Prctl{Option: rapid.SampledFrom([]int64{abi.PR_SET_CHILD_SUBREAPER, abi.PR_GET_CHILD_SUBREAPER, 1}).Draw(t, "opt"), Arg: uint64(rapid.IntRange(0, 1).Draw(t, "arg"))}
	case 12:
		return abi.Mmap{Addr: drawAddr(t, "addr"), Len: drawLen(t, "len"),
			Prot:  rapid.SampledFrom([]int64{0, 1, 3, 2, 7, 8, -1}).Draw(t, "prot"),
			Flags: rapid.SampledFrom([]int64{0x22, 0x21, 0x32, 0x31, 0x100022, 0x100021, 0x23, 0x2, 0x20, 0x1022}).Draw(t, "flags")}
	case 13:
		return abi.Munmap{Addr: drawAddr(t, "addr"), Len: drawLen(t, "len")}
	case 14:
		return abi.Mprotect{Addr: drawAddr(t, "addr"), Len: drawLen(t, "len"), Prot: rapid.SampledFrom([]int64{0, 1, 3, 9}).Draw(t, "prot")}
	case 15:
		return abi.Madvise{Addr: drawAddr(t, "addr"), Len: drawLen(t, "len"), Advice: rapid.SampledFrom([]int64{0, 4, 10, 11, 18, 19, 1, 7, 1 << 40}).Draw(t, "adv")}
	case 16, 17:
		return abi.Load{Addr: drawAddr(t, "addr")}
	case 18, 19:
		return abi.Store{Addr: drawAddr(t, "addr"), Value: rapid.Uint64Range(0, 5).Draw(t, "val")}
	case 20:
		return abi.Open{Path: rapid.SampledFrom([]string{"a", "b", "c", "d"}).Draw(t, "path"), Flags: rapid.SampledFrom([]int64{0, abi.O_CLOEXEC, 1}).Draw(t, "oflags")}
	case 21:
		fd := rapid.IntRange(-1, 17).Draw(t, "fd")
		switch rapid.IntRange(0, 2).Draw(t, "fdop") {
		case 0:
			return abi.Close{Fd: fd}
		case 1:
			return abi.Dup{Fd: fd}
		}
		return abi.Fcntl{Fd: fd, Cmd: rapid.SampledFrom([]int64{1, 2, 3}).Draw(t, "cmd"), Arg: rapid.Int64Range(0, 3).Draw(t, "farg")}
	case 22:
		return abi.Write{Fd: rapid.IntRange(-1, 5).Draw(t, "fd"), N: rapid.SampledFrom([]int64{0, 1, 10, -1, 1<<63 - 1}).Draw(t, "n")}
	case 23:
		return abi.Lseek{Fd: rapid.IntRange(-1, 5).Draw(t, "fd"), Offset: rapid.SampledFrom([]int64{0, 5, -5, 1<<63 - 1, -1 << 63}).Draw(t, "off"), Whence: rapid.Int64Range(0, 5).Draw(t, "whence")}
	case 24:
		return abi.Umask{Mask: rapid.Int64Range(-1, 0o1000).Draw(t, "mask")}
	case 25:
		return abi.Sigaction{Sig: drawSig(t, "sig"), Handler: abi.Disposition(rapid.IntRange(0, 3).Draw(t, "disp")), Flags: rapid.SampledFrom([]uint64{0, abi.SA_NOCLDWAIT, abi.SA_RESETHAND}).Draw(t, "saflags")}
	case 26:
		return abi.Sigprocmask{How: rapid.Int64Range(-1, 3).Draw(t, "how"), Set: abi.SigSet(rapid.Uint64().Draw(t, "set"))}
	}
	return abi.Kill{Pid: rapid.IntRange(-1, 12).Draw(t, "pid"), Sig: drawSig(t, "sig")}
}

// TestRandomStepsNeverBreakTheModel throws random and garbage steps at the
// model: it must never panic, its invariants must hold after every step, a
// refused step must leave the View unchanged, and the same step on a Clone
// must give the same result and View (determinism, Clone fidelity).
func TestRandomStepsNeverBreakTheModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := New(abi.Config{MaxTasks: rapid.IntRange(0, 12).Draw(t, "limit")})
		n := rapid.IntRange(1, 80).Draw(t, "steps")
		for i := 0; i < n; i++ {
			tid := rapid.IntRange(0, k.nextTid).Draw(t, "tid")
			if rapid.IntRange(0, 3).Draw(t, "pick-live") > 0 {
				if live := k.runningTids(); len(live) > 0 {
					tid = rapid.SampledFrom(live).Draw(t, "live-tid")
				}
			}
			sc := drawSyscall(t)
			before := k.View()
			twin := k.Clone()
			r := k.Step(tid, sc)
			t.Logf("%d %v -> %v", tid, sc, r)
			if err := k.CheckInvariants(); err != nil {
				t.Fatalf("invariants after %d %v: %v", tid, sc, err)
			}
			after := k.View()
			if r.Outcome.Refused() {
				if d := cmp.Diff(before, after); d != "" {
					t.Fatalf("refused step changed the view (-before +after):\n%s", d)
				}
			}
			if r2 := twin.Step(tid, sc); r2 != r {
				t.Fatalf("clone gave %v, original %v", r2, r)
			}
			if d := cmp.Diff(after, twin.View()); d != "" {
				t.Fatalf("clone diverged (-orig +clone):\n%s", d)
			}
		}
	})
}

// runningTids lists tasks that can perform a step, in tid order.
func (k *Kernel) runningTids() []int {
	var out []int
	for _, tid := range k.sortedTids() {
		if k.tasks[tid].state == abi.Running {
			out = append(out, tid)
		}
	}
	return out
}
