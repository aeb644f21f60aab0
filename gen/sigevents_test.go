package gen

import (
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/model"
)

// runEvents replays trace lines on the model and returns the events of each
// step, keyed by line; a line that occurs twice keeps its last events, so
// steps that matter are written once.
func runEvents(t *testing.T, lines string) map[string][]Event {
	t.Helper()
	k := model.New(abi.Config{})
	var c Classifier
	out := map[string][]Event{}
	before := k.View()
	for _, line := range strings.Split(strings.TrimSpace(lines), "\n") {
		line = strings.TrimSpace(line)
		var tid int
		f := strings.SplitN(line, " ", 2)
		for _, ch := range f[0] {
			tid = tid*10 + int(ch-'0')
		}
		sc, err := abi.ParseSyscall(f[1])
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		res := k.Step(tid, sc)
		after := k.View()
		out[line] = c.Events(before, after, tid, sc, res)
		before = after
	}
	return out
}

const thr = "clone CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD"

// TestSignalEventsAroundAFrozenThread: each situation is named at the step
// that creates it, and not elsewhere (the steps of VFORK-6c, VFORK-5f,
// VFORK-5e and SIG-2h).
func TestSignalEventsAroundAFrozenThread(t *testing.T) {
	evs := runEvents(t, `
		1 fork
		2 sigaction SIGUSR1 handler 0
		2 sigaction SIGUSR2 handler 0
		2 sigaction SIGCHLD handler 0
		2 `+thr+`
		2 vfork
		4 kill 2 SIGUSR1
		4 kill 2 SIGUSR2
		4 exit_group 0`)
	want := map[string][]Event{
		"4 kill 2 SIGUSR1":              {SignalToFrozenGroup, SignalWaitsForFrozen},
		"4 kill 2 SIGUSR2":              {SignalToFrozenGroup, SiblingTookForFrozen},
		"4 exit_group 0":                {ReleasedTookSignals},
		"2 sigaction SIGUSR1 handler 0": nil,
	}
	signalOnly := func(es []Event) []Event {
		var out []Event
		for _, e := range es {
			if e >= SignalToFrozenGroup && e <= ReleasedTookSignals { // the frozen-thread situations
				out = append(out, e)
			}
		}
		return out
	}
	for line, w := range want {
		if got := signalOnly(evs[line]); !sameEvents(got, w) {
			t.Errorf("%s: signal events %v, want %v", line, got, w)
		}
	}

	evs = runEvents(t, `
		1 fork
		2 sigaction SIGUSR2 handler 0
		2 vfork
		3 kill 2 SIGUSR2
		3 kill 2 SIGTERM
		3 exit_group 0`)
	if got := signalOnly(evs["3 kill 2 SIGTERM"]); !sameEvents(got, []Event{FatalSignalWaits}) {
		t.Errorf("SIGTERM nobody wants: %v, want fatal-signal-waits", got)
	}
	if got := signalOnly(evs["3 exit_group 0"]); !sameEvents(got, []Event{FrameThenDeath}) {
		t.Errorf("release into SIGUSR2's frame and SIGTERM: %v, want frame-then-death", got)
	}
}

// TestSignalEventsSearchSyncAndInit: the steps of SIG-2f, SIG-2i and SIG-4b
// that show curr_target, the synchronous-first order and init running last.
func TestSignalEventsSearchSyncAndInit(t *testing.T) {
	evs := runEvents(t, `
		1 fork
		2 sigaction SIGUSR1 handler 0
		2 sigprocmask SIG_BLOCK SIGUSR1
		2 `+thr+`
		2 `+thr+`
		3 sigprocmask SIG_UNBLOCK SIGUSR1
		4 sigprocmask SIG_UNBLOCK SIGUSR1
		1 kill 2 10
		3 sigprocmask SIG_BLOCK SIGUSR1
		1 kill 2 SIGUSR1
		1 kill 4 SIGUSR1
		3 sigprocmask SIG_UNBLOCK SIGUSR1
		1 kill 2 USR1`)
	// The first kill finds 3, the second 4 (3 blocks); the third names 4;
	// the fourth goes to 4 again though 3 would take it now.
	for line, want := range map[string]bool{"1 kill 2 10": false, "1 kill 2 SIGUSR1": false, "1 kill 4 SIGUSR1": false, "1 kill 2 USR1": true} {
		if got := has(evs[line], SearchPassedAThread); got != want {
			t.Errorf("%s: search-passed-a-thread %v, want %v", line, got, want)
		}
	}
	evs = runEvents(t, `
		1 fork
		2 sigprocmask SIG_BLOCK SIGUSR1|SIGSEGV
		1 kill 2 SIGUSR1
		1 kill 2 SIGSEGV
		2 sigprocmask SIG_UNBLOCK SIGUSR1|SIGSEGV`)
	if !has(evs["2 sigprocmask SIG_UNBLOCK SIGUSR1|SIGSEGV"], SyncSignalFirst) {
		t.Errorf("death by SIGSEGV with SIGUSR1 left pending: %v, want sync-signal-first", evs["2 sigprocmask SIG_UNBLOCK SIGUSR1|SIGSEGV"])
	}
	evs = runEvents(t, `
		1 sigaction SIGCHLD handler 0
		1 fork
		2 clone SIGUSR1
		3 fork
		4 exit_group 0
		3 exit_group 0`)
	if !has(evs["3 exit_group 0"], InitNotifiedByChain) || has(evs["4 exit_group 0"], InitNotifiedByChain) {
		t.Errorf("chain to init: %v, want init-notified-by-chain; one zombie for 3: %v", evs["3 exit_group 0"], evs["4 exit_group 0"])
	}
}

func sameEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
