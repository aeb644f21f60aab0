package impl

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// Benchmark sizes: touched private memory of the parent.
var benchSizes = []struct {
	name  string
	pages uint64
}{{"1MiB", 256}, {"64MiB", 16384}, {"1GiB", 262144}}

const benchBase = abi.ArenaStart + 0x100000000 // 2 MiB aligned, away from images

// benchParent returns a kernel whose task 1 has pages of private memory,
// every page stored to, and the Go heap bytes that cost per page.
func benchParent(b *testing.B, pages uint64) (*Kernel, float64) {
	b.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	k := New(abi.Config{})
	r := k.Step(1, abi.Mmap{Addr: benchBase, Len: pages * abi.PageSize, Prot: abi.PROT_READ | abi.PROT_WRITE, Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED})
	if r.Err != 0 {
		b.Fatalf("mmap: %v", r)
	}
	for i := uint64(0); i < pages; i++ {
		k.Step(1, abi.Store{Addr: benchBase + i*abi.PageSize, Value: i + 1})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	return k, float64(after.HeapAlloc-before.HeapAlloc) / float64(pages)
}

func mustOK(b *testing.B, r abi.Result, what string) uint64 {
	if r.Err != 0 || r.Outcome.Refused() {
		b.Fatalf("%s: %v", what, r)
	}
	return r.Ret
}

// reapAll exits child and waits for it, untimed.
func reapChild(b *testing.B, k *Kernel, child int) {
	b.StopTimer()
	k.Step(child, abi.Exit{})
	mustOK(b, k.Step(1, abi.Wait4{Pid: child}), "wait4")
	b.StartTimer()
}

func perPage(b *testing.B, pages uint64, heap float64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(pages), "ns/page")
	b.ReportMetric(heap, "heapB/page")
}

// benchCreate times one task creation per iteration (fork, vfork or clone),
// the child's exit and the parent's wait untimed.
func benchCreate(b *testing.B, sc abi.Syscall) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			k, heap := benchParent(b, s.pages)
			b.ResetTimer()
			for range b.N {
				child := int(k.Step(1, sc).Ret)
				reapChild(b, k, child)
			}
			perPage(b, s.pages, heap)
		})
	}
}

func BenchmarkFork(b *testing.B)  { benchCreate(b, abi.Fork{}) }
func BenchmarkVfork(b *testing.B) { benchCreate(b, abi.Vfork{}) }
func BenchmarkCloneVM(b *testing.B) {
	benchCreate(b, abi.Clone{Flags: abi.CLONE_VM | abi.SIGCHLD})
}

// BenchmarkExecve times a fork child's execve of "true": it drops the
// child's copy-on-write copy of the parent's memory.
func BenchmarkExecve(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			k, heap := benchParent(b, s.pages)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				child := int(mustOK(b, k.Step(1, abi.Fork{}), "fork"))
				b.StartTimer()
				if r := k.Step(child, abi.Execve{Image: "true"}); r.Outcome != abi.OutcomeExeced {
					b.Fatalf("execve: %v", r)
				}
				reapChild(b, k, child)
			}
			perPage(b, s.pages, heap)
		})
	}
}

// BenchmarkExitWait times a fork child's exit plus the parent's wait4.
func BenchmarkExitWait(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			k, heap := benchParent(b, s.pages)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				child := int(mustOK(b, k.Step(1, abi.Fork{}), "fork"))
				b.StartTimer()
				k.Step(child, abi.Exit{})
				mustOK(b, k.Step(1, abi.Wait4{Pid: child}), "wait4")
			}
			perPage(b, s.pages, heap)
		})
	}
}

// BenchmarkCOWCopyFault times one store by a fork child to a page it shares
// with its parent (COW-2); one op is one fault.
func BenchmarkCOWCopyFault(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			k, heap := benchParent(b, s.pages)
			child := int(mustOK(b, k.Step(1, abi.Fork{}), "fork"))
			before := k.stats.COWCopies
			b.ResetTimer()
			for i := range b.N {
				p := uint64(i) % s.pages
				if p == 0 && i > 0 {
					reapChild(b, k, child)
					b.StopTimer()
					child = int(mustOK(b, k.Step(1, abi.Fork{}), "fork"))
					b.StartTimer()
				}
				k.Step(child, abi.Store{Addr: benchBase + p*abi.PageSize, Value: 7})
			}
			b.StopTimer()
			if got := k.stats.COWCopies - before; got != uint64(b.N) {
				b.Fatalf("%d COW copies for %d stores", got, b.N)
			}
			b.ReportMetric(heap, "heapB/page")
		})
	}
}

// BenchmarkReuseFault times one store by a parent whose child has exited, so
// that each page's frame is exclusive again but still write-protected
// (COW-3); one op is one fault.
func BenchmarkReuseFault(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			k, heap := benchParent(b, s.pages)
			before := k.stats.COWReuses
			b.ResetTimer()
			for i := range b.N {
				p := uint64(i) % s.pages
				if p == 0 {
					b.StopTimer()
					child := int(mustOK(b, k.Step(1, abi.Fork{}), "fork"))
					k.Step(child, abi.Exit{})
					mustOK(b, k.Step(1, abi.Wait4{Pid: child}), "wait4")
					b.StartTimer()
				}
				k.Step(1, abi.Store{Addr: benchBase + p*abi.PageSize, Value: 9})
			}
			b.StopTimer()
			if got := k.stats.COWReuses - before; got != uint64(b.N) {
				b.Fatalf("%d COW reuses for %d stores", got, b.N)
			}
			b.ReportMetric(heap, "heapB/page")
		})
	}
}

var _ = fmt.Sprint
