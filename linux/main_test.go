package linux

import (
	"flag"
	"os"
	"testing"
)

var explore = flag.Bool("linux.explore", false, "TestRapidAgainstModel: draw a fresh random seed instead of the fixed default")

// TestMain fixes rapid's seed for TestRapidAgainstModel unless one is given
// (-rapid.seed, RAPID_SEED) or -linux.explore asks for a fresh one: `go test
// ./linux` then checks the same cases every time, and exploring for new
// disagreements with the model is a deliberate act whose findings go to
// the lead.
func TestMain(m *testing.M) {
	flag.Parse()
	seedSet := os.Getenv("RAPID_SEED") != ""
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "rapid.seed" {
			seedSet = true
		}
	})
	if !seedSet && !*explore {
		flag.Set("rapid.seed", "20261127")
	}
	os.Exit(m.Run())
}
