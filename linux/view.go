package linux

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/forkspec/forkspec/abi"
)

// kcmp types (include/uapi/linux/kcmp.h).
const (
	kcmpFile    = 0
	kcmpVM      = 1
	kcmpFiles   = 2
	kcmpFS      = 3
	kcmpSighand = 4
	sysKcmp     = 312
)

// View observes the world and returns it in canonical form. A failure to
// observe is recorded (see Err) and the View returned is partial.
func (k *Kernel) View() abi.View {
	v, err := k.ViewErr()
	if err != nil {
		k.fail(err)
	}
	return v
}

// ViewErr is View with the observation error returned.
func (k *Kernel) ViewErr() (abi.View, error) {
	if k.err != nil {
		return abi.View{}, k.err
	}
	if k.closed {
		return abi.View{}, errors.New("the world is closed")
	}
	return k.view()
}

func (k *Kernel) view() (abi.View, error) {
	tasks, err := k.listTasks()
	if err != nil {
		return abi.View{}, err
	}
	var live []procTask // tasks that hold an mm, fd table, sighand and fs
	for _, t := range tasks {
		if t.State != 'Z' && t.State != 'X' {
			if k.tasks[t.Tid] == nil {
				return abi.View{}, fmt.Errorf("task %d exists but never said hello", t.Tid)
			}
			live = append(live, t)
		}
	}
	if err := k.beginIdentities(live); err != nil {
		return abi.View{}, err
	}
	var ids [5]map[int]int
	var reps [5][]procTask
	for _, typ := range []int{kcmpVM, kcmpFiles, kcmpFS, kcmpSighand} {
		ids[typ], reps[typ], err = k.classes(live, typ)
		if err != nil {
			return abi.View{}, err
		}
	}

	var v abi.View
	byTgid := map[int][]procTask{}
	for _, t := range tasks {
		byTgid[t.Tgid] = append(byTgid[t.Tgid], t)
	}
	for _, t := range tasks {
		tv := abi.TaskView{
			Tid: t.Tid, Tgid: t.Tgid, Ppid: t.Ppid, ExitSignal: t.ExitSignal,
			Image: t.Comm, Blocked: abi.SigSet(t.SigBlk),
			Mm: ids[kcmpVM][t.Tid], FdTable: ids[kcmpFiles][t.Tid],
			Sighand: ids[kcmpSighand][t.Tid], Fs: ids[kcmpFS][t.Tid],
			Handled: sigCounts(k.threadHandled[t.Tid]),
		}
		if rec, ok := k.sleeping[t.Tid]; ok && t.State != 'Z' && t.State != 'X' {
			tv.State, tv.Call = abi.Blocked, rec.call.String()
		} else if d, ok := k.done[t.Tid]; ok {
			tv.Call, tv.Returned, tv.Return = d.call, true, d.r
		}
		tv.Pending = abi.SigSet(t.SigPnd)
		switch t.State {
		case 'Z', 'X':
			tv.State = abi.Zombie
			if t.Tid == t.Tgid && len(byTgid[t.Tgid]) == 1 {
				tv.WaitStatus, err = k.waitStatus(t, tasks)
				if err != nil {
					return abi.View{}, err
				}
			}
		case 'D':
			tv.State = abi.VforkFrozen
		}
		v.Tasks = append(v.Tasks, tv)
	}
	for _, tgid := range sortedGroups(byTgid) {
		g := byTgid[tgid]
		pv := abi.ProcView{Tgid: tgid, Subreaper: k.subreaper[tgid], Pending: abi.SigSet(g[0].ShdPnd)}
		pv.Handled = sigCounts(k.handled[tgid])
		v.Procs = append(v.Procs, pv)
	}
	// Address spaces a task can load from first, so that a frame they share
	// with one that has none (a frozen vfork parent's) is read by a load.
	frames := map[string]int{}
	seen := map[uint64]uint64{}
	v.Mms = make([]abi.MmView, len(reps[kcmpVM]))
	for _, loadable := range []bool{true, false} {
		for i, rep := range reps[kcmpVM] {
			reader := loader(live, ids[kcmpVM], i+1, k.sleeping)
			if (reader != 0) != loadable {
				continue
			}
			mv, err := k.mmView(rep, reader, frames, seen)
			if err != nil {
				return abi.View{}, err
			}
			mv.ID = i + 1
			v.Mms[i] = mv
		}
	}
	k.values = seen
	if err := k.fdViews(reps[kcmpFiles], &v); err != nil {
		return abi.View{}, err
	}
	k.endIdentities(ids[kcmpSighand], reps[kcmpFiles], v.FdTables)
	for i, rep := range reps[kcmpSighand] {
		v.Sighands = append(v.Sighands, abi.SighandView{ID: i + 1, Actions: k.actions(rep, live, ids[kcmpSighand])})
	}
	for i, rep := range reps[kcmpFS] {
		v.Fss = append(v.Fss, abi.FsView{ID: i + 1, Umask: rep.Umask})
	}
	for _, f := range abi.Files {
		fi, err := os.Stat(filepath.Join(k.dir, "files", f))
		if err != nil {
			return abi.View{}, err
		}
		v.Inodes = append(v.Inodes, abi.InodeView{Path: f, Size: fi.Size()})
	}
	return abi.Canonicalize(v), nil
}

