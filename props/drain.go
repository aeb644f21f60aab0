package props

import (
	"errors"
	"fmt"

	"github.com/forkspec/forkspec/abi"
)

// ErrInitStuck reports that a world cannot be drained to task 1 alone: task
// 1 is a zombie leader whose last thread may not exit (init never exits), or
// no task can step and nothing can end the sleeps left (every task of
// init's group asleep in calls no other task can end).
var ErrInitStuck = errors.New("props: task 1 is a zombie leader or asleep for good; its group cannot shrink to init alone")

// Drain drives the world, through ordinary checked steps, to one where task
// 1 is the only task: every running task outside init's group exits its
// group, init's other threads exit, and init reaps every zombie. Frozen vfork
// parents are released as their children exit. It fails with ErrInitStuck
// when task 1 itself has exited, or with the first check failure.
func (m *Machine) Drain() error {
	for round := 0; round < 4*abi.DefaultMaxTasks+16; round++ {
		v := m.View()
		if len(v.Tasks) == 1 && v.Tasks[0].Tid == 1 && v.Tasks[0].State == abi.Running {
			return nil
		}
		if t1, _ := task(v, 1); t1.State == abi.Zombie {
			return ErrInitStuck
		}
		tid, sc, ok := drainStep(v)
		if !ok {
			if asleepForGood(v) {
				return ErrInitStuck
			}
			return fmt.Errorf("props: cannot drain the world further: %d tasks left", len(v.Tasks))
		}
		if _, err := m.Step(tid, sc); err != nil {
			return err
		}
	}
	return fmt.Errorf("props: the world did not drain to init in %d steps", 4*abi.DefaultMaxTasks+16)
}

// drainStep chooses the next draining step: a group outside init's with a
// sleeping task is killed by a running task of another group (SIGKILL ends
// any sleep); then running tasks end their groups; init's threads exit,
// those asleep woken first (wakeInit); init reaps.
func drainStep(v abi.View) (int, abi.Syscall, bool) {
	for _, t := range v.Tasks {
		if t.State != abi.Blocked || t.Tgid == 1 {
			continue
		}
		for _, r := range v.Tasks {
			if r.State == abi.Running && r.Tgid != t.Tgid {
				return r.Tid, abi.Kill{Pid: t.Tgid, Sig: abi.SIGKILL}, true
			}
		}
	}
	for _, t := range v.Tasks {
		if t.State == abi.Running && t.Tgid != 1 {
			return t.Tid, abi.ExitGroup{}, true
		}
	}
	for _, t := range v.Tasks {
		if t.State == abi.Running && t.Tgid == 1 && t.Tid != 1 {
			return t.Tid, abi.Exit{}, true
		}
	}
	if t1, _ := task(v, 1); t1.State == abi.Running {
		for _, t := range v.Tasks {
			if t.State == abi.Zombie && t.Tgid != 1 {
				return 1, abi.Wait4{Pid: -1, Options: abi.WNOHANG | 0x40000000 /* __WALL */}, true
			}
		}
		if sc, ok := wakeInit(v); ok {
			return 1, sc, true
		}
	}
	return 0, nil, false
}

// wakeInit returns a step for task 1 that ends the sleep of another thread
// of init's group, which SIGKILL cannot end (init ignores it): a
// FUTEX_WAKE of its word, or the close of an end of a pipe in task 1's
// table (the other end's sleeper sees EOF or EPIPE; SIGPIPE at SIG_DFL is
// ignored in init's group).
func wakeInit(v abi.View) (abi.Syscall, bool) {
	t1, _ := task(v, 1)
	for _, t := range v.Tasks {
		if t.State != abi.Blocked || t.Tgid != 1 {
			continue
		}
		if f, err := abi.ParseSyscall(t.Call); err == nil {
			if fx, ok := f.(abi.Futex); ok {
				return abi.Futex{Addr: fx.Addr, Op: abi.FUTEX_WAKE | fx.Op&abi.FUTEX_PRIVATE_FLAG, Val: 1<<31 - 1}, true
			}
		}
	}
	for _, ft := range v.FdTables {
		if ft.ID != t1.FdTable {
			continue
		}
		for _, fd := range ft.Fds {
			for _, f := range v.Files {
				if f.ID == fd.File && f.Pipe != 0 {
					return abi.Close{Fd: fd.Fd}, true
				}
			}
		}
	}
	return nil, false
}

// asleepForGood reports, for a world drainStep has no step for, whether a
// task sleeps there: a sleep no task left can end.
func asleepForGood(v abi.View) bool {
	for _, t := range v.Tasks {
		if t.State == abi.Blocked {
			return true
		}
	}
	return false
}
