package props

import (
	"testing"

	"pgregory.net/rapid"
)

// FuzzRefinement is TestRefinement's machine as a `go test -fuzz` target:
// the fuzzer's bytes feed rapid's draws, so coverage guidance steers the
// generated steps. Under fuzzing rapid does not shrink; a failing input is
// kept in testdata/fuzz/FuzzRefinement by the go tool, and re-running
// `go test -run FuzzRefinement/ID` logs its steps in trace syntax.
//
//	go test ./props -run '^$' -fuzz FuzzRefinement -fuzztime 5m
func FuzzRefinement(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(suite{name: "FuzzRefinement", checks: CheckAll, backends: []Backend{Model, Impl}}.prop))
}

// FuzzImplProperties runs every property on the impl alone, so a failure
// there is the impl's own, whatever the model says.
//
//	go test ./props -run '^$' -fuzz FuzzImplProperties -fuzztime 5m
func FuzzImplProperties(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(suite{name: "FuzzImplProperties", checks: CheckAll, backends: []Backend{Impl}}.prop))
}
