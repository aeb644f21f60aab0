package linux

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/forkspec/forkspec/abi"
)

// Machine returns the facts about this machine that change what Linux
// answers (abi.Machine), read from /proc:
//
//   - PKU: pkey_alloc(2) succeeds (the kernel uses protection keys, so
//     PROT_EXEC alone is execute-only; on x86 that is "ospke" in
//     /proc/cpuinfo, but User-Mode Linux shows the host's flags there and
//     has no pkeys);
//   - CommitPages: with vm.overcommit_memory 0 (OVERCOMMIT_GUESS) the
//     heuristic's limit, MemTotal + SwapTotal of /proc/meminfo in pages
//     (totalram_pages() + total_swap_pages in __vm_enough_memory); with 1,
//     abi.CommitUnlimited;
//   - DacMmapMinAddr: /proc/sys/vm/mmap_min_addr (dac_mmap_min_addr), the
//     floor of MAP_FIXED for the agents, which lack CAP_SYS_RAWIO.
//
// It fails where the machine is one forkspec's memory rules do not
// describe (see machineSupported).
func Machine() (abi.Machine, error) {
	machineOnce.Do(func() { machine, machineErr = readMachine() })
	return machine, machineErr
}

var (
	machineOnce sync.Once
	machine     abi.Machine
	machineErr  error
)

func readMachine() (abi.Machine, error) {
	var m abi.Machine
	m.PKU = abi.FeatureAbsent
	const sysPkeyAlloc, sysPkeyFree = 330, 331
	if key, _, e := syscall.RawSyscall(sysPkeyAlloc, 0, 0, 0); e == 0 {
		syscall.RawSyscall(sysPkeyFree, key, 0, 0)
		m.PKU = abi.FeaturePresent
	}
	mode, err := readInt("/proc/sys/vm/overcommit_memory")
	if err != nil {
		return m, err
	}
	switch mode {
	case 0:
		mem, err := os.ReadFile("/proc/meminfo")
		if err != nil {
			return m, err
		}
		kb := meminfoKB(string(mem), "MemTotal") + meminfoKB(string(mem), "SwapTotal")
		m.CommitPages = kb / (abi.PageSize / 1024)
	case 1:
		m.CommitPages = abi.CommitUnlimited
	default:
		return m, fmt.Errorf("vm.overcommit_memory is %d: strict commit accounting (the whole machine's commitment) is not modelled; the oracle needs 0 or 1", mode)
	}
	dac, err := readInt("/proc/sys/vm/mmap_min_addr")
	if err != nil {
		return m, err
	}
	m.DacMmapMinAddr = uint64(dac)
	if m.CommitPages < abi.CommitFloor {
		return m, fmt.Errorf("this machine commits only %d pages at once (MemTotal + SwapTotal); forkspec's worlds assume at least abi.CommitFloor = %d", m.CommitPages, abi.CommitFloor)
	}
	return m, nil
}

// machineSupported reports whether this kernel places and accounts memory
// as forkspec's rules say, and if not, why: built with transparent huge
// pages (hint-less private mappings of 2 MiB multiples are THP aligned),
// shmem THP off for anonymous shared memory (else shmem_get_unmapped_area
// aligns those too), vm.mmap_min_addr at most abi.MmapMinAddr, and the
// commit rules of Machine.
func machineSupported() (bool, string) {
	// A kernel under test may have no THP at all (User-Mode Linux): its
	// world's target says so (abi.Target.THPAligned).
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil && space == HostSpace {
		return false, "the Linux oracle needs a kernel with transparent huge pages (THP placement of 2 MiB mappings, MEM-3j)"
	}
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/shmem_enabled"); err == nil {
		s := string(b)
		if !strings.Contains(s, "[never]") && !strings.Contains(s, "[deny]") {
			return false, "the Linux oracle needs shmem THP off (/sys/kernel/mm/transparent_hugepage/shmem_enabled: never or deny): shared anonymous mappings would be THP aligned"
		}
	}
	if n, err := readInt("/proc/sys/vm/mmap_min_addr"); err != nil || n < abi.PageSize || uint64(n) > abi.MmapMinAddr {
		return false, fmt.Sprintf("the Linux oracle needs vm.mmap_min_addr from %#x to %#x (got %d, %v)", abi.PageSize, abi.MmapMinAddr, n, err)
	}
	if _, err := os.Stat("/sys/fs/selinux/enforce"); err == nil {
		// selinux_mmap_addr adds its own check below
		// CONFIG_LSM_MMAP_MIN_ADDR (the mmap_zero permission).
		return false, "the Linux oracle needs SELinux off: its mmap_zero check below mmap_min_addr is not modelled"
	}
	if got := hintFloor(); got != abi.MmapMinAddr {
		return false, fmt.Sprintf("the Linux oracle needs the kernel's mmap_min_addr (round_hint_to_min; vm.mmap_min_addr and CONFIG_LSM_MMAP_MIN_ADDR) to be %#x: a hint of 0x1000 was placed at %#x", abi.MmapMinAddr, got)
	}
	if _, err := Machine(); err != nil {
		return false, "the Linux oracle cannot describe this machine: " + err.Error()
	}
	return true, ""
}

