package gen

import (
	"github.com/forkspec/forkspec/abi"
)

// Generator chooses steps from the current View. Its only state is what a
// scripted pattern needs: the macro in progress, the tids it has seen (so it
// can name the task a fork just created) and a counter that makes stored
// values distinct.
//
// The zero Generator is not usable; call New. A Generator is not safe for
// concurrent use, and is deterministic: the same Views and draws give the
// same steps.
type Generator struct {
	limit int
	// seen is the highest tid in any View handed to Next so far.
	// Invariant: tids are never reused, so a tid > seen is a new task.
	seen int
	// fresh holds the tids that appeared since the previous call, ascending.
	fresh []int
	// script holds the remaining steps of a macro in progress.
	script []scriptStep
	// roles are the tasks a macro talks about (see role*); 0 is unset.
	roles [nRoles]int
	// await, when >= 0, is the role that takes the next fresh tid.
	await int
	// addr is the page a macro works on.
	addr uint64
	// pipeR and pipeW are the fds a macro's pipe2 takes (the two lowest
	// free fds of the caller when it was emitted); 0 before one is.
	pipeR, pipeW int
	// value is the next stored value.
	value uint64
	// MacroPerMille is how often (per thousand steps taken outside a macro)
	// a macro starts. New sets 150.
	MacroPerMille int
	// emphasis multiplies the weight of each syscall kind; 0 means 1.
	emphasis [nKinds]int
}

// Emphasize multiplies by factor the weight of the syscalls named (by
// Syscall.Name: "clone", "execve", …), so that a suite about one rule draws
// its syscalls more often. Unknown names are ignored.
func (g *Generator) Emphasize(factor int, names ...string) {
	for _, n := range names {
		for k := kind(0); k < nKinds; k++ {
			if kindNames[k] == n {
				g.emphasis[k] = factor
			}
		}
	}
}

// kindNames are the syscall names of the kinds, as Syscall.Name spells them.
var kindNames = [nKinds]string{
	kGetpid: "getpid", kGetppid: "getppid", kGettid: "gettid", kFork: "fork", kVfork: "vfork",
	kClone: "clone", kClone3: "clone3", kExecve: "execve", kExit: "exit", kExitGroup: "exit_group",
	kWait4: "wait4", kPrctl: "prctl", kMmap: "mmap", kMunmap: "munmap", kMprotect: "mprotect",
	kMadvise: "madvise", kLoad: "load", kStore: "store", kOpen: "open", kClose: "close", kDup: "dup",
	kFcntl: "fcntl", kWrite: "write", kLseek: "lseek", kUmask: "umask", kSigaction: "sigaction",
	kSigprocmask: "sigprocmask", kKill: "kill", kPipe2: "pipe2", kRead: "read", kDup2: "dup2",
	kDup3: "dup3", kFutex: "futex", kTgkill: "tgkill", kTkill: "tkill", kSigpending: "sigpending",
}

// New returns a Generator for worlds with cfg's task limit.
func New(cfg abi.Config) *Generator {
	return &Generator{limit: cfg.Limit(), await: -1, value: 0x100, MacroPerMille: 150}
}

// Next returns a step chosen by a fresh Generator: no macro is in progress,
// so the step is drawn from the table alone. Use a Generator to get macros.
func Next(src Source, v abi.View) (tid int, sc abi.Syscall) {
	return New(abi.Config{}).Next(src, v)
}

// Next returns the next step for the world whose canonical View is v.
func (g *Generator) Next(src Source, v abi.View) (tid int, sc abi.Syscall) {
	w := newWorld(v)
	tid, sc = g.next(src, w)
	return tid, keepOneRunning(src, w, tid, sc)
}

// next chooses the step, a macro's or a drawn one.
func (g *Generator) next(src Source, w world) (tid int, sc abi.Syscall) {
	g.observe(w)
	for len(g.script) > 0 {
		step := g.script[0]
		g.script = g.script[1:]
		if tid, sc, ok := step(g, src, w); ok {
			return tid, sc
		}
		g.abort()
	}
	if chance(src, g.MacroPerMille, 1000, "macro?") {
		if g.startMacro(src, w) && len(g.script) > 0 {
			step := g.script[0]
			g.script = g.script[1:]
			if tid, sc, ok := step(g, src, w); ok {
				return tid, sc
			}
			g.abort()
		}
	}
	tid = g.actor(src, w)
	return tid, g.syscall(src, w, tid)
}

