package linux

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/forkspec/forkspec/abi"
)

// Step performs one syscall by task tid on the real kernel and returns its
// Result, after the world has settled: every signal the step generated has
// been delivered or is pending, every dying task is dead (see settle).
//
// Refusals follow docs/conventions.md: no-task, zombie and task-frozen are
// read from /proc; unsupported requests are refused before reaching Linux
// (preflight). A failure of the driver itself makes this and every later
// step OutcomeUnsupported and is reported by Err.
func (k *Kernel) Step(tid int, sc abi.Syscall) abi.Result {
	if k.err != nil {
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	r, err := k.step(tid, sc)
	if err != nil {
		k.fail(fmt.Errorf("step %d %v: %w", tid, sc, err))
		return abi.Refuse(abi.OutcomeUnsupported)
	}
	return r
}

func (k *Kernel) step(tid int, sc abi.Syscall) (abi.Result, error) {
	t, ok, err := k.findTask(tid)
	if err != nil {
		return abi.Result{}, err
	}
	switch {
	case !ok:
		return abi.Refuse(abi.OutcomeNoTask), nil
	case t.State == 'Z' || t.State == 'X':
		return abi.Refuse(abi.OutcomeTaskZombie), nil
	case t.State == 'D':
		return abi.Refuse(abi.OutcomeTaskFrozen), nil
	}
	if _, asleep := k.sleeping[tid]; asleep {
		return abi.Refuse(abi.OutcomeTaskBlocked), nil
	}
	k.plan = plan{}
	if r, refused, err := k.preflight(t, sc); err != nil || refused {
		return r, err // not performed: its last sleep's result stays
	}
	delete(k.done, tid) // its last sleep's result is behind it now
	if k.plan.splitting {
		r, err := k.runSplit(tid, sc)
		if err != nil {
			return r, err
		}
		return r, k.settle()
	}
	hole := k.plan.holeAt
	switch s := sc.(type) {
	case abi.Mprotect:
		switch {
		case hole == s.Addr && s.Addr+pageUp(s.Len) > s.Addr:
			// The range starts in the agent, a hole for the trace: Linux
			// checks prot (arch_validate_prot) before it finds the hole,
			// so ask it of a page that is a hole in every world — the
			// null page, below vm.mmap_min_addr — not of a zero length,
			// which succeeds before prot is looked at.
			s.Addr, s.Len = 0, abi.PageSize
			sc = s
		case hole != 0:
			s.Len = hole - s.Addr
			sc = s
		}
	case abi.Load:
		if k.plan.redirect != 0 {
			s.Addr = k.plan.redirect
			sc = s
		}
	case abi.Store:
		if k.plan.redirect != 0 {
			s.Addr = k.plan.redirect
			sc = s
		}
	case abi.Write:
		if k.plan.faultCount {
			s.N = -1 // agentmem.go: the same EFAULT, no scratch buffer
			sc = s
		}
	case abi.Read:
		if k.plan.faultCount {
			s.N = -1
			sc = s
		}
	}
	c, err := k.encode(sc)
	if err != nil {
		return abi.Result{}, err
	}
	words, err := k.tidWordsBefore()
	if err != nil {
		return abi.Result{}, err
	}
	fp, err := k.futexBefore(t, sc)
	if err != nil {
		return abi.Result{}, err
	}
	k.seq++
	c.Seq = k.seq
	if err := k.send(tid, c); err != nil {
		return abi.Result{}, err
	}
	r, err := k.await(t, sc, c.Seq)
	if err != nil {
		return r, err
	}
	if _, ok := sc.(abi.Execve); ok && t.Tid != t.Tgid && (r.Outcome == abi.OutcomeExeced || r.Outcome == abi.OutcomeKilled) {
		// EXEC-5: the exec'ing thread took the leader's tid; its handler
		// runs go with it, the old leader's go away.
		k.threadHandled[t.Tgid] = k.threadHandled[t.Tid]
		delete(k.threadHandled, t.Tid)
		// The old leader died in de_thread: a sleep it was in, or a
		// result it had not collected, is not the exec'ing thread's.
		delete(k.sleeping, t.Tgid)
		delete(k.done, t.Tgid)
	}
	if err := k.learnValues(t, sc, r); err != nil {
		return r, err
	}
	if err := k.learnClearedTids(words, t, sc, r); err != nil {
		return r, err
	}
	k.noteClearTid(sc, r)
	if err := k.learnFutexCopy(t, fp); err != nil {
		return r, err
	}
	if hole != 0 && r.Outcome == abi.OutcomeOK && r.Err == 0 {
		r = abi.Fail(abi.ENOMEM) // the reservation stands for a hole
	}
	return r, k.settle()
}

// encode turns a syscall into an agent command.
func (k *Kernel) encode(sc abi.Syscall) (command, error) {
	var c command
	a := &c.Args
	switch s := sc.(type) {
	case abi.Fork:
		c.Op = opFork
	case abi.Vfork:
		c.Op = opVfork
	case abi.Clone:
		c.Op, a[0], a[2], a[3] = opClone, s.Flags, s.Ptid, s.Ctid
	case abi.Clone3:
		c.Op, a[0], a[1], a[2], a[3] = opClone3, s.Flags, s.ExitSignal, s.Ptid, s.Ctid
	case abi.Execve:
		c.Op = opExecve
		c.Payload = []byte(k.imagePath(s.Image) + "\x00" + s.Image + "\x00" + layout(s.Image) + "\x00")
		if len(c.Payload) > 1900 {
			c.Payload = []byte(k.imagePath("") + "\x00x\x00\x00")
		}
	case abi.Exit:
		c.Op, a[0] = opExit, uint64(s.Code)
	case abi.ExitGroup:
		c.Op, a[0] = opExitGroup, uint64(s.Code)
	case abi.Wait4:
		c.Op, a[0], a[1] = opWait4, uint64(s.Pid), uint64(s.Options)
	case abi.Getpid:
		c.Op = opGetpid
	case abi.Getppid:
		c.Op = opGetppid
	case abi.Gettid:
		c.Op = opGettid
	case abi.Prctl:
		c.Op, a[0], a[1] = opPrctl, uint64(s.Option), s.Arg
	case abi.Mmap:
		c.Op, a[0], a[1], a[2], a[3] = opMmap, s.Addr, s.Len, uint64(s.Prot), uint64(s.Flags)
	case abi.Munmap:
		c.Op, a[0], a[1] = opMunmap, s.Addr, s.Len
	case abi.Mprotect:
		c.Op, a[0], a[1], a[2] = opMprotect, s.Addr, s.Len, uint64(s.Prot)
	case abi.Madvise:
		c.Op, a[0], a[1], a[2] = opMadvise, s.Addr, s.Len, uint64(s.Advice)
	case abi.Load:
		c.Op, a[0] = opLoad, s.Addr
	case abi.Store:
		c.Op, a[0], a[1] = opStore, s.Addr, s.Value
	case abi.Open:
		c.Op, a[0] = opOpen, uint64(s.Flags)
		c.Payload = []byte(k.filePath(s.Path) + "\x00")
	case abi.Close:
		c.Op, a[0] = opClose, uint64(s.Fd)
	case abi.Dup:
		c.Op, a[0] = opDup, uint64(s.Fd)
	case abi.Fcntl:
		c.Op, a[0], a[1], a[2] = opFcntl, uint64(s.Fd), uint64(s.Cmd), uint64(s.Arg)
	case abi.Write:
		c.Op, a[0], a[1] = opWrite, uint64(s.Fd), uint64(s.N)
	case abi.Lseek:
		c.Op, a[0], a[1], a[2] = opLseek, uint64(s.Fd), uint64(s.Offset), uint64(s.Whence)
	case abi.Umask:
		c.Op, a[0] = opUmask, uint64(s.Mask)
	case abi.Sigaction:
		c.Op, a[0], a[1], a[2], a[3] = opSigaction, uint64(s.Sig), uint64(s.Handler), s.Flags, b2u(s.Old)
	case abi.Sigprocmask:
		c.Op, a[0], a[1], a[2] = opSigprocmask, uint64(s.How), uint64(s.Set), b2u(s.Old)
	case abi.Kill:
		c.Op, a[0], a[1] = opKill, uint64(s.Pid), uint64(s.Sig)
	case abi.Pipe2:
		c.Op, a[0] = opPipe2, uint64(s.Flags)
	case abi.Read:
		c.Op, a[0], a[1] = opReadFd, uint64(s.Fd), uint64(s.N)
	case abi.Dup2:
		c.Op, a[0], a[1] = opDup2, uint64(s.Old), uint64(s.New)
	case abi.Dup3:
		c.Op, a[0], a[1], a[2] = opDup3, uint64(s.Old), uint64(s.New), uint64(s.Flags)
	case abi.Futex:
		c.Op, a[0], a[1], a[2] = opFutex, s.Addr, uint64(s.Op), s.Val
	case abi.Tgkill:
		c.Op, a[0], a[1], a[2] = opTgkill, uint64(s.Tgid), uint64(s.Tid), uint64(s.Sig)
	case abi.Tkill:
		c.Op, a[0], a[1] = opTkill, uint64(s.Tid), uint64(s.Sig)
	case abi.Sigpending:
		c.Op = opSigpending
	default:
		return c, fmt.Errorf("unknown syscall %T", sc)
	}
	return c, nil
}

// imagePath is the file execve runs for an image name: the image's symlink
// to the agent when the name is a plain word, else a path that cannot exist
// (so that Linux itself answers ENOENT, EXEC-2, WORLD-2).
func (k *Kernel) imagePath(name string) string {
	if !plainName(name) {
		return filepath.Join(k.dir, "img", ".missing", "x")
	}
	return filepath.Join(k.dir, "img", name)
}

// filePath is the file open(2) opens for a trace path (abi.Files), with the
// same rule for names that are not plain words.
func (k *Kernel) filePath(name string) string {
	if !plainName(name) {
		return filepath.Join(k.dir, "files", ".missing", "x")
	}
	return filepath.Join(k.dir, "files", name)
}

func plainName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 200 {
		return false
	}
	for _, r := range s {
		if r == '/' || r == 0 {
			return false
		}
	}
	return true
}

