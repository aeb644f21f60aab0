package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestVMASplitMerge(t *testing.T) {
	s := &shmem{refs: 1, pages: map[uint64]uint32{}}
	var l vmaList
	l.insert(vma{start: 0x10000, end: 0x20000, prot: 3})
	l.insert(vma{start: 0x30000, end: 0x34000, prot: 3, shared: true, shm: s})
	l.split(0x18000)
	l.split(0x32000)
	if len(l) != 4 || l[1].start != 0x18000 || l[3].pgoff != 2 || s.refs != 2 {
		t.Fatalf("after splits: %+v (shm refs %d)", l, s.refs)
	}
	if i := l.find(0x31fff); i != 2 {
		t.Fatalf("find(0x31fff) = %d, want 2", i)
	}
	if l.find(0x20000) != -1 || l.overlaps(0x20000, 0x30000) || !l.overlaps(0x1f000, 0x30001) {
		t.Fatal("find/overlaps wrong around the hole")
	}
	l[1].prot = 1
	l.merge()
	if len(l) != 3 {
		t.Fatalf("merge kept %d vmas, want 3: %+v", len(l), l)
	}
	l[1].prot = 3
	l.merge()
	if len(l) != 2 || s.refs != 1 {
		t.Fatalf("merge: %d vmas, shm refs %d; want 2 and 1", len(l), s.refs)
	}
}

func TestVMASharedNotMergedAcrossObjects(t *testing.T) {
	a := &shmem{refs: 1}
	b := &shmem{refs: 1}
	l := vmaList{{start: 0x10000, end: 0x11000, prot: 3, shared: true, shm: a}, {start: 0x11000, end: 0x12000, prot: 3, shared: true, shm: b}}
	l.merge()
	if len(l) != 2 {
		t.Fatal("vmas of two shared objects merged")
	}
}

func TestTopDown(t *testing.T) {
	var l vmaList
	if a, ok := l.topDown(0x3000); !ok || a != abi.ArenaEnd-0x3000 {
		t.Fatalf("empty: %#x %v", a, ok)
	}
	l.insert(vma{start: abi.ArenaEnd - 0x2000, end: abi.ArenaEnd + 0x1000, prot: 1})
	if a, ok := l.topDown(0x3000); !ok || a != abi.ArenaEnd-0x5000 {
		t.Fatalf("below an obstacle: %#x %v", a, ok)
	}
	l.insert(vma{start: abi.ArenaStart, end: abi.ArenaEnd - 0x3000, prot: 1})
	if a, ok := l.topDown(0x1000); !ok || a != abi.ArenaEnd-0x3000 {
		t.Fatalf("one-page gap: %#x %v", a, ok)
	}
	// MEM-3k: a full arena sends the search below it.
	if a, ok := l.topDown(0x2000); !ok || a != abi.ArenaStart-0x2000 {
		t.Fatalf("full arena: %#x %v, want just below the arena", a, ok)
	}
	l.insert(vma{start: abi.MmapMinAddr, end: abi.ArenaStart, prot: 1})
	if _, ok := l.topDown(0x2000); ok {
		t.Fatal("found room with everything below the arena's end mapped")
	}
}
