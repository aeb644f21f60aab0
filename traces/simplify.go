package traces

import (
	"math/bits"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// The argument simplifications of Shrink, and the cost they lower. A
// simplification makes one thing about one step simpler: a lower tid, one
// flag bit fewer, a smaller number or length, the default choice (SIGCHLD
// as termination signal, -1 as wait4 pid, SEEK_SET), a plainer creation
// (fork for vfork, clone or clone3; clone for clone3). Addresses, signal
// numbers, image names and paths are left alone: changing them changes
// what the step is about rather than how much of it there is.

// callCost is the size of a syscall's arguments: set flag bits, the sizes
// of numbers and lengths (see size), pids and fds themselves, 1 for each
// non-default choice; and of its kind: fork is the plainest creation,
// vfork and clone cost 1 more, clone3 2. Every
// candidate simpler returns costs less than the step it replaces.
func callCost(sc abi.Syscall) int {
	pop := func(v uint64) int { return bits.OnesCount64(v) }
	not := func(nonDefault bool) int {
		if nonDefault {
			return 1
		}
		return 0
	}
	switch c := sc.(type) {
	case abi.Vfork:
		return 1
	case abi.Clone:
		return 1 + pop(c.Flags&^abi.CSIGNAL) + not(c.Flags&abi.CSIGNAL != abi.SIGCHLD)
	case abi.Clone3:
		return 2 + pop(c.Flags) + not(c.ExitSignal != abi.SIGCHLD)
	case abi.Exit:
		return size(uint64(uint32(c.Code)))
	case abi.ExitGroup:
		return size(uint64(uint32(c.Code)))
	case abi.Wait4:
		return pop(uint64(c.Options)) + not(c.Pid != -1) + max(c.Pid, 0)
	case abi.Mmap:
		return size(c.Len) + pop(uint64(c.Prot)) + pop(uint64(c.Flags))
	case abi.Munmap:
		return size(c.Len)
	case abi.Mprotect:
		return size(c.Len) + pop(uint64(c.Prot))
	case abi.Madvise:
		return size(c.Len)
	case abi.Store:
		return size(c.Value)
	case abi.Open:
		return pop(uint64(c.Flags))
	case abi.Close:
		return fdCost(c.Fd)
	case abi.Dup:
		return fdCost(c.Fd)
	case abi.Fcntl:
		return fdCost(c.Fd) + size(uint64(c.Arg))
	case abi.Write:
		return fdCost(c.Fd) + size(uint64(c.N))
	case abi.Lseek:
		return fdCost(c.Fd) + size(uint64(c.Offset)) + not(c.Whence != abi.SEEK_SET)
	case abi.Umask:
		return pop(uint64(c.Mask))
	case abi.Sigaction:
		return pop(c.Flags)
	case abi.Sigprocmask:
		return pop(uint64(c.Set))
	case abi.Kill:
		return max(c.Pid, 0)
	}
	return 0
}

// fdCost is an fd's cost: the fd itself while it is one of the small
// numbers a trace uses, the bit length of the unsigned int Linux reads
// otherwise.
func fdCost(fd int) int {
	if fd >= 0 && fd < 64 {
		return fd
	}
	return 64 + size(uint64(uint32(fd)))
}

// simpler lists the simplifications of steps[i], the boldest first: the
// step performed by a lower tid that exists by then (init, an earlier
// actor, a task created earlier), then simpler arguments.
func simpler(steps []Step, i int) []Step {
	st := steps[i]
	var out []Step
	for _, tid := range knownTids(steps[:i]) {
		if tid < st.Tid {
			c := st
			c.Tid = tid
			out = append(out, c)
		}
	}
	for _, sc := range simplerCalls(st.Call, knownTids(steps[:i])) {
		if callCost(sc) < callCost(st.Call) {
			c := st
			c.Call = sc
			out = append(out, c)
		}
	}
	return out
}

// knownTids is 1 and every tid steps perform or create, ascending.
func knownTids(steps []Step) []int {
	seen := map[int]bool{1: true}
	for _, st := range steps {
		seen[st.Tid] = true
		if p := creation(st); p > 0 {
			seen[p] = true
		}
	}
	out := make([]int, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// simplerCalls lists candidate simplifications of sc; tids are the tasks a
// kill or wait4 may name instead.
func simplerCalls(sc abi.Syscall, tids []int) []abi.Syscall {
	var out []abi.Syscall
	add := func(c abi.Syscall) { out = append(out, c) }
	switch c := sc.(type) {
	case abi.Vfork:
		add(abi.Fork{})
	case abi.Clone:
		add(abi.Fork{})
		if c.Flags&abi.CSIGNAL != abi.SIGCHLD {
			add(abi.Clone{Flags: c.Flags&^abi.CSIGNAL | abi.SIGCHLD})
		}
		for _, b := range setBits(c.Flags &^ abi.CSIGNAL) {
			add(abi.Clone{Flags: c.Flags &^ b})
		}
	case abi.Clone3:
		add(abi.Fork{})
		add(abi.Clone{Flags: c.Flags&^abi.CSIGNAL | c.ExitSignal&abi.CSIGNAL})
		if c.ExitSignal != abi.SIGCHLD {
			add(abi.Clone3{Flags: c.Flags, ExitSignal: abi.SIGCHLD})
		}
		for _, b := range setBits(c.Flags) {
			add(abi.Clone3{Flags: c.Flags &^ b, ExitSignal: c.ExitSignal})
		}
	case abi.Exit:
		for _, v := range smallerInts(int64(uint32(c.Code))) {
			add(abi.Exit{Code: int(v)})
		}
	case abi.ExitGroup:
		for _, v := range smallerInts(int64(uint32(c.Code))) {
			add(abi.ExitGroup{Code: int(v)})
		}
	case abi.Wait4:
		if c.Pid != -1 {
			add(abi.Wait4{Pid: -1, Options: c.Options})
		}
		for _, t := range tids {
			if t < c.Pid {
				add(abi.Wait4{Pid: t, Options: c.Options})
			}
		}
		for _, b := range setBits(uint64(c.Options)) {
			add(abi.Wait4{Pid: c.Pid, Options: c.Options &^ int64(b)})
		}
	case abi.Mmap:
		for _, l := range shorter(c.Len) {
			add(abi.Mmap{Addr: c.Addr, Len: l, Prot: c.Prot, Flags: c.Flags})
		}
		for _, b := range setBits(uint64(c.Prot)) {
			add(abi.Mmap{Addr: c.Addr, Len: c.Len, Prot: c.Prot &^ int64(b), Flags: c.Flags})
		}
		for _, b := range setBits(uint64(c.Flags)) {
			add(abi.Mmap{Addr: c.Addr, Len: c.Len, Prot: c.Prot, Flags: c.Flags &^ int64(b)})
		}
	case abi.Munmap:
		for _, l := range shorter(c.Len) {
			add(abi.Munmap{Addr: c.Addr, Len: l})
		}
	case abi.Mprotect:
		for _, l := range shorter(c.Len) {
			add(abi.Mprotect{Addr: c.Addr, Len: l, Prot: c.Prot})
		}
		for _, b := range setBits(uint64(c.Prot)) {
			add(abi.Mprotect{Addr: c.Addr, Len: c.Len, Prot: c.Prot &^ int64(b)})
		}
	case abi.Madvise:
		for _, l := range shorter(c.Len) {
			add(abi.Madvise{Addr: c.Addr, Len: l, Advice: c.Advice})
		}
	case abi.Store:
		for _, v := range smallerInts(int64(c.Value)) {
			add(abi.Store{Addr: c.Addr, Value: uint64(v)})
		}
	case abi.Open:
		for _, b := range setBits(uint64(c.Flags)) {
			add(abi.Open{Path: c.Path, Flags: c.Flags &^ int64(b)})
		}
	case abi.Close:
		for _, v := range smallerInts(int64(uint32(c.Fd))) {
			add(abi.Close{Fd: int(v)})
		}
	case abi.Dup:
		for _, v := range smallerInts(int64(uint32(c.Fd))) {
			add(abi.Dup{Fd: int(v)})
		}
	case abi.Fcntl:
		for _, v := range smallerInts(int64(uint32(c.Fd))) {
			add(abi.Fcntl{Fd: int(v), Cmd: c.Cmd, Arg: c.Arg})
		}
		for _, v := range smallerInts(c.Arg) {
			add(abi.Fcntl{Fd: c.Fd, Cmd: c.Cmd, Arg: v})
		}
	case abi.Write:
		for _, v := range smallerInts(int64(uint32(c.Fd))) {
			add(abi.Write{Fd: int(v), N: c.N})
		}
		for _, v := range smallerInts(c.N) {
			add(abi.Write{Fd: c.Fd, N: v})
		}
	case abi.Lseek:
		if c.Whence != abi.SEEK_SET {
			add(abi.Lseek{Fd: c.Fd, Offset: c.Offset, Whence: abi.SEEK_SET})
		}
		for _, v := range smallerInts(int64(uint32(c.Fd))) {
			add(abi.Lseek{Fd: int(v), Offset: c.Offset, Whence: c.Whence})
		}
		for _, v := range smallerInts(c.Offset) {
			add(abi.Lseek{Fd: c.Fd, Offset: v, Whence: c.Whence})
		}
	case abi.Umask:
		for _, b := range setBits(uint64(c.Mask)) {
			add(abi.Umask{Mask: c.Mask &^ int64(b)})
		}
	case abi.Sigaction:
		for _, b := range setBits(c.Flags) {
			add(abi.Sigaction{Sig: c.Sig, Handler: c.Handler, Flags: c.Flags &^ b})
		}
	case abi.Sigprocmask:
		for _, b := range setBits(uint64(c.Set)) {
			add(abi.Sigprocmask{How: c.How, Set: c.Set &^ abi.SigSet(b)})
		}
	case abi.Kill:
		for _, t := range tids {
			if t < c.Pid {
				add(abi.Kill{Pid: t, Sig: c.Sig})
			}
		}
	}
	return out
}

// setBits lists the set bits of v, highest first.
func setBits(v uint64) []uint64 {
	var out []uint64
	for v != 0 {
		b := uint64(1) << (63 - bits.LeadingZeros64(v))
		out = append(out, b)
		v &^= b
	}
	return out
}

// smallerInts lists 0, 1, half, v without its lowest set bit and one
// less of a non-negative v, those smaller than v, without repeats (a
// negative v has none).
func smallerInts(v int64) []int64 {
	var out []int64
	for _, c := range []int64{0, 1, v / 2, v & (v - 1), v - 1} {
		if c >= 0 && c < v && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// shorter lists shorter lengths for a range of len bytes: one page, half
// as many pages, one page fewer, those shorter than len.
func shorter(l uint64) []uint64 {
	pages := l / abi.PageSize
	var out []uint64
	for _, p := range []uint64{1, pages / 2, pages - 1} {
		if p >= 1 && p*abi.PageSize < l && !slices.Contains(out, p*abi.PageSize) {
			out = append(out, p*abi.PageSize)
		}
	}
	return out
}
