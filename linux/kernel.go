package linux

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/forkspec/forkspec/abi"
)

// Kernel is the Linux oracle: an abi.Kernel whose tasks are real agent
// processes and threads in a fresh pid namespace, driven one step at a time.
//
// Zero value: not usable; build one with New (or Backend).
// Kernel is not safe for concurrent use (steps are serialized by design).
type Kernel struct {
	cfg abi.Config
	// dir is the world directory: img/ (one symlink per image name to the
	// agent), files/ (the fixed files, abi.Files), fifo/ (one command FIFO
	// per task start) and nsproc/ (the namespace's proc mount point).
	dir string
	// uid is the dedicated user the agents run as, so that RLIMIT_NPROC is
	// exactly the world's task limit (FORK-7).
	uid  int
	init *exec.Cmd
	// nsproc is the namespace's procfs as seen from the driver, through
	// init's root: pids there are the trace's tids.
	nsproc string
	rr     *reportReader
	// tasks maps a trace tid to its agent. Invariant: every live task in
	// the namespace has an entry once its hello has been read.
	tasks map[int]*agentTask
	// pidfds holds a pidfd per thread-group leader (by tgid), used to learn
	// a reaped group's exit code (PIDFD_INFO_EXIT).
	pidfds map[int]int
	seq    uint64
	// handled counts handler runs per process and signal (SIG-2), from the
	// agent's handler reports; threadHandled per thread (by tid), the
	// View's TaskView.Handled.
	handled       map[int]map[int]int
	threadHandled map[int]map[int]int
	// pong holds each task's last answer to a ping: the subreaper flag of
	// its process and its actions (sa_flags are not in /proc); pongSeq the
	// command seq it answered, so the freshest answer wins.
	pong    map[int][]uint64
	pongSeq map[int]uint64
	// subreaper is the last known PR_GET_CHILD_SUBREAPER per process.
	subreaper map[int]bool
	err       error
	closed    bool
	// clearTid maps a task created with CLONE_CHILD_CLEARTID and a
	// child_tid pointer to that pointer's page, until the task leaves its
	// memory (tidwords.go).
	clearTid map[int]uint64
	// values holds the value of every private data frame the last View
	// saw, by PFN, for the pages no task can load now (pages.go).
	values map[uint64]uint64
	// shmIDs names shmem frames for FrameID, never reusing a name.
	shmIDs map[string]uint64
	// intrusiveReads counts page values read through /proc/PID/mem, which
	// can disturb copy-on-write (pages.go); pagemapEntries counts the
	// pagemap entries Views have read. Both are for tests.
	intrusiveReads, pagemapEntries int
	// plan is set by preflight for the current step when the agent's own
	// memory lies in its range (agentmem.go).
	plan plan
	// machine is this machine's facts (Machine); the world's are cfg's,
	// and where they differ preflight refuses what only they decide.
	machine abi.Machine
	// sparse holds the files a write extended past a gap (the model's
	// abi.FileState.Sparse), kept by preflight.
	sparse map[string]bool
	// sleeping holds the calls agents sleep in, by tid; done the results
	// of sleeps a later step ended, until the task's next step (block.go).
	sleeping map[int]sleepRec
	done     map[int]doneRec
	// callerReport is the caller's own report when it came while await
	// was making sure the caller sleeps (quiesce).
	callerReport *report
	// prioritized says New raised the process's priority for this world
	// (patience.go), which Close lowers again.
	prioritized bool
	// ids observes identities where kcmp is missing (identity.go).
	ids identities
}

// agentTask is the driver's handle on one task's agent.
type agentTask struct {
	tid  int
	tgid int      // its thread group when it said hello
	host int      // the tid in the host pid namespace (for kcmp)
	fifo *os.File // the write end of the task's command FIFO
}

// stepTimeout bounds how long one step or observation may take on an idle
// machine before the world is declared broken; every wait scales it for
// the load (patience.go).
const stepTimeout = 10 * time.Second

var uidCounter atomic.Uint32

// New starts a world: task 1 running image "init" as the init of a fresh
// pid namespace, pinned to one CPU. The caller must Close it.
func New(cfg abi.Config) (*Kernel, error) {
	if ok, why := Available(); !ok {
		return nil, errors.New(why)
	}
	if err := targetMismatch(cfg.Target); err != nil {
		return nil, err
	}
	bin, err := agentBinary()
	if err != nil {
		return nil, err
	}
	m, err := Machine()
	if err != nil {
		return nil, err
	}
	k := &Kernel{
		cfg:           cfg,
		machine:       m,
		sparse:        map[string]bool{},
		sleeping:      map[int]sleepRec{},
		done:          map[int]doneRec{},
		uid:           0x10000000 + (os.Getpid()&0xfffff)<<6 + int(uidCounter.Add(1)&63),
		tasks:         map[int]*agentTask{},
		pidfds:        map[int]int{},
		handled:       map[int]map[int]int{},
		threadHandled: map[int]map[int]int{},
		pong:          map[int][]uint64{},
		pongSeq:       map[int]uint64{},
		subreaper:     map[int]bool{},
		shmIDs:        map[string]uint64{},
	}
	raisePriority() // patience.go; Close lowers it again
	k.prioritized = true
	if err := k.start(bin); err != nil {
		k.Close()
		return nil, err
	}
	// A safety net for callers that drop a world without Close (abi.Kernel
	// has no Close): its agents die when it is collected.
	runtime.SetFinalizer(k, (*Kernel).Close)
	return k, nil
}

