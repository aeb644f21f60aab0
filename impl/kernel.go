package impl

import (
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// Kernel is the optimized backend: an abi.Kernel and abi.Checker with real
// frames, page tables and refcounted shared objects. The zero value is not
// usable; call New.
type Kernel struct {
	cfg    abi.Config
	frames framePool
	// onDemand makes fork share whole leaf page tables copy-on-write
	// instead of copying their entries (WithOnDemandFork, ondemand.go);
	// true by default.
	onDemand bool
	// tasks maps tid to task for every task in existence (running, frozen,
	// zombie). Invariant: tasks[t.tid] == t; len(tasks) <= cfg.Limit().
	tasks map[int]*task
	// nextPid is the next pid to hand out (WORLD-1: never reused).
	nextPid int
	// nextID numbers mms, fd tables, open files, sighands, fs structs and
	// shared objects for the View.
	nextID int
	// inodes holds the size of each fixed file (abi.Files).
	inodes map[string]int64
	// sparse holds the files a write extended past a gap: they may hold a
	// hole (abi.FileState.Sparse).
	sparse map[string]bool
	stats  Stats
	// nextSeq numbers attachments to a parent's children list (parentSeq).
	nextSeq uint64
	// caller is the task performing the current step; nil between steps.
	caller *task
	// returned is set once the caller is back in user space: it is no
	// longer the task on the CPU. False between steps.
	returned bool
	// runq holds the tasks woken during the step, in wake order, each to
	// run after the caller; initq those of init's group, which run after
	// every other (signal.go). Both empty between steps.
	runq, initq []*task
	// futexq is every task queued on a futex, in queue order.
	futexq []*task
	// cpu is a woken sleeper finishing its call (sleep.go), nil otherwise.
	cpu *task
	// callerDone is the caller's result when its call slept and finished
	// within its own step.
	callerDone *abi.Result
	// touch is what the last Step may have changed (observe.go).
	touch abi.Touch
}

// Stats are event counters for coverage reporting, and current gauges.
type Stats struct {
	COWCopies   uint64 // write faults that copied a shared private frame (COW-2)
	COWReuses   uint64 // write faults that reused an exclusive frame (COW-3)
	ZeroMaps    uint64 // loads that mapped the shared zero frame (COW-7)
	ZeroFills   uint64 // stores that gave an untouched private page a fresh frame
	SharedFills uint64 // first touches of a MAP_SHARED page
	OOMKills    uint64 // groups killed because a fault found no free frame
	ForkENOMEM  uint64 // fork/clone refused for lack of frames
	VforkByExec uint64 // vfork parents released by the child's exec
	VforkByExit uint64 // vfork parents released by the child's exit
	Reparents   uint64 // processes moved to a new parent

	// On-demand fork (ondemand.go): leaf tables shared at fork, copied at
	// a first change, taken over by their last holder.
	TableShares, TableUnshares, TableReuses uint64

	FramesInUse    int // frames with a reference, zero frame and tables included
	PageTablePages int // table pages in all live page tables
}

// Option configures New.
type Option func(*Kernel)

// WithFrames sets the size of the simulated physical memory in 4 KiB frames
// (default DefaultFrames). The zero frame and page-table pages count in it.
func WithFrames(n int) Option {
	return func(k *Kernel) {
		if n < 1 {
			n = 1
		}
		k.frames = newFramePool(uint32(min(n, 1<<32-1)))
	}
}

// New returns a kernel whose only task is task 1 running image "init"
// (WORLD-1, conventions "The world").
func New(cfg abi.Config, opts ...Option) *Kernel {
	k := &Kernel{cfg: cfg, tasks: map[int]*task{}, nextPid: 1, inodes: map[string]int64{}, sparse: map[string]bool{}, onDemand: true}
	k.frames = newFramePool(DefaultFrames)
	for _, o := range opts {
		o(k)
	}
	t := &task{tid: k.allocPid(), exitSignal: abi.SIGCHLD, image: "init"}
	g := &group{tgid: t.tid, leader: t, threads: []*task{t}, target: t}
	t.g = g
	t.files = &fdTable{id: k.newID(), refs: 1}
	t.sh = &sighand{id: k.newID(), refs: 1}
	t.fs = &fsStruct{id: k.newID(), refs: 1, umask: abi.DefaultUmask}
	m, ok := k.buildImage(abi.Images["init"])
	if !ok {
		panic("impl: frame pool too small for task 1's image")
	}
	t.mm = m
	k.tasks[t.tid] = t
	return k
}

var _ abi.Kernel = (*Kernel)(nil)
var _ abi.Checker = (*Kernel)(nil)

func (k *Kernel) allocPid() int { p := k.nextPid; k.nextPid++; k.touched(p); return p }

func (k *Kernel) newID() int { k.nextID++; return k.nextID }

// Stats returns the event counters and current gauges.
func (k *Kernel) Stats() Stats {
	s := k.stats
	s.TableShares, s.TableUnshares, s.TableReuses = k.frames.tableShares, k.frames.tableUnshares, k.frames.tableReuses
	s.FramesInUse = int(k.frames.used)
	for _, m := range k.liveMMs() {
		s.PageTablePages += m.pt.pages // a shared leaf counts in each holder
	}
	return s
}

// FramesInUse is the number of frames with a reference: data frames, the
// zero frame and page-table pages.
func (k *Kernel) FramesInUse() int { return int(k.frames.used) }

// FramesTotal is the pool size.
func (k *Kernel) FramesTotal() int { return int(k.frames.total) }

// sortedTasks returns every task in tid order.
func (k *Kernel) sortedTasks() []*task {
	ts := make([]*task, 0, len(k.tasks))
	for _, t := range k.tasks {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *task) int { return a.tid - b.tid })
	return ts
}

