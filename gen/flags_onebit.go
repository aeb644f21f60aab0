package gen

import "github.com/forkspec/forkspec/abi"

// Clone flag words that are invalid in one bit: each is a valid word with
// one bit set or cleared, taken from the EINVAL checks of kernel_clone,
// copy_process and clone3_args_valid (Linux 6.18, kernel/fork.c), so that a
// backend whose check forgets one condition creates a task where Linux
// creates none (CLONE-7). The random-bits path reaches these only by luck;
// abi.CloneInvalid and abi.Clone3Invalid are the rules they exercise.
// CLONE_PARENT from init (SIGNAL_UNKILLABLE) depends on the caller, so the
// cloneParentByInit macro draws it.
var oneBitCloneTable = []choice[uint64]{
	{3, threadFlags &^ abi.CLONE_SIGHAND},                                 // CLONE_THREAD without CLONE_SIGHAND
	{3, threadFlags &^ abi.CLONE_VM},                                      // CLONE_SIGHAND without CLONE_VM
	{2, abi.CLONE_VM | abi.CLONE_THREAD},                                  // the minimal thread, CLONE_SIGHAND cleared
	{1, abi.CLONE_SIGHAND | abi.CLONE_THREAD},                             // the minimal thread, CLONE_VM cleared
	{1, abi.CLONE_VFORK | abi.CLONE_SIGHAND | abi.SIGCHLD},                // vfork-like with CLONE_SIGHAND, CLONE_VM cleared
	{1, abi.CLONE_PARENT | abi.CLONE_VM | abi.CLONE_THREAD},               // a sibling thread without CLONE_SIGHAND
	{2, abi.CLONE_FS | abi.CLONE_NEWNS | abi.SIGCHLD},                     // a new mount namespace sharing fs_struct
	{1, abi.CLONE_FS | abi.CLONE_NEWUSER | abi.SIGCHLD},                   // a new user namespace sharing fs_struct
	{2, threadFlags | abi.CLONE_NEWPID},                                   // a thread in a new pid namespace
	{1, threadFlags&^abi.CLONE_FS | abi.CLONE_NEWUSER},                    // a thread in a new user namespace
	{1, abi.CLONE_PIDFD | abi.CLONE_DETACHED | abi.CLONE_FILES},           // CLONE_DETACHED with CLONE_PIDFD
	{1, threadFlags | abi.CLONE_PIDFD | abi.CLONE_PARENT_SETTID},          // CLONE_PARENT_SETTID with CLONE_PIDFD (kernel_clone)
	{1, abi.CLONE_SIGHAND | abi.CLONE_FILES | abi.CLONE_FS | abi.SIGCHLD}, // shared handlers, CLONE_VM cleared
}

// oneBitClone3Table is oneBitCloneTable for clone3, with the checks only
// clone3 makes: CLONE_CLEAR_SIGHAND with CLONE_SIGHAND, an exit signal with
// CLONE_THREAD or CLONE_PARENT, the bits clone3 reserves.
var oneBitClone3Table = []choice[clone3Case]{
	{3, clone3Case{threadFlags &^ abi.CLONE_SIGHAND, 0}},
	{3, clone3Case{threadFlags &^ abi.CLONE_VM, 0}},
	{2, clone3Case{threadFlags | abi.CLONE_CLEAR_SIGHAND, 0}},
	{2, clone3Case{threadFlags, abi.SIGUSR1}},
	{1, clone3Case{abi.CLONE_PARENT | abi.CLONE_FILES, abi.SIGCHLD}},
	{1, clone3Case{abi.CLONE_FS | abi.CLONE_NEWNS, abi.SIGCHLD}},
	{1, clone3Case{threadFlags | abi.CLONE_NEWPID, 0}},
	{1, clone3Case{abi.CLONE_DETACHED, abi.SIGCHLD}},
	{1, clone3Case{abi.CLONE_FILES, abi.NSIG + 1}},
}

// oneBitChance is how often (per hundred) a clone or clone3 draws from the
// one-bit tables instead of the ordinary ones.
const oneBitChance = 8

// cloneParentByInit: init asks for a sibling (CLONE_PARENT), which init may
// not have (copy_process: SIGNAL_UNKILLABLE, EINVAL; CLONE-7), then a
// valid word one bit away from it, which forks.
func cloneParentByInit(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	if t1, ok := w.task(1); !ok || t1.State != abi.Running {
		return nil
	}
	g.roles[rT] = 1
	bad := []uint64{abi.CLONE_PARENT | abi.SIGCHLD, abi.CLONE_PARENT | abi.CLONE_FILES | abi.SIGCHLD, abi.CLONE_PARENT | abi.CLONE_VFORK | abi.CLONE_VM | abi.SIGCHLD}[weighted(src, "init-parent", 3, 1, 1)]
	steps := []scriptStep{do(rT, fixed(abi.Clone{Flags: bad}))}
	if chance(src, 1, 2, "init-parent-clone3?") {
		steps = append(steps, do(rT, fixed(abi.Clone3{Flags: abi.CLONE_PARENT})))
	}
	return append(steps, create(rT, rC, abi.Clone{Flags: bad &^ abi.CLONE_PARENT}), do(rC, fixed(abi.ExitGroup{})),
		do(rT, waitAny(abi.WNOHANG|wALL)))
}