// loader returns a task of address space class mm that can run a command
// (not a frozen vfork parent), or 0 when there is none.
func loader(live []procTask, mms map[int]int, mm int, sleeps map[int]sleepRec) int {
	for _, t := range live {
		if _, asleep := sleeps[t.Tid]; mms[t.Tid] == mm && t.State != 'D' && !asleep {
			return t.Tid
		}
	}
	return 0
}

func sortedGroups(m map[int][]procTask) []int {
	keys := map[int]bool{}
	for k := range m {
		keys[k] = true
	}
	return sortedKeys(keys)
}

// kcmp compares a kernel object of two host tasks (kcmp(2)): 0 means the
// same object.
func kcmp(pid1, pid2, typ int, idx1, idx2 uintptr) (int, error) {
	r, _, e := syscall.Syscall6(sysKcmp, uintptr(pid1), uintptr(pid2), uintptr(typ), idx1, idx2, 0)
	if e != 0 {
		return 0, fmt.Errorf("kcmp(%d, %d, %d): %w", pid1, pid2, typ, e)
	}
	return int(r), nil
}

// classes partitions the tasks by the identity of one kernel object (mm, fd
// table, fs, sighand), numbering classes in order of first appearance; it
// returns tid → class and one representative task per class.
func (k *Kernel) classes(ts []procTask, typ int) (map[int]int, []procTask, error) {
	ids := map[int]int{}
	var reps []procTask
	for _, t := range ts {
		found := 0
		for i, r := range reps {
			same, err := k.sameObject(t, r, typ)
			if err != nil {
				return nil, nil, err
			}
			if same {
				found = i + 1
				break
			}
		}
		if found == 0 {
			reps = append(reps, t)
			found = len(reps)
		}
		ids[t.Tid] = found
	}
	return ids, reps, nil
}

// waitStatus is what wait4 would report for a waitable zombie: asked of a
// running thread of its parent with waitid(WNOWAIT), which reports exactly
// what a reaping wait would, without reaping; when no thread of the parent
// can run, the zombie's own exit code from /proc/PID/stat.
func (k *Kernel) waitStatus(z procTask, tasks []procTask) (int, error) {
	for _, p := range tasks {
		if p.Tgid != z.Ppid || !k.canRun(p) {
			continue
		}
		m, err := k.request(p.Tid, command{Op: opPeek, Args: [5]uint64{uint64(z.Tid)}})
		if err != nil {
			return 0, err
		}
		if m.errno() != 0 || m.word(2) == 0 {
			break
		}
		code, st := m.word(0), int(int32(m.word(1)))
		switch code {
		case 1: // CLD_EXITED
			return abi.WaitExited(st), nil
		case 2: // CLD_KILLED
			return st & 0x7f, nil
		case 3: // CLD_DUMPED
			return st&0x7f | 0x80, nil
		}
		break
	}
	return k.groupExitCode(z)
}

// groupExitCode is the exit code /proc/TGID/stat gives for the zombie
// leader z's whole process: do_task_stat reports the group's exit code
// there once SIGNAL_GROUP_EXIT is set (by exit_group, a fatal signal, or
// the plain exit of the last thread, synchronize_group_exit), which is what
// wait_task_zombie reports; the task's own stat gives the leader's own
// exit code (found on User-Mode Linux 6.1, seed 5110: a leader's exit 3,
// its last thread's exit 4, wait reports 4). It falls back to the task's
// own code when the process file is gone.
func (k *Kernel) groupExitCode(z procTask) (int, error) {
	b, err := os.ReadFile(filepath.Join(k.nsproc, strconv.Itoa(z.Tgid), "stat"))
	if err != nil {
		return z.ExitCode, nil
	}
	_, f, err := statFields(string(b))
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", z.Tgid, err)
	}
	code, err := strconv.Atoi(f[49])
	if err != nil {
		return 0, fmt.Errorf("process %d: stat exit code %q: %v", z.Tgid, f[49], err)
	}
	return code, nil
}

// request sends a command to a running task and waits for its result.
func (k *Kernel) request(tid int, c command) (*report, error) {
	return k.requestWithin(tid, c, scaled(stepTimeout))
}

