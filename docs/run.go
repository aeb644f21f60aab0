package docs

import (
	"fmt"
	"io"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

// Status is how a spec fared on one backend.
type Status int

const (
	// Pass: every step returned what the block expects and every assertion held.
	Pass Status = iota
	// PassUnchecked: nothing failed, but some assertion needs a capability
	// the backend lacks (see Outcome.Unchecked).
	PassUnchecked
	// Fail: a step result, an assertion or the backend's own invariants failed.
	Fail
	// Skipped: the spec says it cannot run on this backend (`# linux: skip`).
	Skipped
)

var statusText = [...]string{Pass: "pass", PassUnchecked: "pass*", Fail: "FAIL", Skipped: "skip"}

// String is the status as the index shows it.
func (s Status) String() string { return statusText[s] }

// Outcome is the result of running one spec on one backend.
type Outcome struct {
	Status Status
	// Line is the page line of the first failure; 0 when none.
	Line int
	// Msg says what failed: the step or assertion, what was expected and
	// what happened. Empty on success.
	Msg string
	// Unchecked lists the assertions the backend could not check.
	Unchecked []string
	// BackendBroken: the failure is the backend's own (its Err reported a
	// driver failure), not a verdict on the spec; running again may help.
	BackendBroken bool
	// History is every step that ran, as "line: TID CALL -> RESULT" with the
	// result it returned, for reading a failure in context.
	History []string
	// Got maps the page line of every step that ran to the result it
	// returned, in trace syntax (traces.ResultText), for -update.
	Got map[int]string
}

// Run runs s on a fresh kernel from b. It stops at the first failure unless
// keepGoing, in which case it runs every step (recording Got) and reports
// the first failure. The block's assertions are the trace format's
// (traces.Assertion), checked by a traces.Asserter after the step above
// each; one that needs frame identities on a backend that is not an
// abi.FrameNamer is reported unchecked, never passed. A backend that panics
// fails the spec; Run itself does not panic.
func Run(s Spec, b traces.Backend, keepGoing bool) (out Outcome) {
	out.Got = map[int]string{}
	if s.Block.Trace == nil {
		return Outcome{Status: Fail, Line: s.Line, Msg: "the spec's trace block did not parse"}
	}
	tr := s.Block.Trace
	current := ""
	defer func() {
		if r := recover(); r != nil {
			out.Status, out.Line = Fail, 0
			out.Msg = fmt.Sprintf("%s panicked during %s: %v", b.Name, current, r)
		}
	}()
	current = "construction"
	k := b.New(tr.Options.Config())
	if c, ok := k.(io.Closer); ok {
		defer c.Close()
	}
	checker, _ := k.(abi.Checker)
	asserter := traces.NewAsserter(b.Name, k, tr.Asserts)

	fail := func(line int, format string, args ...any) {
		if out.Status != Fail {
			out.Status, out.Line, out.Msg = Fail, line, fmt.Sprintf(format, args...)
		}
	}
	expect := func(i int) {
		if !asserter.Due(i) {
			return
		}
		current = fmt.Sprintf("the assertions after step %d", i+1)
		for _, f := range asserter.AfterStep(i, k.View()) {
			fail(f.Assertion.Line, "%v", f)
		}
	}
	expect(-1)
	for i, st := range tr.Steps {
		if out.Status == Fail && !keepGoing {
			break
		}
		current = "step " + st.String()
		asserter.BeforeStep(i)
		got := k.Step(st.Tid, st.Call)
		out.Got[st.Line] = traces.ResultText(st.Call, got)
		out.History = append(out.History, fmt.Sprintf("%d: %d %v -> %s", st.Line, st.Tid, st.Call, out.Got[st.Line]))
		if st.Want != nil && got != *st.Want {
			fail(st.Line, "step `%d %v`: got %s, want %s", st.Tid, st.Call,
				traces.ResultText(st.Call, got), traces.ResultText(st.Call, *st.Want))
		}
		if checker != nil {
			current = "CheckInvariants after " + current
			if err := checker.CheckInvariants(); err != nil {
				fail(st.Line, "invariants broken after step `%d %v`: %v", st.Tid, st.Call, err)
			}
		}
		if out.Status == Fail && !keepGoing {
			break
		}
		expect(i)
	}
	out.Unchecked = asserter.Unchecked()
	// A backend that can break by itself (the Linux oracle's driver: a
	// timeout, a dead agent) says so through Err; its results are then void.
	if e, ok := k.(interface{ Err() error }); ok {
		if err := e.Err(); err != nil {
			out.Status, out.Line, out.BackendBroken = Fail, s.Block.Line, true
			out.Msg = fmt.Sprintf("%s itself failed, so its results say nothing about the spec: %v", b.Name, err)
		}
	}
	if out.Status != Fail && len(out.Unchecked) > 0 {
		out.Status = PassUnchecked
	}
	return out
}

// LinuxColumn names the Linux oracle's backend and its index column.
// Specs marked `# linux: skip` are not run on a backend with this name.
const LinuxColumn = "Linux"

// RunAll runs every spec on b and returns the outcomes by spec ID. On the
// Linux oracle (b.Name == LinuxColumn) specs marked `# linux: skip` are
// Skipped. A run that failed because the backend itself broke
// (Outcome.BackendBroken) is tried up to twice more: it says nothing about
// the spec.
func RunAll(specs []Spec, b traces.Backend) map[string]Outcome {
	return RunAllSkipping(specs, b, nil)
}

// RunAllSkipping is RunAll with one more reason to skip a spec on b: skip,
// when set, returns why b cannot run it (a kernel under test whose address
// space cannot hold the spec's addresses), or "".
func RunAllSkipping(specs []Spec, b traces.Backend, skip func(Spec) string) map[string]Outcome {
	out := make(map[string]Outcome, len(specs))
	for _, s := range specs {
		if b.Name == LinuxColumn && s.Block.LinuxSkip != "" {
			out[s.ID] = Outcome{Status: Skipped, Msg: s.Block.LinuxSkip}
			continue
		}
		if why := ""; skip != nil && s.Block.Trace != nil {
			if why = skip(s); why != "" {
				out[s.ID] = Outcome{Status: Skipped, Msg: why}
				continue
			}
		}
		o := Run(s, b, false)
		for try := 1; try < 3 && o.BackendBroken; try++ {
			o = Run(s, b, false)
		}
		out[s.ID] = o
	}
	return out
}
