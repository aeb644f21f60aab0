package model

import (
	"reflect"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
)

// TestWORLD3_StopTakenMidwayRestores: a step that unblocks a pending stop
// signal, and so takes it at its default, ends unsupported with the world
// exactly as before (Step restores its copy), and the step after it still
// runs.
func TestWORLD3_StopTakenMidwayRestores(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigprocmask SIG_BLOCK SIGTSTP -> 0
	`)
	// No rule sends a stop signal today (abi.Refusal refuses kill and
	// clone with one), so put it there as a sender would.
	w.k.tasks[2].group.pending |= abi.SigBit(abi.SIGTSTP)
	before := w.k.View()
	r := w.do(2, "sigprocmask SIG_UNBLOCK SIGTSTP")
	if r != abi.Refuse(abi.OutcomeUnsupported) {
		t.Fatalf("unblocking a pending SIGTSTP at its default returned %v, want unsupported", r)
	}
	if after := w.k.View(); !reflect.DeepEqual(before, after) {
		t.Fatalf("the unsupported step changed the world:\n%s", cmp.Diff(before, after))
	}
	w.run(`2 getpid -> 2`)
}
