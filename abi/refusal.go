package abi

// The refusal list: every request forkspec does not model, in one place.
//
// Refusal is evaluated before a step by every backend — the model, the impl
// and the Linux oracle's preflight — so that nothing one of them refuses is
// answered by another. A rule refuses only what Linux would not already
// answer with an errno that needs no unmodelled state: where Linux's own
// checks come first (a bad fd, a bad signal, an unaligned address), the
// request is answered. Each rule names the kernel function whose behaviour
// forkspec leaves out. docs/conventions.md describes the same rules in prose.
//
// What the oracle cannot show for reasons of its own (its agent's memory,
// a machine other than the one the world names) is refused by the oracle
// alone (linux/agentmem.go); those are not rules of the model.

// World is what the refusal rules ask about the world, from the point of
// view of the task performing the step. Each backend answers from its own
// state (the Linux oracle from /proc). A rule asks only what it needs, so an
// answer may be computed lazily.
type World interface {
	// InitGroup reports whether the caller belongs to task 1's thread group.
	InitGroup() bool
	// LastThread reports whether the caller is the only thread of its
	// group that has not exited.
	LastThread() bool
	// File returns what the fd (read as Linux reads an unsigned int: the
	// low 32 bits) refers to in the caller's table; ok is false when it is
	// not open.
	File(fd int) (f FileState, ok bool)
	// Mappings returns the caller's mappings in address order (adjacent
	// equal ones may or may not be merged: the rules do not care).
	Mappings() []VMA
	// Segv reports whether the caller's group has a handler for SIGSEGV
	// and whether the caller blocks SIGSEGV.
	Segv() (handler, blocked bool)
	// Target reports whether a task with tid pid exists and whether its
	// thread group is dying or dead (a signal sent to it is discarded).
	Target(pid int) (exists, dying bool)
	// TaskGroup returns the thread group of the task with tid tid (tgkill
	// checks it); ok is false when there is none.
	TaskGroup(tid int) (tgid int, ok bool)
	// GroupWaiting reports whether another thread of the caller's group is
	// blocked in wait4.
	GroupWaiting() bool
	// WaitSleeps reports whether the caller's wait4 s would sleep now
	// (abi.WaitSleeps on the world's View before the step).
	WaitSleeps(s Wait4) bool
}

// Worlds is implemented by backends that can answer World for a task, so
// that a test can check that every backend sees the same world the rules
// ask about (props and linux compare them before every step). ok is false
// when no running task has that tid.
type Worlds interface {
	World(tid int) (w World, ok bool)
}

// FileState is what the rules ask about an open file description.
type FileState struct {
	// Offset is the description's file position.
	Offset int64
	// Size is the file's size.
	Size int64
	// Sparse is set once a write started beyond the file's end: the file
	// may then hold a hole, whose extent depends on the file system's
	// block allocation, so SEEK_DATA and SEEK_HOLE are not answered.
	Sparse bool
	// Pipe is set for an end of a pipe (Offset, Size and Sparse are then
	// 0); WriteEnd says which. ReaderBlocked and WriterBlocked say whether
	// some task is blocked reading from, or writing to, that pipe.
	Pipe, WriteEnd               bool
	ReaderBlocked, WriterBlocked bool
}

// VMA is one mapping as the rules see it: a View mapping plus the two
// attributes the View does not show.
type VMA struct {
	Start, End uint64
	Prot       int64
	Shared     bool
	DontFork   bool
	WipeOnFork bool
	// Accounted is VM_ACCOUNT: the mapping's pages are charged to the
	// commit limit (private mappings that are or were writable; "ac" in
	// /proc/PID/smaps VmFlags).
	Accounted bool
	// ExecOnly: the protection was set to exactly PROT_EXEC, which gives
	// the mapping the execute-only protection key on a machine with PKU.
	ExecOnly bool
}

