package traces

import (
	"fmt"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// Kind says what went wrong at a step.
type Kind int

const (
	// KindPanic: backend B panicked (Err holds the panic and stack).
	KindPanic Kind = iota
	// KindInvariant: backend B's CheckInvariants failed (Err).
	KindInvariant
	// KindResult: backends A and B returned different Results.
	KindResult
	// KindView: A and B returned equal Results but their Views differ.
	KindView
	// KindExpectation: backend B's Result is not the trace's expectation
	// (A is "want").
	KindExpectation
	// KindAssertion: an `# expect:` assertion (Assert) does not hold on
	// backend B (Err says what holds instead).
	KindAssertion
	// KindBackend: backend B failed by itself (Err): it could not start,
	// or its driver broke; its results say nothing about the trace.
	KindBackend
)

var kindNames = [...]string{
	KindPanic: "panic", KindInvariant: "invariant violated", KindResult: "results differ",
	KindView: "views differ", KindExpectation: "unexpected result", KindAssertion: "assertion failed",
	KindBackend: "backend failed",
}

// String names the kind.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Divergence is the first failure of a replay: the step, what each side
// returned and how the Views differ. Its Error text is for people; the
// fields are for programs. The diff text comes from go-cmp, whose format is
// deliberately unstable: show it, never store or compare it.
type Divergence struct {
	// Trace names the trace.
	Trace string
	// Index is the step's index in the trace (0-based); -1 for the initial
	// state, before any step.
	Index int
	// Step is the failing step (its Line is 0 when it was not parsed).
	Step Step
	Kind Kind
	// A and B label the two sides compared: backend names, or "want" and
	// a backend for KindExpectation. For KindPanic and KindInvariant both
	// name the failing backend.
	A, B string
	// ResultA and ResultB are the two sides' Results of the step.
	ResultA, ResultB abi.Result
	// Diff shows how the Views differ, labelled DiffLabel: "-A +B" for
	// two backends, "-before +after" (what the step changed) for an unmet
	// expectation. Empty when there is nothing to show.
	Diff, DiffLabel string
	// Err is the panic, the invariant violations, the backend's failure or
	// what an assertion found instead.
	Err error
	// Assert is the assertion that failed (KindAssertion), else nil.
	Assert *Assertion
	// History lists the steps before this one in trace syntax, with the
	// reference backend's results: at most the last historyShown of them;
	// Earlier counts those left out before History[0].
	History []string
	Earlier int
}

// historyShown bounds the history lines Error prints.
const historyShown = 40

// Error reports the step, both Results, the Views' diff, the error and the
// history so far.
func (d *Divergence) Error() string {
	var b strings.Builder
	where := d.Trace
	switch {
	case d.Assert != nil && d.Assert.Line > 0:
		where = fmt.Sprintf("%s:%d", d.Trace, d.Assert.Line)
	case d.Step.Line > 0:
		where = fmt.Sprintf("%s:%d", d.Trace, d.Step.Line)
	}
	at := "step 0 (the initial state)"
	if d.Index >= 0 {
		at = fmt.Sprintf("step %d `%d %v`", d.Index+1, d.Step.Tid, d.Step.Call)
	}
	switch d.Kind {
	case KindAssertion:
		when := "after " + at
		if d.Index < 0 {
			when = "in the initial state"
		}
		fmt.Fprintf(&b, "%s: expect %s: %s on %s %s\n  %s: %v\n", where, d.Assert.Text, d.Kind, d.B, when, d.B, d.Err)
	case KindPanic, KindInvariant, KindBackend:
		fmt.Fprintf(&b, "%s: %s: %s (%s)\n", where, at, d.Kind, d.B)
		fmt.Fprintf(&b, "  %s: %v\n", d.B, indent(fmt.Sprint(d.Err), "    "))
		if d.Kind == KindInvariant && d.Index >= 0 {
			fmt.Fprintf(&b, "  result: %s\n", d.ResultB)
		}
	case KindView, KindResult, KindExpectation:
		if d.Index < 0 {
			fmt.Fprintf(&b, "%s: %s: %s (%s vs %s)\n", where, at, d.Kind, d.A, d.B)
		} else {
			fmt.Fprintf(&b, "%s: %s: %s\n", where, at, d.Kind)
		}
	}
	switch d.Kind {
	case KindPanic, KindInvariant, KindBackend, KindAssertion:
	default:
		if d.Index >= 0 {
			w := max(len(d.A), len(d.B)) + 1
			fmt.Fprintf(&b, "  %-*s  %s\n  %-*s  %s\n", w, d.A+":", ResultText(d.Step.Call, d.ResultA), w, d.B+":", ResultText(d.Step.Call, d.ResultB))
		}
	}
	if d.Diff != "" {
		fmt.Fprintf(&b, "  view diff (%s):\n%s\n", d.DiffLabel, block(d.Diff, "    "))
	}
	if len(d.History) > 0 {
		h := d.History
		b.WriteString("  history:\n")
		if len(h) > historyShown {
			h = h[len(h)-historyShown:]
		}
		if earlier := d.Earlier + len(d.History) - len(h); earlier > 0 {
			fmt.Fprintf(&b, "    … %d earlier steps\n", earlier)
		}
		for _, l := range h {
			b.WriteString("    " + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// indent leaves a one-line text as is and turns a longer one into a block
// on its own lines, each prefixed, so multi-line errors stay readable.
func indent(s, prefix string) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) == 1 {
		return s
	}
	return "\n" + prefix + strings.Join(lines, "\n"+prefix)
}

// block prefixes every line of s.
func block(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
