package gen

import (
	"github.com/forkspec/forkspec/abi"
)

// Argument generators. Each table lists its most ordinary choice first and
// keeps a steady share of invalid values (bad flags, unaligned addresses,
// bad fds, bad signals) so that every error path is exercised.

// hotBases are the addresses where interesting page-table geometry lives:
// the image layouts (abi/images.go), 2 MiB boundaries (a new leaf page
// table), a 1 GiB boundary (a new page directory), a 512 GiB boundary (a new
// PML4 entry) and the top of the arena, where mmap without a usable hint
// places memory. Offsets of a few pages either side make ranges straddle them.
var hotBases = []uint64{
	abi.ArenaStart,
	abi.ArenaStart + 0x200000,
	abi.ArenaStart + 0x400000,
	abi.ArenaStart + 0x40000000,
	abi.ArenaStart + 0x8000000000,
	abi.ArenaEnd - 0x10000,
}

// oddAddrs are edge addresses: below mmap_min_addr, the null page, the last
// page of user space and past it.
var oddAddrs = []uint64{0, 0x1000, abi.TaskSize - abi.PageSize, abi.TaskSize, 1 << 63}

// hotAddr returns a page-aligned address near one of hotBases.
func hotAddr(src Source) uint64 {
	base := hotBases[intn(src, len(hotBases), "hot-base")]
	off := intn(src, 7, "hot-off") - 3
	return uint64(int64(base) + int64(off)*abi.PageSize)
}

// ownPage returns a page inside one of m's mappings.
func ownPage(src Source, m abi.MmView) (uint64, bool) {
	if len(m.Mappings) == 0 {
		return 0, false
	}
	mp := m.Mappings[intn(src, len(m.Mappings), "mapping")]
	pages := int((mp.End - mp.Start) / abi.PageSize)
	return mp.Start + uint64(intn(src, pages, "page"))*abi.PageSize, true
}

// addr returns an address for a memory syscall by a task using mm m:
// mostly a page the task maps, else a hot address, a page another address
// space maps, or (rarely) an unaligned or edge address.
func addr(src Source, w world, m abi.MmView) uint64 {
	switch weighted(src, "addr-kind", 12, 6, 2, 1, 1) {
	case 0:
		if a, ok := ownPage(src, m); ok {
			return a
		}
		return hotAddr(src)
	case 1:
		return hotAddr(src)
	case 2:
		if len(w.v.Mms) > 0 {
			if a, ok := ownPage(src, w.v.Mms[intn(src, len(w.v.Mms), "other-mm")]); ok {
				return a
			}
		}
		return hotAddr(src)
	case 3:
		return hotAddr(src) + 1 + uint64(intn(src, abi.PageSize-1, "unaligned"))
	default:
		return oddAddrs[intn(src, len(oddAddrs), "odd-addr")]
	}
}

// length returns a length in bytes: 1–4 pages mostly, sometimes 0 or a
// length that is not a multiple of the page size.
func length(src Source) uint64 {
	switch weighted(src, "len-kind", 20, 1, 1, 1) {
	case 0:
		return uint64(1+intn(src, 4, "pages")) * abi.PageSize
	case 1:
		return 0
	case 2:
		return 1 + uint64(intn(src, 3*abi.PageSize, "odd-len"))
	default:
		return 0x40000000 // a whole GiB: crosses holes
	}
}

var protTable = []choice[int64]{
	{8, abi.PROT_READ | abi.PROT_WRITE},
	{3, abi.PROT_READ},
	{1, abi.PROT_NONE},
	{1, abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC},
	{1, abi.PROT_WRITE},
	{1, 0x8}, // EINVAL
}

