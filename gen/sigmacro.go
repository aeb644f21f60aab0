package gen

import "github.com/forkspec/forkspec/abi"

// frozenGroupSignals: a process of two or three threads with handlers and
// mixed masks, one thread frozen in vfork, and signals sent to the group
// meanwhile — aimed at the frozen thread or at another, caught or fatal at
// SIG_DFL — while a sibling changes its mask or forks; then the vfork
// child's exit or exec releases the frozen thread, or a sibling's exec ends
// it (VFORK-5, VFORK-6, SIG-2, SIG-3, THR-4). These are the situations where
// the kernel has told a thread of a signal it cannot take, which a uniform
// draw almost never builds.
func frozenGroupSignals(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	lead := rT
	var steps []scriptStep
	if t.Tgid == 1 {
		// Init stays single-threaded (conventions "The world"): build the
		// group in a child.
		steps = append(steps, create(rT, rP, abi.Fork{}))
		lead = rP
	}
	steps = append(steps, do(lead, fixed(abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle})))
	if chance(src, 2, 3, "usr2-handler?") {
		steps = append(steps, do(lead, fixed(abi.Sigaction{Sig: abi.SIGUSR2, Handler: abi.SigHandle})))
	}
	if chance(src, 1, 2, "chld-handler?") {
		steps = append(steps, do(lead, fixed(abi.Sigaction{Sig: abi.SIGCHLD, Handler: abi.SigHandle})))
	}
	steps = append(steps, create(lead, rD, abi.Clone{Flags: threadFlags}))
	third := chance(src, 1, 3, "third-thread?")
	if third {
		steps = append(steps, create(lead, rG, abi.Clone{Flags: threadFlags}))
	}
	// Mixed masks: a sibling, or the thread that will freeze, blocks some
	// of the signals sent below.
	masked := []abi.SigSet{
		abi.SigBit(abi.SIGUSR1), abi.SigBit(abi.SIGTERM), abi.SigBit(abi.SIGUSR1) | abi.SigBit(abi.SIGTERM),
		abi.SigBit(abi.SIGUSR2) | abi.SigBit(abi.SIGCHLD),
	}
	frozen, sib := lead, rD
	if chance(src, 1, 3, "thread-freezes?") {
		frozen, sib = rD, lead
	}
	// A fatal signal that no thread wants: the frozen thread, told of a
	// caught signal first, wants no other, and the siblings block SIGTERM;
	// at release it takes both (the handler's frame, then death).
	fatalWaits := chance(src, 1, 2, "fatal-waits?")
	if fatalWaits {
		block := abi.Sigprocmask{How: abi.SIG_BLOCK, Set: abi.SigBit(abi.SIGTERM)}
		steps = append(steps, do(sib, fixed(block)))
		if third {
			steps = append(steps, do(rG, fixed(block)))
		}
	}
	for _, r := range []int{frozen, sib} {
		if !fatalWaits && chance(src, 1, 3, "mask?") {
			steps = append(steps, do(r, fixed(abi.Sigprocmask{How: abi.SIG_BLOCK, Set: masked[intn(src, len(masked), "masked")]})))
		}
	}
	steps = append(steps, create(frozen, rC, abi.Vfork{}))
	if fatalWaits {
		// Or SIGSEGV, which no thread turns into a group exit: the thread
		// that takes it dies of it before the lower SIGUSR1 (SIG-2i).
		second := []int{abi.SIGTERM, abi.SIGSEGV}[weighted(src, "second-signal", 2, 1)]
		steps = append(steps, do(rC, killRole(frozen, abi.SIGUSR1)), do(rC, killRole(frozen, second)))
	}
	targets := []int{frozen, sib}
	if third {
		targets = append(targets, rG)
	}
	for n := 2 + intn(src, 3, "signals"); n > 0 && !fatalWaits; n-- {
		target := targets[weighted(src, "signal-target", 4, 2, 1)%len(targets)]
		sig := []int{abi.SIGUSR1, abi.SIGUSR2, abi.SIGCHLD, abi.SIGTERM, abi.SIGQUIT, abi.SIGSEGV}[weighted(src, "signal", 5, 3, 2, 2, 1, 1)]
		from := rC
		if chance(src, 1, 4, "sibling-sends?") {
			from = sib
		}
		steps = append(steps, do(from, killRole(target, sig)))
		switch weighted(src, "sibling-then", 4, 2, 1, 1) {
		case 1:
			steps = append(steps, do(sib, fixed(abi.Sigprocmask{How: abi.SIG_UNBLOCK, Set: masked[intn(src, len(masked), "unmasked")]})))
		case 2:
			steps = append(steps, do(sib, fixed(abi.Sigprocmask{How: abi.SIG_BLOCK, Set: 0}))) // no change: no recalc
		case 3:
			steps = append(steps, do(sib, fixed(abi.Sigprocmask{How: abi.SIG_BLOCK, Set: abi.SigBit(abi.SIGWINCH)})))
		}
	}
	switch weighted(src, "release", 4, 2, 1, 1) {
	case 0:
		steps = append(steps, do(rC, fixed(abi.ExitGroup{Code: 1})))
	case 1:
		steps = append(steps, do(rC, fixed(abi.Execve{Image: "true"})))
	case 2:
		steps = append(steps, do(sib, fixed(abi.Execve{Image: "true"}))) // THR-4b: the exec hands the waiting signals on
	default:
		steps = append(steps, do(sib, fixed(abi.Fork{}))) // copy_process takes them first
	}
	return append(steps, do(lead, waitAny(abi.WNOHANG|wALL)), do(rT, waitAny(abi.WNOHANG|wALL)))
}

