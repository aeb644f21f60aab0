package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestMprotectChangesPagesBeforeHole(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 mmap 0x100010000000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		1 mmap 0x100010003000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		1 store 0x100010000000 1 -> 0
		1 mprotect 0x100010000000 0x4000 PROT_READ -> ENOMEM
	`)
	m := k.tasks[1].mm
	if v := m.vmas[m.vmas.find(scratch)]; v.prot != abi.PROT_READ || v.end != scratch+0x2000 {
		t.Fatalf("MEM-4: the range before the hole must be read-only; vma %+v", v)
	}
	if e := pteAt(k, 1, scratch); e.writable() {
		t.Fatal("mprotect left a writable PTE in a read-only vma")
	}
	if v := m.vmas[m.vmas.find(scratch+0x3000)]; v.prot != abi.PROT_READ|abi.PROT_WRITE {
		t.Fatal("the vma after the hole must be untouched")
	}
}

func TestUnmapAndDontneedFreeFrames(t *testing.T) {
	k := New(abi.Config{})
	base := k.FramesInUse()
	run(t, k, `
		1 mmap 0x100010000000 0x3000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		1 store 0x100010000000 1
		1 store 0x100010001000 2
		1 store 0x100010002000 3
		1 madvise 0x100010001000 0x1000 MADV_DONTNEED -> 0
		1 load 0x100010001000 -> 0
	`)
	if got := k.FramesInUse() - base; got != 3 { // a leaf table and two data frames
		t.Fatalf("%d frames after DONTNEED, want 3", got)
	}
	run(t, k, `
		1 munmap 0x100010001000 0x1000 -> 0
		1 load 0x100010000000 -> 1
		1 load 0x100010002000 -> 3
	`)
	if n := len(k.tasks[1].mm.vmas); n != 4 {
		t.Fatalf("munmap in the middle: %d vmas, want 4 (init's 2 + 2 halves)", n)
	}
	run(t, k, "1 mmap 0x100010000000 0x3000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100010000000")
	if got := k.FramesInUse(); got != base {
		t.Fatalf("MAP_FIXED over the range left %d frames, want %d (tables and frames freed)", got, base)
	}
}
