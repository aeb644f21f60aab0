package model

import (
	"fmt"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// BenchmarkForkExitWait measures one fork, child exit_group and wait4 by
// init whose heap has n stored pages. Each Step deep-copies the world for
// its refusal snapshot, so the cost grows with the world, by design.
func BenchmarkForkExitWait(b *testing.B) {
	for _, n := range []int{0, 64, 1024} {
		b.Run(fmt.Sprintf("pages=%d", n), func(b *testing.B) {
			k := New(abi.Config{})
			if n > 0 {
				k.Step(1, abi.Mmap{Addr: fresh, Len: uint64(n) * abi.PageSize, Prot: 3, Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED})
				for i := 0; i < n; i++ {
					k.Step(1, abi.Store{Addr: fresh + uint64(i)*abi.PageSize, Value: uint64(i)})
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := k.Step(1, abi.Fork{})
				child := int(r.Ret)
				k.Step(child, abi.ExitGroup{})
				if w := k.Step(1, abi.Wait4{Pid: child}); w.Ret != uint64(child) {
					b.Fatalf("wait4: %v", w)
				}
			}
		})
	}
}

// modelForkSizes are the touched sizes of BenchmarkFork, named as impl's and
// linux's benchmarks name them so cmd/perfplot can put them on one axis.
// 1 GiB is left out: every Step deep-copies the world for its refusal
// snapshot, so storing to 262,144 pages did not finish in 60 s (64 MiB
// sets up in about 4 s).
var modelForkSizes = []struct {
	name  string
	pages int
}{{"1MiB", 256}, {"64MiB", 16384}}

// BenchmarkFork times the reference model's fork alone (the child's exit
// and init's wait4 run with the timer stopped) for a parent whose private
// mapping has every page stored to, to compare with impl's and Linux's fork
// cost against size (docs/performance.md, "Plot").
func BenchmarkFork(b *testing.B) {
	for _, s := range modelForkSizes {
		b.Run(s.name, func(b *testing.B) {
			k := New(abi.Config{})
			k.Step(1, abi.Mmap{Addr: fresh, Len: uint64(s.pages) * abi.PageSize, Prot: 3, Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED})
			for i := 0; i < s.pages; i++ {
				k.Step(1, abi.Store{Addr: fresh + uint64(i)*abi.PageSize, Value: uint64(i) + 1})
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := k.Step(1, abi.Fork{})
				b.StopTimer()
				child := int(r.Ret)
				if child <= 1 {
					b.Fatalf("fork: %v", r)
				}
				k.Step(child, abi.ExitGroup{})
				if w := k.Step(1, abi.Wait4{Pid: child}); w.Ret != uint64(child) {
					b.Fatalf("wait4: %v", w)
				}
				b.StartTimer()
			}
		})
	}
}
