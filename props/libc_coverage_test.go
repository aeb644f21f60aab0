package props

import (
	"slices"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/traces"
)

// TestCoverageNamesLibcEvents: the gate requires the events of issue 12,
// and the classifier finds each of them in the corpus traces that show
// them and in a few steps written here; the sequences without them leave
// them missing, so a run that never hits them fails the gate.
func TestCoverageNamesLibcEvents(t *testing.T) {
	libc := []gen.Event{gen.BlockedThenWoken, gen.PipeEOF, gen.PipeEPIPE, gen.CtidCleared, gen.FutexWoken,
		gen.SleepInterrupted, gen.SleepRestarted}
	for _, e := range libc {
		if !slices.Contains(gen.Required(), e) {
			t.Errorf("%v is not a required event", e)
		}
	}
	var cov gen.Coverage
	for _, p := range []string{"../traces/shell-pipeline.trace", "../traces/pthread-join.trace", "../traces/posix-spawn.trace"} {
		tr, err := traces.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Replay(tr.Options, CheckAll, []Backend{Model}, tr.Steps, nil)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		cov.Merge(&m.Cov)
	}
	// A write with no reader, SIGPIPE ignored; a caught signal ending a
	// wait4 without SA_RESTART, then restarting one with it.
	steps := []traces.Step{
		{Tid: 1, Call: abi.Sigaction{Sig: abi.SIGPIPE, Handler: abi.SigIgnore}},
		{Tid: 1, Call: abi.Pipe2{}},
		{Tid: 1, Call: abi.Close{Fd: 0}},
		{Tid: 1, Call: abi.Write{Fd: 1, N: 10}},
		{Tid: 1, Call: abi.Fork{}},
		{Tid: 2, Call: abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle}},
		{Tid: 2, Call: abi.Fork{}},
		{Tid: 2, Call: abi.Wait4{Pid: 3}},
		{Tid: 3, Call: abi.Kill{Pid: 2, Sig: abi.SIGUSR1}},
		{Tid: 2, Call: abi.Sigaction{Sig: abi.SIGUSR1, Handler: abi.SigHandle, Flags: abi.SA_RESTART}},
		{Tid: 2, Call: abi.Wait4{Pid: 3}},
		{Tid: 3, Call: abi.Kill{Pid: 2, Sig: abi.SIGUSR1}},
		{Tid: 3, Call: abi.ExitGroup{}},
	}
	m, err := Replay(opts, CheckAll, []Backend{Model}, steps, nil)
	if err != nil {
		t.Fatal(err)
	}
	cov.Merge(&m.Cov)
	missing := cov.Missing()
	for _, e := range libc {
		if cov[e] == 0 {
			t.Errorf("%v never counted over the corpus traces and the steps here", e)
		}
		if slices.Contains(missing, e) {
			t.Errorf("%v counted but reported missing", e)
		}
	}
	// The same world without any of it: a fork, a store, a reap.
	m, err = Replay(opts, CheckAll, []Backend{Model}, []traces.Step{
		{Tid: 1, Call: abi.Fork{}}, {Tid: 2, Call: abi.Store{Addr: page, Value: 1}}, {Tid: 2, Call: abi.ExitGroup{}},
		{Tid: 1, Call: abi.Wait4{Pid: -1, Options: abi.WNOHANG}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range libc {
		if !slices.Contains(m.Cov.Missing(), e) {
			t.Errorf("a run without sleeps, pipes or tid words does not miss %v", e)
		}
	}
}
