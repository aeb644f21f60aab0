package gen

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestFromRandIsDeterministic(t *testing.T) {
	a, b := FromRand(7), FromRand(7)
	ga, gb := New(abi.Config{}), New(abi.Config{})
	v := forkedView()
	for i := 0; i < 1000; i++ {
		ta, sa := ga.Next(a, v)
		tb, sb := gb.Next(b, v)
		if ta != tb || sa != sb {
			t.Fatalf("step %d: %d %v vs %d %v", i, ta, sa, tb, sb)
		}
	}
	c := FromRand(8)
	gc, same := New(abi.Config{}), 0
	ga = New(abi.Config{})
	a = FromRand(7)
	for i := 0; i < 100; i++ {
		ta, sa := ga.Next(a, v)
		tc, sc := gc.Next(c, v)
		if ta == tc && sa == sc {
			same++
		}
	}
	if same > 60 {
		t.Errorf("seeds 7 and 8 agree on %d of 100 steps", same)
	}
}

// TestNextCoversEverySyscall: every syscall type is generated, and a steady
// share of the steps carries invalid arguments.
func TestNextCoversEverySyscall(t *testing.T) {
	src := FromRand(1)
	g := New(abi.Config{})
	v := forkedView()
	names := map[string]int{}
	unaligned, badFd, badSig, actors := 0, 0, 0, map[int]int{}
	const n = 20000
	for i := 0; i < n; i++ {
		tid, sc := g.Next(src, v)
		if sc == nil {
			t.Fatalf("step %d: nil syscall", i)
		}
		actors[tid]++
		names[sc.Name()]++
		switch s := sc.(type) {
		case abi.Munmap:
			if s.Addr%abi.PageSize != 0 {
				unaligned++
			}
		case abi.Close:
			if s.Fd < 0 || s.Fd >= abi.FdLimit {
				badFd++
			}
		case abi.Kill:
			if s.Sig < 0 || s.Sig > abi.NSIG {
				badSig++
			}
		}
	}
	want := []string{"fork", "vfork", "clone", "clone3", "execve", "exit", "exit_group", "wait4", "getpid",
		"getppid", "gettid", "prctl", "mmap", "munmap", "mprotect", "madvise", "load", "store", "open", "close",
		"dup", "fcntl", "write", "lseek", "umask", "sigaction", "sigprocmask", "kill",
		"pipe2", "read", "dup2", "dup3", "futex", "tgkill", "tkill", "sigpending"}
	for _, w := range want {
		if names[w] == 0 {
			t.Errorf("%s never generated in %d steps", w, n)
		}
	}
	if len(names) != len(want) {
		t.Errorf("generated %d syscall names, want %d: %v", len(names), len(want), names)
	}
	if unaligned == 0 || badFd == 0 || badSig == 0 {
		t.Errorf("invalid arguments: unaligned munmap %d, bad close fd %d, bad kill signal %d; want some of each", unaligned, badFd, badSig)
	}
	if actors[1] < n/4 || actors[2] < n/4 {
		t.Errorf("actors %v: both running tasks should act often", actors)
	}
	if actors[3]+actors[0]+actors[-1]+actors[1<<20] == 0 {
		t.Errorf("actors %v: a missing task should act now and then (WORLD-3)", actors)
	}
}

// TestWeightsFavourEndingsNearTheLimit: a full world draws fewer creations
// and more exits and waits than an empty one.
func TestWeightsFavourEndingsNearTheLimit(t *testing.T) {
	g := New(abi.Config{MaxTasks: 16})
	lo, hi := g.weights(1), g.weights(16)
	if hi[kFork] >= lo[kFork] || hi[kWait4] <= lo[kWait4] || hi[kExitGroup] <= lo[kExitGroup] {
		t.Errorf("weights at 1 task %v, at 16 tasks %v", lo, hi)
	}
}

func TestWeighted(t *testing.T) {
	if got := weighted(&scripted{[]int{0}}, "", 0, 3, 1); got != 1 {
		t.Errorf("draw 0 over weights 0,3,1 = %d, want 1 (zero weights are skipped)", got)
	}
	if got := weighted(&scripted{[]int{3}}, "", 0, 3, 1); got != 2 {
		t.Errorf("draw 3 over weights 0,3,1 = %d, want 2", got)
	}
	if got := weighted(&scripted{}, "", 0, 0); got != 0 {
		t.Errorf("all-zero weights = %d, want 0", got)
	}
	if chance(&scripted{[]int{0}}, 1, 2, "") {
		t.Error("chance: draw 0 must mean no, so that shrinking prefers no")
	}
}

// TestMacroNamesTheNewChild: a macro started on init scripts a pattern whose
// later steps are performed by the task the creation step made.
func TestMacroNamesTheNewChild(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		g := New(abi.Config{})
		g.MacroPerMille = 1000
		src := FromRand(seed)
		v := initView()
		tid, sc := g.Next(src, v)
		if len(g.script) == 0 {
			continue
		}
		creates := false
		switch sc.(type) {
		case abi.Fork, abi.Vfork, abi.Clone:
			creates = g.await >= 0
		}
		if !creates {
			continue
		}
		// Pretend the creation made task 2, a copy of the caller.
		v2 := forkedView()
		tid2, _ := g.Next(src, v2)
		if tid != 1 {
			t.Fatalf("seed %d: first macro step by %d, want init", seed, tid)
		}
		if g.roles[rC] != 2 && g.roles[rD] != 2 && g.roles[rG] != 2 && g.roles[rP] != 2 {
			t.Fatalf("seed %d: after %v the macro did not name task 2 (roles %v)", seed, sc, g.roles)
		}
		_ = tid2
		return
	}
	t.Fatal("no seed started a macro with a creation step")
}

func TestEmphasize(t *testing.T) {
	g := New(abi.Config{})
	g.Emphasize(20, "clone3")
	// Emphasis weighs the table's draws; macros (libc's among them) would
	// only dilute the count.
	g.MacroPerMille = 0
	src, v, n := FromRand(3), forkedView(), 0
	for i := 0; i < 2000; i++ {
		if _, sc := g.Next(src, v); sc.Name() == "clone3" {
			n++
		}
	}
	if n < 500 {
		t.Errorf("clone3 drawn %d times in 2000 with emphasis 20, want most", n)
	}
	for k := kind(0); k < nKinds; k++ {
		if got := g.build(FromRand(1), newWorld(v), 1, k).Name(); got != kindNames[k] {
			t.Errorf("kind %d builds %s, named %s", k, got, kindNames[k])
		}
	}
}
