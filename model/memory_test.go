package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestMEM1_PrivateIsCopyOnWrite(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 store 0x100000200000 1 -> 0
		2 fork -> 3
		3 store 0x100000200000 3 -> 0
		2 load 0x100000200000 -> 1
		2 store 0x100000200000 2 -> 0
		3 load 0x100000200000 -> 3
		1 load 0x100000200000 -> 0x21
	`)
}

func TestMEM2_SharedStaysShared(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 mmap 0x100000400000 0x2000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 store 0x100000400000 5 -> 0
		2 fork -> 3
		3 load 0x100000400000 -> 5
		3 store 0x100000401000 6 -> 0
		2 load 0x100000401000 -> 6
		# where both still map it
		3 munmap 0x100000400000 0x1000 -> 0
		2 store 0x100000400000 7 -> 0
		3 load 0x100000400000 -> killed(SIGSEGV)
		2 load 0x100000401000 -> 6
	`)
}

func TestMEM3_FixedAndFaults(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 store 0x100000200000 9 -> 0
		# MAP_FIXED replaces; fresh memory reads zero
		2 mmap 0x100000200000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000200000
		2 load 0x100000200000 -> 0
		2 load 0x100000201000 -> 0x22
		2 mmap 0x100000200000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE -> EEXIST
		2 mmap 0x100000200001 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> EINVAL
		2 mmap 0 0 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS -> EINVAL
		2 mmap 0 0x1000 PROT_READ MAP_PRIVATE -> EBADF
		2 mmap 0 0x1000 PROT_READ MAP_SHARED|MAP_PRIVATE|MAP_ANONYMOUS -> EINVAL
		2 mmap 0 0x1000 PROT_READ MAP_ANONYMOUS -> EINVAL
		2 mmap 0 0x1000 0x10 MAP_PRIVATE|MAP_ANONYMOUS -> 0x1ffffffff000
		2 munmap 0x1ffffffff000 0x1000 -> 0
		2 mmap 0x7ffffffff000 0x1000 PROT_WRITE MAP_FIXED|MAP_ANONYMOUS -> ENOMEM
		2 mmap 0x1000 0x2000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS -> 0x10000
		2 munmap 0x10000 0x2000 -> 0
		2 mmap 0x100000600000 0x1000 PROT_READ|8 MAP_PRIVATE|MAP_ANONYMOUS -> 0x100000600000
		2 mmap 0x7ffffffff000 0x2000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> ENOMEM
		# a hint that is free is used; one that is taken is not
		2 mmap 0x100000700000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS -> 0x100000700000
		2 mmap 0x100000700000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS -> 0x1ffffffff000
		2 mmap 0 0x2000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS -> 0x1fffffffd000
		# read-only store, PROT_NONE load, unmapped load
		2 mprotect 0x100000700000 0x1000 PROT_NONE -> 0
		2 fork -> 3
		3 store 0x100000000000 1 -> killed(SIGSEGV)
		2 fork -> 4
		4 load 0x100000700000 -> killed(SIGSEGV)
		2 fork -> 5
		5 load 0x300000000000 -> killed(SIGSEGV)
		# write-only is readable (x86)
		2 mprotect 0x100000700000 0x1000 PROT_WRITE -> 0
		2 load 0x100000700000 -> 0
	`)
}

func TestMEM4_MunmapMprotectEdges(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 munmap 0x100000200000 0 -> EINVAL
		2 munmap 0x100000200001 0x1000 -> EINVAL
		2 munmap 0x7ffffffff000 0x2000 -> EINVAL
		2 munmap 0x100000600000 0x1000 -> 0
		2 mprotect 0x100000200001 0x1000 PROT_READ -> EINVAL
		2 mprotect 0x100000200000 0 9 -> 0
		2 mprotect 0x100000200000 0x1000 0x11 -> EINVAL
		2 mprotect 0x100000200000 0x1000 PROT_GROWSDOWN -> EINVAL
		2 mprotect 0x100000200000 0x1000 PROT_READ|PROT_WRITE|8 -> 0
		# a hole: ENOMEM, the pages before it already changed
		2 mprotect 0x100000201000 0x2000 PROT_READ -> ENOMEM
		2 store 0x100000200000 1 -> 0
		2 fork -> 3
		3 store 0x100000201000 1 -> killed(SIGSEGV)
		# partial munmap splits
		2 mmap 0x100000400000 0x3000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 store 0x100000402000 4 -> 0
		2 munmap 0x100000401000 0x1000 -> 0
		2 load 0x100000402000 -> 4
		2 mprotect 0x100000400000 0x3000 PROT_READ -> ENOMEM
	`)
	m, ok := w.mapping(2, fresh)
	eq(t, "first part changed", ok && m.Prot == abi.PROT_READ, true)
	m, _ = w.mapping(2, fresh+0x2000)
	eq(t, "part after the hole unchanged", m.Prot, abi.PROT_READ|abi.PROT_WRITE)
	m, _ = w.mapping(2, data1)
	eq(t, "mprotect before hole", m.Prot, abi.PROT_READ)
}

