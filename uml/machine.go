package uml

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/linux"
)

// DefaultKernel is Debian's User-Mode Linux kernel (package
// user-mode-linux, kernel 6.1).
const DefaultKernel = "/usr/bin/linux.uml"

// Bounded waits: a kernel that does not boot, panics or hangs is an error
// after at most these, never a hung caller.
var (
	// BootTimeout bounds the boot, from exec to the guest's hello.
	BootTimeout = 60 * time.Second
	// CallTimeout bounds one request (a step includes the oracle's own
	// settling, bounded at 10 s inside; starting a world takes longer).
	CallTimeout = 60 * time.Second
)

// guestMemory is the guest's RAM (mem=). It bounds what one mmap or fork
// may commit (vm.overcommit_memory 0 refuses a single charge larger than
// RAM + swap, __vm_enough_memory): the generator maps 1 GiB at a time, and
// this machine commits far more. The memory is a sparse file that only
// what the guest touches fills.
const guestMemory = "4096M"

// Machine is one booted kernel under test: a User-Mode Linux process whose
// init is this very program, serving the oracle over a pipe pair (see
// proto.go). One Machine serves many worlds, one request at a time.
//
// Zero value: not usable; Boot one (or use Shared).
type Machine struct {
	// KernelPath is the UML kernel binary that was booted.
	KernelPath string
	// Release is the guest kernel's release (uname -r).
	Release string
	// BootTime is how long the boot took, to the guest's hello.
	BootTime time.Duration

	hello hello
	// facts are the guest's machine facts (linux.Machine inside it).
	facts abi.Machine
	space linux.Space
	rel   reloc
	dir   string // the boot directory (removed by Close)
	cmd   *exec.Cmd

	mu  sync.Mutex // serializes requests
	w   *bufio.Writer
	wf  *os.File
	in  chan frameIn // frames from the guest, read by one goroutine
	con *consoleTail
	// dead is closed when the kernel process has exited; exitErr is
	// then its wait status.
	dead    chan struct{}
	exitErr error
	// broken is the first failure after which the machine serves no
	// more requests (a timeout, a panic, an exit, a broken channel).
	broken error
	closed bool
}

type frameIn struct {
	resp response
	err  error
}

// Boot starts kernel (a User-Mode Linux binary; "" is DefaultKernel) with
// this program as its init and waits, at most BootTimeout, until the
// guest's oracle is ready. The caller must Close the Machine.
func Boot(kernel string) (*Machine, error) {
	if kernel == "" {
		kernel = DefaultKernel
	}
	if ok, why := Available(kernel); !ok {
		return nil, errors.New(why)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("uml: finding this program for the guest's init: %w", err)
	}
	sweepStaleBoots()
	dir, err := os.MkdirTemp("", fmt.Sprintf("forkspec-uml-%d-", os.Getpid()))
	if err != nil {
		return nil, err
	}
	m := &Machine{KernelPath: kernel, dir: dir, in: make(chan frameIn, 1), dead: make(chan struct{}), con: &consoleTail{}}
	if err := m.boot(self); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// sweepStaleBoots removes the boot directories of processes that died
// without Close (their kernels died with them: Pdeathsig).
func sweepStaleBoots() {
	ents, _ := os.ReadDir(os.TempDir())
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), "forkspec-uml-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		if err != nil {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
		}
	}
}

// kernelArgs is the kernel command line: hostfs root (this machine's /,
// read-only: the guest writes only to its own tmpfs), this program as init
// with guestEnv in its environment, the console on stdout, the channel on
// con1, UML's runtime files in the boot directory.
func kernelArgs(self, dir string) []string {
	return []string{
		"mem=" + guestMemory, "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "ro", "quiet",
		"init=" + self, guestEnv + "=" + filepath.Join(dir, "guest"), "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"con=null", "con0=fd:0,fd:1", "con1=fd:3,fd:4", "ssl=null",
		"uml_dir=" + dir, "umid=forkspec",
	}
}

