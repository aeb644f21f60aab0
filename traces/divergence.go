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
)

var kindNames = [...]string{
	KindPanic: "panic", KindInvariant: "invariant violated", KindResult: "results differ",
	KindView: "views differ", KindExpectation: "unexpected result",
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
	// Err is the panic or the invariant violations.
	Err error
	// History lists the steps before this one in trace syntax, with the
	// reference backend's results.
	History []string
}

// historyShown bounds the history lines Error prints.
const historyShown = 40

// Error reports the step, both Results, the Views' diff, the error and the
// history so far.
func (d *Divergence) Error() string {
	var b strings.Builder
	where := d.Trace
	if d.Step.Line > 0 {
		where = fmt.Sprintf("%s:%d", d.Trace, d.Step.Line)
	}
	if d.Index < 0 {
		fmt.Fprintf(&b, "%s: initial state: %s (%s vs %s)\n", where, d.Kind, d.A, d.B)
	} else {
		call := fmt.Sprintf("%d %v", d.Step.Tid, d.Step.Call)
		fmt.Fprintf(&b, "%s: step %d `%s`: %s\n", where, d.Index+1, call, d.Kind)
	}
	switch d.Kind {
	case KindPanic, KindInvariant:
		fmt.Fprintf(&b, "  %s: %v\n", d.B, indent(fmt.Sprint(d.Err), "    "))
		if d.Kind == KindInvariant && d.Index >= 0 {
			fmt.Fprintf(&b, "  result: %s\n", d.ResultB)
		}
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
			fmt.Fprintf(&b, "    … %d earlier steps\n", len(h)-historyShown)
			h = h[len(h)-historyShown:]
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
