package props

import (
	"testing"

	"github.com/forkspec/forkspec/gen"
)

// The suites of the properties in checks_inherit.go, checks_reap.go,
// checks_wait.go and checks_fd.go: each on the model and on the impl alone
// (perBackend), with the generator leaning towards the syscalls its rule is
// about. Each runs lifeShare of the -rapid.checks budget, so that the six
// together cost what three of the other suites do (see suite.share): with
// the default budget each caught its injected impl bugs (issue 16's
// closing note) within its first 70 runs.

// lifeShare is the fraction of -rapid.checks each suite below runs.
const lifeShare = 1.0 / 2

// TestDontForkWipeOnFork: a fork child has the caller's address space minus
// its DONTFORK ranges, with WIPEONFORK ranges empty and still marked, and
// the caller's frames elsewhere (FORK-2, FORK-6, COW-1).
func TestDontForkWipeOnFork(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckDontForkWipeOnFork, share: lifeShare, tune: func(g *gen.Generator) {
		g.Emphasize(4, "madvise", "fork", "clone", "clone3", "store", "mmap")
		g.MacroPerMille = 300
	}})
}

// TestSignalInheritance: a new process starts with nothing pending or
// handled, the caller's mask and dispositions, no subreaper mark; exec keeps
// the pending signals it blocks (FORK-3, FORK-5, CLONE-4, EXEC-3).
func TestSignalInheritance(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckSignalInheritance, share: lifeShare, tune: func(g *gen.Generator) {
		g.Emphasize(4, "sigprocmask", "kill", "sigaction", "fork", "clone", "clone3", "execve", "prctl")
	}})
}

// TestReparentTarget: orphans go to a live sibling thread, else the nearest
// living subreaper ancestor, else init, with SIGCHLD as termination signal
// (REAP-1, REAP-2, THR-1).
func TestReparentTarget(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckReparentTarget, share: lifeShare, tune: func(g *gen.Generator) {
		g.Emphasize(4, "fork", "clone", "clone3", "exit", "exit_group", "kill", "prctl")
		g.MacroPerMille = 300
	}})
}

// TestAutoReap: an ending process is reaped at once exactly when it is
// notified with SIGCHLD and its parent ignores SIGCHLD or set SA_NOCLDWAIT
// (WAIT-5, REAP-2, CLONE-6).
func TestAutoReap(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckAutoReap, share: lifeShare, tune: func(g *gen.Generator) {
		g.Emphasize(8, "clone", "clone3")
		g.Emphasize(4, "sigaction", "exit", "exit_group", "kill", "execve")
		g.MacroPerMille = 300
	}})
}

// TestWaitEligibility: wait4 reaps exactly a child its pid and options
// select, with its status; ECHILD when none matches; 0 under WNOHANG when
// none is waitable (WAIT-1 … WAIT-4).
func TestWaitEligibility(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckWaitEligibility, share: lifeShare, tune: func(g *gen.Generator) {
		g.Emphasize(8, "wait4", "clone", "clone3")
		g.Emphasize(4, "exit", "exit_group", "kill")
		g.MacroPerMille = 400
	}})
}

// TestSharedOffsets: open file descriptions are shared across fork and dup,
// never split or merged, and write and lseek move exactly the one named
// (FORK-4, FD-2, FD-3, FD-4).
func TestSharedOffsets(t *testing.T) {
	perBackend(t, suite{checks: CheckRefusals | CheckSharedOffsets, share: lifeShare, tune: func(g *gen.Generator) {
		g.Emphasize(4, "open", "dup", "write", "lseek", "close", "fcntl", "fork", "clone", "execve")
	}})
}
