package model

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// TestPlaceBottomUp: in the legacy layout a mapping without a usable hint
// takes the lowest free range from the arena's start (MEM-3,
// arch_get_unmapped_area), skipping ranges too small for it; top-down
// takes the highest below the arena's end.
func TestPlaceBottomUp(t *testing.T) {
	w := &world{t: t, k: New(abi.Config{Target: abi.Target{Layout: abi.LayoutBottomUp}})}
	for _, c := range []struct {
		call string
		want uint64
	}{
		// init maps [ArenaStart, +0x1000) and [+0x200000, +0x202000).
		{"mmap 0x0 0x2000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS", abi.ArenaStart + 0x1000},
		{"mmap 0x0 0x1fd000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS", abi.ArenaStart + 0x3000},
		{"mmap 0x0 0x2000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS", abi.ArenaStart + 0x202000},
		// a hint in use is no hint: placed bottom-up too
		{"mmap 0x100000200000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS", abi.ArenaStart + 0x204000},
	} {
		if r := w.do(1, c.call); r.Err != 0 || r.Ret != c.want {
			t.Errorf("%s -> %v, want %#x", c.call, r, c.want)
		}
	}
	top := &world{t: t, k: New(abi.Config{})}
	if r := top.do(1, "mmap 0x0 0x2000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS"); r.Ret != abi.ArenaEnd-0x2000 {
		t.Errorf("top-down: %v, want %#x", r, abi.ArenaEnd-0x2000)
	}
}