// observe records the tasks that appeared since the previous View and hands
// the first of them to a macro that awaits a child.
func (g *Generator) observe(w world) {
	g.fresh = g.fresh[:0]
	for _, t := range w.v.Tasks {
		if t.Tid > g.seen {
			g.fresh = append(g.fresh, t.Tid)
		}
	}
	if m := w.maxTid(); m > g.seen {
		g.seen = m
	}
	if g.await >= 0 {
		if len(g.fresh) > 0 {
			g.roles[g.await] = g.fresh[0]
		}
		g.await = -1
	}
}

// abort drops the macro in progress.
func (g *Generator) abort() {
	g.script = nil
	g.roles = [nRoles]int{}
	g.await = -1
	g.pipeR, g.pipeW = 0, 0
}

// actor chooses the task that performs the step: a running task mostly, and
// at a low rate a frozen, zombie or missing one (WORLD-3).
func (g *Generator) actor(src Source, w world) int {
	run := w.running()
	switch weighted(src, "actor-kind", 60, 1, 1, 1) {
	case 1:
		if t, ok := pickState(src, w, abi.VforkFrozen); ok {
			return t
		}
	case 2:
		if t, ok := pickState(src, w, abi.Zombie); ok {
			return t
		}
	case 3:
		// Tids a trace can hold (TID >= 0): a failure found with them must
		// be written as a trace that parses (traces/parse.go).
		return []int{w.maxTid() + 1, 0, 1<<31 - 1, 1 << 20}[intn(src, 4, "missing")]
	}
	if len(run) == 0 {
		return 1
	}
	return run[intn(src, len(run), "tid")]
}

// pickState returns a task in state s, if any.
func pickState(src Source, w world, s abi.TaskState) (int, bool) {
	var ts []int
	for _, t := range w.v.Tasks {
		if t.State == s {
			ts = append(ts, t.Tid)
		}
	}
	if len(ts) == 0 {
		return 0, false
	}
	return ts[intn(src, len(ts), "tid-in-state")], true
}

// kind is one entry of the syscall table.
type kind int

const (
	kGetpid kind = iota
	kGetppid
	kGettid
	kFork
	kVfork
	kClone
	kClone3
	kExecve
	kExit
	kExitGroup
	kWait4
	kPrctl
	kMmap
	kMunmap
	kMprotect
	kMadvise
	kLoad
	kStore
	kOpen
	kClose
	kDup
	kFcntl
	kWrite
	kLseek
	kUmask
	kSigaction
	kSigprocmask
	kKill
	kPipe2
	kRead
	kDup2
	kDup3
	kFutex
	kTgkill
	kTkill
	kSigpending
	nKinds
)

// baseWeights is the syscall mix of a small world. Memory traffic dominates
// (stores drive copy-on-write); creation and ending are balanced by
// weights() as the world fills up.
var baseWeights = [nKinds]int{
	kGetpid: 2, kGetppid: 2, kGettid: 1,
	kFork: 6, kVfork: 3, kClone: 6, kClone3: 3,
	kExecve: 4, kExit: 2, kExitGroup: 3, kWait4: 7, kPrctl: 2,
	kMmap: 6, kMunmap: 3, kMprotect: 3, kMadvise: 4, kLoad: 7, kStore: 16,
	kOpen: 3, kClose: 2, kDup: 2, kFcntl: 2, kWrite: 2, kLseek: 2, kUmask: 1,
	kSigaction: 4, kSigprocmask: 3, kKill: 4,
	kPipe2: 3, kRead: 3, kDup2: 2, kDup3: 1, kFutex: 3, kTgkill: 2, kTkill: 1, kSigpending: 1,
}

// weights returns the syscall mix for a world with n tasks: past half the
// task limit creation fades and exits, waits and kills grow, so that most
// runs stay inside the limit while still reaching it now and then (FORK-7).
func (g *Generator) weights(n int) [nKinds]int {
	ws := baseWeights
	p := 0
	if g.limit > 0 {
		p = (8*n)/g.limit - 3 // 0 below ~40% of the limit, up to 5 at it
	}
	if p <= 0 {
		return ws
	}
	for _, k := range []kind{kFork, kVfork, kClone, kClone3} {
		ws[k] = max(ws[k]*2/(2+p), 1)
	}
	ws[kExit] += 2 * p
	ws[kExitGroup] += 3 * p
	ws[kWait4] += 4 * p
	ws[kKill] += 2 * p
	return ws
}

