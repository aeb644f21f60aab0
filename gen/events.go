package gen

import (
	"fmt"
	"strings"
)

// Event names something interesting a step did. Events are derived only from
// the step, its Result and the canonical Views before and after it, so they
// mean the same on every backend and `forkspec check` can count them too.
type Event int

const (
	COWCopy               Event = iota // a store to a private page whose frame others also map (COW-2)
	COWReuse                           // a store to a once-shared page now mapped by no one else (COW-3)
	VforkReleasedByExec                // a frozen vfork parent released by its child's execve (VFORK-2)
	VforkReleasedByExit                // … by its child's exit or death (VFORK-2, EXIT-3)
	FailedExecKeepsFrozen              // a vfork child's execve failed and the parent stays frozen (VFORK-2)
	ReparentToThread                   // orphans moved to a sibling thread of their parent (REAP-1)
	ReparentToSubreaper                // … to a subreaper ancestor (REAP-1)
	ReparentToInit                     // … to init (REAP-1)
	ExecByNonLeader                    // execve by a thread that is not its group's leader (EXEC-5)
	LeaderZombie                       // a leader exited first and awaits its threads (EXIT-2)
	AutoReap                           // a process ended and left no zombie (WAIT-5, REAP-2)
	DontFork                           // a fork skipped a MADV_DONTFORK range (FORK-6)
	WipeOnFork                         // a fork wiped a MADV_WIPEONFORK range (FORK-6)
	SIGSEGVDeath                       // the caller's group died of a bad memory access (MEM-3)
	FilesShared                        // an fd change through a table shared with another process (CLONE-2)
	SighandShared                      // a sigaction through a table shared with another process (CLONE-4)
	ZeroWrite                          // a write of 0 bytes to an open fd (FD-3c)
	ExecOnlyLoad                       // a load from a PROT_EXEC-only mapping (MEM-3i)
	GrowsProt                          // an mprotect with PROT_GROWSDOWN or PROT_GROWSUP (MEM-4f)
	HugeLength                         // an answered mmap of more than 1 GiB (MEM-3l)
	THPPlacement                       // a hint-less private mmap of a 2 MiB multiple, placed (MEM-3j)
	FixedNearTop                       // a MAP_FIXED mmap in the last 2 MiB below TaskSize (MEM-3f, MEM-3h)
	FixedNearZero                      // a MAP_FIXED mmap within 1 MiB of MmapMinAddr, or below it (MEM-3m)
	CloneSince60                       // clone flags whose checks changed since 6.0 or that change nothing (CLONE-7d, CLONE-7e)
	SignalToFrozenGroup                // a kill reached a group with one thread frozen in vfork and another running (VFORK-5, VFORK-6)
	SignalWaitsForFrozen               // a signal became pending that a running thread does not block: aimed at the frozen one (VFORK-6, SIG-3e)
	SiblingTookForFrozen               // a running thread ran a handler while a sibling stayed frozen (VFORK-6c)
	FatalSignalWaits                   // a signal that kills at its default action became pending and the group lives: no thread wanted it (VFORK-5e, VFORK-6e)
	FrameThenDeath                     // a caught signal was taken, but its handler never ran: the group died first (SIG-2h)
	ReleasedTookSignals                // a vfork parent ran a handler on its release (VFORK-5a, VFORK-5f)
	SearchPassedAThread                // a kill's signal went to a thread past an earlier one that would take it: the search started at curr_target (SIG-2f)
	SyncSignalFirst                    // a group died of a synchronous signal while a lower-numbered one it could take stayed pending (SIG-2i)
	InitNotifiedByChain                // one step left init two or more new zombie children while it catches SIGCHLD: it runs after the chain (SIG-4b)
	BlockedThenWoken                   // a task asleep in a call was woken by another task's step and its call returned (WAIT-6a, PIPE-2a, FUTEX-2a)
	PipeEOF                            // a read of a pipe returned 0: no write end is open (PIPE-2a, PIPE-5a)
	PipeEPIPE                          // a write to a pipe with no reader failed EPIPE (PIPE-3c, PIPE-4a)
	CtidCleared                        // a task's exit or exec stored 0 at its CLONE_CHILD_CLEARTID word, seen by a task sharing the memory (CLONE-8c)
	FutexWoken                         // a FUTEX_WAIT sleeper was woken: by FUTEX_WAKE or a cleared tid word (FUTEX-2a, FUTEX-4a)
	SleepInterrupted                   // a caught signal ended a sleep with EINTR (SIG-8a)
	SleepRestarted                     // a caught signal with SA_RESTART ran its handler and the call sleeps again (SIG-8a)

	// Thread groups, clone flags and page-table edges (issue 16 item 2;
	// events_threads.go classifies them).
	LargeGroupExitGroup   // exit_group ended a group of three or more live threads (EXIT-1, THR-2)
	LargeGroupFatalSignal // a kill ended a group of three or more live threads (SIG-2, THR-2)
	LargeGroupSIGSEGV     // a bad access ended a group of three or more live threads (MEM-3, THR-2)
	VforkInLargeGroup     // a thread of a group of three or more live threads froze in vfork (VFORK-6)
	SiblingTookBlocked    // a kill named a thread that blocks the signal, and a sibling ran its handler (SIG-2, SIG-3)
	CloneOneBitInvalid    // clone failed EINVAL, and one bit less or more would be valid (CLONE-7)
	Clone3OneBitInvalid   // clone3 failed EINVAL, and one bit less or more would be valid (CLONE-7)
	COWLeafSlot0          // a copy-on-write copy at slot 0 of a leaf page table (COW-2)
	COWLeafSlot511        // a copy-on-write copy at slot 511 of a leaf page table (COW-2)
	COWAt1GiB             // a copy-on-write copy in the first or last page of a 1 GiB range (COW-2)
	COWAt512GiB           // a copy-on-write copy in the first or last page of a 512 GiB range (COW-2)

	// Further events, counted and printed but not required of a run.
	TaskLimit         // a creation failed EAGAIN at the task limit (FORK-7)
	HandlerRan        // a handler ran (SIG-2)
	ClearSighand      // clone3 CLONE_CLEAR_SIGHAND from a caller with handlers (CLONE-4)
	VforkWithoutVM    // CLONE_VFORK without CLONE_VM froze the caller (VFORK-7)
	Reaped            // wait4 reaped a zombie (WAIT-1)
	InvalidArgument   // a call failed EINVAL
	Refused           // a step was refused (WORLD-3, unsupported, would-block)
	PipeWriterSlept   // a write to a pipe filled it and slept (PIPE-3a)
	ThreadPending     // tgkill or tkill left a signal on the thread's own pending set (SIG-5a)
	NumEvents         // the number of events
	firstOptional     = TaskLimit
	requiredEventsEnd = firstOptional
)

