package linux

import (
	"fmt"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// BenchmarkCreate measures real process creation through the agent: fork,
// vfork, clone(CLONE_VM) and execve with 1 MiB, 64 MiB and 1 GiB of private
// memory touched (compare shared/anchors.md). The timing is done in C per
// iteration; the reported metrics are the median and minimum in µs.
func BenchmarkCreate(b *testing.B) {
	kinds := []struct {
		name string
		kind BenchKind
	}{
		{"fork-return", BenchForkReturn},
		{"fork+exit+wait", BenchForkWait},
		{"vfork+exit+wait", BenchVforkWait},
		{"cloneVM+exit+wait", BenchCloneVM},
		{"fork+exec+wait", BenchForkExec},
		{"vfork+exec+wait", BenchVforkExec},
	}
	for _, mib := range []int{1, 64, 1024} {
		for _, kd := range kinds {
			b.Run(fmt.Sprintf("%dMiB/%s", mib, kd.name), func(b *testing.B) {
				k := newWorld(b, abi.Config{MaxTasks: 8})
				if _, _, err := k.Bench(kd.kind, mib, 1); err != nil { // map and touch
					b.Fatal(err)
				}
				b.ResetTimer()
				med, lo, err := k.Bench(kd.kind, mib, b.N)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(med.Nanoseconds())/1e3, "median-µs")
				b.ReportMetric(float64(lo.Nanoseconds())/1e3, "min-µs")
			})
		}
	}
}
