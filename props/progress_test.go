package props

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// progressFlag makes every property log a line at each tenth of its runs
// (make props sets it, with -v so that the lines appear as they are logged).
var progressFlag = flag.Bool("props.progress", false, "log each property's progress at every tenth of its -rapid.checks runs, with the time left")

// withProgress returns prop counting its runs: at every tenth of total it
// calls logf with the runs done, the time so far and the time left at the
// rate so far. Runs past total (rapid shrinking a failure and replaying the
// shrunk case) are not counted. A total under 10 logs nothing.
func withProgress(logf func(string, ...any), total int, prop func(*rapid.T)) func(*rapid.T) {
	if total < 10 {
		return prop
	}
	start, done := time.Now(), 0
	return func(rt *rapid.T) {
		prop(rt)
		if done++; done > total || done%(total/10) != 0 {
			return
		}
		elapsed := time.Since(start)
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		logf("progress: %d/%d runs (%d%%) in %v, about %v left",
			done, total, done*100/total, elapsed.Round(time.Second), left.Round(time.Second))
	}
}

// TestWithProgress: 25 runs against a budget of 20 log ten lines, one per
// tenth, the last at 20/20; every run reaches the property.
func TestWithProgress(t *testing.T) {
	var lines []string
	logf := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	runs := 0
	f := withProgress(logf, 20, func(*rapid.T) { runs++ })
	for range 25 {
		f(nil)
	}
	if runs != 25 || len(lines) != 10 ||
		!strings.HasPrefix(lines[0], "progress: 2/20 runs (10%) in ") ||
		!strings.HasPrefix(lines[9], "progress: 20/20 runs (100%) in ") || !strings.HasSuffix(lines[9], "about 0s left") {
		t.Errorf("%d runs, progress lines:\n%s", runs, strings.Join(lines, "\n"))
	}
}
