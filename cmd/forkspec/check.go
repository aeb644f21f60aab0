package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/forkspec/forkspec/gen"
	"github.com/forkspec/forkspec/traces"
)

func init() {
	register(&command{name: "check", summary: "random lockstep search: model against impl, step by step", run: runCheck})
}

// checkConfig is what a check run needs besides its output.
type checkConfig struct {
	sequences, steps int
	seed             uint64
	out              string
	opts             traces.Options
	backends         []traces.Backend
	keepGoing        bool
	reduce           int // replay budget for reducing a failure; 0: none
	// fullEvery is how often the full checks run (traces.Lock.Incremental):
	// between them a step is compared by what it touched; 1: every step.
	fullEvery int
	// jobs is the number of workers running sequences (check); 0 means 1.
	jobs     int
	progress bool // redraw the progress bar in place (stderr is a terminal)
	// stopped reports whether the run was asked to stop (SIGINT, SIGTERM):
	// check then ends after the current step. nil: never.
	stopped func() bool
}

// checkStats is what a check run counts.
type checkStats struct {
	sequences, steps int
	failures         []string       // paths of saved traces
	classes          map[string]int // failures by "kind in syscall"
	coverage         gen.Coverage
	elapsed          time.Duration // the whole run
	reducing         time.Duration // the part spent shrinking failures
	// interruptedAt is, when the run was stopped, the steps the last
	// sequence had run; -1 when the run was not stopped.
	interruptedAt int
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "[-n N] [-steps S] [-seed X] [-j J] [-out DIR] [flags]",
		"Runs N random sequences of S steps each on the backends in lockstep, choosing each\n"+
			"step from the reference backend's View with the gen package's generator, and\n"+
			"compares Results and what the step touched after every step, the whole Views and\n"+
			"invariants every -full-every steps and at the end. Sequence i uses seed X+i,\n"+
			"so any sequence can be rerun alone; -j J runs J sequences at a time and prints the same. A divergence is reduced to a short trace,\n"+
			"saved in DIR with the command to replay it, and the run exits 1.\n\n"+
			"Standard output gets the command that reruns this run (with its seed) first, each\n"+
			"divergence, and the summary last; progress goes to standard error. SIGINT (^C) or\n"+
			"SIGTERM stops the run after the current step with the summary of what ran (exit 130).", stderr)
	n := fs.Int("n", 100, "number of sequences")
	steps := fs.Int("steps", 200, "steps per sequence")
	seed := fs.Uint64("seed", 0, "seed of the first sequence (0: from the clock; the seed used is printed)")
	out := fs.String("out", "forkspec-failures", "directory for failing traces")
	maxTasks := fs.Int("max-tasks", 12, "task limit of every world (FORK-7)")
	backend := fs.String("backend", "model,impl", "backends to compare, the reference first: a comma-separated list of model, impl, linux, uml")
	keepGoing := fs.Bool("keep-going", false, "continue after a divergence (every failure is saved)")
	reduce := fs.Int("reduce", 300, "replays to spend shrinking a failing sequence (0: save it unreduced)")
	jobs := fs.Int("j", 1, "run sequences on N workers in parallel (model and impl only); the output is the same whatever N (the times aside)")
	fullEvery := fs.Int("full-every", defaultFullEvery, "run the full checks (whole Views, every invariant) after every N-th step, at the end of each sequence\n"+
		"and before any divergence is reported; in between compare what each step touched (1: check everything after every step)")
	umlFlag(fs)
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "forkspec check: unexpected argument %q\n", fs.Arg(0))
		return exitBadArgs
	}
	if *n < 1 || *steps < 1 || *maxTasks < 1 || *fullEvery < 1 || *jobs < 1 {
		fmt.Fprintln(stderr, "forkspec check: -n, -steps, -max-tasks, -full-every and -j must be at least 1")
		return exitBadArgs
	}
	if *reduce < 0 {
		fmt.Fprintf(stderr, "forkspec check: -reduce %d: want a number of replays, 0 or more (0: save failures unreduced)\n", *reduce)
		return exitBadArgs
	}
	if *seed > math.MaxUint64-uint64(*n-1) {
		fmt.Fprintf(stderr, "forkspec check: -seed %d -n %d: the seeds %d.. would wrap past 2^64-1; want -seed at most %d\n",
			*seed, *n, *seed, uint64(math.MaxUint64)-uint64(*n-1))
		return exitBadArgs
	}
	if err := checkOutDir(*out); err != nil {
		fmt.Fprintf(stderr, "forkspec check: -out: %v\n", err)
		return exitBadArgs
	}
	bs, err := pickBackends(*backend)
	if err != nil {
		fmt.Fprintf(stderr, "forkspec check: %v\n", err)
		return exitBadArgs
	}
	if len(bs) < 2 {
		fmt.Fprintln(stderr, "forkspec check: -backend needs at least two backends to compare")
		return exitBadArgs
	}
	if *jobs > 1 {
		for _, b := range bs {
			if b.Name == "linux" || b.Name == "uml" {
				fmt.Fprintf(stderr, "forkspec check: -j %d: backend %s drives a real kernel, one sequence at a time; -j runs model and impl only\n", *jobs, b.Name)
				return exitBadArgs
			}
		}
	}
	cfg := checkConfig{
		sequences: *n, steps: *steps, seed: *seed, out: *out, backends: bs,
		opts: withTarget(traces.Options{MaxTasks: *maxTasks}, bs), keepGoing: *keepGoing, reduce: *reduce, progress: isTerminal(stderr),
		fullEvery: *fullEvery, jobs: *jobs,
	}
	if cfg.seed == 0 {
		cfg.seed = uint64(time.Now().UnixNano()) & (1<<48 - 1)
	}
	stopped, release := interrupts()
	defer release()
	cfg.stopped = stopped
	fmt.Fprintf(stdout, "check: seed %d; this run again: %s\n", cfg.seed, rerun(cfg, cfg.seed, cfg.sequences))
	st := check(cfg, stdout, stderr)
	printSummary(cfg, st, stdout)
	switch {
	case len(st.failures) > 0:
		umlReport(bs, stdout)
		return exitFailed
	case st.interruptedAt >= 0:
		return exitInterrupted
	}
	return exitOK
}

