package linux

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/forkspec/forkspec/abi"
)

// preflight decides, before anything reaches Linux, whether the step is
// refused: first by the refusal list every backend shares (abi.Refusal,
// answered from /proc by procWorld), then by the oracle's own refusals —
// a world whose machine facts are not this machine's (machineRefusal) and
// the agent's memory (agentmem.go), which for the trace is unmapped
// address space. A request Linux itself answers with an errno is never
// refused here: the real kernel answers it.
func (k *Kernel) preflight(t procTask, sc abi.Syscall) (abi.Result, bool, error) {
	unsupported := abi.Refuse(abi.OutcomeUnsupported)
	// The rules are written in trace addresses: in a kernel under test's
	// smaller Space they are asked in trace addresses (reloc.go).
	w := &procWorld{k: k, t: t, trace: space != HostSpace}
	tsc := traceCall(sc)
	why := abi.Refusal(k.cfg, w, tsc)
	if why == "" {
		why = machineRefusal(k.cfg, k.machine, w, tsc)
	}
	if w.err != nil {
		return abi.Result{}, false, w.err
	}
	if why != "" {
		return unsupported, true, nil
	}
	if s, ok := sc.(abi.Write); ok {
		k.noteSparse(w, s)
	}
	return k.agentPreflight(t, sc)
}

// noteSparse remembers, for abi.FileState.Sparse, the files a write
// extends past a gap (the model's rule: such a file may hold a hole). Only
// writes that reach the file count: an open fd and a count that moves
// bytes.
func (k *Kernel) noteSparse(w *procWorld, s abi.Write) {
	if s.N <= 0 || abi.WriteFaults(s.N) {
		return
	}
	if f, ok := w.File(s.Fd); ok && f.Offset > f.Size {
		k.sparse[w.path(s.Fd)] = true
	}
}

// World returns abi.World for task tid from /proc (abi.Worlds); ok is
// false when tid is not a running task or /proc could not be read (the
// error is then the Kernel's, see Err).
func (k *Kernel) World(tid int) (abi.World, bool) {
	t, ok, err := k.findTask(tid)
	if err != nil {
		k.fail(err)
		return nil, false
	}
	if !ok || t.State == 'Z' || t.State == 'X' || t.State == 'D' {
		return nil, false
	}
	if _, asleep := k.sleeping[tid]; asleep {
		return nil, false // asleep in a call of the trace: it cannot step (Step)
	}
	return &procWorld{k: k, t: t, external: true, trace: space != HostSpace}, true
}

// procWorld answers abi.World for one task from /proc. Answers are read
// when first asked and kept for the step; a failure to read is kept in err
// (the step then fails as a driver error) and the answer is the empty one.
type procWorld struct {
	k   *Kernel
	t   procTask
	err error
	// external: asked from outside a step (World); a failure to read is
	// then also the Kernel's (Err).
	external bool
	// vmas caches Mappings; read is set once it has been filled.
	vmas []abi.VMA
	read bool
	// trace: Mappings answers in the trace's layout (traceVMAs).
	trace bool
}

func (w *procWorld) fail(err error) {
	if w.err == nil && err != nil {
		w.err = err
		if w.external {
			w.k.fail(err)
		}
	}
}

func (w *procWorld) InitGroup() bool { return w.t.Tgid == 1 }

func (w *procWorld) LastThread() bool {
	last, err := w.k.lastLiveThread(w.t)
	w.fail(err)
	return last
}

// fdPath is the fd's entry in /proc, the fd read as an unsigned int.
func (w *procWorld) fdPath(fd int) string {
	return filepath.Join(w.k.taskDir(w.t.Tgid, w.t.Tid), "fd", strconv.FormatUint(uint64(uint32(fd)), 10))
}

// path returns the fixed file fd refers to ("a", "b", "c"), or "".
func (w *procWorld) path(fd int) string {
	target, err := os.Readlink(w.fdPath(fd))
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}

