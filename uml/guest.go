package uml

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/linux"
)

// The guest side. The host boots the kernel under test with this same
// program as init (init=BINARY, with guestEnv in init's environment: the
// kernel passes unknown NAME=VALUE parameters to init as environment);
// MaybeGuest sees guestEnv and runs the guest server instead of the
// program's own main or tests.

const (
	// guestEnv holds the guest's private directory (a host path, on which
	// the guest mounts a tmpfs for its worlds).
	guestEnv = "FORKSPEC_UML_GUEST"
	// channelTTY is the guest end of the channel (con1).
	channelTTY = "/dev/tty1"
)

// MaybeGuest runs the guest server and never returns when this process is
// the init of a kernel under test that Boot started; otherwise it returns
// at once. Every program that may start the uml backend calls it first
// (forkspec's main, the TestMain of packages whose tests use the backend),
// because the guest runs the very binary that booted it.
func MaybeGuest() {
	dir := os.Getenv(guestEnv)
	if dir == "" || os.Getpid() != 1 {
		return
	}
	err := serveGuest(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "forkspec uml guest: %v\n", err)
	}
	powerOff()
}

// powerOff ends the guest: the host sees the kernel exit.
func powerOff() {
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	sleepForever() // init must not exit: that would panic the kernel
}

// sleepForever blocks for good (not in select{}: Go's runtime would call
// that a deadlock and exit).
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// serveGuest sets the guest up and serves the host until it says quit.
func serveGuest(dir string) error {
	if err := syscall.Mount("proc", "/proc", "proc", 0, ""); err != nil && err != syscall.EBUSY {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	// The guest's own sysfs: hostfs shows the host's /sys otherwise, and
	// the oracle reads machine facts there (THP, SELinux).
	if err := syscall.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil && err != syscall.EBUSY {
		return fmt.Errorf("mounting /sys: %w", err)
	}
	// The guest's worlds live in its own tmpfs: never in the host's /tmp,
	// which hostfs shows (the oracle sweeps stale world directories there
	// by pid, and the guest's pids are not the host's).
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", dir, err)
	}
	os.Setenv("TMPDIR", dir)
	os.Unsetenv(guestEnv)
	// The channel's device: a kernel without CONFIG_DEVTMPFS_MOUNT leaves
	// /dev as the host's, without the guest's consoles.
	if _, err := os.Stat(channelTTY); err != nil {
		if err := syscall.Mount("devtmpfs", "/dev", "devtmpfs", 0, ""); err != nil {
			return fmt.Errorf("no %s, and mounting devtmpfs on /dev: %w (the kernel needs CONFIG_DEVTMPFS)", channelTTY, err)
		}
	}
	tty, err := os.OpenFile(channelTTY, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("opening the channel %s: %w", channelTTY, err)
	}
	if err := makeRaw(int(tty.Fd())); err != nil {
		return fmt.Errorf("raw mode on %s: %w", channelTTY, err)
	}
	w := bufio.NewWriterSize(tty, 1<<16)
	r := bufio.NewReaderSize(tty, 1<<16)

	_, namer := any((*linux.Kernel)(nil)).(abi.FrameNamer)
	h := hello{Release: release(), TaskSize: probeTaskSize(), BottomUp: probeBottomUp(), Kcmp: probeKcmp(), FrameNamer: namer}
	if err := writeFrame(w, response{Hello: &h}); err != nil {
		return err
	}
	g := &guest{worlds: map[int]*linux.Kernel{}}
	for {
		var req request
		if err := readFrame(r, &req); err != nil {
			return fmt.Errorf("reading the channel: %w", err)
		}
		start := time.Now()
		resp := g.serve(req)
		resp.Took = int64(time.Since(start))
		if err := writeFrame(w, resp); err != nil {
			return fmt.Errorf("writing the channel: %w", err)
		}
		if req.Op == opQuit {
			return nil
		}
	}
}

// guest holds the guest's worlds by id.
type guest struct {
	worlds map[int]*linux.Kernel
	next   int
}

