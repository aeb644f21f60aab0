package linux

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"github.com/forkspec/forkspec/abi"
)

// settle brings the world to rest after a step, so that what the View shows
// does not depend on scheduling (design: each step completes before the
// next begins):
//
//  1. every dying task (SIGKILL pending: a group exit or a fatal signal,
//     complete_signal) has died;
//  2. every running task answers a ping: on its way back to user mode it
//     takes every pending signal it does not block (handlers run and are
//     counted, default actions apply), and its pong carries its actions and
//     subreaper flag;
//
// repeated while a round sees a task die (a death notifies a parent, whose
// SIGCHLD handler must run in the same step).
func (k *Kernel) settle() error {
	dying := wait("dying tasks to die", stepTimeout)
	for round := 0; round < 50; round++ {
		if len(k.sleeping) > 0 {
			// Sleepers a step woke finish (and report) or sleep again.
			if _, err := k.quiesce(nil, nil, 0, dying); err != nil {
				return err
			}
		}
		tasks, err := k.waitDying(dying)
		if err != nil {
			return err
		}
		k.prune(tasks)
		k.seq++
		seq := k.seq
		pending := map[int]bool{}
		pongs := wait(fmt.Sprintf("pongs (settling round %d, ping %d)", round+1, seq), stepTimeout)
		died := false
		for _, t := range tasks {
			if !k.canRun(t) {
				continue
			}
			if err := k.send(t.Tid, command{Seq: seq, Op: opPing}); err != nil {
				if errors.Is(err, syscall.EPIPE) {
					// Its FIFO has no reader left: the task is past
					// exit_files, dying without SIGKILL pending any more.
					died = true
					continue
				}
				return err
			}
			pending[t.Tid] = true
		}
		for len(pending) > 0 {
			if pongs.over() {
				return pongs.err("no pong from task(s) " + tidList(sortedKeys(pending)))
			}
			m, err := k.rr.next(2 * time.Millisecond)
			if err != nil && !errors.Is(err, errTimeout) {
				return err
			}
			if m != nil {
				if err := k.absorb(m); err != nil {
					return err
				}
				if m.Kind == repPong && m.Seq == seq {
					delete(pending, m.Tid)
				}
				continue
			}
			for _, tid := range sortedKeys(pending) {
				t, ok, err := k.findTask(tid)
				if err != nil {
					return err
				}
				if !ok || t.State == 'Z' || t.State == 'X' {
					delete(pending, tid)
					died = true
				}
			}
		}
		if !died {
			return k.sharePongs(tasks)
		}
	}
	return errors.New("the world did not settle")
}

// sharePongs gives every task the freshest pong of the tasks that share its
// disposition table (CLONE_SIGHAND, threads), so that the sa_flags a View
// reports (not in /proc; actions) survive the exit of the task that set
// them while the only members left are frozen vfork parents, which cannot
// answer a ping.
func (k *Kernel) sharePongs(tasks []procTask) error {
	var live []procTask
	for _, t := range tasks {
		if t.State != 'Z' && t.State != 'X' && k.tasks[t.Tid] != nil && k.pong[t.Tid] != nil {
			live = append(live, t)
		}
	}
	// Without kcmp the classes come from markers and probes
	// (identity.go), which must see these tasks' states, not the last
	// View's: a task frozen since then cannot run a probe.
	if err := k.beginIdentities(live); err != nil {
		return err
	}
	ids, _, err := k.classes(live, kcmpSighand)
	if err != nil {
		return err
	}
	freshest := map[int]int{} // sighand class → tid of its freshest pong
	for _, t := range live {
		if f, ok := freshest[ids[t.Tid]]; !ok || k.pongSeq[t.Tid] > k.pongSeq[f] {
			freshest[ids[t.Tid]] = t.Tid
		}
	}
	for _, t := range live {
		if f := freshest[ids[t.Tid]]; f != t.Tid {
			k.pong[t.Tid], k.pongSeq[t.Tid] = k.pong[f], k.pongSeq[f]
		}
	}
	return nil
}

// waitDying waits until no task has SIGKILL pending and returns the tasks.
func (k *Kernel) waitDying(p *patience) ([]procTask, error) {
	for {
		tasks, err := k.listTasks()
		if err != nil {
			return nil, err
		}
		var dying []int
		for _, t := range tasks {
			if t.State != 'Z' && t.State != 'X' && t.SigPnd&uint64(abi.SigBit(abi.SIGKILL)) != 0 {
				dying = append(dying, t.Tid)
			}
		}
		if len(dying) == 0 {
			return tasks, nil
		}
		if p.over() {
			return nil, p.err("task(s) " + tidList(dying) + " still have SIGKILL pending")
		}
		time.Sleep(time.Millisecond)
	}
}

// prune forgets agents whose tasks no longer exist.
func (k *Kernel) prune(tasks []procTask) {
	live := map[int]bool{}
	groups := map[int]bool{}
	for _, t := range tasks {
		live[t.Tid] = true
		groups[t.Tgid] = true
	}
	for _, t := range tasks {
		if t.State == 'Z' || t.State == 'X' {
			delete(k.sleeping, t.Tid)
			delete(k.done, t.Tid)
		}
	}
	for tid := range k.sleeping {
		if !live[tid] {
			delete(k.sleeping, tid)
		}
	}
	for tid := range k.done {
		if !live[tid] {
			delete(k.done, tid)
		}
	}
	for tid, t := range k.tasks {
		if !live[tid] {
			t.fifo.Close()
			delete(k.tasks, tid)
			delete(k.pong, tid)
			delete(k.pongSeq, tid)
		}
	}
	for tid := range k.threadHandled {
		if !live[tid] {
			delete(k.threadHandled, tid)
		}
	}
	for tgid, fd := range k.pidfds {
		if !groups[tgid] {
			syscall.Close(fd)
			delete(k.pidfds, tgid)
		}
	}
}

// pidfdInfo is struct pidfd_info (include/uapi/linux/pidfd.h), version 0.
type pidfdInfo struct {
	Mask     uint64
	Cgroupid uint64
	Ids      [11]uint32 // pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid
	ExitCode int32
}

const (
	pidfdGetInfo  = 0xC040FF0B // _IOWR(0xFF, 11, struct pidfd_info)
	pidfdInfoExit = 1 << 3
)

// pidfdExitCode returns the exit code of a reaped thread-group leader
// through its pidfd (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux 6.15+).
func (k *Kernel) pidfdExitCode(tgid int) (int, bool) {
	fd, ok := k.pidfds[tgid]
	if !ok {
		return 0, false
	}
	info := pidfdInfo{Mask: pidfdInfoExit}
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), pidfdGetInfo, uintptr(unsafe.Pointer(&info)))
	if e != 0 || info.Mask&pidfdInfoExit == 0 {
		return 0, false
	}
	return int(info.ExitCode), true
}

// sortedKeys returns the keys of m in ascending order (never map order).
func sortedKeys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
