package traces

import (
	"fmt"

	"github.com/forkspec/forkspec/abi"
)

// Step is one line of a trace: task Tid performs Call.
type Step struct {
	// Line is the 1-based line of the step in its source; 0 for a step that
	// was built in code rather than parsed.
	Line int
	// Tid is the task that performs the step.
	Tid int
	// Call is the syscall. Invariant: never nil in a parsed trace.
	Call abi.Syscall
	// Want is the expected result, or nil when the trace expects nothing.
	Want *abi.Result
	// Comment is the text of a '#' comment on the step's own line, without
	// the '#' and one following space. Invariant: no newline.
	Comment string
	// Before holds the comment lines directly above the step (after the
	// header), one entry per line, without "# ". They explain the step.
	Before []string
}

// String prints the step as one trace line, without comments.
func (s Step) String() string {
	line := fmt.Sprintf("%d %v", s.Tid, s.Call)
	if s.Want != nil {
		line += " -> " + ResultText(s.Call, *s.Want)
	}
	return line
}

// ResultText prints r as trace syntax after "->" for call: r.String(),
// except that a value loaded from memory is printed in hex, the way stores
// and image contents are written (ParseResult reads both).
func ResultText(call abi.Syscall, r abi.Result) string {
	if _, ok := call.(abi.Load); ok && r.Err == 0 && r.Outcome == abi.OutcomeOK && r.Status == 0 {
		return fmt.Sprintf("%#x", r.Ret)
	}
	return r.String()
}

// Trace is a parsed trace file.
type Trace struct {
	// Name identifies the trace in messages: normally the file path.
	Name string
	// Comments are the header's comment lines (before the first blank line
	// or step), without "# ", option lines excluded.
	Comments []string
	// Options are the header's option lines.
	Options Options
	// Steps in order.
	Steps []Step
	// Asserts are the trace's `# expect:` lines in order: checks on the
	// View after the steps above each (Assertion.After), on every backend.
	Asserts []Assertion
	// Tail holds the comment lines after the last step.
	Tail []string
}

// Options are the settings a trace needs from its backends, written in the
// header as `# option: key=value ...`.
type Options struct {
	// MaxTasks is the task limit (abi.Config.MaxTasks, FORK-7); 0 means
	// abi.DefaultMaxTasks. Written max-tasks=N.
	MaxTasks int
	// PKU is abi.Machine.PKU; unknown when absent. Written pku=yes|no.
	PKU abi.Feature
	// CommitPages is abi.Machine.CommitPages; unknown when 0. Written
	// commit-pages=N or commit-pages=unlimited.
	CommitPages uint64
	// DacMmapMinAddr is abi.Machine.DacMmapMinAddr (vm.mmap_min_addr);
	// unknown when 0. Written dac-mmap-min-addr=N.
	DacMmapMinAddr uint64
	// Target is the kernel the world's rules follow (abi.Target), written
	// kernel=6.1, mmap=bottom-up and arch=um; zero is this machine's.
	Target abi.Target
}

// Config is the backend configuration the options ask for.
func (o Options) Config() abi.Config {
	return abi.Config{MaxTasks: o.MaxTasks, Machine: abi.Machine{PKU: o.PKU, CommitPages: o.CommitPages, DacMmapMinAddr: o.DacMmapMinAddr},
		Target: o.Target}
}

// OptionsOf returns the options that ask for cfg (the inverse of Config).
func OptionsOf(cfg abi.Config) Options {
	return Options{MaxTasks: cfg.MaxTasks, PKU: cfg.PKU, CommitPages: cfg.CommitPages, DacMmapMinAddr: cfg.DacMmapMinAddr,
		Target: cfg.Target}
}

// Backend is a named way to build a fresh kernel.
type Backend struct {
	// Name labels the backend in results and diffs ("model", "impl").
	Name string
	// New builds a kernel in its initial state (task 1 running init).
	New func(abi.Config) abi.Kernel
}
