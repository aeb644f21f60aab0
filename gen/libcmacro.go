package gen

import (
	"github.com/forkspec/forkspec/abi"
)

// The macros of the calls programs really make (issue 12, docs/libc.md,
// docs/pipes.md): glibc's fork, pthread_create and pthread_join, posix_spawn,
// the shell's pipeline, a write with no reader, a signal to a sleeper, a
// futex handshake and a thread-directed signal. Each sleeps somewhere and
// is woken by a later step, so blocked-then-woken, EOF, EPIPE, ctid-cleared
// and futex-woken happen in most runs.

// The clone flags glibc 2.36 passes (sysdeps/unix/sysv/linux/arch-fork.h,
// nptl/pthread_create.c's create_thread, spawni.c).
const (
	glibcForkFlags = abi.CLONE_CHILD_SETTID | abi.CLONE_CHILD_CLEARTID | abi.SIGCHLD
	pthreadFlags   = abi.CLONE_VM | abi.CLONE_FS | abi.CLONE_FILES | abi.CLONE_SIGHAND | abi.CLONE_THREAD |
		abi.CLONE_SYSVSEM | abi.CLONE_SETTLS | abi.CLONE_PARENT_SETTID | abi.CLONE_CHILD_CLEARTID
	spawnFlags = abi.CLONE_VM | abi.CLONE_VFORK
)

var libcMacros = []macro{
	{"glibc-fork", 4, glibcFork},
	{"pthread-create-join", 5, pthreadJoin},
	{"posix-spawn", 3, posixSpawn},
	{"shell-pipeline", 4, shellPipeline},
	{"epipe", 3, writeNoReader},
	{"eof", 3, readToEOF},
	{"signal-a-sleeper", 4, signalSleeper},
	{"futex-handshake", 3, futexHandshake},
	{"thread-signal", 2, threadSignal},
}

// waitRole waits for the task in role r with opts (0: it sleeps).
func waitRole(r int, opts int64) func(*Generator, Source, world) abi.Syscall {
	return func(g *Generator, _ Source, _ world) abi.Syscall { return abi.Wait4{Pid: g.roles[r], Options: opts} }
}

// pipeA makes a pipe in role r's table, remembering the two fds it takes.
func pipeA(r int, flags int64) func(*Generator, Source, world) abi.Syscall {
	return func(g *Generator, _ Source, w world) abi.Syscall {
		t, _ := w.task(g.roles[r])
		ft, _ := w.fdTable(t.FdTable)
		fds := freeFds(ft, 2)
		g.pipeR, g.pipeW = fds[0], fds[1]
		return abi.Pipe2{Flags: flags}
	}
}

// onPipe is mk applied to the macro pipe's read end, or its write end.
func onPipe(writeEnd bool, mk func(fd int) abi.Syscall) func(*Generator, Source, world) abi.Syscall {
	return func(g *Generator, _ Source, _ world) abi.Syscall {
		if writeEnd {
			return mk(g.pipeW)
		}
		return mk(g.pipeR)
	}
}

func closeFd(fd int) abi.Syscall { return abi.Close{Fd: fd} }

// dupOnto is dup2(fd, to), as a shell moves a pipe end onto stdin/stdout.
func dupOnto(to int) func(fd int) abi.Syscall {
	return func(fd int) abi.Syscall { return abi.Dup2{Old: fd, New: to} }
}

// tidWordWait is pthread_join's futex wait: on the macro's word, for the
// tid of role r (the value CLONE_PARENT_SETTID stored there).
func tidWordWait(r int, op int64) func(*Generator, Source, world) abi.Syscall {
	return func(g *Generator, _ Source, _ world) abi.Syscall {
		return abi.Futex{Addr: g.addr, Op: op, Val: uint64(g.roles[r])}
	}
}

