package impl

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// odSizes are the touched sizes of the on-demand benchmarks: up to 16 GiB
// (2^22 pages), which needs a pool larger than DefaultFrames.
var odSizes = []struct {
	name  string
	pages uint64
}{{"1MiB", 256}, {"64MiB", 16384}, {"1GiB", 262144}, {"16GiB", 1 << 22}}

// odParents caches one parent per size: building 16 GiB of touched pages
// takes seconds, and every benchmark leaves its parent as it found it (the
// children reaped; pages write-protected, which fork does anyway).
var odParents = map[uint64]*Kernel{}

func odBenchParent(b *testing.B, pages uint64) *Kernel {
	if k := odParents[pages]; k != nil {
		return k
	}
	b.StopTimer()
	defer b.StartTimer()
	// Data frames, their tables (1/512 of them, twice for an eager child)
	// and the images.
	k := New(abi.Config{}, WithFrames(int(pages+pages/128+1<<16)))
	mustOK(b, k.Step(1, abi.Mmap{Addr: benchBase, Len: pages * abi.PageSize, Prot: abi.PROT_READ | abi.PROT_WRITE, Flags: abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED}), "mmap")
	for i := uint64(0); i < pages; i++ {
		k.Step(1, abi.Store{Addr: benchBase + i*abi.PageSize, Value: i + 1})
	}
	odParents[pages] = k
	return k
}

// odModes are the fork configurations compared.
var odModes = []struct {
	name     string
	onDemand bool
}{{"eager", false}, {"ondemand", true}}

// benchOD runs op for every mode and size on the cached parent; op times
// what it measures and leaves no child behind.
func benchOD(b *testing.B, op func(b *testing.B, k *Kernel, pages uint64)) {
	for _, s := range odSizes {
		for _, mode := range odModes {
			b.Run(s.name+"/"+mode.name, func(b *testing.B) {
				k := odBenchParent(b, s.pages)
				k.onDemand = mode.onDemand
				b.ResetTimer()
				op(b, k, s.pages)
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(s.pages), "ns/page")
			})
		}
	}
}

// BenchmarkODFork times fork; the child's exit and wait are untimed.
func BenchmarkODFork(b *testing.B) {
	benchOD(b, func(b *testing.B, k *Kernel, _ uint64) {
		for range b.N {
			child := int(mustOK(b, k.Step(1, abi.Fork{}), "fork"))
			reapChild(b, k, child)
		}
	})
}

// BenchmarkODFirstStore times the child's first store after fork (an
// on-demand child unshares one leaf table first, then copies the frame).
func BenchmarkODFirstStore(b *testing.B) {
	benchOD(b, func(b *testing.B, k *Kernel, pages uint64) {
		for i := range b.N {
			b.StopTimer()
			child := int(mustOK(b, k.Step(1, abi.Fork{}), "fork"))
			b.StartTimer()
			p := uint64(i) % pages
			mustOK(b, k.Step(child, abi.Store{Addr: benchBase + p*abi.PageSize, Value: 7}), "store")
			reapChild(b, k, child)
		}
	})
}

// BenchmarkODForkExitWait times fork, the child's exit and the parent's wait4.
func BenchmarkODForkExitWait(b *testing.B) {
	benchOD(b, func(b *testing.B, k *Kernel, _ uint64) {
		for range b.N {
			child := int(mustOK(b, k.Step(1, abi.Fork{}), "fork"))
			k.Step(child, abi.Exit{})
			mustOK(b, k.Step(1, abi.Wait4{Pid: child}), "wait4")
		}
	})
}

// BenchmarkODVfork times vfork (no page-table work in either mode).
func BenchmarkODVfork(b *testing.B) {
	benchOD(b, func(b *testing.B, k *Kernel, _ uint64) {
		for range b.N {
			child := int(k.Step(1, abi.Vfork{}).Ret)
			reapChild(b, k, child)
		}
	})
}
