package linux

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// agentSource is the C agent (agent.c and the headers it includes); it is
// compiled at run time with the system's C compiler because Go's runtime
// cannot run safely in a raw fork/vfork child.
//
//go:embed agent/agent.c agent/sys.h agent/bench.h
var agentSource embed.FS

// agentFiles are the agent's source files, in hashing order.
var agentFiles = []string{"agent.c", "sys.h", "bench.h"}

// ccFlags build the agent (hashed with the sources), with defs, the
// layout's (Space.defines). The binary is linked at the layout's AgentText,
// above the arena inside the reservation, so that nothing of the agent's
// lies below ArenaEnd: a mmap placed below the arena (MEM-3k) finds there
// only what the trace mapped, as in the model. Code that high needs the
// large code model.
func ccFlags(defs []string) []string {
	return append([]string{"-O2", "-static", "-nostdlib", "-ffreestanding",
		"-fno-stack-protector", "-fno-pie", "-no-pie", "-fcf-protection=none",
		"-fno-asynchronous-unwind-tables", "-fno-zero-initialized-in-bss",
		"-mcmodel=large"}, defs...)
}

// agentText is where the agent's code is linked on this machine: 40 TiB,
// between ArenaEnd (32 TiB) and the agent zone (48 TiB, HostSpace.StackArea).
const agentText = 0x280000000000

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// agentBinary returns the path of the compiled agent, building it once per
// process into a cache directory named by the source's hash (so concurrent
// test binaries share one build); in a kernel-under-test guest, the agent
// UseSpace was given.
func agentBinary() (string, error) {
	if agentOverride != "" {
		return agentOverride, nil
	}
	buildOnce.Do(func() { buildPath, buildErr = build(HostSpace.defines()) })
	return buildPath, buildErr
}

// BuildAgent builds the agent for the layout s (cached like agentBinary's)
// and returns its path, for a kernel under test that runs the oracle in s
// (UseSpace). It needs cc.
func BuildAgent(s Space) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	return build(s.defines())
}

// build compiles the agent with the extra cc flags defs (the layout).
func build(defs []string) (string, error) {
	h := sha256.New()
	srcs := map[string][]byte{}
	for _, f := range agentFiles {
		b, err := agentSource.ReadFile("agent/" + f)
		if err != nil {
			return "", err
		}
		srcs[f] = b
		h.Write([]byte(f))
		h.Write(b)
	}
	for _, f := range ccFlags(defs) {
		h.Write([]byte(f))
	}
	sum := h.Sum(nil)
	dir := filepath.Join(os.TempDir(), "forkspec-agent-"+hex.EncodeToString(sum[:8]))
	bin := filepath.Join(dir, "agent")
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, f := range agentFiles {
		if err := os.WriteFile(filepath.Join(tmp, f), srcs[f], 0o644); err != nil {
			return "", err
		}
	}
	src := filepath.Join(tmp, "agent.c")
	out := filepath.Join(tmp, "agent")
	cc, err := cCompiler()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(cc, append(ccFlags(defs), "-o", out, src)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the agent with %s: %v\n%s", cc, err, msg)
	}
	if err := os.Chmod(out, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(out, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// cCompiler is the C compiler that builds the agent: cc, or gcc where there
// is no cc (the agent needs only GCC-compatible flags).
func cCompiler() (string, error) {
	for _, name := range []string{"cc", "gcc"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("no C compiler to build the agent: neither cc nor gcc is on PATH")
}

// Available reports whether the Linux oracle can run here, and if not, why:
// it needs Linux on x86-64, root (pid namespaces, pagemap frame numbers,
// kcmp), a C compiler (cc or gcc), and pid namespaces.
func Available() (ok bool, why string) {
	if runtime.GOOS != "linux" {
		return false, "the Linux oracle needs Linux (GOOS=" + runtime.GOOS + ")"
	}
	if runtime.GOARCH != "amd64" {
		return false, "the Linux oracle's agent is x86-64 only (GOARCH=" + runtime.GOARCH + ")"
	}
	if os.Geteuid() != 0 {
		return false, "the Linux oracle needs root (pid namespace, pagemap frame numbers, kcmp)"
	}
	if _, err := cCompiler(); err != nil {
		return false, "the Linux oracle needs a C compiler (cc or gcc) to build its agent"
	}
	if _, err := os.Stat("/proc/self/ns/pid"); err != nil {
		return false, "the Linux oracle needs pid namespaces (/proc/self/ns/pid)"
	}
	return machineSupported()
}