// createsChild reports whether a successful sc creates a task whose hello
// the driver must see before the step is complete.
func createsChild(sc abi.Syscall) bool {
	switch sc.(type) {
	case abi.Fork, abi.Vfork, abi.Clone, abi.Clone3:
		return true
	}
	return false
}

// freezesCaller reports whether a successful sc leaves the caller a frozen
// vfork parent (CLONE_VFORK; VFORK-2, VFORK-7).
func freezesCaller(sc abi.Syscall) bool {
	switch s := sc.(type) {
	case abi.Vfork:
		return true
	case abi.Clone:
		return s.Flags&abi.CLONE_VFORK != 0
	case abi.Clone3:
		return s.Flags&abi.CLONE_VFORK != 0
	}
	return false
}

// await collects the outcome of the step sent to task t: its result, the
// hello of the child it created, the hello of its new image, or its end.
func (k *Kernel) await(t procTask, sc abi.Syscall, seq uint64) (abi.Result, error) {
	p := wait(fmt.Sprintf("task %d's %s to complete", t.Tid, sc.Name()), stepTimeout)
	var result, child *report
	for {
		if p.over() {
			missing := "no result reported"
			switch {
			case result != nil:
				missing = "no hello from the child it created"
			case k.tasks[t.Tid] != nil:
				if now, ok, _ := k.findTask(t.Tid); ok {
					missing += fmt.Sprintf(", the task is in state %c", now.State)
				}
			}
			return abi.Result{}, p.err(missing)
		}
		m, err := k.rr.next(2 * time.Millisecond)
		if err != nil && !errors.Is(err, errTimeout) {
			return abi.Result{}, err
		}
		if m != nil {
			if err := k.absorb(m); err != nil {
				return abi.Result{}, err
			}
			switch {
			case m.Kind == repResult && m.Tid == t.Tid && m.Seq == seq:
				result = m
			case m.Kind == repHello && m.Seq == seq && m.word(3) == startChild:
				child = m
			case m.Kind == repHello && m.Seq == seq && m.word(3) == startExec:
				// EXEC-1/EXEC-5: the image runs; a non-leader took the tgid.
				return abi.Result{Outcome: abi.OutcomeExeced}, nil
			}
		}
		if result != nil {
			if createsChild(sc) && result.errno() == 0 && result.Ret > 0 && child == nil {
				continue
			}
			return decode(sc, result), nil
		}
		if m != nil {
			continue // drain the pipe before looking at /proc
		}
		now, ok, err := k.findTask(t.Tid)
		if err != nil {
			return abi.Result{}, err
		}
		if ok && child == nil {
			if in, err := k.asleepIn(now, sc); err != nil {
				return abi.Result{}, err
			} else if in {
				k.callerReport = nil
				q, err := k.quiesce(&now, sc, seq, p)
				if err != nil {
					return abi.Result{}, err
				}
				if q {
					rec := sleepRec{seq: seq, call: sc}
					switch s := sc.(type) {
					case abi.Read:
						rec.pipe = k.pipeInode(now, s.Fd)
					case abi.Write:
						rec.pipe = k.pipeInode(now, s.Fd)
					}
					k.sleeping[t.Tid] = rec
					return abi.Result{Outcome: abi.OutcomeBlocked}, nil
				}
				if k.callerReport != nil {
					result = k.callerReport
					continue
				}
			}
		}
		if child != nil && freezesCaller(sc) && ok && now.State == 'D' {
			return abi.Result{Ret: uint64(child.Tid), Outcome: abi.OutcomeFrozen}, nil
		}
		if dead := !ok || now.State == 'Z' || now.State == 'X'; !dead {
			continue
		}
		switch sc.(type) {
		case abi.Exit, abi.ExitGroup:
			return abi.Result{Outcome: abi.OutcomeExited}, nil
		}
		// The task has vanished or is a zombie. If its group's leader
		// still lives, either the group is still dying (the leader has
		// SIGKILL pending and will be a zombie soon) or the task is a
		// non-leader in the middle of a successful exec (de_thread: once
		// the old leader is dead, the task takes over the group's pid —
		// it is then the live leader — and its new image says hello):
		// wait, within the step's patience. Else the group is dead.
		if leader, ok, err := k.findTask(t.Tgid); err != nil {
			return abi.Result{}, err
		} else if ok && leader.State != 'Z' && leader.State != 'X' {
			continue
		}
		sig, err := k.deathSignal(t, sc)
		if err != nil {
			return abi.Result{}, err
		}
		return abi.Result{Outcome: abi.OutcomeKilled, Signal: sig}, nil
	}
}