func (w *procWorld) File(fd int) (abi.FileState, bool) {
	if uint32(fd) >= abi.FdLimit {
		return abi.FileState{}, false // the agent's own fds lie above the limit
	}
	p := w.path(fd)
	if p == "" {
		return abi.FileState{}, false
	}
	if ino := w.k.pipeInode(w.t, fd); ino != 0 {
		dir := w.k.taskDir(w.t.Tgid, w.t.Tid)
		info, err := os.ReadFile(filepath.Join(dir, "fdinfo", strconv.FormatUint(uint64(uint32(fd)), 10)))
		if err != nil {
			w.fail(err)
			return abi.FileState{}, false
		}
		flags, _ := strconv.ParseUint(fieldOf(string(info), "flags"), 8, 64)
		return abi.FileState{Pipe: true, WriteEnd: flags&3 == 1,
			ReaderBlocked: w.k.pipeSleeper(ino, false), WriterBlocked: w.k.pipeSleeper(ino, true)}, true
	}
	dir := w.k.taskDir(w.t.Tgid, w.t.Tid)
	info, err := os.ReadFile(filepath.Join(dir, "fdinfo", strconv.FormatUint(uint64(uint32(fd)), 10)))
	if err != nil {
		w.fail(err)
		return abi.FileState{}, false
	}
	var pos int64
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "pos:"); ok {
			pos, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	fi, err := os.Stat(filepath.Join(w.k.dir, "files", p))
	if err != nil {
		w.fail(err)
		return abi.FileState{}, false
	}
	return abi.FileState{Offset: pos, Size: fi.Size(), Sparse: w.k.sparse[p]}, true
}

// Mappings are the trace's mappings of the task: the agent's own are
// unmapped address space for the trace. Accounted is smaps' "ac" flag;
// ExecOnly a PROT_EXEC-only mapping with a nonzero protection key.
func (w *procWorld) Mappings() []abi.VMA {
	if w.read {
		return w.vmas
	}
	w.read = true
	ms, err := readSmaps(w.k.taskDir(w.t.Tgid, w.t.Tid) + "/smaps")
	if err != nil {
		w.fail(err)
		return nil
	}
	for _, m := range ms {
		if m.agentOwned() {
			continue
		}
		w.vmas = append(w.vmas, abi.VMA{Start: m.Start, End: m.End, Prot: m.prot(), Shared: m.Perms[3] == 's',
			DontFork: m.has("dc"), WipeOnFork: m.has("wf"), Accounted: m.has("ac"),
			ExecOnly: m.prot() == abi.PROT_EXEC && m.Pkey != 0})
	}
	if w.trace {
		w.vmas = traceVMAs(w.vmas)
	}
	return w.vmas
}

func (w *procWorld) Segv() (handler, blocked bool) {
	bit := uint64(abi.SigBit(abi.SIGSEGV))
	return w.t.SigCgt&bit != 0, w.t.SigBlk&bit != 0
}

func (w *procWorld) TaskGroup(tid int) (int, bool) {
	t, ok, err := w.k.findTask(tid)
	if err != nil || !ok {
		w.fail(err)
		return 0, false
	}
	return t.Tgid, true
}

func (w *procWorld) WaitSleeps(s abi.Wait4) bool {
	v, err := w.k.ViewErr()
	if err != nil {
		w.fail(err)
		return false
	}
	return abi.WaitSleeps(v, w.t.Tid, s)
}

func (w *procWorld) GroupWaiting() bool {
	for tid, rec := range w.k.sleeping {
		if _, ok := rec.call.(abi.Wait4); ok && tid != w.t.Tid {
			if at := w.k.tasks[tid]; at != nil && at.tgid == w.t.Tgid {
				return true
			}
		}
	}
	return false
}

func (w *procWorld) Target(pid int) (exists, dying bool) {
	target, ok, err := w.k.findTask(pid)
	if err != nil || !ok {
		w.fail(err)
		return false, false
	}
	dead, err := w.k.groupDead(target.Tgid)
	w.fail(err)
	return true, dead
}

