package linux

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/forkspec/forkspec/abi"
)

// The kernel's own writes to a trace's memory, which the driver must learn
// as it learns a trace's stores (pages.go): clear_child_tid's store at exit
// and exec, and the page a shared futex takes for writing.
//
// The kernel's own store to a CLONE_CHILD_CLEARTID word (docs/libc.md
// CLONE-8c): when a task registered with a child_tid pointer exits or execs
// while another task still uses its memory, mm_release stores 0 in the
// word's low half (put_user of a u32) and wakes a futex there. A View reads
// a page by a load in a task of that memory, but when every such task
// sleeps or is a frozen vfork parent it reads what the driver knows of the
// page's frame (pages.go), and no trace store told the driver of this one.
// So the driver follows the registrations and, after each step, learns the
// store for every registered task that left its memory in the step.

// tidWordBefore is what a step must know beforehand about one registered
// task: its word's page, the frame behind it (0: none yet) and the other
// tasks that share its memory.
type tidWordBefore struct {
	tid, tgid int
	addr, pfn uint64
	peers     []int
	// writable says the word's mapping allows writes: mm_release's
	// put_user faults on any other (a PROT_READ or an execute-only page)
	// and stores nothing (access_error: no VM_WRITE).
	writable bool
}

// noteClearTid registers the child of a successful clone or clone3 with
// CLONE_CHILD_CLEARTID and a child_tid pointer.
func (k *Kernel) noteClearTid(sc abi.Syscall, r abi.Result) {
	var flags, ctid uint64
	switch s := sc.(type) {
	case abi.Clone:
		flags, ctid = s.Flags, s.Ctid
	case abi.Clone3:
		flags, ctid = s.Flags, s.Ctid
	default:
		return
	}
	created := r.Err == 0 && (r.Outcome == abi.OutcomeOK || r.Outcome == abi.OutcomeFrozen) && r.Ret > 0
	if !created || flags&abi.CLONE_CHILD_CLEARTID == 0 || ctid == 0 {
		return
	}
	if k.clearTid == nil {
		k.clearTid = map[int]uint64{}
	}
	k.clearTid[int(r.Ret)] = ctid &^ (abi.PageSize - 1)
}