// killRole sends sig to the task in role r.
func killRole(r, sig int) func(*Generator, Source, world) abi.Syscall {
	return func(g *Generator, _ Source, _ world) abi.Syscall {
		pid := g.roles[r]
		if pid == 0 {
			pid = g.roles[rT] // the role's task was never created: its group's first
		}
		return abi.Kill{Pid: pid, Sig: sig}
	}
}

// signalRound: three threads, the leader blocking SIGUSR1; kills naming the
// leader go round the others from where the last search ended
// (curr_target), also when an earlier thread could take the signal again,
// and a released thread passes the search start on (SIG-2f, SIG-2g).
func signalRound(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	lead := rT
	var steps []scriptStep
	if t.Tgid == 1 {
		steps = append(steps, create(rT, rP, abi.Fork{}))
		lead = rP
	}
	usr1 := abi.SigBit(abi.SIGUSR1)
	// The sender: rT (init, from outside the group, or the leader itself,
	// which blocks the signal) or the second thread.
	kill := do(rT, killRole(lead, abi.SIGUSR1))
	if chance(src, 1, 3, "sibling-sends?") {
		kill = do(rD, killRole(lead, abi.SIGUSR1))
	}
	steps = append(steps,
		do(lead, fixed(abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle})),
		do(lead, fixed(abi.Sigprocmask{How: abi.SIG_BLOCK, Set: usr1})),
		create(lead, rD, abi.Clone{Flags: threadFlags}),
		create(lead, rG, abi.Clone{Flags: threadFlags}),
		do(rD, fixed(abi.Sigprocmask{How: abi.SIG_UNBLOCK, Set: usr1})),
		do(rG, fixed(abi.Sigprocmask{How: abi.SIG_UNBLOCK, Set: usr1})),
		kill,
		do(rD, fixed(abi.Sigprocmask{How: abi.SIG_BLOCK, Set: usr1})),
		kill,
		do(rD, fixed(abi.Sigprocmask{How: abi.SIG_UNBLOCK, Set: usr1})),
		kill)
	if chance(src, 1, 2, "exit-found?") {
		steps = append(steps, do(rG, fixed(abi.Exit{})), kill)
	}
	return append(steps, do(rT, waitAny(abi.WNOHANG|wALL)))
}

// initChain: init catches SIGCHLD; one exit ends a chain of its
// descendants — a grandchild's death kills its parent through a fatal
// termination signal — so init gets several SIGCHLDs in one step, and
// takes them once, after the chain (init's group runs SCHED_OTHER, below
// the others; SIG-4b).
func initChain(g *Generator, src Source, w world, t abi.TaskView) []scriptStep {
	if t1, ok := w.task(1); !ok || t1.State != abi.Running {
		return nil
	}
	g.roles[rT] = 1
	steps := []scriptStep{
		do(rT, fixed(abi.Sigaction{Sig: abi.SIGCHLD, Handler: abi.SigHandle})),
		create(rT, rC, abi.Fork{}),
		create(rC, rG, abi.Clone{Flags: uint64(abi.SIGUSR1)}),
		create(rG, rD, abi.Fork{}),
		do(rD, fixed(abi.ExitGroup{})),
		do(rG, fixed(abi.ExitGroup{Code: 1})),
	}
	for i := 0; i < 3; i++ {
		steps = append(steps, do(rT, waitAny(abi.WNOHANG|wALL)))
	}
	return append(steps, do(rT, fixed(abi.Sigaction{Sig: abi.SIGCHLD, Handler: abi.SigDefault})))
}