// syscall draws a syscall for task tid.
func (g *Generator) syscall(src Source, w world, tid int) abi.Syscall {
	ws := g.weights(len(w.v.Tasks))
	if t, ok := w.task(tid); ok && t.Tgid == 1 && len(w.threads(1)) == 1 {
		// Init never exits (WORLD-1): its exits are refused, so draw them
		// rarely rather than waste steps.
		ws[kExit], ws[kExitGroup] = 1, 1
	}
	for k, f := range g.emphasis {
		if f > 0 {
			ws[k] *= f
		}
	}
	return g.build(src, w, tid, kind(weighted(src, "syscall", ws[:]...)))
}

// build draws the arguments of a syscall of kind k for task tid.
func (g *Generator) build(src Source, w world, tid int, k kind) abi.Syscall {
	t, _ := w.task(tid)
	m, _ := w.mm(t.Mm)
	switch k {
	case kGetpid:
		return abi.Getpid{}
	case kGetppid:
		return abi.Getppid{}
	case kGettid:
		return abi.Gettid{}
	case kFork:
		return abi.Fork{}
	case kVfork:
		return abi.Vfork{}
	case kClone:
		f := cloneFlags(src)
		ptid, ctid := tidPointers(src, m, f)
		return abi.Clone{Flags: f, Ptid: ptid, Ctid: ctid}
	case kClone3:
		f, s := clone3Args(src)
		ptid, ctid := tidPointers(src, m, f)
		return abi.Clone3{Flags: f, ExitSignal: s, Ptid: ptid, Ctid: ctid}
	case kExecve:
		return abi.Execve{Image: pickFrom(src, "image", imageTable)}
	case kExit:
		return abi.Exit{Code: exitCode(src)}
	case kExitGroup:
		return abi.ExitGroup{Code: exitCode(src)}
	case kWait4:
		return abi.Wait4{Pid: waitPid(src, w, t), Options: pickFrom(src, "wait-options", waitOptTable)}
	case kPrctl:
		return prctl(src)
	case kMmap:
		return mmapCall(src, w, m)
	case kMunmap:
		return abi.Munmap{Addr: addr(src, w, m), Len: length(src)}
	case kMprotect:
		return abi.Mprotect{Addr: addr(src, w, m), Len: length(src), Prot: pickFrom(src, "prot", protTable)}
	case kMadvise:
		return abi.Madvise{Addr: addr(src, w, m), Len: length(src), Advice: pickFrom(src, "advice", adviceTable)}
	case kLoad:
		return abi.Load{Addr: addr(src, w, m)}
	case kStore:
		a, ok := uint64(0), false
		if chance(src, 2, 3, "writable?") {
			a, ok = writablePage(src, m)
		}
		if !ok {
			a = addr(src, w, m)
		}
		return abi.Store{Addr: a, Value: g.nextValue()}
	case kOpen:
		return openCall(src)
	case kClose:
		ft, ok := w.fdTable(t.FdTable)
		return abi.Close{Fd: fd(src, ft, ok)}
	case kDup:
		ft, ok := w.fdTable(t.FdTable)
		return abi.Dup{Fd: fd(src, ft, ok)}
	case kFcntl:
		ft, ok := w.fdTable(t.FdTable)
		return fcntl(src, fd(src, ft, ok))
	case kWrite:
		ft, ok := w.fdTable(t.FdTable)
		return abi.Write{Fd: fd(src, ft, ok), N: writeCount(src)}
	case kLseek:
		ft, ok := w.fdTable(t.FdTable)
		return lseek(src, fd(src, ft, ok))
	case kUmask:
		return abi.Umask{Mask: []int64{0o022, 0o077, 0o7777}[intn(src, 3, "umask")]}
	case kSigaction:
		return abi.Sigaction{Sig: pickFrom(src, "sig", sigTable), Handler: pickFrom(src, "disposition", dispTable),
			Flags: pickFrom(src, "sa-flags", saFlagTable), Old: chance(src, 1, 3, "old-action?")}
	case kSigprocmask:
		how := []int64{abi.SIG_BLOCK, abi.SIG_UNBLOCK, abi.SIG_SETMASK, 7}[weighted(src, "how", 4, 4, 2, 1)]
		return abi.Sigprocmask{How: how, Set: sigset(src), Old: chance(src, 1, 3, "old-mask?")}
	case kPipe2, kRead, kDup2, kDup3, kFutex, kTgkill, kTkill, kSigpending:
		return g.buildLibc(src, w, t, m, k)
	default:
		return abi.Kill{Pid: killPid(src, w, t), Sig: pickFrom(src, "kill-sig", killSigTable)}
	}
}

