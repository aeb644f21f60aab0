package abi

import (
	"fmt"
	"strconv"
	"strings"
)

// Target says which kernel a world's rules follow where kernels differ: a
// Linux release, and the mmap layout of its architecture. The zero Target
// is this machine's kernel, the one forkspec's rules were first written
// against: Linux 6.18 on x86-64, top-down. docs/kernel-under-test.md lists
// every rule that depends on the Target, with the kernel change behind it.
type Target struct {
	// Release is the Linux release ("6.1", "6.18"); "" is DefaultRelease.
	Release Release
	// Layout is where mmap places a mapping without a usable hint.
	Layout Layout
	// Arch is the architecture: "" for x86-64, ArchUM for User-Mode Linux
	// on x86-64, whose arch/um code decides some answers itself.
	Arch Arch
}

// Arch names an architecture of Target; "" is x86-64.
type Arch string

// ArchUM is User-Mode Linux (ARCH=um) on an x86-64 host.
const ArchUM Arch = "um"

// ParseArch reads "x86-64" (the default, written as nothing) or "um".
func ParseArch(s string) (Arch, error) {
	switch s {
	case "x86-64":
		return "", nil
	case string(ArchUM):
		return ArchUM, nil
	}
	return "", fmt.Errorf("arch %q: want x86-64 or um", s)
}

// TargetRefusal says why every backend refuses sc (OutcomeUnsupported) in
// a world that targets t, or "": the target's kernel answers it in a way
// forkspec does not model. Model, impl and the kernel-under-test backend
// ask it alike, so that they agree; protAt tells the protection of the
// caller's mapping that holds an address (mapped false: none), and is only
// called for the target rules that need it. It is asked after the task's
// own refusals (no task, zombie, frozen).
//
//   - MADV_DONTFORK on User-Mode Linux before 6.11: a fork child's host
//     process starts as a copy of its parent's (copy_context_skas0), and
//     the child's TLB flush walks only the child's own mappings
//     (force_flush_all), so the pages of a DONTFORK range stay readable
//     and writable in the child, with the parent's contents, while the
//     child has no such mapping (measured on Debian's 6.1.176). Since 6.11
//     a new address space starts empty ("um: remove copy_context_skas0",
//     commit a5d2cfe749e2). Requests that change nothing (an unaligned
//     address, a zero length) are answered.
//   - A load from a write-only mapping (PROT_WRITE without PROT_READ or
//     PROT_EXEC) on User-Mode Linux: its fault handler wants VM_READ or
//     VM_EXEC for a read fault (arch/um/kernel/trap.c handle_page_fault),
//     so the load is SIGSEGV unless the page happens to be mapped in the
//     host process already, which depends on UML's host-side TLB and not
//     on anything a world says. x86-64 reads any accessible mapping
//     (access_error, vma_is_accessible): the model's rule (MEM-3).
//     Measured on 6.1.176: a WIPEONFORK page of a write-only mapping
//     loaded in the fork child.
func TargetRefusal(t Target, sc Syscall, protAt func(addr uint64) (prot int64, mapped bool)) string {
	if t.Arch != ArchUM {
		return ""
	}
	switch s := sc.(type) {
	case Madvise:
		if t.Before("6.11") && s.Advice == MADV_DONTFORK && s.Addr%PageSize == 0 && s.Len != 0 {
			return "MADV_DONTFORK on User-Mode Linux before 6.11 leaves the range's pages in the fork child (a5d2cfe749e2)"
		}
	case Load:
		if p, ok := protAt(s.Addr); ok && p&PROT_WRITE != 0 && p&(PROT_READ|PROT_EXEC) == 0 {
			return "a load from a write-only mapping on User-Mode Linux faults or not by the host's TLB (arch/um handle_page_fault)"
		}
	}
	return ""
}

// Release is a Linux release as major.minor, e.g. "6.1".
type Release string

// DefaultRelease is the release of a world that names none.
const DefaultRelease Release = "6.18"

// Releases are the releases forkspec has checked its rules against, oldest
// first (docs/kernel-under-test.md); a world may name any other.
var Releases = []Release{"6.1", "6.18"}

// Kernel returns the world's release, DefaultRelease when it names none.
func (t Target) Kernel() Release {
	if t.Release == "" {
		return DefaultRelease
	}
	return t.Release
}

// Before reports whether the world's release is older than r: the rules
// of a change merged in r do not apply. r must be a valid release.
func (t Target) Before(r Release) bool {
	return compareReleases(t.Kernel(), r) < 0
}

