package abi

import (
	"fmt"
	"strconv"
	"strings"
)

// flagName names one bit (or value) of a flag word in trace syntax.
type flagName struct {
	name string
	val  uint64
}

// Name tables, each in ascending value order (the printing order).
var (
	cloneNames = []flagName{
		{"CLONE_NEWTIME", CLONE_NEWTIME}, {"CLONE_VM", CLONE_VM}, {"CLONE_FS", CLONE_FS},
		{"CLONE_FILES", CLONE_FILES}, {"CLONE_SIGHAND", CLONE_SIGHAND}, {"CLONE_PIDFD", CLONE_PIDFD},
		{"CLONE_PTRACE", CLONE_PTRACE}, {"CLONE_VFORK", CLONE_VFORK}, {"CLONE_PARENT", CLONE_PARENT},
		{"CLONE_THREAD", CLONE_THREAD}, {"CLONE_NEWNS", CLONE_NEWNS}, {"CLONE_SYSVSEM", CLONE_SYSVSEM},
		{"CLONE_SETTLS", CLONE_SETTLS}, {"CLONE_PARENT_SETTID", CLONE_PARENT_SETTID},
		{"CLONE_CHILD_CLEARTID", CLONE_CHILD_CLEARTID}, {"CLONE_DETACHED", CLONE_DETACHED},
		{"CLONE_UNTRACED", CLONE_UNTRACED}, {"CLONE_CHILD_SETTID", CLONE_CHILD_SETTID},
		{"CLONE_NEWCGROUP", CLONE_NEWCGROUP}, {"CLONE_NEWUTS", CLONE_NEWUTS}, {"CLONE_NEWIPC", CLONE_NEWIPC},
		{"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWPID", CLONE_NEWPID}, {"CLONE_NEWNET", CLONE_NEWNET},
		{"CLONE_IO", CLONE_IO}, {"CLONE_CLEAR_SIGHAND", CLONE_CLEAR_SIGHAND},
		{"CLONE_INTO_CGROUP", CLONE_INTO_CGROUP},
	}
	waitNames = []flagName{
		{"WNOHANG", uint64(WNOHANG)}, {"WUNTRACED", uint64(WUNTRACED)}, {"WEXITED", uint64(WEXITED)},
		{"WCONTINUED", uint64(WCONTINUED)}, {"WNOWAIT", uint64(WNOWAIT)}, {"__WNOTHREAD", uint64(WNOTHREAD)},
		{"__WALL", uint64(WALL)}, {"__WCLONE", uint64(WCLONE)},
	}
	protNames = []flagName{
		{"PROT_READ", uint64(PROT_READ)}, {"PROT_WRITE", uint64(PROT_WRITE)}, {"PROT_EXEC", uint64(PROT_EXEC)},
		{"PROT_SEM", uint64(PROT_SEM)}, {"PROT_GROWSDOWN", uint64(PROT_GROWSDOWN)}, {"PROT_GROWSUP", uint64(PROT_GROWSUP)},
	}
	mapNames = []flagName{
		{"MAP_SHARED", uint64(MAP_SHARED)}, {"MAP_PRIVATE", uint64(MAP_PRIVATE)}, {"MAP_DROPPABLE", uint64(MAP_DROPPABLE)},
		{"MAP_FIXED", uint64(MAP_FIXED)}, {"MAP_ANONYMOUS", uint64(MAP_ANONYMOUS)}, {"MAP_32BIT", uint64(MAP_32BIT)},
		{"MAP_ABOVE4G", uint64(MAP_ABOVE4G)}, {"MAP_GROWSDOWN", uint64(MAP_GROWSDOWN)},
		{"MAP_DENYWRITE", uint64(MAP_DENYWRITE)}, {"MAP_EXECUTABLE", uint64(MAP_EXECUTABLE)},
		{"MAP_LOCKED", uint64(MAP_LOCKED)}, {"MAP_NORESERVE", uint64(MAP_NORESERVE)},
		{"MAP_POPULATE", uint64(MAP_POPULATE)}, {"MAP_NONBLOCK", uint64(MAP_NONBLOCK)},
		{"MAP_STACK", uint64(MAP_STACK)}, {"MAP_HUGETLB", uint64(MAP_HUGETLB)}, {"MAP_SYNC", uint64(MAP_SYNC)},
		{"MAP_FIXED_NOREPLACE", uint64(MAP_FIXED_NOREPLACE)}, {"MAP_UNINITIALIZED", uint64(MAP_UNINITIALIZED)},
	}
	saNames = []flagName{
		{"SA_NOCLDSTOP", SA_NOCLDSTOP}, {"SA_NOCLDWAIT", SA_NOCLDWAIT}, {"SA_SIGINFO", SA_SIGINFO},
		{"SA_RESTART", SA_RESTART}, {"SA_NODEFER", SA_NODEFER}, {"SA_RESETHAND", SA_RESETHAND},
	}
	openNames = []flagName{{"O_CLOEXEC", uint64(O_CLOEXEC)}}
	pipeNames = []flagName{{"O_EXCL", uint64(O_EXCL)}, {"O_NONBLOCK", uint64(O_NONBLOCK)},
		{"O_DIRECT", uint64(O_DIRECT)}, {"O_CLOEXEC", uint64(O_CLOEXEC)}}
	futexNames = []flagName{{"FUTEX_WAIT", uint64(FUTEX_WAIT)}, {"FUTEX_WAKE", uint64(FUTEX_WAKE)},
		{"FUTEX_WAIT_BITSET", uint64(FUTEX_WAIT_BITSET)}, {"FUTEX_WAKE_BITSET", uint64(FUTEX_WAKE_BITSET)}}
	futexFlagNames = []flagName{{"FUTEX_PRIVATE_FLAG", uint64(FUTEX_PRIVATE_FLAG)}, {"FUTEX_CLOCK_REALTIME", uint64(FUTEX_CLOCK_REALTIME)}}
	fdNames        = []flagName{{"FD_CLOEXEC", uint64(FD_CLOEXEC)}}

	// Enumerations: exactly one value, printed by name when known.
	adviceNames = []flagName{
		{"MADV_NORMAL", uint64(MADV_NORMAL)}, {"MADV_DONTNEED", uint64(MADV_DONTNEED)},
		{"MADV_DONTFORK", uint64(MADV_DONTFORK)}, {"MADV_DOFORK", uint64(MADV_DOFORK)},
		{"MADV_WIPEONFORK", uint64(MADV_WIPEONFORK)}, {"MADV_KEEPONFORK", uint64(MADV_KEEPONFORK)},
	}
	fcntlNames = []flagName{{"F_DUPFD", uint64(F_DUPFD)}, {"F_GETFD", uint64(F_GETFD)}, {"F_SETFD", uint64(F_SETFD)},
		{"F_DUPFD_CLOEXEC", uint64(F_DUPFD_CLOEXEC)}, {"F_SETPIPE_SZ", uint64(F_SETPIPE_SZ)}, {"F_GETPIPE_SZ", uint64(F_GETPIPE_SZ)}}
	whenceNames = []flagName{
		{"SEEK_SET", uint64(SEEK_SET)}, {"SEEK_CUR", uint64(SEEK_CUR)}, {"SEEK_END", uint64(SEEK_END)},
		{"SEEK_DATA", uint64(SEEK_DATA)}, {"SEEK_HOLE", uint64(SEEK_HOLE)},
	}
	howNames   = []flagName{{"SIG_BLOCK", uint64(SIG_BLOCK)}, {"SIG_UNBLOCK", uint64(SIG_UNBLOCK)}, {"SIG_SETMASK", uint64(SIG_SETMASK)}}
	prctlNames = []flagName{{"PR_SET_CHILD_SUBREAPER", uint64(PR_SET_CHILD_SUBREAPER)}, {"PR_GET_CHILD_SUBREAPER", uint64(PR_GET_CHILD_SUBREAPER)}}
	dispNames  = []flagName{{"SIG_DFL", uint64(SigDefault)}, {"SIG_IGN", uint64(SigIgnore)}, {"handler", uint64(SigHandle)}}

	signalNames = [...]string{
		SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
		SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
		SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
		SIGSTKFLT: "SIGSTKFLT", SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP",
		SIGTTIN: "SIGTTIN", SIGTTOU: "SIGTTOU", SIGURG: "SIGURG", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
		SIGVTALRM: "SIGVTALRM", SIGPROF: "SIGPROF", SIGWINCH: "SIGWINCH", SIGIO: "SIGIO", SIGPWR: "SIGPWR",
		SIGSYS: "SIGSYS",
	}

	errnoNames = map[Errno]string{
		EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EBADF: "EBADF", ECHILD: "ECHILD",
		EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY",
		EEXIST: "EEXIST", EINVAL: "EINVAL", EMFILE: "EMFILE", ENOSYS: "ENOSYS", ENXIO: "ENXIO", EFBIG: "EFBIG",
		EOVERFLOW: "EOVERFLOW", ESPIPE: "ESPIPE", EPIPE: "EPIPE",
	}
)

