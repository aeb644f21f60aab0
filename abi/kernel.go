package abi

// Kernel is a backend that executes steps: the reference model, the optimized
// impl and the Linux oracle all implement it.
//
// A Kernel starts with task 1 running image "init" (WORLD-1). Step performs
// one syscall by task tid and returns its Result; it never panics, whatever
// the input. View reports the observable state in canonical form (see View).
type Kernel interface {
	Step(tid int, sc Syscall) Result
	View() View
}

// Checker is implemented by backends that can verify their own internal
// consistency from scratch. CheckInvariants returns nil or every violation
// found, joined with errors.Join.
type Checker interface {
	CheckInvariants() error
}

// FrameNamer is implemented by backends that can name the physical frame
// behind a page with an identity that stays the same across steps while the
// frame lives (model: its frame token; impl: its frame number; Linux: the
// PFN from /proc/PID/pagemap). A canonical View renumbers frames at every
// call, so reuse (COW-3: the same frame before and after a store) and the
// stable frame names of a picture need this capability; a backend without
// it cannot check `frame T:ADDR kept`, and reports it unchecked.
type FrameNamer interface {
	// FrameID returns the identity of the data frame behind the page that
	// holds addr in task tid's address space; ok is false when there is
	// none (no such task, no mapping, or a page without a data frame, COW-7).
	FrameID(tid int, addr uint64) (id uint64, ok bool)
}

// Config holds the parameters every backend must agree on.
type Config struct {
	// MaxTasks bounds the tasks in existence (running, frozen or zombie, until
	// reaped or released). A fork, vfork or clone that would pass it fails
	// EAGAIN and creates nothing (FORK-7). Zero means DefaultMaxTasks.
	MaxTasks int
	// Machine holds the facts about the machine that change what Linux
	// answers. Their zero values mean "unknown": a step whose answer would
	// depend on an unknown fact is refused by every backend (Refusal). The
	// Linux oracle reads them from its machine (linux.Machine).
	Machine
	// Target is the kernel whose rules the world follows where kernels
	// differ (target.go); the zero value is this machine's.
	Target Target
}

// Machine is what a world knows about the machine it runs on
// (docs/conventions.md "The machine").
type Machine struct {
	// PKU says whether the CPU has memory protection keys that the kernel
	// uses (x86 X86_FEATURE_OSPKE, "ospke" in /proc/cpuinfo). With them a
	// mapping whose protection was set to exactly PROT_EXEC is
	// execute-only: a load from it faults (do_mmap and do_mprotect_pkey
	// give it the execute-only pkey, execute_only_pkey). Without them it
	// is readable, as every x86 mapping that is not PROT_NONE.
	PKU Feature
	// CommitPages is the overcommit heuristic's limit in pages
	// (vm.overcommit_memory 0, OVERCOMMIT_GUESS: totalram_pages() +
	// total_swap_pages, i.e. MemTotal + SwapTotal): a single charge of more
	// pages fails ENOMEM (__vm_enough_memory). Charges are made by mmap of
	// writable private memory (less the accounted pages it replaces) and of
	// any MAP_SHARED memory (shmem accounts its whole size), by mprotect
	// that makes unaccounted private memory writable (per vma), and by fork
	// for every accounted vma it copies. CommitUnlimited is
	// vm.overcommit_memory 1. Zero: unknown.
	CommitPages uint64
	// DacMmapMinAddr is vm.mmap_min_addr as the sysctl shows it (the
	// kernel's dac_mmap_min_addr): a MAP_FIXED mapping starting below it
	// fails EPERM for a task without CAP_SYS_RAWIO (__get_unmapped_area →
	// security_mmap_addr → cap_mmap_addr), and forkspec's tasks hold no
	// capabilities (the oracle's agents run under an unprivileged uid).
	// Hints are raised to MmapMinAddr instead, the kernel's mmap_min_addr,
	// which also counts CONFIG_LSM_MMAP_MIN_ADDR and may be larger
	// (round_hint_to_min). Zero: unknown, and a MAP_FIXED below
	// MmapMinAddr is refused. The oracle runs only where it is between
	// PageSize and MmapMinAddr and no LSM enforces a larger one.
	DacMmapMinAddr uint64
}

// FixedBelowMin says whether a MAP_FIXED mapping at addr fails EPERM
// because it starts below vm.mmap_min_addr (cap_mmap_addr): known is false
// when the world does not know the sysctl and addr is below MmapMinAddr.
func (m Machine) FixedBelowMin(addr uint64) (eperm, known bool) {
	if m.DacMmapMinAddr == 0 {
		return false, addr >= MmapMinAddr
	}
	return addr < m.DacMmapMinAddr, true
}

// Feature is a yes/no fact about the machine that may be unknown.
type Feature uint8

const (
	FeatureUnknown Feature = iota // the zero value: the world does not say
	FeatureAbsent
	FeaturePresent
)

// String is "unknown", "no" or "yes", as trace options write it.
func (f Feature) String() string {
	switch f {
	case FeatureAbsent:
		return "no"
	case FeaturePresent:
		return "yes"
	}
	return "unknown"
}

// CommitUnlimited is Machine.CommitPages when every charge succeeds
// (vm.overcommit_memory 1, OVERCOMMIT_ALWAYS).
const CommitUnlimited = ^uint64(0)

// CommitFloor is the largest charge, in pages (1 GiB), that a world with an
// unknown commit limit answers as fitting; larger charges are refused. Every
// machine the oracle runs on commits at least this much at once (it checks).
const CommitFloor = 1 << 18

// Commit says whether a single charge of pages fits the commit limit:
// fits is the answer and known is false when the limit is unknown and the
// charge exceeds CommitFloor (the step must then be refused).
func (m Machine) Commit(pages uint64) (fits, known bool) {
	if m.CommitPages == 0 {
		return pages <= CommitFloor, pages <= CommitFloor
	}
	return pages <= m.CommitPages, true
}

// ExecOnlyFaults says whether a load from an execute-only mapping faults:
// known is false when PKU is unknown.
func (m Machine) ExecOnlyFaults() (faults, known bool) {
	return m.PKU == FeaturePresent, m.PKU != FeatureUnknown
}

// DefaultMaxTasks is the task limit when Config.MaxTasks is zero.
const DefaultMaxTasks = 64

// Limit returns the effective task limit.
func (c Config) Limit() int {
	if c.MaxTasks <= 0 {
		return DefaultMaxTasks
	}
	return c.MaxTasks
}