// ParseRelease reads "MAJOR.MINOR" (a longer "6.1.176" is cut to 6.1).
// Any release parses: the rules that depend on one say from which release
// on they hold (Target.Before).
func ParseRelease(s string) (Release, error) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return "", fmt.Errorf("release %q: want MAJOR.MINOR", s)
	}
	for _, p := range parts[:2] {
		if _, err := strconv.Atoi(p); err != nil {
			return "", fmt.Errorf("release %q: want MAJOR.MINOR", s)
		}
	}
	return Release(parts[0] + "." + parts[1]), nil
}

// compareReleases orders two MAJOR.MINOR releases numerically.
func compareReleases(a, b Release) int {
	pa, pb := strings.SplitN(string(a), ".", 2), strings.SplitN(string(b), ".", 2)
	for i := 0; i < 2; i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Layout is the mmap layout (arch_pick_mmap_layout): where a mapping
// without MAP_FIXED and without a usable hint goes.
type Layout int

const (
	// LayoutTopDown: the highest free range below the arena's end that
	// fits (arch_get_unmapped_area_topdown: x86-64 and every architecture
	// with ARCH_WANT_DEFAULT_TOPDOWN_MMAP_LAYOUT).
	LayoutTopDown Layout = iota
	// LayoutBottomUp: the lowest free range from the arena's start that
	// fits (the legacy layout, arch_get_unmapped_area from
	// TASK_UNMAPPED_BASE): User-Mode Linux, whose arch_pick_mmap_layout is
	// mm/util.c's generic one for architectures without
	// ARCH_WANT_DEFAULT_TOPDOWN_MMAP_LAYOUT. Measured on UML 6.1.
	LayoutBottomUp
)

// String is the layout as trace options write it.
func (l Layout) String() string {
	if l == LayoutBottomUp {
		return "bottom-up"
	}
	return "top-down"
}

// THPAligned says whether the target aligns a hint-less private anonymous
// mapping whose length is a multiple of 2 MiB on a 2 MiB boundary (MEM-3j,
// __get_unmapped_area → thp_get_unmapped_area_vmflags): from 6.7 on
// ("mm: align larger anonymous mappings on THP boundaries", commit
// efa7df3e3bb5, merged for 6.7; an earlier version was reverted before
// 6.1), and never on User-Mode Linux, which has no transparent huge pages.
func (t Target) THPAligned() bool {
	return t.Arch != ArchUM && !t.Before("6.7")
}

// THPAlign is where thp_get_unmapped_area_vmflags puts a mapping whose
// padded range (2 MiB longer than the mapping) starts at ret: on the next
// 2 MiB boundary, and one boundary further up in the top-down layout when
// ret is one already.
func THPAlign(t Target, ret uint64) uint64 {
	if t.Layout == LayoutTopDown {
		return (ret + THPSize) &^ (THPSize - 1)
	}
	return (ret + THPSize - 1) &^ (THPSize - 1)
}

// PlacementRoomFor is PlacementRoom in the target's layout: bottom-up,
// a mapping goes to the lowest free range of the arena (the oracle on such
// a kernel reserves everything outside it), so there is room when the hint
// is usable or the arena has a free range large enough.
func PlacementRoomFor(t Target, vmas []VMA, addr, n uint64) bool {
	if t.Layout != LayoutBottomUp {
		return PlacementRoom(vmas, addr, n)
	}
	if HintUsable(vmas, MmapHint(addr), n) {
		return true
	}
	_, ok := BottomUp(vmas, n)
	return ok
}

// BottomUp returns the lowest start s with [s, s+n) free inside the arena,
// or false (vm_unmapped_area's low-to-high search from mmap_base, which is
// the arena's start for a world: below it the oracle reserves).
func BottomUp(vmas []VMA, n uint64) (uint64, bool) {
	if n == 0 || n > ArenaEnd-ArenaStart {
		return 0, false
	}
	s := ArenaStart
	for _, v := range vmas {
		if v.End <= s {
			continue
		}
		if v.Start >= s && v.Start-s >= n {
			break
		}
		s = max(s, v.End)
		if s >= ArenaEnd || ArenaEnd-s < n {
			return 0, false
		}
	}
	if ArenaEnd-s >= n {
		return s, true
	}
	return 0, false
}

// UnmapsBeforeCharge says whether mmap clears the range of a MAP_FIXED
// mapping before it charges a writable private one to the commit limit
// (MEM-3l): before 6.12 mmap_region unmapped what was there first
// (do_mas_munmap) and then charged the whole length, so a charge that
// fails leaves the range a gap. Since 6.12 the charge comes first, less
// the accounted pages it replaces, and a failure keeps the old mappings
// ("mm/mmap: use vms accounted pages in mmap_region()", 13d77e013390, and
// "mm: change failure of MAP_FIXED to restoring the gap on failure",
// 4f87153e82c4). Measured on 6.1.176: a 5 GiB MAP_FIXED over part of a
// mapping failed ENOMEM and took that part away.
func (t Target) UnmapsBeforeCharge() bool { return t.Before("6.12") }

// MmapChargeFor is MmapCharge as the target counts it: a writable private
// MAP_FIXED mapping of a target that unmaps before charging
// (UnmapsBeforeCharge) charges its whole length.
func MmapChargeFor(t Target, addr, n uint64, prot, flags int64, fixed bool, vmas []VMA) uint64 {
	if t.UnmapsBeforeCharge() && flags&MAP_TYPE != MAP_SHARED && prot&PROT_WRITE != 0 {
		return n / PageSize
	}
	return MmapCharge(addr, n, prot, flags, fixed, vmas)
}

// ParseLayout reads "top-down" or "bottom-up".
func ParseLayout(s string) (Layout, error) {
	switch s {
	case "top-down":
		return LayoutTopDown, nil
	case "bottom-up":
		return LayoutBottomUp, nil
	}
	return 0, fmt.Errorf("mmap layout %q: want top-down or bottom-up", s)
}

// TargetLibcRefusal says why every backend refuses sc in a world that
// targets t, for the calls of issue 12 (docs/libc.md, docs/pipes.md), or
// "". Their oracle support — telling a sleeping agent from /proc, the
// kernel's own stores to tid words, thread pending sets at exit — was built
// and checked on this machine's kernel only, and on User-Mode Linux 6.1 it
// does not hold yet: a wait4 that sleeps there was never seen asleep by
// the oracle (it timed out with the task in state S), a tid pointer is a
// trace address the guest's relocation does not carry, and an exited
// thread's own pending signals stay in its zombie (SigPnd; this machine's
// 6.18 drops them, SIG-5b). So on User-Mode Linux: a wait4 without
// WNOHANG that v says would sleep (WaitSleeps), pipe2 (no pipe, so no
// pipe sleeps), futex, tgkill and tkill, and a clone or clone3 with a tid
// flag and a pointer are refused. v is the world's View before the step,
// tid the caller.
func TargetLibcRefusal(t Target, v View, tid int, sc Syscall) string {
	if t.Arch != ArchUM {
		return ""
	}
	const why = " on User-Mode Linux: the oracle's support for it is checked on x86-64 6.18 only (abi.TargetLibcRefusal)"
	const tidFlags = CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID
	switch s := sc.(type) {
	case Wait4:
		if WaitSleeps(v, tid, s) {
			return "a sleeping wait4" + why
		}
	case Pipe2, Futex, Tgkill, Tkill:
		return sc.Name() + why
	case Clone:
		if s.Flags&tidFlags != 0 && (s.Ptid != 0 || s.Ctid != 0) {
			return "clone's tid pointers" + why
		}
	case Clone3:
		if s.Flags&tidFlags != 0 && (s.Ptid != 0 || s.Ctid != 0) {
			return "clone3's tid pointers" + why
		}
	}
	return ""
}

// WaitSleeps reports whether wait4 s by task tid would sleep in the world
// v shows (WAIT-6): valid options without WNOHANG, a pid that names no
// process group, children that match and none waitable (a zombie leader
// with no thread left). With __WNOTHREAD only the children the caller
// created count, which v does not show: then any match counts as a sleep.
func WaitSleeps(v View, tid int, s Wait4) bool {
	opts := int64(uint32(s.Options))
	pid := int(int32(s.Pid))
	if opts&^Wait4Valid != 0 || opts&WNOHANG != 0 || pid == -1<<31 || pid == 0 || pid < -1 {
		return false
	}
	var caller TaskView
	for _, t := range v.Tasks {
		if t.Tid == tid {
			caller = t
		}
	}
	threads := map[int]int{}
	for _, t := range v.Tasks {
		threads[t.Tgid]++
	}
	matches, waitable := 0, 0
	for _, t := range v.Tasks {
		clone := t.ExitSignal != SIGCHLD
		if t.Tid != t.Tgid || t.Ppid != caller.Tgid || pid > 0 && t.Tgid != pid ||
			opts&WALL == 0 && clone != (opts&WCLONE != 0) {
			continue
		}
		matches++
		if t.State == Zombie && threads[t.Tgid] == 1 {
			waitable++
		}
	}
	if opts&WNOTHREAD != 0 {
		return matches > 0
	}
	return matches > 0 && waitable == 0
}