// groups returns every thread group in tgid order.
func (k *Kernel) groups() []*group {
	var gs []*group
	for _, t := range k.sortedTasks() {
		if t.g.leader == t {
			gs = append(gs, t.g)
		}
	}
	return gs
}

// liveMMs returns the distinct mms of live tasks, in tid order of first use.
func (k *Kernel) liveMMs() []*mm {
	var ms []*mm
	seen := map[*mm]bool{}
	for _, t := range k.sortedTasks() {
		if t.mm != nil && !seen[t.mm] {
			seen[t.mm] = true
			ms = append(ms, t.mm)
		}
	}
	return ms
}

// Step performs one syscall by task tid (abi.Kernel). Refused steps change
// nothing (WORLD-3); every other step ends with signal delivery to every
// process (conventions "Signals").
func (k *Kernel) Step(tid int, sc abi.Syscall) abi.Result {
	k.touch = abi.Touch{Tids: append(k.touch.Tids[:0], tid)}
	if k.libcWorld(sc) {
		defer k.touchAll() // observe.go: libcWorld
	}
	t := k.tasks[tid]
	switch {
	case t == nil:
		return abi.Refuse(abi.OutcomeNoTask)
	case t.state == stateZombie:
		return abi.Refuse(abi.OutcomeTaskZombie)
	case t.state == stateFrozen:
		return abi.Refuse(abi.OutcomeTaskFrozen)
	case t.state == stateBlocked:
		return abi.Refuse(abi.OutcomeTaskBlocked)
	}
	if why := abi.Refusal(k.cfg, refusalWorld{k, t}, sc); why != "" || abi.TargetRefusal(k.cfg.Target, sc, t.mm.protAt) != "" ||
		k.cfg.Target.Arch == abi.ArchUM && abi.TargetLibcRefusal(k.cfg.Target, k.View(), tid, sc) != "" {
		return abi.Refuse(abi.OutcomeUnsupported) // the one refusal list (abi), then the target's
	}
	k.caller = t
	// Its last sleep's result is behind it now; a refused step is not
	// performed and leaves it (TaskView.Return).
	done, doneCall := t.done, t.doneCall
	t.done, t.doneCall = nil, ""
	r := k.dispatch(t, sc)
	if r.Outcome.Refused() {
		k.caller = nil
		t.done, t.doneCall = done, doneCall
		return r
	}
	// Back to user space: the caller first, then whoever the step woke;
	// init (SCHED_OTHER) lets the tasks it woke run first.
	if t.g.tgid == 1 {
		k.returned = true
		if t.tif {
			k.wake(t)
		}
	} else {
		k.afterCall(t)
		// The caller's group died before it got back (it started the
		// group exit, or took a fatal signal on the way): the call never
		// returns (abi.OutcomeKilled). A death that comes later, when a
		// woken task runs, leaves the caller's result as it was.
		if r.Outcome != abi.OutcomeExited && r.Outcome != abi.OutcomeKilled && t.exiting && t.g.killSig != 0 {
			r = abi.Result{Outcome: abi.OutcomeKilled, Signal: t.g.killSig}
		}
		k.returned = true
	}
	k.runWoken()
	if r.Outcome == abi.OutcomeBlocked {
		// The call slept: it still does, or woken tasks finished it, or its
		// group died meanwhile.
		switch {
		case t.exiting && t.g.killSig != 0:
			r = abi.Result{Outcome: abi.OutcomeKilled, Signal: t.g.killSig}
		case t.state == stateBlocked:
		case k.callerDone != nil:
			r = *k.callerDone
		}
	}
	k.caller, k.returned, k.initq, k.callerDone = nil, false, nil, nil
	return r
}