// tidWordsBefore reads, before a step, every registered task's frame and
// memory partners (kcmp KCMP_VM). A registration whose task is gone is
// dropped.
func (k *Kernel) tidWordsBefore() ([]tidWordBefore, error) {
	var out []tidWordBefore
	for _, tid := range sortedKeys(boolKeys(k.clearTid)) {
		t, ok, err := k.findTask(tid)
		if err != nil {
			return nil, err
		}
		if !ok || t.State == 'Z' || t.State == 'X' || k.tasks[tid] == nil {
			delete(k.clearTid, tid)
			continue
		}
		b := tidWordBefore{tid: tid, tgid: t.Tgid, addr: k.clearTid[tid]}
		if b.pfn, _, err = k.frameAt(t.Tgid, tid, b.addr); err != nil {
			return nil, err
		}
		if b.writable, err = k.writableAt(t.Tgid, tid, b.addr); err != nil {
			return nil, err
		}
		for _, u := range sortedKeys(boolKeys(k.tasks)) {
			if u == tid {
				continue
			}
			if k.sharesMm(t, u) {
				b.peers = append(b.peers, u)
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// sharesMm reports whether live task t and the task with tid u use one
// address space (sameObject). Without kcmp the answer comes from the marks
// of the last View, so a task that View did not see counts as no partner:
// a wrong partner would have the driver learn a value for a frame it does
// not know, a missing one only leaves the page to a load.
func (k *Kernel) sharesMm(t procTask, u int) bool {
	if space.MarkIDs {
		if _, seen := k.ids.marks[t.Tid]; !seen {
			return false
		}
		if _, seen := k.ids.marks[u]; !seen {
			return false
		}
	}
	ut, ok, err := k.findTask(u)
	if err != nil || !ok || ut.State == 'Z' || ut.State == 'X' {
		return false
	}
	same, err := k.sameObject(t, ut, kcmpVM)
	return err == nil && same
}

// learnClearedTids records, after the step sc by caller with result r, the
// store mm_release made for every registered task that left its memory:
// it exited, was killed, or its group exec'd (the exec'ing thread's own
// mm_release, or de_thread killing the others). The value is the one the
// driver knew before with its low 32 bits cleared, in the frame a
// surviving partner now maps there (the store may have copied the page).
func (k *Kernel) learnClearedTids(before []tidWordBefore, caller procTask, sc abi.Syscall, r abi.Result) error {
	_, isExec := sc.(abi.Execve)
	execGroup := 0
	if isExec && r.Outcome == abi.OutcomeExeced {
		execGroup = caller.Tgid
	}
	for _, b := range before {
		t, ok, err := k.findTask(b.tid)
		if err != nil {
			return err
		}
		if ok && t.State != 'Z' && t.State != 'X' && b.tgid != execGroup {
			continue
		}
		delete(k.clearTid, b.tid) // clear_child_tid is NULL from now on
		if !b.writable {
			continue // put_user faulted: nothing stored, no page copied
		}
		old, known := uint64(0), true
		if b.pfn != 0 {
			old, known = k.values[b.pfn]
		}
		if !known {
			continue // a task that can load it will read it
		}
		for _, p := range b.peers {
			pt, ok, err := k.findTask(p)
			if err != nil {
				return err
			}
			if !ok || pt.State == 'Z' || pt.State == 'X' || pt.Tgid == execGroup {
				continue
			}
			pfn, present, err := k.frameAt(pt.Tgid, p, b.addr)
			if err != nil {
				return err
			}
			if present {
				if k.values == nil {
					k.values = map[uint64]uint64{}
				}
				k.values[pfn] = old &^ 0xffffffff
			}
			break
		}
	}
	return nil
}

// frameAt returns the data frame behind page addr of task tid (pagemap);
// present is false when the page holds none.
func (k *Kernel) frameAt(tgid, tid int, addr uint64) (pfn uint64, present bool, err error) {
	if addr >= space.TaskSize {
		return 0, false, nil // not user memory: pagemap ends at TASK_SIZE
	}
	zero, err := zeroFrame()
	if err != nil {
		return 0, false, err
	}
	f, err := os.Open(filepath.Join(k.taskDir(tgid, tid), "pagemap"))
	if err != nil {
		if os.IsNotExist(err) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("reading the tid word of %d: %w", tid, err)
	}
	defer f.Close()
	e, err := (&pagemapFile{f: f}).frames(addr, addr+abi.PageSize, make([]uint64, 1))
	if err != nil {
		return 0, false, err
	}
	pfn, present = dataFrame(e[0], zero)
	return pfn, present, nil
}

// writableAt reports whether task tid maps page addr writable (smaps).
func (k *Kernel) writableAt(tgid, tid int, addr uint64) (bool, error) {
	maps, err := readSmaps(filepath.Join(k.taskDir(tgid, tid), "smaps"))
	if err != nil {
		if os.IsNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("reading the tid word's mapping of %d: %w", tid, err)
	}
	for _, m := range maps {
		if addr >= m.Start && addr < m.End {
			return len(m.Perms) > 1 && m.Perms[1] == 'w', nil
		}
	}
	return false, nil
}

// boolKeys is the key set of a map keyed by tid.
func boolKeys[V any](m map[int]V) map[int]bool {
	out := make(map[int]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// futexPage is what a shared futex step must know beforehand: the frame
// behind the caller's page at the futex word (0: none).
type futexPage struct {
	watch bool
	addr  uint64
	pfn   uint64
}

// futexBefore reads the frame behind the futex word of a shared futex call
// by t. get_futex_key takes that page with get_user_pages_fast(FOLL_WRITE)
// (docs/libc.md FUTEX-3b): a page shared by copy-on-write is copied, an
// untouched one gets a zero frame, and no trace store tells the driver the
// new frame's value, which a View needs when the caller then sleeps.
func (k *Kernel) futexBefore(t procTask, sc abi.Syscall) (futexPage, error) {
	f, ok := sc.(abi.Futex)
	if !ok || f.Op&abi.FUTEX_PRIVATE_FLAG != 0 {
		return futexPage{}, nil
	}
	p := futexPage{watch: true, addr: f.Addr &^ (abi.PageSize - 1)}
	var err error
	p.pfn, _, err = k.frameAt(t.Tgid, t.Tid, p.addr)
	return p, err
}

// learnFutexCopy records the value of the frame a shared futex call left
// behind the caller's page: the value of the frame before (0 for none).
func (k *Kernel) learnFutexCopy(t procTask, p futexPage) error {
	if !p.watch {
		return nil
	}
	pfn, present, err := k.frameAt(t.Tgid, t.Tid, p.addr)
	if err != nil || !present || pfn == p.pfn {
		return err
	}
	old, known := uint64(0), true
	if p.pfn != 0 {
		old, known = k.values[p.pfn]
	}
	if known {
		if k.values == nil {
			k.values = map[uint64]uint64{}
		}
		k.values[pfn] = old
	}
	return nil
}