// defaultFullEvery is -full-every's default: a step that touches only a
// few tasks is compared by them, and a change outside them is found at
// most this many steps later (docs/performance.md).
const defaultFullEvery = 32

// interrupts catches SIGINT and SIGTERM until release is called: stopped
// reports whether one came. After the first, the signals have their
// default action again, so a second ^C ends the process at once.
func interrupts() (stopped func() bool, release func()) {
	var got atomic.Bool
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-ch:
			got.Store(true)
			signal.Stop(ch)
		case <-done:
		}
	}()
	return got.Load, func() { signal.Stop(ch); close(done) }
}

// rerun is the command line that runs n sequences from seed with cfg's
// other settings.
func rerun(cfg checkConfig, seed uint64, n int) string {
	return fmt.Sprintf("forkspec check -seed %d -n %d -steps %d -max-tasks %d -full-every %d -backend %s",
		seed, n, cfg.steps, cfg.opts.MaxTasks, max(cfg.fullEvery, 1), backendList(cfg.backends))
}

// checkOutDir refuses an -out that can never hold a failure: empty, or an
// existing file that is not a directory. A missing directory is made when
// the first failure is saved.
func checkOutDir(dir string) error {
	if dir == "" {
		return errors.New("want a directory for failing traces, got the empty string")
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	return nil
}

// check runs the sequences and reports failures to w as it goes, progress
// to errw. With cfg.jobs workers, sequences run in parallel, each on one
// worker, but their results are taken in sequence order: what check prints
// to w and returns is the same whatever the number of workers (the times
// aside), because a run that stops at a failure or an interruption takes
// nothing from the sequences after it.
func check(cfg checkConfig, w, errw io.Writer) checkStats {
	st := checkStats{interruptedAt: -1}
	start := time.Now()
	bar := progress{w: errw, tty: cfg.progress, sequences: cfg.sequences, total: float64(cfg.sequences) * float64(cfg.steps)}
	p := newPool(cfg, &bar, start)
	for i := 0; i < cfg.sequences; i++ {
		seed := cfg.seed + uint64(i)
		r := p.result(i)
		st.sequences++
		st.steps += r.steps
		st.coverage.Merge(&r.coverage)
		st.reducing += r.reducing
		if r.err != nil { // the backends could not even start
			p.clearBar()
			fmt.Fprintf(w, "seed %d: %v\n", seed, r.err)
			st.failures = append(st.failures, "")
			break
		}
		if fail := r.fail; fail != nil {
			p.clearBar()
			path, err := save(cfg, seed, fail)
			if err != nil {
				fmt.Fprintf(w, "seed %d: %v\n(could not save the trace: %v)\n", seed, fail.err, err)
			} else {
				fmt.Fprintf(w, "seed %d: divergence after %d steps, reduced to %d:\n%v\n\nsaved %s\nreplay: forkspec replay -backend %s %s\n\n",
					seed, fail.at, len(fail.trace.Steps), fail.err, path, backendList(cfg.backends), path)
			}
			st.failures = append(st.failures, path)
			if st.classes == nil {
				st.classes = map[string]int{}
			}
			st.classes[fail.class()]++
			if !cfg.keepGoing {
				break
			}
		}
		if r.interruptedAt >= 0 {
			st.interruptedAt = r.interruptedAt
			break
		}
		p.mu.Lock()
		p.draw()
		p.mu.Unlock()
	}
	p.stop()
	st.elapsed = time.Since(start)
	bar.clear()
	return st
}

// failure is a divergent sequence: where it diverged, and the reduced trace.
type failure struct {
	at    int // steps run when it diverged
	err   error
	trace *traces.Trace
}

// class names the failure for grouping: its kind and the syscall at which
// it shows, e.g. "results differ in kill".
func (f *failure) class() string {
	var d *traces.Divergence
	if !errors.As(f.err, &d) || d.Step.Call == nil {
		return "other"
	}
	return fmt.Sprintf("%s in %s", d.Kind, d.Step.Call.Name())
}

// sequence runs one seeded sequence, calling tick after every step (last
// for its last), and returns what it found and counted. When cfg.stopped says so it
// ends early and records how far it got; when quit says so it just ends.
func sequence(cfg checkConfig, seed uint64, quit func() bool, tick func(last bool)) (st seqResult) {
	st.interruptedAt = -1
	name := fmt.Sprintf("check-seed%d", seed)
	l, err := traces.NewLock(name, cfg.opts, cfg.backends...)
	if err != nil {
		st.err = err
		return st
	}
	defer l.Close()
	l.Incremental(cfg.fullEvery)
	src := gen.FromRand(seed)
	g := gen.New(cfg.opts.Config())
	var cls gen.Classifier
	before := l.View()
	diverged := func(s int, err error) seqResult {
		var d *traces.Divergence
		if !errors.As(err, &d) {
			st.err = err
			return st
		}
		t := l.Trace()
		t.Comments = []string{
			"Found by: " + rerun(cfg, seed, 1),
			fmt.Sprintf("%s at step %d of the sequence; expectations are %s's results.", d.Kind, s, cfg.backends[0].Name),
		}
		reduced := t
		if cfg.reduce > 0 {
			start := time.Now()
			if r, ok := traces.Reduce(t, cfg.reduce, cfg.backends...); ok {
				reduced = r
			}
			st.reducing += time.Since(start)
		}
		// Report the divergence of the reduced trace: it is the one saved.
		_, rerr := traces.Replay(reduced, cfg.backends...)
		if rerr == nil {
			rerr = err
		}
		st.fail = &failure{at: s, err: rerr, trace: reduced}
		return st
	}
	for s := 0; s < cfg.steps; s++ {
		if quit() {
			return st // check takes nothing from this sequence
		}
		if cfg.stopped != nil && cfg.stopped() {
			st.interruptedAt = s
			if err := l.Finish(); err != nil {
				return diverged(s, err)
			}
			return st
		}
		tid, sc := umlNext(g, src, before, cfg.backends) // g.Next, but what the kernel under test can represent
		r, err := l.Step(traces.Step{Tid: tid, Call: sc})
		st.steps++
		if err != nil {
			tick(true)
			return diverged(s+1, err)
		}
		after := l.View()
		st.coverage.Add(cls.Events(before, after, tid, sc, r))
		before = after
		tick(s+1 == cfg.steps) // check draws once the sequence is done
	}
	if err := l.Finish(); err != nil {
		return diverged(cfg.steps, err)
	}
	return st
}

func save(cfg checkConfig, seed uint64, f *failure) (string, error) {
	return traces.WriteFailure(cfg.out, f.trace)
}

func backendList(bs []traces.Backend) string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name
	}
	return strings.Join(names, ",")
}

