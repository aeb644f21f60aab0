package impl

import (
	"strconv"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// run performs trace lines "TID SYSCALL ARGS [-> RESULT]" on k, checking
// each expected result and CheckInvariants after every step. It returns the
// last result.
func run(t *testing.T, k *Kernel, lines string) abi.Result {
	t.Helper()
	var last abi.Result
	for _, line := range strings.Split(lines, "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var want *abi.Result
		if i := strings.Index(line, "->"); i >= 0 {
			r, err := abi.ParseResult(strings.TrimSpace(line[i+2:]))
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			want = &r
			line = strings.TrimSpace(line[:i])
		}
		tidText, call, _ := strings.Cut(line, " ")
		tid, err := strconv.Atoi(tidText)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		sc, err := abi.ParseSyscall(call)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		last = k.Step(tid, sc)
		if want != nil && last != *want {
			t.Fatalf("%q: got %v, want %v", line, last, *want)
		}
		if err := k.CheckInvariants(); err != nil {
			t.Fatalf("after %q: %v", line, err)
		}
	}
	return last
}

// pteAt returns the PTE mapping va in task tid's address space (0 if none).
func pteAt(k *Kernel, tid int, va uint64) pte {
	l, x := k.tasks[tid].mm.pt.lookup(va)
	if l == nil {
		return 0
	}
	return l.ent[x]
}

const (
	initRO   = abi.ArenaStart            // init's read-only page (0x11)
	initData = abi.ArenaStart + 0x200000 // init's two read-write pages (0x21, 0x22)
)