// glibcFork: fork() as glibc issues it, the child's tid stored in the
// child's copy of the word; the parent sleeps in waitpid until the child
// exits or execs and exits (CLONE-8a, WAIT-6a).
func glibcFork(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	steps := []scriptStep{create(rT, rC, abi.Clone{Flags: glibcForkFlags, Ctid: g.addr}), do(rC, loadA), do(rT, loadA),
		do(rT, waitRole(rC, 0))}
	if chance(src, 1, 2, "fork-exec?") {
		steps = append(steps, do(rC, execImage))
	}
	return append(steps, do(rC, fixed(abi.ExitGroup{Code: 1})), do(rT, waitAny(abi.WNOHANG)))
}

// pthreadJoin: pthread_create as glibc 2.36 issues it (clone3, one word for
// parent_tid and child_tid), then pthread_join: a shared futex wait on the
// tid word, woken when the thread's exit clears it (CLONE-8c, FUTEX-4a); or a
// join after the exit, which finds 0 and does not sleep (EAGAIN).
func pthreadJoin(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	// glibc 2.36 joins with a shared FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME,
	// which mm_release's shared wake reaches; now and then a private wait,
	// which it does not (FUTEX-2a): the joiner sleeps on.
	op := []int64{abi.FUTEX_WAIT_BITSET | abi.FUTEX_CLOCK_REALTIME, abi.FUTEX_WAIT,
		abi.FUTEX_WAIT_BITSET | abi.FUTEX_PRIVATE_FLAG}[weighted(src, "join-op", 4, 2, 1)]
	steps := []scriptStep{create(rT, rC, abi.Clone3{Flags: pthreadFlags, Ptid: g.addr, Ctid: g.addr}), do(rC, fixed(abi.Gettid{}))}
	if chance(src, 1, 3, "join-late?") {
		return append(steps, do(rC, fixed(abi.Exit{})), do(rT, tidWordWait(rC, op)), do(rT, loadA))
	}
	return append(steps, do(rT, tidWordWait(rC, op)), do(rC, fixed(abi.Exit{})), do(rT, loadA))
}

// posixSpawn: clone3(CLONE_VM|CLONE_VFORK) with file actions (an open and
// a dup2 onto stdout) before the exec, then the parent's waitpid sleeps
// until the spawned program exits (VFORK-2, WAIT-6a).
func posixSpawn(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	return []scriptStep{create(rT, rC, abi.Clone3{Flags: spawnFlags, ExitSignal: abi.SIGCHLD}),
		do(rC, fixed(abi.Open{Path: "a", Flags: abi.O_CLOEXEC})),
		do(rC, lastFd(func(fd int) abi.Syscall { return abi.Dup2{Old: fd, New: 1} }, rC)),
		do(rC, execImage), do(rT, waitRole(rC, 0)), do(rC, fixed(abi.ExitGroup{}))}
}

// shellPipeline: `a | b`. The shell makes a pipe (close-on-exec mostly, as
// shells do), forks a and b, which move the ends onto stdout and stdin and
// exec; the shell closes its ends and sleeps in wait4; b sleeps reading the
// empty pipe; a's write wakes it; a's exit closes the last write end, so b
// sees EOF (PIPE-1a … PIPE-5a). Without O_CLOEXEC b keeps a write end and
// its read never ends (PIPE-5a).
func shellPipeline(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	flags := []int64{abi.O_CLOEXEC, 0}[weighted(src, "pipe-cloexec", 3, 1)]
	return []scriptStep{do(rT, pipeA(rT, flags)),
		create(rT, rC, abi.Clone{Flags: glibcForkFlags, Ctid: g.addr}), do(rC, onPipe(true, dupOnto(1))),
		do(rC, fixed(abi.Execve{Image: "true"})),
		create(rT, rG, abi.Clone{Flags: glibcForkFlags, Ctid: g.addr}), do(rG, onPipe(false, dupOnto(0))),
		do(rG, fixed(abi.Execve{Image: "worker"})),
		do(rT, onPipe(false, closeFd)), do(rT, onPipe(true, closeFd)), do(rT, fixed(abi.Wait4{Pid: -1})),
		do(rG, fixed(abi.Read{Fd: 0, N: 100})), do(rC, fixed(abi.Write{Fd: 1, N: abi.PipeBuf})),
		do(rG, fixed(abi.Read{Fd: 0, N: abi.PipeCapacity})), do(rG, fixed(abi.Read{Fd: 0, N: 100})),
		do(rC, fixed(abi.ExitGroup{})), do(rG, fixed(abi.ExitGroup{})), do(rT, waitAny(0))}
}

