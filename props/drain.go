package props

import (
	"errors"
	"fmt"

	"github.com/forkspec/forkspec/abi"
)

// ErrInitStuck reports that a world cannot be drained to task 1 alone: task
// 1 is a zombie leader whose last thread may not exit (init never exits).
var ErrInitStuck = errors.New("props: task 1 is a zombie leader; its group cannot shrink to init alone")

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
			return fmt.Errorf("props: cannot drain the world further: %d tasks left", len(v.Tasks))
		}
		if _, err := m.Step(tid, sc); err != nil {
			return err
		}
	}
	return fmt.Errorf("props: the world did not drain to init in %d steps", 4*abi.DefaultMaxTasks+16)
}

// drainStep chooses the next draining step.
func drainStep(v abi.View) (int, abi.Syscall, bool) {
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
	}
	return 0, nil, false
}
