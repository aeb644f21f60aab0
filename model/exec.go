package model

import "github.com/forkspec/forkspec/abi"

// sysExecve is execve(2) of an image from the fixed table.
//
// EXEC-2: an unknown image is ENOENT with nothing changed (and a vfork
// parent stays frozen, VFORK-2). On success, in begin_new_exec's order:
// de_thread kills every other thread (EXEC-5) and a non-leader takes over
// the group's pid; the fd table is unshared and close-on-exec fds closed
// (EXEC-4); the disposition table is unshared and caught signals reset
// (EXEC-3); the mm is replaced by the image's fresh one, releasing a vfork
// parent (EXEC-1, EXEC-6); the exit signal becomes SIGCHLD (de_thread's
// no_thread_group label, EXEC-6). Mask, pending set, umask, parent and the
// subreaper mark are kept.
func (k *Kernel) sysExecve(t *task, s abi.Execve) abi.Result {
	img, ok := abi.Images[s.Image]
	if !ok {
		return abi.Fail(abi.ENOENT)
	}
	g := t.group
	k.deThread(t)

	// EXEC-4: unshare_files (do_close_on_exec comes after exec_mmap).
	t.files = k.copyFdTable(t.files)
	// EXEC-1: exec_mmap; the old mm stays with any CLONE_VM partner.
	// exec_mm_release → mm_release: clear_child_tid, then complete_vfork_done.
	k.mmRelease(t, t.mm)
	t.mm = k.imageMm(img)
	t.files.closeOnExec()
	k.wakePipes()
	// EXEC-3: unshare_sighand, then flush_signal_handlers(me, 0).
	t.sighand = k.copySighand(t.sighand)
	t.sighand.flushHandlers()
	g.image = img.Name
	g.exitSignal = abi.SIGCHLD
	t.selfExecID++
	return abi.Result{Outcome: abi.OutcomeExeced}
}

// deThread kills every other thread of t's group, silently (no
// notification), and makes t the leader with the group's pid (EXEC-5,
// de_thread). Children of the killed threads end up with t
// (forget_original_parent finds t alive).
func (k *Kernel) deThread(t *task) {
	k.touchGroup(t.group)
	g := t.group
	others := make([]*task, 0, len(g.threads))
	for _, o := range g.threads {
		if o != t {
			others = append(others, o)
		}
	}
	// zap_other_threads: each gets SIGKILL (and so TIF_SIGPENDING, even a
	// frozen one) and exits in turn (tid order); its children pass to a
	// sibling not yet exited and finally to t. An exec is no group exit:
	// each, exiting, hands the pending signals it does not block to a
	// thread still alive (exit_signals), in the end to t, which then takes
	// them on its way back to user space — in the new image, with caught
	// signals reset to their defaults.
	for _, o := range others {
		if !o.exiting {
			o.sigpending = true
		}
	}
	for _, o := range others {
		if !o.exiting {
			k.finishExit(o)
		}
	}
	if old := g.leader; old != t {
		// exchange_tids: t takes the leader's tid; the old leader is
		// released without notifying anyone.
		delete(k.tasks, old.tid)
		g.removeThread(old)
		delete(k.tasks, t.tid)
		t.tid = g.tgid
		k.tasks[t.tid] = t
		g.leader = t
	}
	g.threads = []*task{t}
	g.currTarget = t
}
