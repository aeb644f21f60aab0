package linux

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// hostileParent is a C program that runs its arguments with every signal
// it may change ignored and blocked (SIGKILL and SIGSTOP cannot be),
// SIGUSR1 and signal 32 pending, and umask 077: the worst state a caller
// can pass on (GNU make, for one, runs its recipes with signals 32 and 33
// ignored).
const hostileParent = `
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/stat.h>
/* Raw system calls: glibc refuses to ignore or block signals 32 and 33. */
struct ksigaction { unsigned long handler, flags, restorer, mask; };
int main(int argc, char **argv) {
	unsigned long all = ~0UL;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, 0, 8);
	for (int s = 1; s < 65; s++) {
		struct ksigaction ign = {(unsigned long)SIG_IGN, 0, 0, 0};
		if (s != SIGKILL && s != SIGSTOP)
			syscall(SYS_rt_sigaction, s, &ign, 0, 8);
	}
	kill(getpid(), SIGUSR1); /* blocked: it stays pending, ignored or not */
	kill(getpid(), 32);
	umask(077);
	execv(argv[1], argv + 1);
	perror("execv");
	return 127;
}
`

// TestAgentStartsFromADefinedSignalState runs the oracle from a driver
// whose own signal state is as bad as it gets (hostileParent starts it)
// and checks that the world still starts as the model's does: every
// disposition SIG_DFL, nothing blocked, nothing pending — whatever the
// caller's — and stays in step for a few signal steps.
func TestAgentStartsFromADefinedSignalState(t *testing.T) {
	if os.Getenv("FORKSPEC_SIGSTATE_CHILD") == "1" {
		sigStateChild(t)
		return
	}
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "hostile.c")
	bin := filepath.Join(dir, "hostile")
	if err := os.WriteFile(src, []byte(hostileParent), 0o644); err != nil {
		t.Fatal(err)
	}
	cc, err := cCompiler()
	if err != nil {
		t.Skip(err)
	}
	if out, err := exec.Command(cc, "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("building the hostile parent: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, os.Args[0], "-test.run=^TestAgentStartsFromADefinedSignalState$", "-test.v")
	cmd.Env = append(os.Environ(), "FORKSPEC_SIGSTATE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestAgentStartsFromADefinedSignalState") {
		t.Fatalf("the oracle under a parent that ignores and blocks every signal: %v\n%s", err, out)
	}
}

// sigStateChild is the test's body, in the driver that hostileParent ran.
func sigStateChild(t *testing.T) {
	// The driver really did inherit a hostile state (else this proves
	// nothing): something ignored, everything blockable blocked.
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	ign, blk := statusHex(string(st), "SigIgn"), statusHex(string(st), "SigBlk")
	t.Logf("driver: SigIgn %#x SigBlk %#x", ign, blk)
	if ign&(1<<31) == 0 || blk == 0 {
		t.Fatalf("the driver's signal state is not hostile: SigIgn %#x SigBlk %#x", ign, blk)
	}
	lockstep(t, abi.Config{}, []step{
		{1, abi.Fork{}},
		{2, abi.Kill{Pid: 2, Sig: abi.SIGUSR1}}, // SIG_DFL: kills
		{1, abi.Fork{}},
		{3, abi.Sigprocmask{How: abi.SIG_BLOCK, Set: abi.SigBit(abi.SIGTERM)}},
		{1, abi.Kill{Pid: 3, Sig: abi.SIGTERM}},
		{3, abi.Execve{Image: "sh"}},
		{1, abi.Wait4{Pid: 2}},
	})
}

// TestHostileParentIsHostile: the helper does what it says, seen from a
// process it starts (so a pass above is not for want of a hostile parent).
func TestHostileParentIsHostile(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	cc, err := cCompiler()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "hostile.c"), filepath.Join(dir, "hostile")
	if err := os.WriteFile(src, []byte(hostileParent), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := exec.Command(bin, "/bin/cat", "/proc/self/status").Output()
	if err != nil {
		t.Fatal(err)
	}
	st := string(out)
	blockable := ^uint64(0) &^ (1<<(abi.SIGKILL-1) | 1<<(abi.SIGSTOP-1))
	want := map[string]uint64{"SigIgn": blockable, "SigBlk": blockable, "ShdPnd": 1<<31 | 1<<(abi.SIGUSR1-1)}
	for key, bits := range want {
		if got := statusHex(st, key); got&bits != bits {
			t.Errorf("%s = %#x, want bits %#x (%s)", key, got, bits, strconv.Quote(st))
		}
	}
}
