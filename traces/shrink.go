package traces

import (
	"math/bits"

	"github.com/forkspec/forkspec/abi"
)

// Fails is the question a reducer asks: replayed from a fresh world, do
// these steps still fail the same way? performed is the sequence as it ran
// — its tids renumbered (Renumbering), every step's Want the reference's
// Result — cut after the failing step; Shrink keeps only such sequences.
type Fails func(steps []Step) (performed []Step, ok bool)

// Shrink reduces a failing step sequence to a small one that fails the same
// way: delta debugging over steps, then over tasks, then over arguments,
// repeated until a whole round changes nothing. A round tries, keeping
// every candidate that still fails and is smaller:
//
//   - deleting runs of steps, half the sequence first, down to single steps;
//   - dropping a task: the step that created it, every step it performs and
//     every kill or wait4 naming it;
//   - hoisting a task into its creator: the creation goes and the creator
//     performs the task's steps (a chain fork → fork → store becomes one
//     store by the first task);
//   - simplifying one step: a lower tid (its actor, or the pid a kill or
//     wait4 names), fewer flag bits, smaller numbers and lengths, SIGCHLD
//     as termination signal, -1 as wait4 pid (simplify.go).
//
// "Smaller" is fewer steps, else a lower total cost (the sum of tids and
// argument sizes, simplify.go), so every kept candidate lowers a natural
// number and Shrink ends. When it ends with budget left the result is
// 1-minimal: no single deletion, task drop, hoist or simplification keeps
// the failure. budget bounds the replays; tries is how many it spent.
//
// steps must fail (fails(steps) ok); each step's Want, when set, is the
// reference's Result of the run it comes from, which Renumbering needs to
// follow the tasks it created.
func Shrink(steps []Step, fails Fails, budget int) (shrunk []Step, tries int) {
	s := &shrinker{fails: fails, budget: budget}
	cur, ok := s.replay(steps)
	if !ok {
		return steps, s.tries
	}
	s.cur = cur
	for progress := true; progress && s.budget > 0; {
		progress = s.deleteRuns()
		progress = s.dropTasks() || progress
		progress = s.hoistTasks() || progress
		progress = s.simplifySteps() || progress
	}
	return s.cur, s.tries
}

// shrinker is one Shrink in progress. Invariant: cur fails (as performed).
type shrinker struct {
	fails  Fails
	budget int
	tries  int
	cur    []Step
}

func (s *shrinker) replay(cand []Step) ([]Step, bool) {
	if s.budget <= 0 {
		return nil, false
	}
	s.budget--
	s.tries++
	return s.fails(cand)
}

// try keeps cand, as performed, when it fails and is smaller than cur.
func (s *shrinker) try(cand []Step) bool {
	p, ok := s.replay(cand)
	if !ok || !smaller(p, s.cur) {
		return false
	}
	s.cur = p
	return true
}

// deleteRuns deletes runs of steps, longest first (ddmin's complements).
func (s *shrinker) deleteRuns() bool {
	any := false
	for chunk := len(s.cur) / 2; chunk >= 1 && s.budget > 0; {
		removed := false
		for start := 0; start+chunk <= len(s.cur) && s.budget > 0; {
			cand := append(append([]Step(nil), s.cur[:start]...), s.cur[start+chunk:]...)
			if s.try(cand) {
				removed, any = true, true
				continue // the same start now holds the next run
			}
			start += chunk
		}
		if !removed {
			chunk /= 2
		}
	}
	return any
}

// creation returns the task steps[i] created, or 0.
func creation(st Step) int {
	switch st.Call.(type) {
	case abi.Fork, abi.Vfork, abi.Clone, abi.Clone3:
	default:
		return 0
	}
	if r := st.Want; r != nil && r.Err == 0 && (r.Outcome == abi.OutcomeOK || r.Outcome == abi.OutcomeFrozen) && r.Ret > 0 {
		return int(r.Ret)
	}
	return 0
}

