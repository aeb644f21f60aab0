package impl

import (
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// corruptWorld is a world with a fork child, a MAP_SHARED page and COW
// sharing: every structure CheckInvariants looks at is populated.
func corruptWorld(t *testing.T) *Kernel {
	k := New(abi.Config{})
	run(t, k, `
		1 mmap 0x100010000000 0x2000 PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED -> 0x100010000000
		1 store 0x100010000000 5 -> 0
		1 open a 0 -> 0
		1 fork -> 2
		2 load 0x100010000000 -> 5
	`)
	return k
}

func TestCheckInvariantsReportsCorruption(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(k *Kernel)
		want    string
	}{
		{"refcount", func(k *Kernel) {
			k.frames.meta(pteAt(k, 1, initData).frame()).ref++
		}, "refcount"},
		{"mapcount", func(k *Kernel) {
			k.frames.meta(pteAt(k, 1, initData).frame()).mapc--
		}, "mapcount"},
		{"PTE outside vma", func(k *Kernel) {
			m := k.tasks[1].mm
			m.vmas = m.vmas[1:] // forget init's read-only vma, keep its PTE
		}, "outside every vma"},
		{"writable shared private frame", func(k *Kernel) {
			l, x := k.tasks[1].mm.pt.lookup(initData)
			l.ent[x] |= pteWrite
		}, "writable PTE"},
		{"writable zero frame", func(k *Kernel) {
			run(t, k, "1 load 0x100000201000")
			k.tasks[1].mm.vmas[1].prot = abi.PROT_READ | abi.PROT_WRITE
			l, x := k.tasks[1].mm.pt.lookup(initData + 0x1000)
			l.ent[x] = mkPTE(zeroFrame, pteWrite)
		}, "zero frame"},
		{"leaked frame", func(k *Kernel) {
			k.frames.alloc()
		}, "leaked"},
		{"reachable free frame", func(k *Kernel) {
			f := pteAt(k, 1, initRO).frame()
			k.frames.meta(f).ref = 0
			k.frames.free = append(k.frames.free, f)
			k.frames.used--
		}, "free but reachable"},
		{"free list duplicate", func(k *Kernel) {
			f, _ := k.frames.alloc()
			k.frames.put(f)
			k.frames.free = append(k.frames.free, f)
		}, "twice"},
		{"pool accounting", func(k *Kernel) {
			k.frames.used++
		}, "pool"},
		{"empty table kept", func(k *Kernel) {
			m := k.tasks[1].mm
			l, x, _ := m.pt.leaf(0x100020000000, &k.frames)
			_ = l
			_ = x
		}, "empty table"},
		{"table count", func(k *Kernel) {
			l, _ := k.tasks[1].mm.pt.lookup(initData)
			l.n++
		}, "counts"},
		{"table pages", func(k *Kernel) {
			k.tasks[1].mm.pt.pages++
		}, "table pages"},
		{"shared object frame", func(k *Kernel) {
			for i := range k.tasks[1].mm.vmas {
				if v := &k.tasks[1].mm.vmas[i]; v.shared {
					v.shm.pages[0] = pteAt(k, 1, initRO).frame()
				}
			}
		}, "object holds"},
		{"mm users", func(k *Kernel) {
			k.tasks[2].mm.users++
		}, "users"},
		{"open file refs", func(k *Kernel) {
			k.tasks[1].files.fds[0].file.refs++
		}, "open file"},
		{"orphan without parent", func(k *Kernel) {
			k.tasks[2].g.parent = nil
		}, "no parent"},
		{"vfork link", func(k *Kernel) {
			k.tasks[1].state = stateFrozen
		}, "vfork"},
		{"thread list", func(k *Kernel) {
			k.tasks[2].g.threads = nil
		}, "thread list"},
		{"vmas unmerged", func(k *Kernel) {
			m := k.tasks[1].mm
			m.vmas.split(initData + 0x1000)
		}, "not merged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := corruptWorld(t)
			c.corrupt(k)
			err := k.CheckInvariants()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckInvariants() = %v, want a violation mentioning %q", err, c.want)
			}
		})
	}
}

func TestCheckInvariantsReportsEveryViolation(t *testing.T) {
	k := corruptWorld(t)
	k.frames.meta(pteAt(k, 1, initData).frame()).ref++
	k.tasks[2].mm.users++
	err := k.CheckInvariants()
	if err == nil {
		t.Fatal("no violation reported")
	}
	for _, want := range []string{"refcount", "users"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("violations %q lack %q", err, want)
		}
	}
}