func TestMEM5_Madvise(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 store 0x100000400000 4 -> 0
		2 madvise 0x100000400000 0x1000 MADV_WIPEONFORK -> EINVAL
		2 madvise 0x100000400000 0 MADV_WIPEONFORK -> 0
		2 madvise 0x100000400001 0x1000 MADV_DONTFORK -> EINVAL
		2 madvise 0x100000400000 0x1000 77 -> EINVAL
		2 madvise 0x100000400000 0x1000 MADV_NORMAL -> 0
		# DONTNEED: private pages read zero again; shared content stays
		2 store 0x100000200000 8 -> 0
		2 madvise 0x100000200000 0x1000 MADV_DONTNEED -> 0
		2 load 0x100000200000 -> 0
		2 load 0x100000201000 -> 0x22
		2 madvise 0x100000400000 0x1000 MADV_DONTNEED -> 0
		2 load 0x100000400000 -> 4
		# a hole: the mapped parts get the advice, ENOMEM
		2 madvise 0x100000201000 0x2000 MADV_DONTFORK -> ENOMEM
	`)
	m, _ := w.mapping(2, data1)
	eq(t, "mapped part before the hole marked", m.DontFork, true)
	m, _ = w.mapping(2, data0)
	eq(t, "outside the range unmarked", m.DontFork, false)
	if w.frame(2, data0) != 0 {
		t.Fatal("DONTNEED left a frame")
	}
	// madvise_walk_vmas skips holes and goes on: a mapping after the hole
	// is marked too.
	w.run(`
		2 mmap 0x100000300000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000300000
		2 madvise 0x100000201000 0x100000 MADV_WIPEONFORK -> ENOMEM
	`)
	m, _ = w.mapping(2, data1)
	eq(t, "marked before the hole", m.WipeOnFork, true)
	m, _ = w.mapping(2, abi.ArenaStart+0x300000)
	eq(t, "marked after the hole", m.WipeOnFork, true)
	// WIPEONFORK reaching the shared mapping after private ones: EINVAL, the
	// private mapping before it already marked.
	w.run(`
		2 mmap 0x1000003ff000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x1000003ff000
		2 madvise 0x1000003ff000 0x2000 MADV_WIPEONFORK -> EINVAL
	`)
	m, _ = w.mapping(2, fresh-0x1000)
	eq(t, "vma before the shared one marked", m.WipeOnFork, true)
}

func TestMEM6_MarksIgnoredByCloneVm(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 store 0x100000200000 3 -> 0
		2 madvise 0x100000200000 0x1000 MADV_DONTFORK -> 0
		2 madvise 0x100000201000 0x1000 MADV_WIPEONFORK -> 0
		2 store 0x100000201000 4 -> 0
		2 clone ` + threadFlags + ` -> 3
		3 load 0x100000200000 -> 3
		3 load 0x100000201000 -> 4
		2 vfork -> 4 frozen
		4 load 0x100000200000 -> 3
		4 load 0x100000201000 -> 4
	`)
}

