package impl

import (
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// odBase is a 2 MiB-aligned private mapping used by the on-demand tests:
// three pages stored to in its first leaf table.
const odBase = abi.ArenaStart + 0x10000000

// odParent returns an on-demand kernel whose task 1 has stored 1, 2, 3 to
// the first three pages of a 4 MiB private mapping at odBase.
func odParent(t *testing.T, opts ...Option) *Kernel {
	t.Helper()
	k := New(abi.Config{}, append([]Option{WithOnDemandFork(true)}, opts...)...)
	run(t, k, `
		1 mmap 0x100010000000 0x400000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		1 store 0x100010000000 1
		1 store 0x100010001000 2
		1 store 0x100010002000 3
	`)
	return k
}

func leafOf(k *Kernel, tid int, va uint64) *ptPage {
	l, _ := k.tasks[tid].mm.pt.lookup(va)
	return l
}

func TestOnDemandForkSharesThenUnsharesAndReuses(t *testing.T) {
	k := odParent(t)
	run(t, k, "1 fork -> 2")
	l := leafOf(k, 1, odBase)
	if l == nil || leafOf(k, 2, odBase) != l || l.refs != 2 {
		t.Fatalf("fork did not share the leaf table: parent %p child %p", l, leafOf(k, 2, odBase))
	}
	f := pteAt(k, 1, odBase).frame()
	if r := k.frames.meta(f).ref; r != 1 {
		t.Fatalf("a shared table holds its frames once: ref %d, want 1", r)
	}
	if pteAt(k, 1, odBase).writable() {
		t.Fatal("the parent's entry stayed writable in a shared table")
	}
	// COW-2 through an unshare: the child's store copies the table, then the frame.
	run(t, k, `
		2 store 0x100010000000 9
		2 load 0x100010000000 -> 9
		1 load 0x100010000000 -> 1
		2 load 0x100010001000 -> 2
	`)
	st := k.Stats()
	if st.TableUnshares != 1 || leafOf(k, 2, odBase) == l || l.refs != 1 {
		t.Fatalf("child's store: unshares %d, child leaf still shared %v, refs %d", st.TableUnshares, leafOf(k, 2, odBase) == l, l.refs)
	}
	if r := k.frames.meta(pteAt(k, 1, odBase+abi.PageSize).frame()).ref; r != 2 {
		t.Fatalf("after the unshare the untouched frame has ref %d, want 2 (one per table)", r)
	}
	// The parent is now the table's only holder: reuse, then COW-3 in place.
	run(t, k, "1 store 0x100010000000 7")
	st = k.Stats()
	if st.TableReuses != 1 || leafOf(k, 1, odBase) != l || st.TableUnshares != 1 {
		t.Fatalf("parent's store: reuses %d unshares %d, same table %v", st.TableReuses, st.TableUnshares, leafOf(k, 1, odBase) == l)
	}
	if pteAt(k, 1, odBase).frame() != f || st.COWReuses != 1 {
		t.Fatalf("COW-3: the parent's frame %d (was %d), reuses %d", pteAt(k, 1, odBase).frame(), f, st.COWReuses)
	}
}

func TestOnDemandExitDropsSharedTable(t *testing.T) {
	k := odParent(t)
	run(t, k, `
		1 fork -> 2
		2 exit 0
		1 wait4 2 0 -> 2
		1 store 0x100010001000 5
		1 load 0x100010001000 -> 5
	`)
	st := k.Stats()
	if st.TableShares == 0 || st.TableUnshares != 0 || st.TableReuses != 1 {
		t.Fatalf("exit must drop the child's hold without copying: %+v", st)
	}
	if l := leafOf(k, 1, odBase); l.refs != 1 || !k.tasks[1].mm.pt.root.ent[ptIndex(odBase, 4)].present() {
		t.Fatalf("parent's table refs %d after the child exited", l.refs)
	}
}

func TestOnDemandPartialMunmapUnsharesWholeMunmapDrops(t *testing.T) {
	k := odParent(t)
	run(t, k, `
		1 fork -> 2
		2 munmap 0x100010001000 0x1000 -> 0
		2 load 0x100010001000 -> killed(SIGSEGV)
		1 load 0x100010001000 -> 2
		1 fork -> 3
		3 munmap 0x100010000000 0x200000 -> 0
		3 load 0x100010000000 -> killed(SIGSEGV)
		1 load 0x100010002000 -> 3
	`)
	st := k.Stats()
	if st.TableUnshares != 1 {
		t.Fatalf("a partial munmap unshares once, a whole-table munmap never: unshares %d", st.TableUnshares)
	}
}

func TestOnDemandDontforkAndSharedRangesCopiedEagerly(t *testing.T) {
	k := odParent(t)
	run(t, k, `
		1 madvise 0x100010003000 0x1000 MADV_DONTFORK -> 0
		1 mmap 0x100010200000 0x1000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED
		1 store 0x100010200000 4
		1 fork -> 2
		2 load 0x100010200000 -> 4
		1 store 0x100010200000 6
		2 load 0x100010200000 -> 6
	`)
	for _, va := range []uint64{odBase, odBase + leafSpan} {
		if leafOf(k, 2, va) == leafOf(k, 1, va) {
			t.Fatalf("the leaf at %#x meets a DONTFORK or MAP_SHARED vma and is shared", va)
		}
	}
	if k.Stats().TableShares == 0 {
		t.Fatal("the images' leaf tables were not shared")
	}
}

func TestOnDemandOffCopies(t *testing.T) {
	k := New(abi.Config{}, WithOnDemandFork(false))
	run(t, k, `
		1 mmap 0x100010000000 0x1000 PROT_READ|PROT_WRITE MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		1 store 0x100010000000 1
		1 fork -> 2
	`)
	if leafOf(k, 2, odBase) == leafOf(k, 1, odBase) || k.Stats().TableShares != 0 {
		t.Fatal("eager fork shared a table")
	}
}

func TestCheckInvariantsCatchesSharedTableErrors(t *testing.T) {
	for _, c := range []struct {
		name, want string
		break_     func(k *Kernel)
	}{
		{"writable entry", "in a shared table", func(k *Kernel) {
			l, x := k.tasks[1].mm.pt.lookup(odBase)
			l.ent[x] |= pteWrite
		}},
		{"refs", "refs 3, held by 2", func(k *Kernel) { leafOf(k, 1, odBase).refs = 3 }},
		{"writable upper entry", "writable entry", func(k *Kernel) {
			t := k.tasks[2].mm.pt.root
			for level := ptLevels; level > 2; level-- {
				t = t.kids[ptIndex(odBase, level)]
			}
			t.ent[ptIndex(odBase, 2)] |= pteWrite
		}},
		{"frame counted per mm", "refcount 2, references found 1", func(k *Kernel) {
			k.frames.meta(pteAt(k, 1, odBase).frame()).ref++
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := odParent(t)
			run(t, k, "1 fork -> 2")
			c.break_(k)
			err := k.CheckInvariants()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckInvariants = %v, want it to report %q", err, c.want)
			}
		})
	}
}

