package linux

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/forkspec/forkspec/abi"
)

// Identity without kcmp. The View names which tasks share an mm, fd
// table, fs and signal-handler table, and which fds share an open file
// description; the oracle asks kcmp(2). A kernel built without
// CONFIG_KCMP (Debian's User-Mode Linux 6.1 among them) answers ENOSYS, so
// there the agent is built with MARK_IDS (Space.MarkIDs) and identities are
// observed another way:
//
//   - mm, fd table, fs: every task, when it starts (fork or clone child,
//     exec'd image, task 1), gives each of the three a marker no other
//     object has: a word in its mm (agent.c MARK_PAGE, read here through
//     /proc/PID/mem), an fd on its own command FIFO (MARK_FD, a link in
//     /proc/PID/fd) and a working directory of its own (/proc/PID/cwd). A
//     copied object gets a fresh marker; a shared one is re-marked for all
//     its users at once. Two tasks share the object exactly when their
//     markers are equal.
//   - signal-handler table: threads of one group always share it, and
//     tasks that share one share their mm; for two tasks of different
//     groups in one mm, a task that can run flips the disposition of
//     signal 64 between SIG_DFL and SIG_IGN (nothing can be pending there:
//     queued real-time signals are refused) and the other's
//     /proc/PID/status is read: the tables are one when it changed. The
//     action is restored exactly.
//   - open file description: fds with different paths, offsets or flags
//     differ; otherwise a task that can run flips O_NONBLOCK on its fd
//     (which the trace cannot set, and which does nothing to regular
//     files) and the other fd's fdinfo flags are read, then it flips back.
//
// A probe needs a task that can run: a frozen vfork parent cannot. When
// both sides are frozen (a vfork chain), the answer of the previous View
// stands: it cannot have changed, since an object is left only by exec or
// exit of its holder, and a frozen task does neither.
type identities struct {
	// marks holds, for the View being built, each live task's markers.
	marks map[int]marks
	// prevSighand and prevFiles are the previous View's answers: a task's
	// sighand class, and the open-file class of an fd by table marker.
	prevSighand map[int]int
	prevFiles   map[fileKey]int
	// flips and recalled count the probes run and the answers taken from
	// the previous View, over the world's life (for tests).
	flips, recalled int
}

type marks struct {
	mm        uint64
	files, fs string
	task      procTask
}

type fileKey struct {
	table string
	fd    int
}

// markFD and the mark page mirror agent/sys.h MARK_FD and MARK_PAGE.
const markFD = 999

func markPage() uint64 { return space.ZoneEnd - abi.PageSize }

// runnable says whether a task can perform a command (not a frozen vfork
// parent, not dead).
func runnable(t procTask) bool { return t.State != 'D' && t.State != 'Z' && t.State != 'X' }

// canRun says whether task t can perform a command now: runnable, and not
// asleep in a trace's call (the agent reads commands only between calls).
func (k *Kernel) canRun(t procTask) bool {
	_, asleep := k.sleeping[t.Tid]
	return !asleep && runnable(t)
}

// beginIdentities reads the markers of the live tasks for one View.
func (k *Kernel) beginIdentities(live []procTask) error {
	if !space.MarkIDs {
		return nil
	}
	ids := &k.ids
	ids.marks = map[int]marks{}
	for _, t := range live {
		dir := k.taskDir(t.Tgid, t.Tid)
		var m marks
		m.task = t
		mem, err := os.Open(filepath.Join(dir, "mem"))
		if err != nil {
			return err
		}
		var b [8]byte
		_, err = mem.ReadAt(b[:], int64(markPage()))
		mem.Close()
		if err != nil {
			return fmt.Errorf("reading task %d's mm marker: %w", t.Tid, err)
		}
		m.mm = binary.LittleEndian.Uint64(b[:])
		if m.files, err = os.Readlink(filepath.Join(dir, "fd", strconv.Itoa(markFD))); err != nil {
			return fmt.Errorf("reading task %d's fd-table marker: %w", t.Tid, err)
		}
		if m.fs, err = os.Readlink(filepath.Join(dir, "cwd")); err != nil {
			return fmt.Errorf("reading task %d's fs marker: %w", t.Tid, err)
		}
		if m.mm == 0 {
			return fmt.Errorf("task %d has no mm marker", t.Tid)
		}
		ids.marks[t.Tid] = m
	}
	return nil
}