func (k *Kernel) requestWithin(tid int, c command, timeout time.Duration) (*report, error) {
	k.seq++
	c.Seq = k.seq
	if err := k.send(tid, c); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		m, err := k.rr.next(50 * time.Millisecond)
		if errors.Is(err, errTimeout) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := k.absorb(m); err != nil {
			return nil, err
		}
		if m.Kind == repResult && m.Tid == tid && m.Seq == c.Seq {
			return m, nil
		}
	}
	return nil, fmt.Errorf("timed out waiting for task %d to answer op %d (seq %d), after %v", tid, c.Op, c.Seq, timeout)
}

// actions is a disposition table: handler kinds from /proc/PID/status
// (SigIgn, SigCgt) of the representative, sa_flags from the freshest pong
// of a member (flags are not in /proc; a frozen member's pong is old).
func (k *Kernel) actions(rep procTask, live []procTask, ids map[int]int) []abi.ActionView {
	var words []uint64
	var best uint64
	for _, t := range live {
		if ids[t.Tid] == ids[rep.Tid] && k.pong[t.Tid] != nil && k.pongSeq[t.Tid] >= best {
			words, best = k.pong[t.Tid], k.pongSeq[t.Tid]
		}
	}
	var out []abi.ActionView
	for sig := 1; sig <= abi.NSIG; sig++ {
		bit := uint64(1) << (sig - 1)
		a := abi.ActionView{Sig: sig}
		switch {
		case rep.SigIgn&bit != 0:
			a.Handler = abi.SigIgnore
		case rep.SigCgt&bit != 0:
			a.Handler = abi.SigHandle
		}
		if i := 2 + 2*(sig-1); i < len(words) {
			a.Flags = words[i]
		}
		if a.Handler != abi.SigDefault || a.Flags != 0 {
			out = append(out, a)
		}
	}
	return out
}

// fdViews observes fd tables (one representative per table), their open
// file descriptions (identity by kcmp KCMP_FILE) with offsets from fdinfo.
func (k *Kernel) fdViews(reps []procTask, v *abi.View) error {
	type fileRep struct {
		rep procTask
		fd  int
	}
	var files []fileRep
	for i, rep := range reps {
		tv := abi.FdTableView{ID: i + 1}
		dir := k.taskDir(rep.Tgid, rep.Tid)
		for fd := 0; fd < abi.FdLimit; fd++ {
			target, err := os.Readlink(filepath.Join(dir, "fd", strconv.Itoa(fd)))
			if err != nil {
				continue
			}
			info, err := os.ReadFile(filepath.Join(dir, "fdinfo", strconv.Itoa(fd)))
			if err != nil {
				return err
			}
			pos, _ := strconv.ParseInt(fieldOf(string(info), "pos"), 10, 64)
			flags, _ := strconv.ParseUint(fieldOf(string(info), "flags"), 8, 64)
			pipeIno := uint64(0)
			if s, ok := strings.CutPrefix(target, "pipe:["); ok {
				pipeIno, _ = strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64)
			}
			id := 0
			for j, fr := range files {
				same, err := k.sameFile(rep, fd, fr.rep, fr.fd)
				if err != nil {
					return err
				}
				if same {
					id = j + 1
					break
				}
			}
			if id == 0 {
				files = append(files, fileRep{rep, fd})
				id = len(files)
				fv := abi.FileView{ID: id, Path: filepath.Base(target), Offset: pos}
				if pipeIno != 0 {
					fv.Path, fv.Pipe, fv.WriteEnd = "pipe", int(pipeIno), flags&3 == 1
					if !slices.ContainsFunc(v.Pipes, func(p abi.PipeView) bool { return p.ID == int(pipeIno) }) {
						n, err := k.pipeBytes(rep, fd)
						if err != nil {
							return err
						}
						v.Pipes = append(v.Pipes, abi.PipeView{ID: int(pipeIno), Bytes: n})
					}
				}
				v.Files = append(v.Files, fv)
			}
			tv.Fds = append(tv.Fds, abi.FdView{Fd: fd, File: id, Cloexec: flags&0o2000000 != 0})
		}
		v.FdTables = append(v.FdTables, tv)
	}
	return nil
}

func fieldOf(s, key string) string {
	v, _ := statusField(s, key)
	return strings.TrimSpace(v)
}

// sigCounts lists a handler-run count map in signal order.
func sigCounts(m map[int]int) []abi.SigCount {
	var out []abi.SigCount
	for sig := 1; sig <= abi.NSIG; sig++ {
		if n := m[sig]; n > 0 {
			out = append(out, abi.SigCount{Sig: sig, Count: n})
		}
	}
	return out
}