// writeNoReader: a write to a pipe whose read ends are all closed: SIGPIPE
// to the writer, then EPIPE when it survives (ignored or caught), or its
// death at the default (PIPE-3c); or a writer asleep on a full pipe whose
// last reader goes (PIPE-4a).
func writeNoReader(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	disp := []abi.Disposition{abi.SigIgnore, abi.SigHandle, abi.SigDefault}[weighted(src, "sigpipe-disp", 4, 3, 1)]
	steps := []scriptStep{do(rT, fixed(abi.Sigaction{Sig: abi.SIGPIPE, Handler: disp})), do(rT, pipeA(rT, 0))}
	if chance(src, 1, 2, "full-pipe?") {
		steps = append(steps, create(rT, rC, abi.Fork{}), do(rT, onPipe(false, closeFd)),
			do(rT, onPipe(true, func(fd int) abi.Syscall { return abi.Write{Fd: fd, N: abi.PipeCapacity + abi.PipeBuf} })),
			do(rC, onPipe(false, closeFd)), do(rC, fixed(abi.ExitGroup{})))
	} else {
		steps = append(steps, do(rT, onPipe(false, closeFd)),
			do(rT, onPipe(true, func(fd int) abi.Syscall { return abi.Write{Fd: fd, N: 10} })))
	}
	return append(steps, do(rT, onPipe(true, closeFd)), do(rT, fixed(abi.Sigaction{Sig: abi.SIGPIPE, Handler: abi.SigDefault})),
		do(rT, waitAny(abi.WNOHANG)))
}

// readToEOF: the reader closes its own write end; with a forked child
// holding the other copy the read sleeps until the child's exit closes it,
// else it sees EOF at once (PIPE-2a, PIPE-5a).
func readToEOF(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	read := do(rT, onPipe(false, func(fd int) abi.Syscall { return abi.Read{Fd: fd, N: 10} }))
	steps := []scriptStep{do(rT, pipeA(rT, []int64{0, abi.O_CLOEXEC}[intn(src, 2, "eof-cloexec")]))}
	if chance(src, 1, 2, "eof-child?") {
		end := []abi.Syscall{abi.ExitGroup{}, abi.Execve{Image: "true"}}[intn(src, 2, "eof-child-end")]
		steps = append(steps, create(rT, rC, abi.Fork{}), do(rT, onPipe(true, closeFd)), read, do(rC, fixed(end)))
	} else {
		steps = append(steps, do(rT, onPipe(true, closeFd)), read)
	}
	return append(steps, do(rT, onPipe(false, closeFd)), do(rT, waitAny(abi.WNOHANG)))
}

