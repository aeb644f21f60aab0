package docs

// Clauses lists every clause ID of the semantics catalogue
// (shared/semantics.md) in catalogue order. Every clause must have at least
// one spec (TestEveryClauseHasASpec), and every spec must belong to one of
// them. Keep it in step with the catalogue when a clause is added.
var Clauses = []string{
	"WORLD-1", "WORLD-2", "WORLD-3",
	"FORK-1", "FORK-2", "FORK-3", "FORK-4", "FORK-5", "FORK-6", "FORK-7",
	"VFORK-1", "VFORK-2", "VFORK-3", "VFORK-4", "VFORK-5", "VFORK-6", "VFORK-7",
	"CLONE-1", "CLONE-2", "CLONE-3", "CLONE-4", "CLONE-5", "CLONE-6", "CLONE-7", "CLONE-8",
	"EXEC-1", "EXEC-2", "EXEC-3", "EXEC-4", "EXEC-5", "EXEC-6",
	"EXIT-1", "EXIT-2", "EXIT-3", "EXIT-4",
	"WAIT-1", "WAIT-2", "WAIT-3", "WAIT-4", "WAIT-5", "WAIT-6",
	"REAP-1", "REAP-2",
	"MEM-1", "MEM-2", "MEM-3", "MEM-4", "MEM-5", "MEM-6",
	"COW-1", "COW-2", "COW-3", "COW-4", "COW-5", "COW-6", "COW-7",
	"FD-1", "FD-2", "FD-3", "FD-4", "FD-5", "FD-6",
	"PIPE-1", "PIPE-2", "PIPE-3", "PIPE-4", "PIPE-5",
	"FUTEX-1", "FUTEX-2", "FUTEX-3", "FUTEX-4",
	"SIG-1", "SIG-2", "SIG-3", "SIG-4", "SIG-5", "SIG-6", "SIG-7", "SIG-8",
	"THR-1", "THR-2", "THR-3", "THR-4",
}

// Pages lists the topic pages in the order the index shows them.
var Pages = []string{
	"world.md", "fork.md", "vfork.md", "clone.md", "exec.md", "exit-and-wait.md",
	"reparenting.md", "memory.md", "physical-sharing.md", "file-descriptors.md",
	"signals.md", "threads.md", "pipes.md", "libc.md",
}