// nextValue returns a stored value never stored before in this run, so a
// leaked store is told apart from a legitimate one.
func (g *Generator) nextValue() uint64 {
	g.value++
	return g.value
}

func exitCode(src Source) int {
	if chance(src, 1, 20, "big-code?") {
		return 256 + intn(src, 3, "code") // only the low byte is reported
	}
	return intn(src, 4, "code")
}

// waitPid returns -1, a child of t's group, some other task, or a bad pid.
func waitPid(src Source, w world, t abi.TaskView) int {
	switch weighted(src, "wait-pid", 6, 4, 1, 1, 1) {
	case 1:
		if cs := w.children(t.Tgid); len(cs) > 0 {
			return cs[intn(src, len(cs), "child")]
		}
	case 2:
		if len(w.v.Tasks) > 0 {
			return w.v.Tasks[intn(src, len(w.v.Tasks), "any-task")].Tid
		}
	case 3:
		return []int{w.maxTid() + 7, -1 << 31}[intn(src, 2, "bad-pid")] // INT_MIN is special in wait4
	case 4:
		return 0 // process groups: unsupported
	}
	return -1
}

// killPid returns a task of another group mostly, the caller's own group,
// or a missing or unsupported pid.
func killPid(src Source, w world, t abi.TaskView) int {
	switch weighted(src, "kill-pid", 6, 2, 1, 1) {
	case 0:
		if n := len(w.v.Tasks); n > 0 {
			return w.v.Tasks[intn(src, n, "target")].Tid
		}
	case 1:
		return t.Tgid
	case 2:
		return w.maxTid() + 3
	case 3:
		return []int{0, -1}[intn(src, 2, "group-pid")]
	}
	return 1
}

func prctl(src Source) abi.Syscall {
	switch weighted(src, "prctl", 5, 1, 1, 1) {
	case 1:
		return abi.Prctl{Option: abi.PR_SET_CHILD_SUBREAPER, Arg: 0}
	case 2:
		return abi.Prctl{Option: abi.PR_GET_CHILD_SUBREAPER}
	case 3:
		return abi.Prctl{Option: 99}
	}
	return abi.Prctl{Option: abi.PR_SET_CHILD_SUBREAPER, Arg: 1}
}

func openCall(src Source) abi.Syscall {
	paths := append(append([]string(nil), abi.Files...), "nosuch")
	p := paths[weighted(src, "path", 4, 2, 2, 1)%len(paths)]
	fl := []int64{0, abi.O_CLOEXEC, 0x40}[weighted(src, "open-flags", 6, 3, 1)]
	return abi.Open{Path: p, Flags: fl}
}

func fcntl(src Source, fd int) abi.Syscall {
	switch weighted(src, "fcntl", 4, 2, 3, 1, 2, 2, 1) {
	case 4, 5:
		// F_DUPFD(_CLOEXEC): the lowest free fd at or above arg; arg at
		// RLIMIT_NOFILE is EINVAL, just below it EMFILE if taken (FD-5).
		cmd := []int64{abi.F_DUPFD, abi.F_DUPFD_CLOEXEC}[intn(src, 2, "dupfd-cmd")]
		arg := []int64{0, 3, 10, abi.FdLimit - 1, abi.FdLimit}[weighted(src, "dupfd-arg", 3, 2, 2, 1, 1)]
		return abi.Fcntl{Fd: fd, Cmd: cmd, Arg: arg}
	case 6:
		return abi.Fcntl{Fd: fd, Cmd: abi.F_GETPIPE_SZ} // EINVAL unless a pipe
	case 1:
		return abi.Fcntl{Fd: fd, Cmd: abi.F_SETFD, Arg: 0}
	case 2:
		return abi.Fcntl{Fd: fd, Cmd: abi.F_GETFD}
	case 3:
		return abi.Fcntl{Fd: fd, Cmd: 99, Arg: 0}
	}
	return abi.Fcntl{Fd: fd, Cmd: abi.F_SETFD, Arg: abi.FD_CLOEXEC}
}

func lseek(src Source, fd int) abi.Syscall {
	off, whence := seekArgs(src)
	return abi.Lseek{Fd: fd, Offset: off, Whence: whence}
}
