package impl_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/model"
)

// A scenario is a hand-written trace: one step per line, "TID SYSCALL ARGS",
// optionally "-> RESULT" (what Linux returns, checked on both backends), and
// "#" comments. A = abi.ArenaStart is written as the literal 0x100000000000.
type scenario struct {
	name  string
	cfg   abi.Config
	steps string
}

type step struct {
	line int
	text string
	tid  int
	sc   abi.Syscall
	want *abi.Result
}

func parseSteps(t *testing.T, text string) []step {
	t.Helper()
	var out []step
	for n, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		s := step{line: n + 1, text: line}
		if i := strings.Index(line, "->"); i >= 0 {
			r, err := abi.ParseResult(strings.TrimSpace(line[i+2:]))
			if err != nil {
				t.Fatalf("line %d %q: %v", n+1, line, err)
			}
			s.want = &r
			line = strings.TrimSpace(line[:i])
		}
		tidText, call, _ := strings.Cut(line, " ")
		tid, err := strconv.Atoi(tidText)
		if err != nil {
			t.Fatalf("line %d %q: bad tid: %v", n+1, line, err)
		}
		sc, err := abi.ParseSyscall(call)
		if err != nil {
			t.Fatalf("line %d %q: %v", n+1, line, err)
		}
		s.tid, s.sc = tid, sc
		out = append(out, s)
	}
	return out
}

// runLockstep runs the scenario on model and impl together: after every step
// both results, both Views and both CheckInvariants must agree; it stops at
// the first divergence and shows the step, both results and the View diff.
func runLockstep(t *testing.T, sc scenario, opts ...impl.Option) {
	t.Helper()
	m := model.New(sc.cfg)
	k := impl.New(sc.cfg, opts...)
	var history []string
	for _, s := range parseSteps(t, sc.steps) {
		rm := m.Step(s.tid, s.sc)
		ri := k.Step(s.tid, s.sc)
		history = append(history, s.text+"   # model "+rm.String()+", impl "+ri.String())
		where := func() string { return "\nhistory:\n  " + strings.Join(history, "\n  ") }
		if d := cmp.Diff(rm, ri); d != "" {
			t.Fatalf("line %d %q: results differ (-model +impl):\n%s%s", s.line, s.text, d, where())
		}
		if s.want != nil && *s.want != ri {
			t.Fatalf("line %d %q: got %v, Linux gives %v%s", s.line, s.text, ri, *s.want, where())
		}
		if d := cmp.Diff(m.View(), k.View()); d != "" {
			t.Fatalf("line %d %q: views differ (-model +impl):\n%s%s", s.line, s.text, d, where())
		}
		if err := k.CheckInvariants(); err != nil {
			t.Fatalf("line %d %q: impl invariants: %v%s", s.line, s.text, err, where())
		}
		if err := m.CheckInvariants(); err != nil {
			t.Fatalf("line %d %q: model invariants: %v%s", s.line, s.text, err, where())
		}
	}
}

// forkModes are the two fork configurations every lockstep test runs:
// eager PTE copying and on-demand leaf-table sharing (issue 8).
var forkModes = []struct {
	name string
	opt  impl.Option
}{{"eager", impl.WithOnDemandFork(false)}, {"ondemand", impl.WithOnDemandFork(true)}}

func TestLockstep(t *testing.T) {
	for _, mode := range forkModes {
		for _, sc := range scenarios {
			t.Run(mode.name+"/"+sc.name, func(t *testing.T) { runLockstep(t, sc, mode.opt) })
		}
	}
}

