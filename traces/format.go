package traces

import (
	"fmt"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// Alignment caps for Format: the "->" column and the '#' column line up
// across a trace's steps unless a step is longer than these.
const (
	arrowCap   = 56
	commentCap = 80
)

// Format prints the trace in canonical text that Parse reads back to an
// equal trace (Step.Line and Assertion.Line aside): the header comments and
// options, the assertions on the initial state, a blank line, then the
// steps with their comments, the "->" and '#' columns aligned, each
// followed by the assertions written after it. Multi-line comments become
// several comment lines.
func (t *Trace) Format() string {
	var b strings.Builder
	comment := func(text string) {
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimRight(l, " \t\r")
			if l == "" {
				b.WriteString("#\n")
			} else {
				b.WriteString("# " + l + "\n")
			}
		}
	}
	for _, c := range t.Comments {
		comment(c)
	}
	if t.Options != (Options{}) {
		b.WriteString("# " + optionPrefix + t.Options.format() + "\n")
	}
	headerEmpty := b.Len() == 0
	// Assertions go right below the step they follow (After), those on
	// the initial state right after the header.
	asserts := map[int][]Assertion{}
	for _, a := range t.Asserts {
		asserts[a.After] = append(asserts[a.After], a)
	}
	expect := func(after int) {
		for _, a := range asserts[after] {
			b.WriteString("# " + expectPrefix + " " + a.Text + "\n")
		}
	}
	expect(0)
	headerEmpty = headerEmpty && len(asserts[0]) == 0

	lefts := make([]string, len(t.Steps))
	mids := make([]string, len(t.Steps))
	arrowCol, commentCol := 0, 0
	for i, s := range t.Steps {
		lefts[i] = fmt.Sprintf("%d %v", s.Tid, s.Call)
		if s.Want != nil && len(lefts[i]) <= arrowCap {
			arrowCol = max(arrowCol, len(lefts[i]))
		}
	}
	for i, s := range t.Steps {
		mids[i] = lefts[i]
		if s.Want != nil {
			mids[i] = pad(lefts[i], arrowCol) + " -> " + ResultText(s.Call, *s.Want)
		}
		if s.Comment != "" && len(mids[i]) <= commentCap {
			commentCol = max(commentCol, len(mids[i]))
		}
	}

	for i, s := range t.Steps {
		// A blank line ends the header and sets off each explained step.
		if len(s.Before) > 0 || (i == 0 && !headerEmpty) {
			b.WriteString("\n")
		}
		for _, c := range s.Before {
			comment(c)
		}
		line := mids[i]
		if s.Comment != "" {
			line = pad(line, commentCol) + "  # " + strings.ReplaceAll(s.Comment, "\n", " ")
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		expect(i + 1)
	}
	if len(t.Tail) > 0 {
		b.WriteString("\n")
		for _, c := range t.Tail {
			comment(c)
		}
	}
	return b.String()
}

// format prints the options as " key=value ..." (with a leading space).
func (o Options) format() string {
	var s string
	if o.MaxTasks != 0 {
		s += fmt.Sprintf(" max-tasks=%d", o.MaxTasks)
	}
	if o.PKU != abi.FeatureUnknown {
		s += " pku=" + o.PKU.String()
	}
	switch o.CommitPages {
	case 0:
	case abi.CommitUnlimited:
		s += " commit-pages=unlimited"
	default:
		s += fmt.Sprintf(" commit-pages=%d", o.CommitPages)
	}
	if o.DacMmapMinAddr != 0 {
		s += fmt.Sprintf(" dac-mmap-min-addr=%d", o.DacMmapMinAddr)
	}
	if o.Target.Release != "" {
		s += " kernel=" + string(o.Target.Release)
	}
	if o.Target.Layout != abi.LayoutTopDown {
		s += " mmap=" + o.Target.Layout.String()
	}
	if o.Target.Arch != "" {
		s += " arch=" + string(o.Target.Arch)
	}
	return s
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}