func (m *Machine) boot(self string) error {
	// The agents run under their own uid and must reach the guest's
	// tmpfs below the boot directory.
	if err := os.Chmod(m.dir, 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(m.dir, "guest"), 0o755); err != nil {
		return err
	}
	toGuest, hostW, err := os.Pipe()
	if err != nil {
		return err
	}
	hostR, fromGuest, err := os.Pipe()
	if err != nil {
		toGuest.Close()
		hostW.Close()
		return err
	}
	conR, conW, err := os.Pipe()
	if err != nil {
		return err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	m.cmd = &exec.Cmd{
		Path:        m.KernelPath,
		Args:        append([]string{m.KernelPath}, kernelArgs(self, m.dir)...),
		Env:         []string{"TMPDIR=" + memoryDir(m.dir), "PATH=/usr/bin:/bin"},
		Stdin:       devnull,
		Stdout:      conW,
		Stderr:      conW,
		ExtraFiles:  []*os.File{toGuest, fromGuest},
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true},
	}
	start := time.Now()
	err = m.cmd.Start()
	toGuest.Close()
	fromGuest.Close()
	conW.Close()
	if err != nil {
		hostW.Close()
		hostR.Close()
		conR.Close()
		return fmt.Errorf("uml: starting %s: %w", m.KernelPath, err)
	}
	m.wf, m.w = hostW, bufio.NewWriterSize(hostW, 1<<16)
	go m.con.copy(conR)
	go func() {
		m.exitErr = m.cmd.Wait()
		close(m.dead)
	}()
	go func() {
		r := bufio.NewReaderSize(hostR, 1<<16)
		for {
			var f frameIn
			f.err = readFrame(r, &f.resp)
			m.in <- f
			if f.err != nil {
				hostR.Close()
				return
			}
		}
	}()

	resp, err := m.receive("boot", BootTimeout)
	if err != nil {
		return err
	}
	if resp.Hello == nil {
		return m.breakWith(errors.New("uml: the guest's first frame is not its hello"))
	}
	m.BootTime = time.Since(start)
	m.hello, m.Release = *resp.Hello, resp.Hello.Release
	if m.space, err = linux.SpaceFor(m.hello.TaskSize); err != nil {
		return fmt.Errorf("uml: Linux %s: %w", m.Release, err)
	}
	m.space.MarkIDs = !m.hello.Kcmp
	m.space.WriteOnlyFaults = true // User-Mode Linux (abi.TargetRefusal)
	m.rel = newReloc(m.space)
	agent, err := linux.BuildAgent(m.space)
	if err != nil {
		return err
	}
	resp, err = m.call(request{Op: opSetup, Space: m.space, Agent: agent}, CallTimeout)
	if err != nil {
		if m.broken != nil {
			return err
		}
		hint := ""
		if strings.Contains(err.Error(), "pid namespaces") {
			hint = " (build the kernel with CONFIG_PID_NS=y: docs/kernel-under-test.md)"
		}
		return fmt.Errorf("uml: the oracle cannot run in %s (Linux %s): %v%s", m.KernelPath, m.Release, err, hint)
	}
	if resp.Machine == nil {
		return m.breakWith(errors.New("uml: the guest sent no machine facts"))
	}
	m.facts = *resp.Machine
	return nil
}

// call sends one request and waits at most timeout for its response. A
// response carrying Err is returned with that error (the machine goes on);
// a timeout, a dead kernel or a broken channel breaks the machine.
func (m *Machine) call(req request, timeout time.Duration) (response, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken != nil {
		return response{}, m.broken
	}
	if m.closed {
		return response{}, errors.New("uml: the machine is closed")
	}
	if err := writeFrame(m.w, req); err != nil {
		return response{}, m.breakWith(fmt.Errorf("uml: writing to the guest: %w", err))
	}
	resp, err := m.receive(req.Op, timeout)
	if err != nil {
		return resp, err
	}
	if resp.Err != "" {
		return resp, errors.New(resp.Err)
	}
	return resp, nil
}

// receive waits for the next frame from the guest. Preconditions: m.mu is
// held (or the machine is booting).
func (m *Machine) receive(what string, timeout time.Duration) (response, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case f := <-m.in:
		if f.err != nil {
			// The channel closed: the kernel has exited or is about to.
			select {
			case <-m.dead:
			case <-time.After(2 * time.Second):
			}
			return response{}, m.breakWith(m.deathReason(what, f.err))
		}
		return f.resp, nil
	case <-m.dead:
		return response{}, m.breakWith(m.deathReason(what, nil))
	case <-t.C:
		return response{}, m.breakWith(fmt.Errorf("uml: %s: no answer from the guest within %v (a hang?); killed it. Console:\n%s",
			what, timeout, m.con.tail()))
	}
}

