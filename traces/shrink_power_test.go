package traces

import (
	"errors"
	"fmt"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/model"
)

// A liar is the model with one realistic bug, visible only after a
// particular build-up of steps: the failures the random search finds with
// it are long, and their shortest reproduction is known.
type liar struct {
	abi.Kernel
	// lie rewrites the Result of sc by tid, given the View before the step
	// and every process's first parent.
	lie func(before abi.View, firstParent map[int]int, tid int, sc abi.Syscall, r *abi.Result)
	// firstParent maps each process to its parent when it was created.
	firstParent map[int]int
	// view is the model's View when fresh (the replay asks for it after
	// every step, the liar before the next).
	view  abi.View
	fresh bool
}

func (k *liar) View() abi.View {
	if !k.fresh {
		k.view, k.fresh = k.Kernel.View(), true
	}
	return k.view
}

func (k *liar) Step(tid int, sc abi.Syscall) abi.Result {
	before := k.View()
	r := k.Kernel.Step(tid, sc)
	k.fresh = false
	if k.firstParent == nil {
		k.firstParent = map[int]int{}
	}
	if r.Outcome.Refused() || r.Err != 0 {
		return r // the lies are about calls that ran
	}
	k.lie(before, k.firstParent, tid, sc, &r)
	switch sc.(type) {
	case abi.Fork, abi.Vfork, abi.Clone, abi.Clone3:
		if c, ok := viewTask(k.View(), int(r.Ret)); ok && r.Ret > 0 && c.Tid == c.Tgid {
			k.firstParent[c.Tgid] = c.Ppid
		}
	}
	return r
}

// liarCase is one bug, with the length of its shortest reproduction.
type liarCase struct {
	name string
	// min is the length of the shortest trace that shows the lie, and
	// shortest is one such trace (checked to fail).
	min      int
	shortest string
	// slack is how many steps more than min the reducer may leave: 1 for
	// a lie about addresses, which the reducer does not move (a mark on
	// an exec'd image's page needs the exec).
	slack int
	lie   func(before abi.View, firstParent map[int]int, tid int, sc abi.Syscall, r *abi.Result)
}

func viewTask(v abi.View, tid int) (abi.TaskView, bool) {
	for _, t := range v.Tasks {
		if t.Tid == tid {
			return t, true
		}
	}
	return abi.TaskView{}, false
}

var liarCases = []liarCase{
	{
		// A load in a WIPEONFORK range by a task that is not init: the
		// page must have been marked, and the task forked.
		name: "wipe-load", min: 3, slack: 1,
		shortest: "1 madvise 0x100000200000 0x1000 MADV_WIPEONFORK\n1 fork\n2 load 0x100000200000\n",
		lie: func(v abi.View, firstParent map[int]int, tid int, sc abi.Syscall, r *abi.Result) {
			l, ok := sc.(abi.Load)
			t, _ := viewTask(v, tid)
			if !ok || tid == 1 {
				return
			}
			for _, m := range v.Mms {
				for _, mp := range m.Mappings {
					if m.ID == t.Mm && mp.WipeOnFork && l.Addr >= mp.Start && l.Addr < mp.End {
						r.Ret++
					}
				}
			}
		},
	},
	{
		// wait4's status for a reaped clone child (termination signal
		// other than SIGCHLD).
		name: "clone-child-status", min: 3,
		shortest: "1 clone SIGUSR1\n2 exit_group 0\n1 wait4 -1 __WALL\n",
		lie: func(v abi.View, firstParent map[int]int, tid int, sc abi.Syscall, r *abi.Result) {
			if _, ok := sc.(abi.Wait4); !ok || r.Ret == 0 {
				return
			}
			if c, ok := viewTask(v, int(r.Ret)); ok && c.ExitSignal != abi.SIGCHLD {
				r.Status ^= 0x100
			}
		},
	},
	{
		// getppid in an orphan whose first parent was not init.
		name: "orphan-getppid", min: 4,
		shortest: "1 fork\n2 fork\n2 exit_group 0\n3 getppid\n",
		lie: func(v abi.View, firstParent map[int]int, tid int, sc abi.Syscall, r *abi.Result) {
			if _, ok := sc.(abi.Getppid); !ok {
				return
			}
			if t, ok := viewTask(v, tid); ok && t.Ppid == 1 && firstParent[t.Tgid] > 1 {
				r.Ret = 0
			}
		},
	},
	{
		// exec by the fifth task or later: four creations first.
		name: "late-exec", min: 5,
		shortest: "1 fork\n1 fork\n1 fork\n1 fork\n5 execve true\n",
		lie: func(v abi.View, firstParent map[int]int, tid int, sc abi.Syscall, r *abi.Result) {
			if _, ok := sc.(abi.Execve); ok && tid >= 5 && r.Outcome == abi.OutcomeExeced {
				r.Ret = 7
			}
		},
	},
	{
		// kill of a process that blocks the signal while another process
		// has a handler for it: two processes set up, one signal.
		name: "blocked-kill", min: 3,
		shortest: "1 fork\n2 sigprocmask SIG_BLOCK SIGUSR1\n1 kill 2 SIGUSR1\n",
		lie: func(v abi.View, firstParent map[int]int, tid int, sc abi.Syscall, r *abi.Result) {
			k, ok := sc.(abi.Kill)
			if !ok || k.Sig != abi.SIGUSR1 {
				return
			}
			caller, _ := viewTask(v, tid)
			if t, ok := viewTask(v, k.Pid); ok && t.Blocked.Has(abi.SIGUSR1) && t.Tgid != caller.Tgid {
				r.Ret = 1
			}
		},
	},
}

