package impl

import "testing"

func TestFramePoolAllocPut(t *testing.T) {
	p := newFramePool(4) // the zero frame + 3
	if p.used != 1 || p.available() != 3 {
		t.Fatalf("fresh pool: used %d available %d", p.used, p.available())
	}
	var got []uint32
	for range 3 {
		f, ok := p.alloc()
		if !ok || f == zeroFrame {
			t.Fatalf("alloc = %d, %v", f, ok)
		}
		if m := p.meta(f); m.ref != 1 || m.mapc != 0 || m.val != 0 {
			t.Fatalf("fresh frame %d meta %+v", f, *m)
		}
		got = append(got, f)
	}
	if _, ok := p.alloc(); ok {
		t.Fatal("alloc succeeded on an exhausted pool")
	}
	p.meta(got[1]).val = 42
	p.meta(got[1]).ref++
	p.put(got[1])
	if p.used != 4 {
		t.Fatalf("put of a shared frame freed it: used %d", p.used)
	}
	p.put(got[1])
	if p.used != 3 || p.available() != 1 {
		t.Fatalf("after last put: used %d available %d", p.used, p.available())
	}
	f, ok := p.alloc()
	if !ok || f != got[1] || p.meta(f).val != 0 {
		t.Fatalf("reuse: got frame %d (ok %v, val %d), want %d zeroed", f, ok, p.meta(f).val, got[1])
	}
}

func TestFramePoolIsLazy(t *testing.T) {
	p := newFramePool(DefaultFrames)
	n := 0
	for _, c := range p.chunks {
		if c != nil {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d metadata chunks allocated for one frame, want 1", n)
	}
	for range chunkFrames {
		p.alloc()
	}
	if p.chunks[1] == nil {
		t.Fatal("second chunk not allocated once its first frame was handed out")
	}
}

func TestFramePoolPutUnderflowPanics(t *testing.T) {
	p := newFramePool(2)
	f, _ := p.alloc()
	p.put(f)
	defer func() {
		if recover() == nil {
			t.Fatal("put of a free frame did not panic")
		}
	}()
	p.put(f)
}
