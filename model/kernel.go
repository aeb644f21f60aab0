package model

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// Kernel is the reference model of a Linux world: every task, thread group,
// address space, fd table, disposition table and fs struct, held in plain
// Go values. Sharing is pointer identity: a CLONE_VM child holds the same *mm.
//
// The zero value is not usable; call New.
type Kernel struct {
	// cfg is the world's configuration; limit is cfg.Limit() (FORK-7) and
	// machine cfg.Machine. Invariant: len(tasks) <= limit.
	cfg     abi.Config
	limit   int
	machine abi.Machine
	// target is the kernel whose rules apply where kernels differ
	// (target.go): cfg.Target.
	target abi.Target
	// tasks holds every task in existence (running, frozen or zombie), by tid.
	// Invariant: tasks[tid].tid == tid; a task is in its group's threads.
	tasks map[int]*task
	// nextTid is the next pid/tid to hand out (WORLD-1: 1, 2, 3, …, never
	// reused). Invariant: every tid in tasks is < nextTid.
	nextTid int
	// nextID numbers shared objects (mm, shm object, fd table, open file,
	// sighand, fs) for the View's raw identities. Never reused.
	nextID int
	// nextToken is the next abstract frame token (design.md "model").
	// Invariant: every token held by a page is in 1..nextToken-1.
	nextToken uint64
	// nextSeq numbers attachments to a parent's children list (parentSeq).
	nextSeq uint64
	// caller is the task performing the current step; nil between steps.
	caller *task
	// callerReturned is set once the caller's call has returned and it has
	// taken its signals (returnToUser): from then on it is no longer the
	// task on the CPU. False between steps.
	callerReturned bool
	// runq holds the tasks woken during the step and not yet run, in wake
	// order, to run after the caller (delivery.go). Empty between steps.
	runq []*task
	// oncpu is a woken sleeper while it finishes its call (block.go): the
	// task on the CPU for wants_signal. nil otherwise.
	oncpu *task
	// callerDone is the result of the caller's call when it slept and
	// completed within its own step (block.go). nil otherwise.
	callerDone *abi.Result
	// sizes holds the size of each fixed file (abi.Files).
	sizes map[string]int64
	// sparse holds the files a write has extended past a gap (FD-3c): they
	// may hold a hole, so SEEK_DATA/SEEK_HOLE inside them are refused
	// (abi.FileState.Sparse).
	sparse map[string]bool
	// unsupported is raised by a rule deep inside a step that finds it must
	// do something forkspec does not model (a stop signal's default action);
	// Step then restores the state from before the step and refuses it.
	unsupported bool
	// touch is what the last Step may have changed (observe.go): its
	// caller, the tasks it created, released or woke, or All.
	touch abi.Touch
}

// New returns a world holding only task 1, running image "init" with no fds,
// umask 0o022, default dispositions and nothing blocked or pending (WORLD-1,
// docs/conventions.md "The world").
func New(cfg abi.Config) *Kernel {
	k := &Kernel{
		cfg:       cfg,
		limit:     cfg.Limit(),
		machine:   cfg.Machine,
		sparse:    map[string]bool{},
		target:    cfg.Target,
		tasks:     map[int]*task{},
		nextTid:   1,
		nextID:    1,
		nextToken: 1,
		sizes:     map[string]int64{},
	}
	for _, p := range abi.Files {
		k.sizes[p] = 0
	}
	t := &task{tid: k.allocTid(), state: abi.Running}
	g := &group{tgid: t.tid, leader: t, threads: []*task{t}, exitSignal: abi.SIGCHLD, image: "init", handled: map[int]int{}}
	g.currTarget = t
	t.group = g
	t.files = &fdTable{id: k.newID()}
	t.sighand = &sighand{id: k.newID()}
	t.fs = &fsInfo{id: k.newID(), umask: abi.DefaultUmask}
	t.mm = k.imageMm(abi.Images["init"])
	k.tasks[t.tid] = t
	return k
}

