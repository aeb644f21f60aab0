package model

import (
	"reflect"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/google/go-cmp/cmp"
)

// TestWORLD3_StopTakenMidwayRestores: a stop signal pending (blocked) in a
// process makes every step keep a snapshot (mayBeUnsupported), so a step
// that unblocks it and so takes it at its default ends unsupported with
// the world exactly as before, and the step after it still runs.
func TestWORLD3_StopTakenMidwayRestores(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 sigprocmask SIG_BLOCK SIGTSTP -> 0
	`)
	// No rule sends a stop signal today (abi.Refusal refuses kill and
	// clone with one), so put it there as a sender would.
	w.k.tasks[2].group.pending |= abi.SigBit(abi.SIGTSTP)
	if !w.k.mayBeUnsupported(abi.Getpid{}) {
		t.Fatal("a pending stop signal does not make a step keep its snapshot")
	}
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

// TestMayBeUnsupportedQuietWorld: in a world with no stop signal pending
// or promised as an exit signal, ordinary steps keep no snapshot; a kill
// of a stop signal and a clone naming one as exit signal do.
func TestMayBeUnsupportedQuietWorld(t *testing.T) {
	w := newWorld(t)
	w.run(`1 fork -> 2`)
	for _, sc := range []abi.Syscall{abi.Getpid{}, abi.Store{Addr: abi.ArenaStart, Value: 1}, abi.Exit{}, abi.Fork{},
		abi.Kill{Pid: 2, Sig: abi.SIGUSR1}, abi.Clone{Flags: uint64(abi.SIGCHLD)}, abi.Clone3{ExitSignal: abi.SIGCHLD}} {
		if w.k.mayBeUnsupported(sc) {
			t.Errorf("%v keeps a snapshot in a quiet world", sc)
		}
	}
	for _, sc := range []abi.Syscall{abi.Kill{Pid: 2, Sig: abi.SIGTSTP}, abi.Kill{Pid: 2, Sig: abi.SIGSTOP + 1<<32},
		abi.Clone{Flags: abi.CLONE_VM | uint64(abi.SIGTTIN)}, abi.Clone3{ExitSignal: abi.SIGTTOU}} {
		if !w.k.mayBeUnsupported(sc) {
			t.Errorf("%v keeps no snapshot", sc)
		}
	}
}
