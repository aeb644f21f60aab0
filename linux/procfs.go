package linux

import (
	"fmt"

	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// procTask is what /proc says about one task (thread) of the namespace.
type procTask struct {
	Tid, Tgid, Ppid int
	// State is the state letter of /proc/PID/stat: R, S, D (a vfork parent
	// waiting for its child), Z (zombie), ….
	State      byte
	ExitSignal int
	ExitCode   int // stat field 52: the task's own exit code, wait-status form
	Comm       string
	SigBlk     uint64 // per thread
	SigPnd     uint64 // per thread pending
	ShdPnd     uint64 // per process pending
	SigIgn     uint64
	SigCgt     uint64
	Umask      int64 // -1 when the line is absent (a zombie has no fs)
}

// taskDir is /proc/<tgid>/task/<tid> in the namespace's procfs.
func (k *Kernel) taskDir(tgid, tid int) string {
	return filepath.Join(k.nsproc, strconv.Itoa(tgid), "task", strconv.Itoa(tid))
}

// ensureRoot keeps k.nsproc reachable: it goes through /proc/PID/root of a
// live agent, and task 1's leader may have exited (a zombie has no root),
// so another live agent's root is used then.
func (k *Kernel) ensureRoot() error {
	if _, err := os.Stat(k.nsproc); err == nil {
		return nil
	}
	var tids []int
	for tid := range k.tasks {
		tids = append(tids, tid)
	}
	slices.Sort(tids)
	for _, tid := range tids {
		p := fmt.Sprintf("/proc/%d/root%s/nsproc", k.tasks[tid].host, k.dir)
		if _, err := os.Stat(p); err == nil {
			k.nsproc = p
			return nil
		}
	}
	return fmt.Errorf("no live agent gives access to the namespace's procfs")
}

// listTasks returns every task in the namespace, sorted by tid.
func (k *Kernel) listTasks() ([]procTask, error) {
	if err := k.ensureRoot(); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(k.nsproc)
	if err != nil {
		return nil, err
	}
	var out []procTask
	for _, e := range ents {
		tgid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		tents, err := os.ReadDir(filepath.Join(k.nsproc, e.Name(), "task"))
		if err != nil {
			continue // the process went away while we looked
		}
		for _, te := range tents {
			tid, err := strconv.Atoi(te.Name())
			if err != nil {
				continue
			}
			t, ok, err := k.readTask(tgid, tid)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, t)
			}
		}
	}
	slices.SortFunc(out, func(a, b procTask) int { return a.Tid - b.Tid })
	return out, nil
}

// findTask reads the task with trace tid, wherever its group is; ok is false
// when no such task exists.
func (k *Kernel) findTask(tid int) (procTask, bool, error) {
	if tid <= 0 {
		return procTask{}, false, nil
	}
	if err := k.ensureRoot(); err != nil {
		return procTask{}, false, err
	}
	// /proc/<tid> resolves any task, leader or not; its status names the tgid.
	st, err := os.ReadFile(filepath.Join(k.nsproc, strconv.Itoa(tid), "status"))
	if err != nil {
		if os.IsNotExist(err) || strings.Contains(err.Error(), "no such process") {
			return procTask{}, false, nil
		}
		return procTask{}, false, err
	}
	tgid := statusInt(string(st), "Tgid")
	return k.readTask(tgid, tid)
}

// statFields splits a stat line: the comm between its parentheses, and
// the fields after them, f[0] being field 3 (state) and field N f[N-3];
// there are at least 50 (up to field 52, the exit code).
func statFields(s string) (comm string, f []string, err error) {
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return "", nil, fmt.Errorf("bad stat %q", s)
	}
	f = strings.Fields(s[close+1:])
	if len(f) < 50 {
		return "", nil, fmt.Errorf("short stat %q", s)
	}
	return s[open+1 : close], f, nil
}

// readTask reads stat, status and comm of one task; ok is false when it has
// vanished.
func (k *Kernel) readTask(tgid, tid int) (procTask, bool, error) {
	d := k.taskDir(tgid, tid)
	stat, err := os.ReadFile(filepath.Join(d, "stat"))
	if err != nil {
		return procTask{}, false, nil
	}
	status, err := os.ReadFile(filepath.Join(d, "status"))
	if err != nil {
		return procTask{}, false, nil
	}
	t := procTask{Tid: tid, Tgid: tgid}
	comm, f, err := statFields(string(stat))
	if err != nil {
		return t, false, fmt.Errorf("task %d: %w", tid, err)
	}
	t.Comm = comm
	t.State = f[0][0]
	t.Ppid, _ = strconv.Atoi(f[1])
	t.ExitSignal, _ = strconv.Atoi(f[35])
	t.ExitCode, _ = strconv.Atoi(f[49])
	st := string(status)
	t.SigBlk = statusHex(st, "SigBlk")
	t.SigPnd = statusHex(st, "SigPnd")
	t.ShdPnd = statusHex(st, "ShdPnd")
	t.SigIgn = statusHex(st, "SigIgn")
	t.SigCgt = statusHex(st, "SigCgt")
	t.Umask = -1
	if v, ok := statusField(st, "Umask"); ok {
		if u, err := strconv.ParseInt(v, 8, 64); err == nil {
			t.Umask = u
		}
	}
	// PPid in status is the parent's tgid, as getppid reports it.
	t.Ppid = statusInt(st, "PPid")
	return t, true, nil
}