// Backend builds a Kernel with the signature traces.Backend.New wants. When
// the world cannot start, the returned Kernel refuses every step
// (OutcomeUnsupported) and Err reports why.
func Backend(cfg abi.Config) abi.Kernel {
	k, err := New(cfg)
	if err != nil {
		return &Kernel{cfg: cfg, err: err, closed: true}
	}
	return k
}

// Err returns the first failure of the driver itself (a timeout, a dead
// agent, an unreadable /proc file), or nil. After a failure every step is
// refused with OutcomeUnsupported.
func (k *Kernel) Err() error { return k.err }

func (k *Kernel) fail(err error) {
	if k.err == nil {
		k.err = err
	}
}

func (k *Kernel) start(bin string) error {
	sweepStaleWorlds()
	dir, err := os.MkdirTemp("", fmt.Sprintf("forkspec-linux-%d-", os.Getpid()))
	if err != nil {
		return err
	}
	k.dir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	for _, sub := range []string{"img", "files", "fifo", "nsproc"} {
		// Chmod: the agents run as another user, whatever our umask is.
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	for _, name := range abi.ImageNames {
		if err := os.Symlink(bin, filepath.Join(dir, "img", name)); err != nil {
			return err
		}
	}
	for _, f := range abi.Files {
		p := filepath.Join(dir, "files", f)
		if err := os.WriteFile(p, nil, 0o666); err != nil {
			return err
		}
		if err := os.Chown(p, k.uid, k.uid); err != nil {
			return err
		}
	}
	if err := os.Chown(filepath.Join(dir, "fifo"), k.uid, k.uid); err != nil {
		return err
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	k.rr = newReportReader(pr)
	cmd := &exec.Cmd{
		Path: filepath.Join(dir, "img", "init"),
		Args: []string{"init", dir, "init", layout("init"), "0",
			strconv.Itoa(k.uid), strconv.Itoa(pickCPU()), bin, strconv.Itoa(k.cfg.Limit())},
		Env:        []string{},
		Stderr:     os.Stderr,
		ExtraFiles: []*os.File{pw},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
			Pdeathsig:  syscall.SIGKILL,
		},
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return fmt.Errorf("starting the agent as a pid namespace init: %w", err)
	}
	pw.Close()
	k.init = cmd
	k.nsproc = fmt.Sprintf("/proc/%d/root%s/nsproc", cmd.Process.Pid, dir)

	p := wait("task 1's hello", stepTimeout)
	for k.tasks[1] == nil {
		if p.over() {
			return fmt.Errorf("task 1 did not start: %w", p.err(""))
		}
		m, err := k.rr.next(50 * time.Millisecond)
		if errors.Is(err, errTimeout) {
			continue
		}
		if err != nil {
			return fmt.Errorf("task 1 did not start: %w", err)
		}
		if err := k.absorb(m); err != nil {
			return err
		}
	}
	// Task 1's image was laid out as if exec'd: its values are known.
	if err := k.learnValues(procTask{Tid: 1, Tgid: 1}, abi.Execve{Image: "init"}, abi.Result{Outcome: abi.OutcomeExeced}); err != nil {
		return err
	}
	return k.settle()
}

// sweepStaleWorlds removes world directories left by drivers that died
// without Close (their agents died with them: PR_SET_PDEATHSIG).
func sweepStaleWorlds() {
	ents, _ := os.ReadDir(os.TempDir())
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), "forkspec-linux-")
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
		}
	}
}

