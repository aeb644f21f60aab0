package impl

import (
	"fmt"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// TestFrameID pins the frame identities FrameID reports across steps, in
// both fork modes: a fork shares the frame (COW-1), a store to a shared
// frame gives the writer a new one (COW-2), a store to an exclusive frame
// keeps it (COW-3), a page only loaded has none (COW-7), and a MAP_SHARED
// page has one frame for every mapper (COW-4).
func TestFrameID(t *testing.T) {
	for _, ondemand := range []bool{false, true} {
		t.Run(fmt.Sprintf("ondemand=%v", ondemand), func(t *testing.T) {
			k := New(abi.Config{}, WithOnDemandFork(ondemand))
			id := func(tid int, addr uint64) uint64 {
				t.Helper()
				f, ok := k.FrameID(tid, addr)
				if !ok {
					t.Fatalf("FrameID(%d, %#x): no frame", tid, addr)
				}
				return f
			}
			fresh := initData + 0x200000
			before := id(1, initData)
			run(t, k, "1 fork -> 2")
			if got := id(2, initData); got != before {
				t.Errorf("child after fork: frame %d, want the parent's %d (COW-1)", got, before)
			}
			run(t, k, fmt.Sprintf("2 store %#x 7", initData))
			if got := id(2, initData); got == before {
				t.Errorf("child after its store: frame %d, want a new one (COW-2)", got)
			}
			if got := id(1, initData); got != before {
				t.Errorf("parent after the child's store: frame %d, want %d", got, before)
			}
			run(t, k, fmt.Sprintf("1 store %#x 8", initData))
			if got := id(1, initData); got != before {
				t.Errorf("parent's store to its now exclusive frame: %d, want %d kept (COW-3)", got, before)
			}
			run(t, k, fmt.Sprintf("1 mmap %#x 0x2000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED", fresh))
			if _, ok := k.FrameID(1, fresh); ok {
				t.Errorf("untouched shared page has a frame")
			}
			run(t, k, fmt.Sprintf("1 load %#x -> 0\n1 fork -> 3", fresh))
			if a, b := id(1, fresh), id(3, fresh); a != b {
				t.Errorf("shared page: frames %d and %d, want one (COW-4)", a, b)
			}
			run(t, k, fmt.Sprintf("1 mmap %#x 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED\n1 load %#x -> 0", fresh+0x10000, fresh+0x10000))
			if _, ok := k.FrameID(1, fresh+0x10000); ok {
				t.Errorf("private page only loaded has a frame (COW-7)")
			}
			if _, ok := k.FrameID(99, initData); ok {
				t.Errorf("missing task has a frame")
			}
		})
	}
}
