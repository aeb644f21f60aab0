package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

const threadFlags = "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD"

func TestEXIT1_ExitGroup(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone ` + threadFlags + ` -> 3
		3 exit_group 0x1ff -> exited
		2 getpid -> zombie
		3 getpid -> no-task
	`)
	w.state(2, abi.Zombie)
	eq(t, "status", w.mustTask(2).WaitStatus, abi.WaitExited(0xff))
	w.run(`1 wait4 2 0 -> 2 status=exit(255)`)
}

func TestEXIT2_ThreadExit(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone ` + threadFlags + ` -> 3
		2 clone ` + threadFlags + ` -> 4
		# a non-leader is released at once and never waitable
		4 exit 9 -> exited
		4 getpid -> no-task
		# the leader exits first: an unreported zombie
		2 exit 5 -> exited
		2 getpid -> zombie
		1 wait4 2 WNOHANG -> 0
	`)
	w.state(2, abi.Zombie)
	eq(t, "no status yet", w.mustTask(2).WaitStatus, 0)
	// The last thread's code is the status, not the leader's.
	w.run(`
		3 getppid -> 1
		3 exit 7 -> exited
		1 wait4 2 WNOHANG -> 2 status=exit(7)
	`)
	// An exit_group earlier sets the status for good.
	w.run(`
		1 fork -> 5
		5 clone ` + threadFlags + ` -> 6
		5 exit 1 -> exited
		6 exit_group 3 -> exited
		1 wait4 5 0 -> 5 status=exit(3)
	`)
}

func TestEXIT3_ExitReleasesAndNotifies(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGCHLD handler 0 -> 0
		2 store 0x100000200000 6 -> 0
		2 fork -> 3
		2 vfork -> 4 frozen
		3 open a 0 -> 0
		3 exit 2 -> exited
	`)
	// The parent is frozen: SIGCHLD waits until the vfork child lets go.
	eq(t, "parent notified", w.proc(2).Pending, abi.SigBit(abi.SIGCHLD))
	tv := w.mustTask(3)
	eq(t, "zombie", tv.State, abi.Zombie)
	eq(t, "status", tv.WaitStatus, abi.WaitExited(2))
	if tv.Mm != 0 || tv.FdTable != 0 {
		t.Fatal("zombie still holds its mm or fds")
	}
	// Its frame went back: the parent's page is exclusive again (COW-3).
	f := w.token(2, data0)
	w.run(`4 exit 0 -> exited`)
	w.state(2, abi.Running)
	// The pending SIGCHLD and the vfork child's own exit signal merge; the
	// handler runs once, at release.
	eq(t, "handler ran at release", w.handled(2, abi.SIGCHLD), 1)
	w.run(`2 store 0x100000200000 7 -> 0`)
	eq(t, "frame reused", w.token(2, data0), f)
}

func TestEXIT4_FatalSignalKillsGroup(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone ` + threadFlags + ` -> 3
		3 load 0x10 -> killed(SIGSEGV)
		2 getpid -> zombie
		1 wait4 2 0 -> 2 status=signal(SIGSEGV)
		1 fork -> 4
		4 clone ` + threadFlags + ` -> 5
		1 kill 5 SIGTERM -> 0
		5 getpid -> no-task
		1 wait4 4 0 -> 4 status=signal(SIGTERM)
		1 fork -> 6
		6 kill 6 SIGKILL -> killed(SIGKILL)
		1 wait4 -1 0 -> 6 status=signal(SIGKILL)
	`)
	// A blocked or ignored SIGSEGV does not save a bad access.
	w.run(`
		1 fork -> 7
		7 sigprocmask SIG_BLOCK SIGSEGV -> 0
		7 store 0x100000000000 1 -> killed(SIGSEGV)
		1 fork -> 8
		8 sigaction SIGSEGV SIG_IGN 0 -> 0
		8 load 0x0 -> killed(SIGSEGV)
		1 fork -> 9
		9 sigaction SIGSEGV handler 0 -> 0
		9 load 0x0 -> unsupported
	`)
}

func TestWAIT1_PidOrAny(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		1 fork -> 3
		3 exit 3 -> exited
		2 exit 2 -> exited
		1 wait4 3 0 -> 3 status=exit(3)
		1 wait4 3 0 -> ECHILD
		1 wait4 -1 0 -> 2 status=exit(2)
		1 wait4 -1 WNOHANG -> ECHILD
	`)
}

func TestWAIT2_Wnohang(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		1 wait4 -1 WNOHANG -> 0
		1 wait4 2 WNOHANG -> 0
		1 wait4 7 WNOHANG -> ECHILD
		2 fork -> 3
		# a grandchild is not a child
		1 wait4 3 WNOHANG -> ECHILD
		2 wait4 1 WNOHANG -> ECHILD
	`)
}

