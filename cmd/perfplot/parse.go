package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Result is one benchmark line of `go test -bench` output, keyed so the
// series table can pick it: the package's last path element, the top-level
// benchmark name, the size in MiB taken from the sub-benchmark segment that
// names one (1MiB, 64MiB, 1GiB, 16GiB) and the other segments as variant.
// Invariant: MiB > 0 and every Metrics value is finite and ≥ 0.
type Result struct {
	Pkg     string             // e.g. "impl" from "pkg: github.com/forkspec/forkspec/impl"
	Bench   string             // e.g. "BenchmarkODFork"
	Variant string             // the non-size segments joined by "/", e.g. "eager"
	MiB     float64            // parent's touched memory
	Metrics map[string]float64 // unit → value, e.g. "ns/op", "median-µs"
}

var (
	sizeSeg   = regexp.MustCompile(`^([0-9]+)(MiB|GiB)$`)
	procsTail = regexp.MustCompile(`-[0-9]+$`)
)

// Parse reads `go test -bench` output (several packages may follow one
// another: each "pkg:" line sets the package of the lines after it) and
// returns the benchmark lines that name a size. Lines that are not
// benchmark results (goos, PASS, ok, log output) are skipped; a line that
// starts like a result but does not parse is an error, so a truncated or
// corrupted file is reported rather than silently plotted short.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "pkg:"); ok {
			p = strings.TrimSpace(p)
			pkg = p[strings.LastIndex(p, "/")+1:]
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "Benchmark") || len(f) < 2 {
			continue // headers, "BenchmarkX" start lines of -v output, logs
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a log line that happens to start with Benchmark
		}
		res, ok, err := parseLine(pkg, f)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if ok {
			out = append(out, res)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseLine parses the fields of one result line: name, iterations, then
// value-unit pairs. ok is false for a benchmark that names no size.
func parseLine(pkg string, f []string) (Result, bool, error) {
	if len(f) < 4 || len(f)%2 != 0 {
		return Result{}, false, fmt.Errorf("%q: want name, iterations and value-unit pairs", strings.Join(f, " "))
	}
	if pkg == "" {
		return Result{}, false, fmt.Errorf("%s: no \"pkg:\" line before it", f[0])
	}
	segs := strings.Split(procsTail.ReplaceAllString(f[0], ""), "/")
	res := Result{Pkg: pkg, Bench: segs[0], Metrics: map[string]float64{}}
	var variant []string
	for _, s := range segs[1:] {
		m := sizeSeg.FindStringSubmatch(s)
		if m == nil || res.MiB != 0 {
			variant = append(variant, s)
			continue
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil || v <= 0 {
			return Result{}, false, fmt.Errorf("%s: bad size %q", f[0], s)
		}
		if m[2] == "GiB" {
			v *= 1024
		}
		res.MiB = v
	}
	if res.MiB == 0 {
		return Result{}, false, nil
	}
	res.Variant = strings.Join(variant, "/")
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 || v != v || v > 1e300 {
			return Result{}, false, fmt.Errorf("%s: bad value %q for %s", f[0], f[i], f[i+1])
		}
		res.Metrics[f[i+1]] = v
	}
	return res, true, nil
}
