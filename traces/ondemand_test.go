package traces_test

import (
	"path/filepath"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/traces"
)

// onDemandBackend is the impl with on-demand fork (impl/ondemand.go).
var onDemandBackend = traces.Backend{Name: "impl-ondemand", New: func(c abi.Config) abi.Kernel {
	return impl.New(c, impl.WithOnDemandFork(true))
}}

// TestCorpusOnDemand replays every corpus trace on the model and the
// on-demand impl in lockstep, as TestCorpus does for the default impl.
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
			if err := traces.Lockstep(tr, modelBackend, onDemandBackend); err != nil {
				t.Fatal(err)
			}
		})
	}
}
