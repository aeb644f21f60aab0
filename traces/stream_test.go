package traces

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// named is a fake that names its one frame across steps (abi.FrameNamer):
// the frame is renamed by every store when moves is set.
type named struct {
	fakeChecked
	moves bool
	name  uint64
}

func (n *named) Step(tid int, sc abi.Syscall) abi.Result {
	if _, ok := sc.(abi.Store); ok && (n.moves || n.name == 0) {
		n.name++
	}
	return n.fakeChecked.Step(tid, sc)
}

func (n *named) FrameID(tid int, addr uint64) (uint64, bool) {
	return n.name, n.word != 0 && addr&^(abi.PageSize-1) == abi.ArenaStart
}

func namedBackend(name string, moves bool) Backend {
	return Backend{Name: name, New: func(c abi.Config) abi.Kernel {
		return &named{fakeChecked: fakeChecked{&fake{tasks: 1, limit: c.Limit()}}, moves: moves}
	}}
}

// broken is a fake whose Err reports a failure of its own from step n on
// (n = 0: it could not start), as the Linux oracle's driver does.
type broken struct {
	fakeChecked
	at, steps int
}

func (b *broken) Step(tid int, sc abi.Syscall) abi.Result {
	b.steps++
	return b.fakeChecked.Step(tid, sc)
}

func (b *broken) Err() error {
	if b.steps >= b.at {
		return errors.New("the driver timed out")
	}
	return nil
}

func brokenBackend(at int) Backend {
	return Backend{Name: "broken", New: func(c abi.Config) abi.Kernel {
		return &broken{fakeChecked: fakeChecked{&fake{tasks: 1, limit: c.Limit()}}, at: at}
	}}
}

const asserting = `# asserting
# expect: group 1: 1
1 fork -> 2
# expect: state 2 running
# expect: ppid 2 0
1 store 0x100000000000 0x2a -> 0
# expect: frames 1
1 store 0x100000000000 0x2b -> 0
# expect: frame 1:0x100000000000 kept
# expect: frame 2:0x100000000000 kept
`

// TestReplayChecksAssertions: every `# expect:` line is checked after the
// steps above it, on every backend; one that does not hold stops the
// replay at its own line, naming the backend and what holds instead.
func TestReplayChecksAssertions(t *testing.T) {
	tr := mustParse(t, asserting)
	if len(tr.Asserts) != 6 || tr.Asserts[0].After != 0 || tr.Asserts[3].After != 2 || tr.Asserts[3].Line != 7 {
		t.Fatalf("parsed assertions %+v", tr.Asserts)
	}
	if _, err := Stream(tr, nil, namedBackend("a", false), namedBackend("b", false)); err != nil {
		t.Fatalf("assertions that hold fail: %v", err)
	}
	wrong := mustParse(t, strings.Replace(asserting, "state 2 running", "state 2 zombie", 1))
	_, err := Stream(wrong, nil, namedBackend("a", false))
	var d *Divergence
	if !errors.As(err, &d) || d.Kind != KindAssertion || d.Index != 0 || d.Assert == nil || d.Assert.Line != 4 {
		t.Fatalf("got %v, want an assertion failure at line 4 after step 1", err)
	}
	for _, want := range []string{"demo.trace:4: expect state 2 zombie: assertion failed on a after step 1 `1 fork`", "task 2 is running"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, err)
		}
	}
	initial := mustParse(t, "# expect: group 1: 1 2\n1 fork\n")
	if _, err := Stream(initial, nil, namedBackend("a", false)); err == nil || !strings.Contains(err.Error(), "in the initial state") {
		t.Errorf("an assertion on the initial state: got %v", err)
	}
}

