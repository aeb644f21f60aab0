package linux

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The oracle waits for real processes: a result, a hello, a pong, a dying
// task. On an idle machine each takes microseconds to milliseconds; on a
// loaded one the agents (and this driver) wait for a CPU, and a fixed
// deadline turns load into false failures. So every wait is sized for the
// load when it starts and looked at again when it runs out: its budget is
// its idle base scaled by how many runnable tasks share each CPU, up to
// maxWait. A wait that still runs out says which task, which wait, how long
// it waited and what load it was sized for.

// maxWait is the ceiling of every scaled wait: a world that needs longer
// than this for one step is broken, however busy the machine.
const maxWait = 2 * time.Minute

// loadavgPath is where loadScale reads the load (a variable for tests).
var loadavgPath = "/proc/loadavg"

// loadScale is how many runnable tasks compete for each CPU now, at least
// 1: the larger of /proc/loadavg's 1-minute average and its count of tasks
// runnable this instant (which sees a burst before the average does),
// divided by the CPUs this process may use. load and cpus are the figures
// it came from, for messages; on a system without /proc/loadavg it is 1.
func loadScale() (scale, load float64, cpus int) {
	cpus = max(runtime.NumCPU(), 1)
	b, err := os.ReadFile(loadavgPath)
	if err != nil {
		return 1, 0, cpus
	}
	f := strings.Fields(string(b))
	if len(f) >= 4 {
		load, _ = strconv.ParseFloat(f[0], 64)
		if run, _, ok := strings.Cut(f[3], "/"); ok {
			if n, err := strconv.Atoi(run); err == nil {
				// The runnable count includes the reader itself.
				load = max(load, float64(n-1))
			}
		}
	}
	return max(1, load/float64(cpus)), load, cpus
}

// scaled is base sized for the current load (see loadScale), at most
// maxWait (and never below base).
func scaled(base time.Duration) time.Duration {
	s, _, _ := loadScale()
	return min(max(time.Duration(float64(base)*s), base), max(maxWait, base))
}

// patience is one bounded wait: what for, since when, and the budget it
// was given. The zero value is not usable; call wait.
type patience struct {
	what   string
	base   time.Duration
	start  time.Time
	budget time.Duration
	scale  float64
	load   float64
	cpus   int
}

// wait starts a wait for what (a phrase: "the result of fork from task 3")
// whose idle budget is base.
func wait(what string, base time.Duration) *patience {
	p := &patience{what: what, base: base, start: time.Now()}
	p.size()
	return p
}

// size sets the budget from the load now.
func (p *patience) size() {
	p.scale, p.load, p.cpus = loadScale()
	p.budget = min(max(time.Duration(float64(p.base)*p.scale), p.base), max(maxWait, p.base))
}

// over reports whether the wait has run out. When its budget is spent it
// is sized again for the load now (which may have grown since the wait
// began), so that it ends only when even that budget is spent.
func (p *patience) over() bool {
	if time.Since(p.start) < p.budget {
		return false
	}
	p.size()
	return time.Since(p.start) >= p.budget
}

// err is the error of a wait that ran out; detail, when not "", says what
// was still missing ("no pong from tasks 3, 5").
func (p *patience) err(detail string) error {
	msg := "timed out waiting for " + p.what
	if detail != "" {
		msg += ": " + detail
	}
	return fmt.Errorf("%s, after %v (budget %v: %v idle, ×%.1f for load %.1f on %d CPUs, ceiling %v)",
		msg, time.Since(p.start).Round(time.Millisecond), p.budget.Round(time.Millisecond), p.base, p.scale, p.load, p.cpus, maxWait)
}

// tidList prints tids as "3, 5, 8".
func tidList(tids []int) string {
	s := make([]string, len(tids))
	for i, t := range tids {
		s[i] = strconv.Itoa(t)
	}
	return strings.Join(s, ", ")
}

// The oracle's driver and agents run ahead of ordinary work: while a world
// is open every thread of this process is at nice -20 (root may raise its
// priority), and so is every agent, which inherits it from the thread that
// starts init (the agents outside init's group are SCHED_FIFO anyway, see
// absorb). On a 2-core machine with 8 busy loops the docs' specs took 45 s
// at nice 0, 12 s at -10 and 7 s at -20 (the same as idle). When the last
// world closes the process goes back to the nice it had. Without the
// privilege nothing changes and only the waits' scaling remains.
var priority struct {
	sync.Mutex
	worlds int // open worlds
	was    int // the nice before the first
}

// raisePriority is called as a world opens.
func raisePriority() {
	priority.Lock()
	defer priority.Unlock()
	if priority.worlds++; priority.worlds > 1 {
		return
	}
	// getpriority returns 20 - nice (the raw syscall's convention).
	if p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0); err == nil {
		priority.was = 20 - p
	}
	setNiceAll(-20)
}

// lowerPriority is called as a world closes.
func lowerPriority() {
	priority.Lock()
	defer priority.Unlock()
	if priority.worlds--; priority.worlds == 0 {
		setNiceAll(priority.was)
	}
}

// setNiceAll sets the nice of every thread of this process. A thread the
// Go runtime starts meanwhile inherits its creator's nice, so a second pass
// catches one created from a thread the first pass had not reached yet.
func setNiceAll(nice int) {
	for range 2 {
		ents, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return
		}
		for _, e := range ents {
			if tid, err := strconv.Atoi(e.Name()); err == nil {
				_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
			}
		}
	}
}