// makeRoom lets mmap and munmap treat the reservation above the arena as
// the free address space it stands for: a range that meets another agent
// mapping is refused; otherwise, when unreserve is set, the reservation's
// pieces in the range are unmapped first (the agent refills what is left
// free after the call, so top-down placement still starts at ArenaEnd).
func (k *Kernel) makeRoom(t procTask, addr, n uint64, unreserve bool) (abi.Result, bool, error) {
	end := addr + pageUp(n)
	if end < addr || pageUp(n) < n {
		end = ^uint64(0)
	}
	maps, err := readSmaps(k.taskDir(t.Tgid, t.Tid) + "/smaps")
	if err != nil {
		return abi.Result{}, false, err
	}
	var pieces [][2]uint64
	for _, m := range maps {
		if !(m.Start < end && addr < m.End) || !m.agentOwned() {
			continue
		}
		if !m.reservation() {
			return abi.Refuse(abi.OutcomeUnsupported), true, nil
		}
		pieces = append(pieces, [2]uint64{max(m.Start, addr), min(m.End, end)})
	}
	if unreserve {
		for _, p := range pieces {
			r, err := k.request(t.Tid, command{Op: opUnreserve, Args: [5]uint64{p[0], p[1] - p[0]}})
			if err != nil {
				return abi.Result{}, false, err
			}
			if r.errno() != 0 {
				return abi.Result{}, false, fmt.Errorf("unreserving %#x-%#x: errno %d", p[0], p[1], r.errno())
			}
		}
	}
	return abi.Result{}, false, nil
}

func pageUp(n uint64) uint64 { return (n + abi.PageSize - 1) &^ (abi.PageSize - 1) }

// inArena reports whether [addr, addr+len) (len rounded up to pages) lies
// inside the arena, where the agent never maps anything.
func inArena(addr, n uint64) bool {
	end := addr + pageUp(n)
	return addr >= space.ArenaStart && end <= space.ArenaEnd && end >= addr && pageUp(n) >= n
}

// mmapRange returns the range a mmap asks for by itself — MAP_FIXED's, or a
// usable hint's — when it reaches the placement with one (check), so that
// the agent's memory there can be made room for or refused. A hint-less
// placement lands in the arena or below it, where the agent has nothing.
func mmapRange(s abi.Mmap) (start, n uint64, check bool) {
	n = abi.PageUp(s.Len)
	if s.Flags&abi.MAP_ANONYMOUS == 0 || s.Len == 0 || n == 0 || n > space.TaskSize {
		return 0, 0, false // Linux answers before any placement
	}
	if s.Flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) != 0 {
		if s.Addr%abi.PageSize != 0 || s.Addr > space.TaskSize-n {
			return 0, 0, false
		}
		return s.Addr, n, !inArena(s.Addr, n)
	}
	hint := abi.MmapHint(s.Addr)
	if hint == 0 || hint > space.TaskSize-n {
		return 0, 0, false // no usable hint: placed top-down below ArenaEnd
	}
	return hint, n, !inArena(hint, n)
}

// groupDead reports whether every task of group tgid is a zombie.
func (k *Kernel) groupDead(tgid int) (bool, error) {
	tasks, err := k.listTasks()
	if err != nil {
		return false, err
	}
	for _, o := range tasks {
		if o.Tgid == tgid && o.State != 'Z' && o.State != 'X' {
			return false, nil
		}
	}
	return true, nil
}

// lastLiveThread reports whether t is the only live thread of its group.
func (k *Kernel) lastLiveThread(t procTask) (bool, error) {
	tasks, err := k.listTasks()
	if err != nil {
		return false, err
	}
	for _, o := range tasks {
		if o.Tgid == t.Tgid && o.Tid != t.Tid && o.State != 'Z' && o.State != 'X' {
			return false, nil
		}
	}
	return true, nil
}