func (k *Kernel) allocTid() int { t := k.nextTid; k.nextTid++; k.touched(t); return t }

func (k *Kernel) newID() int { id := k.nextID; k.nextID++; return id }

func (k *Kernel) newToken() uint64 { t := k.nextToken; k.nextToken++; return t }

// Step performs sc as task tid and returns its Result. It never panics.
//
// A step by a missing, zombie or frozen task is refused and changes nothing
// (WORLD-3). A step that turns out to need something forkspec does not model
// is refused OutcomeUnsupported, and the world is restored to its state
// before the step: refusals change nothing.
func (k *Kernel) Step(tid int, sc abi.Syscall) abi.Result {
	k.touch = abi.Touch{Tids: k.touch.Tids[:0]}
	k.touched(tid)
	if k.libcWorld(sc) {
		defer k.touchAll() // observe.go: libcWorld
	}
	t, ok := k.tasks[tid]
	switch {
	case !ok:
		return abi.Refuse(abi.OutcomeNoTask)
	case t.state == abi.Zombie:
		return abi.Refuse(abi.OutcomeTaskZombie)
	case t.state == abi.VforkFrozen:
		return abi.Refuse(abi.OutcomeTaskFrozen)
	case t.state == abi.Blocked:
		return abi.Refuse(abi.OutcomeTaskBlocked)
	}
	if why := abi.Refusal(k.cfg, refusalWorld{k, t}, sc); why != "" || abi.TargetRefusal(k.target, sc, t.mm.protAt) != "" ||
		k.target.Arch == abi.ArchUM && abi.TargetLibcRefusal(k.target, k.View(), tid, sc) != "" {
		// The one refusal list, shared with the impl and the Linux oracle;
		// then the target's (abi.TargetRefusal).
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	// WORLD-3: a step that ends unsupported midway leaves no trace. The
	// model keeps the simple rule: copy the world before every step and
	// restore the copy (no reasoning about which steps can end so).
	snap := k.Clone()
	k.caller = t
	t.ret, t.retCall = nil, "" // its last sleep's result is behind it now
	defer k.endStep()
	r := k.dispatch(t, sc)
	if !r.Outcome.Refused() && !k.unsupported {
		// The caller's way back to user space, then the tasks the step
		// woke, in turn (delivery.go, docs/conventions.md "Signals").
		// Init's SCHED_OTHER caller yields to the tasks it woke first.
		if t.group.isInit() {
			k.callerReturned = true
			if t.sigpending {
				k.enqueue(t)
			}
		} else {
			k.returnToUser(t)
			r = k.callerFate(t, r)
			k.callerReturned = true
		}
		k.runQueue()
		r = k.sleptFate(t, r)
	}
	if r.Outcome.Refused() || k.unsupported {
		if !r.Outcome.Refused() {
			r = abi.Refuse(abi.OutcomeUnsupported)
		}
		*k = *snap
		return r
	}
	return r
}

// endStep clears the step's own state.
func (k *Kernel) endStep() {
	k.caller, k.callerReturned, k.runq, k.callerDone = nil, false, nil, nil
}

// sleptFate is the result of a step whose call slept: still blocked, or
// what the call returned when tasks the step woke completed it, or killed
// when its group died while it slept (docs/conventions.md "Blocking").
func (k *Kernel) sleptFate(t *task, r abi.Result) abi.Result {
	if r.Outcome != abi.OutcomeBlocked {
		return r
	}
	switch {
	case t.exiting && t.group.killSig != 0:
		return abi.Result{Outcome: abi.OutcomeKilled, Signal: t.group.killSig}
	case t.state == abi.Blocked:
		return r
	case k.callerDone != nil:
		return *k.callerDone
	}
	return r
}

// callerFate turns the result of a call into OutcomeKilled when the caller's
// group died of a signal before the caller got back to user space (a kill
// of its own group that started the group exit, a fatal signal it took on
// its way back): it never sees the call's return value. A group death that
// comes later — a sibling taking a fatal signal, another task's exit
// notification — happens after the caller returned, so the step reports
// the call's result, as on Linux.
func (k *Kernel) callerFate(t *task, r abi.Result) abi.Result {
	switch r.Outcome {
	case abi.OutcomeExited, abi.OutcomeKilled:
		return r
	}
	if t.exiting && t.group.killSig != 0 {
		return abi.Result{Outcome: abi.OutcomeKilled, Signal: t.group.killSig}
	}
	return r
}

// dispatch runs one syscall for the running task t.
func (k *Kernel) dispatch(t *task, sc abi.Syscall) abi.Result {
	switch s := sc.(type) {
	case abi.Fork:
		return k.sysClone(t, cloneArgs{exitSignal: abi.SIGCHLD})
	case abi.Vfork:
		// VFORK-1: vfork is clone(CLONE_VM|CLONE_VFORK|SIGCHLD). [vfork(2)]
		return k.sysClone(t, cloneArgs{flags: abi.CLONE_VM | abi.CLONE_VFORK, exitSignal: abi.SIGCHLD})
	case abi.Clone:
		return k.sysLegacyClone(t, s)
	case abi.Clone3:
		return k.sysClone3(t, s)
	case abi.Execve:
		return k.sysExecve(t, s)
	case abi.Exit:
		return k.sysExit(t, s)
	case abi.ExitGroup:
		return k.sysExitGroup(t, s)
	case abi.Wait4:
		if r := k.sysWait4(t, s); r.Outcome != abi.OutcomeBlocked {
			return r
		}
		return k.block(t, &waitState{call: s})
	case abi.Getpid:
		return abi.Ok(uint64(t.group.tgid))
	case abi.Gettid:
		return abi.Ok(uint64(t.tid))
	case abi.Getppid:
		return abi.Ok(uint64(t.group.ppid()))
	case abi.Prctl:
		return k.sysPrctl(t, s)
	case abi.Mmap:
		return k.sysMmap(t, s)
	case abi.Munmap:
		return k.sysMunmap(t, s)
	case abi.Mprotect:
		return k.sysMprotect(t, s)
	case abi.Madvise:
		return k.sysMadvise(t, s)
	case abi.Load:
		return k.sysLoad(t, s)
	case abi.Store:
		return k.sysStore(t, s)
	case abi.Open:
		return k.sysOpen(t, s)
	case abi.Close:
		return k.sysClose(t, s)
	case abi.Dup:
		return k.sysDup(t, s)
	case abi.Fcntl:
		return k.sysFcntl(t, s)
	case abi.Write:
		return k.sysWrite(t, s)
	case abi.Lseek:
		return k.sysLseek(t, s)
	case abi.Umask:
		return k.sysUmask(t, s)
	case abi.Sigaction:
		return k.sysSigaction(t, s)
	case abi.Sigprocmask:
		return k.sysSigprocmask(t, s)
	case abi.Kill:
		return k.sysKill(t, s)
	case abi.Pipe2:
		return k.sysPipe2(t, s)
	case abi.Read:
		return k.sysRead(t, s)
	case abi.Dup2:
		return k.sysDup3(t, s.Old, s.New, 0, true)
	case abi.Dup3:
		return k.sysDup3(t, s.Old, s.New, s.Flags, false)
	case abi.Futex:
		return k.sysFutex(t, s)
	case abi.Tgkill:
		return k.sysTkill(t, int64(s.Tgid), int64(s.Tid), int64(s.Sig), true)
	case abi.Tkill:
		return k.sysTkill(t, 0, int64(s.Tid), int64(s.Sig), false)
	case abi.Sigpending:
		return k.sysSigpending(t)
	}
	return abi.Refuse(abi.OutcomeUnsupported)
}

// sortedTids returns the tids in existence in ascending order, so that no
// rule depends on map iteration order.
func (k *Kernel) sortedTids() []int {
	tids := make([]int, 0, len(k.tasks))
	for tid := range k.tasks {
		tids = append(tids, tid)
	}
	slices.Sort(tids)
	return tids
}

// groups returns every thread group in existence in tgid order.
func (k *Kernel) groups() []*group {
	var gs []*group
	for _, tid := range k.sortedTids() {
		if t := k.tasks[tid]; t.group.leader == t {
			gs = append(gs, t.group)
		}
	}
	return gs
}

// liveMms returns every address space some task uses, each once, in the
// order tasks (by tid) refer to them.
func (k *Kernel) liveMms() []*mm {
	seen := map[*mm]bool{}
	var out []*mm
	for _, tid := range k.sortedTids() {
		if m := k.tasks[tid].mm; m != nil && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// i32 is the int argument of a syscall as Linux sees it: the low 32 bits,
// sign-extended (the syscall ABI passes int and pid_t in 32 bits).
func i32(v int64) int64 { return int64(int32(v)) }

// u32 is an unsigned int argument as Linux sees it: the low 32 bits.
func u32(v int64) uint64 { return uint64(uint32(v)) }

// World returns what the refusal rules ask about the world from task tid's
// point of view (abi.Worlds); ok is false when tid is not a running task.
func (k *Kernel) World(tid int) (abi.World, bool) {
	t, ok := k.tasks[tid]
	if !ok || t.state != abi.Running {
		return nil, false
	}
	return refusalWorld{k, t}, true
}

// refusalWorld answers abi.World for task t (abi.Refusal).
type refusalWorld struct {
	k *Kernel
	t *task
}

func (w refusalWorld) InitGroup() bool  { return w.t.group.isInit() }
func (w refusalWorld) LastThread() bool { return w.k.lastAlive(w.t) }

func (w refusalWorld) File(fd int) (abi.FileState, bool) {
	sl, ok := w.t.files.lookup(fd)
	if !ok {
		return abi.FileState{}, false
	}
	if pp := sl.file.pipe; pp != nil {
		return abi.FileState{Pipe: true, WriteEnd: sl.file.writeEnd,
			ReaderBlocked: w.k.pipeSleeper(pp, false) != nil, WriterBlocked: w.k.pipeSleeper(pp, true) != nil}, true
	}
	p := sl.file.path
	return abi.FileState{Offset: sl.file.offset, Size: w.k.sizes[p], Sparse: w.k.sparse[p]}, true
}

func (w refusalWorld) Mappings() []abi.VMA {
	vs := make([]abi.VMA, 0, len(w.t.mm.vmas))
	for _, v := range w.t.mm.vmas {
		vs = append(vs, abi.VMA{Start: v.start, End: v.end, Prot: v.prot, Shared: v.obj != nil,
			DontFork: v.dontFork, WipeOnFork: v.wipeOnFork, Accounted: v.accounted, ExecOnly: v.execOnly})
	}
	return vs
}

func (w refusalWorld) Segv() (handler, blocked bool) {
	return w.t.sighand.actions[abi.SIGSEGV].handler == abi.SigHandle, w.t.blocked.Has(abi.SIGSEGV)
}

func (w refusalWorld) TaskGroup(tid int) (int, bool) {
	if t, ok := w.k.tasks[tid]; ok {
		return t.group.tgid, true
	}
	return 0, false
}

func (w refusalWorld) WaitSleeps(s abi.Wait4) bool { return abi.WaitSleeps(w.k.View(), w.t.tid, s) }

func (w refusalWorld) GroupWaiting() bool {
	for _, u := range w.t.group.threads {
		if u != w.t && u.state == abi.Blocked && isWait4(u.wait.call) {
			return true
		}
	}
	return false
}

func isWait4(sc abi.Syscall) bool { _, ok := sc.(abi.Wait4); return ok }

func (w refusalWorld) Target(pid int) (exists, dying bool) {
	target, ok := w.k.tasks[pid]
	if !ok {
		return false, false
	}
	g := target.group
	return true, g.dying()
}