// formatFlags prints v as NAME|NAME|0xrest in table order; 0 prints as "0".
func formatFlags(v uint64, names []flagName) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	for _, n := range names {
		if n.val != 0 && v&n.val == n.val {
			parts = append(parts, n.name)
			v &^= n.val
		}
	}
	if v != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(v, 16))
	}
	return strings.Join(parts, "|")
}

// formatEnum prints v by name when the table has it, else as a decimal number.
func formatEnum(v int64, names []flagName) string {
	for _, n := range names {
		if int64(n.val) == v {
			return n.name
		}
	}
	return strconv.FormatInt(v, 10)
}

// SignalName is "SIGTERM" for 15, "SIGRTMIN+3" for 35, and the decimal
// number for 0 and for anything outside 1..NSIG.
func SignalName(sig int) string {
	switch {
	case sig > 0 && sig < len(signalNames) && signalNames[sig] != "":
		return signalNames[sig]
	case sig >= SIGRTMIN && sig <= NSIG:
		return fmt.Sprintf("SIGRTMIN+%d", sig-SIGRTMIN)
	}
	return strconv.Itoa(sig)
}

// String is the errno's name ("ENOENT"), or "errno(N)" for an unnamed one.
func (e Errno) String() string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("errno(%d)", int(e))
}

