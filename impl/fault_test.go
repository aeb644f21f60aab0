package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

const scratch = 0x100010000000

func TestLoadMapsZeroFrameStoreAllocates(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, "1 mmap 0x100010000000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED")
	before := k.FramesInUse()
	run(t, k, "1 load 0x100010000000 -> 0")
	if e := pteAt(k, 1, scratch); !e.present() || e.frame() != zeroFrame || e.writable() {
		t.Fatalf("load of an untouched page: PTE %#x, want the read-only zero frame", e)
	}
	if got := k.FramesInUse() - before; got != 1 { // one new leaf table, no data frame
		t.Fatalf("load used %d frames, want 1 (a leaf table only)", got)
	}
	run(t, k, "1 store 0x100010000000 7 -> 0")
	e := pteAt(k, 1, scratch)
	if e.frame() == zeroFrame || !e.writable() || k.frames.meta(e.frame()).val != 7 {
		t.Fatalf("store: PTE %#x, want a fresh writable frame holding 7", e)
	}
	if s := k.Stats(); s.ZeroMaps != 1 || s.ZeroFills != 1 || s.COWCopies != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCOWCopyThenReuse(t *testing.T) {
	k := New(abi.Config{}, WithOnDemandFork(false))
	run(t, k, "1 fork -> 2")
	pe, ce := pteAt(k, 1, initData), pteAt(k, 2, initData)
	if pe.frame() != ce.frame() || pe.writable() || ce.writable() || pe&pteCOW == 0 {
		t.Fatalf("after fork: parent %#x child %#x, want one read-only COW frame", pe, ce)
	}
	if m := k.frames.meta(pe.frame()); m.ref != 2 || m.mapc != 2 {
		t.Fatalf("shared frame meta %+v, want ref 2 mapc 2", *m)
	}
	run(t, k, "2 store 0x100000200000 0x99 -> 0")
	ce = pteAt(k, 2, initData)
	if ce.frame() == pe.frame() || !ce.writable() || k.frames.meta(pe.frame()).ref != 1 {
		t.Fatalf("COW copy: child %#x parent %#x", ce, pe)
	}
	run(t, k, "1 load 0x100000200000 -> 0x21")
	inUse := k.FramesInUse()
	run(t, k, "1 store 0x100000200000 0x22 -> 0")
	if k.FramesInUse() != inUse || pteAt(k, 1, initData).frame() != pe.frame() || !pteAt(k, 1, initData).writable() {
		t.Fatal("store to an exclusive COW frame did not reuse it in place")
	}
	if s := k.Stats(); s.COWCopies != 1 || s.COWReuses != 1 {
		t.Fatalf("stats %+v, want one copy and one reuse", s)
	}
}

func TestSharedPageOneFrame(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 mmap 0x100010000000 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED
		1 fork -> 2
		2 load 0x100010000000 -> 0
		1 store 0x100010000000 5 -> 0
		2 load 0x100010000000 -> 5
	`)
	if a, b := pteAt(k, 1, scratch).frame(), pteAt(k, 2, scratch).frame(); a != b || a == zeroFrame {
		t.Fatalf("shared page frames %d and %d, want one data frame", a, b)
	}
	if m := k.frames.meta(pteAt(k, 1, scratch).frame()); m.ref != 3 || m.mapc != 2 {
		t.Fatalf("shared frame meta %+v, want ref 3 (object + 2 PTEs), mapc 2", *m)
	}
	if s := k.Stats(); s.SharedFills != 1 || s.COWCopies != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSegvDoesNotTouchMemory(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, "1 fork -> 2")
	before := k.FramesInUse()
	run(t, k, "2 store 0x100000000000 1 -> killed(SIGSEGV)")
	if k.FramesInUse() >= before {
		t.Fatalf("frames in use %d -> %d: the dead child's tables were not freed", before, k.FramesInUse())
	}
}