// endIdentities keeps this View's answers for the next (frozen pairs).
// sighand maps a tid to its class; tables are the fd-table
// representatives in class order with their fds' open-file classes.
func (k *Kernel) endIdentities(sighand map[int]int, reps []procTask, tables []abi.FdTableView) {
	if !space.MarkIDs {
		return
	}
	ids := &k.ids
	ids.prevSighand = sighand
	files := map[fileKey]int{}
	for i, rep := range reps {
		for _, fd := range tables[i].Fds {
			files[fileKey{ids.marks[rep.Tid].files, fd.Fd}] = fd.File
		}
	}
	ids.prevFiles = files
}

// sameObject reports whether live tasks a and b share the kernel object
// typ (kcmpVM, kcmpFiles, kcmpFS or kcmpSighand).
func (k *Kernel) sameObject(a, b procTask, typ int) (bool, error) {
	if !space.MarkIDs {
		c, err := kcmp(k.tasks[a.Tid].host, k.tasks[b.Tid].host, typ, 0, 0)
		return c == 0, err
	}
	ma, mb := k.ids.marks[a.Tid], k.ids.marks[b.Tid]
	switch typ {
	case kcmpVM:
		return ma.mm == mb.mm, nil
	case kcmpFiles:
		return ma.files == mb.files, nil
	case kcmpFS:
		return ma.fs == mb.fs, nil
	}
	// kcmpSighand
	if a.Tgid == b.Tgid {
		return true, nil // CLONE_THREAD requires CLONE_SIGHAND
	}
	if ma.mm != mb.mm {
		return false, nil // CLONE_SIGHAND requires CLONE_VM; exec leaves both
	}
	active, passive, ok := k.activeFor(a, b, func(t marks) bool { return t.task.Tgid == a.Tgid || t.task.Tgid == b.Tgid })
	if !ok {
		ca, okA := k.ids.prevSighand[a.Tid]
		cb, okB := k.ids.prevSighand[b.Tid]
		if !okA || !okB {
			return false, fmt.Errorf("tasks %d and %d cannot run and were not seen before: their signal-handler tables are unknown", a.Tid, b.Tid)
		}
		k.ids.recalled++
		return ca == cb, nil
	}
	const sig = 64
	bit := uint64(1) << (sig - 1)
	state := func() (uint64, error) {
		t, ok, err := k.readTask(passive.Tgid, passive.Tid)
		if err != nil || !ok {
			return 0, fmt.Errorf("reading task %d's status: %v", passive.Tid, err)
		}
		return t.SigIgn&bit | (t.SigCgt&bit)<<1, nil
	}
	before, err := state()
	if err != nil {
		return false, err
	}
	if err := k.probe(active.Tid, command{Op: opSigflip, Args: [5]uint64{sig}}); err != nil {
		return false, err
	}
	after, err := state()
	if err2 := k.probe(active.Tid, command{Op: opSigrestore, Args: [5]uint64{sig}}); err == nil {
		err = err2
	}
	return before != after, err
}

// activeFor picks a task that can run a probe for the pair a, b: a or b
// themselves, else a live task that shares the probed object with one of
// them (same(t) says which, and whether it is on a's side), returned as
// active with the other side passive.
func (k *Kernel) activeFor(a, b procTask, same func(marks) bool) (active, passive procTask, ok bool) {
	switch {
	case k.canRun(a):
		return a, b, true
	case k.canRun(b):
		return b, a, true
	}
	for _, tid := range sortedMarkTids(k.ids.marks) {
		m := k.ids.marks[tid]
		if k.canRun(m.task) && same(m) {
			if m.task.Tgid == a.Tgid {
				return m.task, b, true
			}
			return m.task, a, true
		}
	}
	return procTask{}, procTask{}, false
}

