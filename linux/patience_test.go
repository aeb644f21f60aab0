package linux

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeLoad makes loadScale read line as /proc/loadavg for the test.
func fakeLoad(t *testing.T, line string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "loadavg")
	if err := os.WriteFile(p, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	old := loadavgPath
	loadavgPath = p
	t.Cleanup(func() { loadavgPath = old })
}

// TestWaitsScaleWithLoad: a wait's budget is its idle base times the
// runnable tasks per CPU (the 1-minute average or, if larger, the tasks
// runnable now), never below the base, never above maxWait.
func TestWaitsScaleWithLoad(t *testing.T) {
	cpus := runtime.NumCPU()
	fakeLoad(t, "3.00 2.00 1.00 1/100 4242\n")
	if got := scaled(time.Second); got != max(time.Second, time.Duration(3/float64(cpus)*float64(time.Second))) {
		t.Errorf("load 3 on %d CPUs: a 1s wait gets %v", cpus, got)
	}
	fakeLoad(t, "2.00 2.00 2.00 41/300 4242\n") // 40 runnable besides the reader
	if got, want := scaled(time.Second), time.Duration(40/float64(cpus)*float64(time.Second)); got != want {
		t.Errorf("40 runnable now on %d CPUs: a 1s wait gets %v, want %v", cpus, got, want)
	}
	fakeLoad(t, "0.10 0.10 0.10 1/100 4242\n")
	if got := scaled(time.Second); got != time.Second {
		t.Errorf("an idle machine: a 1s wait gets %v", got)
	}
	fakeLoad(t, "900.00 900.00 900.00 1/100 4242\n")
	if got := scaled(10 * time.Second); got != maxWait {
		t.Errorf("load 900: a 10s wait gets %v, want the ceiling %v", got, maxWait)
	}
	fakeLoad(t, "garbage")
	if got := scaled(time.Second); got != time.Second {
		t.Errorf("an unreadable load: a 1s wait gets %v", got)
	}
}

// TestWaitThatRunsOutSaysWhatWhoAndHowLong: a wait that runs out names
// what it waited for, which tasks were missing, how long it waited, and
// the load it was sized for.
func TestWaitThatRunsOutSaysWhatWhoAndHowLong(t *testing.T) {
	fakeLoad(t, "8.00 4.00 2.00 1/100 4242\n")
	p := wait("pongs (settling round 1, ping 7)", 5*time.Millisecond)
	if p.over() {
		t.Fatal("a wait is over as it starts")
	}
	for !p.over() {
		time.Sleep(time.Millisecond)
	}
	if el := time.Since(p.start); el < p.budget || p.budget < 5*time.Millisecond {
		t.Errorf("over after %v with budget %v", el, p.budget)
	}
	msg := p.err("no pong from task(s) " + tidList([]int{3, 5})).Error()
	for _, want := range []string{"timed out waiting for pongs (settling round 1, ping 7): no pong from task(s) 3, 5, after ", "5ms idle", "for load 8.0 on ", "ceiling 2m0s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message %q lacks %q", msg, want)
		}
	}
}

// TestPriorityIsRaisedWhileAWorldIsOpen: raising sets every thread of the
// process to nice -20 (as root) and the last lowering restores the nice the
// process had.
func TestPriorityIsRaisedWhileAWorldIsOpen(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("raising a priority needs root (CAP_SYS_NICE)")
	}
	nice := func() int {
		p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
		if err != nil {
			t.Fatal(err)
		}
		return 20 - p
	}
	was := nice()
	raisePriority()
	raisePriority()
	if got := nice(); got != -20 {
		t.Errorf("nice %d with two worlds open, want -20", got)
	}
	lowerPriority()
	if got := nice(); got != -20 {
		t.Errorf("nice %d with one world still open, want -20", got)
	}
	lowerPriority()
	if got := nice(); got != was {
		t.Errorf("nice %d after the last world closed, want %d again", got, was)
	}
}
