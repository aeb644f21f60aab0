package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/forkspec/forkspec/docs"
	"github.com/forkspec/forkspec/linux"
	"github.com/forkspec/forkspec/traces"
)

func init() {
	register(&command{
		name:    "specs",
		summary: "run the executable specs in docs/ and print their index",
		run:     runSpecs,
	})
}

// runSpecs runs every spec of the docs pages on the model, the impl and,
// where it can run, the Linux oracle, and prints the index table that
// docs/README.md holds (or writes it there with -w).
func runSpecs(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("specs", "[-dir DIR] [-w] [-no-linux]",
		"Runs every spec (docs/*.md) on the model, the impl and, where linux.Available says it\n"+
			"can run, the Linux oracle; prints each failure as PAGE:LINE and the index table.\n"+
			"Exit status 1 when a spec failed on any backend.", stderr)
	dir := fs.String("dir", "docs", "directory holding the spec pages and README.md")
	write := fs.Bool("w", false, "write the index into DIR/README.md instead of printing it")
	noLinux := fs.Bool("no-linux", false, "do not run the Linux oracle even where it is available")
	backend := fs.String("backend", "", "run only these backends (model, impl, linux, uml, comma-separated) and print their index; uml is the kernel under test")
	umlFlag(fs)
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "forkspec specs: unexpected arguments %q\n", fs.Args())
		return exitBadArgs
	}
	if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "forkspec specs: no directory %s here: run it from the repository's root, or give -dir PATH/TO/forkspec/docs\n", *dir)
		return exitBadArgs
	}
	specs, err := docs.LoadDir(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "forkspec specs: %v\n", err)
		return exitBadArgs
	}
	if *backend != "" {
		if *write {
			fmt.Fprintln(stderr, "forkspec specs: -w writes README.md's index (model, impl, Linux); -backend prints another, without -w")
			return exitBadArgs
		}
		return specsOn(specs, *backend, *dir, stdout, stderr) // uml.go
	}
	readmePath := filepath.Join(*dir, "README.md")
	readme, _ := os.ReadFile(readmePath) // only needed for -w and the Linux column

	run := []traces.Backend{backends["model"], backends["impl"]}
	linuxWhy := "disabled by -no-linux"
	if !*noLinux {
		var ok bool
		if ok, linuxWhy = linux.Available(); ok {
			run = append(run, traces.Backend{Name: docs.LinuxColumn, New: linux.Backend})
		}
	}

	status := exitOK
	outcomes := map[string]map[string]docs.Outcome{}
	for _, b := range run {
		outcomes[b.Name] = docs.RunAll(specs, b)
		for _, s := range specs {
			if o := outcomes[b.Name][s.ID]; o.Status == docs.Fail {
				fmt.Fprintf(stderr, "%s:%d: %s on %s: %s\n", filepath.Join(*dir, s.Page), o.Line, s.ID, b.Name, o.Msg)
				status = exitFailed
			}
		}
	}
	if _, ran := outcomes[docs.LinuxColumn]; !ran {
		fmt.Fprintf(stderr, "forkspec specs: Linux oracle not run (%s); its column is kept as last recorded\n", linuxWhy)
	}
	cols := docs.Columns(outcomes, string(readme))
	index := docs.Index(specs, cols)
	if !*write {
		fmt.Fprint(stdout, index)
		return status
	}
	out, ok := docs.SpliceIndex(string(readme), index)
	if !ok {
		fmt.Fprintf(stderr, "forkspec specs: %s lacks the index markers\n", readmePath)
		return exitBadArgs
	}
	if err := os.WriteFile(readmePath, []byte(out), 0o644); err != nil {
		fmt.Fprintf(stderr, "forkspec specs: %v\n", err)
		return exitBadArgs
	}
	return status
}