func sortedMarkTids(m map[int]marks) []int {
	keys := map[int]bool{}
	for t := range m {
		keys[t] = true
	}
	return sortedKeys(keys)
}

// probe runs an identity probe command in task tid.
func (k *Kernel) probe(tid int, c command) error {
	k.ids.flips++
	m, err := k.request(tid, c)
	if err != nil {
		return err
	}
	if e := m.errno(); e != 0 {
		return fmt.Errorf("identity probe op %d in task %d: errno %d", c.Op, tid, e)
	}
	return nil
}

// fdState is what /proc says of an fd: its path, offset and flags (less
// O_CLOEXEC, which belongs to the fd, not the open file).
func (k *Kernel) fdState(t procTask, fd int) (path string, pos int64, flags uint64, err error) {
	dir := k.taskDir(t.Tgid, t.Tid)
	if path, err = os.Readlink(filepath.Join(dir, "fd", strconv.Itoa(fd))); err != nil {
		return
	}
	info, err := os.ReadFile(filepath.Join(dir, "fdinfo", strconv.Itoa(fd)))
	if err != nil {
		return
	}
	pos, _ = strconv.ParseInt(fieldOf(string(info), "pos"), 10, 64)
	flags, _ = strconv.ParseUint(fieldOf(string(info), "flags"), 8, 64)
	return path, pos, flags &^ syscall.O_CLOEXEC, nil
}

// sameFile reports whether fd x of table representative a and fd y of
// table representative b are one open file description.
func (k *Kernel) sameFile(a procTask, x int, b procTask, y int) (bool, error) {
	if !space.MarkIDs {
		c, err := kcmp(k.tasks[a.Tid].host, k.tasks[b.Tid].host, kcmpFile, uintptr(x), uintptr(y))
		return c == 0, err
	}
	pa, oa, fa, err := k.fdState(a, x)
	if err != nil {
		return false, err
	}
	pb, ob, fb, err := k.fdState(b, y)
	if err != nil {
		return false, err
	}
	if pa != pb || oa != ob || fa != fb {
		return false, nil
	}
	ta, tb := k.ids.marks[a.Tid].files, k.ids.marks[b.Tid].files
	if ta == tb && x == y {
		return true, nil
	}
	// A task that can run and holds the table of a (or of b) flips.
	var active procTask
	fx, fy, passive := x, y, b
	found := false
	for _, tid := range sortedMarkTids(k.ids.marks) {
		m := k.ids.marks[tid]
		if !k.canRun(m.task) {
			continue
		}
		if m.files == ta {
			active, found = m.task, true
			break
		}
		if m.files == tb {
			active, fx, fy, passive, found = m.task, y, x, a, true
			break
		}
	}
	if !found {
		ca, okA := k.ids.prevFiles[fileKey{ta, x}]
		cb, okB := k.ids.prevFiles[fileKey{tb, y}]
		if !okA || !okB {
			return false, fmt.Errorf("fds %d of task %d and %d of task %d: no task can run to compare them, and they were not seen before", x, a.Tid, y, b.Tid)
		}
		k.ids.recalled++
		return ca == cb, nil
	}
	flagsOf := func() (uint64, error) {
		_, _, f, err := k.fdState(passive, fy)
		return f, err
	}
	before, err := flagsOf()
	if err != nil {
		return false, err
	}
	if err := k.probe(active.Tid, command{Op: opFlflip, Args: [5]uint64{uint64(fx)}}); err != nil {
		return false, err
	}
	after, err := flagsOf()
	if err2 := k.probe(active.Tid, command{Op: opFlflip, Args: [5]uint64{uint64(fx)}}); err == nil {
		err = err2
	}
	return before != after, err
}
