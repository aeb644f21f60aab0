package traces_test

import (
	"path/filepath"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/traces"
)

// The impl's two fork modes, asked for explicitly (on-demand is impl's
// default, so TestCorpus runs it too): impl/ondemand.go, issue 8.
var (
	onDemandBackend = traces.Backend{Name: "impl-ondemand", New: func(c abi.Config) abi.Kernel {
		return impl.New(c, impl.WithOnDemandFork(true))
	}}
	eagerBackend = traces.Backend{Name: "impl-eager", New: func(c abi.Config) abi.Kernel {
		return impl.New(c, impl.WithOnDemandFork(false))
	}}
)

// TestCorpusOnDemand replays every corpus trace on the model and both
// impl fork modes in lockstep: Results and Views equal after every step.
func TestCorpusOnDemand(t *testing.T) {
	files, err := filepath.Glob("*.trace")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no corpus traces")
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			tr, err := traces.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range []traces.Backend{eagerBackend, onDemandBackend} {
				if err := traces.Lockstep(tr, modelBackend, b); err != nil {
					t.Fatalf("%s: %v", b.Name, err)
				}
			}
		})
	}
}
