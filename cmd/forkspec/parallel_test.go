package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// times matches the figures of a check summary that depend on the clock.
var times = regexp.MustCompile(`in [0-9.]+s \([0-9]+ steps/s searching(; [0-9.]+s reducing failures)?\)`)

// TestCheckParallelSameOutput: forkspec check prints the same, times aside,
// and saves the same traces whatever the number of workers -j: for a
// passing run, for a run that stops at its first divergence, and for one
// that keeps going through several.
func TestCheckParallelSameOutput(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		st   int
	}{
		{"pass", []string{"-n", "6", "-steps", "40", "-seed", "11"}, 0},
		{"first-divergence", []string{"-n", "6", "-steps", "60", "-seed", "1", "-backend", "model,lying", "-reduce", "20"}, 1},
		{"keep-going", []string{"-n", "6", "-steps", "60", "-seed", "1", "-backend", "model,lying", "-reduce", "20", "-keep-going"}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var first, firstTraces string
			for _, j := range []string{"1", "2", "5"} {
				dir := filepath.Join(t.TempDir(), "out")
				st, out, errs := forkspec(append([]string{"check", "-j", j, "-out", dir}, c.args...)...)
				if st != c.st {
					t.Fatalf("-j %s: status %d, want %d\n%s%s", j, st, c.st, out, errs)
				}
				out = times.ReplaceAllString(strings.ReplaceAll(out, dir, "DIR"), "in TIME")
				if !strings.Contains(out, "in TIME") {
					t.Fatalf("-j %s: the summary's times were not found to set aside:\n%s", j, out)
				}
				traces := savedTraces(t, dir)
				if j == "1" {
					first, firstTraces = out, traces
					continue
				}
				if out != first {
					t.Errorf("-j %s prints otherwise than -j 1:\n--- -j 1:\n%s\n--- -j %s:\n%s", j, first, j, out)
				}
				if traces != firstTraces {
					t.Errorf("-j %s saves other traces than -j 1:\n--- -j 1:\n%s\n--- -j %s:\n%s", j, firstTraces, j, traces)
				}
			}
			if n := strings.Count(first, "divergence after"); c.st == 1 && (n == 0 || c.name == "keep-going" && n < 2) {
				t.Fatalf("%d divergences found: too few for the test to compare their order:\n%s", n, first)
			}
		})
	}
}

// savedTraces lists the traces in dir with their contents.
func savedTraces(t *testing.T, dir string) string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.trace"))
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(filepath.Base(p) + ":\n" + string(data))
	}
	return b.String()
}

// TestCheckParallelRealKernels: -j above 1 with a backend that drives a
// real kernel is refused with a clear message.
func TestCheckParallelRealKernels(t *testing.T) {
	st, _, errs := forkspec("check", "-j", "2", "-backend", "model,linux", "-n", "1", "-out", t.TempDir())
	if st != exitBadArgs || !strings.Contains(errs, "-j 2: backend linux drives a real kernel") {
		t.Fatalf("status %d, stderr %q", st, errs)
	}
}
