package traces_test

import (
	"path/filepath"
	"testing"

	"github.com/forkspec/forkspec/abi"
	"github.com/forkspec/forkspec/impl"
	"github.com/forkspec/forkspec/linux"
	"github.com/forkspec/forkspec/model"
	"github.com/forkspec/forkspec/traces"
)

var (
	modelBackend = traces.Backend{Name: "model", New: func(c abi.Config) abi.Kernel { return model.New(c) }}
	implBackend  = traces.Backend{Name: "impl", New: func(c abi.Config) abi.Kernel { return impl.New(c) }}
)

// TestCorpus replays every trace of the corpus on the model and the impl in
// lockstep: every expectation met, Results and Views equal after every step,
// the impl's invariants intact.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("*.trace")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("corpus has %d traces, want at least 10", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			tr, err := traces.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			expected := 0
			for _, s := range tr.Steps {
				if s.Want != nil {
					expected++
				}
			}
			if expected == 0 {
				t.Errorf("%s checks no results: every corpus trace must state what it expects", f)
			}
			if err := traces.Lockstep(tr, modelBackend, implBackend); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCorpusCanonical keeps the corpus readable as written: every trace
// survives Format and Parse with its steps, comments and options intact.
func TestCorpusCanonical(t *testing.T) {
	files, _ := filepath.Glob("*.trace")
	for _, f := range files {
		tr, err := traces.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		back, err := traces.Parse(f, []byte(tr.Format()))
		if err != nil {
			t.Fatalf("%s: formatted text does not parse: %v", f, err)
		}
		if len(back.Steps) != len(tr.Steps) || len(back.Comments) != len(tr.Comments) || back.Options != tr.Options {
			t.Errorf("%s: Format lost something", f)
		}
	}
}

// TestCorpusLinux replays the corpus on the real kernel against the model,
// where the Linux oracle can run (root, cc): the traces mean the same there.
func TestCorpusLinux(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Linux oracle starts real processes")
	}
	if ok, why := linux.Available(); !ok {
		t.Skip(why)
	}
	linuxBackend := traces.Backend{Name: "linux", New: linux.Backend}
	files, _ := filepath.Glob("*.trace")
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			tr, err := traces.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := traces.Lockstep(tr, modelBackend, linuxBackend); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFoundParse keeps the divergences found by forkspec check (testdata/
// found, not part of the corpus until model and impl agree) parseable.
func TestFoundParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/found/*.trace")
	for _, f := range files {
		if _, err := traces.ParseFile(f); err != nil {
			t.Error(err)
		}
	}
}
