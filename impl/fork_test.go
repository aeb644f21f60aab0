package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestForkSharesFramesCloneVMSharesMM(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 fork -> 2
		1 clone CLONE_VM|SIGCHLD -> 3
		1 vfork -> 4 frozen
	`)
	if k.tasks[2].mm == k.tasks[1].mm || k.tasks[3].mm != k.tasks[1].mm || k.tasks[4].mm != k.tasks[1].mm {
		t.Fatal("fork must copy the mm, CLONE_VM and vfork share it")
	}
	if k.tasks[1].mm.users != 3 {
		t.Fatalf("users = %d, want 3", k.tasks[1].mm.users)
	}
	v := k.View()
	var frames []int
	for _, m := range v.Mms {
		for _, p := range m.Pages {
			if p.Addr == initData {
				frames = append(frames, p.Frame)
			}
		}
	}
	if len(frames) != 2 || frames[0] != frames[1] {
		t.Fatalf("COW-1: the data page's frames across mms %v, want one frame twice", frames)
	}
}

func TestForkMarks(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 mmap 0x100010000000 0x3000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		1 store 0x100010000000 1
		1 store 0x100010001000 2
		1 store 0x100010002000 3
		1 madvise 0x100010000000 0x1000 MADV_DONTFORK -> 0
		1 madvise 0x100010001000 0x1000 MADV_WIPEONFORK -> 0
		1 fork -> 2
		2 load 0x100010001000 -> 0
		2 load 0x100010002000 -> 3
	`)
	m := k.tasks[2].mm
	if m.vmas.find(scratch) >= 0 {
		t.Fatal("FORK-6: a DONTFORK range reached the child")
	}
	if i := m.vmas.find(scratch + 0x1000); i < 0 || !m.vmas[i].wipe {
		t.Fatal("FORK-6: the WIPEONFORK range must reach the child, still marked")
	}
	if e := pteAt(k, 2, scratch+0x1000); e.frame() != zeroFrame {
		t.Fatalf("the wiped page maps frame %d, want the zero frame after a load", e.frame())
	}
}

func TestCopyLeafCountsReferences(t *testing.T) {
	k := New(abi.Config{})
	src := k.tasks[1].mm
	l, _ := src.pt.lookup(initData)
	d := &ptPage{ent: new([ptEntries]pte)}
	f := l.ent[0].frame()
	k.copyLeaf(d, l, 0, ptEntries)
	if d.n != 2 || l.ent[0].writable() || d.ent[0] != l.ent[0] || k.frames.meta(f).ref != 2 || k.frames.meta(f).mapc != 2 {
		t.Fatalf("copyLeaf: n %d, src %#x dst %#x, meta %+v", d.n, l.ent[0], d.ent[0], *k.frames.meta(f))
	}
}
