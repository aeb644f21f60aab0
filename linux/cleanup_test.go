package linux

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forkspec/forkspec/abi"
)

// alive reports whether host pid exists and is not a zombie (a zombie whose
// parent is gone is reaped by the kernel shortly).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range pids {
		for alive(p) {
			if time.Now().After(deadline) {
				t.Fatalf("agent %d survived", p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestCloseKillsEverything: Close ends every agent, frozen and zombie ones
// included.
func TestCloseKillsEverything(t *testing.T) {
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	k, err := New(abi.Config{})
	if err != nil {
		t.Fatal(err)
	}
	do(t, k, 1, abi.Fork{})
	do(t, k, 2, abi.Vfork{})
	do(t, k, 1, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD})
	do(t, k, 1, abi.Fork{})
	do(t, k, 5, abi.Exit{Code: 0})
	pids := append(k.HostPids(), k.InitPid())
	if len(pids) < 5 {
		t.Fatalf("host pids %v", pids)
	}
	for _, p := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", p)); err != nil {
			t.Fatalf("agent %d not there before Close", p)
		}
	}
	dir := k.dir
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pids)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("world directory %s left behind", dir)
	}
}

// TestDriverCrashKillsEverything: when the driver process dies without
// Close (a crash, a test timeout), init gets SIGKILL (PR_SET_PDEATHSIG)
// and the namespace's death kills every other agent.
func TestDriverCrashKillsEverything(t *testing.T) {
	if os.Getenv("FORKSPEC_CRASH_CHILD") == "1" {
		k, err := New(abi.Config{})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		k.Step(1, abi.Fork{})
		k.Step(2, abi.Vfork{})
		k.Step(1, abi.Clone{Flags: abi.CLONE_VM | abi.CLONE_SIGHAND | abi.CLONE_THREAD})
		fmt.Println("PIDS", k.InitPid(), strings.Trim(fmt.Sprint(k.HostPids()), "[]"))
		syscall.Kill(os.Getpid(), syscall.SIGKILL) // crash: no Close, no defers
	}
	if ok, why := Available(); !ok {
		t.Skip(why)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDriverCrashKillsEverything$")
	cmd.Env = append(os.Environ(), "FORKSPEC_CRASH_CHILD=1")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "PIDS "); ok {
			for _, f := range strings.Fields(rest) {
				p, _ := strconv.Atoi(f)
				pids = append(pids, p)
			}
		}
		if strings.HasPrefix(line, "ERR") {
			t.Fatal(line)
		}
	}
	cmd.Wait()
	if len(pids) < 4 {
		t.Fatalf("the crashing driver reported pids %v", pids)
	}
	waitGone(t, pids)
}
