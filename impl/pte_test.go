package impl

import "testing"

func TestPTEPacking(t *testing.T) {
	for _, f := range []uint32{0, 1, 4095, 1 << 22, 1<<32 - 1} {
		e := mkPTE(f, pteWrite|pteCOW)
		if !e.present() || !e.writable() || e.frame() != f || e&pteUser == 0 || e&pteCOW == 0 || e&pteShared != 0 {
			t.Fatalf("mkPTE(%d) = %#x: bits or frame lost", f, e)
		}
		if r := e &^ pteWrite; r.writable() || r.frame() != f {
			t.Fatalf("clearing the write bit changed the frame: %#x", r)
		}
	}
	if pte(0).present() {
		t.Fatal("the zero entry is present")
	}
}
