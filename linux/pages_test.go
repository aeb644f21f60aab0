package linux

import (
	"runtime"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

var _ abi.FrameNamer = (*Kernel)(nil)

// TestObservingDoesNotBreakReuse: COW-3 on the real kernel with the world
// observed after every step, as a replay does. After the only other mapper
// exits (or execs), the parent's store keeps its frame, round after round,
// and no page value was read in a way that takes a page reference.
func TestObservingDoesNotBreakReuse(t *testing.T) {
	k := newWorld(t, abi.Config{})
	step := func(tid int, sc abi.Syscall) abi.Result {
		t.Helper()
		r := do(t, k, tid, sc)
		view(t, k)
		return r
	}
	const rounds = 20
	for i := range rounds {
		child := 2 + i
		if r := step(1, abi.Fork{}); r.Ret != uint64(child) {
			t.Fatalf("round %d: fork: %v", i, r)
		}
		before, ok := k.FrameID(1, data)
		if !ok {
			t.Fatalf("round %d: init's data page names no frame", i)
		}
		if c, _ := k.FrameID(child, data); c != before {
			t.Fatalf("round %d: COW-1: child frame %#x, parent %#x", i, c, before)
		}
		if i%2 == 0 {
			step(child, abi.ExitGroup{Code: 0})
			step(1, abi.Wait4{Pid: child})
		} else {
			step(child, abi.Execve{Image: "true"})
		}
		step(1, abi.Store{Addr: data, Value: uint64(0x100 + i)})
		if got, ok := k.FrameID(1, data); !ok || got != before {
			t.Fatalf("round %d: COW-3: the parent's store moved its frame from %#x to %#x (ok %v)", i, before, got, ok)
		}
		if i%2 == 1 {
			step(child, abi.ExitGroup{Code: 0})
			step(1, abi.Wait4{Pid: child})
		}
	}
	if k.intrusiveReads != 0 {
		t.Errorf("%d page values were read through /proc/PID/mem", k.intrusiveReads)
	}
}

// TestFrameIDNamesFramesAcrossSteps: FrameID is the pagemap PFN (the same
// number the raw helper reads), none for the zero page and unmapped
// addresses, and a stable name for MAP_SHARED pages.
func TestFrameIDNamesFramesAcrossSteps(t *testing.T) {
	k := newWorld(t, abi.Config{})
	if id, ok := k.FrameID(1, data+1); !ok || id != pfn(t, k, 1, data) {
		t.Fatalf("FrameID(1, data) = %#x, %v; pagemap says %#x", id, ok, pfn(t, k, 1, data))
	}
	const fresh = abi.ArenaStart + 0x800000
	do(t, k, 1, abi.Mmap{Addr: fresh, Len: 2 * abi.PageSize, Prot: abi.PROT_READ | abi.PROT_WRITE,
		Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED})
	do(t, k, 1, abi.Load{Addr: fresh})
	for _, addr := range []uint64{fresh, fresh + abi.PageSize, abi.ArenaEnd - abi.PageSize} {
		if id, ok := k.FrameID(1, addr); ok {
			t.Errorf("FrameID(1, %#x) = %#x: want none (zero page, absent, unmapped)", addr, id)
		}
	}
	if _, ok := k.FrameID(99, data); ok {
		t.Error("FrameID of a missing task names a frame")
	}
	const shm = abi.ArenaStart + 0xa00000
	do(t, k, 1, abi.Mmap{Addr: shm, Len: abi.PageSize, Prot: abi.PROT_READ | abi.PROT_WRITE,
		Flags: abi.MAP_SHARED | abi.MAP_ANONYMOUS | abi.MAP_FIXED})
	if _, ok := k.FrameID(1, shm); ok {
		t.Error("an untouched shared page names a frame")
	}
	do(t, k, 1, abi.Store{Addr: shm, Value: 1})
	do(t, k, 1, abi.Fork{})
	id1, ok1 := k.FrameID(1, shm)
	do(t, k, 2, abi.Store{Addr: shm, Value: 2})
	id2, ok2 := k.FrameID(2, shm)
	if !ok1 || !ok2 || id1 != id2 || id1>>63 != 1 {
		t.Errorf("shared page: parent %#x (%v), child after its store %#x (%v): want one shmem name", id1, ok1, id2, ok2)
	}
	if err := k.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestUnloadablePagesAreKnown: when every task of an address space is a
// frozen vfork parent, or a page is PROT_NONE, no task can load it; its
// value is what the step that made its frame stored (a store, an exec'd
// image's layout), with no View in between (as in a docs spec) and no read
// through /proc/PID/mem.
func TestUnloadablePagesAreKnown(t *testing.T) {
	k := newWorld(t, abi.Config{})
	do(t, k, 1, abi.Fork{})
	do(t, k, 2, abi.Store{Addr: data, Value: 0x5a})
	do(t, k, 2, abi.Store{Addr: data + abi.PageSize, Value: 0x5b})
	do(t, k, 2, abi.Mprotect{Addr: data + abi.PageSize, Len: abi.PageSize, Prot: abi.PROT_NONE})
	// clone(CLONE_VFORK) without CLONE_VM: the child gets a copy, the
	// parent's address space is left with its frozen parent alone.
	if r := do(t, k, 2, abi.Clone{Flags: abi.CLONE_VFORK | uint64(abi.SIGCHLD)}); r.Outcome != abi.OutcomeFrozen {
		t.Fatalf("clone(CLONE_VFORK): %v", r)
	}
	values := func(v abi.View, tid int) map[uint64]uint64 {
		vals := map[uint64]uint64{}
		for _, p := range v.Mms[taskView(t, v, tid).Mm-1].Pages {
			vals[p.Addr] = p.Value
		}
		return vals
	}
	v := view(t, k)
	if p := taskView(t, v, 2); p.State != abi.VforkFrozen {
		t.Fatalf("task 2 is %v, want frozen", p.State)
	}
	if vals := values(v, 2); vals[data] != 0x5a || vals[data+abi.PageSize] != 0x5b {
		t.Errorf("frozen parent's pages read %#x, %#x; want 0x5a, 0x5b", vals[data], vals[data+abi.PageSize])
	}
	// The child execs (releasing its parent) and hides its image's page.
	do(t, k, 3, abi.Execve{Image: "sh"})
	do(t, k, 3, abi.Mprotect{Addr: data, Len: abi.PageSize, Prot: abi.PROT_NONE})
	if vals := values(view(t, k), 3); vals[data] != 0x52 {
		t.Errorf("the exec'd image's PROT_NONE page reads %#x, want 0x52", vals[data])
	}
	if k.intrusiveReads != 0 {
		t.Errorf("%d page values were read through /proc/PID/mem", k.intrusiveReads)
	}
}

// TestHugeSparseMappingsViewCheaply: a PROT_NONE mapping over the whole 16
// TiB arena, with a stored page inside it, costs a View what its populated
// pages cost: allocations and pagemap entries read do not grow with the
// mapping's size (4 Gi pages). Not timed: bounded by counts.
func TestHugeSparseMappingsViewCheaply(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		name := "PAGEMAP_SCAN"
		if fallback {
			name = "chunked pagemap"
		}
		t.Run(name, func(t *testing.T) {
			noPageScan.Store(fallback)
			t.Cleanup(func() { noPageScan.Store(false) })
			k := newWorld(t, abi.Config{})
			size := abi.ArenaEnd - abi.ArenaStart
			mid := abi.ArenaStart + size/2
			if r := do(t, k, 1, abi.Mmap{Addr: abi.ArenaStart, Len: size, Prot: abi.PROT_NONE,
				Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED}); r.Ret != abi.ArenaStart {
				t.Fatalf("mmap of the whole arena: %v", r)
			}
			if !fallback {
				// A populated page inside the huge mapping: mprotect it
				// writable, store, and protect it again (the chunked
				// fallback reads such a mapping page by page: it is for
				// kernels before 6.7 only).
				do(t, k, 1, abi.Mprotect{Addr: mid, Len: abi.PageSize, Prot: abi.PROT_READ | abi.PROT_WRITE})
				do(t, k, 1, abi.Store{Addr: mid, Value: 0x77})
				do(t, k, 1, abi.Mprotect{Addr: mid, Len: abi.PageSize, Prot: abi.PROT_NONE})
			}
			view(t, k) // warm up
			var before, after runtime.MemStats
			entries := k.pagemapEntries
			runtime.ReadMemStats(&before)
			v := view(t, k)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("one View allocated %d bytes", alloc)
			}
			if n := k.pagemapEntries - entries; n > 4*scanChunk {
				t.Errorf("one View read %d pagemap entries", n)
			}
			pages := 0
			for _, m := range v.Mms {
				pages += len(m.Pages)
			}
			if want := map[bool]int{false: 1, true: 0}[fallback]; pages != want {
				t.Errorf("the View shows %d data pages, want %d: %+v", pages, want, v.Mms)
			}
		})
	}
}