// signalSleeper: a caught signal reaches a task asleep in wait4, a pipe
// read or a futex wait: without SA_RESTART the call fails EINTR, with it
// the call sleeps again (SIG-8a). Sent by kill or tgkill from a child.
func signalSleeper(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	flags := []uint64{0, abi.SA_RESTART}[intn(src, 2, "restart?")]
	steps := []scriptStep{do(rT, fixed(abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle, Flags: flags})),
		create(rT, rC, abi.Fork{})}
	var end []scriptStep
	switch weighted(src, "sleep-in", 3, 2, 2) {
	case 0:
		steps = append(steps, do(rT, waitRole(rC, 0)))
	case 1:
		steps = append(steps, do(rT, pipeA(rT, abi.O_CLOEXEC)), do(rT, onPipe(false, func(fd int) abi.Syscall { return abi.Read{Fd: fd, N: 10} })))
		end = []scriptStep{do(rT, onPipe(false, closeFd)), do(rT, onPipe(true, closeFd))}
	default:
		steps = append(steps, do(rT, storeA), do(rT, func(g *Generator, _ Source, w world) abi.Syscall {
			t, _ := w.task(g.roles[rT])
			m, _ := w.mm(t.Mm)
			p, _ := pageAt(m, g.addr)
			return abi.Futex{Addr: g.addr, Op: abi.FUTEX_WAIT | abi.FUTEX_PRIVATE_FLAG, Val: p.Value & 0xffffffff}
		}))
	}
	var sig abi.Syscall = abi.Kill{Pid: t.Tgid, Sig: abi.SIGUSR1}
	if chance(src, 1, 2, "by-tgkill?") {
		sig = abi.Tgkill{Tgid: t.Tgid, Tid: t.Tid, Sig: abi.SIGUSR1}
	}
	steps = append(steps, do(rC, fixed(sig)), do(rC, fixed(sig)), do(rC, fixed(abi.ExitGroup{})))
	return append(append(steps, end...), do(rT, waitAny(abi.WNOHANG)),
		do(rT, fixed(abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigDefault})))
}

// futexHandshake: a thread sleeps on a word, another thread (or, on a
// MAP_SHARED word, another process) wakes it with FUTEX_WAKE (FUTEX-1a …
// FUTEX-3a); a private wake does not reach a shared wait, so the waker
// sometimes tries the wrong kind first.
func futexHandshake(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	private := []int64{abi.FUTEX_PRIVATE_FLAG, 0}[intn(src, 2, "handshake-private?")]
	wait := func(g *Generator, _ Source, w world) abi.Syscall {
		c, _ := w.task(g.roles[rC])
		m, _ := w.mm(c.Mm)
		p, _ := pageAt(m, g.addr)
		return abi.Futex{Addr: g.addr, Op: abi.FUTEX_WAIT | private, Val: p.Value & 0xffffffff}
	}
	steps := []scriptStep{do(rT, storeA), create(rT, rC, abi.Clone{Flags: threadFlags}), do(rC, wait)}
	if private == 0 && chance(src, 1, 2, "wrong-wake?") {
		steps = append(steps, do(rT, fixed(abi.Futex{Addr: g.addr, Op: abi.FUTEX_WAKE | abi.FUTEX_PRIVATE_FLAG, Val: 1})))
	}
	return append(steps, do(rT, fixed(abi.Futex{Addr: g.addr, Op: abi.FUTEX_WAKE | private, Val: 1})),
		do(rC, fixed(abi.Exit{})))
}

// threadSignal: a signal blocked by one thread and sent to it with tgkill
// or tkill stays on that thread's own pending set, which sigpending shows,
// until the thread unblocks it (SIG-5a, SIG-6a, SIG-7a).
func threadSignal(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	set := abi.SigBit(abi.SIGUSR2)
	send := func(g *Generator, src Source, w world) abi.Syscall {
		c, _ := w.task(g.roles[rC])
		if chance(src, 1, 2, "tkill?") {
			return abi.Tkill{Tid: c.Tid, Sig: abi.SIGUSR2}
		}
		return abi.Tgkill{Tgid: c.Tgid, Tid: c.Tid, Sig: abi.SIGUSR2}
	}
	return []scriptStep{do(rT, fixed(abi.Sigaction{Sig: abi.SIGUSR2, Handler: abi.SigHandle, Old: true})),
		create(rT, rC, abi.Clone{Flags: threadFlags}),
		do(rC, fixed(abi.Sigprocmask{How: abi.SIG_BLOCK, Set: set, Old: true})), do(rT, send),
		do(rC, fixed(abi.Sigpending{})), do(rT, fixed(abi.Sigpending{})),
		do(rC, fixed(abi.Sigprocmask{How: abi.SIG_UNBLOCK, Set: set, Old: true})),
		do(rC, fixed(abi.Exit{})), do(rT, fixed(abi.Sigaction{Sig: abi.SIGUSR2, Handler: abi.SigDefault, Old: true}))}
}
