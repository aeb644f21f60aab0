package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/forkspec/forkspec/traces"
)

func init() {
	register(&command{name: "replay", summary: "replay trace files step by step on model, impl, linux, or several in lockstep", run: runReplay})
}

// runReplay parses every file first (any syntax error: status 2, nothing
// runs), then replays each and prints a table of the steps' results.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("replay", "[-backend model|impl|linux|both|B,B...] FILE... (- reads standard input)",
		"Replays each trace on the chosen backends in lockstep and prints one row per step:\n"+
			"its line, task, syscall, the expected result (blank when the trace expects none)\n"+
			"and each backend's result. A row marked ✗ is where a result differs. Every\n"+
			"`# expect:` assertion is checked on every backend after the steps above it. Replay\n"+
			"stops at the first divergence, unmet expectation or failed assertion, explains it\n"+
			"(file:line first) and exits 1. It keeps no state per step: any length replays.", stderr)
	backend := fs.String("backend", "both", "backends to run: model, impl, linux, uml, both (model,impl), or a comma-separated list")
	umlFlag(fs)
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "forkspec replay: no trace file given")
		fs.Usage()
		return exitBadArgs
	}
	bs, err := pickBackends(*backend)
	if err != nil {
		fmt.Fprintf(stderr, "forkspec replay: %v\n", err)
		return exitBadArgs
	}
	var ts []*traces.Trace
	bad := false
	for _, path := range fs.Args() {
		t, err := readTrace(path)
		if err != nil {
			fmt.Fprintf(stderr, "forkspec replay: %v\n", err)
			bad = true
			continue
		}
		ts = append(ts, t)
	}
	if bad {
		return exitBadArgs
	}
	status := exitOK
	for i, t := range ts {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		t.Options = withTarget(t.Options, bs) // the kernel under test's rules (uml.go)
		if why := umlSkip(t, bs); why != "" {
			fmt.Fprintf(stdout, "== %s\nskip %s\n", t.Name, why)
			continue
		}
		if !replayOne(t, bs, stdout) {
			status = exitFailed
			umlReport(bs, stdout)
		}
	}
	return status
}

// tableRows is how many rows are aligned together: the table is written
// as the replay goes, a block at a time, so that a long trace streams.
const tableRows = 500

// replayOne prints the table for one trace and reports whether it passed.
func replayOne(t *traces.Trace, bs []traces.Backend, w io.Writer) bool {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name
	}
	fmt.Fprintf(w, "== %s on %s\n", t.Name, strings.Join(names, ", "))
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	flush := func() {
		tw.Flush()
		io.WriteString(w, trimLines(table.String()))
		table.Reset()
	}
	fmt.Fprintf(tw, "line\ttid\tstep\twant\t%s\t\n", strings.Join(names, "\t"))
	rows := 0
	sum, err := traces.Stream(t, func(r traces.StepReport) {
		if r.Index < 0 {
			return
		}
		s := r.Step
		want := ""
		if s.Want != nil {
			want = traces.ResultText(s.Call, *s.Want)
		}
		mark := ""
		cells := make([]string, len(r.Results))
		for j, res := range r.Results {
			cells[j] = traces.ResultText(s.Call, res)
			if (s.Want != nil && res != *s.Want) || res != r.Results[0] {
				mark = "✗"
			}
		}
		fmt.Fprintf(tw, "%d\t%d\t%v\t%s\t%s\t%s\n", s.Line, s.Tid, s.Call, want, strings.Join(cells, "\t"), mark)
		if rows++; rows%tableRows == 0 {
			flush()
		}
	}, bs...)
	flush()
	for _, u := range sum.Unchecked {
		fmt.Fprintf(w, "note %s: unchecked on %s\n", t.Name, u)
	}
	if err != nil {
		fmt.Fprintf(w, "FAIL %v\n", err)
		return false
	}
	held := ""
	if n := len(t.Asserts); n > 0 {
		held = fmt.Sprintf(", %d assertions hold", n)
		if len(sum.Unchecked) > 0 {
			held = fmt.Sprintf(", %d assertions hold where they can be checked", n)
		}
	}
	agree := ""
	if len(bs) > 1 {
		agree = ", backends agree"
	}
	fmt.Fprintf(w, "ok   %d steps, every result as expected%s%s\n", len(t.Steps), held, agree)
	return true
}

// trimLines removes trailing blanks from every line (tabwriter pads the
// last column).
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
