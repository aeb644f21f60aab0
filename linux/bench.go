package linux

import (
	"errors"
	"fmt"
	"time"
)

// BenchKind names a process-creation cost the agent measures in C.
type BenchKind int

const (
	BenchForkReturn BenchKind = 1 // fork, until it returns in the parent
	BenchForkWait   BenchKind = 2 // fork + child _exit + wait4
	BenchVforkWait  BenchKind = 3 // vfork + child _exit + wait4
	BenchCloneVM    BenchKind = 4 // clone(CLONE_VM|SIGCHLD) + child _exit + wait4
	BenchForkExec   BenchKind = 5 // fork + child execve(agent, exits at once) + wait4
	BenchVforkExec  BenchKind = 6 // vfork + child execve + wait4
)

// Bench has task 1 (which must be running) map and touch mib MiB of private
// memory in the arena, then perform kind iters times (at most 4096), timing
// each with CLOCK_MONOTONIC in the agent. It returns the median and the
// minimum. The memory stays mapped for the next Bench with the same size;
// the world is for benchmarking only afterwards (its View shows the
// memory, and each iteration used a pid).
func (k *Kernel) Bench(kind BenchKind, mib, iters int) (median, minimum time.Duration, err error) {
	if k.err != nil {
		return 0, 0, k.err
	}
	if kind < BenchForkReturn || kind > BenchVforkExec || mib < 0 || iters < 1 {
		return 0, 0, errors.New("bad benchmark parameters")
	}
	m, err := k.requestWithin(1, command{Op: opBench, Args: [5]uint64{uint64(kind), uint64(mib), uint64(iters)}}, 30*time.Minute)
	if err != nil {
		return 0, 0, err
	}
	if m.errno() != 0 {
		return 0, 0, fmt.Errorf("bench: errno %d", m.errno())
	}
	return time.Duration(m.word(0)), time.Duration(m.word(1)), nil
}