var eventNames = [NumEvents]string{
	COWCopy: "cow-copy", COWReuse: "cow-reuse", VforkReleasedByExec: "vfork-released-by-exec",
	VforkReleasedByExit: "vfork-released-by-exit", FailedExecKeepsFrozen: "failed-exec-keeps-frozen",
	ReparentToThread: "reparent-to-thread", ReparentToSubreaper: "reparent-to-subreaper",
	ReparentToInit: "reparent-to-init", ExecByNonLeader: "exec-by-non-leader", LeaderZombie: "leader-zombie",
	AutoReap: "auto-reap", DontFork: "dontfork", WipeOnFork: "wipeonfork", SIGSEGVDeath: "sigsegv-death",
	FilesShared: "clone-files-shared", SighandShared: "clone-sighand-shared", ZeroWrite: "zero-write",
	ExecOnlyLoad: "exec-only-load", GrowsProt: "grows-prot", HugeLength: "huge-length",
	THPPlacement: "thp-placement", FixedNearTop: "fixed-near-top", FixedNearZero: "fixed-near-zero",
	CloneSince60:        "clone-since-6.0",
	SignalToFrozenGroup: "signal-to-frozen-group", SignalWaitsForFrozen: "signal-waits-for-frozen",
	SiblingTookForFrozen: "sibling-took-for-frozen", FatalSignalWaits: "fatal-signal-waits",
	FrameThenDeath: "frame-then-death", ReleasedTookSignals: "released-took-signals",
	SearchPassedAThread: "search-passed-a-thread", SyncSignalFirst: "sync-signal-first",
	InitNotifiedByChain: "init-notified-by-chain",
	LargeGroupExitGroup: "large-group-exit-group", LargeGroupFatalSignal: "large-group-fatal-signal",
	LargeGroupSIGSEGV: "large-group-sigsegv", VforkInLargeGroup: "vfork-in-large-group",
	SiblingTookBlocked: "sibling-took-blocked", CloneOneBitInvalid: "clone-one-bit-einval",
	Clone3OneBitInvalid: "clone3-one-bit-einval", COWLeafSlot0: "cow-leaf-slot-0", COWLeafSlot511: "cow-leaf-slot-511",
	COWAt1GiB: "cow-at-1gib", COWAt512GiB: "cow-at-512gib",
	TaskLimit:  "task-limit",
	HandlerRan: "handler-ran", ClearSighand: "clear-sighand", VforkWithoutVM: "vfork-without-vm",
	Reaped: "reaped", InvalidArgument: "einval", Refused: "refused",
	BlockedThenWoken: "blocked-then-woken", PipeEOF: "eof", PipeEPIPE: "epipe", CtidCleared: "ctid-cleared",
	FutexWoken: "futex-woken", SleepInterrupted: "sleep-interrupted", SleepRestarted: "sleep-restarted",
	PipeWriterSlept: "pipe-writer-slept", ThreadPending: "thread-pending",
}

// String is the event's name, as printed in coverage tables.
func (e Event) String() string {
	if e >= 0 && e < NumEvents {
		return eventNames[e]
	}
	return fmt.Sprintf("event(%d)", int(e))
}

// Required lists the events a good run must hit at least once.
func Required() []Event {
	out := make([]Event, 0, requiredEventsEnd)
	for e := Event(0); e < requiredEventsEnd; e++ {
		out = append(out, e)
	}
	return out
}

// Coverage counts events.
type Coverage [NumEvents]int64

// Add counts evs.
func (c *Coverage) Add(evs []Event) {
	for _, e := range evs {
		if e >= 0 && e < NumEvents {
			c[e]++
		}
	}
}

// Merge adds every count of o.
func (c *Coverage) Merge(o *Coverage) {
	for i := range c {
		c[i] += o[i]
	}
}

// Missing returns the required events never counted.
func (c *Coverage) Missing() []Event {
	var out []Event
	for _, e := range Required() {
		if c[e] == 0 {
			out = append(out, e)
		}
	}
	return out
}

// String prints one "name count" line per event, required ones first.
func (c *Coverage) String() string {
	var b strings.Builder
	for e := Event(0); e < NumEvents; e++ {
		mark := " "
		if e < requiredEventsEnd && c[e] == 0 {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %-26s %d\n", mark, e, c[e])
	}
	return b.String()
}
