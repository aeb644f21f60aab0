package model

import (
	"cmp"
	"slices"

	"github.com/forkspec/forkspec/abi"
)

// The futex word (docs/libc.md "The futex word"): memory holds one 64-bit
// word per page (Load, Store), so a futex address, like a tid pointer,
// names the word at the start of its page, and the futex word is that
// word's low 32 bits (x86-64 is little-endian: the u32 at the page's start).

// futexKey identifies a futex as get_futex_key does: a private op, or a
// shared op on an anonymous private page, is keyed by (mm, address) — the
// two differ (FUT_OFF_MMSHARED), so a private wait is not woken by a shared
// wake at the same address; a shared op on a MAP_SHARED page is keyed by
// (shmem object, offset), the same in every mm that maps it.
type futexKey struct {
	mm       *mm
	obj      *shmObj
	addr     uint64 // page address in mm, or offset in obj
	mmShared bool
}

// futexKeyOf computes the key of the word at a in m for a private or a
// shared op, with the memory access it implies: a shared op first takes
// the page as get_user_pages_fast(FOLL_WRITE) does — a writable page is
// faulted for writing (a fresh frame for an untouched private page, a copy
// for one whose frame is shared: COW-2), a read-only one for reading — and
// an address that cannot be read is EFAULT, and so is a private mapping
// without PROT_WRITE (an anonymous page taken read-only). A private op
// touches nothing.
func (k *Kernel) futexKeyOf(m *mm, a uint64, private bool) (futexKey, abi.Errno) {
	a = pageDown(a)
	if private {
		return futexKey{mm: m, addr: a}, 0
	}
	i := m.find(a)
	if i < 0 || !k.readable(m.vmas[i]) {
		return futexKey{}, abi.EFAULT
	}
	v := m.vmas[i]
	if v.obj == nil && v.prot&abi.PROT_WRITE == 0 {
		// get_futex_key: the page came read-only, and "a RO anonymous
		// page will never change": EFAULT (FUTEX-1b).
		return futexKey{}, abi.EFAULT
	}
	if v.prot&abi.PROT_WRITE != 0 {
		k.writeFault(m, v, a)
	} else if v.obj != nil {
		k.touchShared(v, a)
	}
	if v.obj != nil {
		return futexKey{obj: v.obj, addr: v.off + (a - v.start)}, 0
	}
	return futexKey{mm: m, addr: a, mmShared: true}, 0
}

// readable reports whether a user read of v succeeds: any protection but
// PROT_NONE, except an execute-only mapping on a CPU with PKU (MEM-3i).
func (k *Kernel) readable(v vma) bool {
	return v.prot != abi.PROT_NONE && !(v.execOnly && k.machine.PKU == abi.FeaturePresent)
}

// writeFault is a write fault on the page at a of v without changing its
// value: a shared page gets its frame at first touch; a private page with
// no frame gets a fresh zero one, with a shared frame a copy (COW-2, COW-7).
func (k *Kernel) writeFault(m *mm, v vma, a uint64) {
	if v.obj != nil {
		k.touchShared(v, a)
		return
	}
	p, has := m.pages[a]
	if !has || k.tokenShared(p.token, m, a) {
		p.token = k.newToken()
		m.pages[a] = p
	}
}

// readWord32 is get_user of the futex word at a in m (a read fault, COW-7:
// a private page never stored to reads 0 and gets no frame; a shared page
// gets its frame); ok is false when the address cannot be read (EFAULT).
func (k *Kernel) readWord32(m *mm, a uint64) (uint32, bool) {
	a = pageDown(a)
	i := m.find(a)
	if i < 0 || !k.readable(m.vmas[i]) {
		return 0, false
	}
	if v := m.vmas[i]; v.obj != nil {
		return uint32(k.touchShared(v, a).value), true
	}
	return uint32(m.pages[a].value), true
}

