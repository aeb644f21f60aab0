package model

import "github.com/forkspec/forkspec/abi"

// task is one thread (Linux's task_struct).
type task struct {
	// tid is the task's id; a non-leader that execs takes its leader's tid.
	tid int
	// group is the thread group (process) the task belongs to.
	group *group
	// state is Running, VforkFrozen, Blocked or Zombie. Invariant: only a
	// group leader is ever a Zombie (other threads are released at once,
	// EXIT-2); Blocked ⇔ wait != nil.
	state abi.TaskState
	// wait is the call a Blocked task sleeps in (block.go).
	wait *waitState
	// ret and retCall are the result and the call of the task's last sleep
	// once it completed in a step another task performed: the View shows
	// them (TaskView.Return) until the task's next step. nil otherwise.
	ret     *abi.Result
	retCall string
	// pending is the thread's own pending set (task->pending: tgkill,
	// tkill, SIGPIPE). Invariant: never holds a signal twice (a set).
	pending abi.SigSet
	// clearChildTid is the address CLONE_CHILD_CLEARTID registered
	// (clear_child_tid), 0 for none: mm_release stores 0 there and wakes a
	// futex (futex.go).
	clearChildTid uint64
	// exiting is Linux's PF_EXITING: set when the task starts to exit, so
	// that reparenting never picks it (find_alive_thread). Invariant: a
	// zombie is exiting; a task still in tasks that is exiting is a zombie
	// once the step ends.
	exiting bool
	// mm, files, sighand and fs are the shared objects the task uses.
	// Invariant: all nil for a zombie (released at exit, EXIT-3), all
	// non-nil otherwise; threads of one group share mm and sighand.
	mm      *mm
	files   *fdTable
	sighand *sighand
	fs      *fsInfo
	// blocked is the task's signal mask (SIG-3). Invariant: never holds
	// SIGKILL or SIGSTOP.
	blocked abi.SigSet
	// vforkParent is the thread frozen in vfork waiting for this task to
	// release its mm (Linux's vfork_done), or nil. Invariant: when set, it
	// is a task in VforkFrozen state, and no other task points to it.
	vforkParent *task
	// selfExecID counts this task's successful execs (self_exec_id).
	selfExecID int
	// sigpending is TIF_SIGPENDING: the kernel has told the task to look at
	// its signals (complete_signal's wake-up, recalc_sigpending,
	// retarget_shared_pending). Only a task told takes pending signals,
	// and a task told does not want the next one (delivery.go).
	// Invariant: between steps only a VforkFrozen task has it (a running
	// one took its signals on its way back to user space); never set on an
	// exiting task.
	sigpending bool
	// handled counts the handler runs this thread performed, per signal
	// (SIG-2, View TaskView.Handled); nil until the first. Invariant: every
	// count > 0, and no more than its process's count.
	handled map[int]int
}

// group is one thread group (Linux's signal_struct plus the group-wide parts
// of the leader).
type group struct {
	// tgid is the process id. Invariant: leader.tid == tgid.
	tgid int
	// leader is the group leader, possibly a zombie.
	leader *task
	// threads are the group's tasks in existence, in tid order (the zombie
	// leader included). Invariant: nonempty; each t has t.group == g.
	threads []*task
	// parent is the thread that is this process's real_parent; nil only for
	// task 1's group. Invariant: a task in existence that is not exiting.
	// Every thread of a process shares it (copy_process: CLONE_THREAD takes
	// the caller's real_parent; forget_original_parent moves all threads).
	parent *task
	// parentExecID is the parent's selfExecID when this process was created
	// (parent_exec_id; do_notify_parent resets a non-SIGCHLD exit signal to
	// SIGCHLD when the parent has exec'd since).
	parentExecID int
	// exitSignal is the termination signal the leader sends its parent
	// (CLONE-6): 0..255 from legacy clone, 0..64 from clone3.
	exitSignal int
	// image is the name of the image the group runs.
	image string
	// subreaper is PR_SET_CHILD_SUBREAPER (REAP-1).
	subreaper bool
	// pending is the shared pending set (SIG-2).
	pending abi.SigSet
	// handled counts handler runs per signal by any of the group's threads,
	// released ones included (SIG-2).
	handled map[int]int
	// currTarget is where complete_signal's search for a thread to wake
	// starts (signal->curr_target): the leader at first, then the last
	// thread the search found; a released thread passes it to the next.
	// Invariant: one of threads.
	currTarget *task
	// groupExit is SIGNAL_GROUP_EXIT: set by exit_group, a fatal signal, or
	// the last thread's plain exit; exitStatus then holds the wait status
	// the process reports (EXIT-1, EXIT-2).
	groupExit  bool
	exitStatus int
	// killSig is the signal that killed the group, 0 if none (EXIT-4).
	killSig int
	// parentSeq orders this process in its parent thread's children list
	// (list_add_tail at creation; forget_original_parent splices an exiting
	// thread's children onto the reaper's tail). wait4 -1 walks children in
	// this order.
	parentSeq uint64
	// fatal is a signal whose generation started the group's exit
	// (complete_signal's fast path: every thread got SIGKILL and is queued
	// to run); the group dies of it when its first thread runs, and the
	// signal stays in the pending set, as on Linux. 0 if none. Invariant:
	// 0 between steps.
	fatal int
	// dead is set once every thread has exited: the leader is a waitable
	// zombie. Invariant: dead ⇔ the only thread is a zombie leader.
	dead bool
}

// dying reports whether the group is exiting or dead, or has a fatal
// signal on its way: prepare_signal (kernel/signal.c) lets such a group
// take no new signal (SIG-2).
func (g *group) dying() bool { return g.groupExit || g.dead || g.fatal != 0 }

// ppid is what getppid returns in the group: the tgid of the parent thread's
// group, 0 for task 1's group.
func (g *group) ppid() int {
	if g.parent == nil {
		return 0
	}
	return g.parent.group.tgid
}

// isInit reports whether g is task 1's group, the namespace init (WORLD-1).
func (g *group) isInit() bool { return g.tgid == 1 }

// alive reports whether t can still run or be woken: not exiting (Linux's
// find_alive_thread condition, !(PF_EXITING)).
func (t *task) alive() bool { return !t.exiting }

// firstAlive returns the first live thread of g in tid order, or nil
// (find_alive_thread).
func (g *group) firstAlive() *task {
	for _, t := range g.threads {
		if t.alive() {
			return t
		}
	}
	return nil
}

// removeThread drops t from g.threads.
func (g *group) removeThread(t *task) {
	for i, x := range g.threads {
		if x == t {
			g.threads = append(g.threads[:i:i], g.threads[i+1:]...)
			return
		}
	}
}

// insertThread adds t to g.threads keeping tid order.
func (g *group) insertThread(t *task) {
	i := 0
	for i < len(g.threads) && g.threads[i].tid < t.tid {
		i++
	}
	g.threads = append(g.threads[:i:i], append([]*task{t}, g.threads[i:]...)...)
}

// sighand returns the group's disposition table (every live thread of a
// group shares it), or nil when no thread is alive.
func (g *group) sighand() *sighand {
	for _, t := range g.threads {
		if t.sighand != nil {
			return t.sighand
		}
	}
	return nil
}
