package impl

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/forkspec/forkspec/abi"
)

// initFrames is what task 1's "init" image occupies: the zero frame, five
// table pages (root, one level-3 and one level-2 table, two leaf tables,
// since its mappings are 2 MiB apart) and three data frames.
const initFrames = 1 + 5 + 3

func TestInitFootprint(t *testing.T) {
	k := New(abi.Config{}, WithFrames(initFrames))
	if got := k.FramesInUse(); got != initFrames {
		t.Fatalf("FramesInUse = %d, want %d", got, initFrames)
	}
	if err := k.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestForkENOMEM: a fork whose page tables do not fit fails ENOMEM, creates
// nothing, allocates no pid and leaks nothing.
func TestForkENOMEM(t *testing.T) {
	k := New(abi.Config{}, WithFrames(initFrames+4), WithOnDemandFork(false)) // the child needs 5 table pages
	before := k.View()
	run(t, k, "1 fork -> ENOMEM")
	if d := cmp.Diff(before, k.View()); d != "" {
		t.Fatalf("failed fork changed the view:\n%s", d)
	}
	if got := k.FramesInUse(); got != initFrames {
		t.Fatalf("FramesInUse after failed fork = %d, want %d", got, initFrames)
	}
	if k.Stats().ForkENOMEM != 1 {
		t.Fatalf("ForkENOMEM = %d", k.Stats().ForkENOMEM)
	}
	// vfork shares the mm and needs no frame; its pid is the first free one.
	run(t, k, `
		1 vfork -> 2 frozen
		2 exit 0 -> exited
		1 wait4 2 0 -> 2
	`)
}

// TestFaultOOMKillsFaultingGroup: a COW fault with no free frame kills the
// faulting group with SIGKILL; its frames return and nothing leaks.
func TestFaultOOMKillsFaultingGroup(t *testing.T) {
	k := New(abi.Config{}, WithFrames(initFrames+5), WithOnDemandFork(false))
	run(t, k, `
		1 fork -> 2
		2 load 0x100000200000 -> 0x21
		2 store 0x100000200000 1 -> killed(SIGKILL)
		1 wait4 2 0 -> 2 status=signal(SIGKILL)
		1 store 0x100000200000 2 -> 0
		1 load 0x100000200000 -> 2
	`)
	if got := k.FramesInUse(); got != initFrames {
		t.Fatalf("FramesInUse = %d, want %d", got, initFrames)
	}
	if s := k.Stats(); s.OOMKills != 1 || s.COWReuses != 1 {
		t.Fatalf("stats %+v: want 1 OOM kill and 1 COW reuse", s)
	}
}

// TestFaultOOMNeedsTables: a first touch that cannot even get its page
// tables kills the group and leaves no empty table behind.
func TestFaultOOMNeedsTables(t *testing.T) {
	k := New(abi.Config{}, WithFrames(initFrames+5+1), WithOnDemandFork(false))
	run(t, k, `
		1 fork -> 2
		2 mmap 0x100080000000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100080000000
		2 load 0x100080000000 -> killed(SIGKILL)
		1 wait4 2 0 -> 2 status=signal(SIGKILL)
	`)
	if got := k.FramesInUse(); got != initFrames {
		t.Fatalf("FramesInUse = %d, want %d", got, initFrames)
	}
}

// TestInitOOMRefused: init cannot be killed, so its OOM fault is refused
// and changes nothing.
func TestInitOOMRefused(t *testing.T) {
	k := New(abi.Config{}, WithFrames(initFrames+1))
	run(t, k, "1 mmap 0x100080000000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED")
	before := k.View()
	run(t, k, `
		1 store 0x100080000000 1 -> unsupported
		1 load 0x100080000000 -> unsupported
	`)
	if d := cmp.Diff(before, k.View()); d != "" {
		t.Fatalf("refused fault changed the view:\n%s", d)
	}
	if got := k.FramesInUse(); got != initFrames {
		t.Fatalf("FramesInUse = %d, want %d", got, initFrames)
	}
}

// TestExecENOMEM: an image that does not fit fails before the point of no
// return: the caller keeps its memory and a vfork parent stays frozen.
func TestExecENOMEM(t *testing.T) {
	k := New(abi.Config{}, WithFrames(initFrames+2))
	run(t, k, `
		1 vfork -> 2 frozen
		2 execve worker -> ENOMEM
		1 getpid -> task-frozen
		2 load 0x100000200000 -> 0x21
		2 exit 0 -> exited
		1 wait4 2 0 -> 2
	`)
	if got := k.FramesInUse(); got != initFrames {
		t.Fatalf("FramesInUse = %d, want %d", got, initFrames)
	}
}

// TestNoLeakAfterEverythingEnds: whatever ran, once every task but init is
// reaped the pool holds exactly init's frames (COW-6).
func TestNoLeakAfterEverythingEnds(t *testing.T) {
	k := New(abi.Config{}, WithFrames(256))
	run(t, k, `
		1 mmap 0x100010000000 0x3000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED
		1 store 0x100010000000 1
		1 fork -> 2
		2 execve worker -> execed
		2 fork -> 3
		3 store 0x1000001fe000 4
		3 store 0x100040000000 5
		2 clone CLONE_VM|CLONE_SIGHAND|CLONE_THREAD -> 4
		4 mmap 0x100090000000 0x400000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		4 store 0x1000903ff000 6
		4 load 0x100090000000
		3 exit_group 0
		2 exit_group 0
		1 wait4 -1 0 -> 2
		1 wait4 -1 0 -> 3
		1 munmap 0x100010000000 0x3000 -> 0
	`)
	if got := k.FramesInUse(); got != initFrames {
		t.Fatalf("FramesInUse = %d, want %d", got, initFrames)
	}
}
