package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

func init() {
	register(&command{name: "explain", summary: "draw the task tree, mappings and frames after each step of a trace", run: runExplain})
}

func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("explain", "[-format text|dot] [-backend B] [-step N] FILE",
		"Replays the trace on one backend and, before the first step and after each one, draws\n"+
			"the world: the task tree (pid, tid, state, the mm/fd/sighand/fs objects each task\n"+
			"uses), every address space's mappings, and under each mapping the pages that hold a\n"+
			"frame: value, frame number, refs (how many pages in all address spaces that frame\n"+
			"backs) and COW (a private page whose frame others share: the next store copies).\n"+
			"Frame numbers are canonical per step (first appearance), not stable across steps.\n"+
			"-format dot writes one Graphviz digraph per step (render with: dot -Tsvg -O).", stderr)
	format := fs.String("format", "text", "output format: text or dot")
	backend := fs.String("backend", "model", "backend to run: model, impl or linux")
	only := fs.Int("step", -1, "draw only after step N (0 = the initial state); -1 draws every step")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "forkspec explain: want exactly one trace file")
		fs.Usage()
		return exitBadArgs
	}
	if *format != "text" && *format != "dot" {
		fmt.Fprintf(stderr, "forkspec explain: unknown format %q (want text or dot)\n", *format)
		return exitBadArgs
	}
	bs, err := pickBackends(*backend)
	if err != nil || len(bs) != 1 {
		fmt.Fprintf(stderr, "forkspec explain: -backend must name one backend (model, impl or linux)\n")
		return exitBadArgs
	}
	t, err := readTrace(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "forkspec explain: %v\n", err)
		return exitBadArgs
	}
	if *only > len(t.Steps) {
		fmt.Fprintf(stderr, "forkspec explain: -step %d: the trace has %d steps\n", *only, len(t.Steps))
		return exitBadArgs
	}
	h, runErr := traces.Run(t, bs[0])
	if h == nil {
		fmt.Fprintf(stderr, "forkspec explain: %v\n", runErr)
		return exitFailed
	}
	draw := func(i int, title string, v abi.View) {
		if *only >= 0 && *only != i {
			return
		}
		p := newPicture(v)
		if *format == "dot" {
			p.writeDot(stdout, title)
			return
		}
		fmt.Fprintf(stdout, "== %s\n", title)
		p.writeText(stdout)
		fmt.Fprintln(stdout)
	}
	draw(0, fmt.Sprintf("%s: initial state (%s)", t.Name, bs[0].Name), h.Start)
	for i, r := range h.Results {
		s := t.Steps[i]
		title := fmt.Sprintf("step %d (line %d): %d %v -> %s", i+1, s.Line, s.Tid, s.Call, traces.ResultText(s.Call, r))
		if len(s.Before) > 0 || s.Comment != "" {
			notes := append(append([]string(nil), s.Before...), s.Comment)
			title += "\n   " + strings.TrimSpace(strings.Join(notes, "\n   "))
		}
		draw(i+1, title, h.Views[i])
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "forkspec explain: %v\n", runErr)
		return exitFailed
	}
	return exitOK
}