// dropTasks drops whole tasks, the latest created first.
func (s *shrinker) dropTasks() bool {
	any := false
	for i := len(s.cur) - 1; i >= 0 && s.budget > 0; i-- {
		if i >= len(s.cur) {
			continue
		}
		p := creation(s.cur[i])
		if p == 0 {
			continue
		}
		var cand []Step
		for j, st := range s.cur {
			if j == i || j > i && (st.Tid == p || namedPid(st.Call) == p) {
				continue
			}
			cand = append(cand, st)
		}
		if s.try(cand) {
			any = true
		}
	}
	return any
}

// hoistTasks hands each task's steps to its creator, the latest first.
func (s *shrinker) hoistTasks() bool {
	any := false
	for i := len(s.cur) - 1; i >= 0 && s.budget > 0; i-- {
		if i >= len(s.cur) {
			continue
		}
		p, c := creation(s.cur[i]), s.cur[i].Tid
		if p == 0 {
			continue
		}
		cand := append([]Step(nil), s.cur[:i]...)
		for _, st := range s.cur[i+1:] {
			if st.Tid == p {
				st.Tid = c
			}
			if namedPid(st.Call) == p {
				st.Call = withPid(st.Call, c)
			}
			cand = append(cand, st)
		}
		if s.try(cand) {
			any = true
		}
	}
	return any
}

// simplifySteps simplifies each step as far as it goes (simplify.go): when
// a simplification is kept, the step's candidates are drawn again from
// what it has become.
func (s *shrinker) simplifySteps() bool {
	any := false
	for i := 0; i < len(s.cur) && s.budget > 0; i++ {
		for again := true; again && i < len(s.cur) && s.budget > 0; {
			again = false
			for _, st := range simpler(s.cur, i) {
				cand := append([]Step(nil), s.cur...)
				cand[i] = st
				if s.try(cand) {
					any, again = true, true
					break
				}
				if s.budget <= 0 {
					break
				}
			}
		}
	}
	return any
}

// smaller orders reductions: fewer steps, else a lower total cost.
func smaller(a, b []Step) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return seqCost(a) < seqCost(b)
}

func seqCost(steps []Step) int {
	n := 0
	for _, st := range steps {
		n += st.Tid + callCost(st.Call)
	}
	return n
}

// Renumbering maps the tids a recorded sequence names to the tids of its
// replay with steps cut out or changed. Pids are allocated 1, 2, 3, … in
// creation order, so deleting a creation shifts every later pid: a tid that
// a recorded step created (its Want.Ret) stands for whatever tid that step
// creates in the replay. The zero value is not usable; make one.
type Renumbering map[int]int

// Step returns s with its actor and the pid it names (kill, wait4)
// renumbered.
func (r Renumbering) Step(s Step) Step {
	s.Tid = r.tid(s.Tid)
	if p := namedPid(s.Call); p > 0 {
		s.Call = withPid(s.Call, r.tid(p))
	}
	return s
}

func (r Renumbering) tid(t int) int {
	if n, ok := r[t]; ok {
		return n
	}
	return t
}

// Learn records what the recorded step s created in the replay, where it
// returned got.
func (r Renumbering) Learn(s Step, got abi.Result) {
	if p := creation(s); p > 0 && got.Err == 0 && got.Ret > 0 {
		r[p] = int(got.Ret)
	}
}

// namedPid is the positive pid a kill or wait4 names, else 0.
func namedPid(sc abi.Syscall) int {
	switch c := sc.(type) {
	case abi.Kill:
		return max(c.Pid, 0)
	case abi.Wait4:
		return max(c.Pid, 0)
	}
	return 0
}

// withPid is sc (a kill or wait4) naming pid instead.
func withPid(sc abi.Syscall, pid int) abi.Syscall {
	switch c := sc.(type) {
	case abi.Kill:
		c.Pid = pid
		return c
	case abi.Wait4:
		c.Pid = pid
		return c
	}
	return sc
}

// size is the cost of a number: its bit length first, then its set bits,
// so that halving it and clearing its lowest set bit both make it cheaper
// (0 costs 0).
func size(v uint64) int { return bits.Len64(v)*65 + bits.OnesCount64(v) }
