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
