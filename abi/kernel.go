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
	// Target is the kernel whose rules the world follows where kernels
	// differ (target.go); the zero value is this machine's.
	Target Target
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
