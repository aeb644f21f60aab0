package impl

import "testing"

func TestPageTableLeafAndZap(t *testing.T) {
	pool := newFramePool(64)
	var pt pageTable
	if !pt.init(&pool) {
		t.Fatal("init")
	}
	va := uint64(0x100000200000)
	l, x, ok := pt.leaf(va, &pool)
	if !ok || pt.pages != 4 || x != 0 {
		t.Fatalf("leaf: ok %v pages %d index %d, want 4 tables, index 0", ok, pt.pages, x)
	}
	f, _ := pool.alloc()
	pool.meta(f).mapc = 1
	setLeaf(l, x, mkPTE(f, pteWrite))
	if got, gx := pt.lookup(va); got != l || gx != x || !got.ent[gx].present() || got.ent[gx].frame() != f {
		t.Fatalf("lookup did not find the entry")
	}
	if got, _ := pt.lookup(va + leafSpan); got != nil {
		t.Fatal("lookup found a leaf table that was never made")
	}
	var dropped []uint64
	pt.zap(0, 1<<47, &pool, func(va uint64, e pte) {
		dropped = append(dropped, va)
		pool.meta(e.frame()).mapc--
		pool.put(e.frame())
	})
	if len(dropped) != 1 || dropped[0] != va {
		t.Fatalf("zap dropped %#x, want [%#x]", dropped, va)
	}
	if pt.pages != 1 || pool.used != 2 { // zero frame + root
		t.Fatalf("after zap: %d tables, %d frames used; want 1 and 2", pt.pages, pool.used)
	}
}

func TestPageTableWalkAcrossLeafBoundary(t *testing.T) {
	pool := newFramePool(64)
	var pt pageTable
	pt.init(&pool)
	lo := uint64(0x100000200000) - 0x1000
	for _, va := range []uint64{lo, lo + 0x1000} {
		l, x, _ := pt.leaf(va, &pool)
		setLeaf(l, x, mkPTE(zeroFrame, 0))
	}
	type call struct {
		base   uint64
		lo, hi int
	}
	var calls []call
	pt.walk(lo, lo+0x2000, func(l *ptPage, base uint64, a, b int) { calls = append(calls, call{base, a, b}) })
	want := []call{{0x100000000000, 511, 512}, {0x100000200000, 0, 1}}
	if len(calls) != 2 || calls[0] != want[0] || calls[1] != want[1] {
		t.Fatalf("walk calls %+v, want %+v", calls, want)
	}
}

func TestCopyRangeFreesEmptyTables(t *testing.T) {
	pool := newFramePool(64)
	var src, dst pageTable
	src.init(&pool)
	dst.init(&pool)
	l, x, _ := src.leaf(0x100000201000, &pool)
	setLeaf(l, x, mkPTE(zeroFrame, 0))
	copied := 0
	ok := dst.copyRange(&src, 0x100000200000, 0x100000201000, &pool, func(d, s *ptPage, lo, hi int) {
		for i := lo; i < hi; i++ {
			if s.ent[i].present() {
				d.ent[i] = s.ent[i]
				d.n++
				copied++
			}
		}
	}, nil)
	if !ok || copied != 0 || dst.pages != 1 {
		t.Fatalf("copy of a range with no entries: ok %v copied %d tables %d; want no tables left", ok, copied, dst.pages)
	}
	ok = dst.copyRange(&src, 0x100000200000, 0x100000202000, &pool, func(d, s *ptPage, lo, hi int) {
		for i := lo; i < hi; i++ {
			if s.ent[i].present() {
				d.ent[i] = s.ent[i]
				d.n++
				copied++
			}
		}
	}, nil)
	if !ok || copied != 1 || dst.pages != 4 {
		t.Fatalf("copy: ok %v copied %d tables %d; want 1 entry, 4 tables", ok, copied, dst.pages)
	}
}

func TestCopyRangeOutOfFrames(t *testing.T) {
	pool := newFramePool(6) // zero + 2 roots + 3 tables for src
	var src, dst pageTable
	src.init(&pool)
	dst.init(&pool)
	l, x, _ := src.leaf(0x100000200000, &pool)
	setLeaf(l, x, mkPTE(zeroFrame, 0))
	if dst.copyRange(&src, 0, 1<<47, &pool, func(d, s *ptPage, lo, hi int) {}, nil) {
		t.Fatal("copy succeeded without frames for the child's tables")
	}
}
