package traces_test

import (
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/traces"
)

// longTrace is n steps on a world of eight tasks: seven forks, then
// stores, loads and getpids spread over the tasks (no expectations: the
// backends are compared with each other).
func longTrace(n int) *traces.Trace {
	t := &traces.Trace{Name: "long.trace"}
	page := abi.ArenaStart + 0x200000
	for i := 0; i < n; i++ {
		s := traces.Step{Tid: 1 + i%8}
		switch {
		case i < 7:
			s.Tid, s.Call = 1, abi.Fork{}
		case i%3 == 0:
			s.Call = abi.Store{Addr: page, Value: uint64(i)}
		case i%3 == 1:
			s.Call = abi.Load{Addr: page}
		default:
			s.Call = abi.Getpid{}
		}
		t.Steps = append(t.Steps, s)
	}
	return t
}

// BenchmarkStream reports the cost of one lockstep step on the model and
// the impl, with allocations (go test -bench Stream -benchmem ./traces);
// memory per op stays flat as b.N grows (TestStreamMemoryIsBounded).
func BenchmarkStream(b *testing.B) {
	tr := longTrace(b.N + 7)
	b.ResetTimer()
	if _, err := traces.Stream(tr, nil, modelBackend, implBackend); err != nil {
		b.Fatal(err)
	}
}
