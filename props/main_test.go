package props

import (
	"flag"
	"os"
	"strconv"
	"testing"
)

// TestMain gives rapid longer runs than its default 30 steps on average
// (unless -rapid.steps or RAPID_STEPS says otherwise): fork-exit-reparent
// patterns need room to unfold.
func TestMain(m *testing.M) {
	flag.Parse()
	if !flagSet("rapid.steps") && os.Getenv("RAPID_STEPS") == "" {
		_ = flag.Set("rapid.steps", strconv.Itoa(defaultSteps))
	}
	os.Exit(m.Run())
}

// defaultSteps is the average run length of the default budget.
const defaultSteps = 60

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// rapidChecks is the -rapid.checks value in force.
func rapidChecks() int {
	if f := flag.Lookup("rapid.checks"); f != nil {
		n, _ := strconv.Atoi(f.Value.String())
		return n
	}
	return 0
}