func TestOnDemandMunmapOutOfFramesFailsENOMEM(t *testing.T) {
	k := odParent(t, WithFrames(1024))
	run(t, k, "1 fork -> 2")
	for { // take every frame left, so the unshare cannot get one
		if _, ok := k.frames.alloc(); !ok {
			break
		}
	}
	if r := k.Step(2, abi.Munmap{Addr: odBase + abi.PageSize, Len: abi.PageSize}); r.Err != abi.ENOMEM {
		t.Fatalf("partial munmap of a shared table with no frame: %v, want ENOMEM", r)
	}
	if r := k.Step(2, abi.Load{Addr: odBase + abi.PageSize}); r != abi.Ok(2) {
		t.Fatalf("the failed munmap changed the mapping: load %v", r)
	}
}

func TestOnDemandFaultWithoutFrameForUnshareIsOOM(t *testing.T) {
	k := odParent(t, WithFrames(1024))
	run(t, k, "1 fork -> 2")
	for { // take every frame left, so the unshare cannot get one
		if _, ok := k.frames.alloc(); !ok {
			break
		}
	}
	if r := k.Step(2, abi.Store{Addr: odBase, Value: 5}); r != (abi.Result{Outcome: abi.OutcomeKilled, Signal: abi.SIGKILL}) {
		t.Fatalf("store needing an unshare with no frame: %v, want killed(SIGKILL)", r)
	}
	if r := k.Step(1, abi.Load{Addr: odBase}); r != abi.Ok(1) {
		t.Fatalf("the parent's page after the child's OOM: %v", r)
	}
}
