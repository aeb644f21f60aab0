package impl

import "github.com/forkspec/forkspec/abi"

// futexKey is get_futex_key's answer: (mm, page) for a private op or a
// shared op on an anonymous page — told apart by mmShared, as
// FUT_OFF_MMSHARED does — and (shared object, page index) for a shared op
// on a MAP_SHARED page.
type futexKey struct {
	m        *mm
	shm      *shmem
	page     uint64
	mmShared bool
}

// futexKey computes the key of addr in m; a shared op takes the page as
// get_user_pages_fast(FOLL_WRITE) does, or read-only when it is not
// writable, and fails EFAULT when it cannot be read.
func (k *Kernel) futexKey(m *mm, addr uint64, private bool) (futexKey, abi.Errno) {
	va := addr &^ (abi.PageSize - 1)
	if private {
		return futexKey{m: m, page: va}, 0
	}
	i := m.vmas.find(va)
	if i < 0 || !k.userReadable(&m.vmas[i]) {
		return futexKey{}, abi.EFAULT
	}
	if !m.vmas[i].shared && !m.vmas[i].writable() {
		return futexKey{}, abi.EFAULT // a read-only anonymous page (get_futex_key, FUTEX-1b)
	}
	if m.vmas[i].writable() {
		if k.faultWrite(m, i, va) == nil {
			return futexKey{}, abi.EFAULT
		}
	} else if _, ok := k.faultRead(m, i, va); !ok {
		return futexKey{}, abi.EFAULT
	}
	if v := &m.vmas[i]; v.shared {
		return futexKey{shm: v.shm, page: v.shmPage(va)}, 0
	}
	return futexKey{m: m, page: va, mmShared: true}, 0
}

// sysFutex is futex(2): FUTEX_WAIT/FUTEX_WAKE and the _BITSET forms with
// the bitset FUTEX_BITSET_MATCH_ANY; ENOSYS for unknown commands and a
// misplaced FUTEX_CLOCK_REALTIME; the other commands were refused.
func (k *Kernel) sysFutex(t *task, f abi.Futex) abi.Result {
	op := i32(f.Op)
	if abi.FutexENOSYS(op) {
		return abi.Fail(abi.ENOSYS)
	}
	private := op&abi.FUTEX_PRIVATE_FLAG != 0
	key, e := k.futexKey(t.mm, f.Addr, private)
	if e != 0 {
		return abi.Fail(e)
	}
	if c := op & abi.FUTEX_CMD_MASK; c == abi.FUTEX_WAKE || c == abi.FUTEX_WAKE_BITSET {
		return abi.Ok(uint64(k.futexWake(key, int(int32(uint32(f.Val))))))
	}
	va := f.Addr &^ (abi.PageSize - 1)
	i := t.mm.vmas.find(va)
	if i < 0 || !k.userReadable(&t.mm.vmas[i]) {
		return abi.Fail(abi.EFAULT)
	}
	val, ok := k.faultRead(t.mm, i, va)
	if !ok {
		return abi.Fail(abi.EFAULT)
	}
	if uint32(val) != uint32(f.Val) {
		return abi.Fail(abi.EAGAIN)
	}
	s := &sleep{call: f, key: key}
	k.futexq = append(k.futexq, t)
	return k.sleepOn(t, s)
}

// futexWake wakes up to nr (at least one) tasks queued on key: SCHED_FIFO
// ones in queue order, then init's (the plist is sorted by priority).
func (k *Kernel) futexWake(key futexKey, nr int) int {
	limit := max(nr, 1)
	woken := 0
	for _, initPass := range []bool{false, true} {
		for i := 0; i < len(k.futexq) && woken < limit; {
			t := k.futexq[i]
			if (t.g.tgid == 1) != initPass || t.sl.key != key {
				i++
				continue
			}
			k.futexq = append(k.futexq[:i], k.futexq[i+1:]...)
			t.sl.woken = true
			k.wake(t)
			woken++
		}
	}
	return woken
}

// unqueueFutex takes t off the futex queue (its sleep ended otherwise).
func (k *Kernel) unqueueFutex(t *task) {
	for i, u := range k.futexq {
		if u == t {
			k.futexq = append(k.futexq[:i], k.futexq[i+1:]...)
			return
		}
	}
}

// mmRelease is mm_release: clear_child_tid (store 0, wake one shared
// waiter) when another task still uses m, then the vfork parent.
func (k *Kernel) mmRelease(t *task, m *mm, byExec bool) {
	if a := t.ctid; a != 0 {
		t.ctid = 0
		if m.users > 1 {
			k.putUser32(m, a, 0)
			if key, e := k.futexKey(m, a, false); e == 0 {
				k.futexWake(key, 1)
			}
		}
	}
	k.releaseVforkParent(t, byExec)
}