func (c liarCase) backends() []Backend {
	return []Backend{
		{Name: "model", New: func(cfg abi.Config) abi.Kernel { return model.New(cfg) }},
		{Name: c.name, New: func(cfg abi.Config) abi.Kernel { return &liar{Kernel: model.New(cfg), lie: c.lie} }},
	}
}

// search runs the generator from seed on the case's backends, as
// `forkspec check` does, and returns the trace up to the first divergence
// (nil when steps ran out first).
func (c liarCase) search(seed uint64, steps int) *Trace {
	opts := Options{MaxTasks: 12}
	l, err := NewLock(fmt.Sprintf("%s-seed%d", c.name, seed), opts, c.backends()...)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	src, g := gen.FromRand(seed), gen.New(opts.Config())
	for range steps {
		tid, sc := g.Next(src, l.View())
		if _, err := l.Step(Step{Tid: tid, Call: sc}); err != nil {
			var d *Divergence
			if !errors.As(err, &d) {
				panic(err)
			}
			return l.Trace()
		}
	}
	return nil
}

// TestLiarShortestFails: each case's shortest trace really shows its lie,
// and no shorter prefix of it does.
func TestLiarShortestFails(t *testing.T) {
	for _, c := range liarCases {
		tr := mustParse(t, c.shortest)
		err := Lockstep(tr, c.backends()[0], c.backends()[1])
		var d *Divergence
		if !errors.As(err, &d) || d.Index != c.min-1 || len(tr.Steps) != c.min {
			t.Errorf("%s: the shortest trace gives %v, want a divergence at its step %d", c.name, err, c.min)
		}
	}
}

// checkReduceBudget is `forkspec check -reduce`'s default.
const checkReduceBudget = 300

// TestReduceReachesTheShortest: the failures the random search finds
// against each liar, dozens to hundreds of steps long, reduce with
// `forkspec check`'s default budget to the shortest reproduction (the old
// reducer left 34, 48 and 50 steps of some of these where 3 do), and the
// result is 1-minimal: deleting any one step loses the failure. It takes
// the first two failing seeds of each liar; the commit that brought Shrink
// reports eight of each, against the old reducer.
func TestReduceReachesTheShortest(t *testing.T) {
	for _, c := range liarCases {
		found := 0
		for seed := uint64(1); seed < 200 && found < 2; seed++ {
			tr := c.search(seed, 200)
			if tr == nil {
				continue
			}
			found++
			red, ok := Reduce(tr, checkReduceBudget, c.backends()...)
			if !ok {
				t.Errorf("%s seed %d: the failing trace was not reduced", c.name, seed)
				continue
			}
			if n := len(red.Steps); n > c.min+c.slack {
				t.Errorf("%s seed %d: %d steps reduced to %d, want %d:\n%s", c.name, seed, len(tr.Steps), n, c.min, red.Format())
			}
			_, d := divergesAs(red.Name, red.Options, c.backends(), red.Steps, nil)
			if d == nil || d.Index != len(red.Steps)-1 {
				t.Errorf("%s seed %d: the reduced trace does not end at its divergence (%v):\n%s", c.name, seed, d, red.Format())
				continue
			}
			for i := range red.Steps {
				cand := append(append([]Step(nil), red.Steps[:i]...), red.Steps[i+1:]...)
				if _, again := divergesAs(red.Name, red.Options, c.backends(), cand, d); again != nil {
					t.Errorf("%s seed %d: not 1-minimal, it still fails without step %d:\n%s", c.name, seed, i+1, red.Format())
				}
			}
		}
		if found == 0 {
			t.Errorf("%s: no seed of 200 fails within 200 steps: the generator no longer reaches the lie", c.name)
		}
	}
}