func printSummary(cfg checkConfig, st checkStats, w io.Writer) {
	secs := st.elapsed.Seconds()
	search := (st.elapsed - st.reducing).Seconds()
	rate := 0.0
	if search > 0 {
		rate = float64(st.steps) / search
	}
	fmt.Fprintf(w, "checked %d sequences, %d steps in %.1fs (%.0f steps/s searching", st.sequences, st.steps, secs, rate)
	if st.reducing > 0 {
		fmt.Fprintf(w, "; %.1fs reducing failures", st.reducing.Seconds())
	}
	fmt.Fprintf(w, "); seeds %d..%d; %s in lockstep, task limit %d\n",
		cfg.seed, cfg.seed+uint64(max(st.sequences, 1)-1), backendList(cfg.backends), cfg.opts.MaxTasks)
	if st.interruptedAt >= 0 {
		last := cfg.seed + uint64(st.sequences-1)
		fmt.Fprintf(w, "INTERRUPTED: sequence %d of %d (seed %d) stopped after %d of its %d steps; the rest: %s\n",
			st.sequences, cfg.sequences, last, st.interruptedAt, cfg.steps, rerun(cfg, last, cfg.sequences-st.sequences+1))
	}
	missing := st.coverage.Missing()
	covered := 0
	for _, c := range st.coverage {
		if c > 0 {
			covered++
		}
	}
	fmt.Fprintf(w, "events covered: %d of %d (! marks a required event never hit)\n", covered, len(st.coverage))
	for _, l := range strings.Split(strings.TrimRight(st.coverage.String(), "\n"), "\n") {
		fmt.Fprintln(w, "  "+l)
	}
	if len(missing) > 0 {
		names := make([]string, len(missing))
		for i, e := range missing {
			names[i] = e.String()
		}
		fmt.Fprintf(w, "weak run: never hit %s\n", strings.Join(names, ", "))
	}
	switch {
	case len(st.failures) == 0 && st.interruptedAt >= 0:
		fmt.Fprintln(w, "no divergence in what ran")
	case len(st.failures) == 0:
		fmt.Fprintln(w, "PASS: no divergence")
	default:
		fmt.Fprintf(w, "FAIL: %d divergent sequence(s)\n", len(st.failures))
		classes := make([]string, 0, len(st.classes))
		for c := range st.classes {
			classes = append(classes, c)
		}
		slices.SortFunc(classes, func(a, b string) int {
			if d := st.classes[b] - st.classes[a]; d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		for _, c := range classes {
			fmt.Fprintf(w, "  %4d  %s\n", st.classes[c], c)
		}
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress draws a bar that redraws in place on a terminal (at most every
// redrawEvery), and otherwise prints a plain line at every tenth of the
// run's steps, so that long sequences show progress too.
type progress struct {
	w         io.Writer
	tty       bool
	sequences int     // in the run
	total     float64 // steps in the run if none diverges: sequences × steps
	drawn     bool
	drawnLen  int           // the longest bar drawn, in bytes: clear blanks that many
	lastDraw  time.Duration // elapsed at the last redraw
	lastTenth int
}

// redrawEvery bounds how often the terminal bar is redrawn.
const redrawEvery = 100 * time.Millisecond

// update reports done sequences finished and steps run, after elapsed
// searching.
func (p *progress) update(done, steps int, elapsed time.Duration) {
	frac := min(float64(steps)/p.total, 1)
	tenth := int(frac * 10)
	switch {
	case p.tty && p.drawn && elapsed-p.lastDraw < redrawEvery && done < p.sequences:
		return // redrawn a moment ago
	case !p.tty && tenth <= p.lastTenth:
		return // this tenth is printed already
	}
	rate, left := 0.0, ""
	if s := elapsed.Seconds(); s > 0 && steps > 0 {
		rate = float64(steps) / s
		left = fmt.Sprintf(", about %v left", time.Duration(max(p.total-float64(steps), 0)/rate*float64(time.Second)).Round(time.Second))
	}
	if p.tty {
		const width = 30
		fill := int(frac * width)
		bar := fmt.Sprintf("[%s%s] %d/%d sequences  %d steps  %.0f steps/s%s ",
			strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, p.sequences, steps, rate, left)
		fmt.Fprintf(p.w, "\r%-*s", p.drawnLen, bar)
		p.drawn, p.lastDraw, p.drawnLen = true, elapsed, max(p.drawnLen, len(bar))
		return
	}
	p.lastTenth = tenth
	fmt.Fprintf(p.w, "progress: %d/%d sequences, %d steps (%d%%), %.0f steps/s%s\n", done, p.sequences, steps, tenth*10, rate, left)
}

// clear erases a drawn bar so that other output starts on a clean line.
func (p *progress) clear() {
	if p.tty && p.drawn {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawnLen))
		p.drawn = false
	}
}