// hintFloor is where this kernel places a one-page mapping hinted at
// 0x1000: the kernel's mmap_min_addr (round_hint_to_min raises the hint to
// it), unless something is mapped there. 0 when the probe failed.
func hintFloor() uint64 {
	const hint = 0x1000
	addr, _, e := syscall.RawSyscall6(syscall.SYS_MMAP, hint, abi.PageSize, syscall.PROT_NONE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS, ^uintptr(0), 0)
	if e != 0 {
		return 0
	}
	syscall.RawSyscall(syscall.SYS_MUNMAP, addr, abi.PageSize, 0)
	return uint64(addr)
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// meminfoKB returns a "Key:   N kB" line's N from /proc/meminfo, 0 if absent.
func meminfoKB(meminfo, key string) uint64 {
	for _, line := range strings.Split(meminfo, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// MachineConfig returns cfg with the machine facts of this machine filled
// in, for worlds that run the model next to the oracle (the random search)
// and must make the same assumptions.
func MachineConfig(cfg abi.Config) (abi.Config, error) {
	m, err := Machine()
	if err != nil {
		return cfg, err
	}
	cfg.Machine = m
	return cfg, nil
}

// machineRefusal is the oracle's own refusal of a step whose answer, in a
// world that names machine facts other than this machine's, Linux cannot
// give: a load from a PROT_EXEC-only mapping when the world and the machine
// disagree about protection keys; a MAP_FIXED below either's vm.mmap_min_addr
// when the two differ; a commit charge (abi.Charges: one Linux
// gets to) that the world's limit and the machine's answer differently. It
// runs after abi.Refusal passed, so the world's own answers are certain. The
// model answers such steps, so a world must name this machine's facts
// (MachineConfig) to be compared with it there.
func machineRefusal(cfg abi.Config, real abi.Machine, w abi.World, sc abi.Syscall) string {
	if l, ok := sc.(abi.Load); ok {
		if cfg.PKU != abi.FeatureUnknown && cfg.PKU != real.PKU {
			if v, ok := abi.MappingAt(w.Mappings(), l.Addr); ok && v.Prot == abi.PROT_EXEC {
				return "the world's PKU is not this machine's"
			}
		}
		return ""
	}
	if mm, ok := sc.(abi.Mmap); ok && cfg.DacMmapMinAddr != real.DacMmapMinAddr && abi.FixedAddrChecked(mm) {
		// abi.Refusal passed: where the address matters the world knows
		// its vm.mmap_min_addr.
		if mm.Addr < max(cfg.DacMmapMinAddr, real.DacMmapMinAddr) {
			return "the world's vm.mmap_min_addr is not this machine's"
		}
	}
	if cfg.CommitPages == real.CommitPages {
		return ""
	}
	_, isMprotect := sc.(abi.Mprotect)
	for _, c := range abi.Charges(cfg.Machine, w, sc) {
		want, _ := cfg.Commit(c)
		got, _ := real.Commit(c)
		if want != got {
			return "the world's commit limit is not this machine's"
		}
		if isMprotect && !want {
			break // the walk stops here on both
		}
	}
	return ""
}
