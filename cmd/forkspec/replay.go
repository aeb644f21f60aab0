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
	fs := newFlags("replay", "[-backend model|impl|both] FILE...",
		"Replays each trace on the chosen backends in lockstep and prints one row per step:\n"+
			"its line, task, syscall, the expected result (blank when the trace expects none)\n"+
			"and each backend's result. A row marked ✗ is where a result differs. Replay stops\n"+
			"at the first divergence or unmet expectation and explains it.", stderr)
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
		t, err := traces.ParseFile(path)
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

// replayOne prints the table for one trace and reports whether it passed.
func replayOne(t *traces.Trace, bs []traces.Backend, w io.Writer) bool {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name
	}
	fmt.Fprintf(w, "== %s on %s\n", t.Name, strings.Join(names, ", "))
	hs, err := traces.Replay(t, bs...)
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "line\ttid\tstep\twant\t%s\t\n", strings.Join(names, "\t"))
	ran := 0
	if len(hs) > 0 {
		ran = len(hs[0].Results)
	}
	for i := 0; i < ran; i++ {
		s := t.Steps[i]
		want := ""
		if s.Want != nil {
			want = traces.ResultText(s.Call, *s.Want)
		}
		mark := ""
		cells := make([]string, len(hs))
		for j, h := range hs {
			r := h.Results[i]
			cells[j] = traces.ResultText(s.Call, r)
			if (s.Want != nil && r != *s.Want) || r != hs[0].Results[i] {
				mark = "✗"
			}
		}
		fmt.Fprintf(tw, "%d\t%d\t%v\t%s\t%s\t%s\n", s.Line, s.Tid, s.Call, want, strings.Join(cells, "\t"), mark)
	}
	tw.Flush()
	io.WriteString(w, trimLines(table.String()))
	if err != nil {
		fmt.Fprintf(w, "FAIL %v\n", err)
		return false
	}
	agree := ""
	if len(bs) > 1 {
		agree = ", backends agree"
	}
	fmt.Fprintf(w, "ok   %d steps, every result as expected%s\n", len(t.Steps), agree)
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
