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

// nearTop and nearZero are addresses at the ends of the address space
// (MEM-3f, MEM-3h): the last pages below TaskSize (a range past it is
// ENOMEM, checked before the alignment, so one unaligned address is
// there too), and the pages around MmapMinAddr (MAP_FIXED below it is
// refused, above it maps).
var (
	nearTop = []uint64{abi.TaskSize - abi.PageSize, abi.TaskSize - 2*abi.PageSize, abi.TaskSize - 16*abi.PageSize,
		abi.TaskSize - abi.THPSize, abi.TaskSize - 2*abi.PageSize + 1}
	nearZero = []uint64{0, abi.PageSize, abi.MmapMinAddr - abi.PageSize, abi.MmapMinAddr,
		abi.MmapMinAddr + abi.PageSize, abi.MmapMinAddr + 0x10000, 0x400000}
)

// edgeAddr returns an address near the top or the bottom of user space.
func edgeAddr(src Source) uint64 {
	if chance(src, 1, 2, "edge-top?") {
		return nearTop[intn(src, len(nearTop), "near-top")]
	}
	return nearZero[intn(src, len(nearZero), "near-zero")]
}

// mmapCall returns a mmap: its address mostly as addr draws it, else a hot
// address, an edge of the address space, or no hint at all — then often a
// private mapping of a multiple of 2 MiB, which is THP aligned (MEM-3j).
func mmapCall(src Source, w world, m abi.MmView) abi.Mmap {
	s := abi.Mmap{Len: length(src), Prot: pickFrom(src, "prot", protTable), Flags: pickFrom(src, "map-flags", mmapFlagTable)}
	switch weighted(src, "mmap-addr", 8, 4, 2, 3) {
	case 0:
		s.Addr = addr(src, w, m)
	case 1:
		s.Addr = hotAddr(src)
	case 2:
		s.Addr = edgeAddr(src)
	case 3:
		if chance(src, 1, 2, "thp?") {
			s.Len = uint64(1+intn(src, 4, "thp-units")) * abi.THPSize
			s.Flags = abi.MAP_PRIVATE | abi.MAP_ANONYMOUS
		}
	}
	return s
}

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
	switch weighted(src, "addr-kind", 12, 6, 2, 1, 1, 1) {
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
	case 4:
		return oddAddrs[intn(src, len(oddAddrs), "odd-addr")]
	default:
		return edgeAddr(src)
	}
}

// length returns a length in bytes: 1–4 pages mostly, sometimes 0, a
// length that is not a multiple of the page size, a whole GiB (crosses
// holes), an exact multiple of 2 MiB (THP placement, MEM-3j) or a length
// above 1 GiB (commit charges, MEM-3l: 2 and 5 GiB fit a 24 GiB machine and
// the suites' 4 GiB limit differently, 32 GiB fits neither).
func length(src Source) uint64 {
	switch weighted(src, "len-kind", 20, 1, 1, 1, 2, 2) {
	case 0:
		return uint64(1+intn(src, 4, "pages")) * abi.PageSize
	case 1:
		return 0
	case 2:
		return 1 + uint64(intn(src, 3*abi.PageSize, "odd-len"))
	case 3:
		return 0x40000000
	case 4:
		return uint64(1+intn(src, 4, "thp-units")) * abi.THPSize
	default:
		return bigLengths[intn(src, len(bigLengths), "big-len")]
	}
}

// bigLengths are lengths above 1 GiB.
var bigLengths = []uint64{0x40000000 + abi.PageSize, 0x80000000, 5 << 30, 32 << 30}

var protTable = []choice[int64]{
	{8, abi.PROT_READ | abi.PROT_WRITE},
	{3, abi.PROT_READ},
	{1, abi.PROT_NONE},
	{1, abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC},
	{1, abi.PROT_WRITE},
	{1, abi.PROT_SEM},                          // mmap: accepted; mprotect: PROT_NONE
	{4, abi.PROT_EXEC},                         // execute-only with PKU (MEM-3i)
	{1, abi.PROT_EXEC | abi.PROT_SEM},          // executable, not execute-only
	{1, abi.PROT_READ | abi.PROT_GROWSDOWN},    // mprotect: EINVAL or ENOMEM (MEM-4f)
	{1, abi.PROT_READ | abi.PROT_GROWSUP},      // mprotect: EINVAL or ENOMEM
	{1, abi.PROT_GROWSDOWN | abi.PROT_GROWSUP}, // mprotect: EINVAL first
	{1, 0x10}, // mprotect: EINVAL
}

var mmapFlagTable = []choice[int64]{
	{10, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED},
	{4, abi.MAP_SHARED | abi.MAP_ANONYMOUS | abi.MAP_FIXED},
	{4, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS},
	{1, abi.MAP_SHARED | abi.MAP_ANONYMOUS},
	{2, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED_NOREPLACE},
	{1, abi.MAP_SHARED | abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED}, // EINVAL
	{1, abi.MAP_ANONYMOUS | abi.MAP_FIXED},                                    // EINVAL: neither
	{1, abi.MAP_PRIVATE | abi.MAP_FIXED},                                      // EBADF: no fd
	{1, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_DENYWRITE | 0x200},      // ignored bits
	{1, abi.MAP_ANONYMOUS | abi.MAP_FIXED | 0x200},                            // EINVAL: an unknown bit, no type
	{1, abi.MAP_PRIVATE | 0x4 | abi.MAP_ANONYMOUS},                            // EINVAL: map type 6
	{1, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_NORESERVE},              // unsupported
	{1, abi.MAP_SHARED | abi.MAP_ANONYMOUS | abi.MAP_GROWSDOWN},               // EINVAL
	{1, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_32BIT},                  // unsupported
}

// writeCount returns a write(2) count: a few bytes mostly, and at a low
// rate 0 (changes nothing, FD-3c), a count no buffer can hold (EFAULT) and
// one above abi.WriteMax (refused).
func writeCount(src Source) int64 {
	switch weighted(src, "write-kind", 20, 8, 1, 1, 1, 3) {
	case 5:
		// Pipe-sized: a page (PIPE_BUF, never split), a full pipe, more.
		return []int64{abi.PipeBuf, abi.PipeCapacity, abi.PipeCapacity + abi.PipeBuf, 3 * abi.PipeBuf / 2}[intn(src, 4, "pipe-n")]
	case 1:
		return 0
	case 2:
		return -1
	case 3:
		return 1 << 62
	case 4:
		return abi.WriteMax + 1
	}
	return int64(1 + intn(src, 100, "write-n"))
}

// seekArgs returns an lseek offset and whence: small offsets mostly; at a
// low rate negative ones, SEEK_DATA and SEEK_HOLE (FD-3d), offsets past
// abi.FileMax (refused) and near the int64 limit (EINVAL), and a bad whence.
func seekArgs(src Source) (int64, int64) {
	off := int64(intn(src, 50, "offset"))
	whence := []int64{abi.SEEK_SET, abi.SEEK_CUR, abi.SEEK_END, abi.SEEK_DATA, abi.SEEK_HOLE, 5}[weighted(src, "whence", 8, 6, 4, 2, 2, 1)]
	switch weighted(src, "offset-kind", 24, 2, 1, 1) {
	case 1:
		off = -off - 1
	case 2:
		off = abi.FileMax + 1
	case 3:
		off = 1<<63 - 1 - off
	}
	return off, whence
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
	{2, abi.SIGPIPE}, // ignored or caught: a write with no reader is EPIPE (PIPE-3c)
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
	{1, abi.SIGPIPE},
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
