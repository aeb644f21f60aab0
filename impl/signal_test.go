package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestFrozenParentKilledAtOnceOrLater(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 fork -> 2
		2 sigaction SIGUSR1 handler 0 -> 0
		2 vfork -> 3 frozen
		3 kill 2 SIGUSR1 -> 0
		3 kill 2 SIGXCPU -> 0
	`)
	g := k.tasks[2].g
	if g.pending != abi.SigBit(abi.SIGUSR1)|abi.SigBit(abi.SIGXCPU) || g.exited {
		t.Fatalf("VFORK-5: a frozen parent keeps handled and core-dump signals pending; pending %v", g.pending)
	}
	run(t, k, "3 exit 0 -> exited")
	// get_signal sets up SIGUSR1's frame, then SIGXCPU kills before the
	// handler runs; the frame's mask stays (Linux oracle).
	if g.handled[abi.SIGUSR1] != 0 || !g.exited || g.killSig != abi.SIGXCPU || k.tasks[2].blocked != abi.SigBit(abi.SIGUSR1) {
		t.Fatalf("at release SIGUSR1 gets a frame, then SIGXCPU kills: handled %d, killSig %d, mask %v",
			g.handled[abi.SIGUSR1], g.killSig, k.tasks[2].blocked)
	}
	run(t, k, `
		1 fork -> 4
		4 vfork -> 5 frozen
		5 kill 4 SIGTERM -> 0
		5 getppid -> 1
	`)
	if k.tasks[4].state != stateZombie {
		t.Fatal("VFORK-5: SIGTERM at SIG_DFL kills a frozen parent at once")
	}
}

func TestInitDropsDefaultSignalsUnlessBlocked(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 kill 1 SIGTERM -> 0
		1 kill 1 SIGKILL -> 0
	`)
	if g := k.tasks[1].g; g.pending != 0 || g.exited {
		t.Fatalf("WORLD-1: init took %v", g.pending)
	}
	run(t, k, `
		1 sigprocmask SIG_BLOCK SIGTERM -> 0
		1 kill 1 SIGTERM -> 0
	`)
	if !k.tasks[1].g.pending.Has(abi.SIGTERM) {
		t.Fatal("sig_ignored: a blocked signal joins init's pending set")
	}
	run(t, k, "1 sigprocmask SIG_UNBLOCK SIGTERM -> 0")
	if g := k.tasks[1].g; g.pending != 0 || g.exited {
		t.Fatal("get_signal drops an unblocked default signal in init")
	}
}

func TestSignalTakenByNamedThread(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 fork -> 2
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 3
		3 kill 3 SIGTERM -> killed(SIGTERM)
		1 wait4 2 0 -> 2 status=signal(SIGTERM)
		1 fork -> 4
		4 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 5
		4 sigprocmask SIG_BLOCK SIGQUIT -> 0
		5 sigprocmask SIG_BLOCK SIGQUIT -> 0
		1 kill 5 SIGQUIT -> 0
		4 sigprocmask SIG_UNBLOCK SIGQUIT -> killed(SIGQUIT)
	`)
	if g := k.tasks[4].g; g.killSig != abi.SIGQUIT {
		t.Fatal("the unblocking caller takes the pending signal")
	}
}

// TestSigactionFlushesOnlyOwnProcess: do_sigaction flushes the newly ignored
// signal from the caller's process only (p = current), even when the table
// is shared with another process by CLONE_SIGHAND.
func TestSigactionFlushesOnlyOwnProcess(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 fork -> 2
		2 sigprocmask SIG_BLOCK SIGUSR1 -> 0
		2 clone CLONE_VM|CLONE_SIGHAND|SIGCHLD -> 3
		2 kill 2 SIGUSR1 -> 0
		2 kill 3 SIGUSR1 -> 0
		3 sigaction SIGUSR1 SIG_IGN 0 -> 0
	`)
	if !k.tasks[2].g.pending.Has(abi.SIGUSR1) || k.tasks[3].g.pending.Has(abi.SIGUSR1) {
		t.Fatalf("pending after sigaction in 3: group 2 %v, group 3 %v; want only 3's flushed",
			k.tasks[2].g.pending, k.tasks[3].g.pending)
	}
}
