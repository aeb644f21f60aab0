package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/docs"
	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/traces"
	"github.com/forkspec/forkspec/uml"
)

// The uml backend: the Linux oracle inside a kernel under test, booted as
// User-Mode Linux (package uml, docs/kernel-under-test.md).

// init: when this program was booted as a kernel under test's init, it
// serves the oracle there and never returns (uml.MaybeGuest).
func init() { uml.MaybeGuest() }

// umlKernel is the -uml-kernel flag of the commands that take -backend.
var umlKernel = uml.DefaultKernel

// umlFlag adds -uml-kernel to fs.
func umlFlag(fs *flag.FlagSet) {
	fs.StringVar(&umlKernel, "uml-kernel", uml.DefaultKernel,
		"User-Mode Linux kernel the uml backend boots (Debian's: apt-get install user-mode-linux)")
}

// umlBackend boots the kernel under test (once per process) and returns
// the uml backend, or why it cannot run.
func umlBackend() (traces.Backend, error) {
	if _, err := uml.Shared(umlKernel); err != nil {
		return traces.Backend{}, fmt.Errorf("backend uml cannot run here: %v", err)
	}
	return traces.Backend{Name: "uml", New: uml.Backend(umlKernel)}, nil
}

// umlMachine returns the booted kernel under test when bs holds the uml
// backend.
func umlMachine(bs []traces.Backend) (*uml.Machine, bool) {
	for _, b := range bs {
		if b.Name == "uml" {
			m, err := uml.Shared(umlKernel)
			return m, err == nil
		}
	}
	return nil, false
}

// withTarget gives options that name no target the kernel under test's,
// when bs holds the uml backend: every backend then follows that kernel's
// rules (abi.Target), and a trace saved from the run says so.
func withTarget(o traces.Options, bs []traces.Backend) traces.Options {
	if m, ok := umlMachine(bs); ok && o.Target == (abi.Target{}) {
		o.Target = m.Target()
	}
	return o
}

// umlSkip says why the kernel under test in bs cannot run t as written
// (its address space, or a step its target refuses), or "".
func umlSkip(t *traces.Trace, bs []traces.Backend) string {
	if m, ok := umlMachine(bs); ok {
		return m.TraceFits(t)
	}
	return ""
}

// umlNext draws the next step, drawing again (a bounded number of times)
// a step that names an address the kernel under test cannot represent.
func umlNext(g *gen.Generator, src gen.Source, v abi.View, bs []traces.Backend) (int, abi.Syscall) {
	tid, sc := g.Next(src, v)
	m, ok := umlMachine(bs)
	for i := 0; ok && i < 100; i++ {
		if fits, _ := m.Fits(sc); fits {
			break
		}
		tid, sc = g.Next(src, v)
	}
	return tid, sc
}

// umlReport prints why the kernel under test broke (a panic, a hang, an
// exit), after a run that failed; nothing when it did not break.
func umlReport(bs []traces.Backend, w io.Writer) {
	if m, ok := umlMachine(bs); ok {
		if err := m.Err(); err != nil {
			fmt.Fprintf(w, "the kernel under test broke: %v\n", err)
		}
	}
}

// specsOn runs every spec on the backends named by list and prints their
// index: for the uml backend, the index of the kernel under test, where a
// spec it cannot run as written (umlSkip) is skipped with the reason.
func specsOn(specs []docs.Spec, list, dir string, stdout, stderr io.Writer) int {
	bs, err := pickBackends(list)
	if err != nil {
		fmt.Fprintf(stderr, "forkspec specs: %v\n", err)
		return exitBadArgs
	}
	status := exitOK
	var cols []docs.Column
	var skipped []string
	for _, b := range bs {
		var skip func(docs.Spec) string
		switch b.Name {
		case "linux":
			b.Name = docs.LinuxColumn // its `# linux: skip` marks apply
		case "uml":
			m, _ := umlMachine(bs)
			skip = func(s docs.Spec) string { return m.TraceFits(s.Block.Trace) }
		}
		outcomes := docs.RunAllSkipping(specs, b, skip)
		col := docs.Column{Name: b.Name, Status: map[string]string{}}
		if m, ok := umlMachine([]traces.Backend{b}); ok {
			col.Name = "uml (Linux " + m.Release + ")"
		}
		for _, s := range specs {
			o := outcomes[s.ID]
			col.Status[s.ID] = o.Status.String()
			if o.Status == docs.Skipped && b.Name == "uml" {
				skipped = append(skipped, fmt.Sprintf("- %s on %s: %s", s.ID, col.Name, o.Msg))
			}
			if o.Status == docs.Fail {
				fmt.Fprintf(stderr, "%s:%d: %s on %s: %s\n", filepath.Join(dir, s.Page), o.Line, s.ID, col.Name, o.Msg)
				status = exitFailed
			}
		}
		cols = append(cols, col)
	}
	fmt.Fprint(stdout, docs.Index(specs, cols))
	if len(skipped) > 0 {
		fmt.Fprintln(stdout, "\nSkipped on the kernel under test (docs/kernel-under-test.md):")
		for _, l := range skipped {
			fmt.Fprintln(stdout, l)
		}
	}
	if status != exitOK {
		umlReport(bs, stderr)
	}
	return status
}
