package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sample is bench output of all three packages as `go test -bench` prints
// it, with the headers, a -v start line and a log line perfplot must skip.
const sample = `goos: linux
goarch: amd64
pkg: github.com/forkspec/forkspec/model
cpu: Intel(R) Xeon(R) Processor
BenchmarkFork/1MiB-2         	      20	     34781 ns/op
BenchmarkFork/64MiB-2        	       3	   2185484 ns/op
BenchmarkForkExitWait/pages=64-2 	 100	  12345 ns/op
PASS
ok  	github.com/forkspec/forkspec/model	3.768s
pkg: github.com/forkspec/forkspec/impl
BenchmarkODFork
BenchmarkODFork/1MiB/eager-2     	   70000	      3200 ns/op	        12.5 ns/page
BenchmarkODFork/1MiB/ondemand-2  	   60000	      4170 ns/op	        16.3 ns/page
BenchmarkODFork/1GiB/eager-2     	     300	    678000 ns/op	         2.59 ns/page
BenchmarkODFork/1GiB/ondemand-2  	   50000	      4250 ns/op	         0.0162 ns/page
BenchmarkODVfork/1MiB/eager-2    	  100000	      2180 ns/op	         8.5 ns/page
BenchmarkODVfork/1MiB/ondemand-2 	  100000	      2200 ns/op	         8.6 ns/page
BenchmarkODVfork/1GiB/eager-2    	  100000	      2240 ns/op	         0.0085 ns/page
BenchmarkODVfork/1GiB/ondemand-2 	  100000	      2260 ns/op	         0.0086 ns/page
pkg: github.com/forkspec/forkspec/linux
BenchmarkCreate/1MiB/fork-return-2     	  20	  70000 ns/op	  63.0 median-µs	  55.0 min-µs
BenchmarkCreate/1MiB/fork+exit+wait-2  	  20	 180000 ns/op	 174 median-µs	 160 min-µs
BenchmarkCreate/1MiB/vfork+exit+wait-2 	  20	  30000 ns/op	  23.0 median-µs	  20.0 min-µs
BenchmarkCreate/1024MiB/fork-return-2  	   3	20000000 ns/op	18042 median-µs	17000 min-µs
BenchmarkCreate/1024MiB/fork+exit+wait-2 	3	40000000 ns/op	38410 median-µs	37000 min-µs
BenchmarkCreate/1024MiB/vfork+exit+wait-2 	3	50000 ns/op	41.0 median-µs	30.0 min-µs
PASS
`

func TestParseSample(t *testing.T) {
	rs, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 16 { // 2 model + 8 impl + 6 linux; pages=64 names no size
		t.Fatalf("parsed %d sized results, want 16: %+v", len(rs), rs)
	}
	got := rs[4] // BenchmarkODFork/1GiB/eager
	if got.Pkg != "impl" || got.Bench != "BenchmarkODFork" || got.Variant != "eager" || got.MiB != 1024 ||
		got.Metrics["ns/op"] != 678000 || got.Metrics["ns/page"] != 2.59 {
		t.Fatalf("rs[4] = %+v", got)
	}
	if l := rs[13]; l.Variant != "fork-return" || l.MiB != 1024 || l.Metrics["median-µs"] != 18042 {
		t.Fatalf("rs[13] = %+v", l)
	}
}

func TestBuildSeries(t *testing.T) {
	rs, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	fork := BuildFork(rs)
	want := map[string][]Point{
		"model":          {{1, 34.781}, {64, 2185.484}},
		"impl eager":     {{1, 3.2}, {1024, 678}},
		"impl on-demand": {{1, 4.17}, {1024, 4.25}},
		"Linux":          {{1, 63}, {1024, 18042}},
	}
	if len(fork) != len(want) {
		t.Fatalf("fork series %+v", fork)
	}
	for _, s := range fork {
		w := want[s.Name]
		if len(s.Points) != len(w) {
			t.Fatalf("%s: %v, want %v", s.Name, s.Points, w)
		}
		for i := range w {
			if s.Points[i].X != w[i].X || !near(s.Points[i].Y, w[i].Y) {
				t.Fatalf("%s: %v, want %v", s.Name, s.Points, w)
			}
		}
	}
	ratio := BuildRatio(rs)
	if len(ratio) != 3 || ratio[2].Name != "Linux" || !near(ratio[2].Points[1].Y, 38410.0/41) ||
		!near(ratio[0].Points[1].Y, 678000.0/2240) {
		t.Fatalf("ratio series %+v", ratio)
	}
}

// near reports whether a equals b to 1e-9 relative.
func near(a, b float64) bool { return a-b < 1e-9*b && b-a < 1e-9*b }

func TestRunWritesCharts(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "bench.txt")
	if err := os.WriteFile(in, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	fo, ro := filepath.Join(dir, "fork.svg"), filepath.Join(dir, "ratio.svg")
	if err := run([]string{"-fork", fo, "-ratio", ro, in}, strings.NewReader(""), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for file, names := range map[string][]string{
		fo: {"model", "impl eager", "impl on-demand", "Linux"},
		ro: {"impl eager", "impl on-demand", "Linux"},
	} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		svg := string(b)
		if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>\n") {
			t.Fatalf("%s is not one svg element", file)
		}
		if n := strings.Count(svg, "<polyline "); n != len(names) {
			t.Errorf("%s: %d polylines, want %d", file, n, len(names))
		}
		for _, n := range names {
			if !strings.Contains(svg, `<polyline data-series="`+n+`"`) {
				t.Errorf("%s: no polyline for %q", file, n)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"truncated line": "pkg: x/impl\nBenchmarkODFork/1MiB/eager-2 \t 100\t 3200\n",
		"bad value":      "pkg: x/impl\nBenchmarkODFork/1MiB/eager-2 \t 100\t abc ns/op\n",
		"negative":       "pkg: x/impl\nBenchmarkODFork/1MiB/eager-2 \t 100\t -5 ns/op\n",
		"no pkg":         "BenchmarkODFork/1MiB/eager-2 \t 100\t 3200 ns/op\n",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("%s: Parse accepted %q", name, in)
		}
	}
	// Parses, but feeds no series: an error, not an empty chart.
	dir := t.TempDir()
	err := run([]string{"-fork", filepath.Join(dir, "f.svg")}, strings.NewReader("pkg: x/other\nBenchmarkX/1MiB-2 \t 1\t 5 ns/op\n"), &bytes.Buffer{})
	if err == nil {
		t.Fatal("run drew a chart with no series")
	}
	if _, err := os.Stat(filepath.Join(dir, "f.svg")); err == nil {
		t.Fatal("run left a file behind after failing")
	}
	if err := run(nil, strings.NewReader(""), &bytes.Buffer{}); err == nil {
		t.Fatal("run with no outputs succeeded")
	}
	if err := WriteSVG(&bytes.Buffer{}, Chart{Series: []Series{{Name: "z", Points: []Point{{1, 0}}}}}); err == nil {
		t.Fatal("WriteSVG drew a zero on a log axis")
	}
}