// BenchmarkView measures one observation of a world of four processes,
// each with init's three data pages and 64 pages of its own stored to:
// go test ./linux -run '^$' -bench View.
func BenchmarkView(b *testing.B) {
	k := newWorld(b, abi.Config{})
	const mine = abi.ArenaStart + 0x1000000
	do(b, k, 1, abi.Mmap{Addr: mine, Len: 64 * abi.PageSize, Prot: abi.PROT_READ | abi.PROT_WRITE,
		Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED})
	for tid := 1; tid <= 4; tid++ {
		if tid > 1 {
			do(b, k, 1, abi.Fork{})
		}
		for p := range uint64(64) {
			k.Step(tid, abi.Store{Addr: mine + p*abi.PageSize, Value: p + 1})
		}
	}
	if err := k.Err(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		view(b, k)
	}
}

// TestExecAfterLeaderExitRecordsItsImage: a thread's exec after its leader
// exited retires the thread the driver reached the namespace's procfs
// through; recording the image's values must find the way again (make
// linux, seed 192).
func TestExecAfterLeaderExitRecordsItsImage(t *testing.T) {
	k := newWorld(t, abi.Config{})
	do(t, k, 1, abi.Clone3{Flags: abi.CLONE_VM | abi.CLONE_FS | abi.CLONE_FILES | abi.CLONE_SIGHAND | abi.CLONE_THREAD})
	do(t, k, 1, abi.Exit{Code: 0})
	if r := do(t, k, 2, abi.Execve{Image: "sh"}); r.Outcome != abi.OutcomeExeced {
		t.Fatalf("exec: %v", r)
	}
	do(t, k, 1, abi.Mprotect{Addr: data, Len: abi.PageSize, Prot: abi.PROT_NONE})
	v := view(t, k)
	if len(v.Mms) != 1 || len(v.Mms[0].Pages) != 2 || v.Mms[0].Pages[1].Value != 0x52 {
		t.Errorf("after the exec: %+v", v.Mms)
	}
	if k.intrusiveReads != 0 {
		t.Errorf("%d page values were read through /proc/PID/mem", k.intrusiveReads)
	}
}
