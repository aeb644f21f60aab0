package props

import (
	"os"
	"strings"
	"testing"

	"github.com/forkspec/forkspec/abi"
)

// TestWriteFailureNamesTheReference: a failure trace says whose results its
// expectations are — the impl's, for a suite that runs the impl alone.
func TestWriteFailureNamesTheReference(t *testing.T) {
	for _, b := range []Backend{Impl, Model} {
		m, err := NewMachine(opts, CheckAll, b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Step(1, abi.Fork{}); err != nil {
			t.Fatal(err)
		}
		path, _, err := WriteFailure(m, "TestWriteFailureNamesTheReference/"+b.Name, &Failure{Index: 0, Kind: "property", Backend: b.Name, Detail: "made up"})
		if err != nil {
			t.Fatal(err)
		}
		text, err := os.ReadFile(strings.TrimPrefix(path, "props/"))
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(strings.TrimPrefix(path, "props/"))
		if want := "# Expectations are " + b.Name + "'s results."; !strings.Contains(string(text), want) {
			t.Errorf("the failure trace of a %s-only run says:\n%s\nwant the line %q", b.Name, text, want)
		}
	}
}
