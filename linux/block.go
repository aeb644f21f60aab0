package linux

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/forkspec/forkspec/abi"
)

// Blocking on the real kernel (docs/conventions.md "Blocking"). An agent
// that performs a call that sleeps does not report; the driver sees it
// asleep in /proc — state S in /proc/PID/task/TID/stat and the call's
// number (and, for read and write, the trace's fd, not the agent's own
// command FIFO at CMD_FD_MIN and up) in /proc/PID/task/TID/syscall — once
// the whole namespace is quiescent: no agent runnable, twice in a row.
// The step is then OutcomeBlocked and the sleep is recorded (k.sleeping);
// the agent's report, with the step's seq, arrives when a later step ends
// the sleep, and becomes the task's TaskView.Return (k.done) until its
// next step. Every wait is bounded (stepTimeout): an agent that neither
// reports nor sleeps where it should is a driver error, never a hang.

// sleepRec is a call an agent sleeps in.
type sleepRec struct {
	seq  uint64
	call abi.Syscall
	// pipe is the pipe inode a read or write sleeps on, 0 otherwise.
	pipe uint64
}

// doneRec is a sleep's result, kept for the View.
type doneRec struct {
	call string
	r    abi.Result
}

// sleepNr is the x86-64 syscall number a call sleeps in and, for read and
// write, the fd /proc/PID/syscall shows as its first argument.
func sleepNr(sc abi.Syscall) (nr int, fd int, ok bool) {
	switch s := sc.(type) {
	case abi.Wait4:
		return 61, -1, true
	case abi.Read:
		return 0, int(uint32(s.Fd)), true
	case abi.Write:
		return 1, int(uint32(s.Fd)), true
	case abi.Futex:
		return 202, -1, true
	}
	return 0, 0, false
}

// asleepIn reports whether task t sleeps in call sc: state S and the call
// in /proc/PID/task/TID/syscall.
func (k *Kernel) asleepIn(t procTask, sc abi.Syscall) (bool, error) {
	nr, fd, ok := sleepNr(sc)
	if !ok || t.State != 'S' {
		return false, nil
	}
	b, err := os.ReadFile(filepath.Join(k.taskDir(t.Tgid, t.Tid), "syscall"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return false, nil
		}
		return false, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 || f[0] != strconv.Itoa(nr) {
		return false, nil
	}
	if fd >= 0 {
		a0, err := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 64)
		if err != nil || a0 != uint64(fd) {
			return false, nil
		}
	}
	return true, nil
}

// quiet reports whether no agent is runnable, every recorded sleeper that
// still lives is asleep in its call, and (when caller is set) the caller
// sleeps in sc.
func (k *Kernel) quiet(caller *procTask, sc abi.Syscall) (bool, string, error) {
	tasks, err := k.listTasks()
	if err != nil {
		return false, "", err
	}
	var sig strings.Builder
	for _, t := range tasks {
		if t.State == 'R' {
			return false, "", nil
		}
		fmt.Fprintf(&sig, "%d%c ", t.Tid, t.State)
		rec, sleeping := k.sleeping[t.Tid]
		if caller != nil && t.Tid == caller.Tid {
			rec, sleeping = sleepRec{call: sc}, true
		}
		if !sleeping || t.State == 'Z' || t.State == 'X' {
			continue
		}
		in, err := k.asleepIn(t, rec.call)
		if err != nil || !in {
			return false, "", err
		}
	}
	return true, sig.String(), nil
}

// quiesce waits until quiet holds twice in a row with nothing reported in
// between, draining reports (absorb records completions) meanwhile. ok is
// false when a report for the caller's own step arrived (its result is then
// in k.callerReport).
func (k *Kernel) quiesce(caller *procTask, sc abi.Syscall, seq uint64, p *patience) (bool, error) {
	last := ""
	for {
		if p.over() {
			return false, p.err("sleeping agents never settled (quiet in /proc twice in a row with nothing reported)")
		}
		m, err := k.rr.next(2 * time.Millisecond)
		if err != nil && !errors.Is(err, errTimeout) {
			return false, err
		}
		if m != nil {
			if err := k.absorb(m); err != nil {
				return false, err
			}
			if caller != nil && m.Kind == repResult && m.Tid == caller.Tid && m.Seq == seq {
				k.callerReport = m
				return false, nil
			}
			last = ""
			continue
		}
		q, s, err := k.quiet(caller, sc)
		if err != nil {
			return false, err
		}
		if !q {
			last = ""
			continue
		}
		if s == last {
			return true, nil
		}
		last = s
	}
}

// absorbDone turns a report of a recorded sleeper into its completion.
func (k *Kernel) absorbDone(m *report) {
	rec, ok := k.sleeping[m.Tid]
	if !ok || m.Kind != repResult || m.Seq != rec.seq {
		return
	}
	delete(k.sleeping, m.Tid)
	k.done[m.Tid] = doneRec{call: rec.call.String(), r: decode(rec.call, m)}
}

// pipeInode is the pipe inode fd of task t refers to, 0 for none.
func (k *Kernel) pipeInode(t procTask, fd int) uint64 {
	target, err := os.Readlink(filepath.Join(k.taskDir(t.Tgid, t.Tid), "fd", strconv.FormatUint(uint64(uint32(fd)), 10)))
	if err != nil {
		return 0
	}
	s, ok := strings.CutPrefix(target, "pipe:[")
	if !ok {
		return 0
	}
	ino, _ := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64)
	return ino
}

// pipeBytes is FIONREAD on the pipe fd of task t refers to, through a
// read-only, non-blocking open of /proc/PID/fd/N: a reader more, for an
// instant, on a pipe that has one already (a sleeper or an fd), which
// wakes nobody (pipe_release wakes only when a side drops to zero).
func (k *Kernel) pipeBytes(t procTask, fd int) (int64, error) {
	p := filepath.Join(k.taskDir(t.Tgid, t.Tid), "fd", strconv.Itoa(fd))
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, fmt.Errorf("opening %s for FIONREAD: %w", p, err)
	}
	defer f.Close()
	var n int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); e != 0 {
		return 0, fmt.Errorf("FIONREAD on %s: %w", p, e)
	}
	return int64(n), nil
}

// pipeSleepers reports whether a recorded sleeper reads from (write false)
// or writes to (true) the pipe with inode ino.
func (k *Kernel) pipeSleeper(ino uint64, write bool) bool {
	for _, rec := range k.sleeping {
		if rec.pipe != ino || ino == 0 {
			continue
		}
		if _, w := rec.call.(abi.Write); w == write {
			return true
		}
	}
	return false
}