// decode turns the agent's report into a Result.
func decode(sc abi.Syscall, m *report) abi.Result {
	if e := m.errno(); e != 0 {
		return abi.Fail(abi.Errno(e))
	}
	switch s := sc.(type) {
	case abi.Sigaction:
		if s.Old {
			return abi.Ok(abi.OldAction(abi.Disposition(m.word(0)), m.word(1)))
		}
	case abi.Sigprocmask:
		if s.Old {
			return abi.Ok(m.word(0))
		}
	case abi.Sigpending:
		return abi.Ok(m.word(0))
	case abi.Wait4:
		r := abi.Ok(uint64(m.Ret))
		if m.Ret > 0 {
			r.Status = int(m.word(0))
		}
		return r
	case abi.Load:
		return abi.Ok(m.word(0))
	case abi.Prctl:
		if int32(s.Option) == int32(abi.PR_GET_CHILD_SUBREAPER) {
			return abi.Ok(m.word(0))
		}
	}
	return abi.Ok(uint64(m.Ret))
}

// deathSignal finds the signal that killed task t's group during step sc:
// from the group leader's exit code while it is a zombie (stat field 52),
// else from the leader's pidfd (PIDFD_INFO_EXIT, once reaped), else from
// the step itself (the signal a kill sent, SIGSEGV for a bad access).
func (k *Kernel) deathSignal(t procTask, sc abi.Syscall) (int, error) {
	if l, ok, err := k.readTask(t.Tgid, t.Tgid); err != nil {
		return 0, err
	} else if ok && l.State == 'Z' && l.ExitCode&0x7f != 0 {
		return l.ExitCode & 0x7f, nil
	}
	if code, ok := k.pidfdExitCode(t.Tgid); ok && code&0x7f != 0 {
		return code & 0x7f, nil
	}
	switch s := sc.(type) {
	case abi.Kill:
		return s.Sig, nil
	case abi.Load, abi.Store:
		return abi.SIGSEGV, nil
	}
	return 0, fmt.Errorf("task %d died during %v and its signal is unknown", t.Tid, sc)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
