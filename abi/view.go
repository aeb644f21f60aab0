package abi

// View is the observable state of a world in canonical form: two backends in
// the same observable state produce equal Views (== via go-cmp, no options).
//
// Backends fill a View with their own identities (any nonzero ints for mms,
// fd tables, open files, disposition tables, fs structs and frames) and call
// Canonicalize, which renumbers every identity 1, 2, 3, … in order of first
// appearance and sorts every slice.
type View struct {
	Tasks    []TaskView    // sorted by Tid
	Procs    []ProcView    // one per thread group, sorted by Tgid
	Mms      []MmView      // sorted by ID
	FdTables []FdTableView // sorted by ID
	Files    []FileView    // open file descriptions, sorted by ID
	Inodes   []InodeView   // the fixed files with nonzero size, sorted by Path
	Sighands []SighandView // sorted by ID
	Fss      []FsView      // sorted by ID
	Pipes    []PipeView    // pipes some open file refers to, sorted by ID
}

// TaskState names what a task can do now.
type TaskState int

const (
	// Running: the task can perform steps.
	Running TaskState = iota
	// VforkFrozen: the task is a vfork parent waiting for its child's exec or
	// exit (VFORK-2); it cannot perform steps.
	VforkFrozen
	// Zombie: the task has exited and awaits being reaped (or, as a group
	// leader, awaits its other threads); it cannot perform steps.
	Zombie
	// Blocked: the task sleeps in a call (TaskView.Call) until an event or
	// a signal ends the sleep (docs/conventions.md "Blocking"); it cannot
	// perform steps.
	Blocked
)

// TaskView is one task (thread) in existence.
type TaskView struct {
	Tid  int
	Tgid int
	// Ppid is what getppid would return in this task: the pid of the parent
	// of the task's group.
	Ppid  int
	State TaskState
	// ExitSignal is the signal sent to the parent when this process ends
	// (the group leader's); 0 for none. Threads report -1, as Linux does in
	// /proc/PID/stat.
	ExitSignal int
	// WaitStatus is the status a zombie reports to wait4; 0 otherwise.
	WaitStatus int
	// Image is the name of the image the task runs.
	Image string
	// Mm, FdTable, Sighand and Fs are identities of the shared objects the
	// task uses; 0 for a zombie, which has released them.
	Mm, FdTable, Sighand, Fs int
	// Blocked is the task's signal mask.
	Blocked SigSet
	// Handled counts the handler runs this thread performed, per signal, for
	// signals it handled at least once: which thread of a group took a
	// process-directed signal (SIG-2). A thread's counts follow it through
	// a non-leader's exec (it takes the leader's tid); a released thread
	// leaves the View with its counts, which ProcView.Handled keeps.
	// Invariant: sorted by Sig, every Count > 0, nil when empty.
	Handled []SigCount
	// Pending is the thread's own pending set (task->pending: tgkill,
	// tkill, SIGPIPE; /proc/PID/task/TID/status SigPnd).
	Pending SigSet
	// Call is the call a Blocked task sleeps in, in trace syntax. Once it
	// completed in a later step than its own, Call stays and Returned and
	// Return hold what it returned, until the task performs its next step:
	// the task is back in user space with that result, which is then
	// collected. Any step the task performs collects it, a failed one too
	// (the only change a failed call with no partial effect makes); a step
	// that is refused is not performed and collects nothing (WORLD-3), and
	// no other task's step touches these fields except the one that
	// completes the call.
	// Invariant: "" unless State is Blocked or Returned is set; Returned
	// only when State is not Blocked.
	Call     string
	Returned bool
	Return   Result
}

// ProcView is per-process (thread-group) state.
type ProcView struct {
	Tgid      int
	Subreaper bool
	// Pending holds the signals pending for the process (shared pending).
	Pending SigSet
	// Handled counts handler runs per signal, for signals handled at least
	// once, by any thread of the process, released threads included: the
	// process total of the threads' TaskView.Handled.
	Handled []SigCount
}

// SigCount is how many times a handler ran for Sig.
type SigCount struct {
	Sig   int
	Count int
}

// MmView is one address space.
type MmView struct {
	ID int
	// Mappings are the mapped ranges in address order. Canonicalize merges
	// adjacent ranges with equal attributes, so the split points of the
	// backend's own structures never show.
	Mappings []MappingView
	// Pages lists the pages that hold a data frame (stored to, or a touched
	// MAP_SHARED page), in address order. Pages absent from the list read 0.
	Pages []PageView
}

// MappingView is a mapped range [Start, End) with its attributes.
type MappingView struct {
	Start, End uint64
	Prot       int64
	Shared     bool // MAP_SHARED; else MAP_PRIVATE
	DontFork   bool // MADV_DONTFORK
	WipeOnFork bool // MADV_WIPEONFORK
}

// PageView is one page that holds a data frame: the word at its start, and
// the frame's identity. Two pages with the same Frame are backed by the same
// physical page (the sharing partition, COW-1 … COW-7).
type PageView struct {
	Addr  uint64
	Value uint64
	Frame int
}

// FdTableView is one fd table.
type FdTableView struct {
	ID  int
	Fds []FdView // sorted by Fd
}

// FdView is one open fd: the open file description it refers to and its
// close-on-exec flag.
type FdView struct {
	Fd      int
	File    int
	Cloexec bool
}

// FileView is one open file description: of one of the fixed files (Path,
// Offset), or one end of a pipe (Path "pipe", Pipe its identity, WriteEnd
// which end, Offset 0).
type FileView struct {
	ID       int
	Path     string
	Offset   int64
	Pipe     int
	WriteEnd bool
}

// PipeView is one pipe: the bytes in it (FIONREAD).
type PipeView struct {
	ID    int
	Bytes int64
}

// InodeView is the size of one of the fixed files.
type InodeView struct {
	Path string
	Size int64
}

// SighandView is one disposition table; Actions lists only signals whose
// action is not the default with no flags.
type SighandView struct {
	ID      int
	Actions []ActionView // sorted by Sig
}

// ActionView is the action for one signal.
type ActionView struct {
	Sig     int
	Handler Disposition
	Flags   uint64
}

// FsView is one fs struct (CLONE_FS shares it): the umask.
type FsView struct {
	ID    int
	Umask int64
}

// SigSet is a set of signals: bit sig-1 for signal sig (as in the kernel's sigset_t).
type SigSet uint64

// SigBit is the set holding only sig.
func SigBit(sig int) SigSet { return SigSet(1) << uint(sig-1) }

// Has reports whether sig is in the set.
func (s SigSet) Has(sig int) bool { return sig >= 1 && sig <= NSIG && s&SigBit(sig) != 0 }
