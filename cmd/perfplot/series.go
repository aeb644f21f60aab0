package main

import (
	"fmt"
	"sort"
)

// Source names the benchmark lines of one series and the metric, in µs
// once multiplied by Scale, that the series plots.
type Source struct {
	Pkg, Bench, Variant, Metric string
	Scale                       float64 // metric value × Scale = µs
}

// forkSeries is the fork-cost chart: one series per backend. The model and
// impl time the fork step alone (child reaped with the timer stopped);
// Linux's fork-return times fork until it returns in the parent, the
// median of b.N forks timed in C by the agent.
var forkSeries = []struct {
	Name string
	Src  Source
}{
	{"model", Source{"model", "BenchmarkFork", "", "ns/op", 1e-3}},
	{"impl eager", Source{"impl", "BenchmarkODFork", "eager", "ns/op", 1e-3}},
	{"impl on-demand", Source{"impl", "BenchmarkODFork", "ondemand", "ns/op", 1e-3}},
	{"Linux", Source{"linux", "BenchmarkCreate", "fork-return", "median-µs", 1}},
}

// ratioSeries is the fork/vfork chart. impl divides fork by vfork, each the
// creating step alone; Linux has no vfork-return timing, so it divides
// fork+exit+wait by vfork+exit+wait (both include the child's exit and
// the parent's wait4).
var ratioSeries = []struct {
	Name     string
	Num, Den Source
}{
	{"impl eager", Source{"impl", "BenchmarkODFork", "eager", "ns/op", 1e-3}, Source{"impl", "BenchmarkODVfork", "eager", "ns/op", 1e-3}},
	{"impl on-demand", Source{"impl", "BenchmarkODFork", "ondemand", "ns/op", 1e-3}, Source{"impl", "BenchmarkODVfork", "ondemand", "ns/op", 1e-3}},
	{"Linux", Source{"linux", "BenchmarkCreate", "fork+exit+wait", "median-µs", 1}, Source{"linux", "BenchmarkCreate", "vfork+exit+wait", "median-µs", 1}},
}

// Point is one plotted size.
type Point struct{ X, Y float64 }

// Series is one line of a chart, its points in increasing X.
type Series struct {
	Name   string
	Points []Point
}

// pick returns src's values by size in µs, averaging repeated lines
// (-count > 1).
func pick(rs []Result, src Source) map[float64]float64 {
	sum, n := map[float64]float64{}, map[float64]int{}
	for _, r := range rs {
		v, ok := r.Metrics[src.Metric]
		if r.Pkg != src.Pkg || r.Bench != src.Bench || r.Variant != src.Variant || !ok {
			continue
		}
		sum[r.MiB] += v * src.Scale
		n[r.MiB]++
	}
	for k := range sum {
		sum[k] /= float64(n[k])
	}
	return sum
}

// sorted turns a size → value map into points in increasing size (never
// leaking map order), dropping non-positive values a log axis cannot show.
func sorted(name string, m map[float64]float64) Series {
	s := Series{Name: name}
	for x, y := range m {
		if y > 0 {
			s.Points = append(s.Points, Point{x, y})
		}
	}
	sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].X < s.Points[j].X })
	return s
}

// BuildFork returns the fork-cost series that have at least one point.
func BuildFork(rs []Result) []Series {
	var out []Series
	for _, fs := range forkSeries {
		if s := sorted(fs.Name, pick(rs, fs.Src)); len(s.Points) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// BuildRatio returns the fork/vfork series, at the sizes where both the
// numerator and the denominator were measured.
func BuildRatio(rs []Result) []Series {
	var out []Series
	for _, rsr := range ratioSeries {
		num, den := pick(rs, rsr.Num), pick(rs, rsr.Den)
		ratio := map[float64]float64{}
		for x, v := range num {
			if d, ok := den[x]; ok && d > 0 {
				ratio[x] = v / d
			}
		}
		if s := sorted(rsr.Name, ratio); len(s.Points) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// errNoSeries is returned when the input matched no row of the tables.
var errNoSeries = fmt.Errorf("no benchmark line matches a series (see the tables in cmd/perfplot/series.go)")
