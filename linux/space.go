package linux

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/forkspec/forkspec/abi"
)

// Space is the address-space layout the oracle gives its worlds on the
// kernel it drives: where the arena, the agent's own zone and the end of
// user space lie. On this machine it is HostSpace, abi's layout. A kernel
// under test with a smaller address space (User-Mode Linux on x86-64 has
// 3-level page tables and a TASK_SIZE of 511 GiB) runs the oracle in a
// Space chosen for it (SpaceFor), and its driver (package uml) relocates
// trace addresses into it; the oracle relocates the image layouts itself
// (imageAddr).
//
// Invariant: every bound is page aligned; MmapMinAddr <= ArenaStart <
// ArenaEnd <= StackArea < ScratchArea < ZoneEnd <= TaskSize, and ArenaStart
// is a multiple of 1 GiB, so that an arena offset lies on the same side of
// every 2 MiB and 1 GiB page-table boundary in every Space.
type Space struct {
	// ArenaStart and ArenaEnd bound the arena, the only memory the trace
	// sees: images sit at the same offsets from ArenaStart as abi.Images
	// has them from abi.ArenaStart, and placements land in it.
	ArenaStart, ArenaEnd uint64
	// TaskSize is the end of user address space of the kernel.
	TaskSize uint64
	// AgentText is where the agent's code is linked (build.go ccFlags),
	// between the arena and the agent zone.
	AgentText uint64
	// StackArea, ScratchArea and ZoneEnd bound the agent's zone: its
	// stacks from StackArea, its write buffer at ScratchArea (16 MiB at
	// most, abi.Write), up to ZoneEnd.
	StackArea, ScratchArea, ZoneEnd uint64
	// ReserveAll: the agent reserves every free range outside the arena,
	// below it too (not only above it, as on the host, where placement is
	// top-down), so that placement in either direction lands in the arena
	// and a full arena answers ENOMEM.
	ReserveAll bool
	// DropVdso: the agent unmaps its [vdso] at start (it makes raw system
	// calls and never uses it). User-Mode Linux puts the vdso in the last
	// page below TASK_SIZE (um_vdso_addr), where traces test the end of
	// the address space.
	DropVdso bool
	// WriteOnlyFaults: a load from a present page of a PROT_WRITE-only
	// mapping may fault (User-Mode Linux: its fault handler wants VM_READ
	// or VM_EXEC, arch/um/kernel/trap.c), so the driver never reads such a
	// page with the agent's own load (pages.go loadable).
	WriteOnlyFaults bool
	// MarkIDs: the kernel has no kcmp(2) (CONFIG_KCMP off); the agent
	// marks its mm, fd table and fs, and the driver observes identities
	// through the markers and probes (identity.go).
	MarkIDs bool
}

// HostSpace is the layout on this machine's kernel: abi's arena and
// TaskSize, and the agent zone of agent/sys.h.
var HostSpace = Space{
	ArenaStart: abi.ArenaStart, ArenaEnd: abi.ArenaEnd, TaskSize: abi.TaskSize, AgentText: agentText,
	StackArea: 0x300000000000, ScratchArea: 0x380000000000, ZoneEnd: 0x390000000000,
}

// space is the layout of every world of this process: HostSpace unless a
// kernel-under-test guest chose another with UseSpace.
var space = HostSpace

// agentOverride, when set, is a prebuilt agent for space (UseSpace).
var agentOverride string

const gib = 1 << 30

// SpaceFor returns the Space for a kernel whose user address space ends at
// taskSize: HostSpace when abi's layout fits, else a layout scaled into the
// smaller space, its bounds on 1 GiB multiples: the arena from 1/8 of the
// space (at least 4 GiB) to 5/8, the agent zone from 3/4 (stacks) with
// its scratch buffer 1/16 further on, below the stack at the top.
func SpaceFor(taskSize uint64) (Space, error) {
	if taskSize >= abi.TaskSize {
		return HostSpace, nil
	}
	if taskSize < 64*gib {
		return Space{}, fmt.Errorf("linux: an address space of %#x bytes is too small for the oracle (it needs 64 GiB)", taskSize)
	}
	down := func(a uint64) uint64 { return a &^ (gib - 1) }
	s := Space{
		ArenaStart: max(down(taskSize/8), 4*gib),
		ArenaEnd:   down(taskSize / 8 * 5),
		TaskSize:   taskSize,
		StackArea:  down(taskSize / 4 * 3),
		ReserveAll: true,
		DropVdso:   true,
	}
	s.ScratchArea = s.StackArea + down(taskSize/16)
	s.ZoneEnd = s.ScratchArea + gib
	s.AgentText = s.ArenaEnd + down((s.StackArea-s.ArenaEnd)/2)
	return s, s.check()
}

