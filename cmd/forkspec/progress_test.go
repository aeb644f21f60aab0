package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forkspec/forkspec/traces"
	"github.com/forkspec/forkspec/uml"
)

// TestProgress: on a terminal the bar redraws in place, at most every
// redrawEvery, and clear erases it; elsewhere a plain line is printed at
// each tenth of the run's steps only, inside sequences too.
func TestProgress(t *testing.T) {
	var tty bytes.Buffer
	p := progress{w: &tty, tty: true, sequences: 4, total: 400}
	p.update(1, 100, time.Second)
	p.update(1, 150, time.Second+redrawEvery/2) // too soon: not drawn
	p.update(2, 200, 2*time.Second)
	p.clear()
	out := tty.String()
	if !strings.HasPrefix(out, "\r[=======") || !strings.Contains(out, "2/4 sequences  200 steps  100 steps/s, about 2s left") ||
		strings.Contains(out, "150 steps") || strings.Contains(out, "\n") || !strings.HasSuffix(out, "\r") {
		t.Errorf("terminal bar output %q", out)
	}

	// One sequence of 1000 steps: the lines come from inside it.
	var plain bytes.Buffer
	p = progress{w: &plain, sequences: 1, total: 1000}
	for i := 1; i <= 1000; i++ {
		p.update(i/1000, i, time.Duration(i)*time.Millisecond)
	}
	p.clear()
	lines := strings.Split(strings.TrimSpace(plain.String()), "\n")
	if len(lines) != 10 || lines[0] != "progress: 0/1 sequences, 100 steps (10%), 1000 steps/s, about 1s left" ||
		lines[9] != "progress: 1/1 sequences, 1000 steps (100%), 1000 steps/s, about 0s left" {
		t.Errorf("plain progress printed %d lines, want 10:\n%s", len(lines), plain.String())
	}
	if strings.Contains(plain.String(), "\r") {
		t.Error("plain progress uses carriage returns")
	}
}

// TestCheckStopped: a run told to stop ends after the current step, and its
// summary says where, with the seed and the command for the rest.
func TestCheckStopped(t *testing.T) {
	cfg := checkConfig{sequences: 5, steps: 40, seed: 100, fullEvery: defaultFullEvery, out: t.TempDir(), backends: []traces.Backend{backends["model"], backends["impl"]}}
	cfg.opts.MaxTasks = 12
	asked := 0 // check asks before every step
	cfg.stopped = func() bool { asked++; return asked > 95 }
	var out, errw bytes.Buffer
	st := check(cfg, &out, &errw)
	printSummary(cfg, st, &out)
	for _, want := range []string{
		"checked 3 sequences, 95 steps",
		"seeds 100..102",
		"INTERRUPTED: sequence 3 of 5 (seed 102) stopped after 15 of its 40 steps; the rest: forkspec check -seed 102 -n 3 -steps 40 -max-tasks 12 -full-every 32 -backend model,impl\n",
		"no divergence in what ran\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "PASS") {
		t.Errorf("an interrupted run says PASS:\n%s", out.String())
	}
}

// TestMain lets TestInterrupt run this test binary as the forkspec command,
// and powers off a kernel under test the uml tests booted (this binary is
// that kernel's init too: uml.go's init).
func TestMain(m *testing.M) {
	if os.Getenv("FORKSPEC_TEST_AS_MAIN") == "1" {
		main()
	}
	code := m.Run()
	uml.CloseShared()
	os.Exit(code)
}

// TestInterrupt: SIGINT stops a long check run after the step it is in; it
// prints the summary with the seed and what ran, and exits 130.
func TestInterrupt(t *testing.T) {
	cmd := exec.Command(os.Args[0], "check", "-n", "1000000", "-seed", "42", "-out", t.TempDir())
	cmd.Env = append(os.Environ(), "FORKSPEC_TEST_AS_MAIN=1")
	var errw bytes.Buffer
	cmd.Stderr = &errw
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	first, err := r.ReadString('\n') // printed once the signals are caught
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, errw.String())
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	_, _ = bufio.NewReader(r).WriteTo(&rest)
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code != exitInterrupted {
		t.Fatalf("exit status %d (%v), want %d\nstdout:\n%s%s\nstderr:\n%s", code, err, exitInterrupted, first, rest.String(), errw.String())
	}
	if !strings.HasPrefix(first, "check: seed 42; this run again: forkspec check -seed 42 -n 1000000 ") {
		t.Errorf("first line %q", first)
	}
	for _, want := range []string{"checked ", "seeds 42..", "INTERRUPTED: sequence ", "the rest: forkspec check -seed ", "no divergence in what ran"} {
		if !strings.Contains(rest.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, rest.String())
		}
	}
}
