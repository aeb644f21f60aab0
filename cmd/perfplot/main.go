// Command perfplot turns `go test -bench` output of the model, impl and
// linux packages into two SVG line charts for docs/performance.md: fork
// cost against the parent's touched memory, one series per backend, and
// the fork/vfork cost ratio for impl and Linux. Both axes are logarithmic.
// Which benchmark line feeds which series is the explicit table in
// series.go.
//
// Usage:
//
//	perfplot -fork fork-cost.svg -ratio fork-vfork-ratio.svg [file ...]
//
// With no files it reads standard input.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "perfplot:", err)
		os.Exit(1)
	}
}

// run parses the flags and inputs and writes the charts; an output whose
// flag is empty is not written.
func run(args []string, stdin io.Reader, stderr io.Writer) error {
	fs := flag.NewFlagSet("perfplot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	forkOut := fs.String("fork", "", "write the fork-cost chart to this SVG file")
	ratioOut := fs.String("ratio", "", "write the fork/vfork ratio chart to this SVG file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *forkOut == "" && *ratioOut == "" {
		return fmt.Errorf("nothing to do: give -fork and/or -ratio")
	}
	var rs []Result
	if fs.NArg() == 0 {
		r, err := Parse(stdin)
		if err != nil {
			return fmt.Errorf("stdin: %v", err)
		}
		rs = r
	}
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		r, err := Parse(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		rs = append(rs, r...)
	}
	if *forkOut != "" {
		c := Chart{Title: "fork cost against parent memory", XLabel: "parent's touched private memory (log)", YLabel: "fork µs (log)", Series: BuildFork(rs)}
		if err := writeFile(*forkOut, c); err != nil {
			return err
		}
	}
	if *ratioOut != "" {
		c := Chart{Title: "fork / vfork cost ratio", XLabel: "parent's touched private memory (log)", YLabel: "fork ÷ vfork (log)", Series: BuildRatio(rs)}
		if err := writeFile(*ratioOut, c); err != nil {
			return err
		}
	}
	return nil
}

// writeFile renders c fully before creating the file, so a failure leaves
// no half-written chart behind.
func writeFile(name string, c Chart) error {
	var b bytes.Buffer
	if err := WriteSVG(&b, c); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return os.WriteFile(name, b.Bytes(), 0o644)
}