// putUser32 is put_user of a 32-bit value at a in m, as the kernel stores
// a tid (CLONE_PARENT_SETTID, CLONE_CHILD_SETTID, mm_release): the low
// half of the page's word changes, the high half stays; a store fault
// (COW-2) like any store. An address that is not writable is ignored (the
// kernel does not check put_user's result there). It reports whether the
// store happened.
func (k *Kernel) putUser32(m *mm, a uint64, val uint32) bool {
	a = pageDown(a)
	i := m.find(a)
	if i < 0 || m.vmas[i].prot&abi.PROT_WRITE == 0 {
		return false
	}
	v := m.vmas[i]
	k.writeFault(m, v, a)
	if v.obj != nil {
		off := v.off + (a - v.start)
		p := v.obj.pages[off]
		p.value = p.value&^0xffffffff | uint64(val)
		v.obj.pages[off] = p
		return true
	}
	p := m.pages[a]
	p.value = p.value&^0xffffffff | uint64(val)
	m.pages[a] = p
	return true
}

// sysFutex is futex(2) with FUTEX_WAIT, FUTEX_WAKE and their _BITSET forms
// with the bitset FUTEX_BITSET_MATCH_ANY (FUTEX-1 … FUTEX-3, do_futex). An
// unknown command, or FUTEX_CLOCK_REALTIME on a command other than
// FUTEX_WAIT_BITSET, is ENOSYS; other known commands were refused before
// the step.
func (k *Kernel) sysFutex(t *task, s abi.Futex) abi.Result {
	op := i32(s.Op)
	if abi.FutexENOSYS(op) {
		return abi.Fail(abi.ENOSYS)
	}
	private := op&abi.FUTEX_PRIVATE_FLAG != 0
	switch op & abi.FUTEX_CMD_MASK {
	case abi.FUTEX_WAKE, abi.FUTEX_WAKE_BITSET:
		key, e := k.futexKeyOf(t.mm, s.Addr, private)
		if e != 0 {
			return abi.Fail(e)
		}
		return abi.Ok(uint64(k.futexWake(key, int32(uint32(s.Val)))))
	}
	// futex_wait_setup: the key (a shared op's fault first), then the value.
	key, e := k.futexKeyOf(t.mm, s.Addr, private)
	if e != 0 {
		return abi.Fail(e)
	}
	val, ok := k.readWord32(t.mm, s.Addr)
	if !ok {
		return abi.Fail(abi.EFAULT)
	}
	if val != uint32(s.Val) {
		return abi.Fail(abi.EAGAIN)
	}
	return k.block(t, &waitState{call: s, key: key})
}

// futexWake is futex_wake: it takes up to nr waiters queued on key off the
// queue, in queue order — SCHED_FIFO tasks before init's SCHED_OTHER group
// (the futex plist is sorted by priority), in the order they queued among
// equals — marks them woken and puts them on the run queue; it returns how
// many. A count of 0 or less still wakes one (++ret >= nr_wake).
func (k *Kernel) futexWake(key futexKey, nr int32) int {
	var q []*task
	for _, t := range k.sleepers() {
		if w := t.wait; !w.woken && w.file == nil && isFutex(w.call) && w.key == key {
			q = append(q, t)
		}
	}
	slices.SortFunc(q, func(a, b *task) int {
		if ai, bi := a.group.isInit(), b.group.isInit(); ai != bi {
			if ai {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.wait.seq, b.wait.seq)
	})
	limit := max(int(nr), 1)
	n := 0
	for _, t := range q {
		if n >= limit {
			break
		}
		t.wait.woken = true
		k.enqueue(t)
		n++
	}
	return n
}

func isFutex(sc abi.Syscall) bool { _, ok := sc.(abi.Futex); return ok }

// mmRelease is mm_release for t leaving its address space m (at exit, at
// exec; kernel/fork.c): with CLONE_CHILD_CLEARTID registered and another
// task still using m (mm_users > 1), it stores 0 at the tid word and wakes
// one waiter with a shared FUTEX_WAKE (CLONE-8c, FUTEX-4); the
// registration is dropped either way. Then a vfork parent waiting on t is
// released (complete_vfork_done, VFORK-2). Errors are ignored.
func (k *Kernel) mmRelease(t *task, m *mm) {
	if a := t.clearChildTid; a != 0 {
		t.clearChildTid = 0
		if k.mmUsers(m) > 1 {
			k.putUser32(m, a, 0)
			if key, e := k.futexKeyOf(m, a, false); e == 0 {
				k.futexWake(key, 1)
			}
		}
	}
	k.releaseVforkParent(t)
}

// mmUsers is mm_users: the tasks using m that have not yet left it.
func (k *Kernel) mmUsers(m *mm) int {
	n := 0
	for _, t := range k.tasks {
		if t.mm == m {
			n++
		}
	}
	return n
}
