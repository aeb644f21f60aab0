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
	for _, d := range defs {
		h.Write([]byte(d))
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
	args := append([]string{"-O2", "-static", "-nostdlib", "-ffreestanding",
		"-fno-stack-protector", "-fno-pie", "-no-pie", "-fcf-protection=none",
		"-fno-asynchronous-unwind-tables", "-fno-zero-initialized-in-bss"}, defs...)
	cmd := exec.Command("cc", append(args, "-o", out, src)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the agent with cc: %v\n%s", err, msg)
	}
	if err := os.Chmod(out, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(out, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// Available reports whether the Linux oracle can run here, and if not, why:
// it needs Linux on x86-64, root (pid namespaces, pagemap frame numbers,
// kcmp), a C compiler named cc, and pid namespaces.
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
	if _, err := exec.LookPath("cc"); err != nil {
		return false, "the Linux oracle needs a C compiler named cc to build its agent"
	}
	if _, err := os.Stat("/proc/self/ns/pid"); err != nil {
		return false, "the Linux oracle needs pid namespaces (/proc/self/ns/pid)"
	}
	return true, ""
}
