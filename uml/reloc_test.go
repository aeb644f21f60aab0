package uml

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/linux"
)

// umlSpace is the layout the oracle takes in Debian's User-Mode Linux 6.1
// (TASK_SIZE 0x7fc0000000, measured).
func umlSpace(t *testing.T) linux.Space {
	t.Helper()
	s, err := linux.SpaceFor(0x7fc0000000)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRelocKeepsPageTableBoundaries: every arena address the generator and
// the corpus use lands on the same side of every 2 MiB and 1 GiB boundary
// in the guest, and comes back unchanged.
func TestRelocKeepsPageTableBoundaries(t *testing.T) {
	r := newReloc(umlSpace(t))
	for _, off := range []uint64{0, 0x1000, 0x1fe000, 0x1ff000, 0x200000, 0x201000, 0x3ff000, 0x400000,
		0x3ffff000, 0x40000000, 0x40001000, 0x1000000000} {
		a := abi.ArenaStart + off
		g, ok := r.in(a)
		if !ok {
			t.Fatalf("arena address %#x has no guest address", a)
		}
		if g%(1<<30) != a%(1<<30) {
			t.Errorf("%#x -> %#x: its offset in its 1 GiB (and 2 MiB) table changed", a, g)
		}
		if back, ok := r.out(g); !ok || back != a {
			t.Errorf("%#x -> %#x -> %#x, %v", a, g, back, ok)
		}
	}
}

// TestRelocRegions: the low pages map to themselves, the end of user space
// to the guest's end, the kernel half to itself; the rest has no place.
func TestRelocRegions(t *testing.T) {
	s := umlSpace(t)
	r := newReloc(s)
	for _, c := range []struct {
		a, want uint64
		ok      bool
	}{
		{0, 0, true},
		{0x1000, 0x1000, true},
		{abi.MmapMinAddr, abi.MmapMinAddr, true},
		{abi.TaskSize - abi.PageSize, s.TaskSize - abi.PageSize, true},
		{abi.TaskSize, s.TaskSize, true},
		{abi.TaskSize - 2*abi.PageSize, s.TaskSize - 2*abi.PageSize, true},
		{1 << 63, 1 << 63, true},
		{^uint64(0), ^uint64(0), true},
		{abi.ArenaStart + 0x8000000000, 0, false}, // a 512 GiB boundary: none in 511 GiB
		{abi.ArenaEnd - 0x10000, 0, false},
		{0x400000000, 0, false}, // 16 GiB: between the low pages and the arena
		{abi.TaskSize - 3*abi.PageSize, 0, false},
	} {
		g, ok := r.in(c.a)
		if ok != c.ok || ok && g != c.want {
			t.Errorf("in(%#x) = %#x, %v; want %#x, %v", c.a, g, ok, c.want, c.ok)
		}
	}
	// A range must stay in its region; a length Linux rejects by itself
	// keeps only its start.
	for _, c := range []struct {
		a, n uint64
		ok   bool
	}{
		{abi.ArenaStart, 0x40000000, true},
		{abi.TaskSize - abi.PageSize, 0x2000, true}, // past TASK_SIZE: ENOMEM in both
		{abi.ArenaStart + (s.ArenaEnd - s.ArenaStart) - abi.PageSize, 0x2000, false},
		{0x1000, 0x40000000, false}, // leaves the low region
		{0x1000, 0, true},
		{abi.ArenaStart, ^uint64(0), true}, // wraps: EINVAL/ENOMEM by length
	} {
		if _, ok := r.inRange(c.a, c.n); ok != c.ok {
			t.Errorf("inRange(%#x, %#x) = %v, want %v", c.a, c.n, ok, c.ok)
		}
	}
	if sc, why := r.syscall(abi.Store{Addr: abi.ArenaStart + 0x8000000000}); sc != nil || why == "" {
		t.Errorf("a store at 512 GiB into the arena: %v, %q; want refused with a reason", sc, why)
	}
	if sc, why := r.syscall(abi.Mmap{Len: 0x1000, Prot: 3, Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS}); why != "" || sc.(abi.Mmap).Addr != 0 {
		t.Errorf("a hint-less mmap: %v, %q", sc, why)
	}
}

// TestRelocView: a guest View comes back in trace addresses, keeping nil
// and empty slices apart.
func TestRelocView(t *testing.T) {
	s := umlSpace(t)
	r := newReloc(s)
	g := abi.View{Mms: []abi.MmView{
		{ID: 1, Mappings: []abi.MappingView{{Start: s.ArenaStart, End: s.ArenaStart + 0x2000, Prot: 3}},
			Pages: []abi.PageView{{Addr: s.ArenaStart + 0x1000, Value: 7, Frame: 1}}},
		{ID: 2, Mappings: []abi.MappingView{}},
	}}
	v, err := r.view(g)
	if err != nil {
		t.Fatal(err)
	}
	if m := v.Mms[0].Mappings[0]; m.Start != abi.ArenaStart || m.End != abi.ArenaStart+0x2000 {
		t.Errorf("mapping %#x-%#x", m.Start, m.End)
	}
	if p := v.Mms[0].Pages[0]; p.Addr != abi.ArenaStart+0x1000 || p.Value != 7 {
		t.Errorf("page %+v", p)
	}
	if v.Mms[1].Mappings == nil || v.Mms[1].Pages != nil {
		t.Errorf("nil and empty slices mixed up: %+v", v.Mms[1])
	}
	if g.Mms[0].Mappings[0].Start != s.ArenaStart {
		t.Error("view changed its argument")
	}
	bad := abi.View{Mms: []abi.MmView{{ID: 1, Mappings: []abi.MappingView{{Start: 0x400000000, End: 0x400001000}}}}}
	if _, err := r.view(bad); err == nil {
		t.Error("a guest mapping outside the regions was relocated")
	}
	if id := newReloc(linux.HostSpace); id.regions[0] != (linux.Region{First: 0, Last: ^uint64(0), Guest: 0}) {
		t.Errorf("the host's space is not the identity: %+v", id.regions)
	}
}

// TestSpaceForUML: the layout chosen for User-Mode Linux holds the arena
// offsets the corpus uses and keeps the agent out of the top pages.
func TestSpaceForUML(t *testing.T) {
	s := umlSpace(t)
	if s.ArenaStart%(1<<30) != 0 || s.ArenaEnd-s.ArenaStart < 0x40002000 {
		t.Errorf("arena %#x-%#x", s.ArenaStart, s.ArenaEnd)
	}
	if s.ZoneEnd > s.TaskSize-2*abi.PageSize || !s.ReserveAll || !s.DropVdso {
		t.Errorf("space %+v", s)
	}
	if h, err := linux.SpaceFor(abi.TaskSize); err != nil || h != linux.HostSpace {
		t.Errorf("SpaceFor(host TASK_SIZE) = %+v, %v", h, err)
	}
	if _, err := linux.SpaceFor(32 << 30); err == nil {
		t.Error("a 32 GiB address space was accepted")
	}
}

// TestRelocClip: a munmap, mprotect or madvise that runs past its region is
// cut at the region's end, where the trace can hold only a hole; an
// mprotect or madvise that then succeeds fails ENOMEM for the hole.
func TestRelocClip(t *testing.T) {
	s := umlSpace(t)
	r := newReloc(s)
	arena := s.ArenaEnd - s.ArenaStart
	sc, why, clipped := r.syscallClipped(abi.Munmap{Addr: abi.ArenaStart, Len: abi.ArenaEnd - abi.ArenaStart})
	if why != "" || !clipped || sc != (abi.Munmap{Addr: s.ArenaStart, Len: arena}) {
		t.Errorf("munmap of the whole arena: %v, %q, %v", sc, why, clipped)
	}
	sc, _, clipped = r.syscallClipped(abi.Mprotect{Addr: 0x1000, Len: 0x40000000, Prot: 1})
	if !clipped || sc != (abi.Mprotect{Addr: 0x1000, Len: 1<<30 - 0x1000, Prot: 1}) {
		t.Errorf("mprotect past the low pages: %v, %v", sc, clipped)
	}
	if got := clippedResult(sc, abi.Ok(0)); got != abi.Fail(abi.ENOMEM) {
		t.Errorf("a clipped mprotect that succeeded: %v, want ENOMEM", got)
	}
	if got := clippedResult(abi.Munmap{}, abi.Ok(0)); got != abi.Ok(0) {
		t.Errorf("a clipped munmap: %v", got)
	}
	if got := clippedResult(sc, abi.Fail(abi.EINVAL)); got != abi.Fail(abi.EINVAL) {
		t.Errorf("a clipped mprotect that failed: %v", got)
	}
	// Past TASK_SIZE Linux fails the call by its length: nothing is cut.
	if sc, _, clipped = r.syscallClipped(abi.Munmap{Addr: abi.ArenaStart, Len: abi.TaskSize}); clipped || sc.(abi.Munmap).Len != abi.TaskSize {
		t.Errorf("a munmap past TASK_SIZE: %v, %v", sc, clipped)
	}
}