func TestWAIT3_OptionsSelectChildren(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone SIGUSR1 -> 3
		2 fork -> 4
		2 sigaction SIGUSR1 SIG_IGN 0 -> 0
		3 exit 0 -> exited
		4 exit 0 -> exited
		2 wait4 3 WNOHANG -> ECHILD
		2 wait4 -1 WNOHANG|__WCLONE -> 3
		2 wait4 -1 WNOHANG|__WCLONE -> ECHILD
		2 wait4 -1 WNOHANG -> 4
		2 wait4 -1 WNOHANG|WEXITED -> EINVAL
		2 wait4 -1 0x100 -> EINVAL
		2 wait4 -1 WNOHANG|WUNTRACED|WCONTINUED -> ECHILD
	`)
}

func TestWAIT4_AnyThreadWaits(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone ` + threadFlags + ` -> 3
		3 fork -> 4
		2 fork -> 5
		4 exit 0 -> exited
		5 exit 0 -> exited
		# __WNOTHREAD: only the caller's own children
		2 wait4 4 WNOHANG|__WNOTHREAD -> ECHILD
		2 wait4 4 WNOHANG -> 4
		3 wait4 5 WNOHANG|__WNOTHREAD -> ECHILD
		3 wait4 5 WNOHANG -> 5
		# threads are never waitable
		1 wait4 3 WNOHANG|__WALL -> ECHILD
	`)
}

func TestWAIT5_IgnoredSigchldAutoReaps(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGCHLD SIG_IGN 0 -> 0
		2 fork -> 3
		3 exit 0 -> exited
		3 getpid -> no-task
		2 wait4 -1 WNOHANG -> ECHILD
		# SA_NOCLDWAIT with a handler: reaped, and the handler runs
		2 sigaction SIGCHLD handler SA_NOCLDWAIT -> 0
		2 fork -> 4
		4 exit 0 -> exited
		4 getpid -> no-task
		# a clone child (not SIGCHLD) stays a zombie
		2 clone SIGUSR2 -> 5
		2 sigaction SIGUSR2 handler 0 -> 0
		5 exit 0 -> exited
		5 getpid -> zombie
		# the default disposition leaves zombies
		2 sigaction SIGCHLD SIG_DFL 0 -> 0
		2 fork -> 6
		6 exit 0 -> exited
		6 getpid -> zombie
	`)
	eq(t, "SIGCHLD handled once (SA_NOCLDWAIT)", w.handled(2, abi.SIGCHLD), 1)
}

func TestREAP1_Reparenting(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 prctl PR_SET_CHILD_SUBREAPER 1 -> 0
		2 fork -> 3
		3 clone ` + threadFlags + ` -> 4
		3 fork -> 5
		# the creating thread exits: the child goes to another thread
		3 exit 0 -> exited
		5 getppid -> 3
		# the whole group is gone: to the subreaper
		4 exit 0 -> exited
		5 getppid -> 2
		5 fork -> 6
		5 exit_group 0 -> exited
		6 getppid -> 2
		# no subreaper: to init
		2 prctl PR_SET_CHILD_SUBREAPER 0 -> 0
		6 fork -> 7
		6 exit_group 0 -> exited
		7 getppid -> 1
	`)
	// The subreaper's children can be waited by it.
	w.run(`2 wait4 3 WNOHANG -> 3`)
}

func TestREAP2_ReparentedChild(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigaction SIGUSR1 handler 0 -> 0
		2 clone SIGUSR1 -> 3
		3 exit 4 -> exited
		2 fork -> 4
		4 exit 0 -> exited
		# the parent dies without waiting: the zombies go to init at once
		2 exit_group 0 -> exited
		1 wait4 3 WNOHANG -> 3 status=exit(4)
		1 wait4 4 WNOHANG -> 4
		1 wait4 2 WNOHANG -> 2
	`)
	// A live orphan's exit signal becomes SIGCHLD.
	w.run(`
		1 fork -> 5
		5 clone SIGUSR2 -> 6
		5 exit_group 0 -> exited
	`)
	eq(t, "exit signal", w.mustTask(6).ExitSignal, abi.SIGCHLD)
	// A zombie orphan moved to a parent that ignores SIGCHLD is reaped.
	w.run(`
		1 sigaction SIGCHLD SIG_IGN 0 -> 0
		1 fork -> 7
		7 fork -> 8
		8 exit 0 -> exited
		7 exit_group 0 -> exited
		8 getpid -> no-task
		7 getpid -> no-task
	`)
}

// TestWAIT1_AnyChildInListOrder: wait4 -1 takes the first waitable child in
// the parent's children list, where reparented children come after the
// parent's own (do_wait_thread; forget_original_parent splices at the
// tail), not the lowest pid.
func TestWAIT1_AnyChildInListOrder(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 fork -> 3
		1 fork -> 4
		3 exit 3 -> exited
		4 exit 4 -> exited
		2 exit_group 2 -> exited
		1 wait4 -1 WNOHANG -> 2 status=exit(2)
		1 wait4 -1 WNOHANG -> 4 status=exit(4)
		1 wait4 -1 WNOHANG -> 3 status=exit(3)
	`)
}

// TestREAP1_GroupExitPassesChildrenAlong: in a dying group the thread that
// starts the exit goes first and its children pass to a sibling not yet
// exited; the last thread hands them all to the reaper, its own first
// (forget_original_parent; Linux oracle, 6.18).
func TestREAP1_GroupExitPassesChildrenAlong(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 clone ` + threadFlags + ` -> 3
		3 fork -> 4
		2 fork -> 5
		4 exit 4 -> exited
		5 exit 5 -> exited
		2 store 0x100000000000 1 -> killed(SIGSEGV)
		1 wait4 -1 WNOHANG -> 2 status=signal(SIGSEGV)
		1 wait4 -1 WNOHANG -> 4 status=exit(4)
		1 wait4 -1 WNOHANG -> 5 status=exit(5)
	`)
}