// Refusal returns why sc, performed by the caller w describes in a world
// configured by cfg, is refused as OutcomeUnsupported, or "" when it is not.
// It never changes anything and never panics (a nil sc is refused).
func Refusal(cfg Config, w World, sc Syscall) string {
	switch s := sc.(type) {
	case nil:
		return "no syscall"
	case Fork:
		return creationRefusal(cfg, w, 0, SIGCHLD)
	case Vfork:
		return creationRefusal(cfg, w, CLONE_VM|CLONE_VFORK, SIGCHLD)
	case Clone:
		f := s.Flags & 0xffffffff // lower_32_bits in the clone syscall
		if why := creationRefusal(cfg, w, f&^CSIGNAL, f&CSIGNAL); why != "" {
			return why
		}
		return tidRefusal(cfg, w, f, s.Ptid, s.Ctid, true)
	case Clone3:
		if Clone3Invalid(s) {
			return "" // EINVAL (clone3_args_valid)
		}
		if why := creationRefusal(cfg, w, s.Flags, s.ExitSignal); why != "" {
			return why
		}
		return tidRefusal(cfg, w, s.Flags, s.Ptid, s.Ctid, false)
	case Exit:
		if w.InitGroup() && w.LastThread() {
			return "init never exits (WORLD-1)"
		}
	case ExitGroup:
		if w.InitGroup() {
			return "init never exits (WORLD-1)"
		}
	case Wait4:
		// pid and options are C ints; kernel_wait4 answers bad options
		// (EINVAL) and INT_MIN (ESRCH) before it looks at process groups.
		pid, opts := int32(s.Pid), uint32(s.Options)
		if opts&^uint32(Wait4Valid) == 0 && pid != -1<<31 && (pid == 0 || pid < -1) {
			return "wait4 of a process group (kernel_wait4 PIDTYPE_PGID)"
		}
		// A second waiter that finds a waitable child returns it at once
		// (do_wait scans before it sleeps); only a second sleeper meets
		// the wait queue's order (found by props, WaitEligibility).
		if opts&^uint32(Wait4Valid) == 0 && pid != -1<<31 && opts&uint32(WNOHANG) == 0 && w.GroupWaiting() && w.WaitSleeps(s) {
			return "a second thread of a group sleeping in wait4 (the wait queue's order is not modelled)"
		}
	case Prctl:
		if o := int32(s.Option); o != int32(PR_SET_CHILD_SUBREAPER) && o != int32(PR_GET_CHILD_SUBREAPER) {
			return "prctl option not modelled"
		}
	case Mmap:
		return mmapRefusal(cfg, w, s)
	case Mprotect:
		return mprotectRefusal(cfg, w, s)
	case Madvise:
		return madviseRefusal(s)
	case Load:
		return accessRefusal(cfg, w, s.Addr, false)
	case Store:
		return accessRefusal(cfg, w, s.Addr, true)
	case Open:
		// Checked before the path: O_CREAT and friends change the lookup.
		if s.Flags&^O_CLOEXEC != 0 {
			return "open flag not modelled"
		}
	case Fcntl:
		if _, ok := w.File(s.Fd); ok && !FcntlModelled(s.Cmd) {
			return "fcntl command not modelled"
		}
	case Write:
		return writeRefusal(w, s)
	case Read:
		return readRefusal(w, s)
	case Pipe2:
		return pipe2Refusal(s)
	case Futex:
		return futexRefusal(cfg, w, s)
	case Tgkill:
		return tkillRefusal(w, int32(s.Tgid), int32(s.Tid), int32(s.Sig), true)
	case Tkill:
		return tkillRefusal(w, 0, int32(s.Tid), int32(s.Sig), false)
	case Lseek:
		return lseekRefusal(w, s)
	case Sigaction:
		sig := int32(s.Sig)
		valid := sig >= 1 && sig <= NSIG && sig != SIGKILL && sig != SIGSTOP
		if valid && (s.Flags&^SAModelled != 0 || s.Handler < SigDefault || s.Handler > SigHandle) {
			return "sigaction flag or handler not modelled"
		}
	case Kill:
		return killRefusal(w, s)
	}
	return ""
}

