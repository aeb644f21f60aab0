package impl

import "github.com/forkspec/forkspec/abi"

// taskState is what a task can do (abi.TaskState without the View's names).
type taskState int

const (
	stateRunning taskState = iota
	stateFrozen            // a vfork parent waiting for its child (VFORK-2)
	stateZombie            // exited; a group leader awaiting its reaper
	stateBlocked           // asleep in a call (sleep.go)
)

// task is one thread (Linux's task_struct).
type task struct {
	tid int
	// g is the thread group. Invariant: t is in g.threads.
	g     *group
	state taskState
	// exiting is set when the task starts to exit (PF_EXITING); it is never
	// cleared. Invariant: state == stateZombie implies exiting.
	exiting bool
	// exitSignal is the signal sent to the parent when this process ends:
	// -1 for a non-leader thread (CLONE-6, THR-2).
	exitSignal int
	blocked    abi.SigSet
	image      string
	// mm, files, sh and fs are the task's shared objects; nil once it exited.
	// Invariant: non-nil exactly when !exiting.
	mm    *mm
	files *fdTable
	sh    *sighand
	fs    *fsStruct
	// vforkParent is the frozen task waiting for this task's exec or exit
	// (vfork_done). Invariant: vforkParent.vforkChild == t.
	vforkParent *task
	// vforkChild is the child this frozen task waits for.
	// Invariant: state == stateFrozen exactly when vforkChild != nil.
	vforkChild *task
	// selfExecID counts the task's successful execs, and parentExecID is the
	// parent's selfExecID when this task was created (self_exec_id,
	// parent_exec_id): a parent that exec'd since gets SIGCHLD rather than a
	// custom termination signal (do_notify_parent).
	selfExecID, parentExecID int
	// tif is TIF_SIGPENDING: the task was told to look at its signals and
	// has not yet (signal.go). Invariant: between steps, set only on a
	// frozen task (a running one took its signals on the way back).
	tif bool
	// queued is set while the task is on Kernel.runq.
	queued bool
	// handled counts the handler runs this thread performed (SIG-2).
	// Invariant: handled[sig] <= g.handled[sig].
	handled [abi.NSIG + 1]int
	// sl is the call a blocked task sleeps in. Invariant: non-nil exactly
	// when state == stateBlocked.
	sl *sleep
	// done and doneCall keep what a sleep returned when another task's
	// step ended it, until this task's next step (TaskView.Return).
	done     *abi.Result
	doneCall string
	// pending is the thread's own pending set (tgkill, tkill, SIGPIPE).
	pending abi.SigSet
	// ctid is clear_child_tid (CLONE_CHILD_CLEARTID), 0 for none.
	ctid uint64
}

// live reports whether the task has not started to exit.
func (t *task) live() bool { return !t.exiting }

// group is a thread group, a process (Linux's signal_struct plus the group
// leader's parent link).
type group struct {
	tgid int
	// leader is the task whose tid is tgid. Invariant: leader.tid == tgid.
	leader *task
	// threads are the group's tasks in tid order: live threads, frozen ones
	// and a zombie leader. Exited non-leaders are removed at once.
	threads []*task
	// parent is the real_parent thread of the process; nil for task 1.
	// Invariant: parent is a task in existence, live unless this group is
	// being torn down in the same step.
	parent *task
	// pending is the shared pending set (conventions: process-directed).
	pending abi.SigSet
	// handled counts handler runs per signal (SIG-2).
	handled [abi.NSIG + 1]int
	// subreaper is PR_SET_CHILD_SUBREAPER; not inherited (FORK-5).
	subreaper bool
	// exited is SIGNAL_GROUP_EXIT: the group's exit status is fixed.
	exited bool
	// status is the wait status once exited.
	status int
	// killSig is the signal that killed the group, 0 when it exited.
	killSig int
	// fatal is the signal whose generation started the group's exit
	// (complete_signal's shortcut: every thread was told SIGKILL and is on
	// the run queue); the group dies of it when the first runs.
	// Invariant: 0 between steps.
	fatal int
	// target is where complete_signal's search for a thread starts
	// (signal->curr_target). Invariant: one of threads while any is left.
	target *task
	// parentSeq orders this process in its parent thread's children list
	// (list_add_tail at creation; forget_original_parent splices an exiting
	// thread's children onto the reaper's tail): wait4 -1 walks that order.
	parentSeq uint64
}

// ppid is what getppid returns in the group: its parent thread's tgid.
func (g *group) ppid() int {
	if g.parent == nil {
		return 0
	}
	return g.parent.g.tgid
}

// liveThreads counts the threads that have not started to exit.
func (g *group) liveThreads() int {
	n := 0
	for _, t := range g.threads {
		if t.live() {
			n++
		}
	}
	return n
}

// firstLive is the first live thread in tid order (find_alive_thread), or nil.
func (g *group) firstLive() *task {
	for _, t := range g.threads {
		if t.live() {
			return t
		}
	}
	return nil
}

// removeThread drops t from the group's thread list (__unhash_process);
// complete_signal's search then starts at the thread after it
// (__exit_signal moves curr_target to next_thread).
func (g *group) removeThread(t *task) {
	i := g.threadIndex(t)
	if i < 0 {
		return
	}
	g.threads = append(g.threads[:i], g.threads[i+1:]...)
	if g.target == t {
		g.target = nil
		if len(g.threads) > 0 {
			g.target = g.threads[i%len(g.threads)]
		}
	}
}

// threadIndex is t's position in the thread list, -1 if absent.
func (g *group) threadIndex(t *task) int {
	for i, x := range g.threads {
		if x == t {
			return i
		}
	}
	return -1
}

// sighandOf returns the group's disposition table (all threads share it:
// CLONE_THREAD requires CLONE_SIGHAND), or nil when every thread exited.
func (g *group) sighandOf() *sighand {
	for _, t := range g.threads {
		if t.sh != nil {
			return t.sh
		}
	}
	return nil
}