// serve answers one request; a panic becomes an error response.
func (g *guest) serve(req request) (resp response) {
	defer func() {
		if p := recover(); p != nil {
			resp = response{Err: fmt.Sprintf("the guest panicked on %s: %v\n%s", req.Op, p, debug.Stack())}
		}
	}()
	world := func() (*linux.Kernel, bool) {
		k, ok := g.worlds[req.World]
		if !ok {
			resp.Err = fmt.Sprintf("no world %d", req.World)
		}
		return k, ok
	}
	switch req.Op {
	case opSetup:
		if err := linux.UseSpace(req.Space, req.Agent); err != nil {
			resp.Err = err.Error()
			break
		}
		if ok, why := linux.Available(); !ok {
			resp.Err = why
			break
		}
		m, err := linux.Machine()
		if err != nil {
			resp.Err = err.Error()
			break
		}
		resp.Machine = &m
	case opNew:
		k, err := linux.New(req.Cfg)
		if err != nil {
			resp.Err = err.Error()
			break
		}
		g.next++
		g.worlds[g.next] = k
		v := k.View()
		resp.World, resp.View = g.next, &v
		if err := k.Err(); err != nil {
			resp.Err = err.Error()
		}
	case opStep:
		k, ok := world()
		if !ok {
			break
		}
		sc, err := abi.ParseSyscall(req.Call)
		if err != nil {
			resp.Err = fmt.Sprintf("bad call %q: %v", req.Call, err)
			break
		}
		resp.Result = k.Step(req.Tid, sc)
		v := k.View()
		resp.View = &v
		if err := k.Err(); err != nil {
			resp.Err = err.Error()
		}
	case opView:
		if k, ok := world(); ok {
			v := k.View()
			resp.View = &v
			if err := k.Err(); err != nil {
				resp.Err = err.Error()
			}
		}
	case opFrame:
		if k, ok := world(); ok {
			fn, ok := any(k).(abi.FrameNamer)
			if !ok {
				resp.Err = "the oracle cannot name frames (no abi.FrameNamer)"
				break
			}
			resp.Frame, resp.FrameOK = fn.FrameID(req.Tid, req.Addr)
		}
	case opClose:
		if k, ok := world(); ok {
			if err := k.Close(); err != nil {
				resp.Err = err.Error()
			}
			delete(g.worlds, req.World)
		}
	case opMaps:
		if k, ok := world(); ok {
			var b strings.Builder
			for _, pid := range k.HostPids() {
				m, _ := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
				fmt.Fprintf(&b, "== %d\n%s", pid, m)
			}
			resp.Err = b.String()
		}
	case opSysrq:
		if err := os.WriteFile("/proc/sysrq-trigger", []byte(req.Call), 0); err != nil {
			resp.Err = err.Error()
		}
	case opHang:
		sleepForever()
	case opQuit:
		for id, k := range g.worlds {
			k.Close()
			delete(g.worlds, id)
		}
	default:
		resp.Err = fmt.Sprintf("unknown op %q", req.Op)
	}
	return resp
}

// makeRaw puts a tty in raw mode (cfmakeraw): no echo, no line editing,
// no signals, no CR/NL translation, no flow control, 8-bit bytes.
func makeRaw(fd int) error {
	var t syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TCGETS, uintptr(unsafe.Pointer(&t))); e != 0 {
		return e
	}
	t.Iflag &^= syscall.IGNBRK | syscall.BRKINT | syscall.PARMRK | syscall.ISTRIP | syscall.INLCR |
		syscall.IGNCR | syscall.ICRNL | syscall.IXON | syscall.IXOFF
	t.Oflag &^= syscall.OPOST
	t.Lflag &^= syscall.ECHO | syscall.ECHONL | syscall.ICANON | syscall.ISIG | syscall.IEXTEN
	t.Cflag &^= syscall.CSIZE | syscall.PARENB
	t.Cflag |= syscall.CS8
	t.Cc[syscall.VMIN], t.Cc[syscall.VTIME] = 1, 0
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TCSETS, uintptr(unsafe.Pointer(&t))); e != 0 {
		return e
	}
	return nil
}

// release is uname -r.
func release() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "unknown"
	}
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// mmapRaw is mmap(2) of anonymous PROT_NONE memory, returning the address
// or the errno.
func mmapRaw(addr, n uint64, flags uintptr) (uint64, syscall.Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP, uintptr(addr), uintptr(n), syscall.PROT_NONE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE|flags, ^uintptr(0), 0)
	return uint64(r), e
}

const mapFixedNoreplace = 0x100000

// probeTaskSize finds the end of user address space: the highest page end
// e for which mmap(e - 4096, 4096, MAP_FIXED_NOREPLACE) does not fail
// ENOMEM (do_mmap's "addr > TASK_SIZE - len"); EEXIST (something is
// mapped there) counts as inside. Nothing mapped is ever replaced.
func probeTaskSize() uint64 {
	inside := func(end uint64) bool {
		a, e := mmapRaw(end-abi.PageSize, abi.PageSize, mapFixedNoreplace)
		if e == 0 {
			syscall.Syscall(syscall.SYS_MUNMAP, uintptr(a), abi.PageSize, 0)
			return true
		}
		return e != syscall.ENOMEM
	}
	lo, hi := uint64(1)<<30, uint64(1)<<57 // inside(lo); !inside(hi)
	for hi-lo > abi.PageSize {
		mid := (lo + (hi-lo)/2) &^ (abi.PageSize - 1)
		if inside(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// probeKcmp says whether kcmp(2) exists (CONFIG_KCMP).
func probeKcmp() bool {
	const sysKcmp, kcmpVM = 312, 1
	pid := uintptr(os.Getpid())
	_, _, e := syscall.Syscall6(sysKcmp, pid, pid, kcmpVM, 0, 0, 0)
	return e != syscall.ENOSYS
}

// probeBottomUp says whether hint-less mmap places bottom-up: two 1 GiB
// reservations in a row, the second above the first.
func probeBottomUp() bool {
	a, e1 := mmapRaw(0, 1<<30, 0)
	b, e2 := mmapRaw(0, 1<<30, 0)
	if e1 == 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, uintptr(a), 1<<30, 0)
	}
	if e2 == 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, uintptr(b), 1<<30, 0)
	}
	return e1 == 0 && e2 == 0 && b > a
}