// SAModelled are the sa_flags forkspec models; sigaction with others is
// refused (SA_NODEFER, SA_RESETHAND, SA_ONSTACK change delivery).
const SAModelled = SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_RESTART

// Clone3Invalid reports whether clone3_args_valid or
// copy_clone_args_from_user rejects s with EINVAL: unknown flag bits, the
// bits clone3 reserves (CLONE_DETACHED and the CSIGNAL byte but
// CLONE_NEWTIME), an exit_signal that is not a signal (or has bits above the
// CSIGNAL byte), CLONE_SIGHAND with CLONE_CLEAR_SIGHAND, and CLONE_THREAD or
// CLONE_PARENT with an exit_signal.
func Clone3Invalid(s Clone3) bool {
	f := s.Flags
	return f&^CloneKnown != 0 ||
		f&(CLONE_DETACHED|(CSIGNAL&^CLONE_NEWTIME)) != 0 ||
		s.ExitSignal > NSIG ||
		f&(CLONE_SIGHAND|CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND|CLONE_CLEAR_SIGHAND ||
		(f&(CLONE_THREAD|CLONE_PARENT) != 0 && s.ExitSignal != 0)
}

// CloneInvalid reports whether kernel_clone or copy_process rejects flags
// with EINVAL before creating anything (6.18): CLONE_PIDFD with
// CLONE_PARENT_SETTID (both land in the same NULL pointer: the legacy clone
// passes parent_tid for both, and the agent's clone3 passes zeros);
// CLONE_NEWNS or CLONE_NEWUSER with CLONE_FS; CLONE_THREAD without
// CLONE_SIGHAND; CLONE_SIGHAND without CLONE_VM; CLONE_PARENT from a
// namespace init (SIGNAL_UNKILLABLE); CLONE_THREAD with CLONE_NEWUSER or
// CLONE_NEWPID; CLONE_PIDFD with CLONE_DETACHED. Since Linux 6.9,
// CLONE_PIDFD with CLONE_THREAD is valid (a PIDFD_THREAD pidfd).
func CloneInvalid(flags uint64, fromInit bool) bool {
	has := func(b uint64) bool { return flags&b == b }
	return has(CLONE_PIDFD|CLONE_PARENT_SETTID) ||
		has(CLONE_NEWNS|CLONE_FS) ||
		has(CLONE_NEWUSER|CLONE_FS) ||
		(has(CLONE_THREAD) && !has(CLONE_SIGHAND)) ||
		(has(CLONE_SIGHAND) && !has(CLONE_VM)) ||
		(has(CLONE_PARENT) && fromInit) ||
		(has(CLONE_THREAD) && flags&(CLONE_NEWUSER|CLONE_NEWPID) != 0) ||
		has(CLONE_PIDFD|CLONE_DETACHED)
}

// creationRefusal is the rule for fork, vfork, clone and clone3 once the
// clone3-only checks passed: after copy_process's EINVAL checks, a flag
// outside CloneModelled; a stop signal as termination signal (the parent
// would stop at the child's end: stopping is not modelled); and a copy of
// the address space whose commit charge is uncertain (ForkCharge).
func creationRefusal(cfg Config, w World, flags, sig uint64) string {
	if CloneInvalid(flags, w.InitGroup()) {
		return ""
	}
	if flags&^CloneModelled != 0 {
		return "clone flag not modelled"
	}
	if flags&(CLONE_THREAD|CLONE_PARENT) == 0 && sig <= NSIG && StopSignal(int(sig)) {
		return "stop signal as termination signal"
	}
	if flags&CLONE_THREAD != 0 && w.InitGroup() {
		// Init stays single-threaded (docs/conventions.md "The world"): its
		// group runs SCHED_OTHER on the oracle, so which of two woken
		// threads takes a signal first is up to the scheduler, and a signal
		// one thread blocks could kill init through another
		// (complete_signal's group exit overrides SIGNAL_UNKILLABLE).
		return "a thread in init's group (init stays single-threaded)"
	}
	if flags&CLONE_VM == 0 {
		if _, certain := ForkCharge(cfg.Machine, w.Mappings()); !certain {
			return "fork's commit charge depends on how Linux merged the vmas (dup_mmap)"
		}
	}
	return ""
}

// ForkCharge says whether fork's commit charges all fit (dup_mmap charges
// every VM_ACCOUNT vma it copies, one at a time). A vma of Linux's never
// spans more than a run of adjacent accounted mappings with equal
// attributes, so if every such run fits, fork fits; certain is false when
// a run does not (or its fit is unknown): whether Linux's vma is that large
// depends on anon_vma merging, which forkspec does not model.
func ForkCharge(m Machine, vmas []VMA) (fits, certain bool) {
	for _, r := range runs(vmas, accountedCopied) {
		if ok, known := m.Commit(r); !ok || !known {
			return false, false
		}
	}
	return true, true
}

// runs returns the page counts of the maximal runs of adjacent mappings
// that satisfy in and have equal protection and WIPEONFORK marks.
func runs(vmas []VMA, in func(VMA) bool) []uint64 {
	var out []uint64
	var cur VMA
	open := false
	for _, v := range vmas {
		if !in(v) {
			open = false
			continue
		}
		if open && v.Start == cur.End && v.Prot == cur.Prot && v.WipeOnFork == cur.WipeOnFork {
			out[len(out)-1] += (v.End - v.Start) / PageSize
			cur.End = v.End
			continue
		}
		out = append(out, (v.End-v.Start)/PageSize)
		cur, open = v, true
	}
	return out
}

// mmapUnmodelled are the mmap flags with effects forkspec does not model:
// MAP_GROWSDOWN (a stack vma), MAP_NORESERVE (no commit charge),
// MAP_POPULATE (frames at once), MAP_STACK (VM_NOHUGEPAGE) and MAP_SYNC.
// MAP_HUGETLB, MAP_LOCKED, MAP_32BIT and MAP_ABOVE4G are refused earlier, at
// the point where they change what Linux does. Bits Linux ignores
// (MAP_DENYWRITE, MAP_EXECUTABLE, MAP_NONBLOCK without MAP_POPULATE,
// MAP_UNINITIALIZED, undefined bits) are accepted and ignored, as by Linux.
const mmapUnmodelled = MAP_GROWSDOWN | MAP_NORESERVE | MAP_POPULATE | MAP_STACK | MAP_SYNC

// mmapRefusal follows do_mmap's order (ksys_mmap_pgoff, do_mmap,
// __get_unmapped_area, mmap_region) up to each point where an unmodelled
// flag or state would decide the answer.
func mmapRefusal(cfg Config, w World, s Mmap) string {
	why, charge, reached := mmapPath(cfg, w, s)
	if why != "" || !reached {
		return why
	}
	if _, known := cfg.Commit(charge); !known {
		return "commit charge above CommitFloor with an unknown commit limit"
	}
	return ""
}

// mmapPath follows mmap up to its commit charge: why is the reason of a
// rule that refuses it on the way; reached says whether Linux gets to the
// charge (no errno before it), and charge is the charge then, in pages.
// cfg's Machine decides whether a low MAP_FIXED fails EPERM
// (Machine.DacMmapMinAddr), its Target where a hint-less mapping may go.
func mmapPath(cfg Config, w World, s Mmap) (why string, charge uint64, reached bool) {
	m := cfg.Machine
	if s.Flags&MAP_ANONYMOUS == 0 {
		return "", 0, false // EBADF: fd -1 (ksys_mmap_pgoff)
	}
	if s.Flags&MAP_HUGETLB != 0 {
		return "MAP_HUGETLB (ksys_mmap_pgoff sets up a hugetlbfs file)", 0, false
	}
	n := PageUp(s.Len)
	if s.Len == 0 || n == 0 || n > TaskSize {
		return "", 0, false // EINVAL, ENOMEM
	}
	if s.Flags&MAP_LOCKED != 0 {
		return "MAP_LOCKED (RLIMIT_MEMLOCK, mlock)", 0, false
	}
	vmas := w.Mappings()
	fixed := s.Flags&(MAP_FIXED|MAP_FIXED_NOREPLACE) != 0
	if fixed {
		// __get_unmapped_area: the range, then the alignment, then
		// security_mmap_addr.
		if s.Addr > TaskSize-n || s.Addr&(PageSize-1) != 0 {
			return "", 0, false // ENOMEM, EINVAL
		}
		switch eperm, known := m.FixedBelowMin(s.Addr); {
		case !known:
			return "MAP_FIXED below 0x10000 with vm.mmap_min_addr unknown (security_mmap_addr)", 0, false
		case eperm:
			return "", 0, false // EPERM (cap_mmap_addr)
		}
		if s.Flags&MAP_FIXED_NOREPLACE != 0 && overlaps(vmas, s.Addr, s.Addr+n) {
			return "", 0, false // EEXIST
		}
	} else {
		if s.Flags&(MAP_32BIT|MAP_ABOVE4G) != 0 {
			return "MAP_32BIT or MAP_ABOVE4G placement", 0, false
		}
		if !PlacementRoomFor(cfg.Target, vmas, s.Addr, n) {
			return "no room below the arena's end (Linux then searches bottom-up above it)", 0, false
		}
	}
	switch s.Flags & MAP_TYPE {
	case MAP_SHARED:
		if s.Flags&MAP_GROWSDOWN != 0 {
			return "", 0, false // EINVAL
		}
	case MAP_PRIVATE:
	case MAP_DROPPABLE:
		return "MAP_DROPPABLE mapping", 0, false
	default:
		return "", 0, false // EINVAL
	}
	if s.Flags&mmapUnmodelled != 0 {
		return "mmap flag not modelled", 0, false
	}
	return "", MmapChargeFor(cfg.Target, s.Addr, n, s.Prot, s.Flags, fixed, vmas), true
}

// Charges returns the commit charges sc makes, in pages, in the order
// Linux makes them, as far as Linux's checks before them let it get (none
// when an errno comes first or another rule refuses sc): mmap's one charge,
// mprotect's per-vma charges up to the first hole, and fork's upper bounds
// (abi.ForkCharge's runs). m decides how mprotect groups execute-only
// mappings (PKU). The oracle uses it to refuse charges its machine answers
// otherwise than the world's limit.
func Charges(m Machine, w World, sc Syscall) []uint64 {
	switch s := sc.(type) {
	case Mmap:
		if _, c, reached := mmapPath(Config{Machine: m}, w, s); reached {
			return []uint64{c}
		}
	case Mprotect:
		return mprotectPath(m, w, s)
	case Fork:
		return forkRuns(w, 0, SIGCHLD)
	case Clone:
		f := s.Flags & 0xffffffff
		return forkRuns(w, f&^CSIGNAL, f&CSIGNAL)
	case Clone3:
		if !Clone3Invalid(s) {
			return forkRuns(w, s.Flags, s.ExitSignal)
		}
	}
	return nil
}

// forkRuns returns the accounted runs a creation with flags copies, when it
// gets that far (valid, modelled, not CLONE_VM).
func forkRuns(w World, flags, sig uint64) []uint64 {
	if CloneInvalid(flags, w.InitGroup()) || flags&^CloneModelled != 0 || flags&CLONE_VM != 0 ||
		(flags&(CLONE_THREAD|CLONE_PARENT) == 0 && sig <= NSIG && StopSignal(int(sig))) {
		return nil
	}
	return runs(w.Mappings(), accountedCopied)
}

// accountedCopied selects the vmas fork charges: accounted and copied.
func accountedCopied(v VMA) bool { return v.Accounted && !v.DontFork && !v.Shared }

// PageUp rounds n up to whole pages; 0 when that overflows.
func PageUp(n uint64) uint64 {
	r := (n + PageSize - 1) &^ (PageSize - 1)
	if r < n {
		return 0
	}
	return r
}

// overlaps reports whether any mapping meets [start, end).
func overlaps(vmas []VMA, start, end uint64) bool {
	for _, v := range vmas {
		if v.Start < end && start < v.End {
			return true
		}
	}
	return false
}

// FixedAddrChecked reports whether a MAP_FIXED or MAP_FIXED_NOREPLACE mmap
// gets as far as security_mmap_addr, which decides the EPERM of MEM-3o: no
// errno comes before it from the fd, the length, the range or the
// alignment (and no rule of Refusal refused it on the way).
func FixedAddrChecked(s Mmap) bool {
	n := PageUp(s.Len)
	return s.Flags&MAP_ANONYMOUS != 0 && s.Flags&(MAP_FIXED|MAP_FIXED_NOREPLACE) != 0 &&
		s.Len != 0 && n != 0 && n <= TaskSize && s.Addr <= TaskSize-n && s.Addr&(PageSize-1) == 0
}

// MmapHint is the hint a mmap without MAP_FIXED starts from: rounded down to
// a page, and a nonzero one below MmapMinAddr raised to it
// (round_hint_to_min). 0 means no hint.
func MmapHint(addr uint64) uint64 {
	h := addr &^ (PageSize - 1)
	if h != 0 && h < MmapMinAddr {
		h = MmapMinAddr
	}
	return h
}

// HintUsable reports whether Linux places an n-byte mapping at hint h
// (x86 arch_get_unmapped_area_topdown: a hint inside the address space
// whose range is free).
func HintUsable(vmas []VMA, h, n uint64) bool {
	return h != 0 && h <= TaskSize-n && !overlaps(vmas, h, h+n)
}

// PlacementRoom reports whether a mmap without MAP_FIXED of n bytes at
// hint addr finds a place below ArenaEnd: the hint, or a free range in
// [MmapMinAddr, ArenaEnd) (the arena first, then below it, as Linux's
// top-down search goes). Where there is none Linux searches bottom-up above
// mmap_legacy_base, where the oracle's own memory lies.
func PlacementRoom(vmas []VMA, addr, n uint64) bool {
	if HintUsable(vmas, MmapHint(addr), n) {
		return true
	}
	if n > ArenaEnd-MmapMinAddr {
		return false
	}
	top := ArenaEnd
	for i := len(vmas) - 1; i >= -1; i-- {
		lo := MmapMinAddr
		if i >= 0 {
			if vmas[i].Start >= top {
				continue
			}
			lo = max(lo, vmas[i].End)
		}
		if top > lo && top-lo >= n {
			return true
		}
		if i >= 0 {
			top = min(top, vmas[i].Start)
		}
	}
	return false
}

// MmapCharge is the commit charge of a mmap of n bytes at addr that reached
// mmap_region, in pages: a writable private mapping charges its pages less
// the accounted pages it replaces (accountable_mapping, nr_accounted); a
// MAP_SHARED one charges its whole size to the shmem file it creates
// (shmem_zero_setup → shmem_acct_size), whatever its protection; others
// charge nothing.
func MmapCharge(addr, n uint64, prot, flags int64, fixed bool, vmas []VMA) uint64 {
	pages := n / PageSize
	switch {
	case flags&MAP_TYPE == MAP_SHARED:
		return pages
	case prot&PROT_WRITE == 0:
		return 0
	case !fixed:
		return pages
	}
	var replaced uint64
	for _, v := range vmas {
		if v.Accounted && v.Start < addr+n && addr < v.End {
			replaced += (min(v.End, addr+n) - max(v.Start, addr)) / PageSize
		}
	}
	return pages - replaced
}

// mprotectRefusal follows do_mprotect_pkey: the argument checks, then the
// vma walk, refusing when a charge on the way has an unknown answer.
func mprotectRefusal(cfg Config, w World, s Mprotect) string {
	for _, c := range mprotectPath(cfg.Machine, w, s) {
		fits, known := cfg.Commit(c)
		if !known {
			return "commit charge above CommitFloor with an unknown commit limit"
		}
		if !fits {
			break // ENOMEM here: the walk stops
		}
	}
	return ""
}

// mprotectPath returns the charges of an mprotect that gets to its vma walk
// with a writable protection (none otherwise).
func mprotectPath(m Machine, w World, s Mprotect) []uint64 {
	grows := s.Prot & (PROT_GROWSDOWN | PROT_GROWSUP)
	prot := s.Prot &^ grows
	n := PageUp(s.Len)
	switch {
	case grows == PROT_GROWSDOWN|PROT_GROWSUP, s.Addr&(PageSize-1) != 0, s.Len == 0,
		n == 0 || s.Addr+n <= s.Addr, prot&^(PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM) != 0, grows != 0:
		// EINVAL, 0, ENOMEM: answered. With a GROWS bit the walk never
		// starts: no mapping is VM_GROWSDOWN (MAP_GROWSDOWN is refused)
		// and x86 has no VM_GROWSUP, so it is EINVAL or ENOMEM.
		return nil
	case prot&PROT_WRITE == 0:
		return nil
	}
	return MprotectCharges(m, w.Mappings(), s.Addr, s.Addr+n)
}

// MprotectCharges returns, in walk order, the charges an mprotect to a
// writable protection makes over [start, end): one per run of adjacent
// unaccounted private mappings with equal attributes (for such mappings,
// which never had an anon_vma, Linux's vma is the whole run), each the
// pages of the run inside the range (mprotect_fixup). The walk stops at the
// first hole, where mprotect fails ENOMEM. Runs split by the execute-only
// key only on a machine with PKU.
func MprotectCharges(m Machine, vmas []VMA, start, end uint64) []uint64 {
	var out []uint64
	cursor := start
	var cur VMA
	open := false
	for _, v := range vmas {
		if v.End <= start || v.Start >= end {
			continue
		}
		if v.Start > cursor {
			break // a hole
		}
		cursor = v.End
		if v.Shared || v.Accounted {
			open = false
			continue
		}
		piece := (min(v.End, end) - max(v.Start, start)) / PageSize
		same := open && v.Start == cur.End && v.Prot == cur.Prot && v.DontFork == cur.DontFork &&
			v.WipeOnFork == cur.WipeOnFork && (m.PKU != FeaturePresent || v.ExecOnly == cur.ExecOnly)
		if same {
			out[len(out)-1] += piece
		} else {
			out = append(out, piece)
		}
		cur, open = v, true
		if cursor >= end {
			break
		}
	}
	return out
}

// madviseRefusal: advice Linux accepts (madvise_behavior_valid) that
// forkspec does not model, once the range checks passed.
func madviseRefusal(s Madvise) string {
	adv := int64(int32(s.Advice))
	if !MadviseModelled(adv) && !MadviseOther(adv) {
		return "" // EINVAL
	}
	n := PageUp(s.Len)
	if s.Addr&(PageSize-1) != 0 || (s.Len != 0 && n == 0) || s.Addr+n < s.Addr || n == 0 {
		return "" // EINVAL, or length 0: 0
	}
	if MadviseOther(adv) {
		return "madvise advice not modelled"
	}
	return ""
}

// MadviseModelled reports whether forkspec models advice a.
func MadviseModelled(a int64) bool {
	switch a {
	case MADV_NORMAL, MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK:
		return true
	}
	return false
}

// MadviseOther reports whether a is advice Linux accepts but forkspec does
// not model (include/uapi/asm-generic/mman-common.h).
func MadviseOther(a int64) bool {
	switch {
	case a >= 1 && a <= 3, a == 8, a == 9, a >= 12 && a <= 17, a >= 20 && a <= 25, a >= 100 && a <= 103:
		return true
	}
	return false
}

// accessRefusal: a load from a PROT_EXEC-only mapping when the world does
// not say whether the CPU has protection keys; a faulting access in init's
// group (init never dies) or with an unblocked SIGSEGV handler (it would
// return into the fault forever).
func accessRefusal(cfg Config, w World, addr uint64, store bool) string {
	faults := true
	if v, ok := MappingAt(w.Mappings(), addr); ok {
		switch {
		case store:
			faults = v.Prot&PROT_WRITE == 0
		case v.Prot == PROT_EXEC:
			f, known := cfg.ExecOnlyFaults()
			if !known {
				return "load from a PROT_EXEC-only mapping with PKU unknown"
			}
			faults = f && v.ExecOnly
		default:
			faults = v.Prot == PROT_NONE
		}
	}
	if !faults {
		return ""
	}
	if w.InitGroup() {
		return "a bad access would kill init (WORLD-1)"
	}
	if h, blocked := w.Segv(); h && !blocked {
		return "a SIGSEGV handler would return into the fault forever"
	}
	return ""
}

// MappingAt returns the mapping holding addr, if any.
func MappingAt(vmas []VMA, addr uint64) (VMA, bool) {
	for _, v := range vmas {
		if v.Start <= addr && addr < v.End {
			return v, true
		}
	}
	return VMA{}, false
}

// writeRefusal: after the fd (EBADF) and a count that no buffer can hold
// (WriteFaults: EFAULT), counts above WriteMax (whether access_ok passes
// then depends on where the buffer is) and positions past FileMax.
func writeRefusal(w World, s Write) string {
	f, ok := w.File(s.Fd)
	if !ok || WriteFaults(s.N) || (f.Pipe && !f.WriteEnd) {
		return "" // EBADF, EFAULT
	}
	if s.N > WriteMax {
		return "write count above WriteMax"
	}
	if f.Pipe {
		if s.N != 0 && f.WriterBlocked {
			return "a second writer on a pipe with a blocked writer (the wait queue's order is not modelled)"
		}
		return ""
	}
	if f.Offset+s.N > FileMax {
		return "file position past FileMax (s_maxbytes is the file system's)"
	}
	return ""
}

// WriteFaults reports whether a write count fails access_ok whatever the
// buffer: as a size_t it is larger than the user address space (a negative
// count is a huge size_t), so buffer + count cannot stay below
// USER_PTR_MAX (vfs_write checks it before rw_verify_area).
func WriteFaults(n int64) bool { return n < 0 || uint64(n) > TaskSize }

// lseekRefusal: a resulting offset past FileMax (vfs_setpos compares with
// the file system's s_maxbytes), and SEEK_DATA/SEEK_HOLE inside a file that
// may hold holes.
func lseekRefusal(w World, s Lseek) string {
	f, ok := w.File(s.Fd)
	if !ok {
		return ""
	}
	var base int64
	switch uint32(s.Whence) {
	case uint32(SEEK_SET):
	case uint32(SEEK_CUR):
		if s.Offset == 0 {
			return "" // returns f_pos without a check
		}
		base = f.Offset
	case uint32(SEEK_END):
		base = f.Size
	case uint32(SEEK_DATA), uint32(SEEK_HOLE):
		if s.Offset < 0 || s.Offset >= f.Size {
			return "" // ENXIO
		}
		if f.Sparse {
			return "SEEK_DATA/SEEK_HOLE in a file that may hold a hole"
		}
		return ""
	default:
		return "" // EINVAL
	}
	r := base + s.Offset // wraps as loff_t does
	if (s.Offset > 0 && r < base) || r < 0 {
		return "" // EINVAL
	}
	if r > FileMax {
		return "file position past FileMax (s_maxbytes is the file system's)"
	}
	return ""
}

// killRefusal follows kill_something_info and kill_pid_info_type: process
// groups and kill -1; then, for a live target and a valid nonzero signal,
// queued real-time signals and the stop signals (stopping is not modelled:
// even under a handler a stop signal could wait pending and meet SIG_DFL).
func killRefusal(w World, s Kill) string {
	pid, sig := int32(s.Pid), int32(s.Sig)
	if pid == -1<<31 {
		return "" // ESRCH
	}
	if pid <= 0 {
		return "kill of a process group or of every process"
	}
	exists, dying := w.Target(int(pid))
	if !exists || sig <= 0 || sig > NSIG || dying {
		return "" // ESRCH, EINVAL, 0
	}
	if sig >= SIGRTMIN {
		return "queued real-time signal"
	}
	if StopSignal(int(sig)) {
		return "stop signal"
	}
	return ""
}