// TestKeptNeedsFrameNames: `frame T:ADDR kept` compares the backend's frame
// names across the step: it fails when the store renamed the frame, and is
// reported unchecked (not passed) on a backend that cannot name frames.
func TestKeptNeedsFrameNames(t *testing.T) {
	tr := mustParse(t, asserting)
	_, err := Stream(tr, nil, namedBackend("moving", true))
	var d *Divergence
	if !errors.As(err, &d) || d.Kind != KindAssertion || d.Assert.Text != "frame 1:0x100000000000 kept" {
		t.Fatalf("a store that moved the frame: got %v", err)
	}
	sum, err := Stream(tr, nil, fakeBackend("plain", nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Unchecked) != 2 || !strings.Contains(sum.Unchecked[0], "plain: line 9: frame 1:0x100000000000 kept") {
		t.Errorf("unchecked = %q, want the two kept assertions", sum.Unchecked)
	}
	if sum.Steps != 3 {
		t.Errorf("Summary.Steps = %d, want 3", sum.Steps)
	}
}

// TestInitialDivergenceDoesNotPanic: backends whose initial Views differ,
// or one that breaks as it starts, are a divergence at step 0 (the initial
// state), reported with the Views' diff or the backend's error; Replay
// still returns the initial Views.
func TestInitialDivergenceDoesNotPanic(t *testing.T) {
	tr := mustParse(t, demo)
	two := fakeBackend("two", func(f *fake) { f.tasks = 2 })
	hs, err := Replay(tr, fakeBackend("one", nil), two)
	var d *Divergence
	if !errors.As(err, &d) || d.Kind != KindView || d.Index != -1 {
		t.Fatalf("different initial Views: got %v", err)
	}
	if !strings.Contains(err.Error(), "demo.trace: step 0 (the initial state): views differ (one vs two)") || d.Diff == "" {
		t.Errorf("message:\n%s", err)
	}
	if len(hs) != 2 || len(hs[1].Start.Tasks) != 2 || len(hs[0].Results) != 0 {
		t.Errorf("histories %+v", hs)
	}
	_, err = Stream(tr, nil, fakeBackend("one", nil), brokenBackend(0))
	if !errors.As(err, &d) || d.Kind != KindBackend || d.Index != -1 || !strings.Contains(err.Error(), "step 0 (the initial state): backend failed (broken)") {
		t.Fatalf("a backend that fails at start: got %v", err)
	}
	if _, err := NewLock("x", Options{}, fakeBackend("one", nil), two); err == nil {
		t.Error("NewLock of backends with different initial Views succeeded")
	}
}

// TestBackendFailureMidway: a backend that reports its own failure after a
// step diverges there as KindBackend, not as a difference of results.
func TestBackendFailureMidway(t *testing.T) {
	tr := mustParse(t, demo)
	_, err := Stream(tr, nil, fakeBackend("one", nil), brokenBackend(2))
	var d *Divergence
	if !errors.As(err, &d) || d.Kind != KindBackend || d.Index != 1 || !strings.Contains(err.Error(), "the driver timed out") {
		t.Fatalf("got %v, want the backend's failure at step 2", err)
	}
}

// TestStreamCallsBackPerStep: Stream shows the initial state and each step
// once, with every backend's Result and View, and keeps a divergence's
// history to its last steps.
func TestStreamCallsBackPerStep(t *testing.T) {
	var src strings.Builder
	for range 100 {
		src.WriteString("1 getpid -> 1\n")
	}
	src.WriteString("1 fork -> 3\n")
	tr := mustParse(t, src.String())
	var seen []int
	_, err := Stream(tr, func(r StepReport) {
		seen = append(seen, r.Index)
		if len(r.Views) != 2 || (r.Index >= 0 && len(r.Results) != 2) {
			t.Errorf("step %d: %d views, %d results", r.Index, len(r.Views), len(r.Results))
		}
	}, fakeBackend("a", nil), fakeBackend("b", nil))
	var d *Divergence
	if !errors.As(err, &d) || d.Index != 100 {
		t.Fatalf("got %v, want the fork's unmet expectation", err)
	}
	if len(seen) != 102 || seen[0] != -1 || seen[101] != 100 {
		t.Errorf("callbacks for %d points, first %d, last %d", len(seen), seen[0], seen[len(seen)-1])
	}
	if len(d.History) != historyShown || d.Earlier != 100-historyShown || d.History[historyShown-1] != "1 getpid -> 1" {
		t.Errorf("history %d lines, %d earlier", len(d.History), d.Earlier)
	}
	if !strings.Contains(err.Error(), "… 60 earlier steps") {
		t.Errorf("message:\n%s", err)
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestStreamMemoryIsBounded: a 100,000-step trace replays in lockstep on
// two backends whose every View holds 30 tasks with a live heap that stays
// within a few megabytes of what the trace itself takes, however far it
// has run: Stream keeps no View per step (a History of this trace would
// hold 200,000 Views, most of a gigabyte). Bounded by measured heap, not by
// time.
func TestStreamMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 100,000 lockstep steps")
	}
	const n = 100_000
	tr := &Trace{Name: "long.trace", Steps: make([]Step, n)}
	for i := range tr.Steps {
		tr.Steps[i] = Step{Tid: 1, Call: abi.Getpid{}, Want: &abi.Result{Ret: 1}}
	}
	big := func(f *fake) { f.tasks = 30 }
	base := liveHeap()
	var peak uint64
	sum, err := Stream(tr, func(r StepReport) {
		if r.Index%10_000 == 9_999 {
			peak = max(peak, liveHeap())
		}
	}, fakeBackend("a", big), fakeBackend("b", big))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != n {
		t.Fatalf("ran %d of %d steps", sum.Steps, n)
	}
	grew := int64(peak) - int64(base)
	t.Logf("live heap: %d bytes with the trace, at most %+d while replaying it", base, grew)
	if grew > 4<<20 {
		t.Errorf("the live heap grew by %d bytes while streaming: something keeps per-step state", grew)
	}
}