var mmapFlagTable = []choice[int64]{
	{10, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED},
	{4, abi.MAP_SHARED | abi.MAP_ANONYMOUS | abi.MAP_FIXED},
	{3, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS},
	{1, abi.MAP_SHARED | abi.MAP_ANONYMOUS},
	{2, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED_NOREPLACE},
	{1, abi.MAP_SHARED | abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED}, // EINVAL
	{1, abi.MAP_ANONYMOUS | abi.MAP_FIXED},                                    // EINVAL: neither
	{1, abi.MAP_PRIVATE | abi.MAP_FIXED},                                      // EBADF: no fd
}

var adviceTable = []choice[int64]{
	{4, abi.MADV_DONTFORK},
	{4, abi.MADV_WIPEONFORK},
	{2, abi.MADV_DOFORK},
	{2, abi.MADV_KEEPONFORK},
	{3, abi.MADV_DONTNEED},
	{1, abi.MADV_NORMAL},
	{1, 99}, // EINVAL
}

var imageTable = []choice[string]{
	{3, "sh"},
	{3, "worker"},
	{2, "true"},
	{1, "init"},
	{2, "nosuch"}, // ENOENT
}

var waitOptTable = []choice[int64]{
	{8, abi.WNOHANG},
	{3, abi.WNOHANG | wALL},
	{1, abi.WNOHANG | wCLONE},
	{1, abi.WNOHANG | wNOTHREAD},
	{2, 0},
	{1, wALL},
	{1, abi.WNOHANG | abi.WEXITED}, // EINVAL for wait4
	{1, abi.WNOHANG | 0x100},       // EINVAL
}

var sigTable = []choice[int]{
	{4, abi.SIGCHLD},
	{4, abi.SIGUSR1},
	{2, abi.SIGUSR2},
	{2, abi.SIGTERM},
	{1, abi.SIGSEGV},
	{1, abi.SIGKILL}, // EINVAL for sigaction
	{1, abi.SIGRTMIN + 1},
	{1, 0},  // EINVAL
	{1, 65}, // EINVAL
}

var killSigTable = []choice[int]{
	{4, abi.SIGUSR1},
	{3, abi.SIGTERM},
	{3, abi.SIGKILL},
	{2, abi.SIGUSR2},
	{2, abi.SIGCHLD},
	{1, 0},
	{1, abi.SIGSEGV},
	{1, abi.SIGSTOP}, // unsupported
	{1, 65},          // EINVAL
	{1, -1},          // EINVAL
}

var saFlagTable = []choice[uint64]{
	{8, 0},
	{3, abi.SA_NOCLDWAIT},
	{1, abi.SA_RESTART},
	{1, abi.SA_RESETHAND}, // unsupported
}

var dispTable = []choice[abi.Disposition]{
	{3, abi.SigIgnore},
	{3, abi.SigHandle},
	{2, abi.SigDefault},
	{1, abi.Disposition(7)}, // not a disposition
}

var maskSigs = []int{abi.SIGUSR1, abi.SIGUSR2, abi.SIGTERM, abi.SIGCHLD, abi.SIGKILL, abi.SIGSEGV}

// sigset returns a small set of the signals the generator uses.
func sigset(src Source) abi.SigSet {
	var s abi.SigSet
	for n := intn(src, 3, "mask-size") + 1; n > 0; n-- {
		s |= abi.SigBit(maskSigs[intn(src, len(maskSigs), "mask-sig")])
	}
	return s
}

// fd returns an fd open in table t mostly, else a bad one.
func fd(src Source, t abi.FdTableView, ok bool) int {
	if ok && len(t.Fds) > 0 && !chance(src, 1, 8, "bad-fd?") {
		return t.Fds[intn(src, len(t.Fds), "fd")].Fd
	}
	return []int{3, -1, abi.FdLimit - 1, abi.FdLimit, 100}[intn(src, 5, "bad-fd")]
}

// The wait4 options abi spells __WALL, __WCLONE and __WNOTHREAD: Go does not
// export identifiers that start with an underscore, so they are repeated
// here with Linux's values (include/uapi/linux/wait.h).
const (
	wNOTHREAD int64 = 0x20000000
	wALL      int64 = 0x40000000
	wCLONE    int64 = 0x80000000
)