// Addresses: init's image maps 0x100000000000 (1 page, read-only, 0x11) and
// 0x100000200000 (2 pages, read-write, 0x21 0x22). "worker" has a shared page
// at 0x100040000000 (0x99) and a data mapping across a 2 MiB boundary.
var scenarios = []scenario{
	{name: "WORLD", steps: `
		1 getpid -> 1
		1 getppid -> 0
		1 gettid -> 1
		2 getpid -> no-task
		1 exit 0 -> unsupported
		1 exit_group 0 -> unsupported
		1 kill 1 SIGKILL -> 0
		1 kill 1 SIGTERM -> 0
		1 execve nosuch -> ENOENT
		1 store 0x100000000000 1 -> unsupported
		1 load 0x100000000000 -> 0x11
		1 load 0x100000201000 -> 0x22
		1 load 0x100000202000 -> unsupported
	`},
	{name: "FORK", steps: `
		1 store 0x100000200000 0x77 -> 0
		1 open a 0 -> 0
		1 sigaction SIGUSR1 handler 0 -> 0
		1 sigprocmask SIG_BLOCK SIGUSR2 -> 0
		1 kill 1 SIGUSR2 -> 0
		1 fork -> 2
		2 getpid -> 2
		2 getppid -> 1
		2 load 0x100000200000 -> 0x77
		2 store 0x100000200000 0x88 -> 0
		1 load 0x100000200000 -> 0x77
		2 write 0 5 -> 5
		1 lseek 0 0 SEEK_CUR -> 5
		1 mmap 0x100001000000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100001000000
		2 load 0x100001000000 -> killed(SIGSEGV)
		1 wait4 -1 0 -> 2 status=signal(SIGSEGV)
		1 wait4 -1 0 -> ECHILD
		1 store 0x100001000000 5 -> 0
		1 store 0x100001001000 6 -> 0
		1 madvise 0x100001000000 0x1000 MADV_DONTFORK -> 0
		1 madvise 0x100001001000 0x1000 MADV_WIPEONFORK -> 0
		1 fork -> 3
		3 load 0x100001001000 -> 0
		3 store 0x100001001000 7 -> 0
		3 fork -> 4
		4 load 0x100001001000 -> 0
		4 load 0x100001000000 -> killed(SIGSEGV)
		3 mmap 0x100001000000 0x1000 PROT_READ MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100001000000
		3 load 0x100001000000 -> 0
		3 exit_group 2 -> exited
		1 wait4 -1 0 -> 3 status=exit(2)
		1 wait4 -1 0 -> 4 status=signal(SIGSEGV)
	`},
	{name: "FORK-7", cfg: abi.Config{MaxTasks: 3}, steps: `
		1 fork -> 2
		1 fork -> 3
		1 fork -> EAGAIN
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> EAGAIN
		2 exit 0 -> exited
		1 fork -> EAGAIN
		1 wait4 2 0 -> 2
		1 fork -> 4
	`},
	{name: "VFORK", steps: `
		1 store 0x100000200000 1 -> 0
		1 open a 0 -> 0
		1 vfork -> 2 frozen
		1 getpid -> task-frozen
		2 store 0x100000200000 2 -> 0
		2 close 0 -> 0
		2 execve nosuch -> ENOENT
		1 getpid -> task-frozen
		2 execve sh -> execed
		1 load 0x100000200000 -> 2
		1 write 0 1 -> 1
		1 vfork -> 3 frozen
		3 mmap 0x100002000000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100002000000
		3 exit 7 -> exited
		1 load 0x100002000000 -> 0
		1 wait4 3 0 -> 3 status=exit(7)
		1 fork -> 4
		4 sigaction SIGUSR1 handler 0 -> 0
		4 vfork -> 5 frozen
		5 kill 4 SIGUSR1 -> 0
		5 exit 0 -> exited
		4 vfork -> 6 frozen
		6 kill 4 SIGTERM -> 0
		6 getppid -> 1
		6 exit 0 -> exited
		1 wait4 -1 0 -> 4 status=signal(SIGTERM)
		1 wait4 -1 WNOHANG -> 5
		1 wait4 -1 WNOHANG -> 6
		1 wait4 -1 WNOHANG -> 0
		2 exit 0 -> exited
		1 wait4 -1 WNOHANG -> 2
		1 wait4 -1 WNOHANG -> ECHILD
	`},
	{name: "VFORK-6-7", steps: `
		1 fork -> 2
		2 store 0x100000200000 3 -> 0
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		2 vfork -> 4 frozen
		3 store 0x100000201000 5 -> 0
		4 load 0x100000201000 -> 5
		4 exit 1 -> exited
		2 clone CLONE_VFORK|SIGCHLD -> 5 frozen
		5 store 0x100000200000 9 -> 0
		3 load 0x100000200000 -> 3
		5 exit 0 -> exited
		2 wait4 -1 0 -> 4 status=exit(1)
		3 wait4 -1 0 -> 5
		2 kill 2 SIGKILL -> killed(SIGKILL)
		1 wait4 -1 0 -> 2 status=signal(SIGKILL)
	`},
	{name: "CLONE", steps: `
		1 clone CLONE_THREAD -> EINVAL
		1 clone CLONE_SIGHAND -> EINVAL
		1 clone CLONE_PARENT|SIGCHLD -> EINVAL
		1 clone CLONE_NEWNS|CLONE_FS -> EINVAL
		1 clone3 CLONE_VM|CLONE_SIGHAND|CLONE_CLEAR_SIGHAND SIGCHLD -> EINVAL
		1 clone3 CLONE_VM|CLONE_SIGHAND|CLONE_THREAD SIGCHLD -> EINVAL
		1 clone3 0 65 -> EINVAL
		1 clone3 0x1 SIGCHLD -> EINVAL
		1 clone CLONE_NEWPID|SIGCHLD -> unsupported
		1 clone3 CLONE_NEWTIME SIGCHLD -> unsupported
		1 clone CLONE_VM|CLONE_FILES|CLONE_FS|SIGCHLD -> 2
		2 open a 0 -> 0
		1 fcntl 0 F_SETFD FD_CLOEXEC -> 0
		2 fcntl 0 F_GETFD 0 -> 1
		2 umask 0o77 -> 18
		1 umask 0o22 -> 63
		2 store 0x100000200000 9 -> 0
		1 load 0x100000200000 -> 9
		2 mmap 0x100003000000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100003000000
		1 load 0x100003000000 -> 0
		1 clone SIGUSR1 -> 3
		3 exit 1 -> exited
		1 wait4 3 0 -> ECHILD
		1 wait4 3 __WCLONE -> 3 status=exit(1)
		1 clone 0 -> 4
		4 exit 0 -> exited
		1 wait4 -1 __WALL -> 4
		1 sigaction SIGUSR1 handler SA_RESTART -> 0
		1 sigaction SIGUSR2 SIG_IGN SA_RESTART -> 0
		1 clone3 CLONE_CLEAR_SIGHAND SIGCHLD -> 5
		1 clone CLONE_VM|CLONE_SIGHAND|SIGCHLD -> 6
		6 sigaction SIGTERM handler 0 -> 0
		5 clone CLONE_PARENT|SIGUSR1 -> 7
		7 getppid -> 1
		7 exit 0 -> exited
		1 wait4 7 0 -> 7
	`},
	{name: "EXEC", steps: `
		1 open a 0 -> 0
		1 open b O_CLOEXEC -> 1
		1 sigaction SIGUSR1 handler SA_RESTART -> 0
		1 sigaction SIGUSR2 SIG_IGN 0 -> 0
		1 sigprocmask SIG_BLOCK SIGTERM -> 0
		1 fork -> 2
		2 kill 2 SIGTERM -> 0
		2 execve worker -> execed
		2 fcntl 1 F_GETFD 0 -> EBADF
		2 fcntl 0 F_GETFD 0 -> 0
		2 load 0x100040000000 -> 0x99
		2 load 0x1000001fe000 -> 0x92
		2 fork -> 3
		3 store 0x100040000000 0x100 -> 0
		2 load 0x100040000000 -> 0x100
		3 store 0x1000001fe000 0x101 -> 0
		2 load 0x1000001fe000 -> 0x92
		1 fork -> 4
		4 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_FILES -> 5
		4 fork -> 6
		5 execve true -> execed
		5 gettid -> no-task
		4 gettid -> 4
		6 getppid -> 4
		1 clone CLONE_VM|CLONE_SIGHAND|CLONE_FILES|SIGCHLD -> 7
		7 execve sh -> execed
		1 fcntl 1 F_GETFD 0 -> 1
		7 fcntl 1 F_GETFD 0 -> EBADF
	`},
	{name: "EXIT", steps: `
		1 fork -> 2
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		2 exit 5 -> exited
		2 getpid -> zombie
		3 getpid -> 2
		1 wait4 2 WNOHANG -> 0
		3 exit 9 -> exited
		1 wait4 2 0 -> 2 status=exit(9)
		1 fork -> 4
		4 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 5
		5 exit_group 3 -> exited
		4 getpid -> zombie
		1 wait4 4 0 -> 4 status=exit(3)
		1 fork -> 6
		6 exit_group 0x1ff -> exited
		1 wait4 6 0 -> 6 status=exit(255)
		1 fork -> 7
		7 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 8
		7 kill 8 SIGTERM -> killed(SIGTERM)
		1 wait4 -1 0 -> 7 status=signal(SIGTERM)
	`},
	{name: "WAIT", steps: `
		1 wait4 -1 0 -> ECHILD
		1 wait4 -1 0x10 -> EINVAL
		1 wait4 0 0 -> unsupported
		1 wait4 -5 0 -> unsupported
		1 fork -> 2
		1 wait4 -1 __WALL|WNOHANG -> 0
		1 wait4 -1 WNOHANG -> 0
		1 wait4 5 WNOHANG -> ECHILD
		2 fork -> 3
		1 wait4 3 WNOHANG -> ECHILD
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 4
		4 wait4 -1 WNOHANG -> 0
		4 wait4 -1 WNOHANG|__WNOTHREAD -> ECHILD
		3 exit 4 -> exited
		4 wait4 3 0 -> 3 status=exit(4)
		2 exit 0 -> exited
		4 exit 0 -> exited
		1 wait4 2 0 -> 2
		1 sigaction SIGCHLD SIG_IGN 0 -> 0
		1 fork -> 5
		5 exit 0 -> exited
		1 wait4 5 WNOHANG -> ECHILD
		1 sigaction SIGCHLD SIG_DFL SA_NOCLDWAIT -> 0
		1 fork -> 6
		6 exit 0 -> exited
		1 wait4 -1 WNOHANG -> ECHILD
	`},
	{name: "REAP", steps: `
		1 fork -> 2
		2 prctl PR_SET_CHILD_SUBREAPER 1 -> 0
		2 prctl PR_GET_CHILD_SUBREAPER 0 -> 1
		2 fork -> 3
		3 prctl PR_GET_CHILD_SUBREAPER 0 -> 0
		3 fork -> 4
		3 sigaction SIGUSR2 SIG_IGN 0 -> 0
		3 clone SIGUSR2 -> 5
		5 exit 3 -> exited
		3 exit 0 -> exited
		4 getppid -> 2
		2 wait4 3 0 -> 3
		2 wait4 5 0 -> 5 status=exit(3)
		4 fork -> 6
		6 exit 1 -> exited
		4 exit 0 -> exited
		2 wait4 -1 0 -> 4
		1 wait4 6 0 -> ECHILD
		2 wait4 6 0 -> 6 status=exit(1)
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 7
		7 fork -> 8
		7 exit 0 -> exited
		8 getppid -> 2
	`},
	{name: "MEM", steps: `
		1 mmap 0 0 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS -> EINVAL
		1 mmap 0 0x1000 PROT_READ MAP_ANONYMOUS -> EINVAL
		1 mmap 0 0x1000 PROT_READ MAP_PRIVATE|MAP_SHARED|MAP_ANONYMOUS -> EINVAL
		1 mmap 0 0x1000 PROT_READ MAP_PRIVATE -> EBADF
		1 mmap 0 0x1000 0x10 MAP_PRIVATE|MAP_ANONYMOUS -> 0x1ffffffff000
		1 munmap 0x1ffffffff000 0x1000 -> 0
		1 mmap 0x7ffffffff000 0x1000 PROT_WRITE MAP_FIXED|MAP_ANONYMOUS -> ENOMEM
		1 mmap 0x1000 0x2000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS -> 0x10000
		1 munmap 0x10000 0x2000 -> 0
		1 mmap 0 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|0x40 -> unsupported
		1 mmap 0x100000001001 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> EINVAL
		1 mmap 0x7ffffffff000 0x2000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> ENOMEM
		1 mmap 0x1000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> unsupported
		1 mmap 0 0x3000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS -> 0x1fffffffd000
		1 mmap 0 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS -> 0x1fffffffc000
		1 mmap 0x100005000123 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS -> 0x100005000000
		1 mmap 0x100005000000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE -> EEXIST
		1 mmap 0x100006000000 0x5000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100006000000
		1 store 0x100006000000 1 -> 0
		1 store 0x100006001000 2 -> 0
		1 store 0x100006003000 4 -> 0
		1 load 0x100006002000 -> 0
		1 munmap 0x100006001000 0x1000 -> 0
		1 munmap 0x100006001000 0 -> EINVAL
		1 munmap 0x100006001001 0x1000 -> EINVAL
		1 munmap 0x100006001000 0x1000 -> 0
		1 load 0x100006001000 -> unsupported
		1 mprotect 0x100006000000 0x1000 0x10 -> EINVAL
		1 mprotect 0x100006000001 0x1000 PROT_READ -> EINVAL
		1 mprotect 0x100006000000 0 PROT_READ -> 0
		1 mprotect 0x100006000000 0x3000 PROT_READ -> ENOMEM
		1 store 0x100006000000 9 -> unsupported
		1 mprotect 0x100006002000 0x2000 PROT_NONE -> 0
		1 mprotect 0x100006002000 0x1000 PROT_READ|PROT_WRITE -> 0
		1 store 0x100006002000 7 -> 0
		1 madvise 0x100006000000 0x5000 MADV_DONTFORK -> ENOMEM
		1 madvise 0x100006000000 0x1000 99 -> EINVAL
		1 madvise 0x100006000001 0x1000 MADV_DONTFORK -> EINVAL
		1 madvise 0x100006000000 0 MADV_DONTFORK -> 0
		1 madvise 0x100005000000 0x1000 MADV_WIPEONFORK -> EINVAL
		1 madvise 0x100006000000 0x1000 MADV_DOFORK -> 0
		1 madvise 0x100006003000 0x1000 MADV_DONTNEED -> 0
		1 mprotect 0x100006003000 0x1000 PROT_READ|PROT_WRITE -> 0
		1 load 0x100006003000 -> 0
		1 store 0x100005000000 0x55 -> 0
		1 madvise 0x100005000000 0x1000 MADV_DONTNEED -> 0
		1 load 0x100005000000 -> 0x55
		1 madvise 0x100007000000 0x1000 MADV_NORMAL -> ENOMEM
		1 mmap 0x100006000000 0x2000 PROT_READ MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100006000000
		1 munmap 0x100000000000 0x10000000 -> 0
		1 mmap 0x100000000000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS -> 0x100000000000
		1 mmap 0x100000001000 0x1000 PROT_READ|0x8 MAP_PRIVATE|MAP_ANONYMOUS -> 0x100000001000
		1 mprotect 0x100000000000 0x2000 PROT_READ|PROT_WRITE|0x8 -> 0
		1 mprotect 0x100000000000 0x1000 PROT_GROWSDOWN -> EINVAL
	`},
	{name: "MEM-2-COW", steps: `
		1 mmap 0x100010000000 0x3000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100010000000
		1 store 0x100010000000 1 -> 0
		1 store 0x100000200000 0x31 -> 0
		1 fork -> 2
		2 store 0x100010000000 2 -> 0
		1 load 0x100010000000 -> 2
		2 store 0x100010001000 3 -> 0
		1 load 0x100010001000 -> 3
		1 load 0x100010002000 -> 0
		2 load 0x100010002000 -> 0
		1 store 0x100000200000 0x32 -> 0
		2 load 0x100000200000 -> 0x31
		2 munmap 0x100010000000 0x1000 -> 0
		1 load 0x100010000000 -> 2
		2 exit 0 -> exited
		1 wait4 2 0 -> 2
		1 store 0x100000201000 0x33 -> 0
		1 fork -> 3
		3 store 0x100000201000 0x34 -> 0
		3 store 0x100000201000 0x35 -> 0
		1 load 0x100000201000 -> 0x33
		3 execve true -> execed
		1 store 0x100000201000 0x36 -> 0
		1 mprotect 0x100010001000 0x1000 PROT_READ -> 0
		1 store 0x100010001000 4 -> unsupported
		1 mprotect 0x100010001000 0x1000 PROT_READ|PROT_WRITE -> 0
		1 store 0x100010001000 4 -> 0
	`},
	{name: "FD", steps: `
		1 open zzz 0 -> ENOENT
		1 open a 0x1 -> unsupported
		1 open a 0 -> 0
		1 open a O_CLOEXEC -> 1
		1 dup 0 -> 2
		1 fcntl 2 F_GETFD 0 -> 0
		1 fcntl 1 F_GETFD 0 -> 1
		1 fcntl 1 F_SETFD 0 -> 0
		1 fcntl 1 3 0 -> unsupported
		1 fcntl 9 F_GETFD 0 -> EBADF
		1 write 0 10 -> 10
		1 lseek 2 0 SEEK_CUR -> 10
		1 write 1 3 -> 3
		1 lseek 1 -2 SEEK_END -> 8
		1 lseek 1 -20 SEEK_CUR -> EINVAL
		1 lseek 1 0 7 -> EINVAL
		1 write 1 -1 -> EFAULT
		1 close 0 -> 0
		1 close 0 -> EBADF
		1 dup 7 -> EBADF
		1 fork -> 2
		2 close 2 -> 0
		1 write 2 1 -> 1
		2 lseek 1 0 SEEK_CUR -> 8
		2 open b 0 -> 0
		2 open b 0 -> 2
		2 open c 0 -> 3
		2 dup 0 -> 4
		2 dup 0 -> 5
		2 dup 0 -> 6
		2 dup 0 -> 7
		2 dup 0 -> 8
		2 dup 0 -> 9
		2 dup 0 -> 10
		2 dup 0 -> 11
		2 dup 0 -> 12
		2 dup 0 -> 13
		2 dup 0 -> 14
		2 dup 0 -> 15
		2 dup 0 -> EMFILE
		2 open a 0 -> EMFILE
		2 exit 0 -> exited
	`},
	{name: "SIG", steps: `
		1 sigaction 0 handler 0 -> EINVAL
		1 sigaction 65 handler 0 -> EINVAL
		1 sigaction SIGKILL SIG_IGN 0 -> EINVAL
		1 sigaction SIGSTOP handler 0 -> EINVAL
		1 sigaction SIGUSR1 handler SA_RESETHAND -> unsupported
		1 sigprocmask 7 SIGUSR1 -> EINVAL
		1 kill 0 SIGTERM -> unsupported
		1 kill 1 65 -> EINVAL
		1 kill 99 SIGTERM -> ESRCH
		1 kill 1 0 -> 0
		1 fork -> 2
		2 kill 2 SIGRTMIN -> unsupported
		2 kill 2 SIGSTOP -> unsupported
		2 kill 2 SIGTSTP -> unsupported
		2 clone SIGTSTP -> unsupported
		2 clone3 0 SIGTTIN -> unsupported
		2 sigaction SIGTSTP handler 0 -> 0
		2 kill 2 SIGTSTP -> unsupported
		2 sigaction SIGUSR1 handler 0 -> 0
		2 sigprocmask SIG_BLOCK SIGUSR1|SIGKILL|SIGTERM -> 0
		2 kill 2 SIGUSR1 -> 0
		2 kill 2 SIGUSR1 -> 0
		2 kill 2 SIGTERM -> 0
		2 sigaction SIGTERM SIG_IGN 0 -> 0
		2 kill 2 SIGCHLD -> 0
		2 sigprocmask SIG_UNBLOCK SIGUSR1 -> 0
		2 kill 2 SIGCONT -> 0
		2 sigaction SIGUSR2 SIG_IGN 0 -> 0
		2 kill 2 SIGUSR2 -> 0
		2 sigaction SIGTERM SIG_DFL 0 -> 0
		2 kill 2 SIGTERM -> 0
		2 sigprocmask SIG_SETMASK 0 -> killed(SIGTERM)
		1 wait4 2 0 -> 2 status=signal(SIGTERM)
		1 sigaction SIGUSR1 handler 0 -> 0
		1 kill 1 SIGUSR1 -> 0
		1 kill 1 SIGUSR1 -> 0
		1 fork -> 3
		3 sigaction SIGSEGV handler 0 -> 0
		3 load 0x500000000000 -> unsupported
		3 sigaction SIGSEGV SIG_IGN 0 -> 0
		3 load 0x500000000000 -> killed(SIGSEGV)
		1 clone SIGUSR1 -> 4
		4 exit 0 -> exited
		1 clone SIGTERM -> 5
		5 exit 0 -> exited
		1 wait4 -1 __WALL -> 3 status=signal(SIGSEGV)
		1 wait4 -1 __WALL -> 4
		1 fork -> 6
		6 clone SIGUSR2 -> 7
		7 exit 0 -> exited
		1 wait4 -1 __WALL -> 5
		1 wait4 -1 __WALL -> 6 status=signal(SIGUSR2)
	`},
	{name: "ARGS", steps: `
		# Linux's argument widths and check order (C int / unsigned int).
		1 kill 99 65 -> ESRCH
		1 kill 0x100000001 0 -> 0
		1 kill -2147483648 SIGTERM -> ESRCH
		1 mmap 0 0 PROT_READ MAP_PRIVATE -> EBADF
		1 mprotect 0x100000000000 0 0x10 -> 0
		1 mprotect 0x100000000000 0x1000 0x10 -> EINVAL
		1 madvise 0x100000000000 0x1000 3 -> unsupported
		1 madvise 0x100000000000 0 3 -> 0
		1 madvise 0x100000000000 0x1000 0x100000004 -> 0
		1 open a 0 -> 0
		1 open a 0x40 -> unsupported
		1 open zzz 0x40 -> unsupported
		1 lseek 0 0 SEEK_DATA -> ENXIO
		1 lseek 0x100000000 5 SEEK_SET -> 5
		1 fcntl 0 0x100000001 0 -> 0
		1 write 0 0x7ffffffffffffffc -> EFAULT
		1 sigaction 0x10000000a handler 0 -> 0
		1 sigprocmask 0x100000000 SIGUSR2 -> 0
		1 prctl 0x100000025 0 -> 0
		1 wait4 -1 0x100000000 -> ECHILD
		1 wait4 -2147483648 0 -> ESRCH
		1 close 0x100000000 -> 0
	`},
	{name: "THR", steps: `
		1 fork -> 2
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		3 getpid -> 2
		3 gettid -> 3
		3 getppid -> 1
		3 fork -> 4
		4 getppid -> 2
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD|CLONE_PARENT -> 5
		5 getppid -> 1
		3 sigaction SIGUSR1 handler 0 -> 0
		2 sigprocmask SIG_BLOCK SIGUSR1 -> 0
		1 kill 2 SIGUSR1 -> 0
		1 kill 5 SIGUSR1 -> 0
		3 sigaction SIGUSR1 SIG_DFL 0 -> 0
		1 kill 3 SIGUSR1 -> 0
		4 getppid -> 1
		1 wait4 2 0 -> 2 status=signal(SIGUSR1)
		4 exit 0 -> exited
		1 wait4 4 0 -> 4
	`},
}
