package uml

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/linux"
)

// BenchmarkUMLvsHost measures, in one run, what the kernel under test
// costs next to this machine's kernel: booting User-Mode Linux, starting a
// world, and one step with its View (a fork, a store in the child, its
// exit, the parent's wait: four steps per op). Figures: docs/kernel-under-test.md.
//
//	go test ./uml -run '^$' -bench UMLvsHost -benchtime 20x
func BenchmarkUMLvsHost(b *testing.B) {
	if ok, why := Available(*testKernel); !ok {
		b.Skip(why)
	}
	m, err := Shared(*testKernel)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("boot/uml", func(b *testing.B) {
		for b.Loop() {
			own, err := Boot(*testKernel)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			own.Close()
			b.StartTimer()
		}
	})
	type world interface {
		abi.Kernel
		Close() error
	}
	backends := []struct {
		name string
		new  func() (world, error)
	}{
		{"host", func() (world, error) { return linux.New(abi.Config{}) }},
		{"uml", func() (world, error) { return m.New(abi.Config{}) }},
	}
	for _, be := range backends {
		b.Run("world/"+be.name, func(b *testing.B) {
			for b.Loop() {
				k, err := be.new()
				if err != nil {
					b.Fatal(err)
				}
				k.View()
				b.StopTimer()
				k.Close()
				b.StartTimer()
			}
		})
	}
	for _, be := range backends {
		b.Run("step/"+be.name, func(b *testing.B) {
			k, err := be.new()
			if err != nil {
				b.Fatal(err)
			}
			defer k.Close()
			data := abi.ArenaStart + 0x200000
			child := 2
			for b.Loop() {
				for _, st := range []struct {
					tid int
					sc  abi.Syscall
				}{
					{1, abi.Fork{}},
					{child, abi.Store{Addr: data, Value: 7}},
					{child, abi.ExitGroup{Code: 0}},
					{1, abi.Wait4{Pid: child}},
				} {
					r := k.Step(st.tid, st.sc)
					if r.Outcome.Refused() {
						b.Fatalf("%d %v: %v", st.tid, st.sc, r)
					}
					k.View()
				}
				child++
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(4*b.N), "µs/step")
			if u, ok := k.(*Kernel); ok {
				b.ReportMetric(float64(u.GuestTime.Microseconds())/float64(4*b.N), "guest-µs/step")
			}
		})
	}
}