func (k *Kernel) dispatch(t *task, sc abi.Syscall) abi.Result {
	switch s := sc.(type) {
	case abi.Fork:
		return k.sysClone(t, 0, abi.SIGCHLD, 0, 0, 0)
	case abi.Vfork:
		return k.sysClone(t, abi.CLONE_VM|abi.CLONE_VFORK, abi.SIGCHLD, 0, 0, 0)
	case abi.Clone:
		f := s.Flags & 0xffffffff // lower_32_bits in the clone syscall
		return k.sysClone(t, f&^abi.CSIGNAL, int(f&abi.CSIGNAL), s.Ptid, s.Ctid, s.Ptid)
	case abi.Clone3:
		return k.sysClone3(t, s)
	case abi.Execve:
		return k.sysExecve(t, s.Image)
	case abi.Exit:
		return k.sysExit(t, s.Code)
	case abi.ExitGroup:
		return k.sysExitGroup(t, s.Code)
	case abi.Wait4:
		if r := k.sysWait4(t, s); r.Outcome != abi.OutcomeBlocked {
			return r
		}
		return k.sleepOn(t, &sleep{call: s})
	case abi.Getpid:
		return abi.Ok(uint64(t.g.tgid))
	case abi.Getppid:
		return abi.Ok(uint64(t.g.ppid()))
	case abi.Gettid:
		return abi.Ok(uint64(t.tid))
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
		return k.sysLoad(t, s.Addr)
	case abi.Store:
		return k.sysStore(t, s.Addr, s.Value)
	case abi.Open:
		return k.sysOpen(t, s)
	case abi.Close:
		return k.sysClose(t, s.Fd)
	case abi.Dup:
		return k.sysDup(t, s.Fd)
	case abi.Fcntl:
		return k.sysFcntl(t, s)
	case abi.Write:
		return k.sysWrite(t, s)
	case abi.Lseek:
		return k.sysLseek(t, s)
	case abi.Umask:
		old := t.fs.umask
		t.fs.umask = s.Mask & 0o777
		return abi.Ok(uint64(old))
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
		return k.sysDup2(t, s.Old, s.New, 0, true)
	case abi.Dup3:
		return k.sysDup2(t, s.Old, s.New, s.Flags, false)
	case abi.Futex:
		return k.sysFutex(t, s)
	case abi.Tgkill:
		return k.sysTgkill(t, i32(int64(s.Tgid)), i32(int64(s.Tid)), int(i32(int64(s.Sig))), true)
	case abi.Tkill:
		return k.sysTgkill(t, 0, i32(int64(s.Tid)), int(i32(int64(s.Sig))), false)
	case abi.Sigpending:
		return abi.Ok(uint64((t.pending | t.g.pending) & t.blocked))
	}
	return abi.Refuse(abi.OutcomeUnsupported)
}

