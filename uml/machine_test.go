package uml

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/linux"
)

// fakeKernel writes a shell script that stands in for a kernel binary.
func fakeKernel(t *testing.T, body string) string {
	t.Helper()
	if ok, why := linux.Available(); !ok {
		t.Skip(why) // Boot builds the agent for the guest with cc, as root
	}
	p := filepath.Join(t.TempDir(), "linux")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// withTimeouts shortens the bounded waits for one test.
func withTimeouts(t *testing.T, boot, call time.Duration) {
	oldBoot, oldCall := BootTimeout, CallTimeout
	BootTimeout, CallTimeout = boot, call
	t.Cleanup(func() { BootTimeout, CallTimeout = oldBoot, oldCall })
}

// TestBootFailures: a kernel that exits, panics, hangs or garbles the
// channel before the guest says hello is a clear error within the boot
// timeout, with the console's last lines.
func TestBootFailures(t *testing.T) {
	withTimeouts(t, 3*time.Second, 3*time.Second)
	for _, c := range []struct {
		name, script string
		want         []string
	}{
		{"exits", `echo "Failed to initialize ubd device 0" >&2; exit 3`, []string{"exited", "exit status 3", "ubd device 0"}},
		{"panics", `echo "Kernel panic - not syncing: VFS: Unable to mount root fs"; exit 1`, []string{"panicked", "Unable to mount root"}},
		{"hangs", `sleep 600`, []string{"no answer from the guest within 3s"}},
		{"garbles", `printf '\377\377\377\377' >&4; sleep 600`, []string{"corrupt channel"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			m, err := Boot(fakeKernel(t, c.script))
			if err == nil {
				m.Close()
				t.Fatal("Boot succeeded")
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("Boot took %v to fail", d)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if ok, why := Available(filepath.Join(t.TempDir(), "nosuch")); ok || !strings.Contains(why, "no User-Mode Linux kernel") {
		t.Errorf("Available(missing) = %v, %q", ok, why)
	}
	if ok, why := Available(DefaultKernel); !ok && !strings.Contains(why, "apt-get install user-mode-linux") {
		t.Errorf("Available(default) does not say how to install it: %q", why)
	}
}

// bootOwn boots a machine of its own (the failure tests break it), or
// skips where there is no User-Mode Linux.
func bootOwn(t *testing.T) *Machine {
	t.Helper()
	if ok, why := Available(*testKernel); !ok {
		requireUML(t, why)
	}
	m, err := Boot(*testKernel)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// requireUML skips a test that needs User-Mode Linux, or fails it where
// FORKSPEC_REQUIRE_UML is set (CI installs it).
func requireUML(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("FORKSPEC_REQUIRE_UML") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// gone waits until the process pid no longer exists.
func gone(pid int) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			return true
		}
	}
	return false
}

// TestGuestPanic: a kernel panic in the guest ends the machine with an
// error that says so; the world refuses every later step instead of
// hanging, and the kernel's processes are gone.
func TestGuestPanic(t *testing.T) {
	m := bootOwn(t)
	k, err := m.New(abi.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r := k.Step(1, abi.Fork{}); r.Ret != 2 {
		t.Fatalf("fork: %v (%v)", r, k.Err())
	}
	_, err = m.call(request{Op: opSysrq, Call: "c"}, CallTimeout)
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("after sysrq c: %v, want a panic", err)
	}
	start := time.Now()
	if r := k.Step(2, abi.Getpid{}); r.Outcome != abi.OutcomeUnsupported || k.Err() == nil {
		t.Errorf("a step after the panic: %v, err %v", r, k.Err())
	}
	if time.Since(start) > time.Second {
		t.Error("a step after the panic waited")
	}
	if !gone(m.cmd.Process.Pid) {
		t.Error("the kernel process outlived its panic")
	}
}

// TestGuestHang: a guest that stops answering is an error after
// CallTimeout, and the kernel is killed.
func TestGuestHang(t *testing.T) {
	m := bootOwn(t)
	withTimeouts(t, BootTimeout, 2*time.Second)
	start := time.Now()
	_, err := m.call(request{Op: opHang}, CallTimeout)
	if err == nil || !strings.Contains(err.Error(), "no answer from the guest within 2s") {
		t.Fatalf("hang: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the hang took %v to detect", d)
	}
	if !gone(m.cmd.Process.Pid) {
		t.Error("the hung kernel was not killed")
	}
}

// TestCloseLeavesNothing: Close powers the guest off, and neither the
// kernel's processes nor its boot directory remain.
func TestCloseLeavesNothing(t *testing.T) {
	m := bootOwn(t)
	k, err := m.New(abi.Config{})
	if err != nil {
		t.Fatal(err)
	}
	k.Step(1, abi.Fork{})
	pid := m.cmd.Process.Pid
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if !gone(pid) {
		t.Error("the kernel process outlived Close")
	}
	if syscall.Kill(-pid, 0) != syscall.ESRCH {
		t.Error("a process of the kernel's group outlived Close")
	}
	if _, err := os.Stat(m.dir); !os.IsNotExist(err) {
		t.Errorf("boot directory %s: %v", m.dir, err)
	}
	if r := k.Step(1, abi.Getpid{}); r.Outcome != abi.OutcomeUnsupported {
		t.Errorf("a step on a closed machine: %v", r)
	}
}

// TestTargetRefusalAfterTaskState: the kernel's target refusals (abi.
// TargetRefusal) come after the task's own answers, as in the model: a
// zombie's MADV_DONTFORK is "zombie", a running task's is refused.
func TestTargetRefusalAfterTaskState(t *testing.T) {
	m := sharedOrSkip(t)
	if abi.TargetRefusal(m.Target(), abi.Madvise{Addr: abi.ArenaStart, Len: abi.PageSize, Advice: abi.MADV_DONTFORK}, nil) == "" {
		t.Skipf("Linux %s refuses nothing here", m.Release)
	}
	k, err := m.New(abi.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	dontfork := abi.Madvise{Addr: abi.ArenaStart + 0x200000, Len: abi.PageSize, Advice: abi.MADV_DONTFORK}
	for _, c := range []struct {
		tid  int
		sc   abi.Syscall
		want abi.Outcome
	}{
		{1, abi.Fork{}, abi.OutcomeOK},
		{2, abi.ExitGroup{}, abi.OutcomeExited},
		{2, dontfork, abi.OutcomeTaskZombie},
		{9, dontfork, abi.OutcomeNoTask},
		{1, dontfork, abi.OutcomeUnsupported},
	} {
		if r := k.Step(c.tid, c.sc); r.Outcome != c.want {
			t.Errorf("%d %v: %v, want outcome %d", c.tid, c.sc, r, c.want)
		}
	}
	if k.Refused() == "" {
		t.Error("the refusal gives no reason")
	}
}
