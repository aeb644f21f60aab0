package model

import (
	"fmt"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// TestFrameID pins the frame identities FrameID reports across steps: a
// fork shares the frame (COW-1), a store to a shared frame gives the writer a
// new one (COW-2), a store to an exclusive frame keeps it (COW-3), a private
// page never stored to has none (COW-7), and a MAP_SHARED page has one frame
// for every mapper (COW-4).
func TestFrameID(t *testing.T) {
	w := newWorld(t)
	id := func(tid int, addr uint64) uint64 {
		t.Helper()
		f, ok := w.k.FrameID(tid, addr)
		if !ok {
			t.Fatalf("FrameID(%d, %#x): no frame", tid, addr)
		}
		return f
	}
	before := id(1, data0)
	w.run("1 fork -> 2")
	if got := id(2, data0); got != before {
		t.Errorf("child after fork: frame %d, want the parent's %d (COW-1)", got, before)
	}
	w.run("2 store " + hex(data0) + " 7")
	if got := id(2, data0); got == before {
		t.Errorf("child after its store: frame %d, want a new one (COW-2)", got)
	}
	if got := id(1, data0); got != before {
		t.Errorf("parent after the child's store: frame %d, want %d", got, before)
	}
	w.run("1 store " + hex(data0) + " 8")
	if got := id(1, data0); got != before {
		t.Errorf("parent's store to its now exclusive frame: %d, want %d kept (COW-3)", got, before)
	}
	w.run("1 mmap " + hex(fresh) + " 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> " + hex(fresh))
	if _, ok := w.k.FrameID(1, fresh); ok {
		t.Errorf("untouched shared page has a frame")
	}
	w.run("1 load " + hex(fresh) + " -> 0")
	w.run("1 fork -> 3")
	if a, b := id(1, fresh), id(3, fresh); a != b {
		t.Errorf("shared page: frames %d and %d, want one (COW-4)", a, b)
	}
	if _, ok := w.k.FrameID(1, data1+abi.PageSize*8); ok {
		t.Errorf("unmapped address has a frame")
	}
	if _, ok := w.k.FrameID(99, data0); ok {
		t.Errorf("missing task has a frame")
	}
	w.run("1 mmap " + hex(fresh+0x1000) + " 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED")
	w.run("1 load " + hex(fresh+0x1000) + " -> 0")
	if _, ok := w.k.FrameID(1, fresh+0x1000); ok {
		t.Errorf("private page only loaded has a frame (COW-7)")
	}
}

func hex(a uint64) string { return fmt.Sprintf("%#x", a) }