// i32 is a C int syscall argument as Linux sees it: the low 32 bits,
// sign-extended.
func i32(v int64) int64 { return int64(int32(v)) }

// u32 is a C unsigned int argument as Linux sees it: the low 32 bits.
func u32(v int64) uint64 { return uint64(uint32(v)) }

// sysPrctl is prctl(2) with PR_SET/GET_CHILD_SUBREAPER (REAP-1). GET returns
// the attribute as the call's value (the kernel stores it through arg2).
func (k *Kernel) sysPrctl(t *task, p abi.Prctl) abi.Result {
	switch i32(p.Option) { // the option is a C int
	case abi.PR_SET_CHILD_SUBREAPER:
		t.g.subreaper = p.Arg != 0
		return abi.Ok(0)
	case abi.PR_GET_CHILD_SUBREAPER:
		if t.g.subreaper {
			return abi.Ok(1)
		}
		return abi.Ok(0)
	}
	return abi.Refuse(abi.OutcomeUnsupported) // refused before the step (abi.Refusal)
}

// World returns what the refusal rules ask about the world from task tid's
// point of view (abi.Worlds); ok is false when tid is not a running task.
func (k *Kernel) World(tid int) (abi.World, bool) {
	t := k.tasks[tid]
	if t == nil || t.state != stateRunning {
		return nil, false
	}
	return refusalWorld{k, t}, true
}

// refusalWorld answers abi.World for task t (abi.Refusal).
type refusalWorld struct {
	k *Kernel
	t *task
}

func (w refusalWorld) InitGroup() bool  { return w.t.g.tgid == 1 }
func (w refusalWorld) LastThread() bool { return w.t.g.liveThreads() == 1 }

func (w refusalWorld) File(fd int) (abi.FileState, bool) {
	f := w.t.files.get(fd)
	if f == nil {
		return abi.FileState{}, false
	}
	if p := f.pipe; p != nil {
		return abi.FileState{Pipe: true, WriteEnd: f.wr, ReaderBlocked: p.rq != nil, WriterBlocked: p.wq != nil}, true
	}
	return abi.FileState{Offset: f.offset, Size: w.k.inodes[f.path], Sparse: w.k.sparse[f.path]}, true
}

func (w refusalWorld) Mappings() []abi.VMA {
	vs := make([]abi.VMA, len(w.t.mm.vmas))
	for i, v := range w.t.mm.vmas {
		vs[i] = abi.VMA{Start: v.start, End: v.end, Prot: v.prot, Shared: v.shared, DontFork: v.dontfork,
			WipeOnFork: v.wipe, Accounted: v.accounted, ExecOnly: v.execOnly}
	}
	return vs
}

func (w refusalWorld) Segv() (handler, blocked bool) {
	return w.t.sh.act[abi.SIGSEGV].handler == abi.SigHandle, w.t.blocked.Has(abi.SIGSEGV)
}

func (w refusalWorld) TaskGroup(tid int) (int, bool) {
	if t := w.k.tasks[tid]; t != nil {
		return t.g.tgid, true
	}
	return 0, false
}

func (w refusalWorld) WaitSleeps(s abi.Wait4) bool { return abi.WaitSleeps(w.k.View(), w.t.tid, s) }

func (w refusalWorld) GroupWaiting() bool {
	for _, u := range w.t.g.threads {
		if _, ok := u.callOf().(abi.Wait4); ok && u != w.t {
			return true
		}
	}
	return false
}

// callOf is the call t sleeps in, nil when it does not.
func (t *task) callOf() abi.Syscall {
	if t.sl == nil {
		return nil
	}
	return t.sl.call
}

func (w refusalWorld) Target(pid int) (exists, dying bool) {
	target := w.k.tasks[pid]
	if target == nil {
		return false, false
	}
	g := target.g
	return true, g.exited || g.fatal != 0 || g.liveThreads() == 0
}