func TestCOW1_ForkSharesFrames(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 store 0x100000201000 1 -> 0
		2 fork -> 3
	`)
	for _, a := range []uint64{roPage, data0, data1} {
		f := w.frame(2, a)
		if f == 0 || w.frame(3, a) != f {
			t.Fatalf("page %#x: parent frame %d, child frame %d", a, f, w.frame(3, a))
		}
	}
}

func TestCOW2_StoreToSharedFrameCopies(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 fork -> 3
	`)
	old := w.token(2, data0)
	w.run(`3 store 0x100000200000 5 -> 0`)
	nf := w.token(3, data0)
	if nf == 0 || nf == old || w.token(2, data0) != old {
		t.Fatalf("child frame %d, parent frame %d, old %d", nf, w.token(2, data0), old)
	}
	if w.frame(3, data0) == w.frame(2, data0) {
		t.Fatal("the View shows the copied page still shared")
	}
	w.run(`3 load 0x100000201000 -> 0x22`)
}

func TestCOW3_ExclusiveFrameReused(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 store 0x100000200000 1 -> 0
		2 fork -> 3
		3 execve true -> execed
	`)
	f := w.token(2, data0)
	w.run(`2 store 0x100000200000 8 -> 0`)
	eq(t, "frame after exec'd child", w.token(2, data0), f)
	w.run(`
		2 fork -> 4
		4 exit 0 -> exited
	`)
	f = w.token(2, data0)
	w.run(`2 store 0x100000200000 9 -> 0`)
	eq(t, "frame after exited child", w.token(2, data0), f)
	// Still shared with init (2 was forked from it): data1 copies.
	g := w.token(2, data1)
	w.run(`2 store 0x100000201000 9 -> 0`)
	if w.token(2, data1) == g {
		t.Fatal("store to a frame init still maps did not copy")
	}
}

func TestCOW4_SharedNeverCopied(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 fork -> 3
		3 store 0x100000400000 1 -> 0
		2 store 0x100000400000 2 -> 0
	`)
	f := w.frame(2, fresh)
	if f == 0 || w.frame(3, fresh) != f {
		t.Fatalf("shared page frames %d and %d", f, w.frame(3, fresh))
	}
}

func TestCOW5_NoLeak(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 store 0x100000200000 1 -> 0
		2 fork -> 3
		3 store 0x100000200000 3 -> 0
		3 fork -> 4
		4 munmap 0x100000200000 0x1000 -> 0
		4 mmap 0x100000200000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000200000
		4 store 0x100000200000 4 -> 0
		3 execve sh -> execed
		2 load 0x100000200000 -> 1
		4 load 0x100000200000 -> 4
		1 load 0x100000200000 -> 0x21
	`)
}

func TestCOW6_FramesConserved(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 store 0x100000200000 1 -> 0
		2 mmap 0x100000400000 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 store 0x100000400000 1 -> 0
		2 fork -> 3
		3 exit_group 0 -> exited
		2 exit_group 0 -> exited
		1 wait4 -1 0 -> 2
		1 wait4 -1 0 -> 3
	`)
	// Only init's own pages hold frames now.
	v := w.k.View()
	eq(t, "mms", len(v.Mms), 1)
	eq(t, "init's frames", len(v.Mms[0].Pages), 3)
}

func TestCOW7_UntouchedPagesHoldNoFrame(t *testing.T) {
	w := newWorld(t)
	w.run(`
		1 fork -> 2
		2 mmap 0x100000400000 0x2000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED -> 0x100000400000
		2 load 0x100000400000 -> 0
	`)
	eq(t, "loaded private page", w.frame(2, fresh), 0)
	w.run(`2 store 0x100000401000 0 -> 0`)
	if w.frame(2, fresh+0x1000) == 0 {
		t.Fatal("a stored page holds no frame")
	}
	w.run(`
		2 mmap 0x100000600000 0x1000 PROT_READ MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100000600000
	`)
	eq(t, "untouched shared page", w.frame(2, fresh+0x200000), 0)
	w.run(`2 load 0x100000600000 -> 0`)
	if w.frame(2, fresh+0x200000) == 0 {
		t.Fatal("a loaded shared page holds no frame")
	}
}
