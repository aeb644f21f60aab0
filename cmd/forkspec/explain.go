package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/forkspec/forkspec/traces"
)

func init() {
	register(&command{name: "explain", summary: "draw the task tree, mappings and frames after each step of a trace (text, dot, html)", run: runExplain})
}

const explainHelp = `Replays the trace and, before the first step and after each one, draws the world: the
task tree (pid, tid, state: running, frozen (a vfork parent) or zombie; the mm, fd table,
sighand and fs each task uses; blocked and pending signals), every address space's
mappings, and under each mapping the pages that hold a frame: value, frame, refs (how
many pages in all address spaces that frame backs), COW (a private page whose frame
others share: the next store copies) and new (the frame appeared at this step).

Names are stable across the steps of one trace: frame 2 is the same physical frame at
every step it appears (named by the backend's FrameID; a backend that cannot name its
frames says so, and its frame numbers hold for one step only), and mm2, fds2, file2,
sighand2 and fs2 the same object while it lives. A new object gets a new number.

Formats:
  text  indented text, one block per step (the default).
  dot   one Graphviz digraph per step; render every step, one SVG file each, with
          forkspec explain -format dot FILE | dot -Tsvg -O
  html  one self-contained page (no network, no external files; open it from disk)
        with a step slider (keys ← → Home End), the trace's comments as captions,
        pages coloured and labelled by frame so sharing and copying show, fd tables,
        signals and each step's result. Printed or read without scripts it shows
        every step in order. With several backends (-backend model,impl, or both)
        the page shows them side by side and highlights the first divergence:
          forkspec explain -format html -backend both failing.trace > failing.html

FILE may be - for standard input. Exit status 1 (the page or pictures up to the failing
step are still written) when a result differs from the trace's expectation, backends
disagree, or a backend breaks an invariant.`

func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("explain", "[-format text|dot|html] [-backend B] [-step N] FILE", explainHelp, stderr)
	format := fs.String("format", "text", "output format: text, dot or html")
	backend := fs.String("backend", "model", "backend to run: model, impl, linux or uml; for html also a comma-separated list or both (model,impl), shown side by side")
	umlFlag(fs)
	only := fs.Int("step", 0, "text, dot: draw only after step N (0 = the initial state; every step when not given); html: the step the page opens at (default: the divergence, or 0)")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	stepSet := false
	fs.Visit(func(f *flag.Flag) { stepSet = stepSet || f.Name == "step" })
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "forkspec explain: "+format+"\n", a...)
		return exitBadArgs
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "forkspec explain: want exactly one trace file")
		fs.Usage()
		return exitBadArgs
	}
	switch *format {
	case "text", "dot", "html":
	default:
		return bad("unknown format %q (want text, dot or html)", *format)
	}
	bs, err := pickBackends(*backend)
	if err != nil {
		return bad("%v", err)
	}
	if len(bs) != 1 && *format != "html" {
		return bad("-format %s must name one backend (model, impl, linux or uml); -format html shows several side by side", *format)
	}
	t, err := readTrace(fs.Arg(0))
	if err != nil {
		return bad("%v", err)
	}
	if len(t.Steps) == 0 {
		return bad("%s: no steps", t.Name)
	}
	t.Options = withTarget(t.Options, bs) // the kernel under test's rules (uml.go)
	if stepSet && (*only < 0 || *only > len(t.Steps)) {
		return bad("-step %d: want 0 (the initial state) to %d (the trace has %d steps)", *only, len(t.Steps), len(t.Steps))
	}
	var runErr error
	if *format == "html" {
		start := -1
		if stepSet {
			start = *only
		}
		runErr = writeHTML(stdout, t, bs, start)
	} else {
		runErr = drawSteps(stdout, t, bs, *format, stepSet, *only)
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "forkspec explain: %v\n", runErr)
		return exitFailed
	}
	return exitOK
}

// stepTitle is the heading of shot sh of trace t on the named backend.
func stepTitle(t *traces.Trace, sh *shot, backend string) string {
	if sh.step == nil {
		return fmt.Sprintf("%s: initial state (%s)", t.Name, backend)
	}
	s := sh.step
	title := fmt.Sprintf("step %d (line %d): %d %v -> %s", sh.index, s.Line, s.Tid, s.Call, traces.ResultText(s.Call, sh.results[0]))
	if notes := stepNotes(s); len(notes) > 0 {
		title += "\n   " + strings.Join(notes, "\n   ")
	}
	return title
}

// stepNotes are the comments that explain step s: the lines above it, then
// the one on its line.
func stepNotes(s *traces.Step) []string {
	notes := append([]string(nil), s.Before...)
	if s.Comment != "" {
		notes = append(notes, s.Comment)
	}
	for len(notes) > 0 && strings.TrimSpace(notes[0]) == "" {
		notes = notes[1:]
	}
	return notes
}

// drawSteps writes the text or dot picture of every shot (only shot `only`
// when onlySet) as the run goes, keeping one step in memory.
func drawSteps(w io.Writer, t *traces.Trace, bs []traces.Backend, format string, onlySet bool, only int) error {
	return record(t, bs, func(sh *shot) {
		if onlySet && sh.index != only {
			return
		}
		if sh.missing[0] != "" {
			fmt.Fprintf(w, "== %s\n  (%s)\n\n", stepTitle(t, sh, bs[0].Name), sh.missing[0])
			return
		}
		p := newNamedPicture(sh.views[0], sh.names[0])
		title := stepTitle(t, sh, bs[0].Name)
		if format == "dot" {
			p.writeDot(w, title)
			return
		}
		fmt.Fprintf(w, "== %s\n", title)
		p.writeText(w)
		fmt.Fprintln(w)
	})
}
