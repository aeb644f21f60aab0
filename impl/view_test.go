package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

func TestViewListsDataFramesOnly(t *testing.T) {
	k := New(abi.Config{})
	run(t, k, `
		1 mmap 0x100010000000 0x3000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED
		1 mmap 0x100020000000 0x1000 PROT_READ MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED
		1 load 0x100020000000 -> 0
		1 load 0x100010001000 -> 0
		1 fork -> 2
	`)
	v := k.View()
	if len(v.Mms) != 2 {
		t.Fatalf("%d mms, want 2", len(v.Mms))
	}
	for _, m := range v.Mms {
		var addrs []uint64
		for _, p := range m.Pages {
			addrs = append(addrs, p.Addr)
		}
		// init's 3 image pages and the touched shared page; not the
		// zero-mapped private page, not the untouched shared pages.
		want := []uint64{initRO, initData, initData + 0x1000, 0x100010001000}
		if len(addrs) != len(want) {
			t.Fatalf("mm %d pages %#x, want %#x", m.ID, addrs, want)
		}
		for i := range want {
			if addrs[i] != want[i] {
				t.Fatalf("mm %d pages %#x, want %#x", m.ID, addrs, want)
			}
		}
	}
	// The child never touched the shared page, yet it is backed by the
	// parent's frame (COW-4): same identity in both mms.
	if v.Mms[0].Pages[3].Frame != v.Mms[1].Pages[3].Frame {
		t.Fatal("the shared page shows two frames")
	}
	if pteAt(k, 2, 0x100010001000).present() {
		t.Fatal("fork copied a MAP_SHARED PTE; the child should refault it")
	}
}