// check verifies the invariant of Space.
func (s Space) check() error {
	const page = abi.PageSize - 1
	for _, a := range []uint64{s.ArenaStart, s.ArenaEnd, s.TaskSize, s.AgentText, s.StackArea, s.ScratchArea, s.ZoneEnd} {
		if a&page != 0 {
			return fmt.Errorf("linux: space %+v: %#x is not page aligned", s, a)
		}
	}
	if !(abi.MmapMinAddr <= s.ArenaStart && s.ArenaStart < s.ArenaEnd && s.ArenaEnd <= s.AgentText && s.AgentText < s.StackArea &&
		s.StackArea < s.ScratchArea && s.ScratchArea+16<<20 <= s.ZoneEnd && s.ZoneEnd <= s.TaskSize) {
		return fmt.Errorf("linux: space %+v: bounds out of order", s)
	}
	if s.ArenaStart%gib != 0 {
		return fmt.Errorf("linux: space %+v: the arena does not start on a 1 GiB boundary", s)
	}
	return nil
}

// UseSpace makes every later world of this process use s, with agent (a
// binary BuildAgent built for s) as its agent. It is for a process that
// hosts the oracle inside a kernel under test (uml.GuestMain), once,
// before the first world starts.
func UseSpace(s Space, agent string) error {
	if err := s.check(); err != nil {
		return err
	}
	if agent == "" {
		return errors.New("linux: UseSpace needs the agent built for the space")
	}
	space, agentOverride = s, agent
	return nil
}

// targetMismatch says why this machine's kernel cannot follow the rules
// of a world that targets t (abi.Target), or nil. Inside a kernel under
// test the host's backend has checked the target already.
func targetMismatch(t abi.Target) error {
	if t == (abi.Target{}) || space != HostSpace {
		return nil
	}
	var u syscall.Utsname
	syscall.Uname(&u)
	var rel []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		rel = append(rel, byte(c))
	}
	here, _ := abi.ParseRelease(string(rel))
	if t.Arch != "" || t.Layout != abi.LayoutTopDown || (t.Release != "" && t.Release != here) {
		return fmt.Errorf("linux: the world targets Linux %s (arch %q, %s mmap), not this machine's %s (x86-64, top-down): run it on a kernel under test (-backend uml, docs/kernel-under-test.md)",
			t.Kernel(), t.Arch, t.Layout, rel)
	}
	return nil
}

// imageAddr relocates an image address of abi.Images into the arena.
func imageAddr(a uint64) uint64 { return a - abi.ArenaStart + space.ArenaStart }

// defines are the agent's link address and compile-time layout
// (agent/sys.h) for s, as cc flags; HostSpace's layout is sys.h's own.
func (s Space) defines() []string {
	text := fmt.Sprintf("-Wl,-Ttext-segment=%#x", s.AgentText)
	if s == HostSpace {
		return []string{text}
	}
	d := []string{text,
		fmt.Sprintf("-DARENA_START=%#xUL", s.ArenaStart),
		fmt.Sprintf("-DARENA_END=%#xUL", s.ArenaEnd),
		fmt.Sprintf("-DSTACK_AREA=%#xUL", s.StackArea),
		fmt.Sprintf("-DSCRATCH_AREA=%#xUL", s.ScratchArea),
		fmt.Sprintf("-DZONE_END=%#xUL", s.ZoneEnd),
		fmt.Sprintf("-DSTACK_GUESS=%#xUL", s.TaskSize),
	}
	if s.ReserveAll {
		d = append(d, fmt.Sprintf("-DRESERVE_LOW=%#xUL", abi.MmapMinAddr))
	}
	if s.DropVdso {
		d = append(d, fmt.Sprintf("-DDROP_VDSO=%#xUL", s.TaskSize-abi.PageSize))
	}
	if s.MarkIDs {
		d = append(d, "-DMARK_IDS=1")
	}
	return d
}