// layout is an image's layout in the agent's text form:
// "addr:pages:prot:flags:v0,v1,..;" in hex (agent.c build_layout).
func layout(name string) string {
	img, ok := abi.Images[name]
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, m := range img.Mappings {
		fmt.Fprintf(&b, "%x:%x:%x:%x", imageAddr(m.Addr), m.Pages, m.Prot, m.Flags)
		for i, v := range m.Values {
			if i == 0 {
				b.WriteByte(':')
			} else {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%x", v)
		}
		b.WriteByte(';')
	}
	return b.String()
}

// pickCPU chooses the CPU every agent is pinned to (copy-on-write reuse is
// only reliable on one CPU: shared/notes.md), spreading concurrent worlds
// over the CPUs this process may use.
func pickCPU() int {
	var mask [16]uint64
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
	var cpus []int
	if e == 0 {
		for i := 0; i < 1024; i++ {
			if mask[i/64]&(1<<(i%64)) != 0 {
				cpus = append(cpus, i)
			}
		}
	}
	if len(cpus) == 0 {
		return 0
	}
	return cpus[os.Getpid()%len(cpus)]
}

// absorb applies what a report says about the world: a new task's hello
// (open its FIFO), a handler run (count it), a pong (cache it).
func (k *Kernel) absorb(m *report) error {
	switch m.Kind {
	case repHello:
		if old := k.tasks[m.Tid]; old != nil {
			old.fifo.Close()
		}
		p := filepath.Join(k.dir, "fifo", fmt.Sprintf("%d.%d", m.Tid, m.Seq))
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("opening task %d's command fifo: %w", m.Tid, err)
		}
		os.Remove(p)
		k.tasks[m.Tid] = &agentTask{tid: m.Tid, tgid: int(m.word(1)), host: int(m.word(0)), fifo: f}
		if int(m.word(1)) != 1 {
			// Every task outside init's group runs SCHED_FIFO priority 1
			// on the agents' one CPU: it runs until it blocks; neither a
			// wakeup nor the tick preempts it. E.g. a vfork parent
			// released by its child's exit runs only after the child has
			// finished exiting, so a SIGCHLD already pending for it
			// absorbs the child's every time (SCHED_OTHER: 1 or 2 handler
			// runs, by timing). Children inherit the policy. Init's group
			// stays SCHED_OTHER: when it dies, zap_pid_ns_processes
			// busy-waits for the other tasks, which must be able to run
			// (a SCHED_FIFO waiter starved them for good).
			prio := int32(1)
			if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(m.word(0)), 1, uintptr(unsafe.Pointer(&prio))); e != 0 {
				return fmt.Errorf("making task %d SCHED_FIFO: %w", m.Tid, e)
			}
		}
		if tgid := int(m.word(1)); tgid == m.Tid {
			if fd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(m.word(0)), 0, 0); e == 0 {
				if old, ok := k.pidfds[tgid]; ok {
					syscall.Close(old)
				}
				k.pidfds[tgid] = int(fd)
			}
		}
	case repHandled:
		sig := int(m.word(0))
		if k.handled[m.Tid] == nil {
			k.handled[m.Tid] = map[int]int{}
		}
		k.handled[m.Tid][sig]++
		tid := int(m.word(1))
		if k.threadHandled[tid] == nil {
			k.threadHandled[tid] = map[int]int{}
		}
		k.threadHandled[tid][sig]++
	case repResult:
		k.absorbDone(m)
	case repPong:
		k.pong[m.Tid] = m.Words
		k.pongSeq[m.Tid] = m.Seq
		if len(m.Words) > 0 {
			if tg, ok := k.tgidOf(m.Tid); ok {
				k.subreaper[tg] = m.Words[0] != 0
			}
		}
	}
	return nil
}

const sysPidfdOpen = 434

// tgidOf returns the thread group of a known task.
func (k *Kernel) tgidOf(tid int) (int, bool) {
	if t := k.tasks[tid]; t != nil {
		return t.tgid, true
	}
	return 0, false
}

// send writes one command to task tid's FIFO.
func (k *Kernel) send(tid int, c command) error {
	t := k.tasks[tid]
	if t == nil {
		return fmt.Errorf("no agent for task %d", tid)
	}
	if _, err := t.fifo.Write(c.encode()); err != nil {
		return fmt.Errorf("writing to task %d: %w", tid, err) // wraps EPIPE for a dying task
	}
	return nil
}

// Close ends the world: killing the namespace's init kills every agent in
// it (zap_pid_ns_processes), then the world directory is removed.
func (k *Kernel) Close() error {
	if k.closed {
		return nil
	}
	k.closed = true
	runtime.SetFinalizer(k, nil)
	if k.prioritized {
		defer lowerPriority()
	}
	// SCHED_FIFO agents first go back to SCHED_OTHER, so that nothing
	// outruns the namespace's teardown on their CPU.
	for _, t := range k.tasks {
		var param int32
		syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(t.host), 0, uintptr(unsafe.Pointer(&param)))
	}
	if k.init != nil && k.init.Process != nil {
		k.init.Process.Signal(syscall.SIGKILL)
		k.init.Wait()
	}
	for _, t := range k.tasks {
		t.fifo.Close()
	}
	for _, fd := range k.pidfds {
		syscall.Close(fd)
	}
	if k.rr != nil {
		k.rr.f.Close()
	}
	if k.dir != "" {
		return os.RemoveAll(k.dir)
	}
	return nil
}

// InitPid is the host pid of the namespace's init (task 1), for tests that
// check cleanup.
func (k *Kernel) InitPid() int {
	if k.init == nil || k.init.Process == nil {
		return 0
	}
	return k.init.Process.Pid
}

// HostPids lists the host tids of every agent task the driver knows.
func (k *Kernel) HostPids() []int {
	var out []int
	for _, t := range k.tasks {
		out = append(out, t.host)
	}
	return out
}
