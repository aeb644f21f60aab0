package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgress: on a terminal the bar redraws in place and clear erases it;
// elsewhere a plain line is printed at each tenth of the run only.
func TestProgress(t *testing.T) {
	var tty bytes.Buffer
	p := progress{w: &tty, tty: true, total: 4}
	p.update(1, 100, time.Second)
	p.update(2, 200, time.Second)
	p.clear()
	out := tty.String()
	if !strings.HasPrefix(out, "\r[=======") || !strings.Contains(out, "2/4 sequences  200 steps  200 steps/s") ||
		strings.Contains(out, "\n") || !strings.HasSuffix(out, "\r") {
		t.Errorf("terminal bar output %q", out)
	}

	var plain bytes.Buffer
	p = progress{w: &plain, total: 100}
	for i := 1; i <= 100; i++ {
		p.update(i, i*10, time.Second)
	}
	p.clear()
	lines := strings.Split(strings.TrimSpace(plain.String()), "\n")
	if len(lines) != 10 || lines[9] != "progress: 100/100 sequences, 1000 steps, 1000 steps/s" {
		t.Errorf("plain progress printed %d lines, want 10:\n%s", len(lines), plain.String())
	}
	if strings.Contains(plain.String(), "\r") {
		t.Error("plain progress uses carriage returns")
	}
}