// deathReason explains why the guest stopped answering during what.
func (m *Machine) deathReason(what string, chanErr error) error {
	status := "still running"
	select {
	case <-m.dead:
		status = fmt.Sprint(m.exitErr)
		if m.exitErr == nil {
			status = "exit status 0"
		}
		m.con.drained(2 * time.Second)
	default:
	}
	console := m.con.tail()
	switch {
	case strings.Contains(console, "Kernel panic"):
		return fmt.Errorf("uml: %s: the guest kernel panicked (%s). Console:\n%s", what, status, console)
	case chanErr != nil && (status == "still running" || !errors.Is(chanErr, io.EOF)):
		return fmt.Errorf("uml: %s: the channel to the guest broke (%v; kernel %s). Console:\n%s", what, chanErr, status, console)
	}
	return fmt.Errorf("uml: %s: the guest kernel exited (%s). Console:\n%s", what, status, console)
}

// breakWith records err as the machine's failure, kills the kernel and
// returns err.
func (m *Machine) breakWith(err error) error {
	if m.broken == nil {
		m.broken = err
	}
	m.kill()
	return m.broken
}

// kill ends the kernel process and every process it started (its own
// process group: UML runs each guest process as a host process).
func (m *Machine) kill() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	m.cmd.Process.Kill()
	select {
	case <-m.dead:
	case <-time.After(10 * time.Second):
	}
}

// Err returns the failure that broke the machine, or nil.
func (m *Machine) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.broken
}

// Console returns the last lines the guest's console printed.
func (m *Machine) Console() string { return m.con.tail() }

// Close ends every world, powers the guest off (killing it if it does not
// stop within 10 s) and removes the boot directory.
func (m *Machine) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	if m.broken == nil && m.w != nil {
		if err := writeFrame(m.w, request{Op: opQuit}); err == nil {
			m.receive(opQuit, 10*time.Second)
		}
	}
	m.closed = true
	if m.cmd != nil && m.cmd.Process != nil {
		select {
		case <-m.dead:
		case <-time.After(10 * time.Second):
		}
		m.kill()
	}
	if m.wf != nil {
		m.wf.Close()
	}
	m.mu.Unlock()
	return os.RemoveAll(m.dir)
}

// memoryDir is where the kernel keeps the file that backs its RAM: a
// tmpfs when there is one (UML warns that other file systems are slow).
func memoryDir(boot string) string {
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && st.Type == 0x01021994 { // TMPFS_MAGIC
		return "/dev/shm"
	}
	return boot
}

// consoleTail keeps the last bytes of the guest's console.
type consoleTail struct {
	mu  sync.Mutex
	buf []byte
	// eof is closed when copy has read the console to its end, so that a
	// report of the kernel's death can wait for its last words (a panic's
	// message arrives after the process may already be reaped).
	eof     chan struct{}
	eofOnce sync.Once
}

// drained waits up to d for the console to reach its end.
func (c *consoleTail) drained(d time.Duration) {
	select {
	case <-c.eofChan():
	case <-time.After(d):
	}
}

func (c *consoleTail) eofChan() chan struct{} {
	c.eofOnce.Do(func() { c.eof = make(chan struct{}) })
	return c.eof
}

const consoleKeep = 16 << 10

func (c *consoleTail) copy(r *os.File) {
	defer close(c.eofChan())
	defer r.Close()
	b := make([]byte, 4096)
	for {
		n, err := r.Read(b)
		if n > 0 {
			c.mu.Lock()
			c.buf = append(c.buf, b[:n]...)
			if len(c.buf) > 2*consoleKeep {
				c.buf = append([]byte(nil), c.buf[len(c.buf)-consoleKeep:]...)
			}
			c.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func (c *consoleTail) tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.buf
	if len(b) > consoleKeep {
		b = b[len(b)-consoleKeep:]
	}
	s := strings.TrimRight(string(b), "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// Available reports whether kernel can be booted here, and if not, why.
func Available(kernel string) (bool, string) {
	if kernel == "" {
		kernel = DefaultKernel
	}
	fi, err := os.Stat(kernel)
	if err != nil {
		if kernel == DefaultKernel {
			return false, fmt.Sprintf("no User-Mode Linux kernel at %s: install Debian's (apt-get install user-mode-linux) or name one with -uml-kernel", kernel)
		}
		return false, fmt.Sprintf("no User-Mode Linux kernel at %s: %v", kernel, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return false, fmt.Sprintf("%s is not an executable User-Mode Linux kernel", kernel)
	}
	if ok, why := linux.Available(); !ok {
		return false, "the uml backend runs the Linux oracle inside the guest and builds its agent here: " + why
	}
	return true, ""
}