// Error makes Errno an error.
func (e Errno) Error() string { return e.String() }

// String prints the set as SIGA|SIGB, or "0" when empty.
func (s SigSet) String() string {
	if s == 0 {
		return "0"
	}
	var parts []string
	for sig := 1; sig <= NSIG; sig++ {
		if s.Has(sig) {
			parts = append(parts, SignalName(sig))
		}
	}
	return strings.Join(parts, "|")
}

// String is the disposition in trace syntax: SIG_DFL, SIG_IGN or handler.
func (d Disposition) String() string { return formatEnum(int64(d), dispNames) }

var stateNames = [...]string{Running: "running", VforkFrozen: "vfork-frozen", Zombie: "zombie", Blocked: "blocked"}

// String names the state.
func (s TaskState) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int(s))
}

var outcomeNames = [...]string{
	OutcomeOK: "ok", OutcomeFrozen: "frozen", OutcomeExited: "exited", OutcomeExeced: "execed",
	OutcomeKilled: "killed", OutcomeBlocked: "blocked", OutcomeNoTask: "no-task", OutcomeTaskFrozen: "task-frozen",
	OutcomeTaskZombie: "zombie", OutcomeTaskBlocked: "task-blocked", OutcomeUnsupported: "unsupported",
}

// String names the outcome as the trace syntax writes it.
func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}