func statusField(st, key string) (string, bool) {
	for _, line := range strings.Split(st, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

func statusInt(st, key string) int {
	v, _ := statusField(st, key)
	n, _ := strconv.Atoi(v)
	return n
}

func statusHex(st, key string) uint64 {
	v, _ := statusField(st, key)
	n, _ := strconv.ParseUint(v, 16, 64)
	return n
}

// mapping is one line of /proc/PID/smaps with its VmFlags.
type mapping struct {
	Start, End uint64
	Perms      string // "rw-p"
	Offset     uint64
	Inode      uint64
	Dev        string
	Path       string // "" for anonymous memory, "[stack]", a file, …
	Rss        uint64 // resident kB (the zero page not counted)
	VmFlags    []string
	// Pkey is the ProtectionKey line (machines with PKU): the
	// execute-only key for a PROT_EXEC-only mapping, else 0.
	Pkey int
}

// readSmaps parses /proc/.../smaps of a task.
func readSmaps(path string) ([]mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []mapping
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		if v, ok := strings.CutPrefix(line, "ProtectionKey:"); ok {
			if n := len(out); n > 0 {
				out[n-1].Pkey, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Rss:"); ok {
			if n := len(out); n > 0 {
				out[n-1].Rss, _ = strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			}
			continue
		}
		if strings.HasPrefix(line, "VmFlags:") {
			if n := len(out); n > 0 {
				out[n-1].VmFlags = strings.Fields(line[len("VmFlags:"):])
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 5 || !strings.Contains(f[0], "-") || strings.HasSuffix(f[0], ":") {
			continue
		}
		a, b, _ := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(a, 16, 64)
		end, err2 := strconv.ParseUint(b, 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		off, _ := strconv.ParseUint(f[2], 16, 64)
		ino, _ := strconv.ParseUint(f[4], 10, 64)
		out = append(out, mapping{Start: start, End: end, Perms: f[1], Offset: off, Dev: f[3], Inode: ino, Path: strings.Join(f[5:], " ")})
	}
	return out, nil
}

// agentOwned reports whether a mapping is the agent's own rather than the
// trace's: its executable file, the kernel's special mappings ([stack],
// [vdso], …), and the anonymous memory it maps for itself, always with
// MAP_NORESERVE ("nr"), which forkspec's mmap never passes. MAP_SHARED
// anonymous memory shows as "/dev/zero (deleted)" and is the trace's.
func (m mapping) agentOwned() bool {
	switch {
	case m.has("nr"), m.Start < space.ZoneEnd && m.End > space.StackArea:
		return true
	case strings.HasPrefix(m.Path, "["):
		// User-Mode Linux names whatever private mapping starts at its
		// vdso's address "[vdso]" (arch_vma_name), and the agent has
		// dropped the real one there (Space.DropVdso).
		return !(space.DropVdso && m.Path == "[vdso]")
	case m.Path != "" && m.Path != "/dev/zero (deleted)":
		return true
	}
	return false
}

// reservation reports whether a mapping is part of the agent's PROT_NONE
// reservation above the arena (and below it, Space.ReserveAll), which only
// exists to steer mmap placement into the arena: for the trace it is free
// address space. The agent zone [space.StackArea, space.ZoneEnd) (its
// stacks and scratch buffers) is never the trace's.
func (m mapping) reservation() bool {
	return m.has("nr") && m.Perms == "---p" &&
		(m.Start >= space.ArenaEnd || space.ReserveAll && m.End <= space.ArenaStart) &&
		(m.End <= space.StackArea || m.Start >= space.ZoneEnd)
}

func (m mapping) has(flag string) bool { return slices.Contains(m.VmFlags, flag) }

func (m mapping) prot() int64 {
	var p int64
	if m.Perms[0] == 'r' {
		p |= 1
	}
	if m.Perms[1] == 'w' {
		p |= 2
	}
	if m.Perms[2] == 'x' {
		p |= 4
	}
	return p
}
